"""The register import's fast paths give what the general ones give: ISO moments without a
zone read as Brussels time across the clock changes, the rows' digests sealed by
bulk_append as `audit verify` recomputes them from the tables (REG-02), the stored
moments as the ORM stores them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lopdesk.domain import audit_rows, registers
from lopdesk.domain.imports import import_csv
from lopdesk.domain.models import Child, RegisterEntry, RegisterEvent
from lopdesk.matching.csvin import parse_moment

SCENARIO = Path(__file__).parent.parent / "fixtures" / "scenario_small"


@pytest.mark.parametrize(("text", "expected"), [
    ("2027-01-15T08:00:00", datetime(2027, 1, 15, 7, 0, tzinfo=UTC)),  # winter, +1
    ("2027-07-01 12:34:56", datetime(2027, 7, 1, 10, 34, 56, tzinfo=UTC)),  # summer, +2
    ("2027-03-28T01:59:59", datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC)),  # before the jump
    ("2027-03-28T02:30:00", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),  # in the gap: +1
    ("2027-03-28T03:00:00", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),  # after it: +2
    ("2027-10-31T02:30:00", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),  # twice: the first
    ("2027-10-31T03:00:00", datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),  # winter again
])
def test_iso_moment_is_brussels_time_across_the_clock_changes(text: str,
                                                             expected: datetime) -> None:
    assert parse_moment(text) == expected
    assert parse_moment(text).tzinfo is UTC  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["2027-02-30T10:00:00", "2027-13-01T10:00:00",
                                  "2027-03-01T24:00:00", "1899-03-01T10:00:00",
                                  "2200-03-01T10:00:00", "2027-03-01x10:00:00"])
def test_impossible_iso_moment_is_refused(text: str) -> None:
    assert parse_moment(text) is None


def test_REG_02_bulk_append_seals_the_digests_the_verifier_recomputes(db, tmp_path: Path):
    """Entries with and without the optional cells, a history, microseconds: the sealed
    digests equal row_digest of the rows read back, and the moments are stored as the ORM
    stores them (read back equal)."""
    at = datetime(2027, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    later = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    for kind in ("areas", "schools", "levels"):
        import_csv(db, kind, SCENARIO / f"{kind}.csv")
    (tmp_path / "kids.csv").write_text("child_id,first_name,last_name,indicator\nK1,A,B,1\n")
    import_csv(db, "children", tmp_path / "kids.csv")
    with db.write() as s:
        level_id, child_id = _level_and_child(s)
        rows = [
            {"level_id": level_id, "child_id": child_id, "requested_at": at,
             "contingent": "indicator", "status": "realised"},
            {"level_id": level_id, "child_id": child_id, "requested_at": later,
             "priority_group": "sibling", "contingent": "non_indicator",
             "status": "non_realised", "reason": "capacity", "waitlist_position": 3,
             "history": [(later, None, "realised", "eerst", "REG-01"),
                         (datetime(2027, 3, 3, 8, tzinfo=UTC), "realised", "non_realised",
                          "dan", None)]},
        ]
        ids = registers.bulk_append(s, db.user, rows, rule="REG-01", message="test",
                                    source="import", notify=False)
        sealed = s.info[audit_rows._SEALED]
        entries = dict(audit_rows.current(s, "register_entry"))
        events = dict(audit_rows.current(s, "register_event"))
        for eid in ids:
            assert sealed["register_entry"][str(eid)] == entries[str(eid)]
        assert len(sealed["register_event"]) == 3
        for key, digest in sealed["register_event"].items():
            assert events[key] == digest
        first, second = (s.get(RegisterEntry, eid) for eid in ids)
        assert first.requested_at == at and first.status_changed_at == at
        assert second.status_changed_at == datetime(2027, 3, 3, 8, tzinfo=UTC)
        assert second.waitlist_position == 3 and second.reason == "capacity"
        moments = s.execute(select(RegisterEvent.at).where(RegisterEvent.entry_id == ids[1])
                            .order_by(RegisterEvent.id)).scalars().all()
        assert moments == [later, datetime(2027, 3, 3, 8, tzinfo=UTC)]


def _level_and_child(s) -> tuple[str, str]:
    from lopdesk.domain.models import CapacityLevel

    level_id = s.execute(select(CapacityLevel.id).limit(1)).scalar_one()
    child_id = s.execute(select(Child.id).limit(1)).scalar_one()
    return level_id, child_id
