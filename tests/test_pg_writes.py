"""How a write transaction ends on PostgreSQL (db.Database.write, pg_write.run_last, audit.append).

The audit chain step is one statement the server hashes, sent with the COMMIT; the write
engine commits early (its row locks are free before the WAL flush) and waits for the flush
in the same message. These tests pin what must not change with that: the chain verifies
(with non-ASCII text, domain §10), an acknowledged write is on disk, a later statement in
the same transaction sees the record, a lock timeout on the chain head leaves nothing
behind, and a pooled connection the server dropped is replaced without a failed write.
"""

from __future__ import annotations

import pytest
from builders import basic, t
from conftest import PG_URL, as_user
from sqlalchemy import select, text

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import audit, ops, registers
from lopdesk.domain.models import AuditRecord, RegisterEntry
from lopdesk.errors import Busy, PermissionDenied

pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (LOPDESK_TEST_PG_URL)")


@pg_only
def test_server_hashed_chain_verifies_with_non_ascii_text(db):
    level, kids = basic(db, capacity=1)
    registers.add_request(db, level, kids[0], at=t(1))
    with db.write() as s:
        audit.append(s, db.user, "note.add", "école", "Zoë-1", {"tekst": "één € 😀"})
    registers.add_request(db, level, kids[1], at=t(2))  # non-realised: a LOP notice in between
    report = ops.verify_audit(db)
    assert report.ok, report
    with db.read() as s:
        recs = s.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
    assert [r.id for r in recs] == list(range(1, len(recs) + 1))
    mine = next(r for r in recs if r.action == "note.add")
    assert (mine.entity, mine.entity_id) == ("école", "Zoë-1")
    assert mine.hash == audit.record_hash(mine.prev_hash, mine.id, mine.at, mine.user,
                                          mine.action, mine.entity, mine.entity_id,
                                          mine.detail)


@pg_only
def test_a_later_statement_in_the_transaction_sees_the_record(db):
    basic(db)
    with db.write() as s:
        audit.append(s, db.user, "note.add", "x", "1", {})
        seen = s.execute(select(AuditRecord.action).order_by(AuditRecord.id.desc())
                         .limit(1)).scalar_one()
    assert seen == "note.add"
    assert ops.verify_audit(db).ok


@pg_only
def test_an_acknowledged_write_is_flushed_to_disk(db):
    level, kids = basic(db)
    with db.write() as s:
        registers.add_request_in(s, db.user, level, kids[0], at=t(1))
        s.flush()
        s.execute(text("SELECT 1"))  # runs the queued inserts and chain step first
        written = s.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar_one()
    with db.reader.connect() as conn:
        flushed_past = conn.execute(text("SELECT pg_current_wal_flush_lsn() >= :lsn"),
                                    {"lsn": written}).scalar_one()
    assert flushed_past


@pg_only
def test_head_lock_timeout_leaves_nothing_behind(db):
    level, kids = basic(db)
    quick = Database(Settings(db_url=db.url, user=db.user, pg_lock_timeout=0.3))
    holder = db.reader.connect()
    try:
        holder.execute(text("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE"))
        with pytest.raises(Busy):
            registers.add_request(quick, level, kids[0], at=t(1))
    finally:
        holder.rollback()
        holder.close()
        quick.dispose()
    with db.read() as s:
        assert s.execute(select(RegisterEntry.id)).first() is None
    registers.add_request(db, level, kids[0], at=t(2))  # and the register number is still 1
    with db.read() as s:
        assert s.execute(select(RegisterEntry.seq)).scalars().all() == [1]
    assert ops.verify_audit(db).ok


@pg_only
def test_a_dropped_pooled_connection_is_replaced_before_a_write(db):
    level, kids = basic(db)
    registers.add_request(db, level, kids[0], at=t(1))  # the write engine now pools a connection
    with db.reader.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.commit()
    registers.add_request(db, level, kids[1], at=t(2))
    with db.read() as s:
        assert sorted(s.execute(select(RegisterEntry.seq)).scalars()) == [1, 2]


def test_a_viewer_cannot_add_a_request_and_nothing_is_numbered(db):
    """The role is read with the numbering (one round trip) but refuses before anything
    commits: the next request still gets number 1 (REG-01)."""
    level, kids = basic(db)
    with pytest.raises(PermissionDenied):
        registers.add_request(as_user(db, "kijker"), level, kids[0], at=t(1))
    with pytest.raises(PermissionDenied):
        registers.add_request(as_user(db, "onbekend"), level, kids[0], at=t(1))
    assert registers.add_request(db, level, kids[0], at=t(2)).seq == 1


@pg_only
def test_a_write_is_one_transaction_and_an_error_leaves_nothing(db):
    """The write engine begins its transactions itself (no driver BEGIN): every statement
    still runs inside it, and an error rolls all of it back."""
    import time

    level, kids = basic(db)
    with db.write() as s:
        first = s.execute(text("SELECT now()")).scalar_one()
        time.sleep(0.02)
        assert s.execute(text("SELECT now()")).scalar_one() == first  # one transaction
    with pytest.raises(RuntimeError), db.write() as s:
        registers.add_request_in(s, db.user, level, kids[0], at=t(1))
        s.execute(text("SELECT 1"))  # the queued inserts and chain step have run
        raise RuntimeError("stop")
    with db.read() as s:
        assert s.execute(select(RegisterEntry.id)).first() is None
        assert s.execute(select(AuditRecord.action)
                         .where(AuditRecord.action == "register.add")).first() is None
    assert ops.verify_audit(db).ok
