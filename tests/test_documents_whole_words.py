"""Documents a LOP reads on paper or in the preview never cut a word: a school name longer
than its column of the text report goes whole on a line of its own, the preview wraps long
lines at its width, and a report of a year without levels is refused with the years there
are (rather than a report of zeros)."""

from __future__ import annotations

import re

import builders as b
import pytest

from lopdesk.domain import documents
from lopdesk.errors import InvalidInput
from lopdesk.screens.documents import wrap_lines

LONG = "GO! basisschool Het Groene Huis Sluizeken-Tolhuis-Ham"


def test_report_text_keeps_long_school_names_and_neighbourhoods_whole(db):
    from lopdesk.domain import areas

    b.area(db)
    areas.create_school(db, "S1", "A", LONG, neighbourhood="Sluizeken-Tolhuis-Ham")
    b.level(db, "L1", "S1")
    text = documents.render_report(db, "A", 2027, "txt")
    lines = text.splitlines()
    # sections 1 to 4 and the chart each name the school whole, on a line of its own
    assert sum(1 for line in lines if line == LONG) == 5, text
    assert not any(LONG[:30] in line and LONG not in line for line in lines)
    assert any(line.startswith(" " * 31 + "Sluizeken-Tolhuis-Ham ") for line in lines), text


def test_report_of_a_year_without_levels_names_the_years_there_are(db):
    b.area(db)
    b.school(db, "S1")
    b.level(db, "L1", "S1", year=2026)
    with pytest.raises(InvalidInput) as err:
        documents.render_report(db, "A", 2027, "txt")
    assert "2027-2028" in err.value.message and "wel in: 2026-2027" in err.value.message
    assert err.value.field == "year"


def test_preview_wraps_long_lines_keeping_every_word():
    line = "  geopend: op vraag van ouders van 20/03/2027: ouders vragen hulp bij het " \
           "zoeken naar een school in de buurt van hun werk"
    wrapped = wrap_lines(f"kop\n{line}", 40)
    assert wrapped[0] == "kop"
    assert all(len(w) <= 40 for w in wrapped)
    assert wrapped[1].startswith("  geopend:") and wrapped[2].startswith("    ")
    assert re.split(r"\s+", " ".join(wrapped[1:]).strip()) == line.split()
    # a word longer than the width stays whole
    assert wrap_lines("x " + "a" * 50, 30) == ["x", "  " + "a" * 50]


def test_case_summary_names_the_level_in_words_and_says_the_opening_once(db):
    from datetime import date

    from builders import t

    from lopdesk.domain import mediation, registers
    from lopdesk.domain.extracts.case import case_from_view

    level, kids = b.basic(db, capacity=2, n_children=3)
    for i, kid in enumerate(kids):
        registers.add_request(db, level, kid, at=t(i))
    case = mediation.open_case(db, kids[2], request_on=date(2027, 3, 10), note="belde op")
    c = case_from_view(mediation.get_case(db, case.id))
    assert c["level"] == "leerjaar 1 · 2027-2028 (L1)"
    summaries = [m["summary"] for m in c["meetings"]]
    assert summaries and not any(s.lower().startswith("geopend: geopend") for s in summaries)
    assert any(s.startswith("geopend") for s in summaries), summaries


def test_a_level_in_a_letter_is_named_without_repeating_itself():
    """The refusal notice read 'voor 1ste leerjaar A (1A 1A)' and 'voor Kleuter geb. 2025
    (kleuter geboortejaar 2025)'; it adds to a level's name only what the name lacks."""
    from lopdesk.domain.extracts.register import _qualifier

    assert _qualifier("1ste leerjaar", "leerjaar", "1") == "leerjaar 1"
    assert _qualifier("1ste leerjaar A", "1A", "1A") == "1A"
    assert _qualifier("Kleuter geb. 2025", "kleuter geboortejaar", "2025") == ""
