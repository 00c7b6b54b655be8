"""The Hague variant (domain.md §9, AanmeldenPO): school lottery, central lottery,
vacancy rounds with fallbacks, the period chain and the answer deadline."""

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
          withdrawals: list[str] | None = None, offered_on: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "period.csv").write_text(f"period,offered_on\n{period},{offered_on}\n")
    with open(folder / "schools.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["school_id", "places", "priority_rules"])
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
        run_hague(a, tmp_path / f"oa{seed}", seed=seed)
        assert result(tmp_path / f"oa{seed}")["nb"] == ("A", "school_lottery")
        b = write(tmp_path / f"b{seed}", "1", schools, kids,
                  [("sib", 1, "B", "sibling"), ("nb", 1, "B", "neighbourhood")])
        run_hague(b, tmp_path / f"ob{seed}", seed=seed)
        assert result(tmp_path / f"ob{seed}")["sib"] == ("B", "school_lottery")


def test_HAGUE_care_need_only_in_school_lottery_others_to_central(tmp_path):
    schools = [("A", 1, "sibling"), ("B", 2, "")]
    kids = [("s", 0), ("care", 1), ("x", 0)]
    apps = [("s", 1, "A", "sibling"), ("care", 1, "A", ""), ("care", 2, "B", ""),
            ("x", 1, "A", ""), ("x", 2, "B", "")]
    inp = write(tmp_path / "in", "1", schools, kids, apps)
    rec = run_hague(inp, tmp_path / "out", seed=3)
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
    rec = run_hague(inp, tmp_path / "out", seed=1)
    got = result(tmp_path / "out")
    assert got["y"] == ("A", "vacancy") and got["z"] == ("B", "vacancy")
    assert got["w"] == ("", "")
    assert rec["next_period"] == "3"


def test_HAGUE_vacancy_round_keeps_fallback_when_nothing_better(tmp_path):
    schools = [("A", 0, ""), ("B", 0, "")]
    kids = [("y", 0), ("u", 0)]
    apps = [("y", 1, "A", ""), ("y", 2, "B", ""), ("u", 1, "A", ""), ("u", 2, "B", "")]
    inp = write(tmp_path / "in", "V2", schools, kids, apps, placements=[("y", "B")])
    run_hague(inp, tmp_path / "out", seed=5)
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
        run_hague(inp, tmp_path / "out", seed=1)
    assert not (tmp_path / "out").exists()
    inp = write(tmp_path / "in2", "7", [("A", 1, "")], [("k", 0)], [("k", 1, "A", "")])
    with pytest.raises(ImportError_, match="period.csv, regel 2, kolom 'period'"):
        run_hague(inp, tmp_path / "out", seed=1)


def test_HAGUE_cli(tmp_path):
    from typer.testing import CliRunner

    from lopdesk.cli import app

    inp = write(tmp_path / "in", "1", [("A", 1, "")], [("k", 0)], [("k", 1, "A", "")],
                offered_on="2027-01-15")
    r = CliRunner().invoke(app, ["allocate", "hague", str(inp), "--out", str(tmp_path / "o"),
                                 "--seed", "2", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"]["placed"] == 1
    with open(tmp_path / "o" / "assignments.csv") as f:
        assert next(csv.DictReader(f))["answer_by"] == "2027-02-12"
