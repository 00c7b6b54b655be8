"""Documents from templates: golden files, the NGI-01 notice guard, the override folder, CLI.

Golden files live in tests/golden/. They are rewritten only on purpose:
    LOPDESK_REGEN_GOLDEN=1 .venv/bin/pytest -q tests/test_documents.py
and a missing or different golden file fails the test otherwise (never silently).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from builders import level, school, t
from conftest import as_user, invoke_as
from typer.testing import CliRunner

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import areas, audit, documents, registers
from lopdesk.domain.allocation_models import (
    AllocationRound,
    AllocationRun,
    AllocationWaitlist,
    RoundLevel,
)
from lopdesk.domain.errors import InvalidInput, PermissionDenied, RuleViolation
from lopdesk.domain.extracts import environment
from lopdesk.domain.models import AuditRecord, Child, School

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("LOPDESK_REGEN_GOLDEN") == "1"
AT = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)  # every document's "made on"
SIGNED = date(2027, 3, 5)
CHAIR = "Voorzitter LOP Testgebied, Teststraat 1, 9000 Gent, lop@example.org"


# The audit head's hash covers records stamped with the clock: kept out of the golden files
# (its record id stays in); test_tamper checks the printed head against audit.head.
_AUDIT_HASH = re.compile(r"(Auditspoor bij opmaak: record \d+, hash (?:<code>)?)[0-9a-f]{64}"
                         r"|(?m:(,\d+,)[0-9a-f]{64}(?=\r?$))")


def _audit_hash_out(text: str) -> str:
    return _AUDIT_HASH.sub(lambda m: (m.group(1) or m.group(2)) + "<hash>", text)


def check_golden(name: str, text: str) -> None:
    text = _audit_hash_out(text)
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} ontbreekt: maak hem met LOPDESK_REGEN_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (f"{name} wijkt af van de golden file; bewust gewijzigd? "
                              "Dan LOPDESK_REGEN_GOLDEN=1 en het verschil nakijken.")


@pytest.fixture(autouse=True)
def fixed_version(monkeypatch):
    monkeypatch.setattr(environment, "__version__", "TEST")


@pytest.fixture
def scene(db):
    """Area A (in a LOP) with two schools in two neighbourhoods, two levels with 2 free
    places, five children; K002 refused at L1 but placed at L2, K003 refused at both."""
    areas.create_area(db, "A", "LOP Testgebied", chair_contact=CHAIR)
    school(db, "S1", neighbourhood="Noord", address="Schoolstraat 1, 9000 Gent")
    school(db, "S2", neighbourhood="Zuid", address="Kerkplein 2, 9000 Gent")
    with db.write() as s:  # NGI-03: S2 lets the LOP send its notices
        s2 = s.get(School, "S2")
        s2.mandates_lop_notices = True
        s.add(s2)
    level(db, "L1", "S1", capacity=4, seated_indicator=1, seated_non_indicator=1,
          name="1ste leerjaar")
    level(db, "L2", "S2", capacity=2, regime="old", ratio=0.5, name="1ste leerjaar")
    kids = [("K000", "Anna", "Peeters", True), ("K001", "Bram", "Maes", False),
            ("K002", "Chloë", "Janssens", True), ("K003", "Daan", "Claes", False),
            ("K004", "Eva", "Wouters", False)]
    for i, (cid, first, last, ind) in enumerate(kids):
        areas.create_child(db, cid, first, last, birth_date=date(2021, 1 + i, 10),
                           indicator=ind,
                           address="" if cid == "K004" else f"Dorpsstraat {i + 1}, 9000 Gent")
    registers.add_request(db, "L1", "K000", at=t(0))
    registers.add_request(db, "L1", "K001", priority_group="sibling", at=t(1))
    registers.add_request(db, "L1", "K002", at=t(2))  # capacity reached
    registers.add_request(db, "L1", "K003", at=t(3))
    registers.add_request(db, "L2", "K002", at=t(5))
    registers.add_request(db, "L2", "K000", at=t(6))
    registers.add_request(db, "L2", "K003", at=t(7))
    registers.add_request(db, "L2", "K004", at=t(8))
    registers.withdraw(db, registers.find_entry(db, "L2", 2).id, reason="verhuisd",
                       at=t(days=2))
    _allocation_run(db)
    return db


def _allocation_run(db) -> None:
    """A stored run record with fixed values (the engine itself is tested elsewhere)."""
    with db.write() as s:
        s.add(AllocationRound(id="R1", area_id="A", school_year=2027, name="Aanmeldingen 2027",
                              status="allocated", created_at=t(-600)))
        s.flush()
        s.add(RoundLevel(round_id="R1", level_id="L1", capacity=2, reserved_indicator=1,
                         criterion="rank+random"))
        s.add(RoundLevel(round_id="R1", level_id="L2", capacity=2, precedence="contingent",
                         reserved_indicator=1, reserved_non_indicator=1))
        s.flush()
        s.add(AllocationRun(
            id=1, round_id="R1", seed=20270301, tiebreak="single", improve=False,
            options=audit.canonical({"tiebreak": "single", "improve": False}),
            engine_version="lopdesk-match 1.0",
            input_hash=audit.canonical({"applications.csv": "a" * 64,
                                        "children.csv": "b" * 64, "levels.csv": "c" * 64}),
            output_hash="d" * 64,
            counts=audit.canonical({"children": 4, "placed": 3, "unplaced": 1,
                                    "cutoffs": {"L1": "geen voorrang, nr. 0,41",
                                                "L2": "broer/zus, nr. 0,77"}}),
            started_at=t(-500), ended_at=t(-499), user="tester",
            assignments_csv="child_id,level_id,choice_rank\nK000,L1,1\nK001,L2,2\n"
                            "K002,L2,1\nK003,,\n"))
        s.flush()
        for cid, lv, pos in (("K001", "L1", 1), ("K003", "L1", 2), ("K003", "L2", 1)):
            s.add(AllocationWaitlist(run_id=1, child_id=cid, level_id=lv, position=pos))


def notice_id(db, level_id: str = "L1", seq: int = 3) -> int:
    return registers.find_entry(db, level_id, seq).id


# --- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "csv", "txt"])
def test_register_extract_per_level_golden(scene, fmt):
    check_golden(f"register_level.{fmt}",
                 documents.render_register(scene, fmt, level_id="L1", generated_at=AT))


@pytest.mark.parametrize("fmt", ["html", "txt"])
def test_register_extract_per_school_golden(scene, fmt):
    check_golden(f"register_school.{fmt}",
                 documents.render_register(scene, fmt, school_id="S2", generated_at=AT))


@pytest.mark.parametrize("fmt", ["html", "csv", "txt"])
def test_register_extract_area_plenary_golden(scene, fmt):
    text = documents.render_register(scene, fmt, area_id="A", school_year=2027,
                                     pseudonymise=True, pseudonym_key="golden",
                                     generated_at=AT)
    check_golden(f"register_area_plenary.{fmt}", text)


@pytest.mark.parametrize("fmt", ["html", "txt"])
def test_notice_golden(scene, fmt):
    check_golden(f"notice.{fmt}", documents.render_notice(
        scene, notice_id(scene), fmt, signed_on=SIGNED, signed_by="J. Directeur",
        generated_at=AT))


def test_notice_mandated_school_golden(scene):
    check_golden("notice_mandate.txt", documents.render_notice(
        scene, notice_id(scene, "L2", 3), "txt", signed_on=SIGNED, generated_at=AT))


@pytest.mark.parametrize("fmt", ["html", "csv", "txt"])
def test_report_golden(scene, fmt):
    check_golden(f"report.{fmt}",
                 documents.render_report(scene, "A", 2027, fmt, generated_at=AT))


@pytest.mark.parametrize("fmt", ["html", "txt"])
def test_pv_golden(scene, fmt):
    check_golden(f"pv.{fmt}", documents.render_pv(scene, 1, fmt, generated_at=AT))


CASE = {
    "id": "B-2027-001", "child": {"id": "K003", "name": "Daan Claes"}, "level": "L1",
    "trigger": "vraag van de ouders (capaciteit)", "opened_on": "2027-03-10",
    "status": "gesloten", "schools": [{"name": "School S1"}, "School S2"],
    "notices": [{"school": "School S1", "date": "2027-03-05", "mode": "aangetekend"}],
    "parties": [{"role": "ouders", "name": "familie Claes"}, {"role": "CLB", "name": "CLB Gent"}],
    "meetings": [{"date": "2027-03-12", "summary": "gesprek met de ouders"}],
    "proposals": [{"school": "School S2", "date": "2027-03-15", "answer": "aanvaard"}],
    "outcome": "other_school", "closed_on": "2027-03-20",
}


@pytest.mark.parametrize("fmt", ["html", "txt"])
def test_case_summary_golden(scene, fmt):
    check_golden(f"case.{fmt}",
                 documents.render_case(scene, None, fmt, case=CASE, generated_at=AT))


# --- content checks ----------------------------------------------------------------------


def test_plenary_extract_has_no_names_or_birth_dates(scene):
    for fmt in ("html", "csv", "txt"):
        text = documents.render_register(scene, fmt, area_id="A", pseudonymise=True,
                                         generated_at=AT)
        for word in ("Anna", "Peeters", "Daan", "K000", "K003", "Dorpsstraat", "2021",
                     "verhuisd"):
            assert word not in text, (fmt, word)
        assert "P0001" in text


def test_plenary_pseudonym_is_one_per_child_within_an_extract(scene):
    ctx = documents.register_context(scene, area_id="A", pseudonymise=True, generated_at=AT)
    l1 = {k["child"] for k in ctx["levels"][0]["children"]}
    l2 = {k["child"] for k in ctx["levels"][1]["children"]}
    assert len(l1) == 4 and len(l2) == 4
    assert len(l1 & l2) == 3  # K000, K002 and K003 at both schools: one pseudonym each


def test_privacy_plenary_extract_counts_and_pseudonyms_only(scene):
    """Domain §10: per child only pseudonym, status and date; register number, indicator
    and priority group only as counts per level; the document says it is pseudonymised."""
    ctx = documents.register_context(scene, area_id="A", pseudonymise=True,
                                     pseudonym_key="k1", generated_at=AT)
    l1 = ctx["levels"][0]
    assert "entries" not in l1 and "pupils" not in l1
    assert all(set(k) == {"child", "status", "date"} for lv in ctx["levels"]
               for k in lv["children"])
    assert [k["date"] for k in l1["children"]] == [date(2027, 3, 1)] * 4
    counts = {c["status"]: c for c in l1["counts"]}
    # L1: K000 (ind) and K001 (non, sibling) realised; K002 (ind) and K003 (non) refused
    assert (counts["realised"]["total"], counts["realised"]["indicator"],
            counts["realised"]["groups"]["sibling"]) == (2, 1, 1)
    assert (counts["non_realised"]["total"], counts["non_realised"]["indicator"],
            counts["non_realised"]["non_indicator"],
            counts["non_realised"]["groups"]["none"]) == (2, 1, 1, 2)
    assert counts["withdrawn"]["total"] == 0
    # The pseudonyms do not follow the register order: another key, another numbering.
    other = documents.register_context(scene, area_id="A", pseudonymise=True,
                                       pseudonym_key="k2", generated_at=AT)
    assert [k["child"] for k in l1["children"]] != [
        k["child"] for k in other["levels"][0]["children"]]
    for fmt in ("html", "csv", "txt"):
        text = documents.render_register(scene, fmt, area_id="A", pseudonymise=True,
                                         generated_at=AT)
        flat = " ".join(text.split())
        assert "plenaire vergadering" in flat and "seudonimiseerd" in flat, fmt
        for leak in ("nr.", "indicator: ", "wachtlijst 1", "Eerste nr", "LET OP"):
            assert leak not in text, (fmt, leak)
    txt = documents.render_register(scene, "txt", area_id="A", pseudonymise=True,
                                    pseudonym_key="k1", generated_at=AT)
    child_lines = [ln.split() for ln in txt.splitlines() if ln.strip().startswith("P0")]
    assert len(child_lines) == 8
    assert all(ln[-1] == "01/03/2027" for ln in child_lines)


def test_register_extract_has_three_parts_and_history(scene):
    text = documents.render_register(scene, "txt", level_id="L2", generated_at=AT)
    for part in ("DEEL 1 — CAPACITEITSBLAD", "DEEL 2 — LEERLINGENBLAD",
                 "DEEL 3 — REGISTERBLAD"):
        assert part in text
    assert "gerealiseerd → ingetrokken" in text and "verhuisd" in text
    assert "oud (2011/2014)" in text  # the regime is shown (domain §2)


def test_report_counts_refused_children_once(scene):
    ctx = documents.report_context(scene, "A", 2027, generated_at=AT)
    by_school = {s["id"]: s for s in ctx["schools"]}
    assert by_school["S1"]["refused_children"] == 2  # K002, K003
    assert by_school["S2"]["refused_children"] == 2  # K003, K004
    assert ctx["refusals"]["school_sum"] == 4
    assert ctx["refusals"]["children"] == 3  # K002, K003, K004 once each
    assert ctx["refusals"]["without_place"] == 2  # K002 got a place at S2


def test_report_social_mix_and_dissimilarity(scene):
    ctx = documents.report_context(scene, "A", 2027, generated_at=AT)
    by_school = {s["id"]: s for s in ctx["schools"]}
    # S1: seated 1 ind + 1 non, realised K000 (ind), K001 (non) -> 2 of 4
    assert by_school["S1"]["share"] == pytest.approx(0.5)
    # S2: realised K002 (ind); K000 withdrawn -> 1 of 1
    assert by_school["S2"]["share"] == pytest.approx(1.0)
    assert ctx["mix"]["share"] == pytest.approx(3 / 5)
    # D = ½ (|2/3 − 2/2| + |1/3 − 0/2|) = 1/3
    assert ctx["mix"]["dissimilarity"] == pytest.approx(1 / 3)
    assert documents.dissimilarity([(5, 5), (5, 5)]) == 0
    assert documents.dissimilarity([(0, 3)]) is None


def test_report_chart_is_valid_svg(scene):
    html = documents.render_report(scene, "A", 2027, "html", generated_at=AT)
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    root = ET.fromstring(html[start:end])
    assert root.tag.endswith("svg")
    assert len([e for e in root.iter() if e.tag.endswith("rect")]) >= 3


def test_report_free_places_board(scene):
    from lopdesk.domain import capacity

    capacity.set_free_places_field(scene, "L1", "JA")
    capacity.set_free_places_field(scene, "L2", "0")
    ctx = documents.report_context(scene, "A", 2027, generated_at=AT)
    boards = {lv["level_id"]: lv["board"] for sc in ctx["schools"] for lv in sc["levels"]}
    assert boards == {"L1": "JA", "L2": "0 (volzet)"}
    html = documents.render_report(scene, "A", 2027, "html", generated_at=AT)
    assert '<td class="board-full">0 (volzet)</td>' in html  # CAP-05: only 0 shows as full


def test_ALC_05_pv_has_everything_to_rerun(scene):
    text = documents.render_pv(scene, 1, "txt", generated_at=AT)
    for needle in ("20270301", "lopdesk-match 1.0", "a" * 64, "b" * 64, "c" * 64, "d" * 64,
                   "geen voorrang, nr. 0,41", "K003", "--seed 20270301 --tiebreak single"):
        assert needle in text, needle
    ctx = documents.pv_context(scene, 1, generated_at=AT)
    assert [(r["rank"], r["children"]) for r in ctx["rank_distribution"]] == [(1, 2), (2, 1)]
    assert ctx["unplaced"] == ["K003"]
    assert {lv["level_id"]: lv["waitlisted"] for lv in ctx["levels"]} == {"L1": 2, "L2": 1}


# --- NGI-01: the notice cannot be produced incomplete ---------------------------------------


def _full_notice_ctx(db):
    return documents.notice_context(db, notice_id(db), signed_on=SIGNED, generated_at=AT)


@pytest.mark.parametrize("field", list(documents.NOTICE_FIELDS))
def test_NGI_01_notice_refused_without_each_required_field(scene, field):
    ctx = _full_notice_ctx(scene)
    assert documents.missing_notice_fields(ctx) == []
    ctx[field] = None if field not in ("motivation", "legal_ground", "factual_ground") else " "
    with pytest.raises(RuleViolation) as exc:
        documents.render_notice_context(ctx, "txt")
    assert exc.value.rule == "NGI-01"
    assert exc.value.missing == [field]
    assert documents.NOTICE_FIELDS[field] in exc.value.message


def test_NGI_01_lists_every_missing_field_at_once(scene):
    with pytest.raises(RuleViolation) as exc:
        documents.render_notice(scene, notice_id(scene, "L2", 4), "txt", signed_on=None,
                                motivation="", legal_ground="")
    assert exc.value.missing == ["motivation", "legal_ground", "parents_address", "signed_on"]
    assert "adres van de ouders" in str(exc.value) and "motivering" in str(exc.value)


def test_NGI_01_missing_chair_contact_from_the_database(scene):
    with scene.write() as s:
        from lopdesk.domain.models import Area

        a = s.get(Area, "A")
        a.chair_contact = ""
        s.add(a)
    with pytest.raises(RuleViolation) as exc:
        documents.render_notice(scene, notice_id(scene), "html", signed_on=SIGNED)
    assert exc.value.missing == ["chair_contact"]


def test_NGI_01_missing_parents_address_from_the_database(scene):
    with scene.write() as s:
        c = s.get(Child, "K002")
        c.address = ""
        s.add(c)
    with pytest.raises(RuleViolation) as exc:
        documents.render_notice(scene, notice_id(scene), "txt", signed_on=SIGNED)
    assert exc.value.missing == ["parents_address"]


def test_NGI_01_capacity_reason_shows_position_and_capacity(scene):
    text = documents.render_notice(scene, notice_id(scene, "L1", 4), "txt", signed_on=SIGNED,
                                   generated_at=AT)
    assert "Plaats op de wachtlijst                 : 2" in text
    assert "Capaciteit bij de weigering             : 4" in text
    assert "08/03/2027 09:03:00" in text or "01/03/2027 09:03:00" in text


def test_NGI_01_only_for_non_realised(scene):
    with pytest.raises(RuleViolation) as exc:
        documents.render_notice(scene, notice_id(scene, "L1", 1), "txt", signed_on=SIGNED)
    assert exc.value.rule == "NGI-01"


def test_NGI_04_clr_deadline_is_notice_date_plus_30(scene):
    ctx = _full_notice_ctx(scene)
    assert ctx["clr_deadline"] == date(2027, 4, 4)


def test_NGI_03_mandated_notice_keeps_school_as_controller(scene):
    text = documents.render_notice(scene, notice_id(scene, "L2", 3), "txt", signed_on=SIGNED)
    assert "verwerkingsverantwoordelijke" in text and "in opdracht van" in text
    text = documents.render_notice(scene, notice_id(scene), "txt", signed_on=SIGNED)
    assert "in opdracht van" not in text


# --- templates, privacy and audit -------------------------------------------------------------


def test_override_template_folder_is_used(scene, db_path, tmp_path, monkeypatch):
    folder = tmp_path / "lop-templates"
    folder.mkdir()
    (folder / "notice.txt.j2").write_text(
        "EIGEN SJABLOON LOP {{ area.name }}: {{ child.name }}, plaats {{ register_position }}\n",
        encoding="utf-8")
    # The LOP's own letterhead for every HTML document; the rest stays the package's.
    (folder / "_base.html.j2").write_text(
        "<html><body><header>Briefhoofd LOP</header>{% block body %}{% endblock %}"
        "</body></html>\n", encoding="utf-8")
    for path in (folder, *folder.iterdir()):  # only the owner may write (any umask)
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    monkeypatch.setenv("LOPDESK_TEMPLATES", str(folder))
    db = Database(Settings.from_cli(str(db_path), "tester"))
    try:
        assert db.settings.templates_dir == folder
        text = documents.render_notice(db, notice_id(db), "txt", signed_on=SIGNED)
        assert text == "EIGEN SJABLOON LOP LOP Testgebied: Chloë Janssens, plaats 1\n"
        html = documents.render_register(db, "html", level_id="L1", generated_at=AT)
        assert "Briefhoofd LOP" in html and "Deel 1 — Capaciteitsblad" in html
        # Not overridden: the package template.
        assert "DEEL 1" in documents.render_register(db, "txt", level_id="L1")
        # The guard stays in force with any template (NGI-01).
        with pytest.raises(RuleViolation):
            documents.render_notice(db, notice_id(db), "txt", signed_on=None)
    finally:
        db.dispose()


def test_unknown_format_is_refused(scene):
    with pytest.raises(InvalidInput):
        documents.render_notice(scene, notice_id(scene), "csv", signed_on=SIGNED)
    with pytest.raises(InvalidInput):
        documents.render_register(scene, "docx", level_id="L1")
    with pytest.raises(InvalidInput):
        documents.render_register(scene, "txt")  # no scope


def test_documents_naming_children_are_audited_and_need_the_role(scene):
    documents.render_notice(scene, notice_id(scene), "txt", signed_on=SIGNED)
    documents.render_register(scene, "txt", level_id="L1")
    with scene.read() as s:
        from sqlalchemy import select

        actions = list(s.execute(select(AuditRecord.action)
                                 .where(AuditRecord.action.like("document.%"))).scalars())
    assert actions == ["document.notice", "document.register"]
    viewer = as_user(scene, "kijker")
    try:
        with pytest.raises(PermissionDenied):
            documents.render_notice(viewer, notice_id(scene), "txt", signed_on=SIGNED)
        # Counts and pseudonyms are open to every known user.
        documents.render_register(viewer, "txt", area_id="A", pseudonymise=True)
        documents.render_report(viewer, "A", 2027, "txt")
    finally:
        viewer.dispose()


def test_case_summary_from_a_plain_dict_tolerates_missing_parts(scene):
    text = documents.render_case(scene, None, "txt", case={"id": "X1"}, generated_at=AT)
    assert "X1" in text and "nog open" in text


# --- CLI ------------------------------------------------------------------------------------

runner = CliRunner()


def cli(db_path, *args):
    from lopdesk.cli import app

    result = invoke_as("tester", runner, app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


def test_cli_extract_each_document(scene, db_path, tmp_path):
    r = cli(db_path, "extract", "register", "--level", "L1", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("school_id,school,niveau")
    out = tmp_path / "uit" / "register.html"
    r = cli(db_path, "extract", "register", "--area", "A", "--plenary", "--out", str(out))
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    r = cli(db_path, "extract", "notice", "L1:3", "--date", "2027-03-05")
    assert r.exit_code == 0 and "MEDEDELING VAN NIET-GEREALISEERDE INSCHRIJVING" in r.stdout
    r = cli(db_path, "extract", "report", "A", "--year", "2027", "-f", "txt")
    assert r.exit_code == 0 and "SOCIALE MIX" in r.stdout
    r = cli(db_path, "extract", "pv", "1", "--format", "html")
    assert r.exit_code == 0 and "Proces-verbaal" in r.stdout
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(CASE), encoding="utf-8")
    r = cli(db_path, "extract", "case", "--data", str(case_file))
    assert r.exit_code == 0 and "B-2027-001" in r.stdout


def test_cli_notice_incomplete_exits_1_naming_the_fields(scene, db_path):
    r = cli(db_path, "extract", "notice", "L2:4", "--date", "2027-03-05", "--motivation", "")
    assert r.exit_code == 1
    assert "NGI-01" in r.stderr and "motivering" in r.stderr and "adres van de ouders" in r.stderr
    assert r.stdout == ""


def test_cli_bad_format_and_unknown_ids_exit_2(scene, db_path):
    assert cli(db_path, "extract", "notice", "L1:3", "-f", "csv").exit_code == 2
    assert cli(db_path, "extract", "report", "NOPE", "--year", "2027").exit_code == 2
    assert cli(db_path, "extract", "pv", "99").exit_code == 2


def test_ALC_05_pv_verify_reruns_a_real_run(db):
    """A real run through the engine: the PV's re-run gives the same output hash and
    fills in the cut-offs the run record does not keep."""
    pytest.importorskip("lopdesk.matching.io")
    from builders import area, children

    from lopdesk.domain import allocation

    area(db)
    school(db, "S1")
    school(db, "S2")
    level(db, "L1", "S1", capacity=1)
    level(db, "L2", "S2", capacity=1)
    kids = children(db, 3, indicator=[True, False, False])
    allocation.create_round(db, "R", "A", 2027, "Ronde")
    allocation.add_round_level(db, "R", "L1")
    allocation.add_round_level(db, "R", "L2")
    for i, k in enumerate(kids):
        allocation.add_applications(db, "R", k, ["L1", "L2"] if i % 2 == 0 else ["L2", "L1"],
                                    at=t(-60))
    run = allocation.run_round(db, "R", seed=11)
    ctx = documents.pv_context(db, run.run_id, verify=True, generated_at=AT)
    assert ctx["verification"]["matches"] is True
    assert ctx["cutoffs_known"] and all(lv["cutoff"] for lv in ctx["levels"])
    assert ctx["placed"] == 2 and len(ctx["unplaced"]) == 1
    text = documents.render_pv(db, run.run_id, "txt", verify=True, generated_at=AT)
    assert "GELIJK aan de bewaarde toewijzing." in text


def test_case_summary_from_the_mediation_module(scene):
    mediation = pytest.importorskip("lopdesk.domain.mediation")
    case = mediation.open_case(scene, "K003", request_on=date(2027, 3, 10),
                               entry_ids=[notice_id(scene, "L1", 4)], at=t(days=9))
    mediation.add_party(scene, case.id, "parents", "familie Claes", at=t(days=9))
    text = documents.render_case(scene, str(case.id), "txt", generated_at=AT)
    assert f"DOSSIER {case.id}" in text and "Daan Claes" in text
    assert "familie Claes" in text and "School S1" in text


# --- NGI-01: the notice states the level as it was at the refusal ---------------------------


def _kids(db, n: int, prefix: str = "K", indicator: bool | list[bool] = False) -> list[str]:
    ids = []
    for i in range(n):
        ind = indicator[i] if isinstance(indicator, list) else indicator
        cid = f"{prefix}{i:03d}"
        areas.create_child(db, cid, f"Voornaam{i}", f"Achternaam{i}", indicator=ind,
                           address=f"Dorpsstraat {i + 1}, 9000 Gent")
        ids.append(cid)
    return ids


def test_NGI_01_notice_states_capacity_at_refusal_not_after_a_raise(db):
    """Refused at capacity 4; the LOP raises to 8 afterwards (wall-clock decision, later in
    the audit trail than the register's own timestamps): the notice keeps 4."""
    from lopdesk.domain import capacity

    areas.create_area(db, "A", "LOP Testgebied", chair_contact=CHAIR)
    school(db, "S1")
    level(db, "L1", "S1", capacity=4, seated_indicator=1, seated_non_indicator=1)
    kids = _kids(db, 4)
    for i, k in enumerate(kids):
        registers.add_request(db, "L1", k, at=t(i))  # 2 realised, 2 refused
    refused = registers.find_entry(db, "L1", 3)
    assert refused.status == "non_realised"
    decision = capacity.request_raise(db, "L1", 8, reason="extra klaslokaal")
    capacity.decide_raise(db, decision.id, approve=True, reason="akkoord LOP",
                          decision_ref="LOP-2027-7")
    facts = documents.refusal_facts(db, refused.id)
    assert (facts["capacity"], facts["seated"], facts["realised"]) == (4, 2, 2)
    assert facts["current_capacity"] == 8
    ctx = documents.notice_context(db, refused.id, signed_on=SIGNED)
    assert ctx["capacity"] == 4
    text = documents.render_notice(db, refused.id, "txt", signed_on=SIGNED)
    assert "Capaciteit bij de weigering             : 4" in text
    assert "alle 4 plaatsen ingenomen" in " ".join(text.split())
    assert "2 zittende leerlingen en 2 gerealiseerde inschrijvingen" in " ".join(text.split())
    assert "alle 8" not in text and "Capaciteit bij de weigering             : 8" not in text
    assert "verhoogd van 4 naar 8 plaatsen (beslissing LOP-2027-7" in " ".join(text.split())


def test_NGI_01_refusal_after_a_raise_states_the_raised_capacity(db):
    from lopdesk.domain import capacity

    areas.create_area(db, "A", "LOP Testgebied", chair_contact=CHAIR)
    school(db, "S1")
    level(db, "L1", "S1", capacity=2)
    kids = _kids(db, 4)
    for i in range(3):
        registers.add_request(db, "L1", kids[i], at=t(i))  # K002 refused at capacity 2
    d = capacity.request_raise(db, "L1", 3, reason="extra plaats", at=t(days=1))
    capacity.decide_raise(db, d.id, approve=True, reason="ok", at=t(days=2), accept_all=True)
    assert registers.find_entry(db, "L1", 3).status == "realised"  # WL-01
    late = registers.add_request(db, "L1", kids[3], at=t(days=3))  # refused at capacity 3
    d = capacity.request_raise(db, "L1", 5, reason="nog een lokaal", at=t(days=4))
    capacity.decide_raise(db, d.id, approve=True, reason="ok", at=t(days=5))
    facts = documents.refusal_facts(db, late.id)
    assert (facts["capacity"], facts["realised"]) == (3, 3)
    assert [(r["from"], r["to"]) for r in facts["raised_since"]] == [(3, 5)]
    assert documents.notice_context(db, late.id, signed_on=SIGNED)["capacity"] == 3


def test_NGI_01_old_regime_refusal_names_the_double_contingent(db):
    """REG-05: both contingents full at the close of the priority period; the notice gives
    both contingents' seats as they were then, also after a later raise."""
    from builders import START

    from lopdesk.domain import capacity

    start = START.replace(year=2022)
    areas.create_area(db, "A", "LOP Testgebied", chair_contact=CHAIR)
    school(db, "S1")
    level(db, "L1", "S1", capacity=4, regime="old", ratio=0.5, year=2022, start=start)
    ind = _kids(db, 3, prefix="I", indicator=True)
    p = areas.create_period(db, "L1", kind="priority", starts_at=start)
    for i, k in enumerate(ind):
        registers.add_request(db, "L1", k, at=start.replace(minute=i + 1))
    non = _kids(db, 2, prefix="N")
    for i, k in enumerate(non):
        registers.add_request(db, "L1", k, at=start.replace(minute=i + 10))
    registers.close_period(db, p.id, at=start.replace(day=20))
    refused = registers.find_entry(db, "L1", 3)
    assert refused.status == "non_realised"
    d = capacity.request_raise(db, "L1", 6, reason="extra lokaal", at=start.replace(day=21))
    capacity.decide_raise(db, d.id, approve=True, reason="ok", at=start.replace(day=22))
    facts = documents.refusal_facts(db, refused.id)
    assert facts["capacity"] == 4
    assert facts["double_contingent"]["seats"] == {"indicator": 2, "non_indicator": 2}
    assert facts["double_contingent"]["taken"] == {"indicator": 2, "non_indicator": 2}
    for fmt in ("txt", "html"):
        text = " ".join(documents.render_notice(db, refused.id, fmt, signed_on=SIGNED).split())
        assert "beide contingenten" in text.lower() and "dubbele contingentering" in text
        assert "contingent van 2 plaatsen voor indicatorleerlingen" in text
        assert "2 plaatsen voor niet-indicatorleerlingen" in text
        assert "Capaciteit bij de weigering" in text and "6 plaatsen" not in text.split(
            "Na de weigering")[0]


# --- ALC-05/ALC-06: Dutch labels instead of the engine's codes --------------------------------


def test_ALC_05_pv_shows_dutch_labels_not_codes(scene):
    import html as html_mod

    with scene.write() as s:  # what a real run stores: the engine's codes
        run = s.get(AllocationRun, 1)
        run.options = audit.canonical({"improve": False, "tiebreak": "single",
                                       "lottery": "drawn from seed and child id"})
        run.counts = audit.canonical({"children": 4, "da_rounds": 2,
                                      "cutoffs": {"L1": "none #30", "L2": "sibling #2"}})
        s.add(run)
    for fmt in ("txt", "html"):
        text = " ".join(html_mod.unescape(
            documents.render_pv(scene, 1, fmt, generated_at=AT)).split())
        for needle in ("voorrangsregel: eerst voorrangsgroepen", "criterium: toeval",
                       "broer/zus en kind van personeel > broer/zus > kind van personeel",
                       "geen voorrang, nr. 30", "broer/zus, nr. 2",
                       "lotnummers", "afgeleid van zaad en kind-id", "verbeteringscycli"):
            assert needle in text, (fmt, needle)
        for code in ("priority_first", "sibling_staff>", "none #", "improve", "lottery",
                     "drawn from seed", "rank+random"):
            assert code not in text, (fmt, code)
    assert "verbeteringscycli: nee" in documents.render_pv(scene, 1, "txt")
    assert "rondes uitgestelde aanvaarding" in documents.render_pv(scene, 1, "html")
    assert documents.cutoff_label("sibling_staff #3") == "broer/zus en kind van personeel, nr. 3"
    assert documents.cutoff_label("geen voorrang, nr. 0,41") == "geen voorrang, nr. 0,41"
    assert documents.priority_order_label("") == "geen voorrang"


def test_ALC_06_explain_table_in_dutch_json_keeps_codes(tmp_path):
    import csv as csv_mod

    from lopdesk.cli import app
    from lopdesk.matching.io import run_allocation

    inp = tmp_path / "in"
    inp.mkdir()
    for name, rows in (
            ("levels.csv", [["level_id", "school_id", "capacity"], ["A", "SA", 1],
                            ["B", "SB", 1]]),
            ("children.csv", [["child_id", "indicator"], ["k1", 0], ["k2", 0], ["k3", 0]]),
            ("applications.csv", [["child_id", "rank", "level_id"]] + [
                [k, r, lv] for k in ("k1", "k2", "k3") for r, lv in ((1, "A"), (2, "B"))])):
        with open(inp / name, "w", newline="", encoding="utf-8") as f:
            csv_mod.writer(f, lineterminator="\n").writerows(rows)
    run_allocation(inp, tmp_path / "o", seed=5, user="tester")
    for child in ("k1", "k2", "k3"):
        r = runner.invoke(app, ["allocate", "explain", str(tmp_path / "o"), child])
        assert r.exit_code == 0, r.output
        assert "geen voorrang, nr. " in r.stdout and "none #" not in r.stdout
        assert " none " not in r.stdout
        j = runner.invoke(app, ["allocate", "explain", str(tmp_path / "o"), child, "--json"])
        rows = json.loads(j.stdout)
        assert rows[0]["priority_group"] == "none" and rows[0]["cutoff"].startswith("none #")


def test_case_summary_closing_day_is_the_brussels_day(scene):
    """22:30 UTC on 31 March 2027 is 00:30 on 1 April in Brussels (summer time): the summary
    says the case closed on 01/04/2027, not on the UTC day before."""
    from lopdesk.domain import mediation

    case = mediation.open_case(scene, "K003", request_on=date(2027, 3, 10),
                               entry_ids=[notice_id(scene, "L1", 4)], at=t(days=9))
    mediation.close_case(scene, case.id, "withdrawn", note="ouders trekken in",
                         at=datetime(2027, 3, 31, 22, 30, tzinfo=UTC))
    text = documents.render_case(scene, str(case.id), "txt", generated_at=AT)
    assert "afgesloten op 01/04/2027" in text
