"""Adding a request to a register (REG-01, REG-04, REG-06, CAP-01, CAP-06, CAP-07, WL-01).

The rules decide (rules.decide_request); this module reads the facts in one statement,
numbers the entry and writes it with its event on the connection (the hot path).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, literal_column, select, update
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit, audit_rows
from lopdesk.domain.access import require_with_next
from lopdesk.domain.calendar import area_free_days, waiting_list_deadline
from lopdesk.domain.errors import InvalidInput, NotFound, RuleViolation
from lopdesk.domain.models import (
    PRIORITY_GROUPS,
    CapacityLevel,
    Child,
    FullDeclaration,
    FullDeclarationLevel,
    OvercapacityCategory,
    Period,
    RegisterCounter,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.domain.refusals import NewRefusal, notify_lop
from lopdesk.domain.registers.rules import LevelState, OpenPeriod, decide_request
from lopdesk.domain.registers.store import next_seq
from lopdesk.domain.registers.views import EntryView
from lopdesk.domain.types import UTCDateTime, utcnow
from lopdesk.labels import LEVEL_KIND, REGIME, fmt_date
from lopdesk.pg_write import run_last, run_together

# --- the statements of the request hot path (built once; executed on the connection) ---

_ENTRY = RegisterEntry.__table__  # type: ignore[attr-defined]
_EVENT = RegisterEvent.__table__  # type: ignore[attr-defined]
_COUNTER = RegisterCounter.__table__  # type: ignore[attr-defined]
_LEVEL = CapacityLevel.__table__  # type: ignore[attr-defined]
_SCHOOL = School.__table__  # type: ignore[attr-defined]
_CHILD = Child.__table__  # type: ignore[attr-defined]
_PERIOD = Period.__table__  # type: ignore[attr-defined]
_FULL = FullDeclaration.__table__  # type: ignore[attr-defined]
_FULL_LEVEL = FullDeclarationLevel.__table__  # type: ignore[attr-defined]

# REG-01: the UPDATE takes the register's row lock, so numbers stay gap-free.
_BUMP_SEQ = (update(_COUNTER).where(_COUNTER.c.level_id == bindparam("register"))
             .values(last_seq=_COUNTER.c.last_seq + literal_column("1"))
             .returning(_COUNTER.c.last_seq))
_LEVEL_EXISTS = select(_LEVEL.c.id).where(_LEVEL.c.id == bindparam("level_id"))
_INSERT_ENTRY = insert(_ENTRY).returning(_ENTRY.c.id)
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)
_AT = bindparam("at", type_=UTCDateTime())
_OPEN_PERIOD = (  # the period open at the request's moment, only the columns REG-04 reads
    select(_PERIOD.c.kind, _PERIOD.c.group)
    .where(_PERIOD.c.level_id == bindparam("level_id"), _PERIOD.c.starts_at <= _AT,
           _PERIOD.c.closed_at.is_(None))
    .where(_PERIOD.c.ends_at.is_(None) | (_PERIOD.c.ends_at >= _AT))
    .order_by(_PERIOD.c.starts_at.desc(), _PERIOD.c.id.desc()).limit(1)
)


def _request_facts():
    """Level, child, full declaration (CAP-06), realised counts per contingent (CAP-04,
    REG-05), the previous entry's timestamp (REG-01) and whether anyone waits (WL-01):
    one statement instead of seven. The counts read the index ix_register_counts alone."""
    level_id = bindparam("level_id")
    e = _ENTRY.c
    one = literal_column("1")  # constants inline: fewer parameters to build on every call

    def realised(contingent: str):
        return (select(func.count()).select_from(_ENTRY)
                .where(e.level_id == level_id, e.status == literal_column("'realised'"),
                       e.contingent == literal_column(f"'{contingent}'"),
                       e.overcapacity_category.is_(None))
                .scalar_subquery())

    lv = _LEVEL.c
    return (
        select(
            lv.capacity, lv.seated_indicator, lv.seated_non_indicator, lv.indicator_ratio,
            lv.rounding, lv.enrolment_start, lv.regime, lv.kind, lv.label, lv.school_year,
            _SCHOOL.c.area_id, _SCHOOL.c.id.label("school_id"), _SCHOOL.c.mandates_lop_notices,
            select(_CHILD.c.indicator).where(_CHILD.c.id == bindparam("child_id"))
            .scalar_subquery().label("indicator"),
            select(_CHILD.c.birth_date).where(_CHILD.c.id == bindparam("child_id"))
            .scalar_subquery().label("birth_date"),
            select(_FULL.c.id)
            .join(_FULL_LEVEL, _FULL_LEVEL.c.declaration_id == _FULL.c.id)
            .where(_FULL_LEVEL.c.level_id == level_id, _FULL.c.lifted_at.is_(None))
            .limit(one).scalar_subquery().label("full_declaration_id"),
            realised("indicator").label("realised_indicator"),
            realised("non_indicator").label("realised_non_indicator"),
            select(e.requested_at).where(e.level_id == level_id, e.seq < (
                # the number just given (the counter is updated first, in this transaction)
                select(_COUNTER.c.last_seq).where(_COUNTER.c.level_id == level_id)
                .scalar_subquery()))
            .order_by(e.seq.desc()).limit(one).scalar_subquery().label("previous_at"),
            exists().where(e.level_id == level_id, e.status == literal_column("'non_realised'"))
            .label("waiting"),
            select(e.seq).where(e.level_id == level_id, e.child_id == bindparam("child_id"),
                                e.status != literal_column("'withdrawn'"))
            .limit(one).scalar_subquery().label("open_seq"),
        )
        .select_from(_LEVEL.outerjoin(_SCHOOL, _SCHOOL.c.id == lv.school_id))
        .where(lv.id == level_id)
    )


_REQUEST_FACTS = _request_facts()
# PostgreSQL: the new entry's and event's ids come with the facts, so that both rows can be
# inserted without waiting for a RETURNING: they go with the COMMIT (db.run_last).
_REQUEST_FACTS_PG = _REQUEST_FACTS.add_columns(*(
    func.nextval(func.pg_get_serial_sequence(table, "id")).label(f"new_{table}_id")
    for table in ("register_entry", "register_event")))


@cache
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """INSERT of exactly these columns in psycopg's paramstyle (db.run_last)."""
    from sqlalchemy.dialects.postgresql import psycopg

    quote = psycopg.dialect().identifier_preparer.quote
    return (f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(f'%({c})s' for c in columns)})")


def _insert(s: Session, returning: Any, values: dict[str, Any], new_id: int | None) -> int:
    """Insert one row and return its id: now with RETURNING, or, when the id is already
    known (PostgreSQL), as the transaction's next step (db.run_last)."""
    if new_id is None:
        return int(s.connection().execute(returning, values).scalar_one())
    row = {**values, "id": new_id}
    run_last(s, _insert_sql(returning.table.name, tuple(row)), row)
    return new_id


# --- adding a request ---------------------------------------------------------------------


def add_request(db: Database, level_id: str, child_id: str, *, priority_group: str = "none",
                at: datetime | None = None,
                overcapacity_category: str | None = None) -> EntryView:
    with db.write() as s:
        require_with_next(s, db.user, "register.write")
        return add_request_in(s, db.user, level_id, child_id, priority_group=priority_group,
                              at=at, overcapacity_category=overcapacity_category)


def check_birth_year(kind: str, label: str, birth_date: date | str | None, who: str,
                     field: str) -> None:
    """A nursery level is for one birth year (its label): a child born in another year is
    refused, the message under `field` (the child picked, or a new child's birth date)."""
    if kind == "nursery_birth_year" and birth_date is not None \
            and str(_as_date(birth_date).year) != str(label):
        raise InvalidInput(f"{who} is geboren in {_as_date(birth_date).year}; dit niveau is "
                           f"voor geboortejaar {label}.", field=field)


def _as_date(value: date | str) -> date:
    """A birth date from a scalar subquery (SQLite returns its text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def add_request_in(s: Session, user: str, level_id: str, child_id: str, *,
                   priority_group: str = "none", at: datetime | None = None,
                   overcapacity_category: str | None = None, source: str = "request",
                   forced_status: str | None = None) -> EntryView:
    if priority_group not in PRIORITY_GROUPS:
        raise InvalidInput(
            f"onbekende voorrangsgroep '{priority_group}' (kies uit "
            f"{', '.join(PRIORITY_GROUPS)}).", field="priority_group")
    seq, facts = _number_and_facts(s, level_id, child_id)
    conn = s.connection()
    pg = conn.dialect.name == "postgresql"
    at = (at or utcnow()).replace(microsecond=0)
    _check_request(facts, level_id, child_id, at)
    contingent = "indicator" if facts.indicator else "non_indicator"
    # The facts row carries the level columns LevelState and contingent_seats read.
    state = LevelState(facts, {"indicator": facts.realised_indicator,  # type: ignore[arg-type]
                               "non_indicator": facts.realised_non_indicator},
                       facts.full_declaration_id)
    if forced_status is None and overcapacity_category is not None:
        _check_category(s, facts, overcapacity_category)  # type: ignore[arg-type]
    # The period and the waiting list are read only when the rules get that far.
    by_rules = (forced_status is None and overcapacity_category is None
                and facts.full_declaration_id is None)
    decision = decide_request(
        state, contingent=contingent, priority_group=priority_group, at=at,
        period=_open_period(s, facts, level_id, at) if by_rules else None,
        waiting_deadline=_waiting_deadline(s, facts, state) if by_rules else None,
        overcapacity_category=overcapacity_category, forced_status=forced_status,
        source=source)
    previous = facts.previous_at
    out_of_order = previous is not None and at < previous  # REG-01: flagged, not reordered
    values = dict(
        level_id=level_id, seq=seq, requested_at=at, child_id=child_id,
        priority_group=priority_group, contingent=contingent, status=decision.status,
        reason=decision.reason, out_of_order=out_of_order,
        overcapacity_category=overcapacity_category, source=source, status_changed_at=at,
        version=1,
    )
    # Core INSERTs on the connection: the hot path of every request (REG-01).
    entry_id = _insert(s, _INSERT_ENTRY, values, facts.new_register_entry_id if pg else None)
    event = {
        "entry_id": entry_id, "at": at, "user": user, "kind": "created", "from_status": None,
        "to_status": decision.status, "rule_id": decision.rule,
        "reason": decision.message + (" — tijdstip vroeger dan vorige inschrijving"
                                      if out_of_order else "")}
    event_id = _insert(s, _INSERT_EVENT, event, facts.new_register_event_id if pg else None)
    # the rows' digests for the audit record, from the values just inserted (REG-02)
    audit_rows.seal(s, "register_entry", ({**values, "id": entry_id},))
    audit_rows.seal(s, "register_event", ({**event, "id": event_id},))
    if decision.status == "non_realised":
        notify_lop(s, user, [entry_id], at, new=NewRefusal(
            child_id, facts.school_id, facts.mandates_lop_notices, at))
    audit.append(s, user, "register.add", "register_entry", entry_id,
                 {"level_id": level_id, "seq": seq, "child_id": child_id,
                  "status": decision.status, "rule": decision.rule,
                  "out_of_order": out_of_order})
    return EntryView(entry_id, level_id, seq, at, child_id, priority_group, contingent,
                     decision.status, decision.reason, out_of_order, overcapacity_category, 1,
                     decision.rule, decision.message)


def _number_and_facts(s: Session, level_id: str, child_id: str) -> tuple[int, Any]:
    """Number the entry (which locks the register, REG-01), then read in one statement
    everything the rules read (_request_facts), with a fresh view after the lock. On
    PostgreSQL both go in one round trip (run_together), so the register stays locked for
    one round trip less."""
    facts_stmt = _REQUEST_FACTS
    if s.get_bind().dialect.name == "postgresql":
        facts_stmt = _REQUEST_FACTS_PG
        numbered, facts = run_together(s, [(_BUMP_SEQ, {"register": level_id}), (
            facts_stmt, {"level_id": level_id, "child_id": child_id})])
        if numbered:
            return int(numbered[0][0]), facts[0] if facts else None
    seq = _lock_and_number(s, level_id)
    return seq, s.connection().execute(
        facts_stmt, {"level_id": level_id, "child_id": child_id}).first()


def _lock_and_number(s: Session, level_id: str) -> int:
    """Lock the register first (REG-01), so that everything after sees a stable register.
    Through the session (autoflush of the caller's pending rows), the rest on its connection."""
    seq = s.execute(_BUMP_SEQ, {"register": level_id}).scalar()
    if seq is None:  # no counter row yet (or no such level: nothing is changed then)
        if s.connection().execute(_LEVEL_EXISTS, {"level_id": level_id}).first() is None:
            raise NotFound(f"capaciteitsniveau '{level_id}' bestaat niet.",
                           field="capaciteitsniveau")
        seq = next_seq(s, level_id)
    return int(seq)


def _check_request(facts: Any, level_id: str, child_id: str, at: datetime) -> None:
    """The refusals that come before any rule: unknown level or child, before the start
    (CAP-01), the wrong birth year, a second running request for the same level."""
    if facts is None:
        raise NotFound(f"capaciteitsniveau '{level_id}' bestaat niet.", field="capaciteitsniveau")
    if facts.indicator is None:
        raise NotFound(f"kind '{child_id}' bestaat niet.", field="kind")
    if facts.enrolment_start is not None and at < facts.enrolment_start:
        raise RuleViolation(
            f"de inschrijvingen voor dit niveau starten pas op {fmt_date(facts.enrolment_start)}.",
            rule="CAP-01")
    check_birth_year(facts.kind, facts.label, facts.birth_date, f"kind '{child_id}'",
                     "child_id")
    if facts.open_seq is not None:  # one running request per child and register
        raise RuleViolation(f"kind '{child_id}' staat al in dit register (nr. {facts.open_seq}"
                            "); een tweede aanvraag voor hetzelfde niveau kan niet.",
                            rule="REG-01")


def _open_period(s: Session, facts: Any, level_id: str, at: datetime) -> OpenPeriod | None:
    """Priority periods only exist in the old regime (REG-04): no query in the new one."""
    if facts.regime != "old":
        return None
    row = s.connection().execute(_OPEN_PERIOD, {"level_id": level_id, "at": at}).first()
    return OpenPeriod(row.kind, row.group) if row is not None else None


def _waiting_deadline(s: Session, facts: Any, state: LevelState) -> date | None:
    """WL-01's deadline when it can matter: a free place and someone on the waiting list.
    The area's free days are read only then."""
    if not facts.waiting or not state.free_places():
        return None
    free_days = area_free_days(s, facts.area_id) if facts.area_id else []
    return waiting_list_deadline(facts.school_year, facts.kind, facts.label, free_days)


def _check_category(s: Session, level: CapacityLevel, code: str) -> None:
    """CAP-07: only a configured category of the level's regime and kind."""
    found = s.execute(
        select(OvercapacityCategory.id).where(
            OvercapacityCategory.regime == level.regime,
            OvercapacityCategory.level_kind.in_([level.kind, "*"]),
            OvercapacityCategory.code == code,
        )
    ).first()
    if found is None:
        raise RuleViolation(
            f"'{code}' is geen ingestelde categorie voor overcapaciteit bij dit niveau "
            f"(regime {REGIME.get(level.regime, level.regime)}, "
            f"{LEVEL_KIND.get(level.kind, level.kind)}).", rule="CAP-07")
