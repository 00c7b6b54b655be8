"""ALC-05 with REG-02 and WL-01..03: a replacing run never silently undoes later work.

The scenario of the expert's year: after an allocation run a parent withdraws a ticket,
two children decline an offered place and one accepts, the LOP approves a raise, notices
are handed over; then the round is run again, replacing the first run.
"""

from __future__ import annotations

import pytest
from builders import area, children, level, school
from sqlalchemy import select

from lopdesk.clock import system_now
from lopdesk.domain import allocation, capacity, mediation, registers
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.mediation_models import RefusalNotice
from lopdesk.domain.models import Offer, RegisterEntry
from lopdesk.labels import local_day


@pytest.fixture
def year(db):
    """Three schools of 2 places, 8 children all wanting L1 > L2 > L3, run once."""
    area(db)
    for s in ("S1", "S2", "S3"):
        school(db, s)
        level(db, f"L{s[1]}", s, capacity=2)
    kids = children(db, 8)
    allocation.create_round(db, "R27", "A", 2027, "Aanmelding 2027")
    for lv in ("L1", "L2", "L3"):
        allocation.add_round_level(db, "R27", lv)
    for k in kids:
        allocation.add_applications(db, "R27", k, ["L1", "L2", "L3"])
    first = allocation.run_round(db, "R27", seed=11)
    return kids, first


def _run_lines(db, run_id, level_id=None):
    q = select(RegisterEntry).where(RegisterEntry.allocation_run_id == run_id)
    if level_id:
        q = q.where(RegisterEntry.level_id == level_id)
    with db.read() as s:
        return s.execute(q.order_by(RegisterEntry.level_id, RegisterEntry.seq)).scalars().all()


def _line(db, level_id, status, index=0):
    return [e for e in registers.list_entries(db, level_id) if e.status == status][index]


def _later_work(db):
    """Withdraw a ticket at L1, decline two offers, accept one; approve a raise of L2."""
    gone = _line(db, "L1", "realised")
    registers.withdraw(db, gone.id, reason="verhuist naar Antwerpen")
    first_offer = registers.offer_next(db, "L1")
    declined = [registers.list_offers(db, "L1", "open")[0]]
    registers.answer_offer(db, declined[0].id, accept=False)  # the place goes to the next
    declined.append(registers.list_offers(db, "L1", "open")[0])
    registers.answer_offer(db, declined[1].id, accept=False)
    accepted = registers.list_offers(db, "L1", "open")[0]
    registers.answer_offer(db, accepted.id, accept=True)
    decision = capacity.request_raise(db, "L2", 3, reason="extra klas")
    capacity.decide_raise(db, decision.id, approve=True, reason="LOP akkoord",
                          decision_ref="LOP-2027-01")
    notice_line = _line(db, "L3", "non_realised") if any(
        e.status == "non_realised" for e in registers.list_entries(db, "L3")) else \
        _line(db, "L2", "non_realised")
    # the child may hold an open offer from the cascade: the notice is recorded anyway
    # today in Brussels: from 23:00 UTC the refusal just made is already tomorrow's
    mediation.record_notice(db, notice_line.id, mode="receipt",
                            delivered_on=local_day(system_now()), confirm_open_offer=True)
    assert first_offer.steps
    return gone, declined, accepted, notice_line


def test_ALC_05_replacement_with_later_events_is_refused_by_default(db, year):
    kids, first = year
    gone, declined, _accepted, _notice = _later_work(db)
    with pytest.raises(RuleViolation) as err:
        allocation.run_round(db, "R27", seed=12, replace=True)
    assert err.value.rule == "ALC-05"
    # the refusal lists the lines by school, level, number and child name
    assert f"School S1, L1 nr. {gone.seq}: Voornaam" in err.value.message
    for offer in declined:
        assert f"L1 nr. {offer.seq}: {offer.child_name}" in err.value.message
    # nothing was written: still the first run, no new lines
    assert [r.status for r in allocation.list_runs(db, "R27")] == ["active"]
    assert len(registers.list_entries(db, "L1")) == 8


def test_ALC_05_preview_lists_every_later_fact_before_any_write(db, year):
    _kids, first = year
    gone, declined, accepted, notice_line = _later_work(db)
    impact = allocation.preview_replacement(db, "R27")
    assert impact is not None and impact.run_id == first.run_id
    moved = {(e.line.entry_id, e.from_status, e.to_status) for e in impact.later_events}
    assert (gone.id, "realised", "withdrawn") in moved
    assert {(o.entry_id, "non_realised", "withdrawn") for o in declined} <= moved
    assert (accepted.entry_id, "non_realised", "realised") in moved
    assert [(c.level_id, c.used, c.approved) for c in impact.capacity_changes] == [("L2", 2, 3)]
    assert [n.line.entry_id for n in impact.notices] == [notice_line.id]
    assert impact.open_offers  # the raise of L2 offered its new place
    text = "\n".join(impact.lines())
    assert "L2: 2 → 3" in text and "gerealiseerd → ingetrokken" in text
    assert len(registers.list_entries(db, "L1")) == 8  # a preview writes nothing


def test_ALC_05_confirmed_replacement_carries_later_facts_over(db, year):
    kids, first = year
    gone, declined, _accepted, notice_line = _later_work(db)
    open_before = [o.id for o in registers.list_offers(db, None, "open")]
    first_moment = registers.get_entry(db, gone.id).requested_at
    second = allocation.run_round(db, "R27", seed=12, replace=True, keep_later_events=True,
                                  replace_reason="fout in de afstanden")
    assert second.replaced_run == first.run_id
    new = {lv: _run_lines(db, second.run_id, lv) for lv in ("L1", "L2", "L3")}
    # a child who withdrew stays withdrawn: no new line anywhere
    assert all(e.child_id != gone.child_id for lines in new.values() for e in lines)
    # a child who took a freed place keeps it (its lower ticket released by WL-03 is no
    # withdrawal); it takes no part in the new run
    held = [e for e in registers.list_entries(db, "L1") if e.child_id == _accepted.child_id
            and e.status == "realised"]
    assert [e.id for e in held] == [_accepted.entry_id]
    assert all(e.child_id != _accepted.child_id for lines in new.values() for e in lines)
    # L1: 2 places, one kept by that child, so one new ticket
    assert sum(e.status == "realised" for e in new["L1"]) == 1
    # a child who declined L1 does not come back realised at L1
    for offer in declined:
        assert all(e.child_id != offer.child_id for e in new["L1"])
    # the approved capacity is the one used: 3 realised at L2
    assert sum(e.status == "realised" for e in new["L2"]) == 3
    # open offers on replaced lines ended, with a reason
    with db.read() as s:
        ended = [s.get(Offer, i) for i in open_before]
        assert all(o.status == "ended" and "vervangen" in (o.end_reason or "") for o in ended)
        notice = s.execute(select(RefusalNotice).where(
            RefusalNotice.entry_id == notice_line.id)).scalar_one()
        assert notice.superseded_by_run == second.run_id and notice.superseded_at is not None
    # new lines keep the moment of the first run, never the re-run moment
    assert {e.requested_at for lines in new.values() for e in lines} == {first_moment}
    # everything stays on record (REG-02): the first run's lines are there, none deleted
    assert len(_run_lines(db, first.run_id, "L1")) == 8
    runs = allocation.list_runs(db, "R27")
    assert [(r.id, r.status) for r in runs] == [(first.run_id, "replaced"),
                                                (second.run_id, "active")]


def test_ALC_05_replacement_stays_reproducible_with_its_carried_facts(db, year, tmp_path):
    _later_work(db)
    second = allocation.run_round(db, "R27", seed=12, replace=True, keep_later_events=True,
                                  keep_output=tmp_path / "a")
    allocation.rerun_to_folder(db, second.run_id, tmp_path / "b")
    assert (tmp_path / "a" / "assignments.csv").read_bytes() == \
        (tmp_path / "b" / "assignments.csv").read_bytes()


def test_ALC_05_a_later_replacement_keeps_the_earlier_carried_facts(db, year):
    gone, *_ = _later_work(db)
    allocation.run_round(db, "R27", seed=12, replace=True, keep_later_events=True)
    third = allocation.run_round(db, "R27", seed=13, replace=True, keep_later_events=True)
    lines = _run_lines(db, third.run_id)
    assert lines and all(e.child_id != gone.child_id for e in lines)


def test_ALC_05_cli_preview_refuse_and_confirmed_replace(db, db_path, year):
    from test_cli_core import run

    gone, *_ = _later_work(db)
    preview = run(db_path, "round", "run", "R27", "--replace", "--preview")
    assert preview.exit_code == 0, preview.output
    assert f"L1 nr. {gone.seq}" in preview.output and "L2: 2 → 3" in preview.output
    refused = run(db_path, "round", "run", "R27", "--replace", "--seed", "5")
    assert refused.exit_code == 1 and "ALC-05" in refused.output
    assert f"School S1, L1 nr. {gone.seq}" in refused.output
    done = run(db_path, "round", "run", "R27", "--replace", "--keep-later-events",
               "--reason", "afstanden verbeterd", "--seed", "5")
    assert done.exit_code == 0, done.output
    runs = allocation.list_runs(db, "R27")
    assert [r.status for r in runs] == ["replaced", "active"]
    alone = run(db_path, "round", "run", "R27", "--keep-later-events")
    assert alone.exit_code == 2 and "horen bij --replace" in alone.output


def test_ALC_05_pv_names_the_replaced_run_and_why(db, year):
    from lopdesk.domain import documents

    _kids, first = year
    _later_work(db)
    second = allocation.run_round(db, "R27", seed=12, replace=True, keep_later_events=True,
                                  replace_reason="fout in de afstanden")
    text = documents.render_pv(db, second.run_id, "txt")
    assert f"vervangt toewijzing {first.run_id} (reden: fout in de afstanden)" in text
    assert "1 ingetrokken kind(eren) niet meer meegenomen" in text
    assert "2 geweigerde keuze(s) weggelaten" in text
    assert "1 later ingenomen plaats(en) behouden" in text
    assert "goedgekeurde capaciteit gebruikt: L2 3" in text
    old = documents.render_pv(db, first.run_id, "html")
    assert f"vervangen door toewijzing {second.run_id}" in old
