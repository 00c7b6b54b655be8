"""The command line says what the app says about time: a period's state and a document's
date come from the database's clock (a demo's training clock), never the system's; and a
--db written after the command says where it belongs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import typer
from typer.testing import CliRunner

from lopdesk import demo
from lopdesk.cli import app
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain.directory import PeriodRow
from lopdesk.domain.setup import initialise
from lopdesk.labels import PERIOD_PHASE
from lopdesk.present import period_state

DAY = date(2027, 4, 15)  # the demo's day; its priority period of BUO001-2027-L1 ended 13/04


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("clock") / "demo.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    demo.generate(db, size="small", seed=2027, today=DAY)
    db.dispose()
    return path


def cli(path, *args: str):
    return CliRunner().invoke(app, ["--db", str(path), *args])


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=UTC)


def period(kind: str = "priority", closed: datetime | None = None) -> PeriodRow:
    return PeriodRow(1, "L1", kind, None, at(3, 1), at(4, 1), closed, at(8, 31))


@pytest.mark.parametrize(("row", "now", "phase", "words"), [
    (period(), at(2, 1), "planned", "gepland"),
    (period(), at(3, 10), "running", "loopt"),
    (period(), at(4, 2), "ended", "afgelopen, niet afgesloten"),
    (period("free"), at(4, 2), "ended", "afgelopen"),
    (period("free"), at(9, 1), "ended", "afgelopen"),  # past its school year's registers
    (period(closed=at(4, 1, 20)), at(4, 2), "closed", "afgesloten 01/04/2027 22:00:00"),
    (period(closed=at(4, 1, 20)), at(2, 1), "closed", "afgesloten 01/04/2027 22:00:00"),
])
def test_REG_04_one_phase_for_app_and_cli(row, now, phase, words):
    """PeriodRow.phase is the app's column (its label) and the start of the CLI's words."""
    assert row.phase(now) == phase
    assert period_state(row, now) == words
    assert words.startswith(PERIOD_PHASE[phase])


def test_REG_04_cli_period_state_on_the_demo_day(demo_path):
    """On 15/04/2027 the demo's first priority period of BUO001-2027-L1 (until 13/04) has
    ended and the second (from 22/04) is planned, whatever day the system clock says."""
    r = cli(demo_path, "period", "list", "BUO001-2027-L1")
    assert r.exit_code == 0, r.output
    lines = [" ".join(line.split()) for line in r.stdout.splitlines()[1:]]
    assert len(lines) == 2, lines
    assert lines[0].endswith("13/04/2027 12:30:00 afgelopen, niet afgesloten"), lines
    assert lines[1].endswith("20/05/2027 00:00:00 gepland"), lines


def test_the_register_extract_is_dated_on_the_database_clock(demo_path):
    r = cli(demo_path, "extract", "register", "--level", "BUO001-2027-L1", "--format", "txt")
    assert r.exit_code == 0, r.output
    assert "Opgemaakt met lopdesk" in r.stdout
    assert " op 15/04/2027 " in r.stdout, r.stdout[-400:]


def _commands(command, prefix=()):
    subs = getattr(command, "commands", {})
    if prefix:
        yield prefix
    for name, sub in sorted(subs.items()):
        if not getattr(sub, "hidden", False):
            yield from _commands(sub, (*prefix, name))


@pytest.mark.parametrize("path", list(_commands(typer.main.get_command(app))),
                         ids=" ".join)
def test_db_after_the_command_says_where_it_goes(path, tmp_path):
    r = CliRunner().invoke(app, [*path, "--db", str(tmp_path / "x.db")])
    assert r.exit_code == 2, r.output
    assert f"--db hoort vóór de opdracht: lopdesk --db PAD {' '.join(path)}" in r.output
    assert "mogelijk:" not in r.output
    assert not (tmp_path / "x.db").exists()
