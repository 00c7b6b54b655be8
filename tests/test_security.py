"""Trust on a shared server: who is acting, nothing that hangs, private output.

The acting user comes from the kernel (SQLite) or the database session (PostgreSQL), never
from the environment; every wait is bounded and ends in a Dutch message; allocation
folders and backups are readable by the group only, whatever the umask, and never left
half-written.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
from builders import basic
from conftest import PG_URL, sqlite_only
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from test_matching import simple

from lopdesk.config import Settings
from lopdesk.db import Database, SchemaError
from lopdesk.domain import backup as backup_module
from lopdesk.domain import ops
from lopdesk.domain.errors import Busy
from lopdesk.domain.models import AuditRecord

OS_USER = pwd.getpwuid(os.geteuid()).pw_name
LIAR_ENV = {"USER": "tester", "LOGNAME": "tester", "LOPDESK_USER": "tester"}
pg_only = pytest.mark.skipif(not PG_URL, reason="needs LOPDESK_TEST_PG_URL")


def lopdesk(db_path, *args: str, env: dict[str, str] | None = None):
    """The real command line in its own process, as a colleague would run it."""
    return subprocess.run([sys.executable, "-m", "lopdesk.cli", "--db", str(db_path), *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def last_audit(db: Database) -> AuditRecord:
    with db.read() as s:
        return s.execute(select(AuditRecord).order_by(AuditRecord.id.desc())).scalars().first()


# --- 1. who is acting ------------------------------------------------------------------------


@sqlite_only
def test_environment_does_not_decide_who_acts(db, db_path):
    """USER/LOGNAME/LOPDESK_USER name the administrator 'tester': the OS account acts."""
    assert OS_USER != "tester"
    r = lopdesk(db_path, "users", "role", "kijker", "admin", env=LIAR_ENV)
    assert r.returncode == 1
    assert f"Gebruiker '{OS_USER}' is niet gekend" in r.stderr
    ops.add_user(db, OS_USER, "viewer")
    r = lopdesk(db_path, "users", "role", "kijker", "admin", env=LIAR_ENV)
    assert r.returncode == 1 and "raadpleger" in r.stderr
    assert {u.name: u.role for u in ops.list_users(db)}["kijker"] == "viewer"
    # The hidden --user is gone.
    r = lopdesk(db_path, "--user", "tester", "users", "role", "kijker", "admin", env=LIAR_ENV)
    assert r.returncode == 2 and "--user" in r.stderr
    assert {u.name: u.role for u in ops.list_users(db)}["kijker"] == "viewer"


@sqlite_only
def test_audit_trail_records_the_os_account(db, db_path):
    lv, _ = basic(db, capacity=2)
    ops.add_user(db, OS_USER, "lop_expert")
    r = lopdesk(db_path, "capacity", "set", lv, "5", env=LIAR_ENV)
    assert r.returncode == 0, r.stderr
    record = last_audit(db)
    assert record.user == OS_USER and record.action.startswith("capacity")


def test_settings_ignore_the_environment(monkeypatch):
    for name, value in LIAR_ENV.items():
        monkeypatch.setenv(name, value)
    assert Settings().user is None and Settings.from_cli("x.db").user is None
    db = Database(Settings.from_cli("/nonexistent/x.db"), create=False)
    assert db.user == OS_USER


# --- 3. nothing hangs: the SQLite write queue ------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys, time
    from lopdesk.config import Settings
    from lopdesk.db import Database
    db = Database(Settings.from_cli(sys.argv[1], "tester"))
    with db.write():
        print("holding", flush=True)
        time.sleep(60)
""")


@sqlite_only
def test_write_queue_waits_a_set_time_and_names_the_holder(db_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        db = Database(Settings(db_url=f"sqlite:///{db_path}", user="tester", lock_wait=0.5))
        outcomes: dict[str, object] = {}

        def attempt(where: str) -> None:
            start = time.monotonic()
            try:
                with db.write():
                    outcomes[where] = "written"
            except Busy as exc:
                outcomes[where] = (str(exc), time.monotonic() - start)

        attempt("main")  # blocks in the kernel under a timer
        worker = threading.Thread(target=attempt, args=("worker",))  # polls
        worker.start()
        worker.join(10)
        db.dispose()
        for where in ("main", "worker"):
            message, waited = outcomes[where]  # type: ignore[misc]
            assert 0.4 <= waited < 5, where
            assert f"proces {holder.pid} van gebruiker '{OS_USER}'" in message
            assert "0.5 s bezet" in message
    finally:
        holder.kill()
        holder.wait()
    # Once the holder is gone the queue works again.
    db = Database(Settings(db_url=f"sqlite:///{db_path}", user="tester", lock_wait=0.5))
    with db.write() as s:
        s.execute(text("SELECT 1"))
    db.dispose()


def test_lock_wait_defaults_to_thirty_seconds_and_is_configurable(monkeypatch):
    monkeypatch.delenv("LOPDESK_LOCK_TIMEOUT", raising=False)
    assert Settings().lock_wait == 30
    monkeypatch.setenv("LOPDESK_LOCK_TIMEOUT", "7")
    assert Settings().lock_wait == 7


# --- 3. nothing hangs: PostgreSQL ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_postgresql_closed_port_fails_fast_in_dutch():
    url = f"postgresql+psycopg://lop@127.0.0.1:{_free_port()}/lop"
    db = Database(Settings(db_url=url, user="tester", connect_timeout=2), create=False)
    start = time.monotonic()
    with pytest.raises(SchemaError, match="niet bereikbaar"):
        db.check_schema()
    assert time.monotonic() - start < 5
    db.dispose()


def test_postgresql_silent_server_times_out():
    """A server that accepts the connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"postgresql+psycopg://lop@127.0.0.1:{server.getsockname()[1]}/lop"
    db = Database(Settings(db_url=url, user="tester", connect_timeout=2), create=False)
    start = time.monotonic()
    try:
        with pytest.raises(SchemaError, match="antwoordt niet binnen 2 s"):
            db.check_schema()
        assert time.monotonic() - start < 2 + 6
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()
        db.dispose()


def test_postgresql_timeouts_are_set_on_each_connection():
    from lopdesk.db import _pg_engine

    settings = Settings(db_url="postgresql+psycopg://x@h/d", connect_timeout=10,
                        pg_lock_timeout=30, pg_statement_timeout=300)
    engine = _pg_engine(settings.db_url, settings)
    args: dict = {}

    @event.listens_for(engine, "do_connect")
    def grab(_dialect, _record, _cargs, cparams) -> None:
        args.update(cparams)
        raise RuntimeError("not connecting")

    with pytest.raises(Exception, match="not connecting"):
        engine.connect()
    engine.dispose()
    assert args["connect_timeout"] == 10
    assert "lock_timeout=30000" in args["options"]
    assert "statement_timeout=300000" in args["options"]


@pg_only
def test_postgresql_wrong_user_is_not_a_missing_database(db_path):
    url = make_url(str(db_path)).set(username=f"nobody_{uuid.uuid4().hex[:6]}")
    db = Database(Settings(db_url=url.render_as_string(hide_password=False)), create=False)
    with pytest.raises(SchemaError) as err:
        db.check_schema()
    assert "kent de gebruiker" in str(err.value) and "bestaat niet op de server" not in str(
        err.value)
    db.dispose()


@pg_only
def test_postgresql_write_waits_at_most_the_lock_timeout(db, db_path):
    blocker = create_engine(str(db_path))
    slow = Database(Settings(db_url=str(db_path), user="tester", pg_lock_timeout=1))
    try:
        with blocker.connect() as conn:
            conn.execute(text("SELECT * FROM audit_head FOR UPDATE"))  # every audited write
            start = time.monotonic()
            with pytest.raises(Busy, match="vergrendeld"):
                ops.add_user(slow, "nieuw", "viewer")
            assert time.monotonic() - start < 5
            conn.rollback()
        assert "nieuw" not in {u.name for u in ops.list_users(db)}
    finally:
        slow.dispose()
        blocker.dispose()


# --- 1. PostgreSQL roles ----------------------------------------------------------------------


@pg_only
def test_postgresql_roles_bind_psql_too(db, db_path):
    from lopdesk.domain import pg_roles

    suffix = uuid.uuid4().hex[:6]
    viewer, expert = f"v_{suffix}", f"e_{suffix}"
    pg_roles.grant(db)
    ops.add_user(db, viewer, "viewer")
    ops.add_user(db, expert, "lop_expert")
    for name, role in ((viewer, "viewer"), (expert, "lop_expert")):
        assert pg_roles.map_user(db, name, role) == []  # the test's session is a superuser
    basic(db, capacity=2)

    def url_of(name: str) -> str:
        return make_url(str(db_path)).set(username=name).render_as_string(hide_password=False)

    engines = {n: create_engine(url_of(n)) for n in (viewer, expert)}
    try:
        # The session user acts, whatever the Python API asks.
        as_expert = Database(Settings(db_url=url_of(expert), user="tester"))
        assert as_expert.user == expert
        from lopdesk.domain import capacity

        capacity.set_capacity(as_expert, "L1", 3)  # an ordinary write of an expert works
        assert last_audit(db).user == expert
        as_expert.dispose()
        refused = {
            viewer: ["UPDATE register_entry SET status = status",
                     "INSERT INTO app_user (name, role, full_name, active) "
                     "VALUES ('x', 'admin', '', true)"],
            expert: [f"UPDATE app_user SET role = 'admin' WHERE name = '{expert}'",
                     f"GRANT lopdesk_admin TO {expert}",
                     'UPDATE audit_record SET "user" = '"'x'",
                     "DELETE FROM register_event",
                     "DELETE FROM register_entry",
                     "ALTER TABLE audit_record DISABLE TRIGGER ALL"],
        }
        for name, statements in refused.items():
            for sql in statements:
                with engines[name].connect() as conn:
                    with pytest.raises(Exception, match="permission denied|must be owner|"
                                                        "must have admin option"):
                        conn.execute(text(sql))
        with engines[viewer].connect() as conn:  # reading is allowed
            assert conn.execute(text("SELECT count(*) FROM register_entry")).scalar() == 0
        assert {u.name: u.role for u in ops.list_users(db)}[expert] == "lop_expert"
    finally:
        for engine in engines.values():
            engine.dispose()
        with db.writer.begin() as conn:
            for name in (viewer, expert):
                conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
                conn.exec_driver_sql(f'DROP ROLE "{name}"')


# --- 4. output folders and backups ----------------------------------------------------------


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder.parent)): p.stat().st_mode & 0o777
            for p in [folder, *folder.rglob("*")]}


def test_allocation_folder_is_group_readable_whatever_the_umask(tmp_path, open_umask):
    from lopdesk.matching.io import run_allocation

    inp = simple(tmp_path, {"A": 1, "B": 1}, {"k1": ["A", "B"], "k2": ["A", "B"]})
    run_allocation(inp, tmp_path / "out", seed=1)
    modes = _modes(tmp_path / "out")
    assert modes["out"] == 0o750 and modes["out/input"] == 0o750
    assert {m for p, m in modes.items() if p not in ("out", "out/input")} == {0o640}
    assert "out/run.json" in modes and "out/assignments.csv" in modes


def test_a_colleague_can_explain_a_shared_output_folder(tmp_path):
    """Group read permission is all `allocate explain` needs."""
    from lopdesk.matching.explain import explain_child
    from lopdesk.matching.io import run_allocation

    inp = simple(tmp_path, {"A": 1}, {"k1": ["A"]})
    run_allocation(inp, tmp_path / "out", seed=1)
    folder = tmp_path / "out"
    assert all(not p.stat().st_mode & 0o222 & ~0o200 for p in folder.rglob("*"))
    assert explain_child(folder, "k1")[0].level_id == "A"


def test_leftovers_of_an_interrupted_allocation_are_removed(tmp_path):
    from lopdesk.matching.io import run_allocation

    inp = simple(tmp_path, {"A": 1}, {"k1": ["A"]})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    gone = tmp_path / f".earlier.partial-{dead}-0123abcd"
    (gone / "input").mkdir(parents=True)
    (gone / "assignments.csv").write_text("half")
    alive = tmp_path / f".busy.partial-{os.getpid()}-0123abcd"  # a run still going on
    alive.mkdir()
    other = tmp_path / ".hidden-but-not-ours"
    other.mkdir()
    run_allocation(inp, tmp_path / "out", seed=1)
    assert not gone.exists() and alive.exists() and other.exists()


def test_a_failed_allocation_leaves_nothing(tmp_path, monkeypatch):
    from lopdesk.matching import io as matching_io

    inp = simple(tmp_path, {"A": 1}, {"k1": ["A"]})

    def broken(*_args, **_kw):
        raise OSError("schijf vol")

    monkeypatch.setattr(matching_io, "counts", broken)
    with pytest.raises(OSError):
        matching_io.run_allocation(inp, tmp_path / "out", seed=1)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".out", "out"))]


@sqlite_only
def test_backup_is_0640_whatever_the_umask(db, tmp_path, open_umask):
    ops.backup(db, tmp_path / "b.db")
    assert (tmp_path / "b.db").stat().st_mode & 0o777 == 0o640


@sqlite_only
def test_backup_removes_leftovers_and_is_audited_only_when_done(db, tmp_path, monkeypatch):
    tmp_path = tmp_path / "backups"
    tmp_path.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    leftover = tmp_path / f".b.db.partial-{dead}-0123abcd"
    leftover.write_bytes(b"half a backup")

    def count() -> int:
        with db.read() as s:
            return s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()

    before = count()

    def broken(_conn):
        raise OSError("schijf vol")

    with monkeypatch.context() as m:
        m.setattr(backup_module, "_revision_and_records", broken)
        with pytest.raises(OSError):
            ops.backup(db, tmp_path / "b.db")
    assert count() == before  # a failed backup is not in the trail
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nor anything on disk
    ops.backup(db, tmp_path / "b.db")
    assert count() == before + 1 and last_audit(db).action == "db.backup"


@sqlite_only
def test_refused_restore_leaves_no_empty_file(db, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"geen databank" * 10)
    target = tmp_path / "nieuw" / "lopdesk.db"
    r = lopdesk(target, "restore", str(junk))
    assert r.returncode == 2 and "geen SQLite" in r.stderr
    assert not target.exists() and not target.parent.exists()
    # A good backup restores into a new folder, and the copy is complete under its name.
    ops.backup(db, tmp_path / "b.db")
    assert ops.restore(Database(Settings.from_cli(str(target), "tester"), create=False),
                       tmp_path / "b.db").current
    assert target.stat().st_mode & 0o777 == 0o660
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []
    assert json.loads(lopdesk(target, "users", "list", "--json").stdout or "[]") is not None
