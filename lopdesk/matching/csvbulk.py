"""Plain CSV files read as whole columns with numpy on the bytes: no object per row.

`columns()` returns each wanted column as a fixed-width bytes array (numpy 'S'), or None
as soon as the file is anything but plain: non-ASCII, quotes, a CR but in CRLF, a tab or
another control character, a line with another number of fields, a blank line, a cell
with spaces at its edges, an id longer than MAX_ID_LENGTH, or a run of digits that could
hold a national register number. The row-by-row reader of csvin then reads the file and
names the place of the problem; on a plain file both give the same values, so every
check of csvin holds.

The file is cut into blocks of whole lines, so that the index arrays of one block stay
small even for a million-line file (memory stays near the size of the file itself).
"""

from __future__ import annotations

import re

import numpy as np

from lopdesk.errors import ImportError_
from lopdesk.matching.csvin import MAX_ID_LENGTH, check_header, is_insz

BLOCK = 1 << 22  # bytes of whole lines per step
MAX_WIDTH = 64  # a wider cell in a wanted column: the row-by-row reader decides
_DIGIT_RUN = re.compile(r"[0-9][0-9 .\-]{9,}[0-9]")
_NL, _CR, _SPACE = 10, 13, 32
_INSZ_MIN_CELL = 11  # the shortest text _DIGIT_RUN matches
_RUN_CLASS = np.zeros(256, dtype=bool)  # the characters of csvin's INSZ digit runs
_RUN_CLASS[[ord(c) for c in "0123456789 .-"]] = True


def _insz_candidate(chunk: np.ndarray) -> bool:
    """True when a run of digits, spaces, dots and dashes of 11 characters or more holds an
    INSZ (the row-by-row reader then refuses the cell and names it)."""
    run = _RUN_CLASS[chunk]
    for step in (1, 2, 4, 3):  # run[i]: the 1, 2, 4, 8, then 11 characters from i are in it
        run = run[:-step] & run[step:]
    if not run.any():
        return False
    starts = np.flatnonzero(run)
    for i in starts[np.concatenate(([True], np.diff(starts) > 1))].tolist():
        end = i
        while end < chunk.size and _RUN_CLASS[chunk[end]]:
            end += 1
        text = chunk[i:end].tobytes().decode("ascii")
        if any(is_insz(m.group()) for m in _DIGIT_RUN.finditer(text)):
            return True
    return False


_POW10 = np.array([10.0 ** k for k in range(16)])  # exact doubles
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _gather(chunk: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """The cells of one column (from `starts`, `lengths` bytes) as a fixed-width bytes
    array; `chunk` has 8 spare bytes at its end."""
    width = int(lengths.max()) if lengths.size else 0
    if width > MAX_WIDTH:
        return None
    if width <= 8:  # one unaligned 8-byte word per cell, its surplus bytes zeroed
        words = np.ndarray((chunk.size - 7,), dtype="<u8", buffer=chunk, strides=(1,))
        return (words[starts] & _LOW_BYTES[lengths]).view("S8")
    offsets = np.arange(width, dtype=np.int32)
    cells = chunk[starts[:, None] + offsets]
    cells[offsets >= lengths[:, None]] = 0
    return cells.view(f"S{width}").reshape(-1)


def _block_columns(chunk: np.ndarray, width: int, wanted: list[int]
                   ) -> list[np.ndarray] | None:
    """The wanted columns of a block of whole lines (each ends with a newline, CRLF or LF;
    the caller checked for control characters)."""
    ends = np.flatnonzero((chunk == ord(",")) | (chunk == _NL)).astype(np.int32)
    if ends.size % width:
        return None
    lines = ends.size // width
    ends = ends.reshape(lines, width)
    if not (chunk[ends[:, -1]] == _NL).all():
        return None  # fields spread over lines differently than the header says
    starts = np.empty_like(ends)
    starts[0, 0] = 0
    starts[1:, 0] = ends[:-1, -1] + 1
    starts[:, 1:] = ends[:, :-1] + 1
    ends[:, -1] -= chunk[ends[:, -1] - 1] == _CR  # CRLF
    if (ends[:, -1] - starts[:, 0] == width - 1).any():
        return None  # a blank line, only separators (the row-by-row reader skips it)
    if (chunk == _SPACE).any():
        filled = ends > starts
        if ((chunk[starts[filled]] == _SPACE) | (chunk[ends[filled] - 1] == _SPACE)).any():
            return None  # a cell with spaces at its edges: csvin strips it
    # a run that may hold an INSZ has 11 characters or more, and none of them a separator
    lengths = ends - starts
    if int(lengths.max()) >= _INSZ_MIN_CELL and _insz_candidate(chunk):
        return None
    out = []
    for j in wanted:
        col = _gather(chunk, starts[:, j], lengths[:, j])
        if col is None:
            return None
        out.append(col)
    return out


def _plain_bytes(body: np.ndarray, raw: bytes) -> bool:
    """ASCII without control characters (but the line ends) and without quotes."""
    if not raw.isascii() or b'"' in raw or b"\x7f" in raw:
        return False
    controls = int(np.count_nonzero(body < 32))
    newlines = int(np.count_nonzero(body == _NL))
    if controls == newlines:
        return True
    cr = np.flatnonzero(body == _CR)  # each one the first half of a CRLF
    return (controls == newlines + cr.size and int(cr[-1]) + 1 < body.size
            and bool((body[cr + 1] == _NL).all()))


def columns(name: str, raw: bytes, required: tuple[str, ...], wanted: tuple[str, ...]
            ) -> dict[str, np.ndarray] | None:
    """The wanted columns (those in the header) of a plain file, or None (see above)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    head_end = raw.find(b"\n")
    if head_end < 0 or not _plain_bytes(np.frombuffer(raw, dtype=np.uint8), raw):
        return None
    header_text = raw[:head_end].decode("ascii").removesuffix("\r")
    if header_text.count(";") > header_text.count(","):
        if b"," in raw:
            return None  # a decimal comma or a comma in a ';' file: read row by row
        raw = raw.replace(b";", b",")
        header_text = header_text.replace(";", ",")
    header = [h.strip() for h in header_text.split(",")]
    try:
        check_header(name, header, required)
    except ImportError_:
        return None
    offset = head_end + 1  # body[i] is raw[offset + i] (but an added last line end)
    body = np.frombuffer(raw, dtype=np.uint8)[offset:]
    end = body.size
    while end and body[end - 1] in (_NL, _CR):
        end -= 1
    if end == 0:
        return {c: np.zeros(0, dtype="S1") for c in wanted if c in header}
    # one line end after the last line: a view when the file ends with one, else a copy
    if end == body.size:
        body = np.append(body, np.uint8(_NL))
    else:
        body = body[:end + (2 if body[end] == _CR else 1)]
    present = [c for c in wanted if c in header]
    ids = [header.index(c) for c in present]
    id_columns = {c for c in present if c.endswith("_id")}
    parts: list[list[np.ndarray]] = [[] for _ in present]
    start = 0
    while start < body.size:
        stop = min(start + BLOCK, body.size)
        if stop < body.size:
            last = raw.rfind(b"\n", offset + start, offset + stop)
            stop = last - offset + 1 if last >= 0 else body.size
        chunk = np.zeros(stop - start + 8, dtype=np.uint8)
        chunk[:stop - start] = body[start:stop]
        block = _block_columns(chunk, len(header), ids)
        if block is None:
            return None
        for k, col in enumerate(block):
            if present[k] in id_columns and col.itemsize > MAX_ID_LENGTH:
                return None
            parts[k].append(col)
        start = stop
    return {c: _concat(p) for c, p in zip(present, parts, strict=True)}


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    width = max(p.itemsize for p in parts)
    if all(p.itemsize == width for p in parts):
        return np.concatenate(parts) if len(parts) > 1 else parts[0]
    return np.concatenate([p.astype(f"S{width}") for p in parts])


def _keys(values: np.ndarray) -> np.ndarray:
    """Ids of at most 8 bytes as one integer each (equal ids, equal integers)."""
    return np.ascontiguousarray(values.astype("S8")).view(np.uint64)


def index_of(values: np.ndarray, known: np.ndarray) -> np.ndarray | None:
    """For each value its position in `known` (unique ids, as bytes), or None when a value
    is not there."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if known.size == 0:
        return None
    if values.itemsize > 8:
        return _sorted_index(values, known)
    where = np.arange(known.size, dtype=np.int64)
    if known.itemsize > 8:  # a longer known id equals no value
        fits = known == known.astype("S8")
        where, known = where[fits], known[fits]
        if known.size == 0:
            return None
    keys = _keys(values)
    # runs of equal values (a file listed by child) are looked up once
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    if starts.size * 2 < keys.size:
        found = _hashed_index(keys[starts], _keys(known), where)
        found = np.repeat(found, np.diff(np.append(starts, keys.size)))
    else:
        found = _hashed_index(keys, _keys(known), where)
    return None if (found < 0).any() else found


def _sorted_index(values: np.ndarray, known: np.ndarray) -> np.ndarray | None:
    order = np.argsort(known, kind="stable")
    ranked = known[order]
    pos = np.searchsorted(ranked, values)
    pos[pos == ranked.size] = 0
    if not (ranked[pos] == values).all():
        return None
    return order[pos].astype(np.int64)


# Multipliers of the hash tables (odd, bits spread): one for each level of clashes.
_MULTIPLIERS = tuple(np.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F,
                                            0xD6E8FEB86659FD93))
_TABLE_FACTOR = 16  # slots per known id (at most _TABLE_BITS bits)
_TABLE_BITS = 22


def _hashed_index(values: np.ndarray, known: np.ndarray, where: np.ndarray,
                  level: int = 0) -> np.ndarray:
    """For each integer key of `values` its `where` (the position of the equal key of
    `known`), -1 when there is none: a multiplicative hash table, no sort of the values.
    The few keys whose slot holds two known keys go to the next table."""
    if level == len(_MULTIPLIERS):
        found = _sorted_index(values, known)
        if found is not None:
            return where[found]
        return np.full(values.size, -1, dtype=np.int64)  # the caller only asks: all found?
    bits = min(max(int(known.size * _TABLE_FACTOR).bit_length(), 4), _TABLE_BITS)
    mult, shift = _MULTIPLIERS[level], np.uint64(64 - bits)
    known_slot = (known * mult) >> shift
    table = np.full(1 << bits, -1, dtype=np.int64)
    table[known_slot] = np.arange(known.size)
    ranked = np.sort(known_slot)
    clash_slots = ranked[1:][ranked[1:] == ranked[:-1]]
    table[clash_slots] = -2
    pos = table[(values * mult) >> shift]
    hit = pos >= 0
    found = np.where(hit & (known[np.where(hit, pos, 0)] == values), where[pos], -1)
    clashed = np.flatnonzero(pos == -2)
    if clashed.size:
        sub = np.flatnonzero(table[known_slot] == -2)
        found[clashed] = _hashed_index(values[clashed], known[sub], where[sub], level + 1)
    return found


def _positions(cells: np.ndarray) -> list[np.ndarray]:
    """For each position up to the widest cell, that byte of every cell (0: past its end);
    each as one contiguous array, so that a pass over it is one pass over memory."""
    raw = np.ascontiguousarray(cells).view(np.uint8).reshape(-1, cells.itemsize)
    if cells.itemsize == 8 and cells.size:  # the bytes in use: those of the OR of all
        width = (int(np.bitwise_or.reduce(raw.view("<u8").reshape(-1))).bit_length() + 7) // 8
    else:
        filled = np.flatnonzero(raw.any(axis=0))
        width = int(filled[-1]) + 1 if filled.size else 0
    return list(np.ascontiguousarray(raw[:, :width].T))


def small_int(cells: np.ndarray, minimum: int, maximum: int) -> np.ndarray | None:
    """Plain decimal digits (no sign, at most 9) within [minimum, maximum], or None."""
    if cells.size == 0:
        return np.zeros(0, dtype=np.int64)
    rows = _positions(cells)
    if not rows or len(rows) > 9 or not rows[0].all():
        return None  # an empty cell, or too many digits
    value = np.zeros(cells.size, dtype=np.int64)
    for row in rows:
        digit = row - np.uint8(ord("0"))  # wraps around below '0'
        used = row != 0
        if ((digit > 9) & used).any():
            return None
        np.multiply(value, 10, out=value, where=used)
        np.add(value, digit, out=value, where=used)
    if (value < minimum).any() or (value > maximum).any():
        return None
    return value


def plain_float(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Cells of at most 15 digits with at most one dot (or empty): (values with NaN where
    empty, the empty mask), or None for anything else (signs, exponents, 'nan').

    A mantissa below 2**53 (exact in a double, as are its steps) divided by an exact power
    of ten is the correctly rounded value of the decimal, as Python's float() gives it."""
    rows = _positions(cells)
    if len(rows) > 16:
        return None  # more than 15 digits and a dot
    n = cells.size
    empty = rows[0] == 0 if rows else np.ones(n, dtype=bool)
    value = np.zeros(n, dtype=np.float64)
    n_digits = np.zeros(n, dtype=np.int64)
    decimals = np.zeros(n, dtype=np.int64)
    after_dot = np.zeros(n, dtype=bool)
    for row in rows:
        digit = row - np.uint8(ord("0"))
        is_digit = digit <= 9
        is_dot = row == ord(".")
        if ((row != 0) & ~is_digit & ~is_dot).any() or (is_dot & after_dot).any():
            return None
        np.multiply(value, 10.0, out=value, where=is_digit)
        np.add(value, digit, out=value, where=is_digit)
        n_digits += is_digit
        decimals += is_digit & after_dot
        after_dot |= is_dot
    if ((n_digits == 0) & ~empty).any() or (n_digits > 15).any():
        return None  # a lone dot, or too many digits for the exact route
    value /= _POW10[decimals]
    value[empty] = np.nan
    return value, empty
