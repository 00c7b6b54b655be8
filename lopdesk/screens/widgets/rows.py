"""The rows of a VirtualTable: `Row`, and `LazyRows` for sources of 200,000 lines, whose
rows are made only when drawn or under the cursor."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

# A cell is a string, or (string, rich style string) for a coloured cell.
Cell = str | tuple[str, str]


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


@dataclass(slots=True)
class Row:
    """A line of the table. `cells` may be left empty: the table's formatter then builds
    them from `data` when the line is first drawn (20,000 rows open without formatting)."""

    key: Hashable
    cells: Sequence[Cell] = ()
    style: str = ""  # style of the whole line (e.g. group rows)
    data: Any = None
    search: str = field(default="", repr=False)


class LazyRows(Sequence[Row]):
    """Rows made when first read (drawn, under the cursor): `make(i)` builds row i of the
    source and `keys[i]` is its key. `picked` (ascending indexes into the source) is what a
    filter kept, None for all; `subset` makes such a view, sharing the rows made."""

    def __init__(self, keys: Sequence[Hashable], make: Callable[[int], Row],
                 picked: Sequence[int] | None = None,
                 made: dict[int, Row] | None = None) -> None:
        self.keys = keys
        self.make = make
        self.picked = picked
        self.made: dict[int, Row] = {} if made is None else made

    def __len__(self) -> int:
        return len(self.keys) if self.picked is None else len(self.picked)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        j = i if self.picked is None else self.picked[i]
        row = self.made.get(j)
        if row is None:
            row = self.made[j] = self.make(j)
        return row

    def subset(self, picked: Sequence[int] | None) -> LazyRows:
        return LazyRows(self.keys, self.make, picked, self.made)

    def position(self, key: Hashable) -> int | None:
        """Where the row with `key` is in this view (None: not in it)."""
        try:
            j = self.keys.index(key)
        except ValueError:
            return None
        if self.picked is None:
            return j
        k = bisect_left(self.picked, j)
        return k if k < len(self.picked) and self.picked[k] == j else None


def position(rows: Sequence[Row], key: Hashable) -> int | None:
    if isinstance(rows, LazyRows):
        return rows.position(key)
    for i, row in enumerate(rows):
        if row.key == key:
            return i
    return None


def words_filter(text: str, search: Callable[[Row], str]) -> Callable[[Row], bool] | None:
    """Rows holding every word of `text` in their search text (`search` makes it once)."""
    words = text.lower().split()
    if not words:
        return None
    if len(words) == 1:
        word = words[0]
        return lambda row: word in (row.search or search(row))
    return lambda row: all(w in (row.search or search(row)) for w in words)


# The table's messages (VirtualTable.Highlighted, VirtualTable.Selected): handled as
# on_virtual_table_highlighted / on_virtual_table_selected.
class RowMessage(Message, namespace="virtual_table"):
    """A message about a row of the table (`control` is the table, for @on)."""

    def __init__(self, table: Any, row: Row | None) -> None:
        self.table = table
        self.row = row
        super().__init__()

    @property
    def control(self) -> Any:
        return self.table


class Highlighted(RowMessage, namespace="virtual_table"):
    """The cursor moved (row is None in an empty table)."""


class Selected(RowMessage, namespace="virtual_table"):
    """Enter or a double click on a row."""

    row: Row

    def __init__(self, table: Any, row: Row) -> None:
        super().__init__(table, row)
