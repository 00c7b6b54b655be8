"""lopdesk.parse: what a user types in the CLI or a form, read one way, with Dutch messages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lopdesk import parse
from lopdesk.errors import InvalidInput


@pytest.mark.parametrize(("text", "expected"), [
    ("2027-03-05", date(2027, 3, 5)),
    (" 05/03/2027 ", date(2027, 3, 5)),
    ("5/3/2027", date(2027, 3, 5)),
    ("05-03-2027", date(2027, 3, 5)),
    ("05.03.2027", date(2027, 3, 5)),
])
def test_day_iso_and_dutch(text: str, expected: date) -> None:
    assert parse.day(text) == expected


@pytest.mark.parametrize("text", [None, "", "   "])
def test_day_empty_is_none(text: str | None) -> None:
    assert parse.day(text) is None


@pytest.mark.parametrize("text", ["2027-02-30", "31/02/2027", "morgen", "05/03/27"])
def test_day_refused_names_field_and_form(text: str) -> None:
    with pytest.raises(parse.ParseError) as err:
        parse.day(text, "Datum van de vraag")
    assert err.value.field == "Datum van de vraag"
    assert err.value.message.startswith(f"Datum van de vraag: '{text}' is geen datum")
    assert "2027-03-05" in err.value.message and "05/03/2027" in err.value.message
    assert isinstance(err.value, InvalidInput) and err.value.exit_code == 2


@pytest.mark.parametrize(("text", "expected"), [
    # Winter: Brussels is UTC+1; summer: UTC+2.
    ("2027-03-01T09:00:12", datetime(2027, 3, 1, 8, 0, 12, tzinfo=UTC)),
    ("01/03/2027 09:00:12", datetime(2027, 3, 1, 8, 0, 12, tzinfo=UTC)),
    ("01/03/2027 09:00", datetime(2027, 3, 1, 8, 0, 0, tzinfo=UTC)),
    ("01/03/2027", datetime(2027, 2, 28, 23, 0, 0, tzinfo=UTC)),
    ("01/07/2027 09:00", datetime(2027, 7, 1, 7, 0, 0, tzinfo=UTC)),
    ("2027-03-01T09:00:12+00:00", datetime(2027, 3, 1, 9, 0, 12, tzinfo=UTC)),
    ("2027-03-01T09:00:12.987", datetime(2027, 3, 1, 8, 0, 12, tzinfo=UTC)),
])
def test_moment_is_brussels_time_returned_as_utc(text: str, expected: datetime) -> None:
    got = parse.moment(text)
    assert got == expected and got.tzinfo is not None and got.microsecond == 0


@pytest.mark.parametrize("text", ["01/03/2027 9h", "01/03/2027 25:00", "gisteren", "1:2:3:4"])
def test_moment_refused(text: str) -> None:
    with pytest.raises(parse.ParseError, match=r"^--at: '.*' is geen tijdstip \(verwacht bv\."):
        parse.moment(text, "--at")


def test_moment_empty_is_none() -> None:
    assert parse.moment("") is None and parse.moment(None) is None


@pytest.mark.parametrize(("text", "expected"), [("3", 3), (" 42 ", 42), ("-1", -1), (7, 7)])
def test_whole(text: str, expected: int) -> None:
    assert parse.whole(text, "Aantal") == expected


@pytest.mark.parametrize("text", ["", "3.5", "drie", "1e3", "--1"])
def test_whole_refused(text: str) -> None:
    with pytest.raises(parse.ParseError, match=r"^Capaciteit: '.*' is geen geheel getal\.$"):
        parse.whole(text, "Capaciteit")


def test_whole_minimum() -> None:
    with pytest.raises(parse.ParseError, match=r"^Zaad: '-1' is kleiner dan 0\.$"):
        parse.whole("-1", "Zaad", minimum=0)
    assert parse.whole("0", "Zaad", minimum=0) == 0


@pytest.mark.parametrize(("text", "level", "expected"), [
    ("1234", None, parse.EntryRef(entry_id=1234)),
    ("L1:3", None, parse.EntryRef(level_id="L1", seq=3)),
    ("SCH-1:KL:12", None, parse.EntryRef(level_id="SCH-1:KL", seq=12)),
    ("3", "L1", parse.EntryRef(level_id="L1", seq=3)),
    ("L2:3", "L1", parse.EntryRef(level_id="L2", seq=3)),
])
def test_entry_ref(text: str, level: str | None, expected: parse.EntryRef) -> None:
    assert parse.entry_ref(text, level) == expected


@pytest.mark.parametrize(("text", "level", "what"), [
    ("abc", None, "geen inschrijving"),
    ("L1:x", None, "geen volgnummer"),
    (":3", None, "geen inschrijving"),
    ("x", "L1", "geen volgnummer"),
])
def test_entry_ref_refused(text: str, level: str | None, what: str) -> None:
    with pytest.raises(parse.ParseError) as err:
        parse.entry_ref(text, level)
    assert err.value.message.startswith(f"inschrijving: '{text}' is {what}")
    assert "NIVEAU:NR" in err.value.message
