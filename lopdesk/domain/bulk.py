"""Many rows into one table at driver speed, inside the caller's transaction.

SQLAlchemy's executemany builds and processes a parameter dict per row in Python; for
imports of tens of thousands of rows that is most of the time. Here the statement is
written once and the rows go to the driver's executemany as tuples, each value passed
through the column type's own bind processor (so UTC datetimes are stored exactly as the
ORM stores them), on SQLite and PostgreSQL alike. On PostgreSQL with psycopg 3 the rows go
through COPY instead, several times faster than executemany there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session


def insert_rows(s: Session, table: Table, rows: Sequence[dict[str, Any]],
                chunk: int = 10_000) -> None:
    if not rows:
        return
    dialect = s.connection().dialect
    columns = list(rows[0].keys())
    # columns left out get their Python-side default, as the ORM would give them
    defaults: dict[str, Any] = {}
    for col in table.columns:
        if col.name in columns or col.default is None or col.primary_key:
            continue
        if col.default.is_scalar:
            defaults[col.name] = col.default.arg
        elif col.default.is_callable:
            defaults[col.name] = col.default.arg(None)
    if defaults:
        rows = [{**defaults, **r} for r in rows]
        columns = list(rows[0].keys())
    # TypeDecorator.bind_processor composes its process_bind_param with the impl's;
    # UTCDateTime columns take moment_binder's quicker way to the same values
    from lopdesk.domain.types import UTCDateTime

    moment = moment_binder(s)
    processors = [moment if isinstance(table.c[name].type, UTCDateTime)
                  else table.c[name].type.bind_processor(dialect) for name in columns]
    convert = _converter(columns, processors)
    _send(s, table, columns, rows, chunk, convert)


def insert_tuples(s: Session, table: Table, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]], chunk: int = 10_000) -> None:
    """Rows already in the driver's form (values in `columns` order; UTC datetimes through
    `moment_binder`, other values as the driver takes them): no per-row conversion here."""
    if rows:
        _send(s, table, columns, rows, chunk, None)


def _send(s: Session, table: Table, columns: Sequence[str], rows: Sequence[Any], chunk: int,
          convert: Callable[[Any], Sequence] | None) -> None:
    """executemany in parts of `chunk` rows, or COPY on PostgreSQL with psycopg 3."""
    conn = s.connection()
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(c) for c in columns)})"
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r if convert is None else convert(r))
        finally:
            cursor.close()
        return
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {target} VALUES ({', '.join([marker] * len(columns))})"
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        conn.exec_driver_sql(sql, part if convert is None else [convert(r) for r in part])


def rows_in(s: Session, sql: str, keys: Sequence[str], chunk: int = 900) -> Iterator[Any]:
    """The rows of `sql`, whose `{keys}` stands for a list of text keys, asked for in parts
    of `chunk` keys (below SQLite's bound-parameter limit; PostgreSQL: all as one array) as
    plain SQL through the driver: no statement built and compiled per part. Values come as
    the driver gives them."""
    s.flush()  # the session's pending rows first, as session.execute would
    conn = s.connection()
    if conn.dialect.name == "postgresql":  # one array: no limit, no query of 900 markers
        array = sql.format(keys="SELECT unnest(%s::text[])")
        yield from conn.exec_driver_sql(array, (list(keys),))
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(keys), chunk):
        part = tuple(keys[start:start + chunk])
        yield from conn.exec_driver_sql(sql.format(keys=", ".join([marker] * len(part))), part)


def moment_binder(s: Session) -> Callable[[datetime | None], Any]:
    """Aware datetimes to the driver's form for a UTCDateTime column, as its bind processor
    gives them. On SQLite a UTC value goes as the text sqlite3's adapter would make of the
    processor's naive UTC datetime (ISO with a space, no zone), without the per-value
    layers of the type and the adapter (imports bind hundreds of thousands)."""
    from lopdesk.domain.types import UTCDateTime

    dialect = s.connection().dialect
    process = UTCDateTime().bind_processor(dialect)
    if dialect.name != "sqlite":
        return process

    def bind(value: datetime | None) -> Any:
        if value is not None and value.tzinfo is UTC:
            return value.isoformat(" ")[:-6]  # without "+00:00"
        return process(value)
    return bind


def _converter(columns: list[str], processors: list[Any]) -> Callable[[dict], Sequence]:
    """A row dict to the driver's parameters: values in column order, each passed through
    its bind processor where the type has one."""
    take = itemgetter(*columns) if len(columns) > 1 else (lambda r: (r[columns[0]],))
    work = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not work:
        return take

    def convert(r: dict) -> tuple:
        values = list(take(r))
        for i, p in work:
            values[i] = p(values[i])
        return tuple(values)
    return convert
