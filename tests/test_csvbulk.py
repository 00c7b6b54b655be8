"""The byte-column reader of allocation input (matching/csvbulk.py): on a plain file it
gives the values the row-by-row reader gives; on anything unusual it declines (None), so
that csvin's row-by-row checks name the place (control characters, INSZ, bounds)."""

from __future__ import annotations

import numpy as np
import pytest

from lopdesk.matching import csvbulk
from lopdesk.matching.csvin import CsvFile

REQ = ("child_id", "rank", "level_id")
WANT = ("child_id", "rank", "level_id", "distance_m")


def _rows(raw: bytes) -> list[dict[str, str]]:
    return list(CsvFile("applications.csv", raw, REQ).rows())


@pytest.mark.parametrize("raw", [
    b"child_id,rank,level_id,distance_m\nK1,1,L1,12.5\nK2,2,L22,\n",
    b"child_id,rank,level_id,distance_m\r\nK1,1,L1,12.5\r\nK2,2,L22,\r\n",  # CRLF
    b"child_id,rank,level_id,distance_m\nK1,1,L1,12.5\nK2,2,L22,3",  # no final newline
    b"\xef\xbb\xbfchild_id;rank;level_id;distance_m\nK1;1;L1;12.5\nK2;2;L22;3\n",  # BOM, ';'
    b"child_id,rank,level_id,distance_m\nK1,1,L1,12.5\n\n\n",  # blank lines at the end
    b"child_id,rank,level_id,distance_m\nKIND-000000000001,1,LEVEL-WITH-A-LONG-ID,7\n",
])
def test_plain_file_gives_the_row_readers_values(raw: bytes) -> None:
    cols = csvbulk.columns("applications.csv", raw, REQ, WANT)
    assert cols is not None
    rows = _rows(raw)
    for name in WANT:
        assert [v.decode() for v in cols[name].tolist()] == [r[name] for r in rows]


@pytest.mark.parametrize("raw", [
    b"child_id,rank,level_id\nK1,1,L1\n\nK2,1,L1\n",  # a blank line inside
    b"child_id,rank,level_id\nK1,1,L1,extra\n",  # too many fields
    b"child_id,rank,level_id\nK1,1\n",  # too few
    b'child_id,rank,level_id\n"K1",1,L1\n',  # quotes
    b"child_id,rank,level_id\nK1 ,1,L1\n",  # a space csvin would strip
    b"child_id,rank,level_id\nK1\t,1,L1\n",  # a control character (tab)
    b"child_id,rank,level_id\nK1\r,1,L1\n",  # a lone CR
    "child_id,rank,level_id\nK\u00e9,1,L1\n".encode(),  # non-ASCII
    b"child_id,rank,level_id\n85.07.30-033.28,1,L1\n",  # an INSZ (valid check digits)
    b"child_id,rank,INSZ\nK1,1,L1\n",  # a forbidden header
    b"child_id,rank,level_id\r\nK1,1,L1\r\nK2\r,1,L1\r\n",  # a lone CR among CRLFs
    b"child_id,rank,level_id\nK1,1,L1\r",  # a lone CR at the very end
    b"child_id,rank,level_id\nK1,1,L1\n,,\nK2,1,L1\n",  # a line of separators only
    b"child_id,rank,level_id,note\nK1,1,L1,x 85073003328 y\n",  # an INSZ in another column
    b"child_id,rank,level_id,note\nK1,1,L1, x\n",  # a space in another column
])
def test_anything_unusual_declines(raw: bytes) -> None:
    assert csvbulk.columns("applications.csv", raw, ("child_id", "rank"), WANT) is None


def test_numbers_are_parsed_as_python_parses_them() -> None:
    cells = np.array([b"0", b"12.5", b"0.1", b"4521.3", b"123456789.012345", b""])
    values, empty = csvbulk.plain_float(cells)
    assert values[:5].tolist() == [0.0, 12.5, 0.1, 4521.3, 123456789.012345]
    assert np.isnan(values[5]) and empty.tolist() == [False] * 5 + [True]
    assert csvbulk.plain_float(np.array([b"1e5"])) is None
    assert csvbulk.plain_float(np.array([b"-1"])) is None
    assert csvbulk.small_int(np.array([b"1", b"10", b"999"]), 1, 1000).tolist() == [1, 10, 999]
    assert csvbulk.small_int(np.array([b"0"]), 1, 1000) is None  # below the bound
    assert csvbulk.small_int(np.array([b"+1"]), 1, 1000) is None  # csvin decides
    assert csvbulk.small_int(np.array([b"1001"]), 1, 1000) is None


def test_ids_map_to_their_positions() -> None:
    known = np.array([b"L2", b"L10", b"L1"])
    assert csvbulk.index_of(np.array([b"L1", b"L10", b"L2"]), known).tolist() == [2, 1, 0]
    assert csvbulk.index_of(np.array([b"L3"]), known) is None
    long = np.array([b"LEVEL-NUMBER-0001", b"LEVEL-NUMBER-0002"])
    assert csvbulk.index_of(np.array([b"LEVEL-NUMBER-0002"]), long).tolist() == [1]
    # short values against longer known ids (the standard priority groups)
    groups = np.array([b"none", b"sibling", b"sibling_staff", b"staff"])
    assert csvbulk.index_of(np.array([b"staff", b"none"]), groups).tolist() == [3, 0]
    assert csvbulk.index_of(np.array([b"sibling_"]), groups) is None


def test_many_ids_map_through_the_hash_tables_as_a_search_would() -> None:
    rng = np.random.default_rng(3)
    known = np.array([f"K{i:07d}".encode() for i in rng.permutation(50_000)])
    values = known[rng.integers(0, known.size, 200_000)]
    found = csvbulk.index_of(values, known)
    assert found is not None and (known[found] == values).all()
    values[12_345] = b"K9999999"  # not known
    assert csvbulk.index_of(values, known) is None


def test_numbers_are_written_as_str_writes_them() -> None:
    from lopdesk.matching.csvout import numbers

    values = np.array([0, 7, 10, 99, 100, 9_999, 10_000, 10_001, 123_456, 99_999_999,
                       100_000_000, 2**40])
    assert numbers(values).tolist() == [str(v).encode() for v in values.tolist()]
    assert numbers(np.array([-3, 4])).tolist() == [b"-3", b"4"]


@pytest.mark.parametrize("sendfile_works", [True, False])
def test_input_copy_is_exact_and_group_private(tmp_path, monkeypatch, sendfile_works) -> None:
    """The copy of the input kept with the results (formats.md): the same bytes, 0640
    whatever the umask, never over an existing file; through a buffer where the kernel
    cannot copy between the files."""
    import os

    from lopdesk.matching.outdir import copy_private

    if not sendfile_works:
        def refuse(*_args: object) -> int:
            raise OSError(22, "sendfile not supported")
        monkeypatch.setattr(os, "sendfile", refuse)
    source = tmp_path / "applications.csv"
    data = bytes(range(256)) * 9000  # more than one buffer
    source.write_bytes(data)
    old = os.umask(0)
    try:
        copy_private(source, tmp_path / "copy.csv")
    finally:
        os.umask(old)
    assert (tmp_path / "copy.csv").read_bytes() == data
    assert (tmp_path / "copy.csv").stat().st_mode & 0o777 == 0o640
    with pytest.raises(FileExistsError):
        copy_private(source, tmp_path / "copy.csv")
