"""Words a LOP expert reads, not codes: a level is shown by its school (told apart by its
neighbourhood) and in words ("leerjaar 1 · 2026-2027"), never as its code; the overview says
what its Σ rows and its summary line add up; the help of every screen explains each column
title, abbreviation and mark that screen shows (one table: lopdesk.labels.legend).

The walk runs on the small demo as of 15 April 2027, at 80x24, with keys only."""

from __future__ import annotations

import re
import shutil
from datetime import date
from itertools import islice
from types import SimpleNamespace

import builders as b
import pytest
from conftest import sqlite_only
from sqlalchemy import text
from test_tui import make, settle, table_text

from lopdesk import labels
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import areas
from lopdesk.present import level_title, school_names
from lopdesk.screens.area_index import AreaIndex

# --- levels in words -------------------------------------------------------------------


def _level(level_id, school_id, name, hood, kind, label, year):
    return SimpleNamespace(level_id=level_id, school_id=school_id, school_name=name,
                           neighbourhood=hood, kind=kind, label=label, school_year=year)


def test_a_level_in_words_names_its_kind_label_and_school_year():
    assert labels.level_words("primary_grade", "1", 2026) == "leerjaar 1 · 2026-2027"
    assert labels.level_words("nursery_birth_year", "2024", 2026) \
        == "kleuters 2024 · 2026-2027"
    assert labels.level_words("secondary_1a", "1A", 2026) == "1A · 2026-2027"
    assert labels.level_words("admin_group", "6247", 2026) == "adm.groep 6247 · 2026-2027"


def test_schools_of_one_name_are_told_apart_by_their_neighbourhood():
    levels = [_level("L1", "S1", "De Boomgaard", "Drongen", "primary_grade", "1", 2026),
              _level("L2", "S2", "De Boomgaard", "Ledeberg", "primary_grade", "1", 2026),
              _level("L3", "S3", "De Linde", "Muide", "primary_grade", "1", 2026),
              _level("L4", "S4", "Sint-Jozef", "Rabot", "primary_grade", "1", 2026),
              _level("L5", "S5", "Sint-Jozef", "Rabot", "primary_grade", "1", 2026)]
    assert school_names(levels, by_place=True) == {
        "S1": "De Boomgaard, Drongen", "S2": "De Boomgaard, Ledeberg", "S3": "De Linde",
        # the same name in the same neighbourhood: the number tells them apart
        "S4": "Sint-Jozef (S4)", "S5": "Sint-Jozef (S5)"}
    area = AreaIndex.of(levels)
    assert area.place("L2") == "De Boomgaard, Ledeberg · leerjaar 1 · 2026-2027"
    assert area.level_name("L3") == "leerjaar 1 · 2026-2027"
    assert level_title(levels[0]) == "leerjaar 1 · 2026-2027"
    # a level the index does not know (not read yet): its code, with the school if known
    assert area.place("X9", "De Linde") == "De Linde (X9)"


# --- the overview's sums ---------------------------------------------------------------


def _two_areas(db) -> None:
    """Area A: two levels of capacity 10 and 5; area B (a sub-area of A, as the demo's
    secondary area): one level of capacity 7. No requests: free places = capacity."""
    b.area(db, "A")
    areas.create_area(db, "B", "Gebied B", in_lop=True, education="secondary")
    b.school(db, "S1", "A")
    b.school(db, "S2", "A")
    b.school(db, "S3", "B")
    b.level(db, "L1", "S1", capacity=10)
    b.level(db, "L2", "S2", capacity=5)
    b.level(db, "L3", "S3", capacity=7)


async def test_overview_says_what_its_sums_count(db):
    """A Σ row adds up one area; the line under the table every level shown: 15 + 7 = 22
    for two areas, and exactly the area's Σ row once one area is shown."""
    _two_areas(db)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        sums = {row.key[1]: screen.query_one("VirtualTable").cells(row)[1]
                for row in screen.query_one("VirtualTable").rows if row.key[0] == "area"}
        assert sums == {"A": "15", "B": "7"}
        summary = str(screen.query_one("#summary").render())
        assert summary.strip().startswith("Σ 2 gebieden (A, B): Vrij 22 ·"), summary
        await pilot.press("slash", *"S1", "enter")
        await settle(app, pilot)
        summary = str(screen.query_one("#summary").render())
        assert summary.strip().startswith("Σ gebied A: Vrij 10 ·"), summary
        await pilot.press("question_mark")
        await settle(app, pilot)
        help_text = " ".join(str(app.screen.query_one("#help-body Static").render()).split())
        assert "Σ = som van de niveaus eronder" in help_text
        assert "alle getoonde gebieden samen" in help_text


# --- the demo walk: no level code, every title and mark explained ----------------------

@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """The small demo as of 15 April 2027, built once for the module (SQLite)."""
    path = tmp_path_factory.mktemp("demo-words") / "demo.db"
    b.small_demo(path, date(2027, 4, 15)).dispose()
    return path


@pytest.fixture
def demo_db(demo_file, tmp_path):
    target = tmp_path / "demo.db"
    for suffix in ("", "-wal"):
        src = demo_file.with_name(demo_file.name + suffix)
        if src.exists():
            shutil.copy(src, target.with_name(target.name + suffix))
    db = Database(Settings.from_cli(str(target), "tester"))
    yield db
    db.dispose()


# Column titles in plain words, whose values make them plain too (no legend needed).
PLAIN = {"Kind", "Naam", "School", "Scholen", "Wie", "Wanneer", "Door", "Reden", "Wat",
         "Soort", "Status", "Buurt", "Kinderen", "Ronde", "Jaar", "Tijdstip", "Voorgesteld",
         "Geopend", "Aangevraagd", "Beslissing", "Verklaard", "Niveau", "Afstand",
         "School / niveau", "Loting", "Op de wachtlijst", "Aangeboden"}

# Marks inside cells, by the legend key that explains them.
MARKS = {
    "#n": re.compile(r"(^|\s)#\d+\b"),
    "Rn": re.compile(r"\bR\d+\b"),
    "(n)": re.compile(r"^\(\d+\)$"),
    "Nr!": re.compile(r"^\d+!$"),
    "≠": re.compile("≠"),
    "Σ": re.compile("Σ"),
    "▾ ▸": re.compile("[▾▸]"),
    "VZ": re.compile(r"\bVZ\b"),
    "LAAT": re.compile(r"\bLAAT\b"),
    "aangeboden": re.compile(r"^aangeboden$"),
    "periode": re.compile(r"^periode$"),
    "verstreken": re.compile(r"^verstreken$"),
}
# Short codes in a column of their own: the legend of that column lists them.
CODE_COLUMNS = {"St": labels.STATUS_SHORT, "Vr": labels.PRIORITY_GROUP_SHORT,
                "C": labels.CONTINGENT_SHORT}


def _cells(screen, drawn_only: bool = False) -> list[tuple[str, str]]:
    """(column title, cell text) of the first rows of every table of the screen; drawn_only:
    of the columns drawn (one left out at this width shows only in the detail line)."""
    out = []
    for table in screen.query("VirtualTable"):
        for row in islice(table.rows, 80):
            for col, width, cell in zip(table.columns, table._widths, table.cells(row),
                                        strict=False):
                if width or not drawn_only:
                    out.append((col.label, cell if isinstance(cell, str) else cell[0]))
    return out


def _titles(screen) -> set[str]:
    return {c.label for table in screen.query("VirtualTable") for c in table.columns}


def _explained(help_text: str, key: str) -> bool:
    return re.search(rf"(^|\n)\s*{re.escape(key)} = ", help_text) is not None


def _unexplained(screen, help_text: str) -> list[str]:
    """The titles and marks shown without a legend line, each once (with an example)."""
    missing: dict[str, str] = {}
    for title in sorted(_titles(screen) - PLAIN):
        # a title of several abbreviations ("Ger I/NI") is explained word by word
        if not _explained(help_text, title) and not all(
                _explained(help_text, w) for w in title.split()):
            missing[title] = title
    for column, cell in _cells(screen):
        for key, mark in MARKS.items():
            if mark.search(cell.strip()) and not _explained(help_text, key):
                missing.setdefault(key, f"{key} ({cell.strip()!r} in {column})")
        codes = CODE_COLUMNS.get(column)
        if codes and cell.strip() in codes.values() and not _explained(help_text, column):
            missing.setdefault(column, f"{column} ({cell.strip()!r})")
    return sorted(missing.values())


def _level_codes(db) -> set[str]:
    with db.read() as s:
        return {r[0] for r in s.execute(text("SELECT id FROM capacity_level")).all()}


def _bare_codes(screen, codes: set[str]) -> list[str]:
    return sorted({f"{code} in {column}: {cell!r}" for column, cell in _cells(screen, True)
                   for code in re.findall(r"[A-Z]{2,}\d+-\d{4}-[A-Z0-9]+", cell)
                   if code in codes})


async def _help(app, pilot) -> str:
    await pilot.press("f1")
    await settle(app, pilot)
    body = str(app.screen.query_one("#help-body Static").render())
    await pilot.press("escape")
    await settle(app, pilot)
    return body


async def _check(app, pilot, codes: set[str], where: str, problems: list[str]) -> None:
    screen = app.screen
    problems += [f"{where}: level code {p}" for p in _bare_codes(screen, codes)]
    help_text = await _help(app, pilot)
    problems += [f"{where}: no legend for {p}" for p in _unexplained(screen, help_text)]


@sqlite_only
async def test_every_screen_names_levels_and_explains_what_it_shows(demo_db):
    """Each main screen, a register, a case and a child's file: no table row shows a level
    code the area knows by name, and the help explains every column title, abbreviation
    and mark shown (issue 13: '#17', '(30)', '(R3)', 'Termijn', 'Ovc', 'Zit', 'I/NI', …)."""
    db = demo_db
    codes = _level_codes(db)
    app = make(db)
    problems: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key, name in (("1", "Overzicht"), ("2", "Uitgesteld"), ("3", "Capaciteit"),
                          ("4", "Toewijzing"), ("5", "Bemiddeling")):
            await pilot.press(key)
            await settle(app, pilot)
            await _check(app, pilot, codes, name, problems)
        await pilot.press("enter")  # the first case
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        await _check(app, pilot, codes, "Dossier", problems)
        await pilot.press("f")  # the child's file
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ChildFileScreen"
        await _check(app, pilot, codes, "Dossier kind", problems)
        await pilot.press("enter")  # the register of the child's first request
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"
        await _check(app, pilot, codes, "Register", problems)
        # the refusals' wait column of a register: '#n' and '(Rn)' both shown
        assert re.search(r"#\d+", table_text(app.screen)), table_text(app.screen)[:300]
    assert not problems, "\n".join(problems)



@sqlite_only
async def test_allocation_and_capacity_help_explain_the_seed_counts_and_groups(demo_db):
    """The words of a run (the lottery's seed, its counts) and the capacity screen's
    'adm.groep' are explained in the help of the screen that shows them."""
    app = make(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        help_text = await _help(app, pilot)
        for words in ("Zaad", "rondes uitgestelde aanvaarding", "verbeteringscycli"):
            assert _explained(help_text, words), (words, help_text)
        assert "lotingszaad" in help_text
        await pilot.press("3")
        await settle(app, pilot)
        assert _explained(await _help(app, pilot), "adm.groep")


async def _results(app, pilot) -> None:
    """Keys only: Toewijzing, the runs list, the results of its newest run."""
    await settle(app, pilot)
    await pilot.press("4")
    await settle(app, pilot)
    await pilot.press("tab", "v")
    for _ in range(20):
        await settle(app, pilot)
        if type(app.screen).__name__ == "ResultsScreen":
            return
    raise AssertionError(type(app.screen).__name__)


@sqlite_only
async def test_allocation_results_tell_levels_apart_in_words(demo_db):
    """Each cut-off row names its school (told apart) and its level in words, so two
    '1A · 2026-2027' rows differ; the waiting places of an unplaced child read
    'school · level: plaats n'; level codes only in the detail line."""
    app = make(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _results(app, pilot)
        cutoffs = app.screen.query_one("#cutoffs")
        shown = [tuple(map(str, cutoffs.cells(r)))[:2] for r in cutoffs.rows]
        assert shown and len(set(shown)) == len(shown), shown  # each row told apart
        assert all(school for school, _ in shown), shown  # a school on every row
        unplaced = app.screen.query_one("#unplaced")
        waits = [str(unplaced.cells(r)[2]) for r in unplaced.rows]
        assert any(re.search(r" · .+: plaats \d+", w) for w in waits), waits
        problems = _bare_codes(app.screen, _level_codes(demo_db))
    assert not problems, "\n".join(problems)


@sqlite_only
async def test_allocation_results_and_offers_explain_what_they_show(demo_db):
    """The results of a run and the offers list: no level code in a drawn column, and the
    help explains every title and mark shown, and the counts of the run."""
    from lopdesk.screens.offers import OffersScreen

    codes = _level_codes(demo_db)
    app = make(demo_db)
    problems: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await _results(app, pilot)
        await _check(app, pilot, codes, "Resultaten", problems)
        help_text = await _help(app, pilot)
        for words in ("rondes uitgestelde aanvaarding", "verbeteringscycli"):
            assert _explained(help_text, words), (words, help_text)
        await pilot.press("escape")
        await settle(app, pilot)
        await app.push_screen(OffersScreen())
        await settle(app, pilot)
        assert app.screen.table.rows, "the demo has offers"
        await _check(app, pilot, codes, "Aanbiedingen", problems)
        assert "Antw. t.e.m." in [c.label for c in app.screen.table.columns]
    assert not problems, "\n".join(problems)


def test_the_level_picker_names_levels_as_every_screen_does(db):
    """A level in the picker reads as in the tables ('kleuters 2024 · 2026-2027'), not as
    'kleuter geboortejaar 2024 · 2026'."""
    from lopdesk.screens.widgets.picker import level_choices

    b.area(db, "A")
    b.school(db, "S1")
    b.level(db, "L1", "S1", kind="nursery_birth_year", label="2024", year=2026)
    (choice,) = level_choices(db)
    assert choice.label.startswith("kleuters 2024 · 2026-2027 — School S1"), choice.label
    assert "geboortejaar" not in choice.label


async def test_each_picker_says_what_it_searches(db):
    """A level or a school has no birth date: only the child picker offers to search on it."""
    from lopdesk.screens.dialogs import FormDialog, FormField

    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await app.push_screen(FormDialog("Kiezen", [
            FormField("level", "Niveau", "level"), FormField("school", "School", "school"),
            FormField("child", "Kind", "child")], save=lambda v: None))
        await settle(app, pilot)
        shown = {k: app.screen.query_one(f"#f-{k}").input.placeholder
                 for k in ("level", "school", "child")}
    assert "geboortedatum" in shown["child"], shown
    assert "niveau" in shown["level"] and "geboortedatum" not in shown["level"], shown
    assert "geboortedatum" not in shown["school"], shown
