"""Append-only, hash-chained audit trail (domain §10).

Every change goes through `record` inside the same transaction as the change itself.
The chain head is one row that each writer updates, which serialises audit writers on
PostgreSQL (row lock) as BEGIN IMMEDIATE does on SQLite. Each record also carries the
digests of the audited rows its transaction wrote (audit_rows), so the chain vouches for
the tables' content; a transaction that writes such rows after its last record gets one
more record ("audit.rows") at commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from lopdesk.config import process_user
from lopdesk.db import Database
from lopdesk.domain import audit_rows
from lopdesk.domain.models import AuditHead, AuditRecord
from lopdesk.domain.types import utcnow
from lopdesk.pg_write import run_last

GENESIS = "0" * 64


def canonical(detail: dict[str, Any] | None) -> str:
    return json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str)


def record_hash(prev_hash: str, rec_id: int, at: datetime, user: str, action: str,
                entity: str, entity_id: str, detail: str) -> str:
    payload = "\x1f".join(
        [prev_hash, str(rec_id), at.isoformat(), user, action, entity, entity_id, detail]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, last_id=0, last_hash=GENESIS))
        session.flush()


_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_RECORD = AuditRecord.__table__  # type: ignore[attr-defined]
# Built once: this runs in every write transaction.
_READ_HEAD = select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_RECORD = insert(_RECORD)
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1)
              .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash")))


# PostgreSQL: the whole chain step in one statement (the driver's paramstyle), run as the
# transaction's last step (db.run_last), so the head's row lock is held for that statement
# and the commit only. The server hashes exactly what record_hash hashes: the previous
# hash, the id and the rest (`tail`, which starts with the separator). FOR UPDATE waits
# for the writer before and then reads the head it left (READ COMMITTED); a missing head
# is the genesis, as in _append_here.
_CHAIN_STEP = """
    WITH head AS (
        SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE
    ), rec AS (
        SELECT COALESCE(head.last_id, 0) + 1 AS id,
               COALESCE(head.last_hash, %(genesis)s) AS prev_hash
        FROM (SELECT 1) AS one LEFT JOIN head ON true
    ), hashed AS (
        SELECT id, prev_hash, encode(sha256(convert_to(
            prev_hash || chr(31) || id::text || %(tail)s, 'UTF8')), 'hex') AS hash
        FROM rec
    ), added AS (
        INSERT INTO audit_record (id, at, "user", action, entity, entity_id, detail,
                                  prev_hash, hash)
        SELECT id, %(at)s, %(user)s, %(action)s, %(entity)s, %(entity_id)s, %(detail)s,
               prev_hash, hash
        FROM hashed
    )
    INSERT INTO audit_head (id, last_id, last_hash) SELECT 1, id, hash FROM hashed
    ON CONFLICT (id) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash
"""


def append(session: Session, user: str, action: str, entity: str, entity_id: Any,
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Append one audit record in the caller's transaction; returns its column values.
    On PostgreSQL the record is written at the transaction's next statement or its commit,
    so id, prev_hash and hash are None here."""
    at = at or utcnow()
    session.flush()  # the caller's pending rows first: in this record, in statement order
    rows = audit_rows.collect(session)
    if rows:
        detail = {**(detail or {}), audit_rows.ROWS_KEY: rows}
    values = {"at": at, "user": user, "action": action, "entity": entity,
              "entity_id": str(entity_id), "detail": canonical(detail)}
    if session.get_bind().dialect.name != "postgresql":
        return _append_here(session, values)
    tail = "\x1f".join(["", at.isoformat(), user, action, entity, values["entity_id"],
                        values["detail"]])
    run_last(session, _CHAIN_STEP,
             {**values, "at": at.astimezone(UTC), "tail": tail, "genesis": GENESIS})
    return {"id": None, **values, "prev_hash": None, "hash": None}


def _append_here(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The chain step with the hash computed here (SQLite, and a chain without a head)."""
    # The head read goes through the session (autoflush keeps the caller's statement order
    # and so its lock order on PostgreSQL); the rest are Core statements on its connection.
    row = session.execute(_READ_HEAD).first()
    if row is None:
        ensure_head(session)
        row = (0, GENESIS)
    last_id, last_hash = row
    rec_id = last_id + 1
    digest = record_hash(last_hash, rec_id, values["at"], values["user"], values["action"],
                         values["entity"], values["entity_id"], values["detail"])
    values = {"id": rec_id, **values, "prev_hash": last_hash, "hash": digest}
    conn = session.connection()
    conn.execute(_INSERT_RECORD, values)
    conn.execute(_MOVE_HEAD, {"new_id": rec_id, "new_hash": digest})
    return values


def record(session: Session, user: str, action: str, entity: str, entity_id: Any,
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> AuditRecord:
    """Append one audit record in the caller's transaction."""
    return AuditRecord(**append(session, user, action, entity, entity_id, detail, at))


def _seal_on_commit(session: OrmSession) -> None:
    """Rows written after the transaction's last audit record get a record of their own."""
    session.flush()
    if audit_rows.pending(session):
        db = session.info.get("database")
        user = db.user if db is not None else process_user()
        append(session, user, "audit.rows", "database", "*", {})  # type: ignore[arg-type]


event.listen(OrmSession, "after_flush", audit_rows.after_flush)
event.listen(OrmSession, "before_commit", _seal_on_commit)


@dataclass
class ChainProblem:
    record_id: int
    problem: str


def verify(session: Session) -> list[ChainProblem]:
    """Walk the chain; report edited, inserted or deleted records by id."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_id = 1
    rows = session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars()
    for rec in rows:
        assert rec.id is not None
        if rec.id != expected_id:
            problems.append(ChainProblem(expected_id, f"record(s) {expected_id}..{rec.id - 1} "
                                                      "ontbreken (verwijderd)"))
        if rec.prev_hash != prev:
            problems.append(ChainProblem(rec.id, "schakel naar vorige record klopt niet"))
        digest = record_hash(rec.prev_hash, rec.id, rec.at, rec.user, rec.action, rec.entity,
                             rec.entity_id, rec.detail)
        if digest != rec.hash:
            problems.append(ChainProblem(rec.id, "inhoud gewijzigd (hash klopt niet)"))
        prev = rec.hash
        expected_id = rec.id + 1
    head = session.get(AuditHead, 1)
    last_id = expected_id - 1
    if head is None:
        if last_id:
            problems.append(ChainProblem(last_id, "kop van de keten ontbreekt (verwijderd)"))
    elif head.last_id != last_id:
        problems.append(ChainProblem(head.last_id, "laatste record(s) ontbreken (verwijderd)"))
    elif head.last_hash != prev:
        problems.append(ChainProblem(head.last_id, "kop van de keten klopt niet met het "
                                                   "laatste record (gewijzigd)"))
    return problems


@dataclass
class RowProblem:
    record_id: int  # the record with the row's latest digest; 0 when there is none
    kind: str  # row_changed | row_inserted | row_deleted
    table: str
    key: str


def _sealed(session: Session) -> dict[str, dict[str, tuple[str | None, int]]]:
    """The latest digest of every row in the chain, with the record that holds it."""
    latest: dict[str, dict[str, tuple[str | None, int]]] = {}
    marker = f'"{audit_rows.ROWS_KEY}"'
    q = (select(AuditRecord.id, AuditRecord.detail)
         .where(AuditRecord.detail.contains(marker)).order_by(AuditRecord.id))
    for rec_id, detail in session.execute(q):
        try:
            rows = json.loads(detail).get(audit_rows.ROWS_KEY) or {}
        except (ValueError, AttributeError):
            continue  # an edited record: the chain walk reports it
        for name, digests in rows.items():
            table = latest.setdefault(name, {})
            for key, digest in digests.items():
                table[key] = (digest, rec_id)
    return latest


def verify_rows(session: Session) -> list[RowProblem]:
    """Compare every audited row with its latest digest in the chain (REG-02)."""
    latest = _sealed(session)
    problems: list[RowProblem] = []
    for name in audit_rows.AUDITED:
        sealed = latest.get(name, {})
        seen: set[str] = set()
        for key, digest in audit_rows.current(session, name):
            seen.add(key)
            known, rec_id = sealed.get(key, (None, 0))
            if known is None:
                problems.append(RowProblem(rec_id, "row_inserted", name, key))
            elif known != digest:
                problems.append(RowProblem(rec_id, "row_changed", name, key))
        for key, (known, rec_id) in sealed.items():
            if known is not None and key not in seen:
                problems.append(RowProblem(rec_id, "row_deleted", name, key))
    return problems


class Head(NamedTuple):
    """The newest audit record: its id and hash (0 and the genesis hash when empty)."""

    id: int
    hash: str


def head(db: Database) -> Head:
    """The end of the chain now, as documents print it: anyone holding the trail can check
    that the document was made when the trail ended at this record."""
    with db.read() as s:
        row = s.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash)
                        .where(_HEAD.c.id == 1)).first()
    return Head(int(row[0]), str(row[1])) if row is not None else Head(0, GENESIS)


def anchor_problem(session: Session, anchor_id: int, anchor_hash: str) -> str | None:
    """Why the chain no longer contains an anchored head, or None when it does."""
    if anchor_id == 0:
        return None
    rec = session.get(AuditRecord, anchor_id)
    if rec is None:
        return (f"het anker wijst naar record {anchor_id}, dat niet meer in de keten staat "
                "(ingekort)")
    if rec.hash != anchor_hash:
        return (f"record {anchor_id} heeft niet meer de hash van het anker "
                "(keten herschreven)")
    return None
