"""Extracts on a shared server: sandboxed templates, a LOP template folder only when nobody
else can write to it, spreadsheet cells that cannot run, files written whole with 0640."""

from __future__ import annotations

import csv
import io
import os
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
from builders import level, school, t
from conftest import invoke_as
from typer.testing import CliRunner

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import areas, documents, registers
from lopdesk.domain.errors import InvalidInput
from lopdesk.files import write_private_atomic

CASE = {"id": "X1", "child": {"id": "K1", "name": "Kind"}}


@contextmanager
def umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def template_folder(tmp_path: Path, body: str, mode: int = 0o755,
                    file_mode: int = 0o644) -> Path:
    folder = tmp_path / "lop-templates"
    folder.mkdir()
    (folder / "case.txt.j2").write_text(body, encoding="utf-8")
    os.chmod(folder / "case.txt.j2", file_mode)
    os.chmod(folder, mode)
    return folder


# --- templates run in the sandbox ------------------------------------------------------------


def test_every_template_renders_in_the_sandbox():
    from jinja2.sandbox import SandboxedEnvironment

    assert isinstance(documents.environment(), SandboxedEnvironment)


@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ joiner.__init__.__globals__.os.system('touch {marker}') }}",
    "{{ meta.generated_at.__class__.__init__.__globals__ }}",
])
def test_a_template_cannot_reach_python_internals(tmp_path, attack):
    from jinja2.exceptions import SecurityError

    marker = tmp_path / "ran"
    folder = template_folder(tmp_path, attack.replace("{marker}", str(marker)) + "\n")
    ctx = documents.case_context(CASE, user="tester")
    with pytest.raises(SecurityError):
        documents.render_context("case", "txt", ctx, folder)
    assert not marker.exists()  # nothing ran


def test_a_safe_folder_is_used(tmp_path):
    folder = template_folder(tmp_path, "EIGEN {{ case.id }}\n", mode=0o755)
    ctx = documents.case_context(CASE, user="tester")
    assert documents.render_context("case", "txt", ctx, folder) == "EIGEN X1\n"
    os.chmod(folder, 0o700)
    assert documents.render_context("case", "txt", ctx, folder) == "EIGEN X1\n"


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777, 0o770])
def test_a_folder_others_can_write_to_is_refused_naming_folder_and_mode(tmp_path, mode):
    folder = template_folder(tmp_path, "EIGEN\n", mode=mode)
    ctx = documents.case_context(CASE, user="tester")
    with pytest.raises(InvalidInput) as exc:
        documents.render_context("case", "txt", ctx, folder)
    assert str(folder) in exc.value.message and f"{mode:04o}" in exc.value.message
    assert exc.value.field == "LOPDESK_TEMPLATES"


def test_a_template_others_can_write_to_is_refused(tmp_path):
    folder = template_folder(tmp_path, "EIGEN\n", mode=0o755, file_mode=0o664)
    ctx = documents.case_context(CASE, user="tester")
    with pytest.raises(InvalidInput) as exc:
        documents.render_context("case", "txt", ctx, folder)
    assert str(folder / "case.txt.j2") in exc.value.message and "0664" in exc.value.message


def test_a_writable_subfolder_is_refused(tmp_path):
    folder = template_folder(tmp_path, "EIGEN\n")
    sub = folder / "partials"
    sub.mkdir()
    os.chmod(sub, 0o777)
    with pytest.raises(InvalidInput) as exc:
        documents.environment(folder)
    assert str(sub) in exc.value.message and "0777" in exc.value.message


def test_a_symlinked_template_in_a_writable_place_is_refused(tmp_path):
    folder = template_folder(tmp_path, "EIGEN\n")
    elsewhere = tmp_path / "open"
    elsewhere.mkdir()
    os.chmod(elsewhere, 0o777)
    (elsewhere / "notice.txt.j2").write_text("VAN IEMAND ANDERS\n", encoding="utf-8")
    os.chmod(elsewhere / "notice.txt.j2", 0o644)
    (folder / "notice.txt.j2").symlink_to(elsewhere / "notice.txt.j2")
    os.chmod(folder, 0o755)
    env = documents.environment(folder)
    with pytest.raises(InvalidInput) as exc:
        env.get_template("notice.txt.j2")
    assert str(elsewhere) in exc.value.message and "0777" in exc.value.message


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(InvalidInput) as exc:
        documents.environment(tmp_path / "nergens")
    assert str(tmp_path / "nergens") in exc.value.message


# --- OWASP CSV injection -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+2", "'=1+2"),
    ("+32 9 123 45 67", "'+32 9 123 45 67"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Anna", "Anna"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (-3, -3),  # a number stays a number
    (2.5, 2.5),
])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(value, cell):
    assert documents.csv_cell(value) == cell


def test_register_csv_extract_neutralises_a_formula_in_a_name(db):
    areas.create_area(db, "A", "LOP Testgebied")
    school(db, "S1")
    level(db, "L1", "S1", capacity=2)
    areas.create_child(db, "K1", '=HYPERLINK("http://x.invalid","klik")', "@Peeters")
    registers.add_request(db, "L1", "K1", at=t(0))
    text = documents.render_register(db, "csv", level_id="L1")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["naam"] == '\'=HYPERLINK("http://x.invalid","klik") @Peeters'
    for row in rows:
        for value in row.values():
            assert not (value or "").startswith(("=", "+", "-", "@", "\t", "\r")), row


# --- files written whole, 0640 whatever the umask ---------------------------------------------


def test_write_private_atomic_is_0640_under_umask_000(tmp_path):
    with umask(0):
        path = write_private_atomic(tmp_path / "nieuw" / "uittreksel.csv", b"a,b\n")
    assert path.read_bytes() == b"a,b\n"
    assert mode_of(path) == 0o640
    assert mode_of(tmp_path / "nieuw") == 0o750


def test_write_private_atomic_replaces_a_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "x.txt"
    target.write_bytes(b"oud")
    os.chmod(target, 0o666)
    write_private_atomic(target, b"nieuw")
    assert target.read_bytes() == b"nieuw" and mode_of(target) == 0o640
    assert os.listdir(tmp_path) == ["x.txt"]


def _full_disk(*_args, **_kw):
    raise OSError(28, "No space left on device")


def test_a_failing_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr("lopdesk.files.os.fsync", _full_disk)
    with pytest.raises(OSError):
        write_private_atomic(tmp_path / "x.txt", b"data")
    assert os.listdir(tmp_path) == []


def test_a_failing_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "x.txt"
    target.write_bytes(b"goed en volledig")
    monkeypatch.setattr("lopdesk.files.os.fsync", _full_disk)
    with pytest.raises(OSError):
        write_private_atomic(target, b"nieuw")
    assert target.read_bytes() == b"goed en volledig"
    assert os.listdir(tmp_path) == ["x.txt"]


@pytest.fixture
def extract_scene(db):
    areas.create_area(db, "A", "LOP Testgebied")
    school(db, "S1")
    level(db, "L1", "S1", capacity=2)
    areas.create_child(db, "K1", "Anna", "Peeters")
    registers.add_request(db, "L1", "K1", at=t(0))
    return db


def cli(db_path, *args):
    from lopdesk.cli import app

    result = invoke_as("tester", CliRunner(), app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


def test_cli_extract_out_is_0640_under_umask_000(extract_scene, db_path, tmp_path):
    out = tmp_path / "uit" / "register.csv"
    with umask(0):
        r = cli(db_path, "extract", "register", "--level", "L1", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert mode_of(out) == 0o640 and out.read_text(encoding="utf-8").startswith("school_id")
    assert os.listdir(out.parent) == ["register.csv"]


def test_cli_extract_out_failing_write_exits_2_and_leaves_no_file(extract_scene, db_path,
                                                                  tmp_path, monkeypatch):
    monkeypatch.setattr("lopdesk.files.os.fsync", _full_disk)
    out = tmp_path / "register.csv"
    r = cli(db_path, "extract", "register", "--level", "L1", "--out", str(out))
    assert r.exit_code == 2
    assert str(out) in r.stderr and "niets geschreven" in r.stderr
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_refuses_a_group_writable_template_folder(extract_scene, db_path, tmp_path,
                                                      monkeypatch):
    folder = tmp_path / "lop-templates"
    folder.mkdir()
    os.chmod(folder, 0o775)
    monkeypatch.setenv("LOPDESK_TEMPLATES", str(folder))
    r = cli(db_path, "extract", "register", "--level", "L1", "-f", "txt")
    assert r.exit_code == 2
    assert str(folder) in r.stderr and "0775" in r.stderr and r.stdout == ""


def test_documents_screen_saves_0640_under_umask_000(tmp_path):
    from lopdesk.screens.documents import DocSpec, save_document

    spec = DocSpec("report", "Rapport", "rapport A 2027", lambda db, fmt: f"inhoud {fmt}\n")
    with umask(0):
        path = save_document(None, spec, "csv", str(tmp_path / "map"))
    assert path == (tmp_path / "map" / "rapport-A-2027.csv").resolve()
    assert path.read_text(encoding="utf-8") == "inhoud csv\n" and mode_of(path) == 0o640
    assert mode_of(tmp_path / "map") == 0o750


def test_override_folder_is_read_through_settings(extract_scene, db_path, tmp_path,
                                                  monkeypatch):
    folder = tmp_path / "lop-templates"
    folder.mkdir()
    (folder / "register.txt.j2").write_text("EIGEN {{ levels|length }}\n", encoding="utf-8")
    os.chmod(folder / "register.txt.j2", 0o644)
    os.chmod(folder, 0o755)
    monkeypatch.setenv("LOPDESK_TEMPLATES", str(folder))
    db = Database(Settings.from_cli(str(db_path), "tester"))
    try:
        assert documents.render_register(db, "txt", level_id="L1") == "EIGEN 1\n"
    finally:
        db.dispose()
