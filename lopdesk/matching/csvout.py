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


def as_bytes(values: list[str]) -> np.ndarray:
    """Strings as a UTF-8 bytes column."""
    if not values:
        return np.zeros(0, dtype="S1")
    try:
        return np.array(values, dtype="S")
    except UnicodeEncodeError:
        return np.array([v.encode("utf-8") for v in values], dtype="S")


def numbers(values: np.ndarray) -> np.ndarray:
    """Integers as a bytes column of their decimal text."""
    if values.size == 0:
        return np.zeros(0, dtype="S1")
    values = values.astype(np.int64)
    if int(values.min()) < 0 or int(values.max()) >= 10**8:
        return values.astype("S21")
    # Up to 8 digits in one 64-bit word, built from the units up: each further digit
    # shifts the word one byte, so that the first digit ends in the lowest byte (the
    # first in memory) and the unused high bytes are the padding.
    word = values.astype(np.uint64) % np.uint64(10) + np.uint64(ord("0"))
    rest = values // 10
    while True:
        more = rest > 0
        if not more.any():
            break
        digit = (rest % 10).astype(np.uint64) + np.uint64(ord("0"))
        word = np.where(more, (word << np.uint64(8)) | digit, word)
        rest //= 10
    return word.astype("<u8").view("S8")


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
