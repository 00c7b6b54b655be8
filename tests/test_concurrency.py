"""Several LOP experts at once: 8 processes x 200 requests into one register.

Register numbers stay unique and gap-free (REG-01) and nothing is lost, on SQLite (WAL,
BEGIN IMMEDIATE, busy timeout) and on PostgreSQL (row lock on the register counter).
"""

from __future__ import annotations

import multiprocessing as mp
from datetime import timedelta

from builders import START, area, level, school

from lopdesk.domain import registers

PROCESSES, PER_PROCESS = 8, 200


def _writer(url: str, worker: int, out: mp.Queue) -> None:
    from lopdesk.config import Settings
    from lopdesk.db import Database

    db = Database(Settings.from_cli(url, "expert"))
    done = 0
    try:
        for i in range(PER_PROCESS):
            child = f"W{worker}-{i:03d}"
            registers.add_request(db, "L1", child,
                                  at=START + timedelta(seconds=worker * PER_PROCESS + i))
            done += 1
    except Exception as exc:  # reported to the test, which fails with the message
        out.put((worker, done, repr(exc)))
        return
    finally:
        db.dispose()
    out.put((worker, done, None))


def test_REG_01_concurrent_writers_gap_free(db, db_path):
    from lopdesk.domain.imports import import_csv

    area(db)
    school(db, "S1")
    level(db, "L1", "S1", capacity=10_000)
    csv_path = db_path.parent / "kids.csv" if hasattr(db_path, "parent") else None
    if csv_path is None:
        import tempfile
        from pathlib import Path

        csv_path = Path(tempfile.mkdtemp()) / "kids.csv"
    rows = ["child_id,first_name,last_name"] + [
        f"W{w}-{i:03d},Kind{i},Werker{w}" for w in range(PROCESSES) for i in range(PER_PROCESS)]
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_csv(db, "children", csv_path)

    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(db.url), w, out)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [r for r in results if r[2]]
    assert not errors, errors
    entries = registers.list_entries(db, "L1")
    seqs = sorted(e.seq for e in entries)
    assert seqs == list(range(1, PROCESSES * PER_PROCESS + 1))
    assert len({e.child_id for e in entries}) == PROCESSES * PER_PROCESS
