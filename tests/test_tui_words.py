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


def _cells(screen) -> list[tuple[str, str]]:
    """(column title, cell text) of the first rows of every table of the screen."""
    out = []
    for table in screen.query("VirtualTable"):
        for row in islice(table.rows, 80):
            for col, cell in zip(table.columns, table.cells(row), strict=False):
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
    return sorted({f"{code} in {column}: {cell!r}" for column, cell in _cells(screen)
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
