"""Append-only, hash-chained audit trail (domain §10).

Every change goes through `record` inside the same transaction as the change itself.
The chain head is one row that each writer updates, which serialises audit writers on
PostgreSQL (row lock) as BEGIN IMMEDIATE does on SQLite.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from lopdesk.domain.models import AuditHead, AuditRecord
from lopdesk.domain.types import utcnow

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


def append(session: Session, user: str, action: str, entity: str, entity_id: Any,
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Append one audit record in the caller's transaction; returns its column values."""
    at = at or utcnow()
    # The head read goes through the session (autoflush keeps the caller's statement order
    # and so its lock order on PostgreSQL); the rest are Core statements on its connection.
    row = session.execute(_READ_HEAD).first()
    if row is None:
        ensure_head(session)
        row = (0, GENESIS)
    last_id, last_hash = row
    rec_id = last_id + 1
    detail_text = canonical(detail)
    digest = record_hash(last_hash, rec_id, at, user, action, entity, str(entity_id),
                         detail_text)
    values = {"id": rec_id, "at": at, "user": user, "action": action, "entity": entity,
              "entity_id": str(entity_id), "detail": detail_text, "prev_hash": last_hash,
              "hash": digest}
    conn = session.connection()
    conn.execute(_INSERT_RECORD, values)
    conn.execute(_MOVE_HEAD, {"new_id": rec_id, "new_hash": digest})
    return values


def record(session: Session, user: str, action: str, entity: str, entity_id: Any,
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> AuditRecord:
    """Append one audit record in the caller's transaction."""
    return AuditRecord(**append(session, user, action, entity, entity_id, detail, at))


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
    if head is not None and head.last_id != expected_id - 1:
        problems.append(ChainProblem(head.last_id, "laatste record(s) ontbreken (verwijderd)"))
    return problems


@dataclass(frozen=True)
class Head:
    """The newest audit record: its id and hash (0 and the genesis hash when empty)."""

    id: int
    hash: str


def head(db: Any) -> Head:
    """The chain head as documents print it in their footer: anyone holding the trail can
    check that the document was made when the trail ended at this record."""
    with db.read() as s:
        row = s.execute(select(_HEAD.c.last_id, _HEAD.c.last_hash)
                        .where(_HEAD.c.id == 1)).first()
    return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))
