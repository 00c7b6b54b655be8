"""CSV text of whole columns at once: fixed-width byte columns joined with numpy.

Each column is a numpy bytes ('S') array; its zero bytes are padding (no cell holds a NUL:
csvin refuses control characters). The rows are laid side by side with the separators and
the padding is dropped in one pass. Cells that csv.writer would quote (a comma, a quote or
a line break in an id) take csv.writer itself, so the text is the same either way.
"""

from __future__ import annotations

import csv
import io

import numpy as np

_NEEDS_QUOTES = (b",", b'"', b"\n", b"\r")


class IdColumn(list):
    """Ids as a list of str that keeps the bytes column they were read from (ASCII), so
    that `as_bytes` hands that column back instead of encoding the strings again."""

    column: np.ndarray | None = None


def id_column(column: np.ndarray) -> IdColumn:
    """The ids of a bytes column (ASCII) as an IdColumn."""
    ids = IdColumn(column.astype(str).tolist())
    ids.column = column
    return ids


def as_bytes(values: list[str]) -> np.ndarray:
    """Strings as a UTF-8 bytes column."""
    if isinstance(values, IdColumn) and values.column is not None:
        return values.column
    if not values:
        return np.zeros(0, dtype="S1")
    try:
        return np.array(values, dtype="S")
    except UnicodeEncodeError:
        return np.array([v.encode("utf-8") for v in values], dtype="S")


_SMALL = 10_000
_texts: list[np.ndarray] = []


def _small_texts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The text of 0..9999 as 64-bit words (the first digit in the lowest byte, zero bytes
    after the last), the same four digits with leading zeros, and the number of digits."""
    if not _texts:
        n = np.arange(_SMALL, dtype=np.int64)
        _texts.append(n.astype("S8").view("<u8"))
        _texts.append((n + _SMALL).astype("S8").view("<u8") >> np.uint64(8))  # '1' dropped
        _texts.append(1 + (n >= 10).astype(np.uint64) + (n >= 100) + (n >= 1000))
    return _texts[0], _texts[1], _texts[2]


def numbers(values: np.ndarray) -> np.ndarray:
    """Integers as a bytes column of their decimal text."""
    if values.size == 0:
        return np.zeros(0, dtype="S1")
    values = values.astype(np.int64)
    if int(values.min()) < 0 or int(values.max()) >= _SMALL * _SMALL:
        return values.astype("S21")
    text, padded, length = _small_texts()
    if int(values.max()) < _SMALL:
        return text[values].view("S8")
    high, low = np.divmod(values, _SMALL)
    # the text of the high part, then the four digits of the low part
    joined = text[high] | (padded[low] << (np.uint64(8) * length[high]))
    return np.where(high > 0, joined, text[low]).view("S8")


def csv_bytes(header: list[str], columns: list[np.ndarray]) -> bytes:
    """The CSV text (',' and '\\n', quoted as csv.writer quotes) of the header and columns."""
    head = (",".join(header) + "\n").encode("utf-8")
    n = columns[0].size if columns else 0
    if n == 0:
        return head
    if any(_quoted(col) for col in columns):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(
            zip(*[[v.decode("utf-8") for v in col.tolist()] for col in columns], strict=True))
        return head + buf.getvalue().encode("utf-8")
    parts: list[np.ndarray] = []
    for k, col in enumerate(columns):
        parts.append(np.ascontiguousarray(col).view(np.uint8).reshape(n, col.itemsize))
        parts.append(np.full((n, 1), ord("\n" if k == len(columns) - 1 else ","), np.uint8))
    table = np.hstack(parts)
    return head + table[table != 0].tobytes()


def _quoted(col: np.ndarray) -> bool:
    if col.dtype.kind != "S" or col.size == 0:
        return False
    raw = col.tobytes()
    return any(c in raw for c in _NEEDS_QUOTES)
