"""Bulk appends to the registers (imports, allocation results, the demo), in the caller's
transaction, numbered as add_request numbers them (REG-01, REG-02, NGI-03)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select, text, update
from sqlmodel import Session

from lopdesk.domain import audit_rows
from lopdesk.domain.bulk import insert_tuples, moment_binder
from lopdesk.domain.models import CapacityLevel, RegisterCounter, RegisterEntry, RegisterEvent
from lopdesk.domain.refusals import notify_lop

_CHUNK = 5000  # rows per executemany


def _chunks(items: list[str], size: int = 900) -> list[list[str]]:
    """IN-lists below SQLite's parameter limit."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def bulk_append(s: Session, user: str, rows: list[dict], *, rule: str | None,
                message: str, source: str, notify: bool = True) -> list[int]:
    """Append many entries in the caller's transaction, as add_request would number them.

    rows: level_id, child_id, requested_at, priority_group, contingent, status and optional
    reason, waitlist_position, allocation_run_id. Numbers continue per register (REG-01),
    an earlier timestamp is flagged (REG-01), every entry gets its 'created' event (REG-02).
    Returns the new entry ids in the order of `rows`. With `notify=False` the caller writes
    the LOP notifications of the refused entries itself (NGI-03; an import, once at its end).
    """
    by_level: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_level.setdefault(row["level_id"], []).append(i)
    counters, last_at = _reserve_numbers(s, by_level)
    seqs, flags = _number(rows, by_level, counters, last_at)
    ids = _reserve_ids(s, "register_entry", len(rows))
    texts = _moment_texts(s)
    values, digests = [], []
    for i, r in enumerate(rows):
        at, history = r["requested_at"], r.get("history")
        changed = history[-1][0] if history else at
        reason, position, run = r.get("reason"), r.get("waitlist_position"), \
            r.get("allocation_run_id")
        at_text, at_value = texts(at)
        changed_text, changed_value = (at_text, at_value) if changed is at else texts(changed)
        row = (ids[i], r["level_id"], seqs[i], at_value, r["child_id"],
               r.get("priority_group", "none"), r["contingent"], r["status"], reason,
               flags[i], None, source, position, run, changed_value, 1)
        values.append(row)
        # the row's canonical texts in column order (audit_rows.row_digest), sealed (REG-02)
        digests.append((str(ids[i]), audit_rows.digest_text("\x1f".join((
            str(ids[i]), row[1], str(row[2]), at_text, *row[4:8],
            _NONE if reason is None else reason, "1" if row[9] else "0", _NONE, source,
            _NONE if position is None else str(position), _NONE if run is None else str(run),
            changed_text, "1")))))
    if s.connection().dialect.name == "sqlite":
        # by register (stable: ids ascending in each): the indexes that lead with level_id
        # are then filled in order, about a fifth faster. The ids are the rows' own, so
        # SQLite's tables and indexes come out the same whatever the order of the inserts.
        values.sort(key=itemgetter(1))
    insert_tuples(s, _ENTRY_TABLE, _ENTRY_COLUMNS, values, _CHUNK)
    audit_rows.seal_digests(s, "register_entry", digests)
    del values, digests
    _insert_events(s, _events(rows, ids, user, rule, message), texts)
    refused = [ids[i] for i, r in enumerate(rows) if r["status"] == "non_realised"]
    if refused and notify:
        notify_lop(s, user, refused, None)
    return ids


_NONE = audit_rows.NONE
_ENTRY_TABLE = RegisterEntry.__table__  # type: ignore[attr-defined]
_EVENT_TABLE = RegisterEvent.__table__  # type: ignore[attr-defined]
# the columns in table order, as the rows are built (and as row_digest reads them)
_ENTRY_COLUMNS = tuple(c.name for c in _ENTRY_TABLE.columns)
_EVENT_COLUMNS = tuple(c.name for c in _EVENT_TABLE.columns)


def _moment_texts(s: Session) -> Callable[[datetime], tuple[str, Any]]:
    """A datetime's canonical text (for the digests) and its value for the driver, each
    computed once per value: an entry's moment recurs in its row and in its event."""
    bind = moment_binder(s)
    canonical = audit_rows.canonical_moment
    memo: dict[datetime, tuple[str, Any]] = {}

    def texts(at: datetime) -> tuple[str, Any]:
        both = memo.get(at)
        if both is None:
            both = memo[at] = (canonical(at), bind(at))
        return both
    return texts


def _reserve_ids(s: Session, table: str, n: int) -> list[int]:
    """n new ids of `table`, in increasing order, for rows inserted with their ids. SQLite
    hands out the highest id plus one, and the write transaction holds the database's only
    write lock; PostgreSQL takes them from the table's sequence."""
    if n == 0:
        return []
    if s.connection().dialect.name != "postgresql":
        before = s.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0
        return list(range(before + 1, before + n + 1))
    return sorted(s.execute(text(
        "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table, "n": n}).scalars())


def _insert_events(s: Session, events: list[tuple],
                   texts: Callable[[datetime], tuple[str, Any]]) -> None:
    """Insert the events (entry_id, at, user, kind, from_status, to_status, reason,
    rule_id) with new ids, and seal them from their values (REG-02)."""
    ids = _reserve_ids(s, "register_event", len(events))
    digests, values = [], []
    for eid, (entry_id, at, who, kind, from_status, to_status, reason, rule_id) in zip(
            ids, events, strict=True):
        at_text, at_value = texts(at)
        digests.append((str(eid), audit_rows.digest_text("\x1f".join((
            str(eid), str(entry_id), at_text, who, kind,
            _NONE if from_status is None else from_status,
            _NONE if to_status is None else to_status, reason,
            _NONE if rule_id is None else rule_id)))))
        values.append((eid, entry_id, at_value, who, kind, from_status, to_status, reason,
                       rule_id))
    insert_tuples(s, _EVENT_TABLE, _EVENT_COLUMNS, values, _CHUNK)
    audit_rows.seal_digests(s, "register_event", digests)


# The newest entry's moment of a register: one step down the (level_id, seq) index, not a
# scan of the register (a large import asks once per part).
_NEWEST_AT = (select(RegisterEntry.requested_at)
              .where(RegisterEntry.level_id == CapacityLevel.id)
              .order_by(RegisterEntry.seq.desc()).limit(1)
              .correlate(CapacityLevel).scalar_subquery())


def _reserve_numbers(s: Session, by_level: dict[str, list[int]]
                     ) -> tuple[dict[str, int], dict[str, datetime]]:
    """Lock the registers and take as many numbers as each gets (REG-01). Returns the last
    number before the new rows and the newest timestamp per register, in a few set-based
    statements instead of three per register (imports of 20,000 rows)."""
    levels = sorted(by_level)
    counters: dict[str, int] = {}
    last_at: dict[str, datetime] = {}
    for part in _chunks(levels):
        counters.update(s.execute(
            select(RegisterCounter.level_id, RegisterCounter.last_seq)
            .where(RegisterCounter.level_id.in_(part)).with_for_update()).all())
        last_at.update((level_id, at) for level_id, at in s.execute(
            select(CapacityLevel.id, _NEWEST_AT).where(CapacityLevel.id.in_(part)))
            if at is not None)
    missing = [lv for lv in levels if lv not in counters]
    for level_id in missing:
        current = s.execute(select(func.coalesce(func.max(RegisterEntry.seq), 0))
                            .where(RegisterEntry.level_id == level_id)).scalar_one()
        s.add(RegisterCounter(level_id=level_id, last_seq=current))
        counters[level_id] = int(current)
    if missing:
        s.flush()
    s.execute(update(RegisterCounter),  # ORM bulk UPDATE by primary key
              [{"level_id": lv, "last_seq": counters[lv] + len(by_level[lv])} for lv in levels])
    return counters, last_at


def _number(rows: list[dict], by_level: dict[str, list[int]], counters: dict[str, int],
            last_at: dict[str, datetime]) -> tuple[list[int], list[bool]]:
    """Sequence numbers in row order per register, and the REG-01 flag of a timestamp
    earlier than the register's newest one."""
    seqs: list[int] = [0] * len(rows)
    flags: list[bool] = [False] * len(rows)
    for level_id, idxs in by_level.items():
        first = counters[level_id]
        prev = last_at.get(level_id)
        if prev is not None and prev.tzinfo is None:
            prev = prev.replace(tzinfo=UTC)
        for k, i in enumerate(idxs):
            seqs[i] = first + k + 1
            at = rows[i]["requested_at"]
            flags[i] = prev is not None and at < prev
            prev = at if prev is None or at > prev else prev
    return seqs, flags


def _events(rows: list[dict], ids: list[int], user: str, rule: str | None,
            message: str) -> list[tuple]:
    """The 'created' event of every new entry (REG-02), or the history a row brings:
    (entry_id, at, user, kind, from_status, to_status, reason, rule_id)."""
    events = []
    for i, r in enumerate(rows):
        # `history` (optional): the status the entry was created with and its later changes,
        # e.g. a demo or an import of a register that went through priority periods.
        history = r.get("history")
        if not history:
            events.append((ids[i], r["requested_at"], user, "created", None, r["status"],
                           r.get("event_reason", message), r.get("rule", rule)))
            continue
        for k, (at, from_status, to_status, reason, ev_rule) in enumerate(history):
            events.append((ids[i], at, user, "created" if k == 0 else "status",
                           from_status, to_status, reason, ev_rule))
    return events
