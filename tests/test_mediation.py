"""NGI-02..04, MED-01..03 and privacy (domain §7, §8, §10): notices, cases, proposals,
the child's file and its read audit, and the CLI round trip."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from builders import area, children, level, school, t
from conftest import as_user, invoke_as
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.domain import areas, mediation, registers
from lopdesk.domain.errors import (
    InvalidInput,
    NeedsConfirmation,
    PermissionDenied,
    RuleViolation,
)
from lopdesk.domain.mediation_models import (
    CaseEvent,
    LopNotification,
    MediationCase,
    RefusalNotice,
)
from lopdesk.domain.models import AuditRecord, RegisterEntry, School
from lopdesk.present import no_candidate_text

REFUSED_DAY = date(2027, 3, 1)  # t(...) is 2027-03-01 09:00 Brussels time


def refused(db, capacity: int = 1, *, mandate: bool = False) -> tuple[str, int]:
    """Area A, school S1 (at 0,0) with one place taken; child C1 (at 0,0) refused there."""
    area(db)
    school(db, "S1", x=0.0, y=0.0)
    level(db, "L1", "S1", capacity=capacity)
    if mandate:
        with db.write() as s:
            row = s.get(School, "S1")
            row.mandates_lop_notices = True
            s.add(row)
    areas.create_child(db, "C1", "Mila", "Peeters", address="Kerkstraat 1", x=0.0, y=0.0)
    for i, k in enumerate(children(db, capacity)):
        registers.add_request(db, "L1", k, at=t(i))
    entry = registers.add_request(db, "L1", "C1", at=t(5))
    assert entry.status == "non_realised"
    return "C1", entry.id


def more_schools(db) -> None:
    """Schools of the area around the child (0,0): free, full, waiting, no coordinates."""
    school(db, "S2", x=3000.0, y=0.0)  # far, free
    level(db, "L2", "S2", capacity=2)
    school(db, "S3", x=0.0, y=1000.0)  # near, free
    level(db, "L3", "S3", capacity=2)
    level(db, "L3b", "S3", capacity=5, label="2")  # another grade: never proposed
    school(db, "S4")  # free, no coordinates
    level(db, "L4", "S4", capacity=3)
    school(db, "S5", x=500.0, y=0.0)  # nearest but full
    level(db, "L5", "S5", capacity=1)
    school(db, "S6", x=200.0, y=0.0)  # a freed place that belongs to its waiting list
    level(db, "L6", "S6", capacity=1)
    a, b, c = children(db, 3, prefix="X")
    registers.add_request(db, "L5", a, at=t(1))
    first = registers.add_request(db, "L6", b, at=t(1))
    registers.add_request(db, "L6", c, at=t(2))
    registers.withdraw(db, first.id, reason="verhuisd", at=t(days=2))


def open_case(db, child_id: str = "C1") -> int:
    return mediation.open_case(db, child_id, request_on=date(2027, 3, 8),
                               requested_by="moeder", at=t(days=7)).id


# --- NGI -------------------------------------------------------------------------------------


def test_NGI_02_late_notice_flagged(db):
    _, entry_id = refused(db)
    n = mediation.record_notice(db, entry_id, mode="registered_post",
                                delivered_on=date(2027, 3, 6), at=t(days=5))
    assert n.late and n.days_after_refusal == 5
    assert mediation.list_notices(db, late=True)[0].id == n.id


def test_NGI_02_within_four_calendar_days_is_on_time(db):
    _, entry_id = refused(db)
    n = mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 5))
    assert not n.late and n.delivery_mode == "receipt" and n.days_after_refusal == 4
    assert mediation.list_notices(db, late=True) == []


def test_NGI_02_days_count_in_brussels_calendar(db):
    # 23:30 UTC on 1 March is already 2 March in Brussels: 6 March is still in time.
    assert not mediation.notice_is_late(datetime(2027, 3, 1, 23, 30, tzinfo=UTC),
                                        date(2027, 3, 6))
    assert mediation.notice_is_late(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), date(2027, 3, 6))


def test_NGI_02_mode_date_and_refusal_checked(db):
    _, entry_id = refused(db)
    with pytest.raises(InvalidInput):
        mediation.record_notice(db, entry_id, mode="email", delivered_on=REFUSED_DAY)
    with pytest.raises(InvalidInput):
        mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 2, 28))
    realised = registers.list_entries(db, "L1")[0]
    with pytest.raises(RuleViolation) as exc:
        mediation.record_notice(db, realised.id, mode="receipt", delivered_on=REFUSED_DAY)
    assert exc.value.rule == "NGI-02"
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY)
    with pytest.raises(InvalidInput):  # one notice per refusal
        mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY)


def test_NGI_02_refusals_without_notice_become_overdue(db):
    _, entry_id = refused(db)
    rows = mediation.missing_notices(db, at=t(days=2))
    assert [(r.entry_id, r.due_on, r.overdue) for r in rows] == [
        (entry_id, date(2027, 3, 5), False)]
    assert mediation.missing_notices(db, at=t(days=5))[0].overdue
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 2))
    assert mediation.missing_notices(db) == []


def test_NGI_03_every_refusal_notified_to_the_lop(db):
    _, entry_id = refused(db)
    with db.read() as s:  # the refusal itself wrote the LOP notification record
        assert len(list(s.execute(select(LopNotification)).scalars())) == 1
    assert mediation.notify_refusals(db) == 0  # once per refusal
    n = mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY)
    with db.read() as s:
        rows = list(s.execute(select(LopNotification)).scalars())
    assert len(rows) == 1 and rows[0].notice_id == n.id and rows[0].school_id == "S1"
    assert n.notification_id == rows[0].id


def test_NGI_03_lop_sends_under_mandate_school_stays_decision_maker(db):
    _, entry_id = refused(db, mandate=True)
    n = mediation.record_notice(db, entry_id, mode="registered_post", delivered_on=REFUSED_DAY)
    assert n.sent_by == "lop"
    assert n.decision_maker == n.controller == "School S1"
    with db.read() as s:
        notif = s.execute(select(LopNotification)).scalar_one()
    assert notif.sent_under_mandate and notif.school_id == "S1"


def test_NGI_03_lop_cannot_send_without_mandate(db):
    _, entry_id = refused(db)
    with pytest.raises(RuleViolation) as exc:
        mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY,
                                sent_by="lop")
    assert exc.value.rule == "NGI-03"


def test_NGI_04_clr_deadline_is_notice_date_plus_30_days(db):
    _, entry_id = refused(db)
    n = mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 3))
    assert n.clr_deadline == date(2027, 4, 2)
    assert mediation.clr_deadline(date(2027, 2, 10)) == date(2027, 3, 12)


# --- MED-01 ----------------------------------------------------------------------------------


def test_MED_01_case_opens_on_logged_parent_request(db):
    child, entry_id = refused(db)
    with pytest.raises(RuleViolation) as exc:
        mediation.open_case(db, child, request_on=None)
    assert exc.value.rule == "MED-01"
    case = mediation.open_case(db, child, request_on=date(2027, 3, 8), requested_by="moeder",
                               at=t(days=7))
    assert case.trigger == "parent_request" and case.status == "open"
    assert case.request_on == date(2027, 3, 8) and case.requested_by == "moeder"
    assert [r.entry_id for r in case.refusals] == [entry_id]
    assert [e.kind for e in case.timeline] == ["opened", "refusal"]
    with pytest.raises(RuleViolation):  # one running case per child
        mediation.open_case(db, child, request_on=date(2027, 3, 9))


def test_MED_01_no_case_without_a_refusal(db):
    area(db)
    areas.create_child(db, "C9", "Noor", "Claes")
    with pytest.raises(RuleViolation) as exc:
        mediation.open_case(db, "C9", request_on=date(2027, 3, 8))
    assert exc.value.rule == "MED-01"


def test_MED_01_automatic_opening_for_configured_reason(db):
    child, entry_id = refused(db)
    n = mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY,
                                reason="exclusion", at=t(days=1))
    cases = mediation.list_cases(db)
    assert len(cases) == 1 and cases[0].trigger == "automatic"
    assert cases[0].reason == "exclusion" and n.case_id == cases[0].id
    view = mediation.get_case(db, cases[0].id)
    assert view.request_on is None and view.timeline[0].rule_id == "MED-01"


def test_MED_01_only_configured_reasons_open_automatically(db):
    child, entry_id = refused(db)
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY,
                            reason="other")
    assert mediation.list_cases(db) == []
    with pytest.raises(RuleViolation) as exc:  # a parent request is for capacity refusals
        mediation.open_case(db, child, request_on=date(2027, 3, 8))
    assert exc.value.rule == "MED-01"


def test_MED_01_configured_reason_added(db):
    _, entry_id = refused(db)
    mediation.set_auto_reason(db, "other", label="andere grond")
    with pytest.raises(PermissionDenied):
        mediation.set_auto_reason(as_user(db, "bemiddelaar"), "x")
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY,
                            reason="other")
    assert [c.trigger for c in mediation.list_cases(db)] == ["automatic"]


def test_MED_01_automatic_refusal_joins_the_running_case(db):
    child, entry_id = refused(db)
    case_id = open_case(db)
    school(db, "S2")
    level(db, "L2", "S2", capacity=0)
    other = registers.add_request(db, "L2", child, at=t(10))
    mediation.record_notice(db, other.id, mode="receipt", delivered_on=REFUSED_DAY,
                            reason="exclusion")
    view = mediation.get_case(db, case_id)
    assert [r.entry_id for r in view.refusals] == [entry_id, other.id]
    assert len(mediation.list_cases(db)) == 1


# --- MED-02 ----------------------------------------------------------------------------------


def test_MED_02_case_holds_parties_meetings_proposals_clr_and_outcome(db):
    _, entry_id = refused(db)
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 2))
    more_schools(db)
    case_id = open_case(db)
    mediation.add_party(db, case_id, "parents", "Sara Peeters", "0470 00 00 00")
    mediation.add_party(db, case_id, "clb", "CLB Gent")
    mediation.add_event(db, case_id, "meeting", "overleg met directie S1",
                        occurred_on=date(2027, 3, 10))
    mediation.add_event(db, case_id, "contact", "telefoon met moeder")
    mediation.record_clr_complaint(db, case_id, filed_on=date(2027, 3, 20), note="klacht")
    prop = mediation.propose(db, case_id, "L3", at=t(days=12))
    assert mediation.get_case(db, case_id).status == "waiting"
    mediation.answer_proposal(db, prop.id, accept=False, at=t(days=13))
    assert mediation.get_case(db, case_id).status == "open"
    closed = mediation.close_case(db, case_id, "no_agreement", at=t(days=20))
    assert closed.status == "closed" and closed.outcome == "no_agreement"
    assert closed.closed_at == t(days=20) and closed.closed_by == "tester"
    assert [p.role for p in closed.parties] == ["parents", "clb"]
    assert closed.clr_complaint_on == date(2027, 3, 20)
    assert [(p.level_id, p.answer) for p in closed.proposals] == [("L3", "declined")]
    assert [e.kind for e in closed.timeline] == [
        "opened", "refusal", "party", "party", "meeting", "contact", "clr_complaint",
        "proposal", "answer", "closed"]
    assert closed.refusals[0].clr_deadline == date(2027, 4, 1)


def test_MED_02_close_without_outcome_refused(db):
    refused(db)
    case_id = open_case(db)
    for outcome in (None, ""):
        with pytest.raises(RuleViolation) as exc:
            mediation.close_case(db, case_id, outcome)
        assert exc.value.rule == "MED-02"
    with pytest.raises(InvalidInput):
        mediation.close_case(db, case_id, "opgelost")
    assert mediation.get_case(db, case_id).status == "open"


def test_MED_02_closed_case_takes_nothing_more(db):
    refused(db)
    case_id = open_case(db)
    mediation.close_case(db, case_id, "withdrawn")
    with pytest.raises(RuleViolation):
        mediation.add_event(db, case_id, "note", "nog iets")
    with pytest.raises(RuleViolation):
        mediation.close_case(db, case_id, "no_agreement")


def test_MED_02_timeline_is_append_only(db):
    refused(db)
    case_id = open_case(db)
    for stmt in (update(CaseEvent).values(text="gewijzigd"), delete(CaseEvent),
                 delete(MediationCase)):
        with pytest.raises(DBAPIError):
            with db.write() as s:
                s.execute(stmt)
    assert len(mediation.case_timeline(db, case_id)) == 2


def test_MED_02_same_school_outcome_defaults_to_the_refusing_school(db):
    _, entry_id = refused(db)
    case_id = open_case(db)
    with db.write() as s:  # the register shows the child enrolled at S1 after all
        s.execute(update(RegisterEntry).where(RegisterEntry.id == entry_id)
                  .values(status="realised"))
    view = mediation.close_case(db, case_id, "same_school")
    assert view.outcome_school_id == "S1"


# --- MED-03 ----------------------------------------------------------------------------------


def test_MED_03_proposals_free_places_nearest_first(db):
    refused(db)
    more_schools(db)
    case_id = open_case(db)
    cands = mediation.proposals_for(db, case_id, at=t(days=7))
    # S5 full, S6's freed place goes to its waiting list (WL-01), L3b another grade.
    assert [c.level_id for c in cands] == ["L3", "L2", "L4"]
    assert [c.distance_m for c in cands] == [1000.0, 3000.0, None]
    assert cands[0].free_places == 2 and cands[0].free_places_status == "Nog plaatsen vrij"


def test_MED_03_a_free_place_held_for_a_waiting_list_is_named_not_proposed(db):
    """WL-01: until the fifth school day of October a freed place goes to the waiting list
    first; when no school is left to propose, the cell is told which levels hold a free
    place and why (MED-03)."""
    refused(db)
    school(db, "S6", x=200.0, y=0.0)
    level(db, "L6", "S6", capacity=1)
    a, b = children(db, 2, prefix="X")
    first = registers.add_request(db, "L6", a, at=t(1))
    registers.add_request(db, "L6", b, at=t(2))
    registers.withdraw(db, first.id, reason="verhuisd", at=t(days=2))
    case_id = open_case(db)
    choice = mediation.proposal_choice(db, case_id, at=t(days=7))
    assert choice.candidates == []
    assert [(h.level_id, h.free_places, h.waiting, h.until) for h in choice.held] == [
        ("L6", 1, 1, date(2027, 10, 7))]
    text = no_candidate_text(choice.held)
    assert "1 niveau heeft een vrije plaats" in text and "(WL-01)" in text
    assert "tot en met 07/10/2027" in text and "(1 vrij, 1 op de wachtlijst)" in text
    assert no_candidate_text([]).startswith("Geen school van het gebied heeft nu een vrije")


def test_MED_03_without_child_address_ordered_by_name(db):
    area(db)
    for sid, x in (("S3", 10.0), ("S2", 5.0)):
        school(db, sid, x=x, y=0.0)
        level(db, f"L{sid[1]}", sid, capacity=1)
    school(db, "S1")
    level(db, "L1", "S1", capacity=0)
    areas.create_child(db, "C1", "Mila", "Peeters")
    registers.add_request(db, "L1", "C1", at=t(1))
    case_id = open_case(db)
    assert [c.school_id for c in mediation.proposals_for(db, case_id, at=t(days=7))] == [
        "S2", "S3"]


def test_MED_03_accepting_enrols_the_child_in_the_register(db):
    child, _ = refused(db)
    more_schools(db)
    case_id = open_case(db)
    prop = mediation.propose(db, case_id, "L3", at=t(days=8))
    assert prop.free_places == 2 and prop.distance_m == 1000.0
    answer = mediation.answer_proposal(db, prop.id, accept=True, at=t(days=9))
    assert answer.entry is not None and answer.entry.status == "realised"
    rows = registers.list_entries(db, "L3")
    assert [(r.child_id, r.status) for r in rows] == [(child, "realised")]
    assert answer.proposal.entry_id == rows[0].id
    # CAP-04: the case shows the free places as they are now: 2 before, 1 after the child
    (row,) = mediation.get_case(db, case_id).proposals
    assert (row.free_places, row.free_now) == (2, 1)
    assert [c.level_id for c in mediation.proposals_for(db, case_id, at=t(days=9))] == [
        "L2", "L4"]
    view = mediation.close_case(db, case_id, "other_school", at=t(days=9))
    assert view.outcome_school_id == "S3"


@pytest.mark.parametrize("outcome", ["withdrawn", "no_agreement", "same_school"])
def test_MED_02_outcome_against_an_accepted_proposal_needs_confirmation(db, outcome):
    """The parents accepted a proposal (the child is enrolled there): another outcome is
    recorded only once confirmed, and 'withdrawn' / 'no agreement' record no school."""
    refused(db)
    more_schools(db)
    case_id = open_case(db)
    prop = mediation.propose(db, case_id, "L3", at=t(days=8))
    mediation.answer_proposal(db, prop.id, accept=True, at=t(days=9))
    with pytest.raises(NeedsConfirmation) as exc:
        mediation.close_case(db, case_id, outcome, at=t(days=9))
    assert exc.value.rule == "MED-02" and exc.value.field == "outcome"
    assert exc.value.message.startswith("De ouders aanvaardden het voorstel van ")
    assert mediation.get_case(db, case_id).status == "open"  # nothing written
    view = mediation.close_case(db, case_id, outcome, at=t(days=9),
                                confirm_contradiction=True)
    assert view.status == "closed" and view.outcome == outcome
    assert view.outcome_school_id == ("S1" if outcome == "same_school" else None)


def test_MED_02_outcome_against_a_placement_at_a_refusing_school_needs_confirmation(db):
    child, entry_id = refused(db)
    case_id = open_case(db)
    with db.write() as s:
        s.execute(update(RegisterEntry).where(RegisterEntry.id == entry_id)
                  .values(status="realised"))
    with pytest.raises(NeedsConfirmation) as exc:
        mediation.close_case(db, case_id, "withdrawn", school_id="S1")
    assert "intussen ingeschreven in" in exc.value.message
    view = mediation.close_case(db, case_id, "same_school")
    assert view.outcome_school_id == "S1"


def test_MED_03_full_school_only_with_overcapacity_category(db):
    child, _ = refused(db)
    more_schools(db)
    case_id = open_case(db)
    prop = mediation.propose(db, case_id, "L5", at=t(days=8))
    with pytest.raises(RuleViolation) as exc:
        mediation.answer_proposal(db, prop.id, accept=True, at=t(days=9))
    assert exc.value.rule == "MED-03"
    assert [r.child_id for r in registers.list_entries(db, "L5")] == ["X000"]  # rolled back
    areas.add_overcapacity_category(db, "new", "*", "care", "zorgnood")
    answer = mediation.answer_proposal(db, prop.id, accept=True,
                                       overcapacity_category="care", at=t(days=9))
    assert answer.entry.status == "realised" and answer.entry.overcapacity_category == "care"
    assert answer.entry.seq == 2  # the refused attempt gave its number back (REG-01)


# --- privacy (domain §10) -------------------------------------------------------------------


def _reads(db, child_id: str) -> list[AuditRecord]:
    with db.read() as s:
        return list(s.execute(select(AuditRecord).where(
            AuditRecord.action == "child.read", AuditRecord.entity_id == child_id)).scalars())


def test_privacy_child_file_read_by_mediation_cell_is_audited(db):
    child, entry_id = refused(db)
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 3))
    cell = as_user(db, "bemiddelaar")
    f = mediation.child_file(cell, child, at=t(days=3))
    assert [e.entry_id for e in f.entries if e.refused_at] == [entry_id]
    reads = _reads(db, child)
    assert len(reads) == 1 and reads[0].user == "bemiddelaar" and reads[0].entity == "child"
    assert reads[0].at == t(days=3)
    mediation.child_file(db, child)  # an administrator's read is not a cell opening
    mediation.child_file(cell, child, audit_read=False)  # a screen refresh
    assert len(_reads(db, child)) == 1
    with pytest.raises(PermissionDenied):
        mediation.child_file(as_user(db, "kijker"), child)
    cell.dispose()


def test_privacy_child_file_shows_refusals_positions_and_deadlines(db):
    child, entry_id = refused(db)
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 3))
    case_id = open_case(db)
    f = mediation.child_file(db, child, at=t(days=7))
    (e,) = f.entries
    assert e.status == "non_realised" and e.waiting_position == 1 and e.waiting_binds
    assert e.notice.clr_deadline == date(2027, 4, 2) and e.refused_at == t(5)
    assert [c.id for c in f.cases] == [case_id]
    assert [(d.kind, d.on) for d in f.deadlines] == [("clr", date(2027, 4, 2)),
                                                     ("waiting_list", date(2027, 10, 7))]
    assert "duplicate_key" not in json.dumps(mediation_asdict(f))


def mediation_asdict(value):
    from lopdesk.commands.common import to_jsonable

    return to_jsonable(value)


def test_privacy_plenary_list_counts_and_pseudonyms_only(db):
    child, entry_id = refused(db)
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=date(2027, 3, 9))
    case_id = open_case(db)
    mediation.close_case(db, case_id, "no_agreement", at=t(days=10))
    summary = mediation.plenary_summary(db, "A", at=t(days=10))
    assert summary.cases_by_status["closed"] == 1
    assert summary.cases_by_outcome["no_agreement"] == 1
    assert summary.notices == 1 and summary.notices_late == 1
    assert summary.cases[0].pseudonym == "dossier 1" and summary.cases[0].days_open == 3
    dumped = json.dumps(mediation_asdict(summary))
    assert child not in dumped and "Mila" not in dumped and "Peeters" not in dumped


def test_privacy_viewer_cannot_open_cases(db):
    refused(db)
    case_id = open_case(db)
    kijker = as_user(db, "kijker")
    with pytest.raises(PermissionDenied):
        mediation.get_case(kijker, case_id)
    with pytest.raises(PermissionDenied):
        mediation.open_case(kijker, "C1", request_on=date(2027, 3, 8))
    kijker.dispose()


def test_every_mediation_change_is_audited(db):
    _, entry_id = refused(db)
    mediation.record_notice(db, entry_id, mode="receipt", delivered_on=REFUSED_DAY)
    case_id = open_case(db)
    mediation.add_event(db, case_id, "note", "eerste gesprek")
    mediation.close_case(db, case_id, "withdrawn")
    with db.read() as s:
        actions = list(s.execute(select(AuditRecord.action).where(
            AuditRecord.action.like("case.%") | AuditRecord.action.like("notice.%"))).scalars())
        assert s.execute(text("SELECT count(*) FROM refusal_notice")).scalar_one() == 1
        assert s.get(RefusalNotice, 1) is not None
    assert actions == ["notice.record", "case.open", "case.note", "case.close"]


# --- CLI -------------------------------------------------------------------------------------

runner = CliRunner()


def run(db_path, *args, user: str = "tester"):
    result = invoke_as(user, runner, app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


def test_cli_round_trip(db, db_path):
    child, entry_id = refused(db)
    more_schools(db)
    r = run(db_path, "notice", "record", "L1:2", "--mode", "registered_post", "--date",
            "2027-03-07", "--json")
    assert r.exit_code == 0, r.output
    notice = json.loads(r.stdout)
    assert notice["late"] and notice["clr_deadline"] == "2027-04-06"
    assert run(db_path, "notice", "show", str(notice["id"])).exit_code == 0
    r = run(db_path, "notice", "list", "--late", "--json")
    assert [n["id"] for n in json.loads(r.stdout)] == [notice["id"]]
    r = run(db_path, "notice", "record", "L1:2", "--mode", "fax", "--date", "2027-03-07")
    assert r.exit_code == 2
    r = run(db_path, "case", "open", child, "--json")
    assert r.exit_code == 1 and "MED-01" in r.stderr
    r = run(db_path, "case", "open", child, "--request-date", "2027-03-08", "--by", "vader",
            "--json", user="bemiddelaar")
    assert r.exit_code == 0, r.output
    case_id = str(json.loads(r.stdout)["id"])
    assert run(db_path, "case", "add", case_id, "party", "--role", "parents", "--name",
               "Jan Peeters").exit_code == 0
    assert run(db_path, "case", "add", case_id, "meeting", "overleg", "--on",
               "2027-03-10").exit_code == 0
    assert run(db_path, "case", "add", case_id, "party").exit_code == 2
    r = run(db_path, "case", "propose", case_id, "--at", "2027-03-10T10:00:00", "--json")
    assert [c["level_id"] for c in json.loads(r.stdout)] == ["L3", "L2", "L4"]
    r = run(db_path, "case", "propose", case_id, "--at", "2027-03-10T10:00:00")
    assert r.exit_code == 0 and "School S3" in r.stdout
    r = run(db_path, "case", "propose", case_id, "--level", "L3", "--json")
    proposal_id = str(json.loads(r.stdout)["id"])
    r = run(db_path, "case", "list", "--status", "waiting", "--json")
    assert [c["id"] for c in json.loads(r.stdout)] == [int(case_id)]
    r = run(db_path, "case", "answer", proposal_id, "--accept", "--at", "2027-03-11T10:00:00",
            "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["entry"]["status"] == "realised"
    r = run(db_path, "case", "close", case_id)
    # the CLI prints a refusal as a sentence: a capital after the rule
    assert r.exit_code == 1 and "fout: MED-02: Een dossier kan niet afgesloten" in r.stderr
    r = run(db_path, "case", "close", case_id, "--outcome", "withdrawn")
    assert r.exit_code == 1 and "MED-02: De ouders aanvaardden het voorstel" in r.stderr
    r = run(db_path, "case", "close", case_id, "--outcome", "other_school", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["outcome_school_id"] == "S3"
    r = run(db_path, "case", "show", case_id)
    assert r.exit_code == 0 and "afgesloten" in r.stdout and "Tijdlijn" in r.stdout
    r = run(db_path, "child", "show", child, "--json", user="bemiddelaar")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert {e["level_id"] for e in data["entries"]} == {"L1", "L3"}
    assert len(_reads(db, child)) == 1
    assert run(db_path, "child", "show", child, user="bemiddelaar").exit_code == 0
    assert len(_reads(db, child)) == 2
    r = run(db_path, "case", "list", "--plenary", "--json")
    assert r.exit_code == 0 and child not in r.stdout and "Mila" not in r.stdout
    assert run(db_path, "case", "list", "--plenary").exit_code == 0
    assert run(db_path, "case", "list").exit_code == 0
    assert run(db_path, "notice", "list", "--missing", "--json").exit_code == 0
    assert run(db_path, "case", "show", "999").exit_code == 2


def test_privacy_case_read_by_mediation_is_audited_and_outcome_needs_a_school(db):
    from conftest import as_user

    from lopdesk.domain.models import AuditRecord

    refused(db)
    cid = open_case(db)
    cell = as_user(db, "bemiddelaar")
    mediation.get_case(cell, cid)
    mediation.get_case(cell, cid, audit_read=False)  # a refresh is not a new opening
    with db.read() as s:
        reads = [r for r in s.execute(select(AuditRecord)).scalars()
                 if r.action == "case.read"]
    assert len(reads) == 1 and reads[0].user == "bemiddelaar"
    with pytest.raises(RuleViolation) as exc:
        mediation.close_case(db, cid, "other_school")
    assert exc.value.rule == "MED-02"


def test_MED_03_proposals_only_levels_whose_enrolment_is_open(db):
    """Before a level's enrolments start (CAP-01) or after its school year's registers end,
    it cannot take the child, so it is not proposed."""
    from datetime import UTC, datetime

    refused(db)
    more_schools(db)
    case_id = open_case(db)
    assert [c.level_id for c in mediation.proposals_for(db, case_id, at=t(days=7))] == [
        "L3", "L2", "L4"]
    assert mediation.proposals_for(db, case_id, at=t(days=-1)) == []  # before 01/03/2027
    late = datetime(2028, 9, 1, 8, tzinfo=UTC)  # registers of 2027-28 ended 31/08/2028
    assert mediation.proposals_for(db, case_id, at=late) == []
