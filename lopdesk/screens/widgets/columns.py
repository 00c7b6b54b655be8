"""The columns of a VirtualTable: what each asks for, how the width of the terminal is
shared between them (names flex; ids, numbers and dates are never cut), headers that wrap,
and a text fitted to its column."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from lopdesk.screens.widgets.rows import Cell, cell_text


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
    # how a text too long for a column that does not wrap is shortened: "end" keeps the
    # whole words that fit, "initials" first turns the first words into initials (a
    # child's name: "M. Vandenbroucke"), "middle" keeps the start and the end
    cut: str = "end"
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


def layout(columns: Sequence[Column], grown: dict[int, int], available: int,
           wants: dict[int, int] | None = None) -> list[int]:
    """The width of each column for `available` cells (one space after each column):
    fixed columns keep their width (or the wider value seen); flexible ones share the
    rest in proportion to what they ask (`wants`: the widest value of a column, from the
    data, instead of the width it asks); when short of room the first flexible column
    (the name) is served first, none below MIN_FLEX (or its header's longest word, or
    the widest id, number or date seen in it: `grown` of a flexible column). When the
    table is then wider than `available` or a flexible column gets less than it asks, the
    columns marked `drop` are left out (width 0), the highest first, until the others are
    whole; when even that is not enough, all of them are left out and the flexible
    columns shorten their texts by whole words (`fit`); their values are then shown in
    the detail line."""
    wants = wants or {}
    dropped: set[int] = set()
    while True:
        widths, short = _share(columns, grown, available, dropped, wants)
        if not short and sum(w + 1 for w in widths if w) <= available:
            return widths
        left = [i for i, c in enumerate(columns) if c.drop and i not in dropped]
        if not left:
            return widths
        dropped.add(max(left, key=lambda i: columns[i].drop))


def _share(columns: Sequence[Column], grown: dict[int, int], available: int,
           dropped: set[int], wants: dict[int, int] | None = None) -> tuple[list[int], bool]:
    """The widths without the dropped columns, and whether the flexible ones are short."""
    wants = wants or {}
    flex = [i for i, c in enumerate(columns) if c.flexible and i not in dropped]
    # a fixed column is at least as wide as its header's longest word (a word never cut)
    widths = [0 if i in dropped else wants.get(i, c.width) if i in flex
              else max(wants.get(i, c.width), grown.get(i, 0), _longest_word(c.label))
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


def detail_lines(cut: Sequence[tuple[str, str]], legend: Sequence[str], width: int,
                 most: int) -> list[str]:
    """The detail line(s) under a table: the whole value of every cut cell of the cursor's
    row ("label: value"), wrapped over at most `most` lines, else the legend of the table's
    marks (the parts that fit one line of `width`)."""
    text = " · ".join(f"{label}: {value}" for label, value in cut)
    if text:
        return textwrap.wrap(text, max(8, width - 1), max_lines=most, placeholder=" …")
    for part in legend:
        longer = f"{text} · {part}" if text else part
        if cell_len(longer) >= width:
            break
        text = longer
    return [text]


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
        short = shorten(text, width, initials=cut == "initials")
        if short and len(short.split()) < len(text.split()):
            # words were dropped: "…" says so (the detail line shows the whole value)
            short = shorten(text, width - 1, initials=cut == "initials")
            short = short + "…" if short else ""
        if short:
            return fit(short, width, align)
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = width - cell_len(text)
    return (" " * pad + text) if align == "right" else (text + " " * pad)


def shorten(text: str, width: int, initials: bool = False) -> str:
    """`text` in at most `width` cells without cutting a word: with `initials`, the first
    word becomes its initial ("Maximiliaan-Alexander Vandenbroucke" → "M. Vandenbroucke");
    then the whole words that fit from the start. Empty when even the first word does not
    fit (the detail line shows the whole value either way)."""
    words = text.split()
    if initials and len(words) > 1 and words[0][:1].isalpha():
        words[0] = words[0][0] + "."
    out = ""
    for word in words:
        longer = f"{out} {word}" if out else word
        if cell_len(longer) > width:
            break
        out = longer
    return out


def _last_cells(text: str, width: int) -> str:
    """The end of `text` in `width` cells (a wide character that would not fit is dropped)."""
    out = ""
    for ch in reversed(text):
        if cell_len(ch + out) > width:
            break
        out = ch + out
    return out.rjust(width)


# -- tables whose flexible cells wrap onto more lines instead of being cut -----------------

_LEAD = re.compile(r"\s*(?:[^\w\s]{1,2} )?")  # an indent, a tree mark ("▾ ")
WRAP_LINES = 3  # the layout avoids rows taller than this (they weigh more)
UNCAPPED = 1000  # a table's wrapped cell takes the lines it needs: never cut


def wrap_cell(text: str, width: int, most: int = WRAP_LINES) -> list[str]:
    """`text` broken between words (a word wider than `width` is broken after a hyphen or
    where it must) over at most `most` lines of `width` cells; a text that needs more ends
    its last line with "…"."""
    if cell_len(text) <= width or width < 1:
        return [text]
    # the lines after the first start under the name, after its indent or tree mark
    # (a mark that would leave a word too little room is wrapped as a word of its own)
    lead = _LEAD.match(text).group(0)  # type: ignore[union-attr]
    longest = max((cell_len(w) for w in text[len(lead):].split()), default=0)
    if cell_len(lead) >= width // 2 or cell_len(lead) + longest > width:
        lead = ""
    hang = " " * cell_len(lead)
    out: list[str] = []
    for word, glue in _pieces(text[len(lead):], width - cell_len(hang)):
        if out and cell_len(out[-1]) + len(glue) + cell_len(word) <= width:
            out[-1] += glue + word
        else:
            out.append((lead if not out else hang) + word)
    if len(out) > most:
        out = out[:most]
        out[-1] = set_cell_size(out[-1], width - 1).rstrip() + "…"
    return out


def _pieces(text: str, width: int) -> list[tuple[str, str]]:
    """The words of `text` with what joins each to the one before (a space), a word wider
    than `width` split after a hyphen (or where it must; its pieces join with nothing)."""
    out = []
    for word in text.split():
        glue = " "
        while cell_len(word) > width:
            cut = word.rfind("-", 0, width)
            cut = cut + 1 if cut > 0 else width
            out.append((word[:cut], glue))
            word, glue = word[cut:], ""
        out.append((word, glue))
    return out


def text_width(text: str) -> int:
    """The cells `text` takes (`cell_len`, at the price of `len` for plain ASCII)."""
    return len(text) if text.isascii() else cell_len(text)


def wrapped_height(text: str, width: int) -> int:
    """The lines a flexible cell of a wrapping table takes in `width`: as many as
    `wrap_cell` (uncapped) makes of it, counted without making them where it can be."""
    if width < 1 or (len(text) <= width and text.isascii()):
        return 1
    words = [len(w) if w.isascii() else cell_len(w) for w in text.split()]
    # words one space apart: the text is as wide as they are, else it is measured
    wide = sum(words) + len(words) - 1 if " ".join(text.split()) == text else cell_len(text)
    if wide <= width or atomic(text):
        return 1
    if max(words, default=0) <= width and not _LEAD.match(text).group(0):  # type: ignore[union-attr]
        return count_lines(words, width)  # no word broken, no hanging indent
    return len(wrap_cell(text, width, UNCAPPED))


def count_lines(words: Sequence[int], width: int) -> int:
    """How many lines `wrap_cell` makes of a text with words of these widths (no cap)."""
    lines, used = 0, width + 1
    for w in words:
        if w > width:  # broken over several lines
            lines += -(-w // width)
            used = width
        elif used + 1 + w <= width:
            used += 1 + w
        else:
            lines += 1
            used = w
    return max(1, lines)


def flex_texts(columns: Sequence[Column], rows: Iterable[Sequence[Cell]]
               ) -> dict[tuple[str, ...], int]:
    """Rows counted by the texts of their flexible cells (ids, numbers and dates left out:
    they widen their column, never wrap)."""
    flex = [i for i, c in enumerate(columns) if c.flexible]
    out: dict[tuple[str, ...], int] = {}
    for cells in rows:
        texts = tuple(cell_text(cells[i]) if i < len(cells) and not atomic(cell_text(cells[i]))
                      else "" for i in flex)
        out[texts] = out.get(texts, 0) + 1
    return out


def widen_to_values(columns: Sequence[Column], rows: Sequence[Sequence[Cell]],
                    grown: dict[int, int]) -> None:
    """Columns that never cut their values (ids, numbers, dates) widened in `grown` to the
    widest value of all `rows` before the first line is drawn (else each draw that meets a
    wider one lays the table out again, and the columns shift while scrolling)."""
    for i, c in enumerate(columns):
        now = max(c.width, grown.get(i, 0))
        # a text of n characters takes at most 2n cells: a shorter one cannot be wider
        widest = max((text_width(t) for t in (cell_text(r[i]) for r in rows if i < len(r))
                      if 2 * len(t) > now and (not c.flexible or atomic(t))), default=0)
        if widest > now:
            grown[i] = widest


# rows on average taller than this make the table leave out a column marked `drop`
MAX_MEAN_LINES = 1.25
LONGEST_WORD = 24  # a flexible column of a wrapping table is as wide as its longest word


# the widths are weighed on at most this many distinct texts (a list of 5,000 children,
# each with its own text, is laid out in milliseconds instead of seconds)
WEIGHED_TEXTS = 300


def weighed(texts: dict[tuple[str, ...], int], most: int = WEIGHED_TEXTS
            ) -> dict[tuple[str, ...], int]:
    """`texts`, or an even spread of `most` of them (every n-th, always the same ones for the
    same rows): the widths that suit them suit the whole list."""
    if len(texts) <= most:
        return texts
    items = list(texts.items())
    step = len(items) / most
    return dict(items[int(k * step)] for k in range(most))


class WrappedLayout:
    """`layout_wrapped` once per width and data: asked again with the same width, widened
    columns and texts (a scrollbar that did not change the width, a screen shown again, a
    refresh that read the same rows), it gives the widths it found before."""

    def __init__(self) -> None:
        self._last: tuple[tuple, dict[tuple[str, ...], int], list[int]] | None = None

    def widths(self, columns: Sequence[Column], grown: dict[int, int], available: int,
               texts: dict[tuple[str, ...], int], mean_lines: float) -> list[int]:
        key = (available, tuple(sorted(grown.items())), mean_lines, tuple(columns))
        last = self._last
        if last is not None and last[0] == key and last[1] == texts:
            return list(last[2])
        found = layout_wrapped(columns, grown, available, texts, mean_lines)
        self._last = (key, texts, found)
        return list(found)


def layout_wrapped(columns: Sequence[Column], grown: dict[int, int], available: int,
                   texts: dict[tuple[str, ...], int],
                   mean_lines: float = MAX_MEAN_LINES) -> list[int]:
    """`layout` for a table whose flexible cells wrap: `texts` counts the rows by the
    texts of their flexible cells. The widths of the flexible columns are chosen so that
    the rows take the fewest lines (a text cut after WRAP_LINES weighs heavily);
    columns marked `drop` are left out, the highest first, while the table is wider than
    `available` or its rows take on average more than `mean_lines` lines."""
    flex_all = [i for i, c in enumerate(columns) if c.flexible]
    # a word is never broken: each flexible column is as wide as its longest word (up to
    # LONGEST_WORD; a longer one breaks after a hyphen), over every text
    longest = {i: min(LONGEST_WORD, max((max([len(w) if w.isascii() else cell_len(w)
                                              for w in t[k].split()], default=0)
                                         for t in texts), default=0))
               for k, i in enumerate(flex_all)}
    texts = weighed(texts)
    words = {t: [[text_width(w) for w in x.split()] for x in t] for t in texts}
    rows = sum(texts.values()) or 1
    dropped: set[int] = set()
    while True:
        base, _short = _share(columns, grown, available, dropped)
        flex = [i for i in flex_all if i not in dropped]
        for i in flex:  # each flexible column from its floor (the name: readable), at
            base[i] = max(MIN_FLEX, columns[i].least, grown.get(i, 0),  # least its
                          _longest_word(columns[i].label), longest[i])  # longest word
        if flex:
            base[flex[0]] = max(base[flex[0]], min(columns[flex[0]].width, READABLE))
        widths, lines = _best_split(columns, base, flex, flex_all, available, texts, words)
        wide = sum(w + 1 for w in widths if w) > available
        left = [i for i, c in enumerate(columns) if c.drop and i not in dropped]
        if not left or (not wide and lines <= mean_lines * rows):
            return _within(columns, widths, flex, grown, available)
        dropped.add(max(left, key=lambda i: columns[i].drop))


def _within(columns: Sequence[Column], widths: list[int], flex: list[int],
            grown: dict[int, int], available: int) -> list[int]:
    """The widths narrowed to `available` when every column that may give way has and the
    longest words still do not fit: the widest flexible column gives a cell at a time
    (its longest word then breaks after a hyphen or where it must) rather than the table
    reaching past the edge, where a word would be cut."""
    widths = list(widths)
    floor = {i: max(MIN_FLEX, columns[i].least, grown.get(i, 0),
                    _longest_word(columns[i].label)) for i in flex}
    over = sum(w + 1 for w in widths if w) - available
    while over > 0:
        give = [i for i in flex if widths[i] > floor[i]]
        if not give:
            break
        widest = max(give, key=lambda i: widths[i] - floor[i])
        widths[widest] -= 1
        over -= 1
    return widths


def _best_split(columns: Sequence[Column], base: list[int], flex: list[int],
                flex_all: list[int], available: int, texts: dict[tuple[str, ...], int],
                words: dict) -> tuple[list[int], int]:
    """The widths of the flexible columns (each from its floor in `base`) that make the
    rows take the fewest lines: the room left is handed out step by step to the column
    where a few more cells save the most lines; what no line needs is shared as the
    columns ask."""
    if not flex:
        return base, sum(texts.values())
    fixed = sum(w + 1 for i, w in enumerate(base) if i not in flex and w)
    room = max(0, available - fixed - len(flex))
    pos = {i: flex_all.index(i) for i in flex}
    want = {i: max([base[i]] + [text_width(t[pos[i]]) for t in texts]) for i in flex}
    memo: dict[tuple[int, int], list[int]] = {}

    def lines_of(i: int, w: int) -> list[int]:
        got = memo.get((i, w))
        if got is None:
            got = memo[(i, w)] = [count_lines(words[t][pos[i]], w) for t in texts]
        return got

    counts = list(texts.values())

    def score(widths: list[int]) -> int:
        """The lines of the rows (a cut text weighs as ten more), times 100, plus the lines
        of every cell: a column that gets taller than another still counts."""
        per = [lines_of(i, widths[i]) for i in flex]
        total = 0
        for k, n in enumerate(counts):
            cells = [p[k] for p in per]
            tall = max(cells)
            total += n * (100 * (tall if tall <= WRAP_LINES else WRAP_LINES + 10) + sum(cells))
        return total

    widths = list(base)
    rest = room - sum(widths[i] for i in flex)
    now = score(widths)
    while rest > 0:
        best: tuple[float, int, int, int] | None = None
        for i in flex:
            for step in range(1, min(rest, want[i] - widths[i]) + 1):
                widths[i] += step
                got = score(widths)
                widths[i] -= step
                if got < now:
                    if best is None or (now - got) / step > best[0]:
                        best = ((now - got) / step, i, step, got)
                    break
        if best is None:
            break
        _gain, i, step, now = best
        widths[i] += step
        rest -= step
    # two plain ways to compare with: each column up to its widest text in order, and
    # the room shared in proportion to the widest texts
    ordered, shared = list(base), list(base)
    left, spare = room - sum(base[i] for i in flex), room - sum(base[i] for i in flex)
    asked = sum(want[i] - base[i] for i in flex) or 1
    for i in flex:
        more = max(0, min(left, want[i] - base[i]))
        ordered[i] += more
        left -= more
        shared[i] += max(0, min(want[i] - base[i], spare * (want[i] - base[i]) // asked))
    widths = min((widths, ordered, shared), key=score)  # the first of equals: the steps
    now = score(widths)
    rest = room - sum(widths[i] for i in flex)
    for i in flex:  # room no line needs: each column up to its widest text, then the
        more = max(0, min(rest, want[i] - widths[i]))  # rest shared as the columns ask
        widths[i] += more
        rest -= more
    if rest > 0:
        asked = sum(columns[i].width for i in flex)
        for i in flex:
            widths[i] += rest * columns[i].width // asked
        widths[flex[0]] += room - sum(widths[i] for i in flex)  # the rounding: the name
    return widths, now // 100
