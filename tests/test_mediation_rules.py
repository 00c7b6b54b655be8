"""Pure mediation rules, no database (lopdesk.domain.mediation.rules): NGI-02 late notice,
NGI-04 CLR deadline, MED-01 parent-request ground, MED-02 closing, MED-03 candidate order.
Expected values are written out here, not taken from the code under test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lopdesk import labels
from lopdesk.domain import codes
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.domain.mediation import rules

# 2027-03-01 09:00 Brussels; 2027-03-01 23:30 UTC is already 2 March in Brussels (CET = +1).
MORNING = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
LATE_EVENING = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("refused_at", "delivered_on", "late"), [
    (MORNING, date(2027, 3, 1), False),  # same day
    (MORNING, date(2027, 3, 4), False),
    (MORNING, date(2027, 3, 5), False),  # the 4th calendar day: still on time
    (MORNING, date(2027, 3, 6), True),  # the 5th: late
    (LATE_EVENING, date(2027, 3, 6), False),  # refused on 2 March, Brussels time
    (LATE_EVENING, date(2027, 3, 7), True),
])
def test_NGI_02_notice_late_after_4_calendar_days(refused_at, delivered_on, late):
    assert rules.notice_is_late(refused_at, delivered_on) is late


@pytest.mark.parametrize(("refused_at", "due"), [
    (MORNING, date(2027, 3, 5)),
    (LATE_EVENING, date(2027, 3, 6)),
    (datetime(2027, 2, 26, 12, 0, tzinfo=UTC), date(2027, 3, 2)),  # over the month's end
])
def test_NGI_02_notice_due(refused_at, due):
    assert rules.notice_due(refused_at) == due


@pytest.mark.parametrize(("delivered_on", "deadline"), [
    (date(2027, 3, 5), date(2027, 4, 4)),
    (date(2027, 1, 31), date(2027, 3, 2)),
    (date(2028, 2, 1), date(2028, 3, 2)),  # leap year
    (date(2027, 12, 15), date(2028, 1, 14)),
])
def test_NGI_04_clr_deadline_is_notice_date_plus_30(delivered_on, deadline):
    assert rules.clr_deadline(delivered_on) == deadline


@pytest.mark.parametrize(("filed_on", "deadlines", "late"), [
    (date(2027, 4, 4), [date(2027, 4, 4)], False),
    (date(2027, 4, 5), [date(2027, 4, 4)], True),
    (date(2027, 4, 5), [date(2027, 4, 4), date(2027, 4, 10)], False),  # the last one counts
    (date(2030, 1, 1), [], False),  # no notice: no deadline known
])
def test_NGI_04_clr_complaint_late(filed_on, deadlines, late):
    assert rules.clr_complaint_late(filed_on, deadlines) is late


@pytest.mark.parametrize(("reasons", "expected"), [
    (["capacity"], "capacity"),
    (["exclusion", "full_declaration"], "full_declaration"),
    (["waiting_list", "capacity"], "waiting_list"),
    (["allocation"], "allocation"),
])
def test_MED_01_parent_request_takes_first_capacity_ground(reasons, expected):
    assert rules.parent_request_reason(reasons) == expected


@pytest.mark.parametrize("reasons", [["exclusion"], ["other"], ["exclusion", "other"], []])
def test_MED_01_parent_request_refused_without_capacity_ground(reasons):
    with pytest.raises(RuleViolation) as err:
        rules.parent_request_reason(reasons)
    assert err.value.rule == "MED-01"


@pytest.mark.parametrize("outcome", [None, ""])
def test_MED_02_no_close_without_outcome(outcome):
    with pytest.raises(RuleViolation) as err:
        rules.check_outcome(outcome)
    assert err.value.rule == "MED-02"
    assert "zonder uitkomst" in str(err.value)


def test_MED_02_unknown_outcome():
    with pytest.raises(InvalidInput) as err:
        rules.check_outcome("ended")
    assert err.value.field == "outcome"


@pytest.mark.parametrize("outcome", ["same_school", "other_school", "no_agreement",
                                     "withdrawn"])
def test_MED_02_known_outcomes(outcome):
    assert rules.check_outcome(outcome) == outcome


# (outcome, school given, refusing schools, latest accepted proposal's school) -> school
@pytest.mark.parametrize(("outcome", "given", "refusing", "accepted", "expected"), [
    ("same_school", None, ["S1"], None, "S1"),  # the only refusing school
    ("same_school", "S2", ["S1", "S2"], None, "S2"),
    ("other_school", None, ["S1"], "S3", "S3"),  # the accepted proposal
    ("other_school", "S4", ["S1"], "S3", "S4"),  # a given school wins
    ("no_agreement", None, ["S1"], None, None),
    ("withdrawn", "S9", ["S1"], None, None),  # the other outcomes name no school
    ("no_agreement", "S3", ["S1"], "S3", None),
])
def test_MED_02_closing_school(outcome, given, refusing, accepted, expected):
    assert rules.closing_school(outcome, given, refusing, accepted) == expected


@pytest.mark.parametrize(("outcome", "given", "refusing", "accepted"), [
    ("same_school", None, ["S1", "S2"], None),  # which of the two?
    ("same_school", None, [], None),
    ("other_school", None, ["S1"], None),  # no accepted proposal
])
def test_MED_02_school_outcome_needs_its_school(outcome, given, refusing, accepted):
    with pytest.raises(RuleViolation) as err:
        rules.closing_school(outcome, given, refusing, accepted)
    assert err.value.rule == "MED-02"


@pytest.mark.parametrize(("outcome", "given", "refusing", "message"), [
    ("same_school", "S3", ["S1"], "weigerde het kind niet"),
    ("other_school", "S1", ["S1"], "weigerde het kind; kies 'ingeschreven in dezelfde school'"),
])
def test_MED_02_same_or_other_school_must_match_the_refusals(outcome, given, refusing,
                                                             message):
    with pytest.raises(InvalidInput) as err:
        rules.closing_school(outcome, given, refusing, None)
    assert err.value.field == "school_id" and message in str(err.value)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ((0.0, 0.0), (3000.0, 4000.0), 5000.0),
    ((100.0, 100.0), (100.0, 100.0), 0.0),
    ((0.0, 0.0), (None, 10.0), None),
    ((None, None), (0.0, 0.0), None),
])
def test_MED_03_distance(a, b, expected):
    assert rules.distance(*a, *b) == expected


def test_MED_03_candidates_nearest_first_unknown_last():
    # (distance, school name, level) as the candidates come from the database
    found = [(3000.0, "School S2", "L2"), (None, "School S4", "L4"),
             (1000.0, "School S3", "L3"), (None, "Atheneum", "L9"),
             (1000.0, "Basisschool", "L7"), (0.0, "Zonnebloem", "L8")]
    found.sort(key=lambda c: rules.candidate_order(*c))
    assert [c[2] for c in found] == ["L8", "L7", "L3", "L2", "L9", "L4"]


def test_cases_running_first_then_by_next_deadline():
    rows = [("closed", date(2027, 3, 2), 1), ("open", None, 2),
            ("waiting", date(2027, 4, 1), 3), ("open", date(2027, 3, 10), 4),
            ("open", date(2027, 3, 10), 0)]
    rows.sort(key=lambda r: rules.case_order(*r))
    assert [r[2] for r in rows] == [0, 4, 3, 2, 1]


@pytest.mark.parametrize(("codes_", "table"), [
    (codes.NOTICE_MODES, labels.NOTICE_MODE),
    (codes.NOTICE_SENDERS, labels.NOTICE_SENDER),
    (codes.CASE_TRIGGERS, labels.CASE_TRIGGER),
    (codes.CASE_STATUSES, labels.CASE_STATUS),
    (codes.CASE_OUTCOMES, labels.CASE_OUTCOME),
    (codes.PARTY_ROLES, labels.PARTY_ROLE),
    (codes.EVENT_KINDS, labels.CASE_EVENT_KIND),
    (codes.PROPOSAL_ANSWERS, labels.PROPOSAL_ANSWER),
    ((*codes.CAPACITY_REASONS, *codes.NOTICE_ONLY_REASONS), labels.REFUSAL_REASON),
])
def test_every_mediation_code_has_a_dutch_label(codes_, table):
    assert set(codes_) <= set(table)
    assert set(table) <= set(codes_) | set(labels.REASON)
