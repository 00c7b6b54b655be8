"""Periodes: the priority periods and free enrolment of a level (REG-04..06) — which runs
now, opening a new one, and closing a priority period after a preview in Dutch sentences
that name the children (REG-05)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from lopdesk import parse
from lopdesk.domain import areas, directory, registers
from lopdesk.domain.codes import PRIORITY_GROUPS
from lopdesk.labels import (
    PERIOD_KIND,
    PERIOD_KIND_SHORT,
    PERIOD_PHASE,
    PRIORITY_GROUP,
    exact_dt,
    label,
    plural,
)
from lopdesk.present import close_plan_lines, period_group
from lopdesk.screens.base import FormScreen, TableScreen
from lopdesk.screens.dialogs import ConfirmDialog, FormField
from lopdesk.screens.widgets.table import Row, VirtualTable, columns

PERIOD_COLUMNS = columns("""
Id                      3 >
Soort                   18
Groep                   16
Begin                   16
Einde                   16
Toestand                10
""")


def close_with_preview(screen: Any, period_id: int) -> None:
    """REG-05: show what closing would change (nothing written), then close on confirm."""

    def show(plan) -> None:
        def confirmed(ok: bool | None) -> None:
            if ok:
                screen.db_call(registers.close_period, period_id, at=screen.lapp.now(),
                               on_done=lambda p: screen._after(
                                   "period", f"Periode {period_id} afgesloten: "
                                   f"{len(p.changes)} wijzigingen."))

        screen.app.push_screen(ConfirmDialog(
            f"Periode {period_id} afsluiten — voorbeeld",
            "\n".join(close_plan_lines(plan, preview=True)), yes="Afsluiten"), confirmed)

    screen.db_dialog(registers.close_period, period_id, preview=True, at=screen.lapp.now(),
                   on_done=show)


class PeriodsScreen(TableScreen, FormScreen):
    SCREEN_ID = "periods"
    KEYS = """
    escape  back        Terug | Eén stap terug
    c       close       Afsluiten | De gekozen voorrangsperiode afsluiten, met voorbeeld (REG-05)
    n       new         Nieuwe periode | Een periode openen voor dit niveau (REG-04)
    """
    BELOW = ("summary",)
    COLUMNS, TABLE_ID, EMPTY = PERIOD_COLUMNS, "periods-table", "Geen periodes."

    def __init__(self, level_id: str) -> None:
        super().__init__()
        self.level_id = level_id
        self.crumb = "Periodes"  # the breadcrumb before it names the school and level

    def first_title(self) -> str:
        return f"Periodes · {self.lapp.area.place(self.level_id)}"

    def reload(self) -> None:
        self.load(directory.list_periods, self.level_id)

    def loaded(self, periods: list) -> None:
        now = self.lapp.now()
        rows = []
        for p in periods:
            phase = p.phase(now)
            state = label(PERIOD_PHASE, phase)
            rows.append(Row(p.id, [
                str(p.id), PERIOD_KIND_SHORT[p.kind], period_group(p.kind, p.group),
                exact_dt(p.starts_at), exact_dt(p.ends_at) if p.ends_at else "—",
                (state, "bold green" if phase == "running" else "")], data=p))
        self.query_one(VirtualTable).set_rows(rows)
        running = next((p for p in periods if p.running(now)), None)
        self.show_title(plural(len(periods), "periode", "periodes"))
        self.query_one("#summary", Static).update(
            (f" Loopt nu: periode {running.id} ({PERIOD_KIND[running.kind]})" if running
             else " Geen periode loopt nu.") + " · c: afsluiten · n: nieuwe periode")
        self.mark_loaded()

    def action_close(self) -> None:
        row = self.current_row()
        if row is None:
            self.notify("Geen periode gekozen.", severity="warning")
            return
        p = row.data
        if p.closed_at is not None or p.kind != "priority":
            self.notify("Enkel een open voorrangsperiode wordt afgesloten (REG-05).",
                        severity="warning")
            return
        close_with_preview(self, p.id)

    def action_new(self) -> None:
        fields = [
            FormField("kind", "Soort", "select", "priority",
                      [(PERIOD_KIND[k], k) for k in ("priority", "free")], required=True),
            FormField("group", "Voorrangsgroep (leeg = contingenten)", "select", None,
                      [(PRIORITY_GROUP[g], g) for g in PRIORITY_GROUPS if g != "none"]),
            FormField("start", "Begin", "moment", required=True),
            FormField("end", "Einde (leeg = tot afsluiten)", "moment"),
        ]

        def run(v: dict) -> None:
            start = parse.moment(v["start"], "Begin")
            end = parse.moment(v["end"], "Einde")
            self.db_call(areas.create_period, self.level_id, kind=v["kind"],
                         group=(v["group"] or None) if v["kind"] == "priority" else None,
                         starts_at=start, ends_at=end,
                         on_done=lambda p: self._after("new", f"Periode {p.id} aangemaakt."))

        self._form("new", f"Nieuwe periode voor {self.level_id}", fields,
                   "Periodes van één niveau overlappen niet (REG-04).", "Aanmaken", run)

