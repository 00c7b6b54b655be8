"""A LOP expert's year: offers with a reply deadline, fill previews, colleagues' offers,
refusal notices for children holding an offer (WL-01..03), and periods (REG-04, REG-05)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from builders import START, area, basic, children, level, school, t
from conftest import as_user

from lopdesk import present
from lopdesk.domain import areas, counters, mediation, ops, registers
from lopdesk.domain.directory import list_periods
from lopdesk.domain.errors import NeedsConfirmation, RuleViolation
from lopdesk.labels import BRUSSELS


def _freed(db, n=3):
    lv, kids = basic(db, capacity=1, n_children=n)
    views = [registers.add_request(db, lv, k, at=t(i)) for i, k in enumerate(kids)]
    registers.withdraw(db, views[0].id, reason="verhuisd", at=t(days=30))
    return lv, kids, views


def test_WL_01_offer_carries_reply_deadline_of_five_school_days(db):
    lv, kids, _ = _freed(db)
    # t(days=30) = Wednesday 31 March 2027; five school days after it: Wed 7 April 2027
    registers.offer_next(db, lv, at=t(days=30))
    offer = registers.list_offers(db, lv, "open")[0]
    assert offer.reply_by is not None
    assert offer.reply_by.astimezone(BRUSSELS).date() == date(2027, 4, 7)
    assert offer.reply_by.astimezone(BRUSSELS).strftime("%H:%M") == "23:59"
    assert offer.offered_by == "tester"


def test_WL_01_reply_term_is_a_setting_of_the_area_and_skips_free_days(db):
    area(db, "B")
    areas.create_area(db, "C", "Gebied C", offer_reply_days=2)
    school(db, "S9", "C")
    level(db, "L9", "S9", capacity=1)
    areas.add_calendar_day(db, "C", date(2027, 4, 1), label="vrije dag")
    kids = children(db, 2)
    first = registers.add_request(db, "L9", kids[0], at=t(1))
    registers.add_request(db, "L9", kids[1], at=t(2))
    registers.withdraw(db, first.id, reason="weg", at=t(days=30))
    registers.offer_next(db, "L9", at=t(days=30))  # Wed 31/03; Thu 1/4 free → Fri, Mon
    offer = registers.list_offers(db, "L9", "open")[0]
    assert offer.reply_by.astimezone(BRUSSELS).date() == date(2027, 4, 5)


def test_WL_01_colleague_already_offered_the_place(db):
    lv, kids, _ = _freed(db)
    ops.add_user(db, "collega", "lop_expert")
    registers.offer_next(as_user(db, "collega"), lv, at=t(days=30, minutes=5))
    with pytest.raises(RuleViolation) as err:
        registers.offer_next(db, lv, at=t(days=30, minutes=9))
    assert err.value.rule == "WL-01"
    assert "al aangeboden door collega om 31/03/2027 10:05" in err.value.message
    assert "Voornaam1 Achternaam1" in err.value.message


def test_WL_01_fill_preview_writes_nothing(db):
    lv, kids, _ = _freed(db)
    rep = registers.fill(db, lv, preview=True, at=t(days=30))
    assert rep.preview
    assert [(s.child_id, s.action) for s in rep.steps] == [(kids[1], "offered")]
    assert registers.list_offers(db, lv) == []
    assert present.fill_lines(rep)[0].startswith("VOORBEELD")
    done = registers.fill(db, lv, at=t(days=30))
    assert not done.preview and len(registers.list_offers(db, lv, "open")) == 1


def test_WL_01_fill_for_one_area_only(db):
    lv, kids, _ = _freed(db)
    area(db, "Z")
    school(db, "SZ", "Z")
    level(db, "LZ", "SZ", capacity=1)
    z = children(db, 2, prefix="Z")
    first = registers.add_request(db, "LZ", z[0], at=t(1))
    registers.add_request(db, "LZ", z[1], at=t(2))
    registers.withdraw(db, first.id, reason="weg", at=t(days=30))
    rep = registers.fill(db, area_id="Z", at=t(days=31))
    assert [(s.level_id, s.child_id) for s in rep.steps] == [("LZ", z[1])]


def test_WL_01_notice_for_a_child_holding_an_open_offer_needs_confirmation(db):
    lv, kids, views = _freed(db)
    registers.offer_next(db, lv, at=t(days=30))
    with pytest.raises(NeedsConfirmation) as err:
        mediation.record_notice(db, views[1].id, mode="receipt", delivered_on=date(2027, 3, 2),
                                at=t(days=31))
    assert err.value.rule == "WL-01" and "open aanbod" in err.value.message
    view = mediation.record_notice(db, views[1].id, mode="receipt",
                                   delivered_on=date(2027, 3, 2), at=t(days=31),
                                   confirm_open_offer=True)
    assert view.entry_id == views[1].id
    # a child without an open offer needs no confirmation
    mediation.record_notice(db, views[2].id, mode="receipt", delivered_on=date(2027, 3, 2),
                            at=t(days=31))


def _old(db):
    area(db)
    school(db, "SO")
    start = START.replace(year=2022)
    level(db, "LO", "SO", capacity=4, regime="old", ratio=0.5, year=2022, start=start)
    return start


def test_REG_04_overlapping_periods_on_one_level_refused(db):
    start = _old(db)
    areas.create_period(db, "LO", kind="priority", group="sibling_staff", starts_at=start,
                        ends_at=start + timedelta(days=30))
    with pytest.raises(RuleViolation) as err:
        areas.create_period(db, "LO", kind="priority", starts_at=start + timedelta(days=10))
    assert err.value.rule == "REG-04" and "overlapt" in err.value.message
    # right after the first one ends: allowed
    p2 = areas.create_period(db, "LO", kind="priority", starts_at=start + timedelta(days=30))
    # an open-ended period blocks any later one until it is closed
    with pytest.raises(RuleViolation):
        areas.create_period(db, "LO", kind="free", starts_at=start + timedelta(days=60))
    registers.close_period(db, p2.id, at=start + timedelta(days=59))
    areas.create_period(db, "LO", kind="free", starts_at=start + timedelta(days=60))
    assert len(list_periods(db, "LO")) == 3


def test_REG_04_no_period_after_the_registers_of_the_school_year_ended(db):
    _old(db)  # school year 2022-23: registers end 31/08/2023
    with pytest.raises(RuleViolation) as err:
        areas.create_period(db, "LO", kind="free",
                            starts_at=datetime(2023, 9, 1, 8, tzinfo=UTC))
    assert err.value.rule == "REG-04" and "31/08/2023" in err.value.message
    areas.create_period(db, "LO", kind="free", starts_at=datetime(2023, 8, 31, 8, tzinfo=UTC))


def test_REG_05_close_preview_is_sentences_with_names(db):
    start = _old(db)
    p = areas.create_period(db, "LO", kind="priority", starts_at=start)
    non = children(db, 3, prefix="N")
    for i, k in enumerate(non):
        registers.add_request(db, "LO", k, at=start + timedelta(minutes=i))
    plan = registers.close_period(db, p.id, preview=True)
    lines = present.close_plan_lines(plan, preview=True)
    assert lines[1] == ("  Nr. 3, Voornaam2 Achternaam2 (N002), niet-indicator: uitgesteld → "
                        "gerealiseerd; [REG-05] aanvulling: indicatorcontingent niet volzet.")
    assert not any("{" in line for line in lines)


def test_REG_04_running_period_is_known(db):
    start = _old(db)
    areas.create_period(db, "LO", kind="priority", group="sibling", starts_at=start,
                        ends_at=start + timedelta(days=30))
    (row,) = list_periods(db, "LO")
    assert row.running(start + timedelta(days=1))
    assert not row.running(start + timedelta(days=30))
    assert not row.running(start - timedelta(days=1))


@pytest.mark.parametrize("board,free,flag", [
    ("", 0, True), ("", 3, False), ("JA", 0, True), ("JA", 1, False),
    ("0", 2, True), ("0", 0, False), ("4", 10, True), ("4", 4, False), ("", None, False)])
def test_CAP_05_board_that_disagrees_with_computed_free_places_is_flagged(board, free, flag):
    assert counters.board_disagrees(board, free) is flag


def test_WL_01_waiting_counts_only_lists_that_still_bind(db):
    lv, kids = basic(db, capacity=1, n_children=3)
    for i, k in enumerate(kids):
        registers.add_request(db, lv, k, at=t(i))
    # fifth school day of October 2027 = 07/10/2027: binding until then, not after
    (before,) = counters.area_counters(db, at=datetime(2027, 10, 7, 20, tzinfo=UTC))
    (after,) = counters.area_counters(db, at=datetime(2027, 10, 8, 8, tzinfo=UTC))
    assert (before.waiting, before.waiting_binding) == (2, 2)
    assert (after.waiting, after.waiting_binding, after.waiting_binds) == (2, 0, False)


def test_WL_01_counters_count_open_offers(db):
    lv, kids, _ = _freed(db)
    registers.offer_next(db, lv, at=t(days=30))
    (c,) = counters.area_counters(db, at=t(days=30))
    assert c.open_offers == 1


def test_REG_06_free_enrolment_ends_with_the_school_years_registers(db):
    start = _old(db)  # school year 2022-23
    areas.create_period(db, "LO", kind="free", starts_at=start)
    (row,) = list_periods(db, "LO")
    assert row.running(datetime(2023, 8, 31, 12, tzinfo=UTC))
    assert not row.running(datetime(2023, 9, 1, 8, tzinfo=UTC))
    assert present.period_state(row, datetime(2023, 9, 1, 8, tzinfo=UTC)) == "afgelopen"
    assert present.period_state(row, datetime(2023, 3, 1, 8, tzinfo=UTC)) == "loopt"


# --- the same through the CLI ------------------------------------------------------------


def _cli(db_path, *args):
    from conftest import invoke_as
    from typer.testing import CliRunner

    from lopdesk.cli import app

    result = invoke_as("tester", CliRunner(), app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


def test_cli_fill_preview_offer_list_and_confirmed_notice(db, db_path):
    lv, kids, views = _freed(db)
    r = _cli(db_path, "fill", lv, "--preview", "--at", "2027-03-31T10:00:00")
    assert r.exit_code == 0 and r.stdout.startswith("VOORBEELD — niets gewijzigd.")
    assert "Voornaam1 Achternaam1" in r.stdout and registers.list_offers(db, lv) == []
    r = _cli(db_path, "offer", "next", lv, "--at", "2027-03-31T10:00:00")
    assert r.exit_code == 0
    r = _cli(db_path, "offer", "list")
    assert "antwoord t.e.m." in r.stdout and "07/04/2027 23:59" in r.stdout
    r = _cli(db_path, "offer", "next", lv, "--at", "2027-03-31T10:05:00")
    assert r.exit_code == 1 and "al aangeboden door tester om 31/03/2027 10:00" in r.output
    r = _cli(db_path, "notice", "record", str(views[1].id), "--mode", "receipt",
             "--date", "2027-03-02", "--at", "2027-03-31T11:00:00")
    assert r.exit_code == 1 and "open aanbod" in r.output
    r = _cli(db_path, "notice", "record", str(views[1].id), "--mode", "receipt",
             "--date", "2027-03-02", "--at", "2027-03-31T11:00:00", "--confirm-open-offer")
    assert r.exit_code == 0, r.output


def test_cli_period_list_and_overlap_refused(db, db_path):
    start = _old(db)
    areas.create_period(db, "LO", kind="priority", group="sibling_staff", starts_at=start,
                        ends_at=start + timedelta(days=30))
    r = _cli(db_path, "period", "open", "LO", "--kind", "free", "--start", "2022-03-10")
    assert r.exit_code == 1 and "REG-04" in r.output and "overlapt" in r.output
    r = _cli(db_path, "period", "list", "LO", "--at", "2022-03-05T10:00:00")
    assert r.exit_code == 0
    assert "broer/zus en kind van personeel" in r.stdout and "loopt" in r.stdout
