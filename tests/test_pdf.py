"""PDF documents (Typst): the escape filter, golden Typst sources, and the PDFs themselves
(they open, have the expected pages and hold the key texts)."""

from __future__ import annotations

import io
import string

import pytest
from test_documents import AT, CASE, SIGNED, check_golden, notice_id, scene  # noqa: F401

from lopdesk.domain import audit, documents
from lopdesk.domain.extracts import environment
from lopdesk.domain.extracts.pdf import compile_pdf, typst_escape

pypdf = pytest.importorskip("pypdf")

HOSTILE = "Jan #set *vet* _schuin_ $x$ ] [ \\ <label> @ref `code` // = - + ~ 1. ... -- é"


@pytest.fixture(autouse=True)
def fixed_page(monkeypatch):
    """The audit head and the version as fixed values: golden sources stay stable."""
    monkeypatch.setattr(environment, "__version__", "TEST")
    monkeypatch.setattr(audit, "head", lambda db: audit.Head(42, "e" * 64))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- escaping --------------------------------------------------------------------------


def test_escape_puts_a_backslash_before_every_markup_character():
    assert typst_escape("a#b*c_d$e]f") == "a\\#b\\*c\\_d\\$e\\]f"
    assert typst_escape("\\") == "\\\\"
    assert typst_escape("<x> @y `z`") == "\\<x\\> \\@y \\`z\\`"
    assert typst_escape(None) == ""
    assert typst_escape(12) == "12"
    assert typst_escape("Chloë Janssens") == "Chloë Janssens"


def test_escape_turns_newlines_into_line_breaks_and_drops_control_characters():
    assert typst_escape("a\nb") == "a \\\nb"
    assert typst_escape("a\r\nb") == "a \\\nb"
    assert typst_escape("a\x00b\x1bc\x7f") == "abc"


def test_escaped_text_prints_literally_in_a_pdf():
    source = f"#set page(paper: \"a4\")\nNaam: {typst_escape(HOSTILE)} einde\n"
    pages, text = pdf_text(compile_pdf(source))
    assert pages == 1
    assert flat(HOSTILE) in flat(text)


def test_every_ascii_punctuation_character_prints_literally():
    source = f"{typst_escape(string.punctuation)}\n"
    _, text = pdf_text(compile_pdf(source))
    assert string.punctuation in text.replace(" ", "").replace("\n", "")


def test_typst_template_escapes_every_output_also_in_a_lops_own_template(tmp_path, db):
    folder = tmp_path / "tpl"
    folder.mkdir(mode=0o755)
    (folder / "case.typ.j2").write_text("Kind: {{ case.child.name }}\n", encoding="utf-8")
    (folder / "case.typ.j2").chmod(0o644)
    ctx = documents.case_context({"id": "1", "child": {"name": "#panic() *x*"}},
                                 generated_at=AT)
    source = environment.render_context("case", "typ", ctx, folder)
    assert source == "Kind: \\#panic\\(\\) \\*x\\*\n"


def test_a_broken_typst_template_is_a_dutch_error():
    from lopdesk.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="PDF-sjabloon"):
        compile_pdf("#let x = (\n")


def test_the_compiler_cannot_read_files_outside_its_empty_root():
    from lopdesk.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="PDF-sjabloon"):
        compile_pdf('#read("/etc/passwd")\n')


# --- golden Typst sources ---------------------------------------------------------------


def test_register_typst_golden(scene):  # noqa: F811
    check_golden("register_level.typ",
                 documents.render_register(scene, "typ", level_id="L1", generated_at=AT))


def test_register_plenary_typst_golden(scene):  # noqa: F811
    check_golden("register_area_plenary.typ", documents.render_register(
        scene, "typ", area_id="A", pseudonymise=True, pseudonym_key="golden",
        generated_at=AT))


def test_notice_typst_golden(scene):  # noqa: F811
    check_golden("notice.typ", documents.render_notice(
        scene, notice_id(scene), "typ", signed_on=SIGNED, signed_by="J. Directeur",
        generated_at=AT))


def test_report_typst_golden(scene):  # noqa: F811
    check_golden("report.typ", documents.render_report(scene, "A", 2027, "typ",
                                                       generated_at=AT))


def test_pv_typst_golden_carries_the_run_hashes_in_the_footer(scene):  # noqa: F811
    source = documents.render_pv(scene, 1, "typ", generated_at=AT)
    check_golden("pv.typ", source)
    footer = source.split("footer:", 1)[1].split("#set par", 1)[0]
    assert "a" * 64 in footer and "d" * 64 in footer
    assert "record 42, hash " + "e" * 64 in footer


def test_case_typst_golden(scene):  # noqa: F811
    check_golden("case.typ", documents.render_case(scene, None, "typ", case=CASE,
                                                   generated_at=AT))


# --- the PDFs ---------------------------------------------------------------------------


def test_register_pdf(scene):  # noqa: F811
    pages, text = pdf_text(documents.render_register(scene, "pdf", area_id="A",
                                                     generated_at=AT))
    assert pages == EXPECTED_PAGES["register"]
    for key in ("Uittreksel inschrijvingsregister", "LOP Testgebied", "Capaciteitsblad",
                "Registerblad", "Chloë Janssens", "pagina 1 van", "Auditkop: record 42"):
        assert key in text, key


def test_register_plenary_pdf_has_no_names(scene):  # noqa: F811
    pages, text = pdf_text(documents.render_register(
        scene, "pdf", area_id="A", pseudonymise=True, pseudonym_key="k", generated_at=AT))
    assert pages == EXPECTED_PAGES["register_plenary"]
    assert "plenaire vergadering" in text and "Tellingen" in text
    assert "Chloë" not in text and "Janssens" not in text


def test_notice_pdf(scene):  # noqa: F811
    pages, text = pdf_text(documents.render_notice(
        scene, notice_id(scene), "pdf", signed_on=SIGNED, signed_by="J. Directeur",
        generated_at=AT))
    assert pages == EXPECTED_PAGES["notice"]
    for key in ("Mededeling van niet-gerealiseerde inschrijving", "Chloë Janssens",
                "Commissie inzake Leerlingenrechten", "05/03/2027", "LOP Testgebied"):
        assert key in text, key


def test_report_pdf(scene):  # noqa: F811
    pages, text = pdf_text(documents.render_report(scene, "A", 2027, "pdf", generated_at=AT))
    assert pages == EXPECTED_PAGES["report"]
    for key in ("Vrije-plaatsenbord", "Sociale mix", "Dissimilariteitsindex", "LOP Testgebied"):
        assert key in text, key


def test_pv_pdf(scene):  # noqa: F811
    pages, text = pdf_text(documents.render_pv(scene, 1, "pdf", generated_at=AT))
    assert pages == EXPECTED_PAGES["pv"]
    for key in ("Proces-verbaal van de toewijzing", "20270301", "d" * 64,
                "lopdesk allocate INVOER --out UITVOER --seed 20270301"):
        assert key in flat(text), key


def test_case_pdf(scene):  # noqa: F811
    pages, text = pdf_text(documents.render_case(scene, None, "pdf", case=CASE,
                                                 generated_at=AT))
    assert pages == EXPECTED_PAGES["case"]
    assert "Samenvatting bemiddelingsdossier" in text


# Measured once and fixed: a layout change that adds pages is seen here.
EXPECTED_PAGES = {"register": 2, "register_plenary": 2, "notice": 1, "report": 1, "pv": 2,
                  "case": 1}


# --- the command line -----------------------------------------------------------------------


def test_cli_extract_pdf_by_option_and_by_suffix(scene, db_path, tmp_path):  # noqa: F811
    from test_documents import cli

    out = tmp_path / "uit" / "pv.pdf"
    r = cli(db_path, "extract", "pv", "1", "--out", str(out))  # format from the suffix
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and out.stat().st_mode & 0o777 == 0o640
    pages, text = pdf_text(data)
    assert pages == EXPECTED_PAGES["pv"] and "Proces-verbaal" in text
    notice = tmp_path / "mededeling"
    r = cli(db_path, "extract", "notice", "L1:3", "--date", "2027-03-05", "--format", "pdf",
            "--out", str(notice))
    assert r.exit_code == 0, r.output
    assert notice.read_bytes().startswith(b"%PDF-")
    r = cli(db_path, "extract", "report", "A", "--year", "2027", "-f", "typ")
    assert r.exit_code == 0 and r.stdout.startswith("#set document(")
