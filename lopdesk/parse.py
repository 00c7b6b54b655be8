"""Reading what a user typed, for the CLI and the screens' forms alike, with Dutch messages.

Every parser raises `ParseError` (an `InvalidInput`, so the CLI exits 2) whose message names
the field and shows the expected form; the screens show that message as it is. Moments
without a zone are Brussels local time and come back as aware UTC (the database's form).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from lopdesk.errors import InvalidInput
from lopdesk.labels import BRUSSELS, parse_local_datetime

if TYPE_CHECKING:
    from lopdesk.db import Database

# The forms the app's fields ask for, in Dutch: a day is dd/mm/jjjj, a moment
# dd/mm/jjjj uu:mm (seconds optional). ISO 8601 is accepted too (files, scripts).
DAY_FORM = "dd/mm/jjjj"
MOMENT_FORM = "dd/mm/jjjj uu:mm"
DAY_EXAMPLE = "05/03/2027 of 2027-03-05"
MOMENT_EXAMPLE = "01/03/2027 09:00 of 2027-03-01T09:00:12"
ENTRY_EXAMPLE = "ID, NIVEAU:NR of --level NIVEAU NR"


class ParseError(InvalidInput):
    """A typed value of the wrong form; the message names the field and the expected form."""

    def __init__(self, field: str, value: str, expected: str):
        self.value = value
        super().__init__(f"{field}: '{value}' is {expected}.", field=field)


def _dutch_day(text: str) -> tuple[date, str] | None:
    """'05/03/2027' (also with '-' or '.') and what follows it, or None when not of that form."""
    head, _, rest = text.partition(" ")
    parts = head.replace("-", "/").replace(".", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        return None
    day_, month, year = (int(p) for p in parts)
    return date(year, month, day_), rest.strip()


def day(text: str | None, field: str = "datum") -> date | None:
    """A calendar day, ISO (2027-03-05) or Dutch (05/03/2027); empty gives None."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        dutch = _dutch_day(value)
        if dutch is not None and not dutch[1]:
            return dutch[0]
        return date.fromisoformat(value)
    except ValueError:
        raise ParseError(field, value, f"geen datum (verwacht bv. {DAY_EXAMPLE})") from None


def _clock(text: str) -> tuple[int, int, int]:
    parts = text.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise ValueError(text)
    hour, minute, second = (int(p) for p in (*parts, "0")[:3])
    return hour, minute, second


def moment(text: str | None, field: str = "tijdstip") -> datetime | None:
    """A moment to the second: ISO 8601 or dd/mm/jjjj [uu:mm[:ss]]; without a zone it is
    Brussels local time. Returns aware UTC without microseconds; empty gives None."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        dutch = _dutch_day(value)
        if dutch is not None:
            on, rest = dutch
            hour, minute, second = _clock(rest) if rest else (0, 0, 0)
            local = datetime(on.year, on.month, on.day, hour, minute, second, tzinfo=BRUSSELS)
            return local.astimezone(UTC)
        return parse_local_datetime(value)  # ISO 8601, as in the import files
    except (ValueError, OverflowError):  # year 0001 in Brussels time has no UTC
        raise ParseError(field, value,
                         f"geen tijdstip (verwacht bv. {MOMENT_EXAMPLE})") from None


def whole(text: str | int | None, field: str, *, minimum: int | None = None) -> int:
    """A whole number (spaces around it allowed), at least `minimum` when given."""
    value = str(text if text is not None else "").strip()
    digits = value[1:] if value.startswith("-") else value
    if not digits.isdigit():
        raise ParseError(field, value, "geen geheel getal")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ParseError(field, value, f"kleiner dan {minimum}")
    return number


@dataclass(frozen=True)
class EntryRef:
    """A register entry as typed: by its id, or by level and sequence number."""

    entry_id: int | None = None
    level_id: str | None = None
    seq: int | None = None


def entry_ref(text: str, level: str | None = None, field: str = "inschrijving") -> EntryRef:
    """'L1:3' (level L1, number 3), '3' with a level given apart, or an entry id '1234'."""
    value = (text or "").strip()
    level_id: str | None = level
    seq_text = value
    if ":" in value:
        level_id, seq_text = (p.strip() for p in value.rsplit(":", 1))
        if not level_id:
            raise ParseError(field, value, f"geen inschrijving (gebruik {ENTRY_EXAMPLE})")
    if not seq_text.isdigit():
        what = "geen volgnummer" if level_id else "geen inschrijving"
        raise ParseError(field, value, f"{what} (gebruik {ENTRY_EXAMPLE})")
    if level_id:
        return EntryRef(level_id=level_id, seq=int(seq_text))
    return EntryRef(entry_id=int(seq_text))


def entry_id(db: Database, text: str, level: str | None = None,
             field: str = "inschrijving") -> int:
    """The id of the entry `text` refers to (see entry_ref); an unknown level:number is
    NotFound."""
    ref = entry_ref(text, level, field)
    if ref.entry_id is not None:
        return ref.entry_id
    from lopdesk.domain.registers import find_entry

    assert ref.level_id is not None and ref.seq is not None
    return find_entry(db, ref.level_id, ref.seq).id
