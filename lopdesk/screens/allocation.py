"""Toewijzing (allocation): pick a round, enter or draw the seed, run it in a worker with a progress
indicator, then the results — rank distribution, unplaced children, per-level cut-offs and
the explanation of any child's outcome (ALC-05, ALC-06, REG-07)."""

from __future__ import annotations

import csv
import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from lopdesk import parse, present
from lopdesk.domain import allocation
from lopdesk.domain.allocation import RunNames
from lopdesk.domain.documents import cutoff_label
from lopdesk.labels import (
    PRIORITY_GROUP_SHORT,
    ROUND_STATUS,
    RUN_COUNT,
    RUN_STATUS,
    TIEBREAK_SHORT,
    decimal,
    label,
    level_words,
    plural,
    school_year_label,
    short_dt,
)
from lopdesk.screens.area_index import AreaIndex
from lopdesk.screens.base import DataScreen
from lopdesk.screens.dialogs import FormDialog, FormField, TextDialog
from lopdesk.screens.widgets.footer import KeyFooter as Footer
from lopdesk.screens.widgets.table import Column, Row, VirtualTable

# The year and the lottery are left out first at 80 columns (the detail line shows them):
# a round's name is what tells rounds apart.
ROUND_COLUMNS = [Column("Ronde", 18, flex=False), Column("Jaar", 9, drop=2),
                 Column("Naam", 38), Column("Status", 10), Column("Loting", 16, drop=1)]
# Counts as numbers that are never cut; the whole run record is on the results screen.
# Narrower than 80 columns, who, when and the seed go to the detail line first.
RUN_COLUMNS = [Column("Nr", 3, "right"), Column("Status", 9),
               Column("Zaad", 10, "right", drop=1), Column("Door", 8, drop=3),
               Column("Wanneer", 16, flex=False, drop=2),
               Column("Kinderen", 8, "right"), Column("Geplaatst", 9, "right"),
               Column("Zonder", 6, "right")]
# The school (told apart from its namesakes) and the level in words, without the school year
# the title names once; the level's id only in the detail line (dropped first at 80
# columns). Short values and one-line headers: several levels show at 80x24.
CUTOFF_COLUMNS = [Column("School", 24), Column("Niveau", 13), Column("Cap", 4, "right"),
                  Column("Toegew.", 7, "right"), Column("Ind.", 5, "right"),
                  Column("Grens", 12), Column("Niveau-id", 17, flex=False, drop=1)]
NO_WRAP = (1, 5)  # level and cut-off: as wide as their longest value (up to the width asked)
_ENGINE_CUTOFF = re.compile(r"(sibling_staff|sibling|staff|none) #(\d+)")


def cutoff_short(text: str | None) -> str:
    """A cut-off in a few cells: 'none #30' → 'nr. 30', 'sibling #2' → 'BZ nr. 2' (the
    group's short code, explained in the legend); any other text in words (cutoff_label)."""
    m = _ENGINE_CUTOFF.fullmatch(text or "")
    if m is None:
        return cutoff_label(text or "")
    group = "" if m.group(1) == "none" else f"{PRIORITY_GROUP_SHORT[m.group(1)]} "
    return f"{group}nr. {m.group(2)}"


def cutoff_columns(rows: list[Row]) -> list[Column]:
    """CUTOFF_COLUMNS with the level and the cut-off never narrower than their longest value
    (up to the width they ask): a row of a level takes one line unless its school's name
    wraps."""
    out = list(CUTOFF_COLUMNS)
    for i in NO_WRAP:
        c = out[i]
        out[i] = replace(c, least=min(c.width, max((len(str(r.cells[i])) for r in rows),
                                                   default=0)))
    return out
UNPLACED_COLUMNS = [Column("Kind", 8, flex=False), Column("Naam", 20),
                    Column("Op de wachtlijst", 40), Column("Niveau-ids", 17, drop=1)]


def school_of(area: AreaIndex, level_id: str, names: RunNames) -> str:
    """The school of a level of a run as every screen names it; a level of another area
    (an output folder) keeps the name the run gave it."""
    c = area.level(level_id)
    known = names.schools.get(level_id, "")
    return area.school_name(c.school_id, known) if c is not None else known


def level_in_run(area: AreaIndex, level_id: str) -> str:
    """A level of a run in words without its school year ('kleuters 2025'); a level of
    another area (an output folder) keeps its id."""
    c = area.level(level_id)
    return level_words(c.kind, c.label, None) if c is not None else level_id


def run_years(area: AreaIndex, level_ids: list[str]) -> str:
    """The school year(s) of a run's levels, for the title of its cut-offs."""
    years = sorted({c.school_year for c in map(area.level, level_ids) if c is not None})
    return ", ".join(map(school_year_label, years))


def waiting_places(area: AreaIndex, waits: list[dict], names: RunNames) -> str:
    """A child's places on waiting lists: 'De Linde, Muide · 1A · 2026-2027: plaats 5'."""
    return "; ".join(f"{area.place(w['level_id'], names.schools.get(w['level_id'], ''))}: "
                     f"plaats {w['position']}" for w in waits)


@dataclass
class Results:
    """The output folder of a run (formats.md) read into memory."""

    title: str
    assignments: list[dict] = field(default_factory=list)
    waitlist: list[dict] = field(default_factory=list)
    levels: list[dict] = field(default_factory=list)
    run_id: int | None = None  # the stored run, for its explanations (ALC-06)
    names: RunNames | None = None  # children's and schools' names beside the ids
    counts: dict = field(default_factory=dict)  # the run record's counts (run.json)

    @classmethod
    def read(cls, folder: Path, title: str, run_id: int | None = None) -> Results:
        def rows(name: str) -> list[dict]:
            path = folder / name
            if not path.exists():
                return []
            return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))

        record = folder / "run.json"
        counts = (json.loads(record.read_text(encoding="utf-8")).get("counts", {})
                  if record.exists() else {})
        return cls(title, rows("assignments.csv"), rows("waitlist.csv"), rows("levels.csv"),
                   run_id, counts=counts)

    def counts_line(self) -> str:
        """The run record's counts in words (the per-level ones are in the tables)."""
        return " · ".join(f"{label(RUN_COUNT, k)}: {v}" for k, v in self.counts.items()
                          if not isinstance(v, dict))

    def rank_distribution(self) -> dict[str, int]:
        dist: dict[str, int] = {}
        for a in self.assignments:
            key = a.get("choice_rank") or "geen"
            dist[key] = dist.get(key, 0) + 1
        return dict(sorted(dist.items(), key=lambda kv: (kv[0] == "geen", int(kv[0])
                                                         if kv[0].isdigit() else 0)))

    def unplaced(self) -> list[str]:
        return [a["child_id"] for a in self.assignments if not a.get("level_id")]

    def with_names(self, db) -> Results:
        self.names = allocation.run_names(db, (a["child_id"] for a in self.assignments),
                                          (lv["level_id"] for lv in self.levels))
        return self


def run_and_read(db, round_id: str, *, seed: int, improve: bool, replace: bool,
                 keep_later_events: bool = False, replace_reason: str = ""
                 ) -> tuple[object, Results]:
    with tempfile.TemporaryDirectory(prefix="lopdesk-tui-") as tmp:
        out = Path(tmp) / "out"
        run = allocation.run_round(db, round_id, seed=seed, improve=improve, replace=replace,
                                   keep_output=out, keep_later_events=keep_later_events,
                                   replace_reason=replace_reason)
        return run, Results.read(out, f"Ronde {round_id}, toewijzing {run.run_id}, zaad {seed}",
                                 run.run_id).with_names(db)


def rerun_and_read(db, run_id: int, title: str) -> Results:
    with tempfile.TemporaryDirectory(prefix="lopdesk-tui-") as tmp:
        out = Path(tmp) / "out"
        allocation.rerun_to_folder(db, run_id, out)
        return Results.read(out, title, run_id).with_names(db)


class AllocationScreen(DataScreen):
    SCREEN_ID = "allocation"
    KEYS = """
    r    run                     Toewijzen | De gekozen ronde toewijzen (zaad, voortgang)
                                 | everywhere, first, palette=ronde toewijzen
    v    view                    Resultaten | De resultaten van de gekozen toewijzing
                                 | everywhere, first, palette=resultaten bekijken
    tab  next_list=app.focus_next    Andere lijst | Naar de andere lijst | hidden
    """
    DEFAULT_CSS = """
    AllocationScreen #rounds { height: 1fr; }
    AllocationScreen #runs { height: 1fr; }
    AllocationScreen #progress-row { height: 1; display: none; }
    AllocationScreen #progress-row.running { display: block; }
    AllocationScreen #progress { width: 30; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.runs: list = []
        self._started = 0.0
        self._timer = None
        self._loaded = False
        self._pending: str | None = None  # an action asked before the rounds were read

    def compose(self) -> ComposeResult:
        yield Static(" Toewijzing · rondes (aanmeldingsprocedure)", classes="title", id="t-r")
        yield VirtualTable(ROUND_COLUMNS, id="rounds", empty="Geen rondes.")
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=None, show_eta=False, id="progress")
            yield Static("", id="progress-text")
        yield Static(" Toewijzingen van de gekozen ronde", classes="title", id="t-runs")
        yield VirtualTable(RUN_COLUMNS, id="runs", empty="Nog geen toewijzing.")
        yield Footer()

    def reload(self) -> None:
        self.db_call(allocation.list_rounds, on_done=self._rounds, group="rounds",
                     exclusive=True)
        self.db_call(allocation.list_runs, on_done=self._runs, group="runs", exclusive=True)

    def _rounds(self, rounds: list) -> None:
        self.query_one("#rounds", VirtualTable).set_rows([Row(r.id, [
            r.id, f"{r.school_year}-{r.school_year + 1}", r.name,
            label(ROUND_STATUS, r.status), label(TIEBREAK_SHORT, r.tiebreak)], data=r)
            for r in rounds])
        self.mark_loaded()
        self._loaded = True
        self._show_runs()
        if self._pending == "run":
            self._pending = None
            self.call_later(self.action_run)

    def _runs(self, runs: list) -> None:
        self.runs = runs
        self._show_runs()
        if self._pending == "view" and self._loaded:
            self._pending = None
            self.action_view()

    def _selected_round(self):
        row = self.query_one("#rounds", VirtualTable).current
        return row.data if row is not None else None

    def _show_runs(self) -> None:
        rnd = self._selected_round()
        runs = [r for r in self.runs if rnd is not None and r.round_id == rnd.id]
        self.query_one("#runs", VirtualTable).set_rows([Row(r.id, [
            str(r.id), label(RUN_STATUS, r.status), str(r.seed), r.user,
            short_dt(r.started_at), str(r.counts.get("children", "")),
            str(r.counts.get("placed", "")), str(r.counts.get("unplaced", ""))],
            data=r) for r in reversed(runs)])

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        if event.table.id == "rounds":
            self._show_runs()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        (self.action_run if event.table.id == "rounds" else self.action_view)()

    # -- run -----------------------------------------------------------------------

    def action_run(self, round_id: str | None = None) -> None:
        if not self._loaded:
            self._pending = "run"
            return
        rnd = self._selected_round()
        if round_id is not None:
            self.query_one("#rounds", VirtualTable).move_to_key(round_id)
            rnd = self._selected_round()
        if rnd is None:
            self.notify("Kies eerst een ronde.", severity="warning")
            return
        # first measure what replacing an active run would touch (ALC-05)
        self.db_dialog(allocation.preview_replacement, rnd.id,
                     on_done=lambda impact: self._ask_run(rnd, impact))

    def _ask_run(self, rnd, impact) -> None:
        fields = [FormField("seed", "Zaad (leeg = nu trekken)", "whole", minimum=0),
                  FormField("improve", "Verbeteren met stabiele cycli (ALC-07)", "check")]
        intro = (f"Ronde {rnd.id}: {rnd.name}. Het zaad wordt bewaard; zelfde invoer + zaad ⇒ "
                 "zelfde uitkomst (ALC-05). De resultaten komen in de registers (REG-07).")
        if impact is not None:
            fields.append(FormField("replace", "Bestaande toewijzing vervangen (blijft bewaard)",
                                    "check"))
            if not impact.empty:
                fields.append(FormField(
                    "keep", "Latere feiten behouden (verplicht om te vervangen)", "check"))
            fields.append(FormField("reason", "Reden van de vervanging (komt in het PV)"))
            intro += "\n\n" + "\n".join(impact.lines())

        def done(v: dict) -> None:
            seed_text = v["seed"].strip()
            seed = (parse.whole(seed_text, "Zaad", minimum=0) if seed_text
                    else secrets.randbelow(2**31))
            self._start(rnd.id, seed, bool(v.get("improve")), bool(v.get("replace")),
                        keep=bool(v.get("keep")), reason=v.get("reason") or "")

        self.app.push_screen(FormDialog("Ronde toewijzen", fields, intro=intro,
                                        submit="Toewijzen", save=done))

    def _start(self, round_id: str, seed: int, improve: bool, replace: bool, *,
               keep: bool = False, reason: str = "") -> None:
        self._started = time.monotonic()
        self.query_one("#progress-row").add_class("running")
        self._tick()
        self._timer = self.set_interval(0.5, self._tick)
        self.db_call(run_and_read, round_id, seed=seed, improve=improve, replace=replace,
                     keep_later_events=keep, replace_reason=reason,
                     on_done=self._finished, on_error=lambda _e: self._stop(), group="run",
                     exclusive=False)

    def _tick(self) -> None:
        self.query_one("#progress-text", Static).update(
            f" toewijzing loopt… {time.monotonic() - self._started:.0f} s")

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.query_one("#progress-row").remove_class("running")

    def _finished(self, result) -> None:
        run, results = result
        self._stop()
        self.notify(f"Toewijzing {run.run_id}: {run.placed} geplaatst, {run.unplaced} zonder "
                    f"plaats, {run.entries_written} registerlijnen.", title="Toegewezen")
        self.reload()
        self.app.push_screen(ResultsScreen(results))

    def action_view(self) -> None:
        if not self._loaded:
            self._pending = "view"
            return
        row = self.query_one("#runs", VirtualTable).current
        if row is None:
            self.notify("Deze ronde heeft nog geen toewijzing.", severity="warning")
            return
        run = row.data
        self.notify("Resultaten worden opnieuw berekend uit de bewaarde invoer en het zaad…",
                    timeout=3)
        self.db_dialog(rerun_and_read, run.id, f"Ronde {run.round_id}, toewijzing {run.id}, zaad "
                     f"{run.seed}", on_done=lambda res: self.app.push_screen(ResultsScreen(res)))


class ResultsScreen(DataScreen):
    """Results of a run: rank distribution (chart), unplaced, cut-offs, explanations."""

    SCREEN_ID = "results"
    KEYS = """
    escape  back                        Terug | Eén stap terug
    e       explain                     Uitleg kind | Waarom een kind deze uitkomst kreeg (ALC-06)
    tab     next_list=app.focus_next    Andere lijst | Naar de andere lijst | hidden
    """
    crumb = "Resultaten"
    AUTO_FOCUS = "#unplaced"
    DEFAULT_CSS = """
    ResultsScreen #chart { height: auto; max-height: 9; }
    ResultsScreen #counts { height: auto; color: $text-muted; padding: 0 1; }
    ResultsScreen #cutoffs { height: 1fr; }
    ResultsScreen #unplaced { height: 1fr; }
    """

    def __init__(self, results: Results) -> None:
        super().__init__()
        self.results = results

    def compose(self) -> ComposeResult:
        r = self.results
        yield Static(f" {r.title} · {plural(len(r.assignments), 'kind', 'kinderen')}",
                     classes="title")
        yield Static(chart(r.rank_distribution(), len(r.assignments)), id="chart",
                     markup=False)
        if r.counts:
            yield Static(r.counts_line(), id="counts", markup=False)
        yield Static(" Grenzen per niveau", classes="title", id="cutoffs-title")
        self.cutoff_rows = self._cutoff_rows()  # the columns fit their values
        yield VirtualTable(cutoff_columns(self.cutoff_rows), id="cutoffs")
        yield Static(f" Zonder plaats: {len(r.unplaced())}", classes="title")
        yield VirtualTable(UNPLACED_COLUMNS, id="unplaced", empty="Iedereen kreeg een plaats.")
        yield Footer()

    def on_mount(self) -> None:
        r = self.results
        names = r.names or RunNames({}, {})
        area = self.lapp.area  # levels of this database in words; a file's keep their ids
        years = run_years(area, [lv["level_id"] for lv in r.levels])
        if years:
            self.query_one("#cutoffs-title", Static).update(f" Grenzen per niveau · {years}")
        self.query_one("#cutoffs", VirtualTable).set_rows(self.cutoff_rows)
        waits: dict[str, list[dict]] = {}
        for w in r.waitlist:
            waits.setdefault(w["child_id"], []).append(w)
        self.query_one("#unplaced", VirtualTable).set_rows([
            Row(cid, [cid, names.children.get(cid, ""),
                      waiting_places(area, waits.get(cid, []), names),
                      ", ".join(w["level_id"] for w in waits.get(cid, []))])
            for cid in r.unplaced()])

    def _cutoff_rows(self) -> list[Row]:
        names = self.results.names or RunNames({}, {})
        area = self.lapp.area  # levels of this database in words; a file's keep their ids
        return [Row(lv["level_id"], [
            school_of(area, lv["level_id"], names), level_in_run(area, lv["level_id"]),
            lv.get("capacity", ""), lv.get("assigned", ""),
            lv.get("assigned_indicator", ""), cutoff_short(lv.get("cutoff")),
            lv["level_id"]]) for lv in self.results.levels]

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        if event.table.id == "unplaced":
            self._explain(str(event.row.key))

    def action_explain(self) -> None:
        # The child under the cursor of the unplaced list; otherwise ask for an id.
        row = self.query_one("#unplaced", VirtualTable).current
        if row is not None:
            self._explain(str(row.key))
            return

        self.app.push_screen(FormDialog("Uitleg van de uitkomst van een kind (ALC-06)",
                                        [FormField("child_id", "Kind", "child", required=True)],
                                        submit="Uitleggen",
                                        save=lambda v: self._explain(v["child_id"])))

    def _explain(self, child_id: str) -> None:
        """ALC-06 in the words of `lopdesk allocate explain`: the run is repeated from its
        stored input and seed, then the engine explains each level of the child's list."""
        if self.results.run_id is None:
            return
        self.db_dialog(allocation.explain_run, self.results.run_id, child_id,
                     on_done=lambda rows: self.app.push_screen(TextDialog(
                         present.explanation_title(child_id, self.results.names),
                         present.explanation_text(child_id, rows, self.results.names))))


def chart(dist: dict[str, int], total: int, width: int = 40) -> str:
    """A terminal bar chart of the rank distribution (text labels, no colour needed)."""
    if not total:
        return " Geen toewijzingen."
    top = max(dist.values())
    lines = []
    for key, n in dist.items():
        label = f"keuze {key}" if key != "geen" else "geen plaats"
        bar = "█" * max(1 if n else 0, round(width * n / top))
        lines.append(f" {label:>11} {bar} {n} ({decimal(100 * n / total)} %)")
    return "\n".join(lines)
