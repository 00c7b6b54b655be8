"""The demo lives on its own day: built with --today at four days of the year (the first
school day among them), nothing lies in its future, every history is in order, an expert's
everyday states are there, and the database runs on a training clock from that day; a real
database never does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from lopdesk import clock as clocks
from lopdesk import demo
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import registers, training
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.models import AppUser, AuditRecord
from lopdesk.domain.setup import initialise
from lopdesk.domain.types import UTCDateTime, utcnow
from lopdesk.labels import BRUSSELS

DAYS = ["2026-09-01", "2026-12-01", "2027-04-15", "2027-09-20"]
# Moments that are schedules or deadlines, not events: they may lie after the demo day.
SCHEDULES = {("capacity_level", "enrolment_start"), ("period", "starts_at"),
             ("period", "ends_at"), ("offer", "reply_by")}


@pytest.fixture(scope="module", params=DAYS)
def demo_db(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    demo.generate(db, size="small", seed=2027, today=date.fromisoformat(request.param))
    yield db, date.fromisoformat(request.param)
    db.dispose()


def _scalar(db: Database, sql: str, **params) -> int:
    with db.read() as s:
        return int(s.execute(text(sql), params).scalar_one())


def test_the_database_runs_on_the_training_clock_of_its_day(demo_db):
    db, day = demo_db
    assert db.training is not None and db.training.day == day
    assert db.now().astimezone(BRUSSELS).date() == day
    with db.read():
        assert utcnow().astimezone(BRUSSELS).date() == day


def _written_before_the_clock(s) -> dict[str, object]:
    """What was written at real time before the training clock ran: the account that made the
    database and the audit of its making and of the clock's start. These are true facts of
    today and are never re-dated (the audit is a hash chain); on a demo day in the past, or
    after 22:00/23:00 UTC when Brussels is already tomorrow, they lie after the demo's now."""
    started = s.execute(text("SELECT id FROM audit_record WHERE action = 'demo.training_clock'"
                             )).scalar_one()
    made = s.execute(text("SELECT entity_id FROM audit_record WHERE id < :id AND entity = "
                          "'app_user'"), {"id": started}).scalars()
    return {"audit_record": AuditRecord.id <= started, "app_user": AppUser.name.in_(list(made))}


def test_no_event_lies_after_the_demo_day(demo_db):
    db, day = demo_db
    now = db.now()
    with db.read() as s:
        real_time = _written_before_the_clock(s)
        for table in SQLModel.metadata.sorted_tables:
            for col in table.columns:
                if not isinstance(col.type, UTCDateTime) or (table.name, col.name) in SCHEDULES:
                    continue
                query = select(col).order_by(col.desc()).limit(1)
                if table.name in real_time:
                    query = query.where(~real_time[table.name])
                latest = s.execute(query).scalar()
                assert latest is None or latest <= now, (table.name, col.name, latest, day)


def test_the_demo_keeps_the_real_time_of_what_came_before_it(demo_db):
    """The account that made the database keeps its real creation time and audit record; the
    colleagues the demo invents are made on the training clock."""
    db, day = demo_db
    with db.read() as s:
        real_time = _written_before_the_clock(s)
        before = s.execute(select(AppUser.name).where(real_time["app_user"])).scalars().all()
        assert before == ["tester"]
        invented = s.execute(select(AppUser.created_at).where(
            AppUser.name.in_(["an.deprez", "bram.declercq"]))).scalars().all()
        assert len(invented) == 2 and all(
            at.astimezone(BRUSSELS).date() == day for at in invented)


def test_every_history_is_in_order(demo_db):
    """REG-02: a line's events follow each other in time, from its request on; a raise is
    decided after its request, a declaration lifted after it was made, a case's events
    follow its opening."""
    db, _day = demo_db
    with db.read() as s:
        rows = s.execute(text(
            "SELECT e.id, e.requested_at, v.at, v.kind FROM register_entry e "
            "JOIN register_event v ON v.entry_id = e.id ORDER BY e.id, v.id")).all()
        assert rows
        last: dict[int, str] = {}
        for entry_id, requested, at, kind in rows:
            assert str(at) >= str(requested), (entry_id, requested, at)
            assert entry_id in last or kind == "created", entry_id
            assert str(at) >= last.get(entry_id, ""), (entry_id, last.get(entry_id), at)
            last[entry_id] = str(at)
        assert s.execute(text("SELECT count(*) FROM capacity_decision WHERE decided_at IS NOT "
                              "NULL AND decided_at < requested_at")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM full_declaration WHERE lifted_at IS NOT "
                              "NULL AND lifted_at < declared_at")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM case_event v JOIN mediation_case c ON "
                              "c.id = v.case_id WHERE v.at < c.opened_at")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM offer o JOIN register_entry e ON "
                              "e.id = o.entry_id WHERE o.offered_at < e.requested_at")
                         ).scalar_one() == 0


def test_the_states_an_expert_meets_are_there(demo_db):
    db, day = demo_db
    counts = {
        # REG-05: an old-regime priority period not closed yet, with deferred requests
        "period_to_close": _scalar(db, (
            "SELECT count(*) FROM period p JOIN capacity_level l ON l.id = p.level_id "
            "WHERE l.regime = 'old' AND p.kind = 'priority' AND p.closed_at IS NULL AND "
            "EXISTS (SELECT 1 FROM register_entry e WHERE e.level_id = l.id "
            "AND e.status = 'deferred')")),
        "open_offers": _scalar(db, "SELECT count(*) FROM offer WHERE status = 'open'"),
        "pending_raises": _scalar(db, "SELECT count(*) FROM capacity_decision "
                                      "WHERE status = 'pending'"),
        "decided_raises": _scalar(db, "SELECT count(*) FROM capacity_decision "
                                      "WHERE status != 'pending'"),
        # CAP-06: secondary administrative groups of years 2-7 only
        "active_declarations": _scalar(db, (
            "SELECT count(*) FROM full_declaration d WHERE d.lifted_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM full_declaration_level x JOIN capacity_level l ON "
            "l.id = x.level_id WHERE x.declaration_id = d.id AND (l.kind != 'admin_group' "
            "OR l.grade NOT BETWEEN 2 AND 7))")),
        "lifted_declarations": _scalar(db, "SELECT count(*) FROM full_declaration "
                                           "WHERE lifted_at IS NOT NULL"),
        "notices_in_time": _scalar(db, "SELECT count(*) FROM refusal_notice WHERE NOT late"),
        "notices_late": _scalar(db, "SELECT count(*) FROM refusal_notice WHERE late"),
        "notices_missing": _scalar(db, (
            "SELECT count(*) FROM register_entry e WHERE e.status = 'non_realised' AND NOT "
            "EXISTS (SELECT 1 FROM refusal_notice n WHERE n.entry_id = e.id)")),
        "cases_open": _scalar(db, "SELECT count(*) FROM mediation_case c WHERE c.status != "
                                  "'closed' AND NOT EXISTS (SELECT 1 FROM case_proposal p "
                                  "WHERE p.case_id = c.id)"),
        "cases_with_proposal": _scalar(db, "SELECT count(DISTINCT p.case_id) FROM "
                                           "case_proposal p JOIN mediation_case c ON "
                                           "c.id = p.case_id WHERE c.status != 'closed' "
                                           "AND p.answer IS NULL"),
        "cases_closed": _scalar(db, "SELECT count(*) FROM mediation_case "
                                    "WHERE status = 'closed'"),
    }
    assert all(n >= 1 for n in counts.values()), counts
    # the next school year's application round in the state of the day
    primary = "round_id IN (SELECT id FROM allocation_round WHERE area_id = 'gent-bao')"
    applications = _scalar(db, f"SELECT count(*) FROM application WHERE {primary}")
    runs = _scalar(db, f"SELECT count(*) FROM allocation_run WHERE status = 'active' AND "
                       f"{primary}")
    expected = {"2026-09-01": (False, 0),  # the first school day: the round is months off
                "2026-12-01": (False, 0),  # upcoming: applications open on 1 March
                "2027-04-15": (True, 1),   # allocated on 1 April
                "2027-09-20": (False, 0)}[day.isoformat()]  # next year's round upcoming
    assert (applications > 0, runs) == expected
    # every day: the secondary first-year round of the year in progress, run in April and
    # followed by a withdrawal, so that a re-run meets later work (ALC-05)
    assert _scalar(db, "SELECT count(*) FROM allocation_run r JOIN allocation_round o ON "
                       "o.id = r.round_id WHERE o.area_id = 'gent-so' AND r.status = 'active'"
                   ) == 1


def test_a_request_added_now_is_accepted_on_the_training_clock(demo_db):
    """CAP-01 refuses only before the start: on the demo day the school year in progress
    has started, so a request without a moment is dated on the training clock."""
    db, day = demo_db
    year = day.year if day.month >= 9 else day.year - 1
    with db.read() as s:
        level_id, child_id = s.execute(text(
            "SELECT l.id, c.id FROM capacity_level l, child c WHERE l.school_year = :y AND "
            "l.kind = 'primary_grade' AND l.regime = 'old' AND NOT EXISTS (SELECT 1 FROM "
            "register_entry e WHERE e.level_id = l.id AND e.child_id = c.id) "
            "ORDER BY l.id, c.id LIMIT 1"), {"y": year}).one()
    entry = registers.add_request(db, level_id, child_id)
    assert entry.status in ("realised", "non_realised")
    assert entry.requested_at.astimezone(BRUSSELS).date() == day


def test_a_real_database_never_runs_on_a_training_clock(db):
    """Only a new database is marked; one with data keeps the system clock."""
    from lopdesk.domain import areas

    assert db.training is None
    areas.create_area(db, "echt", "Echt LOP", education="primary")
    with pytest.raises(RuleViolation):
        training.start_training(db, date(2027, 4, 15), datetime.now(UTC))
    db.forget_clock()
    assert db.training is None
    assert abs(db.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_two_databases_in_one_process_keep_their_own_clock(db, tmp_path):
    other = Database(Settings.from_cli(str(tmp_path / "training.db"), "tester"))
    initialise(other)
    training.start_training(other, date(2027, 4, 15), datetime.now(UTC))
    try:
        with other.write():
            assert utcnow().astimezone(BRUSSELS).date() == date(2027, 4, 15)
            with db.read():  # a real database opened inside: its own clock
                assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
            assert utcnow().astimezone(BRUSSELS).date() == date(2027, 4, 15)
        assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
        assert abs(clocks.now() - datetime.now(UTC)) < timedelta(seconds=5)
    finally:
        other.dispose()


async def test_the_title_says_oefenomgeving_with_the_training_date(tmp_path):
    from textual.widgets import Static

    from lopdesk.app import make_app

    db = Database(Settings.from_cli(str(tmp_path / "t.db"), "tester"))
    initialise(db)
    training.start_training(db, date(2027, 4, 15), datetime.now(UTC))
    app = make_app(db, poll_interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "oefenomgeving" in app.title and "15/04/2027" in app.title
        bar = app.screen.query_one("#training", Static)
        assert "oefenomgeving · 15/04/2027" in str(bar.render())
    db.dispose()


def test_cli_writes_take_at(db, db_path):
    """--at on the writes that record a moment: a raise request, a round's creation, an
    application and a run; a run before the round's latest application is refused (ALC-05)."""
    import json

    from builders import basic
    from conftest import invoke_as
    from typer.testing import CliRunner

    from lopdesk.cli import app
    from lopdesk.domain import capacity

    runner = CliRunner()

    def run(*args):
        result = invoke_as("tester", runner, app, ["--db", str(db_path), *args])
        assert "Traceback" not in result.output
        return result

    lv, kids = basic(db, capacity=1, n_children=2)
    r = run("capacity", "request-raise", lv, "2", "--reason", "lokaal",
            "--at", "2027-03-05T10:00:00", "--json")
    assert r.exit_code == 0, r.output
    [d] = capacity.list_decisions(db)
    assert d.requested_at == datetime(2027, 3, 5, 9, 0, tzinfo=UTC)  # 10:00 Brussels
    assert run("round", "create", "R", "--area", "A", "--year", "2027",
               "--at", "2027-01-15T09:00:00").exit_code == 0
    assert run("round", "level", "R", lv).exit_code == 0
    for kid in kids:
        assert run("round", "apply", "R", kid, lv, "--at", "2027-03-10T09:00:00"
                   ).exit_code == 0
    r = run("round", "run", "R", "--seed", "1", "--at", "2027-03-09T09:00:00")
    assert r.exit_code == 1 and "ALC-05" in r.output
    r = run("round", "run", "R", "--seed", "1", "--at", "2027-04-01T10:00:00", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["entries_written"] == 2
    with db.read() as s:
        moments = set(s.execute(text("SELECT requested_at FROM register_entry")).scalars())
    assert {str(m)[:19] for m in moments} == {"2027-04-01 08:00:00"}


def test_demo_today_must_be_a_date(tmp_path):
    from conftest import invoke_as
    from typer.testing import CliRunner

    from lopdesk.cli import app

    r = invoke_as("tester", CliRunner(), app, ["--db", str(tmp_path / "x.db"), "demo",
                                                "--size", "small", "--today", "15/04/2027"])
    assert r.exit_code == 2 and "--today" in r.output
