"""Bulk appends to the registers (imports, allocation results, the demo), in the caller's
transaction, numbered as add_request numbers them (REG-01, REG-02, NGI-03)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from lopdesk.domain import audit_rows
from lopdesk.domain.bulk import insert_rows
from lopdesk.domain.models import RegisterCounter, RegisterEntry, RegisterEvent
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
    values = [{
        "level_id": r["level_id"], "seq": seqs[i], "requested_at": r["requested_at"],
        "child_id": r["child_id"], "priority_group": r.get("priority_group", "none"),
        "contingent": r["contingent"], "status": r["status"], "reason": r.get("reason"),
        "out_of_order": flags[i], "overcapacity_category": None, "source": source,
        "waitlist_position": r.get("waitlist_position"),
        "allocation_run_id": r.get("allocation_run_id"),
        "status_changed_at": r["history"][-1][0] if r.get("history") else r["requested_at"],
        "version": 1,
    } for i, r in enumerate(rows)]
    table = RegisterEntry.__table__  # type: ignore[attr-defined]
    # executemany (or COPY) without RETURNING (SQLite would insert row by row to keep the
    # order); the new ids are read back.
    before = s.execute(select(func.max(RegisterEntry.id))).scalar() or 0
    insert_rows(s, table, values, _CHUNK)
    ids = _new_ids(s, before, rows, seqs, counters)
    for v, eid in zip(values, ids, strict=True):
        v["id"] = eid
    audit_rows.seal(s, "register_entry", values)
    del values
    _insert_events(s, _events(rows, ids, user, rule, message), ids)
    refused = [ids[i] for i, r in enumerate(rows) if r["status"] == "non_realised"]
    if refused and notify:
        notify_lop(s, user, refused, None)
    return ids


def _insert_events(s: Session, events: list[dict], entry_ids: list[int]) -> None:
    """Insert the events and seal them from their values (no read back of every column):
    their ids, handed out in insertion order, are read back as for the entries."""
    before = s.execute(select(func.max(RegisterEvent.id))).scalar() or 0
    insert_rows(s, RegisterEvent.__table__, events, _CHUNK)  # type: ignore[attr-defined]
    mine = set(entry_ids)
    new = [(eid, entry) for eid, entry in s.execute(
        select(RegisterEvent.id, RegisterEvent.entry_id)
        .where(RegisterEvent.id > before).order_by(RegisterEvent.id)) if entry in mine]
    if len(new) != len(events) or any(
            e["entry_id"] != entry for e, (_eid, entry) in zip(events, new, strict=True)):
        audit_rows.touch(s, "register_event", "entry_id", entry_ids)  # read back instead
        return
    for e, (eid, _entry) in zip(events, new, strict=True):
        e["id"] = eid
    audit_rows.seal(s, "register_event", events)


def _new_ids(s: Session, before: int, rows: list[dict], seqs: list[int],
             counters: dict[str, int]) -> list[int]:
    """The ids of the rows just inserted, in the order of `rows`. Every id handed out after
    `before` is higher; other writers' new rows are at other registers (the counters are
    locked) or skipped by their (level_id, seq), which is unique."""
    id_of: dict[tuple[str, int], int] = {}
    for eid, level_id, seq in s.execute(
            select(RegisterEntry.id, RegisterEntry.level_id, RegisterEntry.seq)
            .where(RegisterEntry.id > before)):
        if level_id in counters and seq > counters[level_id]:
            id_of[(level_id, seq)] = eid
    return [id_of[(r["level_id"], seqs[i])] for i, r in enumerate(rows)]


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
        newest = (select(RegisterEntry.level_id, func.max(RegisterEntry.seq).label("seq"))
                  .where(RegisterEntry.level_id.in_(part))
                  .group_by(RegisterEntry.level_id).subquery())
        last_at.update(s.execute(
            select(RegisterEntry.level_id, RegisterEntry.requested_at)
            .join(newest, (newest.c.level_id == RegisterEntry.level_id)
                  & (newest.c.seq == RegisterEntry.seq))).all())
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
            message: str) -> list[dict]:
    """The 'created' event of every new entry (REG-02), or the history a row brings."""
    events = []
    for i, r in enumerate(rows):
        # `history` (optional): the status the entry was created with and its later changes,
        # e.g. a demo or an import of a register that went through priority periods.
        history = r.get("history")
        if not history:
            events.append({"entry_id": ids[i], "at": r["requested_at"], "user": user,
                           "kind": "created", "from_status": None, "to_status": r["status"],
                           "reason": r.get("event_reason", message),
                           "rule_id": r.get("rule", rule)})
            continue
        for k, (at, from_status, to_status, reason, ev_rule) in enumerate(history):
            events.append({"entry_id": ids[i], "at": at, "user": user,
                           "kind": "created" if k == 0 else "status",
                           "from_status": from_status, "to_status": to_status,
                           "reason": reason, "rule_id": ev_rule})
    return events
