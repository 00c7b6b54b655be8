"""Operating a shared server: roles in the services, the audit chain, backups, permissions."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from builders import basic, t
from conftest import as_user, invoke_as, sqlite_only
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import areas, capacity, ops, registers
from lopdesk.domain.errors import InvalidInput, PermissionDenied, RuleViolation
from lopdesk.domain.models import AuditRecord, RegisterEntry

runner = CliRunner()


def cli(db_path, *args: str, user: str = "tester"):
    result = invoke_as(user, runner, app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


def audit_count(db: Database) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()


# --- roles enforced in the services ------------------------------------------------------


def test_mediation_member_cannot_decide_capacity_raise(db):
    lv, _ = basic(db, capacity=2)
    decision = capacity.request_raise(db, lv, 4, reason="extra klas")
    mediation = as_user(db, "bemiddelaar")
    with pytest.raises(PermissionDenied, match="bemiddelingscel"):
        capacity.decide_raise(mediation, decision.id, approve=True, reason="ok")
    mediation.dispose()
    # The LOP expert may; the refused attempt changed nothing.
    expert = as_user(db, "expert")
    out = capacity.decide_raise(expert, decision.id, approve=True, reason="ok", at=t(1))
    expert.dispose()
    assert out.status == "approved" and out.capacity == 4


def test_viewer_changes_nothing(db):
    lv, kids = basic(db, capacity=2)
    before = audit_count(db)
    viewer = as_user(db, "kijker")
    attempts = [
        lambda: registers.add_request(viewer, lv, kids[0], at=t(1)),
        lambda: capacity.set_capacity(viewer, lv, 5),
        lambda: capacity.request_raise(viewer, lv, 5, reason="x"),
        lambda: areas.create_child(viewer, "KX", "A", "B"),
        lambda: ops.add_user(viewer, "nieuw", "admin"),
        lambda: ops.set_role(viewer, "kijker", "admin"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="raadpleger"):
            attempt()
    # Reading is allowed.
    assert registers.list_entries(viewer, lv) == []
    viewer.dispose()
    assert audit_count(db) == before
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(RegisterEntry)).scalar_one() == 0


def test_unknown_user_refused(db, db_path):
    lv, kids = basic(db)
    stranger = as_user(db, "onbekend")
    with pytest.raises(PermissionDenied, match="niet gekend"):
        registers.add_request(stranger, lv, kids[0], at=t(1))
    with pytest.raises(PermissionDenied, match="niet gekend"):
        registers.list_entries(stranger, lv)
    stranger.dispose()
    r = cli(db_path, "register", "list", lv, user="onbekend")
    assert r.exit_code == 1 and "niet gekend" in r.output


def test_users_add_role_deactivate_audited(db, db_path):
    r = cli(db_path, "users", "add", "an", "--role", "mediation", "--name", "An Peeters")
    assert r.exit_code == 0, r.output
    assert cli(db_path, "users", "role", "an", "lop_expert").exit_code == 0
    an = as_user(db, "an")
    basic(an)  # a LOP expert can build a register
    assert cli(db_path, "users", "deactivate", "an").exit_code == 0
    with pytest.raises(PermissionDenied, match="niet gekend"):
        registers.list_entries(an, "L1")
    an.dispose()
    listed = cli(db_path, "users", "list", "--all", "--json")
    assert {"name": "an", "active": False} in [
        {"name": u["name"], "active": u["active"]} for u in json.loads(listed.stdout)
    ]
    actions = [r.action for r in ops.list_audit(db, "app_user", "an")]
    assert actions == ["user.add", "user.role", "user.deactivate"]
    # Bad input and refusals.
    assert cli(db_path, "users", "add", "bo", "--role", "baas").exit_code == 2
    assert cli(db_path, "users", "add", "kijker", "--role", "viewer").exit_code == 2
    assert cli(db_path, "users", "role", "niemand", "viewer").exit_code == 2
    assert cli(db_path, "users", "add", "x", "--role", "admin", user="expert").exit_code == 1


def test_last_admin_cannot_be_removed(db):
    with pytest.raises(RuleViolation, match="laatste actieve beheerder"):
        ops.deactivate_user(db, "tester")
    with pytest.raises(RuleViolation, match="laatste actieve beheerder"):
        ops.set_role(db, "tester", "viewer")
    ops.add_user(db, "tweede", "admin")
    ops.set_role(db, "tester", "lop_expert")  # now allowed: another admin remains


# --- the audit chain -------------------------------------------------------------------------


def _drop_append_only_guard(db: Database) -> None:
    """Tamper as an attacker with file access would: remove 0002's guard on audit_record."""
    with db.write() as s:
        if db.is_sqlite:
            s.execute(text("DROP TRIGGER IF EXISTS audit_record_no_update"))
            s.execute(text("DROP TRIGGER IF EXISTS audit_record_no_delete"))
        else:
            s.execute(text("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record"))


def _some_history(db: Database) -> None:
    lv, kids = basic(db, capacity=1)
    for i, kid in enumerate(kids):
        registers.add_request(db, lv, kid, at=t(i + 1))


def test_audit_trail_is_append_only(db):
    _some_history(db)
    with pytest.raises(Exception, match="append-only"):
        with db.write() as s:
            s.execute(text("UPDATE audit_record SET detail = '{}' WHERE id = 3"))


def test_audit_verify_detects_edited_record(db, db_path):
    _some_history(db)
    assert cli(db_path, "audit", "verify").exit_code == 0
    _drop_append_only_guard(db)
    with db.write() as s:
        s.execute(text("UPDATE audit_record SET detail = '{\"child_id\": \"K999\"}' "
                       "WHERE id = 5"))
    report = ops.verify_audit(db)
    assert not report.ok
    assert (report.first.record_id, report.first.kind) == (5, "edited")
    r = cli(db_path, "audit", "verify")
    assert r.exit_code == 1
    assert "record 5 gewijzigd" in r.output


def test_audit_verify_detects_deleted_record(db, db_path):
    _some_history(db)
    _drop_append_only_guard(db)
    with db.write() as s:
        s.execute(text("DELETE FROM audit_record WHERE id = 4"))
    report = ops.verify_audit(db)
    assert (report.first.record_id, report.first.kind) == (4, "deleted")
    assert len(report.problems) == 1  # the broken link of record 5 is the same deletion
    r = cli(db_path, "audit", "verify")
    assert r.exit_code == 1 and "record 4 verwijderd" in r.output


def test_audit_verify_detects_deleted_last_record(db, db_path):
    _some_history(db)
    last = audit_count(db)
    _drop_append_only_guard(db)
    with db.write() as s:
        s.execute(text(f"DELETE FROM audit_record WHERE id = {last}"))
    report = ops.verify_audit(db)
    assert (report.first.record_id, report.first.kind) == (last, "deleted")
    r = cli(db_path, "audit", "verify", "--json")
    assert r.exit_code == 1


def test_audit_list_of_one_entity(db, db_path):
    _some_history(db)
    entry = registers.find_entry(db, "L1", 2)
    r = cli(db_path, "audit", "list", "--entity", "register_entry", "--id", str(entry.id),
            "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["action"] for x in rows] == ["register.add"]
    assert cli(db_path, "audit", "list", "--limit", "0").exit_code == 2


# --- backup and restore ----------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import os, sys
    from datetime import UTC, datetime, timedelta
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain import areas, registers
    db = Database(Settings.from_cli(sys.argv[1], "tester"))
    i = 0
    while not os.path.exists(sys.argv[2]):  # write until the test says stop
        i += 1
        at = datetime(2027, 3, 1, 8, 0, tzinfo=UTC) + timedelta(seconds=i)
        areas.create_child(db, "W%06d" % i, "Kind", "Schrijver")  # REG-01: one per child
        registers.add_request(db, "L1", "W%06d" % i, at=at)
        print(i, flush=True)
    db.dispose()
""")


def _seqs(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute(
            "SELECT seq FROM register_entry WHERE level_id = 'L1' ORDER BY seq")]
    finally:
        conn.close()


@sqlite_only
def test_backup_while_another_process_writes_then_restore(db, db_path, tmp_path):
    basic(db, capacity=100_000)
    env = dict(os.environ)
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(stop)],
                              stdout=subprocess.PIPE, text=True, env=env)
    assert writer.stdout is not None
    while int(writer.stdout.readline() or 0) < 20:  # the writer is well under way
        assert writer.poll() is None, "writer stopped"
    copy = tmp_path / "backups" / "copy.db"
    copy.parent.mkdir()
    result = ops.backup(db, copy)
    seqs = _seqs(copy)
    while int(writer.stdout.readline() or 0) <= len(seqs) + 5:  # it kept writing
        assert writer.poll() is None, "writer stopped"
    stop.touch()
    writer.stdout.read()
    assert writer.wait(timeout=60) == 0
    assert copy.stat().st_mode & 0o777 == 0o640  # the group reads it; only its maker writes

    # A consistent snapshot: numbers gap-free, audit chain intact, and fewer than at the end.
    assert seqs == list(range(1, len(seqs) + 1))
    final = _seqs(Path(db_path))
    assert len(seqs) >= 20 and len(final) > len(seqs) + 5
    check = ops.check_backup(copy)
    assert check.current and check.audit_records == result.audit_records
    snap = Database(Settings.from_cli(str(copy), "tester"))
    assert ops.verify_audit(snap).ok
    snap.dispose()
    # Overwriting needs --force; then the database is the snapshot plus one db.restore record.
    with pytest.raises(RuleViolation, match="--force"):
        ops.restore(db, copy)
    r = cli(db_path, "restore", str(copy), "--force")
    assert r.exit_code == 0, r.output
    assert _seqs(Path(db_path)) == seqs
    assert ops.verify_audit(db).ok
    assert ops.list_audit(db, limit=1)[0].action == "db.restore"
    # The restored database works for the next writer.
    registers.add_request(db, "L1", "K000", at=t(days=5))
    assert _seqs(Path(db_path))[-1] == len(seqs) + 1


@sqlite_only
def test_restore_into_new_file_is_private(db, db_path, tmp_path):
    basic(db)
    copy = tmp_path / "b.db"
    assert cli(db_path, "backup", str(copy)).exit_code == 0
    assert cli(db_path, "backup", str(copy)).exit_code == 1  # exists: refused
    target = tmp_path / "nieuw" / "lopdesk.db"
    r = cli(target, "restore", str(copy))
    assert r.exit_code == 0, r.output
    assert target.stat().st_mode & 0o777 == 0o660
    assert target.parent.stat().st_mode & 0o007 == 0
    assert cli(target, "register", "list", "L1").exit_code == 0


@sqlite_only
def test_restore_refuses_what_is_not_a_lopdesk_backup(db, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"dit is geen databank" * 100)
    with pytest.raises(InvalidInput, match="geen SQLite"):
        ops.restore(db, junk, force=True)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (a)")
    conn.close()
    with pytest.raises(InvalidInput, match="geen lopdesk-databank"):
        ops.restore(db, other, force=True)
    future = tmp_path / "future.db"
    ops.backup(db, future)
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    with pytest.raises(InvalidInput, match="onbekende schemaversie"):
        ops.restore(db, future, force=True)
    with pytest.raises(Exception, match="bestaat niet"):
        ops.restore(db, tmp_path / "nergens.db", force=True)


@sqlite_only
def test_backup_and_restore_need_an_administrator(db, db_path, tmp_path):
    r = cli(db_path, "backup", str(tmp_path / "b.db"), user="expert")
    assert r.exit_code == 1 and "laat deze actie niet toe" in r.output
    assert not (tmp_path / "b.db").exists()
    ops.backup(db, tmp_path / "b.db")
    r = cli(db_path, "restore", str(tmp_path / "b.db"), "--force", user="expert")
    assert r.exit_code == 1 and "laat deze actie niet toe" in r.output


def test_postgresql_backup_points_to_pg_dump(db, tmp_path):
    if db.is_sqlite:
        pg = Database(Settings.from_cli("postgresql+psycopg://x@127.0.0.1:1/none", "tester"))
    else:
        pg = db
    with pytest.raises(ops.NotSupported, match="pg_dump"):
        ops.backup(pg, tmp_path / "b.db")
    with pytest.raises(ops.NotSupported, match="pg_restore"):
        ops.restore(pg, tmp_path / "b.db")


# --- permissions -------------------------------------------------------------------------------


@sqlite_only
def test_world_readable_database_warns(db, db_path):
    path = Path(db_path)
    os.chmod(path.parent, 0o2770)
    os.chmod(path, 0o660)
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists():
            os.chmod(extra, 0o660)
    assert ops.permission_warnings(db) == []
    os.chmod(path, 0o644)
    warnings = ops.permission_warnings(db)
    assert len(warnings) == 1 and "leesbaar voor iedereen" in warnings[0]
    os.chmod(path.parent, 0o755)
    assert len(ops.permission_warnings(db)) == 2
    r = cli(db_path, "audit", "verify")
    assert r.exit_code == 0 and "leesbaar voor iedereen" in r.output
    os.chmod(path, 0o660)
    os.chmod(path.parent, 0o2770)


@sqlite_only
def test_new_database_is_created_owner_and_group_only(tmp_path):
    from lopdesk.domain.setup import initialise

    path = tmp_path / "data" / "lopdesk.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    db.dispose()
    assert path.stat().st_mode & 0o777 == 0o660
    assert path.parent.stat().st_mode & 0o777 == 0o770
    assert ops.path_warnings(path) == []


def test_REG_02_audit_verify_replays_the_registers(db):
    lv, kids = basic(db, capacity=1, n_children=2)
    registers.add_request(db, lv, kids[0], at=t(0))
    refused = registers.add_request(db, lv, kids[1], at=t(1))
    assert ops.verify_audit(db).ok
    with db.write() as s:  # behind lopdesk's back: a status without its event
        s.execute(text("UPDATE register_entry SET status = 'realised' WHERE id = :i"),
                  {"i": refused.id})
    report = ops.verify_audit(db)
    assert not report.ok
    assert any(f"{lv}:2" in p.message and "REG-02" in p.message for p in report.problems)
