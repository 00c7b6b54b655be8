"""Reading CSV files as offices write them, shared by the imports and the allocation readers.

One place decides what a cell may hold (docs/formats-lopdesk.md, "CSV in"):
- UTF-8 with or without BOM; a Windows-1252 file is refused with a hint to save it as UTF-8;
- `,` or `;` as separator, detected per file from its header line;
- an unterminated quote is reported at the line where its record starts;
- no control characters, escape sequences or bidi overrides in any cell (they would rewrite
  a colleague's terminal or reverse a name on paper);
- no national register number (INSZ), neither as a column nor as a value (domain §10);
- integers within 64 bits, dates `JJJJ-MM-DD` or `DD/MM/JJJJ` within plausible years.

Pure Python (no numpy, no database): `lopdesk.domain` and `lopdesk.matching` both use it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from lopdesk.errors import ImportError_

# C0 (tab, CR and LF included: a cell is one line), DEL, C1 (ESC sequences start in C0 or
# C1), and the bidi embeddings, overrides and isolates.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A value made only of digits, spaces, dots and dashes with 11 digits: a candidate INSZ.
_INSZ_SHAPE = re.compile(r"^[0-9 .\-]+$")
_DIGIT_RUN = re.compile(r"[0-9][0-9 .\-]{9,}[0-9]")  # where an INSZ could hide in a row
INT64_MAX = 2**63 - 1
_ASCII_INT = re.compile(r"^[+-]?[0-9]+$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DMY_TIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_MIDNIGHT = re.compile(r"(?<=^\d{4}-\d{2}-\d{2})[T ]00:00(?::00)?$")
_ISO_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
BRUSSELS = ZoneInfo("Europe/Brussels")
# Plausible bounds (docs/decisions.md): a value outside them is a typo, never data.
DAY_YEARS = (1900, 2100)
SCHOOL_YEARS = (2000, 2100)
MOMENT_SPAN_YEARS = 50
MAX_CAPACITY = 10_000
MAX_PUPILS = 100_000
MAX_RANK = 1_000
MAX_ID_LENGTH = 64
UTF8_HINT = "sla het bestand op als UTF-8 (CSV UTF-8)"

# Header names of a national register number, after `header_key` (domain §10).
_FORBIDDEN_EXACT = {"rrn", "rrnr", "rrnummer", "niss", "nationalid", "ssn",
                    "nationalregisternumber", "numeroderegistrenational",
                    "nationaalnummer", "nationaalregisternummer"}
_FORBIDDEN_PREFIX = ("rijksregister", "insz")


def header_key(name: str) -> str:
    """A header compared without case, accents, spaces, underscores, dashes or dots."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in plain if ch.isalnum() and not unicodedata.combining(ch))


def is_forbidden_header(name: str) -> bool:
    key = header_key(name)
    return key in _FORBIDDEN_EXACT or key.startswith(_FORBIDDEN_PREFIX)


def is_insz(value: str) -> bool:
    """True for 11 digits (with any spaces, dots or dashes) whose mod-97 check holds, in the
    form for births before 2000 or the one with '2' before the first nine digits."""
    if not _INSZ_SHAPE.match(value):
        return False
    digits = re.sub(r"[ .\-]", "", value)
    if len(digits) != 11:
        return False
    base, check = int(digits[:9]), int(digits[9:])
    return 97 - base % 97 == check or 97 - (2_000_000_000 + base) % 97 == check


def decode(name: str, raw: bytes) -> str:
    """UTF-8 text without BOM; a Windows-1252 file gets the hint to save it as UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        try:
            raw.decode("cp1252")
        except UnicodeDecodeError:
            raise _not_utf8(name, line, exc.start, False) from None
        raise _not_utf8(name, line, exc.start, True) from None


def _not_utf8(name: str, line: int, offset: int, cp1252: bool) -> ImportError_:
    if not cp1252:
        return ImportError_(name, line, None, f"geen geldige UTF-8 (byte {offset}); {UTF8_HINT}")
    return ImportError_(name, line, None, f"byte {offset} is geen UTF-8: het bestand lijkt "
                        f"Windows-1252 (ANSI) te zijn; {UTF8_HINT}")


def scan_file(name: str, path: Path, block: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in blocks; refused as `decode` refuses it when it is
    not UTF-8 (the line of the first bad byte, the Windows-1252 hint)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    bad: tuple[int, int] | None = None  # (offset, line) of the first byte that is not UTF-8
    is_cp1252 = True
    offset = lines = 0
    with open(path, "rb") as f:
        while data := f.read(block):
            digest.update(data)
            if bad is None:
                pending = len(utf8.getstate()[0])
                try:
                    utf8.decode(data)
                except UnicodeDecodeError as exc:
                    at = offset - pending + exc.start
                    bad = (at, lines + data.count(b"\n", 0, max(0, at - offset)) + 1)
            if bad is not None and is_cp1252:
                try:
                    cp1252.decode(data)
                except UnicodeDecodeError:
                    is_cp1252 = False
            lines += data.count(b"\n")
            offset += len(data)
    if bad is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            bad = (offset - len(utf8.getstate()[0]), lines + 1)
    if bad is not None:
        raise _not_utf8(name, bad[1], bad[0], is_cp1252)
    return digest.hexdigest()


def separator(text: str) -> str:
    """`;` when the header line holds more semicolons than commas, else `,`."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def check_cell(name: str, line: int, column: str | None, value: str) -> None:
    """Refuse control characters and national register numbers, naming the place."""
    bad = CONTROL.search(value)
    if bad:
        raise ImportError_(name, line, column, f"stuurteken U+{ord(bad.group()):04X} in de "
                           "waarde (geen stuurtekens, escapes of richtingstekens toegelaten)")
    if is_insz(value):
        raise ImportError_(name, line, column, "dit is een rijksregisternummer (INSZ): dat "
                           "wordt niet bewaard in lopdesk (privacy), gebruik een pseudoniem")


def check_header(name: str, header: list[str], required: tuple[str, ...]) -> None:
    for col in header:
        check_cell(name, 1, col or None, col)
        if is_forbidden_header(col):
            raise ImportError_(name, 1, col, "een rijksregisternummer wordt niet bewaard in "
                               "lopdesk (privacy): verwijder deze kolom")
    for col in required:
        if col not in header:
            raise ImportError_(name, 1, col, "verplichte kolom ontbreekt")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise ImportError_(name, 1, dupes[0], "kolom staat twee keer in de kopregel")


class CsvFile:
    """The header and the checked rows of one CSV text (or of a sheet's rows, see
    `from_records`); `line` is the current row's line."""

    def __init__(self, name: str, raw: bytes, required: tuple[str, ...]):
        text = decode(name, raw)
        self._open(name, io.StringIO(text, newline=""), separator(text), required)

    @classmethod
    def from_path(cls, name: str, path: Path, required: tuple[str, ...]
                  ) -> tuple[CsvFile, str]:
        """The file read as it is consumed, a line at a time, whatever its size; with the
        file's SHA-256 (a first pass checks the encoding). `close` when done early."""
        digest = scan_file(name, path)
        stream = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - see close
        try:
            first = stream.readline()
            stream.seek(0)
            self = cls.__new__(cls)
            self._open(name, stream, separator(first), required)
        except BaseException:
            stream.close()
            raise
        return self, digest

    def close(self) -> None:
        closer = getattr(self, "_stream", None)
        if closer is not None:
            closer.close()

    def _open(self, name: str, stream: io.TextIOBase, delimiter: str,
              required: tuple[str, ...]) -> None:
        self.name = name
        self.delimiter = delimiter
        self._stream = stream
        self._reader = csv.reader(stream, delimiter=delimiter, strict=True)
        self.line = 1
        try:
            header = next(self._reader)
        except StopIteration:
            raise ImportError_(name, 1, None, "leeg bestand: de kopregel ontbreekt") from None
        except csv.Error as exc:
            raise self._csv_error(exc) from None
        self._start(header, required, self._csv_records())

    @classmethod
    def from_records(cls, name: str, records: Iterator[tuple[int, list[str]]],
                     required: tuple[str, ...]) -> CsvFile:
        """Rows that are already split (a spreadsheet's sheet, as (line, cells)): the first
        is the header; every cell gets the same checks as a CSV cell."""
        self = cls.__new__(cls)
        self.name, self.delimiter, self.line = name, "", 1
        first = next(records, None)
        if first is None or not any(v.strip() for v in first[1]):
            raise ImportError_(name, 1, None, "leeg blad: de kopregel ontbreekt op de "
                               "eerste rij")
        self._start(first[1], required, records)
        return self

    def _start(self, header: list[str], required: tuple[str, ...],
               records: Iterator[tuple[int, list[str]]]) -> None:
        self.header = [h.strip() for h in header]
        check_header(self.name, self.header, required)
        self._id_columns = [h for h in dict.fromkeys(self.header) if h.endswith("_id")]
        self._records = records

    def _csv_records(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            self.line = self._reader.line_num + 1  # where the next record starts
            try:
                values = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._csv_error(exc) from None
            yield self.line, values

    def _csv_error(self, exc: csv.Error) -> ImportError_:
        if "unexpected end of data" in str(exc):
            return ImportError_(self.name, self.line, None, "aanhalingsteken (\") wordt niet "
                                "gesloten: de waarde loopt tot het einde van het bestand")
        return ImportError_(self.name, self.line, None, f"onleesbare CSV ({exc})")

    def rows(self) -> Iterator[dict[str, str]]:
        """Each non-blank row as {column: stripped value}, every cell checked."""
        header, width = self.header, len(self.header)
        for line, values in self._records:
            self.line = line
            if not values or all(not v.strip() for v in values):
                continue  # blank lines are harmless
            if len(values) > width:
                raise ImportError_(self.name, self.line, None,
                                   f"{len(values)} velden, de kopregel heeft er {width}")
            if len(values) == width:
                row = dict(zip(header, map(str.strip, values), strict=True))
            else:
                row = {h: (values[i].strip() if i < len(values) else "")
                       for i, h in enumerate(header)}
            joined = "|".join(values)  # "|" ends a digit run: no INSZ across cells
            if CONTROL.search(joined) or _DIGIT_RUN.search(joined):
                for col, value in row.items():  # find the cell
                    check_cell(self.name, self.line, col, value)
            if len(joined) > MAX_ID_LENGTH:
                self._check_ids(row)
            yield row

    def _check_ids(self, row: dict[str, str]) -> None:
        for col in self._id_columns:
            if len(row[col]) > MAX_ID_LENGTH:
                raise ImportError_(self.name, self.line, col, f"id van {len(row[col])} "
                                   f"tekens: hoogstens {MAX_ID_LENGTH}")


def parse_int(value: str) -> int | None:
    """An ASCII integer within 64 bits, or None."""
    if not _ASCII_INT.match(value):
        return None
    number = int(value)
    return number if -INT64_MAX - 1 <= number <= INT64_MAX else None


def int_problem(value: str) -> str:
    if _ASCII_INT.match(value):
        return f"'{value[:30]}' is te groot (buiten 64 bits)"
    return f"'{value[:30]}' is geen geheel getal"


def parse_day(value: str) -> date | None:
    """`JJJJ-MM-DD` or `DD/MM/JJJJ` within DAY_YEARS, or None. A midnight time after an
    ISO date (a spreadsheet's date cell formatted with a time) is the date."""
    value = _MIDNIGHT.sub("", value)
    m = _DMY.match(value)
    try:
        day = (date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m
               else date.fromisoformat(value) if re.match(r"^\d{4}-\d{2}-\d{2}$", value)
               else None)
    except ValueError:
        return None
    if day is None or not DAY_YEARS[0] <= day.year <= DAY_YEARS[1]:
        return None
    return day


DAY_PROBLEM = (f"is geen datum (JJJJ-MM-DD of DD/MM/JJJJ, jaar {DAY_YEARS[0]}–"
               f"{DAY_YEARS[1]})")


MOMENT_PROBLEM = ("is geen tijdstip tot op de seconde (bv. 2027-03-01T09:00:12 of "
                  f"01/03/2027 09:00), binnen {MOMENT_SPAN_YEARS} jaar van vandaag")


_MOMENT_SPAN = timedelta(days=round(365.25 * MOMENT_SPAN_YEARS))


def moment_in_span(value: datetime, today: date | None = None) -> bool:
    """Within MOMENT_SPAN_YEARS of today (both ways)."""
    today = today or date.today()
    span = _MOMENT_SPAN
    return today - span <= value.date() <= today + span


@lru_cache(maxsize=4096)
def _brussels_offset(hour: str) -> timedelta:
    """Brussels' UTC offset during the local hour 'YYYY-MM-DD HH' ('T' or space), as
    replace(tzinfo=BRUSSELS) takes it (fold 0, in a gap the offset before it): the zone
    changes only on the hour, so the offset of the hour's start holds for all of it."""
    start = datetime.fromisoformat(f"{hour[:10]}T{hour[11:13]}:00")
    return start.replace(tzinfo=BRUSSELS).utcoffset() or timedelta(0)


def parse_moment(value: str) -> datetime | None:
    """ISO 8601 to the second (no zone: Brussels) or `DD/MM/JJJJ UU:MM[:SS]` in Brussels
    time, within MOMENT_SPAN_YEARS of today; aware UTC, or None."""
    if len(value) == 19 and _ISO_SECONDS.match(value):  # the common form: the fast path
        try:
            local = datetime.fromisoformat(value)
        except ValueError:
            return None
        if not DAY_YEARS[0] <= local.year <= DAY_YEARS[1]:
            return None
        moment = (local - _brussels_offset(value[:13])).replace(tzinfo=UTC)
        return moment if moment_in_span(moment) else None
    m = _DMY_TIME.match(value)
    try:
        if m:
            d, mo, y, h, mi, sec = m.groups()
            local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0))
        elif _ISO_SECONDS.match(value):
            local = datetime.fromisoformat(value)
        else:
            return None
        if not DAY_YEARS[0] <= local.year <= DAY_YEARS[1]:
            return None  # also keeps the zone arithmetic below away from year 1 and 9999
        if local.tzinfo is None:
            local = local.replace(tzinfo=BRUSSELS)
        moment = local.astimezone(UTC)
        if moment.microsecond:
            moment = moment.replace(microsecond=0)
    except (ValueError, OverflowError):
        return None
    return moment if moment_in_span(moment) else None
