"""Plain SQL reads without the ORM: the quick path of read-only commands.

`lopdesk counters` answers in a fraction of the time it takes to import SQLAlchemy and the
models (about two thirds of such a command's whole process). A read through this module
runs plain SQL with `:name` parameters, which the sqlite3 driver and SQLAlchemy's `text()`
both understand, so one statement serves SQLite (the driver itself, no SQLAlchemy import)
and PostgreSQL (a Core connection of the reader engine). Rows come back as tuples of the
driver's own values: `as_utc` and `as_date` give the values the typed columns would give.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

# sql, parameters -> rows
Query = Callable[..., list[tuple]]


def sqlite_connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """The file opened read-write but never created (mode=rw), with lopdesk's busy timeout;
    statements run in autocommit unless the caller begins a transaction."""
    uri = f"file:{quote(str(path.absolute()))}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000,
                           isolation_level=None, check_same_thread=True)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return conn


@contextmanager
def sqlite_rows(path: Path, busy_timeout_ms: int) -> Iterator[Query]:
    """One read transaction on a SQLite file (one snapshot for every statement)."""
    conn = sqlite_connect(path, busy_timeout_ms)
    try:
        conn.execute("BEGIN")

        def query(sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
            return conn.execute(sql, params or {}).fetchall()

        yield query
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # a read: nothing to keep
        conn.close()


@contextmanager
def engine_rows(engine: Any) -> Iterator[Query]:
    """One read transaction through a SQLAlchemy engine (any database), same interface."""
    from sqlalchemy import text

    with engine.connect() as conn:

        def query(sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
            return [tuple(row) for row in conn.execute(text(sql), params or {})]

        yield query
        conn.rollback()


def as_utc(value: datetime | str | None) -> datetime | None:
    """A stored moment as an aware UTC datetime, as the UTCDateTime column type gives it
    (SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' without a zone; PostgreSQL a datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_date(value: date | str) -> date:
    """A stored day as a date (SQLite keeps 'YYYY-MM-DD')."""
    return date.fromisoformat(value) if isinstance(value, str) else value
