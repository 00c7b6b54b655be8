"""The register import streams in parts (register_import.CHUNK_LINES): the result, the
errors and the audit trail are those of a file read whole; all or nothing across parts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import PG_URL
from sqlalchemy import func, select, update

from lopdesk.domain import audit, register_import, registers
from lopdesk.domain.errors import ImportError_
from lopdesk.domain.imports import import_csv
from lopdesk.domain.mediation_models import LopNotification
from lopdesk.domain.models import AuditRecord, Child, RegisterEntry
from lopdesk.errors import ImportError_ as BaseImportError
from lopdesk.matching.csvin import decode, scan_file

SCENARIO = Path(__file__).parent.parent / "fixtures" / "scenario_small"
HEADER = "school_id,level_id,child_id,requested_at,priority_group,indicator,status\n"
LEVELS = ("S001-2027-K2024", "S001-2027-L1", "S002-2027-L1")
N = 30  # rows of the register below: five parts of seven lines in the tests


def _row(i: int, status: str | None = None, child: str | None = None,
         second: int | None = None) -> str:
    level = LEVELS[i % 3]
    school = level[:4]
    status = status or ("non_realised" if i % 5 == 4 else "realised")
    sec = i if second is None else second
    return (f"{school},{level},{child or f'K{1000 + i}'},2027-03-01T10:{sec // 60:02d}:"
            f"{sec % 60:02d},none,{i % 2},{status}\n")


@pytest.fixture
def loaded(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Areas, schools, levels and children K1000.. (indicator for even numbers) in the
    database; parts of seven lines."""
    files = tmp_path / "files"
    shutil.copytree(SCENARIO, files)
    for kind in ("areas", "schools", "levels"):
        import_csv(db, kind, files / f"{kind}.csv")
    (files / "kids.csv").write_text("child_id,first_name,last_name,indicator\n" + "".join(
        f"K{1000 + i},Voornaam,Naam{i},{1 - i % 2}\n" for i in range(N + 5)))
    import_csv(db, "children", files / "kids.csv")
    monkeypatch.setattr(register_import, "CHUNK_LINES", 7)
    return files


def _refused(db, path: Path, rows: list[str]) -> str:
    """The error of importing `rows` as `path`."""
    path.write_text(HEADER + "".join(rows))
    with pytest.raises(ImportError_) as err:
        import_csv(db, "register", path)
    return str(err.value)


def _entries(db) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(RegisterEntry)).scalar_one()


def test_parts_give_the_rows_the_warnings_and_a_clean_audit(db, loaded):
    f = loaded / "register.csv"
    f.write_text(HEADER + "".join(_row(i) for i in range(N)))
    summary = import_csv(db, "register", f)
    assert summary.rows == N
    # REG-01: numbered per register in file order, across the parts
    assert [e.child_id for e in registers.list_entries(db, "S001-2027-L1")] == [
        f"K{1000 + i}" for i in range(1, N, 3)]
    assert [e.seq for e in registers.list_entries(db, "S001-2027-L1")] == list(range(1, 11))
    # every row's indicator is the opposite of its child's: one warning per line
    assert sum("indicator van de rij wijkt af" in w for w in summary.warnings) == N
    assert any(w.startswith("register.csv, regel 31:") for w in summary.warnings)
    with db.read() as s:
        # NGI-03: every refusal of every part has its notification, one record in all
        assert s.execute(select(func.count()).select_from(LopNotification)).scalar_one() == 6
        actions = list(s.execute(select(AuditRecord.action, AuditRecord.detail)
                                 .where(AuditRecord.id > 0).order_by(AuditRecord.id)))
        # REG-02, §10: the chain holds every row's digest; the file's hash is recorded
        assert audit.verify(s) == []
        assert audit.verify_rows(s) == []
    names = [a for a, _d in actions]
    assert names.count("import.register.part") == 4  # five parts: the last in the import's
    assert names.count("lop_notification.create") == 1
    detail = json.loads(actions[-1][1])
    assert names[-1] == "import.register" and detail["rows"] == N
    assert detail["sha256"] == summary.sha256 == scan_file("register.csv", f)


def test_many_indicator_mismatches_stay_a_few_warnings(db, loaded, monkeypatch):
    monkeypatch.setattr(register_import, "MAX_LINE_WARNINGS", 4)
    with db.write() as s:
        s.execute(update(Child).values(indicator=True))
    f = loaded / "register.csv"
    f.write_text(HEADER + "".join(_row(i) for i in range(N)))  # odd lines: not indicator
    warnings = import_csv(db, "register", f).warnings
    assert [w.split(":")[0] for w in warnings[:4]] == [
        f"register.csv, regel {line}" for line in (2, 4, 6, 8)]
    assert warnings[4] == ("register.csv: nog 11 regels waarvan de indicator afwijkt van die "
                           "van het kind (niet elk getoond)")


def test_a_bad_line_in_a_later_part_writes_nothing(db, loaded):
    f = loaded / "register.csv"
    rows = [_row(i) for i in range(N)]
    rows[25] = _row(25, status="accepted")  # line 27: the fourth part was written already
    f.write_text(HEADER + "".join(rows))
    with pytest.raises(ImportError_, match="register.csv, regel 27, kolom 'status'"):
        import_csv(db, "register", f)
    assert _entries(db) == 0
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(LopNotification)).scalar_one() == 0
        assert audit.verify_rows(s) == []


def test_a_running_request_earlier_in_the_file_is_found_across_parts(db, loaded):
    rows = [_row(i) for i in range(N)]
    rows[20] = _row(20, child="K1002", second=20)  # same level as line 4 (i = 2)
    error = _refused(db, loaded / "register.csv", rows)
    assert "regel 22, kolom 'child_id'" in error
    assert "lopende aanvraag bij S002-2027-L1 (regel 4)" in error
    assert _entries(db) == 0


def test_a_withdrawn_row_is_no_running_request(db, loaded):
    f = loaded / "register.csv"
    rows = [_row(i) for i in range(N)]
    rows[2] = _row(2, status="withdrawn")
    rows[20] = _row(20, child="K1002", second=20)
    f.write_text(HEADER + "".join(rows))
    assert import_csv(db, "register", f).rows == N


def test_the_first_bad_line_is_named_whatever_the_check(db, loaded):
    """A child unknown to the database at line 3 comes before a bad cell at line 5 of
    the same part."""
    f = loaded / "register.csv"
    rows = [_row(i) for i in range(5)]
    rows[1] = _row(1, child="K9999")
    rows[3] = _row(3, status="accepted")
    f.write_text(HEADER + "".join(rows))
    with pytest.raises(ImportError_, match="regel 3, kolom 'child_id'"):
        import_csv(db, "register", f)


def test_a_request_already_in_the_register_is_refused_in_any_part(db, loaded):
    f = loaded / "register.csv"
    f.write_text(HEADER + "".join(_row(i) for i in range(10)))
    import_csv(db, "register", f)
    rows = [_row(i, second=600 + i) for i in range(10, 20)] + [_row(4, second=700)]
    error = _refused(db, loaded / "again.csv", rows)
    assert "regel 12, kolom 'child_id'" in error
    assert "staat al in het register van S001-2027-L1" in error
    assert _entries(db) == 10


def test_notify_asks_for_any_number_of_ids_in_parts(db, loaded, monkeypatch):
    """NGI-03 after an import of a million lines: more ids than SQLite binds at once."""
    from lopdesk.domain import refusals

    real = refusals.notify_refusals_in
    monkeypatch.setattr(refusals, "notify_refusals_in", lambda *_a, **_k: 0)
    f = loaded / "register.csv"
    f.write_text(HEADER + "".join(_row(i) for i in range(10)))  # two refusals
    import_csv(db, "register", f)
    with db.write() as s:
        refused = list(s.execute(select(RegisterEntry.id)
                                 .where(RegisterEntry.status == "non_realised")).scalars())
        ids = list(range(1_000_000, 1_040_000)) + refused
        assert real(s, "tester", entry_ids=ids) == 2


@pytest.mark.parametrize("raw", [
    "a,b\né,x\n".encode() * 50 + b"\x81,y\n",  # not UTF-8, not Windows-1252 either
    b"a,b\n" + "é,x\n".encode("cp1252") * 3,  # a Windows-1252 file
    "a,b\né".encode() * 40 + "é".encode()[:1],  # a character cut off at the end
    b"\xef\xbb\xbfa,b\n" + "ĳ,€\n".encode() * 30,  # good: characters across block ends
])
def test_the_streamed_encoding_check_says_what_decode_says(tmp_path, raw):
    path = tmp_path / "x.csv"
    path.write_bytes(raw)
    try:
        decode("x.csv", raw)
        expected = None
    except BaseImportError as exc:
        expected = str(exc)
    try:
        scan_file("x.csv", path, block=7)
        got = None
    except BaseImportError as exc:
        got = str(exc)
    assert got == expected


@pytest.mark.skipif(not PG_URL, reason="needs LOPDESK_TEST_PG_URL")
def test_postgresql_writes_the_parts_through_copy(db, loaded, monkeypatch):
    import psycopg

    copies: list[str] = []
    original = psycopg.Cursor.copy

    def spy(self, statement, *args, **kwargs):
        copies.append(str(statement))  # a str: insert_rows writes the statement
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", spy)
    f = loaded / "register.csv"
    f.write_text(HEADER + "".join(_row(i) for i in range(N)))
    assert import_csv(db, "register", f).rows == N
    tables = [c.replace('"', "").split()[1] for c in copies]
    assert tables.count("register_entry") == 5 and tables.count("register_event") == 5
    assert tables.count("lop_notification") == 1
    entries = registers.list_entries(db, "S002-2027-L1")
    assert [e.seq for e in entries] == list(range(1, 11))
    assert entries[0].requested_at.isoformat() == "2027-03-01T09:00:02+00:00"  # 10:00 CET
    with db.read() as s:
        assert s.execute(select(func.count()).select_from(LopNotification)).scalar_one() == 6
        assert audit.verify_rows(s) == []
