"""Why a child got what it got (ALC-06): per level of its list, its group and number, the
level's cut-off and the reason it was or was not admitted.

The *number* (rangnummer) is the child's place in the level's order (priority group, criterion,
lottery): number 12 means eleven children came before it at that level. The cut-off is
the number of the last child admitted there, with its group.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lopdesk.matching.core import Result, level_summary, ticket_ranks, waitlists

if TYPE_CHECKING:
    from lopdesk.matching.io import Inputs

OUTCOMES = ("assigned", "waiting", "not_needed")  # Dutch labels: labels.EXPLAIN_OUTCOME
COLUMNS = ["child_id", "choice_rank", "level_id", "school_id", "priority_group", "number",
           "cutoff", "outcome", "position", "reason"]


@dataclass
class Explanation:
    child_id: str
    choice_rank: int
    level_id: str
    school_id: str
    priority_group: str
    number: int
    cutoff: str
    outcome: str  # assigned | waiting | not_needed
    position: int | None
    reason: str


def explain_all(inputs: Inputs, result: Result, child: int | None = None
                ) -> list[Explanation]:
    """Explanations of every application, or of one child's (by its index)."""
    from lopdesk.matching.io import cutoff_label

    p = inputs.problem
    summary = level_summary(p, result)
    w_apps, w_pos = waitlists(p, result)
    position = dict(zip(w_apps.tolist(), w_pos.tolist(), strict=True))
    assigned = result.assigned_app
    ticket_rank = ticket_ranks(p, assigned, 0)
    out: list[Explanation] = []
    app_child, app_level = p.app_child.tolist(), p.app_level.tolist()
    app_rank, places = p.app_rank.tolist(), result.place.tolist()
    caps, last_places = p.level_capacity.tolist(), summary.last_place.tolist()
    cutoffs = [cutoff_label(inputs, int(a), result.place) for a in summary.last_app.tolist()]
    assigned_l, ticket_l = assigned.tolist(), ticket_rank.tolist()
    indicator = p.child_indicator.tolist()
    if child is None:
        apps = range(p.n_applications)
    else:
        apps = range(int(p.child_start[child]), int(p.child_start[child + 1]))
    for a in apps:
        c, lv = app_child[a], app_level[a]
        number = places[a] + 1
        cutoff = cutoffs[lv]
        cap = caps[lv]
        if assigned_l[c] == a:
            outcome = "assigned"
            reason = (f"rangnummer {number}, binnen de {cap} plaatsen" if number <= cap else
                      f"rangnummer {number} bij {cap} plaatsen: niet elk kind vóór dit kind "
                      "nam hier een plaats (een hogere keuze of een ander contingent)")
        elif assigned_l[c] >= 0 and app_rank[a] > ticket_l[c]:
            outcome = "not_needed"
            reason = f"het kind kreeg een plaats bij keuze {ticket_l[c]}, die het hoger rangschikte"
        else:
            outcome = "waiting"
            last = last_places[lv]
            if cap == 0:
                reason = "capaciteit 0: dit niveau neemt niemand op"
            elif last < 0:
                reason = "niemand toegelaten"
            elif places[a] > last:
                reason = (f"alle {cap} plaatsen gingen naar kinderen met een lager rangnummer "
                          f"(laatst toegelaten: {cutoff})")
            else:
                own = "indicator" if indicator[c] else "niet-indicator"
                other = "niet-indicator" if indicator[c] else "indicator"
                reason = (f"kinderen met een hoger rangnummer kregen een plaats die voorbehouden "
                          f"was voor {other}leerlingen; de plaatsen voor {own}leerlingen en de "
                          f"vrije plaatsen waren bezet (laatst toegelaten: {cutoff})")
        out.append(Explanation(inputs.child_ids[c], app_rank[a], inputs.level_ids[lv],
                               inputs.school_ids[lv], inputs.group_names[a], number, cutoff,
                               outcome, position.get(a), reason))
    return out


def explain_child(output_dir: Path | str, child_id: str) -> list[Explanation]:
    """The explanation of one child from a run's output folder: the run is repeated from
    the copy of its input and its seed and options in run.json (ALC-05 makes that exact)."""
    import json

    from lopdesk.errors import InvalidInput, NotFound
    from lopdesk.matching.io import read_input, solve

    out = Path(output_dir)
    run_file, input_dir = out / "run.json", out / "input"
    if not run_file.is_file() or not input_dir.is_dir():
        raise InvalidInput(f"{out} is geen uitvoermap van een toewijzing (run.json of input/ "
                           "ontbreekt)")
    record = json.loads(run_file.read_text(encoding="utf-8"))
    options = record.get("options", {})
    inputs = read_input(input_dir, seed=int(record["seed"]),
                        tiebreak=options.get("tiebreak", "single"))
    try:
        index = inputs.child_ids.index(child_id)
    except ValueError:
        raise NotFound(f"kind '{child_id}' komt niet voor in deze toewijzing") from None
    result = solve(inputs, bool(options.get("improve")))
    rows = explain_all(inputs, result, child=index)
    if not rows:
        raise NotFound(f"kind '{child_id}' heeft geen aanmelding in deze toewijzing")
    return rows
