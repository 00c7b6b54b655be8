"""MED-02 closing against the register, MED-03's explanation and the CLI's confirming flags:
an 'enrolled' outcome at a school where the register shows no enrolment of the child is
recorded only once confirmed; any school of the directory may be named (a child may enrol
across the area's border), and the close form offers exactly those schools."""

from __future__ import annotations

from datetime import date

import pytest
from builders import area, level, school, t
from sqlalchemy import update
from test_mediation import more_schools, open_case, refused, run

from lopdesk.domain import areas, mediation, registers
from lopdesk.domain.errors import NeedsConfirmation
from lopdesk.domain.mediation.views import HeldPlace
from lopdesk.domain.models import RegisterEntry
from lopdesk.present import no_candidate_text


def enrolled_outside_the_area(db) -> None:
    """C1 enrols (realised) at T1, a school of area B, for the same school year."""
    area(db, "B")
    school(db, "T1", "B", x=9000.0, y=0.0)
    level(db, "M1", "T1", capacity=5)
    assert registers.add_request(db, "M1", "C1", at=t(days=8)).status == "realised"


def test_MED_02_other_school_without_enrolment_needs_confirmation(db):
    """'Ingeschreven in een andere school' at S2 while the register shows C1 enrolled
    nowhere: asked, naming what the register shows; nothing written until confirmed."""
    refused(db)
    more_schools(db)
    case_id = open_case(db)
    with pytest.raises(NeedsConfirmation) as exc:
        mediation.close_case(db, case_id, "other_school", school_id="S2", at=t(days=9))
    assert (exc.value.rule, exc.value.field, exc.value.confirm) == (
        "MED-02", "outcome", "contradiction")
    assert exc.value.message == (
        "Het register toont geen inschrijving van Mila Peeters (C1) in School S2 voor "
        "2027-2028, ook niet in een andere school; bevestig dat u het dossier toch afsluit "
        "met de uitkomst 'ingeschreven in een andere school'.")
    assert mediation.get_case(db, case_id).status == "open"
    view = mediation.close_case(db, case_id, "other_school", school_id="S2", at=t(days=9),
                                confirm_contradiction=True)
    assert (view.status, view.outcome_school_id) == ("closed", "S2")


def test_MED_02_same_school_without_enrolment_needs_confirmation(db):
    _, entry_id = refused(db)
    case_id = open_case(db)
    with pytest.raises(NeedsConfirmation) as exc:
        mediation.close_case(db, case_id, "same_school", at=t(days=9))
    assert exc.value.message.startswith(
        "Het register toont geen inschrijving van Mila Peeters (C1) in School S1 voor "
        "2027-2028")
    assert "'ingeschreven in dezelfde school'" in exc.value.message
    with db.write() as s:  # the refusing school realises the enrolment after all
        s.execute(update(RegisterEntry).where(RegisterEntry.id == entry_id)
                  .values(status="realised"))
    assert mediation.close_case(db, case_id, "same_school").outcome_school_id == "S1"


def test_MED_02_a_school_outside_the_area_where_the_child_enrols_closes_at_once(db):
    """The register shows C1 at T1 of area B: closing there needs no question; naming
    another school is asked, and the question says where the register shows the child."""
    refused(db)
    more_schools(db)
    case_id = open_case(db)
    enrolled_outside_the_area(db)
    with pytest.raises(NeedsConfirmation) as exc:
        mediation.close_case(db, case_id, "other_school", school_id="S3", at=t(days=9))
    assert "in School S3 voor 2027-2028, wel in School T1 · leerjaar 1 · 2027-2028 nr. 1" \
        in exc.value.message
    view = mediation.close_case(db, case_id, "other_school", school_id="T1", at=t(days=9))
    assert (view.status, view.outcome_school_id) == ("closed", "T1")


def test_MED_02_close_form_schools_are_every_school_enrolled_first(db):
    """The close form's choices are the schools close_case accepts (every school): where
    the register shows the child first, then the area's schools of the child's level
    nearest first (MED-03 order), then the others by name."""
    refused(db)
    more_schools(db)
    school(db, "S7")  # of the area, no level of the child's grade
    case_id = open_case(db)
    enrolled_outside_the_area(db)
    rows = mediation.closing_schools(db, case_id)
    assert [(sc.id, enrolled) for sc, _d, enrolled in rows] == [
        ("T1", True), ("S1", False), ("S6", False), ("S5", False), ("S3", False),
        ("S2", False), ("S4", False), ("S7", False)]


def test_MED_03_no_candidate_text_names_every_held_level():
    held = [HeldPlace(f"L{i}", f"School {i} · leerjaar 1 · 2027-2028", 1, 2,
                      date(2027, 10, 7)) for i in range(1, 6)]
    text = no_candidate_text(held)
    for i in range(1, 6):
        assert f"School {i} · leerjaar 1 · 2027-2028 (1 vrij, 2 op de wachtlijst)" in text
    assert "andere" not in text and text.startswith("Geen school kan het kind nu")
    assert "5 niveaus hebben een vrije plaats" in text


def test_cli_names_the_flag_that_confirms(db, db_path):
    """A refusal the user may confirm names the flag: --confirm-contradiction (MED-02),
    --confirm-placed-elsewhere (MED-01); with the flag the command succeeds."""
    refused(db)
    more_schools(db)
    case_id = str(open_case(db))
    r = run(db_path, "case", "close", case_id, "--outcome", "other_school", "--school", "S2")
    assert r.exit_code == 1
    assert "MED-02: Het register toont geen inschrijving" in r.stderr
    assert r.stderr.rstrip().endswith("Bevestig met --confirm-contradiction.")
    r = run(db_path, "case", "close", case_id, "--outcome", "other_school", "--school", "S2",
            "--confirm-contradiction")
    assert r.exit_code == 0, r.output

    areas.create_child(db, "C2", "Lucas", "Maes")
    registers.add_request(db, "L3", "C2", at=t(days=8))  # realised at S3
    registers.add_request(db, "L5", "C2", at=t(days=8))  # refused at S5 (full)
    r = run(db_path, "case", "open", "C2", "--request-date", "2027-03-10")
    assert r.exit_code == 1 and "School S3" in r.stderr
    assert r.stderr.rstrip().endswith("Bevestig met --confirm-placed-elsewhere.")
    r = run(db_path, "case", "open", "C2", "--request-date", "2027-03-10",
            "--confirm-placed-elsewhere")
    assert r.exit_code == 0, r.output
