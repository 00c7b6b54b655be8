"""The register view: lines read column-wise and made only when drawn, the filter on the
columns, lines of a replaced allocation run hidden on request (ALC-05, REG-02), the legend
of the register's marks."""

from __future__ import annotations

from builders import t
from conftest import invoke_as
from test_rerun_keeps_later_work import year  # noqa: F401 (fixture)
from test_tui import make, open_register, scenario, settle, table_text
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.domain import allocation, register_view, registers
from lopdesk.screens.widgets.table import LazyRows, Row


def test_register_lines_are_made_on_demand_in_number_order(db):
    s = scenario(db)
    lines = register_view.register_lines(db, s["level"])
    assert len(lines) == 3
    assert [lines[i].seq for i in range(3)] == [1, 2, 3]  # REG-01: by number
    assert lines[-1].child_id == s["kids"][2]
    assert [line.status for line in lines[0:3]] == ["realised", "realised", "non_realised"]
    assert lines[0].search == f"1 {lines[0].child_name.lower()} {s['kids'][0].lower()}"
    assert lines.position(s["entries"][1].id) == 1 and lines.position(-5) is None
    ids = [e.id for e in s["entries"]]
    assert lines.positions([ids[2], -5, ids[0]]) == [2, 0]  # in that order, unknown left out
    some = register_view.LinesAt(lines, [2, 0])
    assert len(some) == 2 and [e.seq for e in some] == [3, 1]
    assert lines.where() is None  # nothing filters: every line
    assert lines.where(status="non_realised") == [2]
    assert lines.where(s["kids"][1].lower()) == [1]
    assert lines.where("zz-nobody") == []


def test_ALC_05_lines_of_a_replaced_run_are_flagged_superseded(db, year):  # noqa: F811
    allocation.run_round(db, "R27", seed=12, replace=True)
    lines = register_view.register_lines(db, "L1")
    # L1 (2 places) is every child's first choice: 8 lines per run; the replacement
    # withdrew the 8 lines of the first run and wrote 8 of its own.
    assert len(lines) == 16
    assert lines.superseded == 8
    assert [lines[i].superseded for i in range(16)] == [True] * 8 + [False] * 8
    assert all(lines[i].status == "withdrawn" for i in range(8))
    assert lines.where(hide_superseded=True) == list(range(8, 16))
    # a line withdrawn by hand is not superseded
    ticket = registers.list_entries(db, "L1")[8]
    assert ticket.status == "realised"  # the new run writes its tickets first (REG-07)
    registers.withdraw(db, ticket.id, reason="verhuisd")
    assert register_view.register_lines(db, "L1").superseded == 8


def test_lazy_rows_make_a_row_only_when_read():
    made: list[int] = []

    def make_row(i: int) -> Row:
        made.append(i)
        return Row(i * 10, data=i)

    rows = LazyRows(list(range(0, 200_000, 10)), make_row)
    assert len(rows) == 20_000 and made == []
    assert rows[-1].data == 19_999 and made == [19_999]
    part = rows.subset([3, 5, 19_999])
    assert len(part) == 3 and part[2] is rows[-1]  # shared: not made twice
    assert part.position(50) == 1 and part.position(40) is None
    assert made == [19_999]  # neither the subset nor a look-up made a row


async def test_ALC_05_register_hides_superseded_lines_on_v(db, year):  # noqa: F811
    allocation.run_round(db, "R27", seed=12, replace=True)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, "L1")
        screen = app.screen
        note = str(screen.query_one("#superseded").render())
        assert "8 lijnen van een vervangen toewijzing" in note and "v: verbergen" in note
        assert len(screen.query_one("VirtualTable").rows) == 16
        await pilot.press("v")
        await settle(app, pilot)
        note = str(screen.query_one("#superseded").render())
        assert "8 lijnen van een vervangen toewijzing verborgen" in note
        assert len(screen.query_one("VirtualTable").rows) == 8
        assert "INT" not in table_text(screen)  # none of the withdrawn lines shows
        await pilot.press("v")
        await settle(app, pilot)
        assert len(screen.query_one("VirtualTable").rows) == 16


async def test_register_without_replaced_run_says_nothing_about_it(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, "L1")
        assert not app.screen.query_one("#superseded").display


# --- the legend of "!" (app) and "tijdstip!" (CLI), REG-01 -------------------------------

def _late_line(db) -> str:
    """L1 with a request dated before the previous number's (REG-01: flagged, not moved)."""
    s = scenario(db)
    registers.add_request(db, s["level"], s["kids"][3], at=t(1))  # nr. 3 was made at t(2)
    return s["level"]


async def _register_and_help(db) -> tuple[str, str, str]:
    """The register of _late_line at 80x24: its table, its mark line, then its help."""
    level = _late_line(db)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, level)
        table = table_text(app.screen)
        marks = str(app.screen.query_one("#marks").render())
        await pilot.press("question_mark")
        await settle(app, pilot)
        return table, marks, str(app.screen.query_one("#help-body Static").render())


async def test_REG_01_register_explains_the_out_of_order_mark(db):
    table, marks, help_text = await _register_and_help(db)
    assert "4!" in table
    assert marks.strip() == "1 lijn met Nr! = tijdstip vóór dat van het vorige nummer (REG-01)"
    assert "Tekens in de tabel" in help_text
    assert "Nr! = tijdstip vóór dat van het vorige nummer" in help_text


async def test_REG_03_register_help_explains_the_status_and_column_codes(db):
    """The register shows GER/UIT/NGI/INT, BZ/P and I/NI: its help says what each means."""
    _table, _marks, help_text = await _register_and_help(db)
    flat = " ".join(help_text.split())
    for text in ("St = status: GER gerealiseerd, UIT uitgesteld, NGI niet-gerealiseerd, "
                 "INT ingetrokken",
                 "Vr = voorrang: BZ+P broer/zus en kind van personeel, BZ broer/zus, "
                 "P kind van personeel, - geen voorrang",
                 "C = contingent: I indicator, NI niet-indicator"):
        assert text in flat, flat


async def test_REG_01_no_mark_line_when_every_line_is_in_order(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, "L1")
        assert not app.screen.query_one("#marks").display


def test_REG_01_cli_list_explains_the_flag(db, db_path):
    level = _late_line(db)
    runner = CliRunner()
    r = invoke_as("tester", runner, app, ["--db", str(db_path), "register", "list", level])
    assert r.exit_code == 0, r.output
    assert "tijdstip!" in r.stdout
    assert ("tijdstip! = tijdstip vóór dat van het vorige nummer; de volgorde blijft die van "
            "de nummers (REG-01)") in r.stderr
    help_text = invoke_as("tester", runner, app, ["register", "list", "--help"]).stdout
    assert "tijdstip! = tijdstip vóór dat van het vorige nummer" in " ".join(help_text.split())


def test_register_head_gives_the_count_and_the_first_lines(db):
    s = scenario(db)
    count, head = register_view.register_head(db, s["level"], limit=2)
    assert count == 3
    assert [head[i].seq for i in range(len(head))] == [1, 2]  # REG-01: the first numbers
    assert head.search[1] == f"2 {head[1].child_name.lower()} {s['kids'][1].lower()}"


def test_rows_while_the_first_lines_are_read():
    from lopdesk.screens.register_rows import head_rows

    head = register_view.RegisterLines(
        [[7, 1, "2027-03-01 08:00:00", "K1", "An Peeters", "none", "indicator", "realised",
          None, 0, None, None, 1, 0]], ["1 an peeters k1"])
    rows = head_rows(head, 3)
    assert len(rows) == 3
    assert rows[0].key == 7 and rows[0].data.child_name == "An Peeters"
    assert rows[2].key == ("pending", 2) and rows[2].cells == ["3", "…"] and rows[2].data is None
    assert rows.position(7) == 0


def test_the_widest_values_come_with_the_read_and_agree_with_the_lines(db, year):  # noqa: F811
    """The register's column widths: on SQLite aggregated in the read itself (no pass over
    200,000 lines on the screen), elsewhere measured on the columns; both say the same."""
    registers.withdraw(db, registers.list_entries(db, "L1")[0].id, reason="verhuisd")
    lines = register_view.register_lines(db, "L1")
    read = lines.widest()
    measured = register_view.RegisterLines(lines.rows, lines.search).widest()
    assert read == measured
    names = [lines[i].child_name for i in range(len(lines))]
    assert read.name == max(map(len, names)) and read.seq == len(lines) == 8
    assert read.child_id == max(len(lines[i].child_id) for i in range(len(lines)))
    assert read.reasons == {r for r in (lines[i].reason for i in range(8)) if r} != set()


def test_REG_07_a_placed_line_says_toewijzing_not_ticket(db, year):  # noqa: F811
    """The history of a line the allocation placed names it in the glossary's Dutch
    ('toewijzing (keuze n)'), never the English 'ticket'."""
    from sqlalchemy import select

    from lopdesk.domain.models import RegisterEvent

    with db.read() as s:
        reasons = s.execute(select(RegisterEvent.reason).where(
            RegisterEvent.to_status == "realised")).scalars().all()
    assert reasons and all("toewijzing (keuze " in r for r in reasons), reasons[:3]
    assert not any("ticket" in r for r in reasons)
