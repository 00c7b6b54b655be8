"""The Hague variant (domain.md §9, AanmeldenPO): school lottery, central lottery,
vacancy rounds with fallbacks, the period chain and the answer deadline.

Tests about one rule use short lists to keep the case readable; they run with
allow_short_lists=True (the five-school intake rule has its own tests below)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from lopdesk.domain.errors import ImportError_
from lopdesk.matching.hague import answer_deadline, next_period, next_vacancy_round
from lopdesk.matching.hague_io import run_hague


def write(folder: Path, period: str, schools: list[tuple], children: list[tuple],
          apps: list[tuple], placements: list[tuple] | None = None,
          withdrawals: list[str] | None = None, offered_on: str = "",
          participants: list[str] | None = None) -> Path:
    """An input folder; a school is (id, places, rules) or (id, places, rules, public)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "period.csv").write_text(f"period,offered_on\n{period},{offered_on}\n")
    with open(folder / "schools.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        public = ["public"] if any(len(sc) > 3 for sc in schools) else []
        w.writerow(["school_id", "places", "priority_rules", *public])
        w.writerows(schools)
    with open(folder / "children.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["child_id", "care_need"])
        w.writerows(children)
    with open(folder / "applications.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["child_id", "rank", "school_id", "priorities"])
        w.writerows(apps)
    if placements is not None:
        with open(folder / "placements.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["child_id", "school_id"])
            w.writerows(placements)
    if withdrawals is not None:
        (folder / "withdrawals.csv").write_text("child_id\n" + "".join(
            f"{c}\n" for c in withdrawals))
    if participants is not None:
        (folder / "participants.csv").write_text("child_id\n" + "".join(
            f"{c}\n" for c in participants))
    return folder


def result(out: Path) -> dict[str, tuple[str, str]]:
    with open(out / "assignments.csv") as f:
        return {r["child_id"]: (r["school_id"], r["stage"]) for r in csv.DictReader(f)}


def test_HAGUE_school_lottery_uses_the_school_s_rule_order(tmp_path):
    # A honours neighbourhood before sibling; B the other way round. One place each.
    schools = [("A", 1, "neighbourhood>sibling"), ("B", 1, "sibling>neighbourhood")]
    kids = [("sib", 0), ("nb", 0)]
    for seed in range(6):
        a = write(tmp_path / f"a{seed}", "1", schools, kids,
                  [("sib", 1, "A", "sibling"), ("nb", 1, "A", "neighbourhood")])
        run_hague(a, tmp_path / f"oa{seed}", seed=seed, allow_short_lists=True)
        assert result(tmp_path / f"oa{seed}")["nb"] == ("A", "school_lottery")
        b = write(tmp_path / f"b{seed}", "1", schools, kids,
                  [("sib", 1, "B", "sibling"), ("nb", 1, "B", "neighbourhood")])
        run_hague(b, tmp_path / f"ob{seed}", seed=seed, allow_short_lists=True)
        assert result(tmp_path / f"ob{seed}")["sib"] == ("B", "school_lottery")


def test_HAGUE_care_need_only_in_school_lottery_others_to_central(tmp_path):
    schools = [("A", 1, "sibling"), ("B", 2, "")]
    kids = [("s", 0), ("care", 1), ("x", 0)]
    apps = [("s", 1, "A", "sibling"), ("care", 1, "A", ""), ("care", 2, "B", ""),
            ("x", 1, "A", ""), ("x", 2, "B", "")]
    inp = write(tmp_path / "in", "1", schools, kids, apps)
    rec = run_hague(inp, tmp_path / "out", seed=3, allow_short_lists=True)
    got = result(tmp_path / "out")
    assert got["s"] == ("A", "school_lottery")
    assert got["care"] == ("", "")  # lost its school lottery, no central lottery
    assert got["x"] == ("B", "central")
    assert rec["counts"]["central"] == 1 and rec["next_period"] == "2"
    with open(tmp_path / "out" / "rollover.csv") as f:
        roll = {r["school_id"]: r for r in csv.DictReader(f)}
    assert roll["B"]["open_places"] == "1" and roll["B"]["to_period"] == "2"
    with open(tmp_path / "out" / "first_choice.csv") as f:
        positions = {r["child_id"]: int(r["position"]) for r in csv.DictReader(f)}
    assert positions["s"] == 1 and sorted(positions.values()) == [1, 2, 3]


def test_HAGUE_vacancy_round_fallback_and_chain(tmp_path):
    # y sits at its 2nd choice B and wants A; a place at A was freed by a withdrawal.
    # When y moves up, its place at B goes to the unplaced child z in the same round.
    schools = [("A", 0, ""), ("B", 0, "")]
    kids = [("w", 0), ("y", 0), ("z", 0)]
    apps = [("w", 1, "A", ""), ("y", 1, "A", ""), ("y", 2, "B", ""), ("z", 1, "B", "")]
    inp = write(tmp_path / "in", "V1", schools, kids, apps,
                placements=[("w", "A"), ("y", "B")], withdrawals=["w"])
    rec = run_hague(inp, tmp_path / "out", seed=1, allow_short_lists=True)
    got = result(tmp_path / "out")
    assert got["y"] == ("A", "vacancy") and got["z"] == ("B", "vacancy")
    assert got["w"] == ("", "")
    assert rec["next_period"] == "3"


def test_HAGUE_vacancy_round_keeps_fallback_when_nothing_better(tmp_path):
    schools = [("A", 0, ""), ("B", 0, "")]
    kids = [("y", 0), ("u", 0)]
    apps = [("y", 1, "A", ""), ("y", 2, "B", ""), ("u", 1, "A", ""), ("u", 2, "B", "")]
    inp = write(tmp_path / "in", "V2", schools, kids, apps, placements=[("y", "B")])
    run_hague(inp, tmp_path / "out", seed=5, allow_short_lists=True)
    got = result(tmp_path / "out")
    assert got["y"] == ("B", "fallback") and got["u"] == ("", "")


def test_HAGUE_period_chain_and_answer_deadline():
    chain, p = [], "1"
    while p:
        chain.append(p)
        p = next_period(p)
    assert chain == ["1", "2", "V1", "3", "4", "V2"]
    assert next_vacancy_round("1") == "V1" and next_vacancy_round("3") == "V2"
    assert next_vacancy_round("V2") is None
    assert answer_deadline("1", date(2027, 1, 15)) == date(2027, 2, 12)
    assert answer_deadline("3", date(2027, 1, 15)) == date(2027, 3, 12)


def test_HAGUE_bad_input_names_the_place(tmp_path):
    inp = write(tmp_path / "in", "1", [("A", 1, "sibling>vip")], [("k", 0)],
                [("k", 1, "A", "")])
    with pytest.raises(ImportError_, match="schools.csv, regel 2, kolom 'priority_rules'"):
        run_hague(inp, tmp_path / "out", seed=1, allow_short_lists=True)
    assert not (tmp_path / "out").exists()
    inp = write(tmp_path / "in2", "7", [("A", 1, "")], [("k", 0)], [("k", 1, "A", "")])
    with pytest.raises(ImportError_, match="period.csv, regel 2, kolom 'period'"):
        run_hague(inp, tmp_path / "out", seed=1, allow_short_lists=True)


def test_HAGUE_cli(tmp_path):
    from typer.testing import CliRunner

    from lopdesk.cli import app

    inp = write(tmp_path / "in", "1", [("A", 1, "")], [("k", 0)], [("k", 1, "A", "")],
                offered_on="2027-01-15")
    r = CliRunner().invoke(app, ["allocate", "hague", str(inp), "--out", str(tmp_path / "o"),
                                 "--seed", "2", "--allow-short-lists", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"]["placed"] == 1
    assert json.loads(r.stdout)["options"]["allow_short_lists"] is True
    with open(tmp_path / "o" / "assignments.csv") as f:
        assert next(csv.DictReader(f))["answer_by"] == "2027-02-12"


# Care-need children: school lottery only, so no vacancy round while unplaced.

def test_HAGUE_care_need_child_without_place_stays_out_of_vacancy_round(tmp_path):
    # B has a free place and is on both lists; only the child without care need gets one.
    schools = [("A", 0, ""), ("B", 2, ""), ("C", 0, "")]
    kids = [("care", 1), ("plain", 0), ("held", 1)]
    apps = [("care", 1, "A", ""), ("care", 2, "B", ""), ("plain", 1, "A", ""),
            ("plain", 2, "B", ""), ("held", 1, "A", ""), ("held", 2, "C", "")]
    inp = write(tmp_path / "in", "V1", schools, kids, apps, placements=[("held", "C")])
    rec = run_hague(inp, tmp_path / "out", seed=4, allow_short_lists=True)
    got = result(tmp_path / "out")
    assert got["care"] == ("", "")
    assert got["plain"] == ("B", "vacancy")
    assert got["held"] == ("C", "fallback")  # a care-need child with a place keeps it
    assert rec["counts"]["open_places"] == 1


# Vacancy rounds are opt-in (participants.csv); placements stay fallbacks either way.

OPT_SCHOOLS = [("A", 3, ""), ("B", 0, "")]
OPT_KIDS = [("in", 0), ("out", 0), ("held", 0)]
OPT_APPS = [("in", 1, "A", ""), ("out", 1, "A", ""), ("held", 1, "A", ""),
            ("held", 2, "B", "")]


def test_HAGUE_vacancy_round_without_participants_file_everyone_competes(tmp_path):
    inp = write(tmp_path / "in", "V1", OPT_SCHOOLS, OPT_KIDS, OPT_APPS,
                placements=[("held", "B")])
    rec = run_hague(inp, tmp_path / "out", seed=2, allow_short_lists=True)
    got = result(tmp_path / "out")
    assert got == {"in": ("A", "vacancy"), "out": ("A", "vacancy"), "held": ("A", "vacancy")}
    assert rec["options"]["opt_in"] is False


def test_HAGUE_vacancy_round_is_opt_in(tmp_path):
    inp = write(tmp_path / "in", "V1", OPT_SCHOOLS, OPT_KIDS, OPT_APPS,
                placements=[("held", "B")], participants=["in"])
    rec = run_hague(inp, tmp_path / "out", seed=2, allow_short_lists=True)
    got = result(tmp_path / "out")
    assert got["in"] == ("A", "vacancy")
    assert got["out"] == ("", "")  # did not sign up: no place although A has room
    assert got["held"] == ("B", "fallback")  # not signed up, keeps its place
    assert rec["options"]["opt_in"] is True and rec["counts"]["signed_up"] == 1
    with open(tmp_path / "out" / "rollover.csv") as f:
        roll = {r["school_id"]: r["open_places"] for r in csv.DictReader(f)}
    assert roll == {"A": "2", "B": "0"}


def test_HAGUE_signed_up_child_with_fallback_keeps_it_when_nothing_better(tmp_path):
    schools = [("A", 0, ""), ("B", 0, "")]
    inp = write(tmp_path / "in", "V2", schools, [("held", 0)],
                [("held", 1, "A", ""), ("held", 2, "B", "")], placements=[("held", "B")],
                participants=["held"])
    run_hague(inp, tmp_path / "out", seed=2, allow_short_lists=True)
    assert result(tmp_path / "out")["held"] == ("B", "fallback")


def test_HAGUE_participants_refused_with_place(tmp_path):
    inp = write(tmp_path / "in", "V1", OPT_SCHOOLS, OPT_KIDS, OPT_APPS,
                placements=[("held", "B")], participants=["in", "ghost"])
    with pytest.raises(ImportError_, match="participants.csv, regel 3, kolom 'child_id'"):
        run_hague(inp, tmp_path / "out", seed=1, allow_short_lists=True)
    assert not (tmp_path / "out").exists()
    inp = write(tmp_path / "in1", "1", OPT_SCHOOLS, OPT_KIDS, OPT_APPS, participants=["in"])
    with pytest.raises(ImportError_, match="participants.csv, regel 1: .*vacatureronde"):
        run_hague(inp, tmp_path / "out", seed=1, allow_short_lists=True)


# School type: a public school (openbaar onderwijs) has no neighbourhood rule.

def test_HAGUE_public_school_may_not_use_the_neighbourhood_rule(tmp_path):
    kids, apps = [("k", 0)], [("k", 1, "A", "")]
    ok = write(tmp_path / "ok", "1", [("A", 1, "sibling>neighbourhood", "0"),
                                      ("B", 1, "sibling", "1")], kids, apps)
    run_hague(ok, tmp_path / "o_ok", seed=1, allow_short_lists=True)
    bad = write(tmp_path / "bad", "1", [("A", 1, "sibling", "1"),
                                        ("B", 1, "sibling>neighbourhood", "1")], kids, apps)
    with pytest.raises(ImportError_, match="schools.csv, regel 3, kolom 'priority_rules': "
                       "school 'B' is een openbare school"):
        run_hague(bad, tmp_path / "o_bad", seed=1, allow_short_lists=True)
    assert not (tmp_path / "o_bad").exists()


@pytest.mark.parametrize("value", ["2", "ja"])
def test_HAGUE_public_column_is_0_or_1(tmp_path, value):
    inp = write(tmp_path / "in", "1", [("A", 1, "", "1"), ("B", 1, "", value)], [("k", 0)],
                [("k", 1, "A", "")])
    with pytest.raises(ImportError_, match=f"schools.csv, regel 3, kolom 'public': '{value}'"):
        run_hague(inp, tmp_path / "out", seed=1, allow_short_lists=True)


# The list of at least five schools, unless the sibling rule applies at the first choice.

FIVE = [("A", 1, "sibling"), ("B", 1, ""), ("C", 1, ""), ("D", 1, ""), ("E", 1, "")]


def test_HAGUE_short_list_refused_naming_child_and_rule(tmp_path):
    apps = [("full", r, s[0], "") for r, s in enumerate(FIVE, 1)]
    apps += [("short", r, s[0], "") for r, s in enumerate(FIVE[:4], 1)]
    inp = write(tmp_path / "in", "1", FIVE, [("full", 0), ("short", 0)], apps)
    with pytest.raises(ImportError_, match="applications.csv, regel 7, kolom 'child_id': kind "
                       "'short' heeft maar 4 scholen op de lijst; de regel vraagt minstens 5 "
                       "scholen, tenzij de broer-of-zusregel"):
        run_hague(inp, tmp_path / "out", seed=1)
    assert not (tmp_path / "out").exists()


def test_HAGUE_sibling_at_first_choice_allows_a_short_list(tmp_path):
    kids = [("sib", 0), ("full", 0)]
    apps = [("sib", 1, "A", "sibling")] + [("full", r, s[0], "") for r, s in enumerate(FIVE, 1)]
    rec = run_hague(write(tmp_path / "in", "1", FIVE, kids, apps), tmp_path / "out", seed=1)
    assert rec["options"]["allow_short_lists"] is False and rec["counts"]["short_lists"] == 0
    assert result(tmp_path / "out")["sib"] == ("A", "school_lottery")
    # A sibling at a lower choice, or at a school without the sibling rule, does not count.
    for name, sib_apps in {"lower": [("sib", 1, "B", ""), ("sib", 2, "A", "sibling")],
                           "no_rule": [("sib", 1, "B", "sibling")]}.items():
        inp = write(tmp_path / name, "1", FIVE, kids, sib_apps + apps[1:])
        with pytest.raises(ImportError_, match="kind 'sib' heeft maar"):
            run_hague(inp, tmp_path / f"o_{name}", seed=1)


def test_HAGUE_allow_short_lists_is_recorded(tmp_path):
    from typer.testing import CliRunner

    from lopdesk.cli import app

    inp = write(tmp_path / "in", "1", FIVE, [("k", 0), ("none", 0)], [("k", 1, "B", "")])
    args = ["allocate", "hague", str(inp), "--seed", "2"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o1")])
    assert r.exit_code == 2 and "kind 'k' heeft maar 1 school" in r.output
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o2"), "--allow-short-lists"])
    assert r.exit_code == 0, r.output
    assert "--allow-short-lists" in r.output and "2 kinderen met een korte lijst" in r.output
    run = json.loads((tmp_path / "o2" / "run.json").read_text())
    assert run["options"]["allow_short_lists"] is True and run["counts"]["short_lists"] == 2
