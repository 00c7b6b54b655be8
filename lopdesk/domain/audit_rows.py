"""Content hashes of the rows lopdesk writes, sealed into the audit chain (REG-02, §10).

Every write transaction collects the rows it wrote in the audited tables: ORM objects
through the session's `after_flush` event, Core and driver inserts through `touch` (read
back at record time) or, on the hot paths, `seal` (hashed from the values just inserted).
When the transaction appends its audit record, their digests go into the record's detail
under `ROWS_KEY` ({table: {pk: digest or None when deleted}}), inside the hash chain.
`audit verify` recomputes the digests from the tables: a row whose digest differs from
the latest one in the chain was changed outside lopdesk, a row without one was inserted
outside it, a digest whose row is gone marks a deletion.

Values are hashed as the column types give them (UTC datetimes, booleans), the same
whether they come from the writer's values or from the verifier's read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session, object_mapper
from sqlalchemy.orm.exc import UnmappedInstanceError
from sqlmodel import SQLModel

ROWS_KEY = "_rows"
_PENDING = "audit_rows_pending"  # rows to read back: {table: {column: keys}}
_SEALED = "audit_rows_sealed"  # digests of rows a hot path inserted: {table: {key: digest}}

# The tables whose content the chain vouches for: registers and their history, capacities
# and their requests, full declarations, offers, users and roles, cases and their timelines.
AUDITED: tuple[str, ...] = (
    "register_entry", "register_event", "capacity_level", "capacity_decision",
    "full_declaration", "full_declaration_level", "offer", "app_user",
    "mediation_case", "case_event", "case_proposal", "case_party", "case_refusal",
    "refusal_notice",
)
_AUDITED = frozenset(AUDITED)
_CHUNK = 900  # IN-lists below SQLite's parameter limit


@cache
def table(name: str) -> Table:
    import lopdesk.domain.mediation_models  # noqa: F401  (registers the case tables)
    import lopdesk.domain.models  # noqa: F401

    return SQLModel.metadata.tables[name]


def _norm(value: Any) -> str:
    """One text per value, the same whichever driver read it."""
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return canonical_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def canonical_moment(value: datetime) -> str:
    """The canonical text of a datetime (naive ones are UTC)."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


# an entry's moment recurs in its row and in its event
_norm_datetime = lru_cache(maxsize=16_384)(canonical_moment)


# `_norm` by exact type for the common ones (imports hash millions of values); a bool is
# not an int here, as in `_norm`.
_FAST: dict[type, Any] = {int: str, type(None): lambda _v: "\x00",
                          bool: lambda v: "1" if v else "0", float: repr,
                          datetime: _norm_datetime}


def row_digest(values: Iterable[Any]) -> str:
    """128-bit digest of a row's canonical content (its columns in table order)."""
    get = _FAST.get
    text = "\x1f".join([v if type(v) is str else (get(type(v)) or _norm)(v) for v in values])
    return digest_text(text)


NONE = "\x00"  # the canonical text of None


def digest_text(text: str) -> str:
    """The digest of a row whose canonical texts, joined by US (\\x1f), are `text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _key(row: Any, pk_cols: list[Any]) -> str:
    mapping = row._mapping
    return "/".join(str(mapping[c.name]) for c in pk_cols)


def touch(s: Session, name: str, column: str, values: Iterable[Any]) -> None:
    """Mark rows written outside the ORM (Core or driver inserts) for the next record."""
    if name not in _AUDITED:
        return
    pending = s.info.setdefault(_PENDING, {})
    pending.setdefault(name, {}).setdefault(column, set()).update(values)


def pending(s: Session) -> bool:
    return bool(s.info.get(_PENDING) or s.info.get(_SEALED))


def after_flush(session: Session, _context: Any) -> None:
    """Session event: note the audited rows this flush inserted, updated or deleted."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = getattr(obj, "__tablename__", None)
        if name not in _AUDITED:
            continue
        try:
            mapper = object_mapper(obj)
        except UnmappedInstanceError:  # pragma: no cover - only mapped objects are flushed
            continue
        key = mapper.primary_key_from_instance(obj)
        touch(session, name, mapper.primary_key[0].name, [key[0]])


@cache
def _read_back(name: str, column: str) -> Select:
    """Built once per table and column (SQLAlchemy's compiled cache does the rest)."""
    tbl = table(name)
    return select(tbl).where(tbl.c[column].in_(bindparam("keys", expanding=True)))


def seal(s: Session, name: str, rows: Iterable[dict[str, Any]]) -> None:
    """Digests of rows a hot path has just inserted, from the values it inserted (each
    dict holds every column, the primary key included): no read back. The values are
    hashed as the column types give them back, so the verifier's digest is the same."""
    tbl = table(name)
    names = [c.name for c in tbl.columns]
    pk = [c.name for c in tbl.primary_key.columns]
    sealed = s.info.setdefault(_SEALED, {}).setdefault(name, {})
    take = itemgetter(*names)
    for row in rows:
        key = str(row[pk[0]]) if len(pk) == 1 else "/".join(str(row[c]) for c in pk)
        try:
            values = take(row)
        except KeyError:  # a column left to its default
            values = [row.get(c) for c in names]
        sealed[key] = row_digest(values)


def seal_digests(s: Session, name: str, digests: Iterable[tuple[str, str]]) -> None:
    """Digests (key, digest) a hot path computed itself from the values it inserted, with
    `digest_text` over the canonical texts (`canonical_moment`, NONE, ...) of the row."""
    s.info.setdefault(_SEALED, {}).setdefault(name, {}).update(digests)


def collect(s: Session) -> dict[str, dict[str, str | None]]:
    """Read back the rows marked in this transaction; their digests by table and key.
    Marked keys of the primary key that are gone map to None (deleted by lopdesk)."""
    marked = s.info.pop(_PENDING, None) or {}
    out: dict[str, dict[str, str | None]] = s.info.pop(_SEALED, None) or {}
    if not marked:
        return out
    conn = s.connection()
    for name in sorted(marked):
        tbl = table(name)
        pk_cols = list(tbl.primary_key.columns)
        digests = out.setdefault(name, {})
        for column, values in marked[name].items():
            keys = sorted(values, key=str)
            stmt = _read_back(name, column)
            for start in range(0, len(keys), _CHUNK):
                for row in conn.execute(stmt, {"keys": keys[start:start + _CHUNK]}):
                    digests[_key(row, pk_cols)] = row_digest(row)
            if len(pk_cols) == 1 and column == pk_cols[0].name:
                for key in keys:
                    digests.setdefault(str(key), None)
    return out


def current(s: Session, name: str) -> Iterator[tuple[str, str]]:
    """(key, digest) of every row of an audited table as it is now."""
    tbl = table(name)
    pk_cols = list(tbl.primary_key.columns)
    for row in s.connection().execute(select(tbl)):
        yield _key(row, pk_cols), row_digest(row)
