"""What may come in and what goes out to a terminal (domain §10 privacy; issue 12 §5–§7,
issue 14 §3): control characters and national register numbers refused with file, line and
column; Belgian CSV dialects read; bad values end with exit 2 naming the field."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import invoke_as
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.domain import registers
from lopdesk.domain.directory import list_children
from lopdesk.domain.errors import ImportError_
from lopdesk.domain.imports import import_csv
from lopdesk.matching.io import read_input, run_allocation

SCENARIO = Path(__file__).parent.parent / "fixtures" / "scenario_small"
runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    target = tmp_path / "files"
    shutil.copytree(SCENARIO, target)
    return target


def load(db, files: Path, upto: str) -> None:
    for kind in ("areas", "schools", "levels", "children", "register"):
        import_csv(db, kind, files / f"{kind}.csv")
        if kind == upto:
            break


def refused(db, kind: str, tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / f"{kind}.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    before = len(list_children(db, limit=1000))
    with pytest.raises(ImportError_) as err:
        import_csv(db, kind, path)
    assert len(list_children(db, limit=1000)) == before  # nothing written
    return str(err.value)


def cli(db_path, *args: str):
    result = invoke_as("tester", runner, app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output and "onverwachte fout" not in result.output
    return result


# --- national register numbers, built here with the mod-97 rule written out -------------

def insz_19xx(birth: str, serial: str) -> str:
    nine = birth + serial  # yymmdd + 3-digit serial
    return nine + f"{97 - int(nine) % 97:02d}"


def insz_20xx(birth: str, serial: str) -> str:
    nine = birth + serial
    return nine + f"{97 - int('2' + nine) % 97:02d}"


OLD = insz_19xx("850731", "001")  # 850731001 30
NEW = insz_20xx("120315", "002")
assert OLD[9:] != f"{97 - int('2' + OLD[:9]) % 97:02d}"  # each passes one form only
NEAR = OLD[:9] + f"{(int(OLD[9:]) + 1) % 97:02d}"  # a wrong check digit


def dotted(number: str) -> str:
    return f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"


@pytest.mark.parametrize("value", [OLD, NEW, dotted(OLD), dotted(NEW),
                                   f"{NEW[:6]} {NEW[6:9]} {NEW[9:]}"])
@pytest.mark.parametrize("column", ["household_id", "address", "first_name"])
def test_privacy_insz_value_refused_in_any_column(db, files, tmp_path, value, column):
    load(db, files, "schools")
    row = {"child_id": "K9", "first_name": "A", "last_name": "B", "household_id": "",
           "address": "", column: value}
    text = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
    message = refused(db, "children", tmp_path, text)
    assert f"regel 2, kolom '{column}'" in message and "rijksregisternummer" in message


def test_privacy_insz_refused_in_allocation_ids_near_miss_accepted(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1\n")
    (inp / "applications.csv").write_text(f"child_id,rank,level_id\n{NEAR},1,L1\n")
    (inp / "children.csv").write_text(f"child_id,indicator\n{NEAR},0\n")
    assert read_input(inp, seed=1).child_ids == [NEAR]  # wrong check digits: accepted
    for value in (OLD, dotted(NEW)):
        (inp / "children.csv").write_text(f"child_id,indicator\nK1,0\n{value},0\n")
        with pytest.raises(ImportError_, match="children.csv, regel 3, kolom 'child_id'"):
            read_input(inp, seed=1)
    (inp / "children.csv").write_text(f"child_id,indicator\n{NEAR},0\n")
    (inp / "applications.csv").write_text(f"child_id,rank,level_id\n{NEAR},1,{NEW}\n")
    with pytest.raises(ImportError_, match="applications.csv, regel 2, kolom 'level_id'"):
        read_input(inp, seed=1)


def test_privacy_near_miss_accepted_in_import(db, files, tmp_path):
    load(db, files, "schools")
    path = tmp_path / "children.csv"
    path.write_text(f"child_id,first_name,last_name,household_id\nK9,A,B,{dotted(NEAR)}\n")
    assert import_csv(db, "children", path).rows == 1


@pytest.mark.parametrize("header", ["Rijksregisternummer", "rijksregister_nummer",
                                    "RijksregisterNr", "rijksregister nr.", "RR_nummer",
                                    "INSZ", "insz_nummer", "NISS", "national register number",
                                    "National_Register_Number", "numéro de registre national",
                                    "Numero De Registre National"])
def test_privacy_register_number_headers_refused(db, files, tmp_path, header):
    load(db, files, "schools")
    message = refused(db, "children", tmp_path,
                      f"child_id,first_name,last_name,{header}\nK9,A,B,x\n")
    assert f"regel 1, kolom '{header}'" in message


def test_privacy_register_number_header_refused_in_allocation_input(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1\n")
    (inp / "children.csv").write_text("child_id,indicator,INSZ nummer\nK1,0,x\n")
    (inp / "applications.csv").write_text("child_id,rank,level_id\nK1,1,L1\n")
    with pytest.raises(ImportError_, match="children.csv, regel 1, kolom 'INSZ nummer'"):
        read_input(inp, seed=1)


# --- control characters ---------------------------------------------------------------

@pytest.mark.parametrize("bad", ["\x1b[2J", "\x1b]0;pwned\x07", "\x07", "\x00", "\t", "\x7f",
                                 "\x85", "\x9b31m", "\u202e", "\u2066", "\u2069"])
def test_control_characters_in_names_refused_with_place(db, files, tmp_path, bad):
    load(db, files, "schools")
    message = refused(db, "children", tmp_path,
                      f'child_id,first_name,last_name\nK8,A,B\nK9,"Li{bad}sa",B\n')
    assert "regel 3, kolom 'first_name'" in message and "stuurteken" in message


def test_quoted_line_break_in_a_name_is_refused(db, files, tmp_path):
    load(db, files, "schools")
    message = refused(db, "children", tmp_path, 'child_id,first_name,last_name\nK9,"A\nB",C\n')
    assert "regel 2, kolom 'first_name'" in message


def test_control_character_refused_in_allocation_input(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_text("level_id,school_id,capacity,name\nL1,S1,1,\x1b[31mX\n")
    (inp / "children.csv").write_text("child_id,indicator\nK1,0\n")
    (inp / "applications.csv").write_text("child_id,rank,level_id\nK1,1,L1\n")
    with pytest.raises(ImportError_, match="levels.csv, regel 2, kolom 'name'"):
        read_input(inp, seed=1)
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1\n")
    (inp / "applications.csv").write_text("child_id,rank,level_id\nK1,1,L1\u202e\n")
    with pytest.raises(ImportError_, match="applications.csv, regel 2, kolom 'level_id'"):
        read_input(inp, seed=1)


def test_terminal_output_is_stripped_and_markup_literal(db, db_path):
    name = "\x1b[31mRood[bold]Vet[/bold]\u202eX\x07"
    assert cli(db_path, "area", "create", "A9", name).exit_code == 0
    out = cli(db_path, "area", "list").stdout
    assert "RoodVet" not in out and "Rood[bold]Vet[/bold]X" in out
    assert not any(ch in out for ch in ("\x1b", "\u202e", "\x07"))
    shown = cli(db_path, "area", "create", "A9", name)  # the error names the id again
    assert shown.exit_code != 0 and "\x1b" not in shown.output


def test_safe_text_removes_sequences_keeps_text():
    from lopdesk.commands.common import safe_text

    assert safe_text("a\x1b[1;31mb\x1b]8;;http://x\x1b\\c\x9b2Jd\u202ee\x00f\ng") == "abcdef\ng"
    assert safe_text("a\nb\tc", one_line=True) == "a b c"


# --- Belgian CSV: separator, BOM, Windows-1252, day-first dates ---------------------------

def test_semicolon_bom_and_day_first_dates(db, files, tmp_path):
    load(db, files, "children")
    children = tmp_path / "more_children.csv"
    children.write_bytes("\ufeffchild_id;first_name;last_name;birth_date;x;y\n"
                         "K7;Zoë;Van den Broeck;09/02/2024;1000,5;2000\n".encode())
    import_csv(db, "children", children)
    child = list_children(db, "broeck")[0]
    assert child.id == "K7" and child.first_name == "Zoë"
    register = tmp_path / "register.csv"
    register.write_text("school_id;level_id;child_id;requested_at;priority_group;indicator;"
                        "status\nS001;S001-2027-L1;K7;01/03/2027 09:00;none;0;realised\n"
                        "S001;S001-2027-L1;K0001;1/3/2027 09:00:05;none;1;realised\n")
    import_csv(db, "register", register)
    entries = registers.list_entries(db, "S001-2027-L1")
    # Brussels is UTC+1 on 1 March: 09:00 local is 08:00 UTC
    assert [e.requested_at.astimezone(UTC) for e in entries] == [
        datetime(2027, 3, 1, 8, 0, 0, tzinfo=UTC), datetime(2027, 3, 1, 8, 0, 5, tzinfo=UTC)]


def test_windows_1252_file_gets_the_encoding_hint(db, files, db_path, tmp_path):
    load(db, files, "schools")
    path = tmp_path / "children.csv"
    path.write_bytes("child_id;first_name;last_name\nK1;Ann;B\nK2;Zoë;Desmet\n"
                     .encode("cp1252"))
    r = cli(db_path, "import", "children", str(path))
    assert r.exit_code == 2
    assert "regel 3" in r.stderr and "Windows-1252" in r.stderr
    assert "sla het bestand op als UTF-8 (CSV UTF-8)" in r.stderr


def test_unterminated_quote_is_reported_where_it_starts(db, files, tmp_path):
    load(db, files, "schools")
    message = refused(db, "children", tmp_path, 'child_id,first_name,last_name\nK1,A,B\n'
                      'K2,"Ann,B\nK3,C,D\nK4,E,F\n')
    assert "regel 3" in message and "aanhalingsteken" in message


def test_allocation_input_with_semicolons_and_bom(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_bytes(b"\xef\xbb\xbflevel_id;school_id;capacity\nL1;S1;1\n")
    (inp / "children.csv").write_text("child_id;indicator\nK1;0\nK2;1\n")
    (inp / "applications.csv").write_text("child_id;rank;level_id;distance_m\n"
                                          "K1;1;L1;12,5\nK2;1;L1;\n")
    record = run_allocation(inp, tmp_path / "out", seed=3)
    assert record["counts"]["children"] == 2
    (inp / "children.csv").write_bytes("child_id;indicator\nK1;0\nKé;1\n".encode("cp1252"))
    with pytest.raises(ImportError_, match=r"children.csv, regel 3: .*Windows-1252"):
        read_input(inp, seed=1)


# --- bounds: exit 2 naming the field, never an internal error ------------------------------

LEVEL_HEAD = "level_id,school_id,school_year,regime,kind,label,capacity\n"


@pytest.mark.parametrize("row,column,words", [
    ("LX,S001,2027,new,primary_grade,1,99999999999999999999999", "capacity", "64 bits"),
    ("LX,S001,2027,new,primary_grade,1,10001", "capacity", "10000"),
    ("LX,S001,1999,new,primary_grade,1,5", "school_year", "2000"),
    ("LX,S001,2101,new,primary_grade,1,5", "school_year", "2100"),
    ("LX,S001,2027,new,primary_grade,1,٣", "capacity", "geen geheel getal"),
    ("L" + "X" * 64 + ",S001,2027,new,primary_grade,1,5", "level_id", "64"),
])
def test_import_bounds(db, files, tmp_path, row, column, words):
    load(db, files, "schools")
    message = refused(db, "levels", tmp_path, LEVEL_HEAD + row + "\n")
    assert f"regel 2, kolom '{column}'" in message and words in message


@pytest.mark.parametrize("kind,text,column", [
    ("children", "child_id,first_name,last_name,birth_date\nK9,A,B,0001-01-01\n",
     "birth_date"),
    ("children", "child_id,first_name,last_name,birth_date\nK9,A,B,31/02/2024\n",
     "birth_date"),
    ("register", "school_id,level_id,child_id,requested_at,priority_group,indicator,status\n"
     "S001,S001-2027-L1,K0001,0001-01-01T00:00:00,none,1,realised\n", "requested_at"),
    ("register", "school_id,level_id,child_id,requested_at,priority_group,indicator,status\n"
     "S001,S001-2027-L1,K0001,2090-01-01T00:00:00,none,1,realised\n", "requested_at"),
])
def test_import_dates_out_of_range(db, files, tmp_path, kind, text, column):
    load(db, files, "children")
    message = refused(db, kind, tmp_path, text)
    assert f"regel 2, kolom '{column}'" in message


def test_allocation_capacity_beyond_64_bits(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1" + "0" * 25 + "\n")
    (inp / "children.csv").write_text("child_id,indicator\nK1,0\n")
    (inp / "applications.csv").write_text("child_id,rank,level_id\nK1,1,L1\n")
    with pytest.raises(ImportError_, match="levels.csv, regel 2, kolom 'capacity'"):
        read_input(inp, seed=1)
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1\n")
    (inp / "applications.csv").write_text("child_id,rank,level_id\nK1,9" + "9" * 25 + ",L1\n")
    with pytest.raises(ImportError_, match="applications.csv, regel 2, kolom 'rank'"):
        read_input(inp, seed=1)


@pytest.mark.parametrize("args,words", [
    (["capacity", "set", "L1", "1" + "0" * 25], "CAPACITEIT"),
    (["capacity", "set", "L1", "10001"], "10000"),
    (["capacity", "seated", "L1", "--indicator", "1", "--non-indicator", "9" * 20],
     "--non-indicator"),
    (["register", "add", "L1", "K1", "--at", "0001-01-01T00:00:00"], "0001"),
    (["register", "add", "L1", "K1", "--at", "2100-01-01T00:00:00"], "50 jaar"),
    (["register", "add", "L" * 65, "K1"], "64"),
    (["register", "add", "L1", "K\x00"], "NUL"),
    (["levels", "--year", "1999"], "--year"),
    (["levels", "--year", "9" * 30], "--year"),
    (["children", "--limit", "9" * 30], "--limit"),
    (["capacity", "ank", "L1", "9" * 30], "10000"),
])
def test_cli_bad_values_exit_2_naming_the_field(db, db_path, args, words):
    from builders import basic

    basic(db, capacity=2, n_children=1)
    r = cli(db_path, *args)
    assert r.exit_code == 2, r.output
    assert words in r.stderr


def test_cli_allocation_input_refusal_is_exit_2(db_path, tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1\n")
    (inp / "children.csv").write_text(f"child_id,indicator\n{OLD},0\n")
    (inp / "applications.csv").write_text(f"child_id,rank,level_id\n{OLD},1,L1\n")
    out = str(tmp_path / "out")
    r = cli(db_path, "allocate", "run", str(inp), "--out", out, "--seed", "1")
    assert r.exit_code == 2 and "children.csv, regel 2, kolom 'child_id'" in r.stderr
    r = cli(db_path, "allocate", "run", str(inp), "--out", out, "--seed", "9" * 25)
    assert r.exit_code == 2 and "--seed" in r.stderr
    assert not (tmp_path / "out").exists()


def test_hague_input_day_first_date_insz_and_bounds(tmp_path):
    from lopdesk.matching.hague_io import run_hague

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "period.csv").write_text("period;offered_on\n1;15/01/2027\n")
    (inp / "schools.csv").write_text("school_id,places\nA,1\n")
    (inp / "children.csv").write_text("child_id\nk\n")
    (inp / "applications.csv").write_text("child_id,rank,school_id\nk,1,A\n")
    record = run_hague(inp, tmp_path / "out", seed=2, allow_short_lists=True)
    assert record["counts"]["placed"] == 1
    assert "2027-02-12" in (tmp_path / "out" / "assignments.csv").read_text()  # answer by
    (inp / "period.csv").write_text("period,offered_on\n1,0001-01-15\n")
    with pytest.raises(ImportError_, match="period.csv, regel 2, kolom 'offered_on'"):
        run_hague(inp, tmp_path / "out2", seed=2, allow_short_lists=True)
    (inp / "period.csv").write_text("period\n1\n")
    (inp / "schools.csv").write_text("school_id,places\nA,10001\n")
    with pytest.raises(ImportError_, match="schools.csv, regel 2, kolom 'places'"):
        run_hague(inp, tmp_path / "out2", seed=2, allow_short_lists=True)
    (inp / "schools.csv").write_text("school_id,places\nA,1\n")
    (inp / "children.csv").write_text(f"child_id\nk\n{dotted(OLD)}\n")
    with pytest.raises(ImportError_, match="children.csv, regel 3, kolom 'child_id'"):
        run_hague(inp, tmp_path / "out2", seed=2, allow_short_lists=True)
    assert not (tmp_path / "out2").exists()
