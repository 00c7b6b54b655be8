"""Load: 16 writer processes add register requests for N seconds (the busy timeout and the
single-writer lock under load).

    .venv/bin/python benchmarks/load.py [--seconds 60] [--writers 16]
                                        [--pg-url postgresql+psycopg://postgres@127.0.0.1:54329/postgres]

Runs against a fresh SQLite file in a temporary folder, and, with --pg-url, against a fresh
database created on that PostgreSQL server (dropped afterwards). Every writer calls
lopdesk.domain.registers.add_request (one transaction: register number, history, audit
record) in a loop. Prints committed writes per second, the slowest write and the 99th
percentile, and checks that per register the numbers are unique and gap-free and that every
committed write is there (nothing lost). Prints the median (p50) and 99th percentile, and
with both backends their ratio from the same run (the machine is shared: absolute figures
move with its load). Targets: >= 200 writes/s on SQLite, PostgreSQL at least SQLite's rate
in the same run with p99 <= 100 ms, slowest write <= 2 s. Exit code 1 when a check fails
(with --strict also when a target is missed).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402

LEVELS = 8
PER_WRITER = 6000  # children per writer: one running request per child and register (REG-01)
MAX_WRITERS = 64
USER = "loadtest"
TARGET_RATE = {"SQLite": 200.0, "PostgreSQL": 1000.0}
TARGET_SLOWEST = 2.0


@dataclass
class WorkerResult:
    writes: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""


def _database(url: str):
    from lopdesk.config import Settings
    from lopdesk.db import Database

    return Database(Settings.from_cli(url, USER))


def prepare(url: str, writers: int = MAX_WRITERS) -> None:
    """A migrated database with one school, LEVELS registers and CHILDREN children."""
    from lopdesk.domain import areas
    from lopdesk.domain.setup import initialise

    db = _database(url)
    initialise(db)  # USER becomes the administrator
    areas.create_area(db, "LOAD", "Belastingstest")
    areas.create_school(db, "S1", "LOAD", "School 1")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(LEVELS):
        areas.create_level(db, f"L{i}", "S1", school_year=2027, regime="new",
                           kind="primary_grade", label=str(i), capacity=1_000_000,
                           enrolment_start=start)
    from lopdesk.domain.bulk import insert_rows
    from lopdesk.domain.models import Child

    with db.write() as s:
        insert_rows(s, Child.__table__, [  # type: ignore[attr-defined]
            {"id": f"K{w:02d}-{i:05d}", "first_name": f"Voornaam{i}",
             "last_name": f"Achternaam{w}", "indicator": i % 3 == 0}
            for w in range(writers) for i in range(PER_WRITER)])
    db.dispose()


def writer(url: str, go: mp.Event, deadline_box: mp.Value, out: mp.Queue, seed: int) -> None:
    from lopdesk.domain import registers
    from lopdesk.domain.errors import DomainError

    rng = random.Random(seed)
    db = _database(url)
    result = WorkerResult()
    go.wait()
    deadline = deadline_box.value
    n = 0
    while time.time() < deadline and n < PER_WRITER:
        level = f"L{rng.randrange(LEVELS)}"
        child = f"K{seed % MAX_WRITERS:02d}-{n:05d}"  # this writer's own children
        n += 1
        t0 = time.perf_counter()
        try:
            registers.add_request(db, level, child)
        except (DomainError, Exception) as exc:  # count it; the check below finds losses
            name = type(exc).__name__
            result.errors[name] = result.errors.get(name, 0) + 1
            result.first_error = result.first_error or f"{name}: {exc}"[:300]
            continue
        result.latencies.append(time.perf_counter() - t0)
        result.writes += 1
    db.dispose()
    out.put(result)


@dataclass
class Report:
    backend: str
    writers: int
    seconds: float
    writes: int
    rate: float
    slowest: float
    p99: float
    p50: float
    errors: dict[str, int]
    first_error: str
    registers_ok: bool
    problems: list[str]
    fewest: int = 0  # writes of the least lucky writer (fairness of the write lock)


def check_registers(url: str, expected: int) -> list[str]:
    """Numbers per register unique and 1..n without gaps; rows == committed writes."""
    from sqlalchemy import select

    from lopdesk.domain import ops
    from lopdesk.domain.models import RegisterEntry

    db = _database(url)
    problems: list[str] = []
    with db.read() as s:
        rows = s.execute(select(RegisterEntry.level_id, RegisterEntry.seq)).all()
    by_level: dict[str, list[int]] = {}
    for level, seq in rows:
        by_level.setdefault(level, []).append(seq)
    for level, seqs in sorted(by_level.items()):
        seqs.sort()
        if len(set(seqs)) != len(seqs):
            problems.append(f"{level}: dubbele nummers")
        if seqs != list(range(1, len(seqs) + 1)):
            missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))[:10]
            problems.append(f"{level}: ontbrekende nummers {missing}")
    if len(rows) != expected:
        problems.append(f"{len(rows)} registerlijnen, maar {expected} geslaagde schrijfacties")
    if not ops.verify_audit(db).ok:
        problems.append("auditketen geschonden")
    db.dispose()
    return problems


def run(backend: str, url: str, writers: int, seconds: float) -> Report:
    prepare(url, writers)
    ctx = mp.get_context("fork")  # parent holds no open connection (prepare disposed it)
    go = ctx.Event()
    deadline = ctx.Value("d", 0.0)
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, go, deadline, out, i)) for i in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let every process import lopdesk and connect before the clock starts
    deadline.value = time.time() + seconds
    started = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r.latencies)
    writes = sum(r.writes for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    problems = check_registers(url, writes)
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0.0
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    return Report(backend, writers, elapsed, writes, writes / elapsed,
                  latencies[-1] if latencies else 0.0, p99, p50, errors,
                  next((r.first_error for r in results if r.first_error), ""),
                  not problems, problems, min((r.writes for r in results), default=0))


def show(r: Report) -> bool:
    """Print one backend's figures; returns whether its targets were met."""
    rate_ok = r.rate >= TARGET_RATE[r.backend]
    slow_ok = r.slowest <= TARGET_SLOWEST
    print(f"{r.backend}: {r.writers} schrijvers, {r.seconds:.1f} s")
    figure(f"{r.backend}, {r.writers} writers (load.py)", f"{r.rate:.0f} writes/s, p50 "
           f"{r.p50 * 1000:.0f} ms, p99 {r.p99 * 1000:.0f} ms",
           "PostgreSQL >= SQLite's rate; p99 <= 100 ms")
    print(f"  geslaagde schrijfacties : {r.writes} ({r.rate:.0f}/s; doel >= "
          f"{TARGET_RATE[r.backend]:.0f}/s: {'OK' if rate_ok else 'NIET GEHAALD'})")
    print(f"  traagste schrijfactie   : {r.slowest:.3f} s (p99 {r.p99:.3f} s; doel <= "
          f"{TARGET_SLOWEST:.0f} s: {'OK' if slow_ok else 'NIET GEHAALD'})")
    print(f"  minst per schrijver     : {r.fewest} (gemiddeld {r.writes / max(r.writers, 1):.0f})")
    print(f"  fouten                  : {sum(r.errors.values())} {r.errors or ''}"
          + (f" — eerste: {r.first_error}" if r.first_error else ""))
    if r.registers_ok:
        print("  registernummers         : uniek en zonder gaten, niets verloren, auditketen OK")
    else:
        print("  registernummers         : FOUT — " + "; ".join(r.problems))
    return rate_ok and slow_ok


def _pg_database(server_url: str):
    """Create a fresh database on the server; returns its URL and a drop function."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"lopdesk_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="duur per databank (60)")
    ap.add_argument("--writers", type=int, default=16, help="aantal schrijvers (16)")
    ap.add_argument("--pg-url", default=os.environ.get("LOPDESK_LOAD_PG_URL"),
                    help="PostgreSQL-server (een tijdelijke databank wordt aangemaakt)")
    ap.add_argument("--no-sqlite", action="store_true", help="enkel PostgreSQL")
    ap.add_argument("--strict", action="store_true", help="exit 1 als een doel niet gehaald is")
    ap.add_argument("--quick", action="store_true",
                    help="2 schrijvers gedurende 1 s op SQLite (rooktest)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.writers, args.pg_url = 1.0, 2, None
    reports: list[tuple[Report, bool]] = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="lopdesk-load-") as tmp:
            url = str(Path(tmp) / "data" / "load.db")
            r = run("SQLite", url, args.writers, args.seconds)
            reports.append((r, show(r)))
    if args.pg_url:
        url, drop = _pg_database(args.pg_url)
        try:
            r = run("PostgreSQL", url, args.writers, args.seconds)
            reports.append((r, show(r)))
        finally:
            drop()
    rates = {r.backend: r for r, _ in reports}
    if "SQLite" in rates and "PostgreSQL" in rates:  # the machine is shared: compare in-run
        pg, lite = rates["PostgreSQL"], rates["SQLite"]
        figure(f"PostgreSQL / SQLite, {pg.writers} writers (same run)",
               f"rate x{pg.rate / max(lite.rate, 1e-9):.2f}, "
               f"p99 x{pg.p99 / max(lite.p99, 1e-9):.2f}", "rate >= x1.00")
    if any(not r.registers_ok for r, _ in reports):
        return 1
    if args.strict and any(not met for _, met in reports):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
