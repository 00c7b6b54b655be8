"""Bad input never crashes: hypothesis-made CSV files against every import and
the allocation reader: a clear error naming the place, or success; never half-written."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lopdesk.domain.errors import DomainError
from lopdesk.domain.imports import KINDS, PARSERS, import_csv
from lopdesk.domain.models import Area, CapacityLevel, Child, RegisterEntry, School

CELLS = st.one_of(st.sampled_from(["", "A", "S1", "L1", "K1", "1", "0", "-1", "2027", "new",
                                   "old", "primary_grade", "realised", "none", "sibling",
                                   "2027-03-01T09:00:00", "2024-02-30", "x,y", '"', "1e9",
                                   "nan", "ja", "\u00e9", "9" * 25, "0001-01-01",
                                   "01/03/2027", "01/03/2027 09:00", "a;b", "\x1b[2J",
                                   "\u202e", "\x00", "85073100130", "85.07.31-001.30"]),
                  st.text(max_size=6))


@st.composite
def csv_texts(draw, kind: str) -> str:
    required = list(PARSERS[kind][0])
    header = draw(st.lists(st.sampled_from(required + ["extra", "x", "y"]), min_size=0,
                           max_size=len(required) + 2, unique=True)) \
        if draw(st.booleans()) else required
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=5))
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


def _counts(db) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar_one()
                     for m in (Area, School, CapacityLevel, Child, RegisterEntry))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_every_import_clear_error_or_success(db, data):
    kind = data.draw(st.sampled_from(KINDS))
    text = data.draw(csv_texts(kind))
    before = _counts(db)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        try:
            import_csv(db, kind, path)
        except DomainError as exc:
            assert str(exc).startswith(f"{kind}.csv") or "bestaat" in str(exc), str(exc)
            assert _counts(db) == before  # nothing half-written


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_allocation_input_clear_error_or_success(data):
    from lopdesk.matching.io import run_allocation

    texts = {
        "levels.csv": data.draw(st.sampled_from([
            "level_id,school_id,capacity\nL1,S1,1\n", "level_id,school_id,capacity\n"]))
        + "\n".join(",".join(data.draw(st.lists(CELLS, max_size=4))) for _ in range(2)),
        "children.csv": "child_id,indicator\nK1,0\n"
        + "\n".join(",".join(data.draw(st.lists(CELLS, max_size=3))) for _ in range(2)),
        "applications.csv": "child_id,rank,level_id\n"
        + "\n".join(",".join(data.draw(st.lists(CELLS, max_size=4))) for _ in range(3)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in"
        inp.mkdir()
        for name, text in texts.items():
            (inp / name).write_text(text, encoding="utf-8")
        try:
            run_allocation(inp, Path(tmp) / "out", seed=1)
        except DomainError as exc:
            assert ".csv" in str(exc) or "map" in str(exc), str(exc)
            assert not (Path(tmp) / "out").exists()
