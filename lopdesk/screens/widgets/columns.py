"""The columns of a VirtualTable: what each asks for, how the width of the terminal is
shared between them (names flex; ids, numbers and dates are never cut), headers that wrap,
and a text fitted to its column."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size


@dataclass(frozen=True)
class Column:
    """A column. `width` is the width it asks for. A flexible column (names, reasons: by
    default every left-aligned column of 12 or more) shares the width left over and may
    be cut (the detail line under the table then shows the whole value); the others (ids,
    numbers, codes) grow to their widest value and are never cut."""

    label: str
    width: int
    align: str = "left"  # left | right
    flex: bool | None = None
    cut: str = "end"  # where a text too long loses cells: end | middle
    least: int = 0  # a flexible column never gets less (the table scrolls sideways then)
    # A column the table may leave out when it would not fit the width otherwise (the
    # highest first; 0: never): its value is then shown in the detail line.
    drop: int = 0

    @property
    def flexible(self) -> bool:
        if self.flex is not None:
            return self.flex
        return self.align == "left" and self.width >= 12


def columns(table: str) -> list[Column]:
    """Columns from a small table, one a line: the label, then its width, `>` after the
    width for a right-aligned column, `fixed` for one that never flexes."""
    out = []
    for line in table.strip().splitlines():
        words = line.split()
        flags = [w for w in reversed(words) if w in ("fixed", ">")]
        width = words[-1 - len(flags)]
        label = " ".join(words[:-1 - len(flags)])
        out.append(Column(label, int(width), "right" if ">" in flags else "left",
                          False if "fixed" in flags else None))
    return out


MIN_FLEX = 8
READABLE = 20  # the first flexible column (the name) never gets less
HEADER_LINES = 2
DETAIL_LINES = 3  # a cut value shown whole under the table takes at most these lines


def layout(columns: Sequence[Column], grown: dict[int, int], available: int) -> list[int]:
    """The width of each column for `available` cells (one space after each column):
    fixed columns keep their width (or the wider value seen); flexible ones share the
    rest in proportion to what they ask; when short of room the first flexible column
    (the name) is served first, none below MIN_FLEX (or its header's longest word, or
    the widest id, number or date seen in it: `grown` of a flexible column). When the
    table is then wider than `available` or a flexible column gets less than it asks, the
    columns marked `drop` are left out (width 0), the highest first, when that makes the
    others whole; else none is (the table scrolls sideways)."""
    dropped: set[int] = set()
    whole = _share(columns, grown, available, dropped)[0]
    while True:
        widths, short = _share(columns, grown, available, dropped)
        if not short and sum(w + 1 for w in widths if w) <= available:
            return widths
        left = [i for i, c in enumerate(columns) if c.drop and i not in dropped]
        if not left:
            return whole
        dropped.add(max(left, key=lambda i: columns[i].drop))


def _share(columns: Sequence[Column], grown: dict[int, int], available: int,
           dropped: set[int]) -> tuple[list[int], bool]:
    """The widths without the dropped columns, and whether the flexible ones are short."""
    flex = [i for i, c in enumerate(columns) if c.flexible and i not in dropped]
    # a fixed column is at least as wide as its header's longest word (a word never cut)
    widths = [0 if i in dropped else c.width if i in flex
              else max(c.width, grown.get(i, 0), _longest_word(c.label))
              for i, c in enumerate(columns)]
    if not flex:
        return widths, False
    fixed = sum(w + 1 for i, w in enumerate(widths) if i not in flex and w)
    room = available - fixed - len(flex)
    floor = {i: max(MIN_FLEX, columns[i].least, grown.get(i, 0),
                    _longest_word(columns[i].label)) for i in flex}
    for i in flex:
        widths[i] = max(widths[i], floor[i])
    asked = sum(widths[i] for i in flex)
    # the name column stays readable, even if the table then scrolls sideways
    floor[flex[0]] = max(floor[flex[0]], min(widths[flex[0]], READABLE))
    if room < asked:  # short of room: each at its floor, then the first ones first
        extra = max(0, room - sum(floor.values()))
        for i in flex:
            widths[i] = floor[i] + min(extra, max(0, widths[i] - floor[i]))
            extra -= widths[i] - floor[i]
        return widths, True
    given = 0
    for i in flex:
        widths[i] = max(floor[i], room * widths[i] // asked)
        given += widths[i]
    widths[flex[0]] += max(0, room - given)  # the rounding goes to the first name column
    return widths, False


def _longest_word(label: str) -> int:
    return max((cell_len(w) for w in label.split()), default=0)


def wrap_header(label: str, width: int, lines: int = HEADER_LINES) -> list[str]:
    """The label in at most `lines` lines of `width`, broken between words."""
    out: list[str] = []
    for word in label.split():
        if out and cell_len(out[-1]) + 1 + cell_len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines - 1] + [" ".join(out[lines - 1:])]
    return out or [""]


# An id, a number or a date (with its time): one word with a digit in it. Such a value is
# never cut, even in a flexible column (an offer's level id, a period's start).
_ATOMIC = re.compile(r"\S*\d\S*( \d{1,2}:\d{2}(:\d{2})?)?")


def atomic(text: str) -> bool:
    """True for a value that must be read whole: an id, a number, a date."""
    return len(text) <= 40 and _ATOMIC.fullmatch(text) is not None


def fit(text: str, width: int, align: str, cut: str = "end") -> str:
    if cell_len(text) > width:
        if cut == "middle" and width >= 9:  # the start and the end both stay readable
            head = (width - 1) // 2 + (width - 1) % 2
            tail = width - 1 - head
            return set_cell_size(text, head) + "…" + _last_cells(text, tail)
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = width - cell_len(text)
    return (" " * pad + text) if align == "right" else (text + " " * pad)


def _last_cells(text: str, width: int) -> str:
    """The end of `text` in `width` cells (a wide character that would not fit is dropped)."""
    out = ""
    for ch in reversed(text):
        if cell_len(ch + out) > width:
            break
        out = ch + out
    return out.rjust(width)
