"""Crash safety: a process SIGKILLed inside one large write transaction leaves all or nothing.

A child process writes many register entries (a bulk import through registers.bulk_append,
or a long loop of add_request_in) inside ONE db.write() transaction and reports its
progress; we kill it with SIGKILL half-way. Afterwards the database opens cleanly, is intact,
holds none of the rows (or all of them, when the kill came after the commit), the register
numbers and the audit chain are whole, and the next writer is not blocked.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from builders import basic, t
from sqlalchemy import func, select, text

from lopdesk.domain import areas, ops, registers
from lopdesk.domain.models import RegisterEntry, RegisterEvent

CHILD = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain import audit, registers
    from lopdesk.domain.models import Child

    url, mode, chunks, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    start = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    kids = ["K%03d" % i for i in range(4)]
    db = Database(Settings.from_cli(url, "tester"))
    with db.write() as s:
        print("begin", flush=True)
        n = 0
        for c in range(chunks):
            if mode == "bulk":
                rows = [{"level_id": "L1", "child_id": kids[(n + i) % 4],
                         "requested_at": start + timedelta(seconds=n + i),
                         "contingent": "non_indicator", "status": "non_realised",
                         "reason": "capacity"} for i in range(size)]
                registers.bulk_append(s, "tester", rows, rule="REG-07", message="import",
                                      source="import")
                audit.record(s, "tester", "data.import", "capacity_level", "L1",
                             {"rows": size, "chunk": c})
            else:
                for i in range(size):  # one running request per child (REG-01)
                    s.add(Child(id="C%06d" % (n + i), first_name="Kind", last_name="Crash"))
                    registers.add_request_in(s, "tester", "L1", "C%06d" % (n + i),
                                             at=start + timedelta(seconds=n + i))
            n += size
            s.flush()
            print("chunk", c + 1, flush=True)
    print("committed", n, flush=True)
    db.dispose()
""")


def _spawn(db_path, mode: str, chunks: int, size: int) -> subprocess.Popen:
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path), mode, str(chunks),
                             str(size)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    return proc


def _wait_for(proc: subprocess.Popen, line: str) -> None:
    assert proc.stdout is not None
    for got in proc.stdout:
        if got.strip() == line:
            return
    pytest.fail(f"child ended (rc={proc.wait()}) before printing {line!r}")


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _assert_all_or_none(db, expected: int) -> int:
    """The database opens cleanly and holds 0 or `expected` new entries, consistently."""
    db.dispose()  # fresh connections, as a new process would have
    db.check_schema()
    with db.read() as s:
        if db.is_sqlite:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        n = s.execute(select(func.count()).select_from(RegisterEntry)).scalar_one()
        events = s.execute(select(func.count()).select_from(RegisterEvent)).scalar_one()
        seqs = list(s.execute(select(RegisterEntry.seq).where(RegisterEntry.level_id == "L1")
                              .order_by(RegisterEntry.seq)).scalars())
    assert n in (0, expected), f"{n} rows: a half-written transaction survived"
    assert events == n
    assert seqs == list(range(1, n + 1))
    assert ops.verify_audit(db).ok
    # Not blocked: the next writer continues the register without a gap.
    areas.create_child(db, "NEXT", "Volgend", "Kind")  # a new child: REG-01
    view = registers.add_request(db, "L1", "NEXT", at=t(days=30))
    assert view.seq == n + 1
    return n


@pytest.fixture
def level(db):
    basic(db, capacity=5)
    return "L1"


def test_sigkill_during_bulk_append_leaves_nothing(db, db_path, level):
    proc = _spawn(db_path, "bulk", chunks=40, size=2000)
    _wait_for(proc, "chunk 3")  # 6,000 rows written, 74,000 to go, nothing committed
    _kill(proc)
    assert _assert_all_or_none(db, 80_000) == 0


def test_sigkill_during_long_write_loop_leaves_nothing(db, db_path, level):
    proc = _spawn(db_path, "loop", chunks=100, size=40)
    _wait_for(proc, "chunk 3")
    _kill(proc)
    assert _assert_all_or_none(db, 4_000) == 0


def test_sigkill_at_a_random_moment_all_or_none(db, db_path, level):
    # One large bulk_append, killed after a random delay: maybe before, maybe after commit.
    delay = random.Random(7).uniform(0.05, 0.6)
    proc = _spawn(db_path, "bulk", chunks=1, size=30_000)
    _wait_for(proc, "begin")
    time.sleep(delay)
    if proc.poll() is None:
        _kill(proc)
    _assert_all_or_none(db, 30_000)


def test_uninterrupted_write_commits_everything(db, db_path, level):
    proc = _spawn(db_path, "bulk", chunks=3, size=500)
    _wait_for(proc, "committed 1500")
    assert proc.wait(timeout=60) == 0
    assert _assert_all_or_none(db, 1_500) == 1_500
