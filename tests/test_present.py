"""lopdesk.present: one Dutch wording of results for the CLI and the app."""

from __future__ import annotations

from lopdesk import present
from lopdesk.domain.capacity import RaiseOutcome
from lopdesk.domain.registers import ClosePlan, FillReport, FillStep, PlannedChange


def _step(action: str) -> FillStep:
    return FillStep(level_id="L1", entry_id=7, seq=3, child_id="K003", child_name="An Peeters",
                    action=action, rule="WL-01", why="eerste op de wachtlijst")


def test_fill_lines_wording() -> None:
    report = FillReport(steps=[_step("offered"), _step("realised")], skipped=["L2"])
    assert present.fill_lines(report) == [
        "L1 nr. 3: An Peeters (K003) — aangeboden [WL-01] eerste op de wachtlijst",
        "L1 nr. 3: An Peeters (K003) — gerealiseerd [WL-01] eerste op de wachtlijst",
        "L2: na de uiterste datum; vrije plaatsen zijn gewoon vrij (WL-01)",
    ]


def test_fill_lines_empty() -> None:
    assert present.fill_lines(FillReport()) == ["Geen vrijgekomen plaatsen aan te bieden."]
    assert present.fill_summary(FillReport()) == "Geen vrijgekomen plaatsen aan te bieden."


def test_decision_lines() -> None:
    out = RaiseOutcome(decision_id=4, status="approved", level_id="L1", capacity=26,
                       cascade=FillReport(steps=[_step("offered")]))
    assert present.decision_lines(out, preview=True) == [
        "VOORBEELD (niets gewijzigd, iedereen aanvaardt): aanvraag 4: goedgekeurd; "
        "L1 capaciteit 26",
        "  L1 nr. 3: An Peeters (K003) — aangeboden [WL-01] eerste op de wachtlijst",
    ]
    out.cascade = FillReport()
    assert present.decision_lines(out)[1].startswith("  Niemand op de wachtlijst")


def test_close_plan_lines() -> None:
    plan = ClosePlan(period_id=2, level_id="L1", seats={"indicator": 1, "non_indicator": 3},
                     free_before={"indicator": 0, "non_indicator": 1},
                     changes=[PlannedChange(entry_id=9, seq=12, child_id="K012",
                                            contingent="indicator", priority_group="none",
                                            from_status="deferred",
                                            to_status="realised", rule="REG-05",
                                            why="aangevuld")])
    lines = present.close_plan_lines(plan, preview=True)
    assert lines[0] == ("VOORBEELD — niets gewijzigd. Periode 2 (L1): 1 wijzigingen; "
                        "plaatsen per contingent: indicator 1, niet-indicator 3; "
                        "vrij: indicator 0, niet-indicator 1")
    assert "uitgesteld → gerealiseerd" in lines[1] and "[REG-05] aangevuld" in lines[1]
    plan.changes = []
    assert present.close_plan_lines(plan)[-1] == (
        "  geen: er staan geen uitgestelde aanvragen open.")
