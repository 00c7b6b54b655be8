"""Direct edits behind lopdesk's back are reported by `audit verify` (REG-02, domain §10).

Each case edits the database as a colleague with write access to the file (or, on
PostgreSQL, the owner role) would: with sqlite3 or SQL directly, dropping the append-only
triggers where they are in the way. The chain carries the digest of every row lopdesk
wrote; verify compares the tables with it, and with --anchor checks that the chain still
holds a head saved outside the database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from builders import basic, t
from conftest import PG_URL, invoke_as, sqlite_only
from sqlalchemy import text
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.db import Database
from lopdesk.domain import audit, capacity, mediation, registers

runner = CliRunner()


def verify(db_path, *extra: str):
    result = invoke_as("tester", runner, app, ["--db", str(db_path), "audit", "verify", *extra])
    assert "Traceback" not in result.output
    return result


def history(db: Database) -> dict[str, int | str]:
    """Register lines with events and a status change, a capacity request, a case."""
    lv, kids = basic(db, capacity=1)
    first = registers.add_request(db, lv, kids[0], at=t(1))
    refused = registers.add_request(db, lv, kids[1], at=t(2))
    third = registers.add_request(db, lv, kids[2], at=t(3))
    registers.withdraw(db, third.id, reason="verhuisd", at=t(days=1))
    decision = capacity.request_raise(db, lv, 3, reason="extra klas", at=t(days=2))
    case = mediation.open_case(db, kids[1], request_on=date(2027, 3, 8), requested_by="moeder",
                               at=t(days=7))
    mediation.add_event(db, case.id, "note", "gesprek met de ouders", at=t(days=8))
    return {"level": lv, "first": first.id, "refused": refused.id, "third": third.id,
            "decision": decision.id, "case": case.id, "child": kids[3]}


def sql(db_path: Path, *statements: str, params: tuple = ()) -> None:
    """Edit the SQLite file directly, as an attacker with file access: no triggers."""
    conn = sqlite3.connect(db_path)
    try:
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in triggers.fetchall():  # the append-only guards
            conn.execute(f'DROP TRIGGER "{name}"')
        for stmt in statements:
            conn.execute(stmt, params if "?" in stmt else ())
        conn.commit()
    finally:
        conn.close()


def last_record(db_path: Path) -> tuple:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT id, at, user, action, entity, entity_id, detail, prev_hash, "
                            "hash FROM audit_record ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()


def _parse_at(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value)


def forge_append(db_path: Path) -> None:
    """Raise a role and append a record for it whose chain hash is recomputed."""
    rec_id, _at, _u, _a, _e, _i, _d, _p, prev = last_record(db_path)
    at = "2027-03-20 10:00:00.000000"
    detail = audit.canonical({"from": "viewer", "to": "admin"})
    digest = audit.record_hash(prev, rec_id + 1, _parse_at(at + "+00:00"), "tester",
                               "user.role", "app_user", "kijker", detail)
    sql(db_path, "UPDATE app_user SET role = 'admin' WHERE name = 'kijker'",
        "INSERT INTO audit_record (id, at, user, action, entity, entity_id, detail, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        f"UPDATE audit_head SET last_id = {rec_id + 1}, last_hash = '{digest}'",
        params=(rec_id + 1, at, "tester", "user.role", "app_user", "kijker", detail, prev,
                digest))


def rewrite_last(db_path: Path) -> None:
    """Rewrite the last record (another user) and recompute its hash and the head."""
    rec_id, at, _u, action, entity, entity_id, detail, prev, _h = last_record(db_path)
    stamp = _parse_at(at) if "+" in at else _parse_at(at + "+00:00")
    digest = audit.record_hash(prev, rec_id, stamp, "root", action, entity, entity_id, detail)
    sql(db_path, f"UPDATE audit_record SET user = 'root', hash = '{digest}' WHERE id = {rec_id}",
        f"UPDATE audit_head SET last_hash = '{digest}'")


def truncate(db_path: Path) -> None:
    """Cut the last three records off and move the head to the new end."""
    rec_id = last_record(db_path)[0]
    keep = rec_id - 3
    sql(db_path, f"DELETE FROM audit_record WHERE id > {keep}",
        f"UPDATE audit_head SET last_id = {keep}, last_hash = "
        f"(SELECT hash FROM audit_record WHERE id = {keep})")


# name -> (edit of the file, what the report must name, needs the anchor)
Case = tuple[Callable[[Path, dict], None], Callable[[dict], str], bool]
CASES: dict[str, Case] = {
    "line_child": (lambda p, h: sql(p, f"UPDATE register_entry SET child_id = '{h['child']}' "
                                       f"WHERE id = {h['first']}"),
                   lambda h: f"register_entry {h['first']} is buiten lopdesk gewijzigd", False),
    "line_moment": (lambda p, h: sql(p, "UPDATE register_entry SET requested_at = "
                                        "'2027-02-01 08:00:00.000000' "
                                        f"WHERE id = {h['first']}"),
                    lambda h: f"register_entry {h['first']} is buiten lopdesk gewijzigd", False),
    "line_number": (lambda p, h: sql(p, f"UPDATE register_entry SET seq = 99 "
                                        f"WHERE id = {h['refused']}"),
                    lambda h: f"register_entry {h['refused']} is buiten lopdesk gewijzigd",
                    False),
    "status_with_event": (
        lambda p, h: sql(p, f"UPDATE register_entry SET status = 'realised' "
                            f"WHERE id = {h['refused']}",
                         "INSERT INTO register_event (entry_id, at, user, kind, from_status, "
                         f"to_status, reason) VALUES ({h['refused']}, '2027-03-02 08:00:00', "
                         "'tester', 'status', 'non_realised', 'realised', 'plaats vrij')"),
        lambda h: f"register_entry {h['refused']} is buiten lopdesk gewijzigd", False),
    "event_user": (lambda p, h: sql(p, "UPDATE register_event SET user = 'root' "
                                       f"WHERE entry_id = {h['third']} AND kind = 'status'"),
                   lambda h: "register_event", False),
    "delete_line": (lambda p, h: sql(p, f"DELETE FROM register_event WHERE entry_id = "
                                        f"{h['third']}",
                                     f"DELETE FROM register_entry WHERE id = {h['third']}"),
                    lambda h: f"register_entry {h['third']} is buiten lopdesk verwijderd", False),
    "insert_line": (
        lambda p, h: sql(p, "INSERT INTO register_entry (id, level_id, seq, requested_at, "
                            "child_id, priority_group, contingent, status, out_of_order, source, "
                            "version) VALUES (500, 'L1', 4, '2027-03-01 09:00:00.000000', "
                            f"'{h['child']}', 'none', 'non_indicator', 'realised', 0, "
                            "'request', 1)",
                         "INSERT INTO register_event (entry_id, at, user, kind, to_status, "
                         "reason) VALUES (500, '2027-03-01 09:00:00.000000', 'tester', "
                         "'created', 'realised', 'plaats vrij')"),
        lambda h: "register_entry 500 is buiten lopdesk toegevoegd", False),
    "own_role": (lambda p, h: sql(p, "UPDATE app_user SET role = 'admin' WHERE name = 'kijker'"),
                 lambda h: "app_user kijker is buiten lopdesk gewijzigd", False),
    "capacity": (lambda p, h: sql(p, "UPDATE capacity_level SET capacity = 30 WHERE id = 'L1'"),
                 lambda h: "capacity_level L1 is buiten lopdesk gewijzigd", False),
    "capacity_request": (
        lambda p, h: sql(p, "UPDATE capacity_decision SET requested_capacity = 9 "
                            f"WHERE id = {h['decision']}"),
        lambda h: f"capacity_decision {h['decision']} is buiten lopdesk gewijzigd", False),
    "case": (lambda p, h: sql(p, "UPDATE mediation_case SET requested_by = 'vader' "
                                 f"WHERE id = {h['case']}"),
             lambda h: f"mediation_case {h['case']} is buiten lopdesk gewijzigd", False),
    "case_event": (lambda p, h: sql(p, "DELETE FROM case_event WHERE id = "
                                       "(SELECT max(id) FROM case_event)"),
                   lambda h: "is buiten lopdesk verwijderd", False),
    "truncate_and_move_head": (lambda p, h: truncate(p), lambda h: "niet meer in de keten",
                               True),
    "forged_append": (lambda p, h: forge_append(p),
                      lambda h: "app_user kijker is buiten lopdesk gewijzigd", False),
    "rewrite_last": (lambda p, h: rewrite_last(p), lambda h: "keten herschreven", True),
    "delete_head": (lambda p, h: sql(p, "DELETE FROM audit_head"),
                    lambda h: "kop van de keten ontbreekt", False),
}


@sqlite_only
def test_untouched_database_verifies(db, db_path, tmp_path):
    history(db)
    anchor = tmp_path / "anker.json"
    made = invoke_as("tester", runner, app, ["--db", str(db_path), "audit", "anchor",
                                             str(anchor)])
    assert made.exit_code == 0, made.output
    assert anchor.stat().st_mode & 0o777 == 0o640
    assert json.loads(anchor.read_text())["id"] == audit.head(db)[0]
    result = verify(db_path, "--anchor", str(anchor))
    assert result.exit_code == 0, result.output
    assert "auditspoor in orde" in result.output


@sqlite_only
@pytest.mark.parametrize("name", sorted(CASES))
def test_direct_edit_is_reported(db, db_path, tmp_path, name):
    facts = history(db)
    anchor = tmp_path / "anker.json"
    assert invoke_as("tester", runner, app, ["--db", str(db_path), "audit", "anchor",
                                             str(anchor)]).exit_code == 0
    edit, expected, needs_anchor = CASES[name]
    edit(db_path, facts)
    result = verify(db_path, "--anchor", str(anchor)) if needs_anchor else verify(db_path)
    assert result.exit_code == 1, result.output
    assert expected(facts) in result.output


def test_sixteen_cases():
    assert len(CASES) >= 16


@sqlite_only
def test_truncation_is_reported_without_anchor_too(db, db_path):
    """The rows the cut records vouched for are left without a digest."""
    history(db)
    truncate(db_path)
    result = verify(db_path)
    assert result.exit_code == 1
    assert "buiten lopdesk toegevoegd" in result.output


def test_later_writes_keep_verifying(db, db_path):
    """Lopdesk's own updates (status, capacity decision, case) re-seal their rows."""
    facts = history(db)
    capacity.decide_raise(db, int(facts["decision"]), approve=True, reason="ok", at=t(days=3))
    registers.withdraw(db, int(facts["first"]), reason="verhuisd", at=t(days=4))
    assert verify(db_path).exit_code == 0


def test_bad_anchor_file_is_refused(db, db_path, tmp_path):
    bad = tmp_path / "anker.json"
    bad.write_text("geen json")
    result = verify(db_path, "--anchor", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.output


# --- PostgreSQL: the owner role gets around the triggers -------------------------------------

pg_only = pytest.mark.skipif(not PG_URL, reason="needs LOPDESK_TEST_PG_URL")


@pg_only
def test_pg_trigger_disabled_delete_is_reported(db, db_path):
    facts = history(db)
    with db.write() as s:
        s.execute(text("ALTER TABLE register_event DISABLE TRIGGER ALL"))
        s.execute(text("ALTER TABLE register_entry DISABLE TRIGGER ALL"))
        s.execute(text(f"DELETE FROM register_event WHERE entry_id = {facts['third']}"))
        s.execute(text(f"DELETE FROM register_entry WHERE id = {facts['third']}"))
        s.execute(text("ALTER TABLE register_event ENABLE TRIGGER ALL"))
        s.execute(text("ALTER TABLE register_entry ENABLE TRIGGER ALL"))
    result = verify(db_path)
    assert result.exit_code == 1
    assert f"register_entry {facts['third']} is buiten lopdesk verwijderd" in result.output


@pg_only
def test_pg_truncated_trail_is_reported(db, db_path, tmp_path):
    history(db)
    anchor = tmp_path / "anker.json"
    assert invoke_as("tester", runner, app, ["--db", str(db_path), "audit", "anchor",
                                             str(anchor)]).exit_code == 0
    with db.write() as s:  # TRUNCATE fires no row triggers
        s.execute(text("TRUNCATE audit_record"))
        s.execute(text("UPDATE audit_head SET last_id = 0, last_hash = :g"),
                  {"g": audit.GENESIS})
    result = verify(db_path, "--anchor", str(anchor))
    assert result.exit_code == 1
    assert "niet meer in de keten" in result.output
    assert "buiten lopdesk toegevoegd" in result.output


# --- documents carry the head they were made at ----------------------------------------------


@pytest.mark.parametrize("fmt", ["txt", "html", "csv"])
def test_register_extract_prints_the_audit_head(db, fmt):
    from lopdesk.domain import documents

    history(db)
    rec_id, digest = audit.head(db)
    assert rec_id > 0 and len(digest) == 64
    text_ = documents.render_register(db, fmt, level_id="L1")
    if fmt == "csv":
        assert f",{rec_id},{digest}" in text_
    else:
        assert f"Auditspoor bij opmaak: record {rec_id}, hash" in text_ and digest in text_


def test_lopdesk_own_writes_verify_clean(db):
    """Every writer seals its rows: a round run and re-run, offers, a raise, a notice, a
    case with parties and proposals, users: nothing reported."""
    from builders import area, children, level, school
    from test_rerun_keeps_later_work import _later_work

    from lopdesk.domain import allocation, ops

    area(db)
    for name in ("S1", "S2", "S3"):
        school(db, name)
        level(db, f"L{name[1]}", name, capacity=2)
    kids = children(db, 8)
    allocation.create_round(db, "R27", "A", 2027, "Aanmelding 2027")
    for lv in ("L1", "L2", "L3"):
        allocation.add_round_level(db, "R27", lv)
    for k in kids:
        allocation.add_applications(db, "R27", k, ["L1", "L2", "L3"])
    allocation.run_round(db, "R27", seed=11)
    _later_work(db)
    allocation.run_round(db, "R27", seed=12, replace=True, keep_later_events=True,
                         replace_reason="fout in de afstanden")
    refused = [e for e in registers.list_entries(db, "L3") if e.status == "non_realised"]
    if refused:
        case = mediation.open_case(db, refused[0].child_id, request_on=date(2027, 3, 8),
                                   requested_by="moeder", at=t(days=7))
        mediation.add_party(db, case.id, "parent", "Moeder")
        mediation.add_event(db, case.id, "meeting", "gesprek", occurred_on=date(2027, 3, 9))
    ops.add_user(db, "nieuw", "viewer")
    ops.set_role(db, "nieuw", "lop_expert")
    report = ops.verify_audit(db)
    assert report.ok, [p.message for p in report.problems]
