"""The CLI speaks Dutch: labels instead of codes, Dutch usage errors, clear database errors.

--json keeps the machine codes; only the text for people is translated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from builders import START, basic, children, level, school, t
from builders import area as make_area
from conftest import invoke_as
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.domain import areas, capacity, registers

runner = CliRunner()
ENGLISH_STATUS = ("offered", "declined", "realised", "released", "accepted", "approved",
                  "rejected", "pending")


def run(db_path, *args):
    result = invoke_as("tester", runner, app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


def _words(text: str) -> set[str]:
    return set(text.replace("(", " ").replace(")", " ").replace(",", " ").split())


def _freed_place(db):
    """L1 (capacity 1): K000 realised, K001 and K002 waiting; K000 withdraws."""
    lv, kids = basic(db, capacity=1, n_children=3)
    for i, k in enumerate(kids):
        registers.add_request(db, lv, k, at=t(i))
    registers.withdraw(db, registers.find_entry(db, lv, 1).id, reason="verhuisd", at=t(days=1))
    return lv, kids


# --- 1. labels instead of codes ----------------------------------------------------------


def test_offer_next_list_answer_show_dutch_statuses(db, db_path):
    lv, _ = _freed_place(db)
    r = run(db_path, "offer", "next", lv, "--at", "2027-03-05T10:00:00")
    assert r.exit_code == 0, r.output
    assert "aangeboden" in r.stdout and not _words(r.stdout) & set(ENGLISH_STATUS)
    r = run(db_path, "offer", "list")
    assert r.exit_code == 0 and "aangeboden" in r.stdout and " open " not in r.stdout
    offer_id = json.loads(run(db_path, "offer", "list", "--json").stdout)[0]["id"]
    assert json.loads(run(db_path, "offer", "list", "--json").stdout)[0]["status"] == "open"
    r = run(db_path, "offer", "answer", str(offer_id), "--decline",
            "--at", "2027-03-06T10:00:00")
    assert r.exit_code == 0, r.output
    assert "geweigerd" in r.stdout and "aangeboden" in r.stdout  # the place goes on
    assert not _words(r.stdout) & set(ENGLISH_STATUS)
    r = run(db_path, "offer", "list", "--status", "geweigerd")
    assert r.exit_code == 0 and "geweigerd" in r.stdout


def test_offer_answer_json_keeps_codes(db, db_path):
    lv, _ = _freed_place(db)
    offer = json.loads(run(db_path, "offer", "next", lv, "--at", "2027-03-05T10:00:00",
                           "--json").stdout)
    assert offer["steps"][0]["action"] == "offered"
    offer_id = json.loads(run(db_path, "offer", "list", "--json").stdout)[0]["id"]
    r = run(db_path, "offer", "answer", str(offer_id), "--accept",
            "--at", "2027-03-06T10:00:00", "--json")
    assert [s["action"] for s in json.loads(r.stdout)["steps"]][0] == "realised"


def test_capacity_preview_decide_requests_dutch(db, db_path):
    lv, kids = basic(db, capacity=1, n_children=3)
    for i, k in enumerate(kids):
        registers.add_request(db, lv, k, at=t(i))
    dec = json.loads(run(db_path, "capacity", "request-raise", lv, "2", "--reason", "lokaal",
                         "--json").stdout)["id"]
    r = run(db_path, "capacity", "preview", str(dec), "--at", "2027-04-01T10:00:00")
    assert r.exit_code == 0 and "goedgekeurd" in r.stdout and "gerealiseerd" in r.stdout
    assert not _words(r.stdout) & set(ENGLISH_STATUS)
    r = run(db_path, "capacity", "requests")
    assert "aangevraagd" in r.stdout and "pending" not in r.stdout
    r = run(db_path, "capacity", "decide", str(dec), "--approve", "--reason", "ok",
            "--at", "2027-04-01T10:00:00")
    assert r.exit_code == 0 and "goedgekeurd" in r.stdout and "aangeboden" in r.stdout
    assert not _words(r.stdout) & set(ENGLISH_STATUS)
    r = run(db_path, "capacity", "requests")
    assert "goedgekeurd" in r.stdout and "approved" not in r.stdout
    r = run(db_path, "capacity", "requests", "--status", "goedgekeurd", "--json")
    assert [d["status"] for d in json.loads(r.stdout)] == ["approved"]


def test_counters_children_users_say_ja_nee(db, db_path):
    lv, _ = basic(db, capacity=2, n_children=2)
    r = run(db_path, "counters")
    assert r.exit_code == 0
    assert "True" not in r.stdout and "False" not in r.stdout and "nee" in r.stdout
    assert "Nog plaatsen vrij" in r.stdout  # CAP-05: the empty field as the board shows it
    data = json.loads(run(db_path, "counters", "--json").stdout)[0]
    assert data["full"] is False and data["free_places_field"] == ""
    r = run(db_path, "children")
    assert "False" not in r.stdout and "nee" in r.stdout
    assert json.loads(run(db_path, "children", "--json").stdout)[0]["indicator"] is False
    r = run(db_path, "users", "list")
    assert "True" not in r.stdout and "ja" in r.stdout
    assert json.loads(run(db_path, "users", "list", "--json").stdout)[0]["active"] is True


def test_users_list_columns_line_up(db, db_path):
    r = run(db_path, "users", "list")
    header, *rows = [line for line in r.stdout.splitlines() if line.strip()]
    expert = next(line for line in rows if line.startswith("expert"))
    # every header starts where its column does: role label under 'rol', code under 'rolcode'
    assert header.index("rol ") == expert.index("LOP-deskundige")
    assert header.index("rolcode") == expert.index("lop_expert")
    assert header.split() == ["gebruiker", "rol", "rolcode", "naam", "actief"]


def test_period_close_prints_no_python_values(db, db_path):
    make_area(db)
    school(db, "S1")
    level(db, "L1", "S1", regime="old", capacity=2, ratio=0.5, year=2022,
          start=START.replace(year=2022))
    kids = children(db, 3)
    p = areas.create_period(db, "L1", kind="priority", starts_at=START.replace(year=2022))
    for i, k in enumerate(kids):
        registers.add_request(db, "L1", k, at=START.replace(year=2022, minute=i))
    r = run(db_path, "period", "close", str(p.id), "--preview")
    assert r.exit_code == 0, r.output
    assert "{" not in r.stdout and "non_indicator" not in r.stdout
    assert "niet-indicator 1" in r.stdout and "indicator 1" in r.stdout


def test_CAP_07_error_names_regime_and_kind_in_dutch(db, db_path):
    lv, kids = basic(db, capacity=1, n_children=1)
    areas.add_overcapacity_category(db, "new", "*", "care", "zorgnood")
    r = run(db_path, "register", "add", lv, kids[0], "--overcapacity", "onbekend",
            "--at", "2027-03-02T09:00:00")
    assert r.exit_code == 1 and "CAP-07" in r.stderr
    assert "nieuw (2019/2022)" in r.stderr and "leerjaar" in r.stderr
    assert "primary_grade" not in r.stderr and "regime new" not in r.stderr


def test_full_list_brussels_time_and_readable_groups(db, db_path):
    make_area(db, "SEC", education="secondary")
    school(db, "SS1", "SEC")
    level(db, "G2A", "SS1", kind="admin_group", label="6247", capacity=2, grade=2)
    level(db, "G3A", "SS1", kind="admin_group", label="6248", capacity=2, grade=3)
    capacity.declare_full(db, ["G2A", "G3A"], reason="vol", at=START)  # 08:00 UTC
    r = run(db_path, "full", "list")
    assert r.exit_code == 0
    assert "01/03/2027 09:00:00" in r.stdout  # Brussels (CET) time
    assert "+00:00" not in r.stdout and "[" not in r.stdout
    assert "G2A (0 lln.), G3A (0 lln.)" in r.stdout
    data = json.loads(run(db_path, "full", "list", "--json").stdout)[0]
    assert data["declared_at"].startswith("2027-03-01T08:00:00")
    assert data["levels"] == [["G2A", 0], ["G3A", 0]]


def test_CAP_05_free_places_echoes_the_value_and_warns_above_capacity(db, db_path):
    lv, _ = basic(db, capacity=3, n_children=0)
    r = run(db_path, "capacity", "free-places", lv, "2")
    assert r.exit_code == 0 and "vrije plaatsen" in r.stdout and " 2 " in r.stdout
    assert "capaciteit 3" not in r.stdout and r.stderr == ""
    r = run(db_path, "capacity", "free-places", lv, "5")
    assert r.exit_code == 0 and " 5 " in r.stdout
    assert "waarschuwing" in r.stderr and "capaciteit (3)" in r.stderr
    r = run(db_path, "capacity", "free-places", lv, "")
    assert r.exit_code == 0 and "Nog plaatsen vrij" in r.stdout
    r = run(db_path, "capacity", "free-places", lv, "JA", "--json")
    assert json.loads(r.stdout)["rule"] == "CAP-05"


def test_CAP_08_ank_echoes_the_value_warns_and_refuses_empty(db, db_path):
    lv, _ = basic(db, capacity=6, n_children=0)
    r = run(db_path, "capacity", "ank", lv, "5")
    assert r.exit_code == 0 and "ANK-capaciteit 5" in r.stdout and r.stderr == ""
    r = run(db_path, "capacity", "ank", lv, "8")
    assert r.exit_code == 0 and "ANK-capaciteit 8" in r.stdout
    assert "waarschuwing" in r.stderr and "capaciteit (6)" in r.stderr
    r = run(db_path, "capacity", "ank", lv, "")
    assert r.exit_code == 2 and "ANK-capaciteit" in r.stderr
    assert "Input should" not in r.output and "Invalid" not in r.output
    r = run(db_path, "capacity", "ank", lv)
    assert r.exit_code == 0 and "geschrapt" in r.stdout


# --- 2. click's usage errors in Dutch ----------------------------------------------------


@pytest.mark.parametrize(("args", "dutch", "english"), [
    (["register", "add"], "Ontbrekend argument 'NIVEAU'", "Missing argument"),
    (["counters", "--nope"], "Onbekende optie: --nope", "No such option"),
    (["counters", "--year", "abc"], "Ongeldige waarde voor '--year': verwacht een geheel getal",
     "Invalid value"),
    (["children", "--limit", "0"], "moet minstens 1 zijn", "Input should"),
    (["offer", "answer", "1"], "Ontbrekende optie '--accept'", "Missing option"),
    (["regster"], "Onbekende opdracht 'regster'", "No such command"),
    (["register", "add", "A", "B", "C"], "Onverwacht extra argument: C", "unexpected"),
    (["register", "add", "A", "B", "--at"], "Optie '--at' verwacht een waarde", "requires"),
])
def test_usage_errors_in_dutch_exit_2(db_path, args, dutch, english):
    r = run(db_path, *args)
    assert r.exit_code == 2
    assert dutch in r.stderr and english not in r.stderr
    assert "fout: " in r.stderr and "Error:" not in r.stderr and "Usage:" not in r.stderr


def test_usage_error_through_main(monkeypatch, capsys, db_path):
    from lopdesk import cli

    monkeypatch.setattr(sys, "argv", ["lopdesk", "--db", str(db_path), "register", "add"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "fout: Ontbrekend argument" in err and "Gebruik: lopdesk register add" in err


def test_help_and_version_still_exit_0(db_path):
    assert run(db_path, "--version").exit_code == 0
    r = run(db_path, "counters", "--help")
    assert r.exit_code == 0 and "tellers" in r.stdout


# --- 3. exit codes -----------------------------------------------------------------------


def test_broken_pipe_is_quiet():
    from lopdesk.commands.common import EXIT_PIPE, handle_errors

    @handle_errors
    def writes_into_closed_pipe() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(typer.Exit) as exc:
        writes_into_closed_pipe()
    assert exc.value.exit_code == EXIT_PIPE == 141


@pytest.mark.parametrize("as_json", [True, False])
def test_broken_pipe_real_pipe_no_message(as_json):
    code = (
        "import sys, typer\n"
        "from lopdesk.commands.common import emit, handle_errors\n"
        "@handle_errors\n"
        "def big():\n"
        "    rows = [{'nr': i, 'naam': 'x' * 40} for i in range(40000)]\n"
        f"    emit(rows, {as_json}, [('nr', 'nr'), ('naam', 'naam')])\n"
        "try:\n"
        "    big()\n"
        "except typer.Exit as exc:\n"
        "    sys.exit(exc.exit_code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)  # like `| head -c 10`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


def test_REG_03_unknown_status_is_bad_input_exit_2(db, db_path):
    lv, kids = basic(db, capacity=1, n_children=1)
    registers.add_request(db, lv, kids[0], at=t())
    r = run(db_path, "register", "status", f"{lv}:1", "foo", "--reason", "x")
    assert r.exit_code == 2 and "fout: Onbekende status 'foo'" in r.stderr
    assert "REG-03" not in r.stderr
    r = run(db_path, "register", "status", f"{lv}:1", "deferred", "--reason", "x")
    assert r.exit_code == 1 and "REG-03" in r.stderr  # known, but not allowed
    r = run(db_path, "register", "status", f"{lv}:1", "ingetrokken", "--reason", "verhuisd")
    assert r.exit_code == 0 and "ingetrokken" in r.stdout and "withdrawn" not in r.stdout


# --- 4. database errors ------------------------------------------------------------------


def test_db_not_a_database_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("geen databank\n")
    r = runner.invoke(app, ["--db", str(path), "counters"])
    assert r.exit_code == 2 and "geen databasebestand" in r.stderr
    assert "lopdesk init" not in r.stderr
    assert path.read_text() == "geen databank\n"


def test_db_folder_missing_is_named_and_not_created(tmp_path):
    path = tmp_path / "nergens" / "x.db"
    r = runner.invoke(app, ["--db", str(path), "counters"])
    assert r.exit_code == 2 and "map" in r.stderr and str(path.parent) in r.stderr
    assert not path.parent.exists()


def test_db_missing_file_not_created_by_a_read(tmp_path):
    path = tmp_path / "x.db"
    r = runner.invoke(app, ["--db", str(path), "counters"])
    assert r.exit_code == 2 and "bestaat niet" in r.stderr and "lopdesk init" in r.stderr
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_db_server_unreachable_names_host_and_port():
    pytest.importorskip("psycopg")
    url = "postgresql+psycopg://lop@127.0.0.1:1/lop"  # port 1: nobody listens
    r = runner.invoke(app, ["--db", url, "counters"])
    assert r.exit_code == 2 and "niet bereikbaar" in r.stderr and "127.0.0.1:1" in r.stderr
    assert "lopdesk init" not in r.stderr


# --- 5. smaller gaps ---------------------------------------------------------------------


def test_import_template_needs_no_file(db_path):
    r = run(db_path, "import", "areas", "--template")
    assert r.exit_code == 0 and r.stdout.startswith("area_id,")
    r = run(db_path, "import", "areas")
    assert r.exit_code == 2 and "CSV-bestand" in r.stderr


def test_round_apply_import_and_calendar_add_json(db, db_path, tmp_path: Path):
    lv, kids = basic(db, capacity=2, n_children=2)
    assert run(db_path, "round", "create", "R1", "--area", "A", "--year", "2027").exit_code == 0
    r = run(db_path, "round", "level", "R1", lv)
    assert r.exit_code == 0, r.output
    r = run(db_path, "round", "apply", "R1", kids[0], lv, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"round_id": "R1", "child_id": kids[0], "levels": [lv],
                                    "saved": 1}
    csv = tmp_path / "applications.csv"
    csv.write_text(f"child_id,rank,level_id\n{kids[1]},1,{lv}\n", encoding="utf-8")
    r = run(db_path, "round", "import", "R1", str(csv), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rows"] == 1
    r = run(db_path, "calendar", "add", "A", "2027-11-11", "--label", "Wapenstilstand",
            "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {"area_id": "A", "date": "2027-11-11", "kind": "free_day",
                                    "label": "Wapenstilstand"}


def test_extract_report_accepts_area_option(db, db_path):
    basic(db, capacity=2, n_children=1)
    by_option = run(db_path, "extract", "report", "--area", "A", "--year", "2027")
    assert by_option.exit_code == 0, by_option.output
    by_argument = run(db_path, "extract", "report", "A", "--year", "2027")
    assert by_argument.exit_code == 0
    # the same report (the last line says when it was made)
    assert by_argument.stdout.splitlines()[:-1] == by_option.stdout.splitlines()[:-1]
    r = run(db_path, "extract", "report", "--year", "2027")
    assert r.exit_code == 2 and "--area" in r.stderr


def test_notice_record_with_an_empty_date_says_so_exit_2(db_path):
    r = run(db_path, "notice", "record", "L1", "--mode", "receipt", "--date", "")
    assert r.exit_code == 2, r.output
    assert "--date: de datum van de mededeling ontbreekt" in r.stderr
    assert "onverwachte fout" not in r.output
