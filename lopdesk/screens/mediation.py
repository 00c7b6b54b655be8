"""Mediation: the case list (open / waiting / closed, deadlines coming up) and the child's
file (all refusals and positions across the area); the case view is in screens/case.py.
Services: lopdesk.domain.mediation.

The child's file is a read of personal data: opening it is audited by the domain; the
screen's own refreshes (after any change in the database) read with audit_read=False.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from lopdesk.domain import mediation
from lopdesk.labels import STATUS_SHORT, fmt_date, plural
from lopdesk.screens.base import DataScreen, SearchScreen
from lopdesk.screens.case import CaseScreen, open_case_dialog, run_db
from lopdesk.screens.widgets.footer import KeyFooter as Footer
from lopdesk.screens.widgets.table import Column, Row, VirtualTable

CASE_STATUS = mediation.CASE_STATUS
CASE_OUTCOME = mediation.CASE_OUTCOME
STATUS_STYLE = {"open": "bold", "waiting": "yellow", "closed": "bright_black"}
STATUS_CYCLE = (None, "open", "waiting", "closed")
SOON_DAYS = 7  # a deadline within a week is shown in colour

CASE_COLUMNS = [
    Column("Nr", 4, "right"),
    Column("Kind", 20),
    Column("Id", 8),
    Column("Status", 17),
    Column("Termijn", 10),
    Column("Vs", 2, "right"),
    Column("Scholen", 24),
    Column("Geopend", 10),
]


def deadline_cell(on: date | None, today: date) -> tuple[str, str] | str:
    if on is None:
        return ""
    if on < today:
        return fmt_date(on), "bold red"
    if on <= today + timedelta(days=SOON_DAYS):
        return fmt_date(on), "bold yellow"
    return fmt_date(on)


class MediationScreen(SearchScreen):
    SCREEN_ID = "mediation"
    BINDINGS = [
        Binding("slash", "search", "Zoeken", id="mediation.search",
                tooltip="Zoek op naam, kind-id of school"),
        Binding("s", "cycle_status", "Status-filter", id="mediation.status",
                tooltip="Lopend, wacht op antwoord, afgesloten of alle"),
        Binding("n", "new_case", "Dossier openen", id="mediation.new",
                tooltip="Nieuw dossier op vraag van de ouders (MED-01)"),
        Binding("f", "child_file", "Dossier kind", id="mediation.child",
                tooltip="Alle inschrijvingen van het kind van het gekozen dossier"),
        Binding("escape", "clear", "Filter wissen", id="mediation.clear", show=False,
                tooltip="Filter en zoektekst wissen"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "child_file":  # needs a case under the cursor
            return self.is_mounted and self.query_one(VirtualTable).current is not None
        return True
    DEFAULT_CSS = """
    MediationScreen #summary { height: 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.cases: list = []
        self.status_filter: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(" Bemiddeling · laden…", id="title")
        yield Input(placeholder="zoek naam, kind-id of school…", id="search")
        yield VirtualTable(CASE_COLUMNS, id="cases-table", formatter=self._cells,
                           searcher=lambda c: f"{c.id} {c.child_name} {c.child_id} "
                                              f"{' '.join(c.schools)}",
                           empty="Geen bemiddelingsdossiers.")
        yield Static("", id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VirtualTable).focus()
        self.reload()

    def reload(self) -> None:
        self.db_call(mediation.list_cases, at=self.lapp.now(), on_done=self._loaded,
                     group="load", exclusive=True)

    def _loaded(self, cases: list) -> None:
        self.cases = cases
        self.query_one(VirtualTable).set_rows([Row(c.id, data=c) for c in cases])
        self.apply_filter()
        self.mark_loaded()

    def _cells(self, c) -> list:
        today = self.lapp.now().date()
        status = CASE_STATUS.get(c.status, c.status)
        if c.status == "closed" and c.outcome:
            status = "afgesloten"
        return [str(c.id), c.child_name, c.child_id,
                (status, STATUS_STYLE.get(c.status, "")),
                deadline_cell(c.next_deadline, today) if c.status != "closed"
                else fmt_date(c.closed_at),
                str(c.open_proposals or ""), ", ".join(c.schools), fmt_date(c.opened_at)]

    def apply_filter(self) -> None:
        table = self.query_one(VirtualTable)
        text = table.text_filter(self.text)
        status = self.status_filter
        if status is None:
            table.set_filter(text)
        else:
            table.set_filter(lambda r: r.data.status == status and (text is None or text(r)))
        n = {k: sum(1 for c in self.cases if c.status == k) for k in CASE_STATUS}
        label = CASE_STATUS.get(status or "", "alle")
        self.query_one("#title", Static).update(
            f" Bemiddeling · {plural(len(table.rows), 'dossier', 'dossiers')} ({label}) · "
            f"lopend {n['open']} · "
            f"wacht {n['waiting']} · afgesloten {n['closed']}")
        today = self.lapp.now().date()
        soon = sum(1 for c in self.cases if c.status != "closed" and c.next_deadline
                   and c.next_deadline <= today + timedelta(days=SOON_DAYS))
        self.query_one("#summary", Static).update(
            f" Termijnen binnen {SOON_DAYS} dagen: {soon} · Enter: dossier · f: dossier van "
            "het kind · n: nieuw")

    def action_clear(self) -> None:
        self.hide_search()
        self.status_filter = None
        self.apply_filter()

    def action_cycle_status(self) -> None:
        i = STATUS_CYCLE.index(self.status_filter)
        self.status_filter = STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)]
        self.apply_filter()

    def action_new_case(self) -> None:
        open_case_dialog(self.app)

    def action_child_file(self) -> None:
        c = self.current_data("Geen dossier gekozen.")
        if c is not None:
            self.app.push_screen(ChildFileScreen(c.child_id))

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self.app.push_screen(CaseScreen(event.row.data.id))


# --- the child's file --------------------------------------------------------------------------

FILE_COLUMNS = [
    Column("School", 20),
    Column("Niveau", 8),
    Column("Nr", 4, "right"),
    Column("St", 3),
    Column("Pos", 4, "right"),
    Column("Wachtl.", 10),
    Column("Mededeling", 12),
    Column("CLR t.e.m.", 10),
]


class ChildFileScreen(DataScreen):
    """All the child's requests across the area, with notices, positions and deadlines."""

    SCREEN_ID = "childfile"
    BINDINGS = [
        Binding("escape", "back", "Terug", id="childfile.back", tooltip="Eén stap terug"),
        Binding("n", "new_case", "Dossier openen", id="childfile.new",
                tooltip="Bemiddelingsdossier openen voor dit kind (MED-01)"),
        Binding("c", "case", "Naar dossier", id="childfile.case",
                tooltip="Het bemiddelingsdossier van dit kind"),
        Binding("m", "notice", "Mededeling", id="childfile.notice",
                tooltip="Mededeling van niet-gerealiseerde inschrijving (NGI-01)"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "case":
            return self.file is not None and bool(self.file.cases)
        if action == "notice":
            return self.is_mounted and self.query_one(VirtualTable).current is not None
        return True

    @property
    def crumb(self) -> str:  # type: ignore[override]
        f = self.file
        return f"{f.first_name} {f.last_name}" if f is not None else self.child_id
    DEFAULT_CSS = """
    ChildFileScreen #who { height: 1; color: $text-muted; }
    ChildFileScreen #deadlines { height: auto; max-height: 4; }
    ChildFileScreen #cases { height: auto; max-height: 3; color: $text-muted; }
    """

    def __init__(self, child_id: str) -> None:
        super().__init__()
        self.child_id = child_id
        self.file = None

    def compose(self) -> ComposeResult:
        yield Static(f" Dossier van kind {self.child_id} · laden…", id="title")
        yield Static("", id="who")
        yield VirtualTable(FILE_COLUMNS, id="file-table", empty="Geen inschrijvingen.")
        yield Static("", id="deadlines")
        yield Static("", id="cases")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VirtualTable).focus()
        self.reload()

    def reload(self) -> None:
        self.db_call(mediation.child_file, self.child_id, at=self.lapp.now(),
                     audit_read=self.first_read(), on_done=self._loaded, group="load",
                     exclusive=True)

    def _loaded(self, f) -> None:
        self.file = f
        today = self.lapp.now().date()
        self.show_title(f"dossier kind {f.child_id}")
        self.query_one("#who", Static).update(
            f" geboren {fmt_date(f.birth_date) or '?'} · {f.address or 'adres onbekend'} · "
            f"{plural(len(f.entries), 'inschrijving', 'inschrijvingen')}")
        rows = []
        for e in f.entries:
            n = e.notice
            notice: Any = ""
            if n is not None:
                notice = (fmt_date(n.delivered_on) + (" LAAT" if n.late else ""),
                          "bold red" if n.late else "")
            elif e.refused_at is not None:
                notice = ("ontbreekt", "yellow")
            wl: Any = ""
            if e.waiting_deadline is not None:
                wl = fmt_date(e.waiting_deadline) if e.waiting_binds else \
                    (fmt_date(e.waiting_deadline), "bright_black")
            rows.append(Row(e.entry_id, [
                e.school_name, e.level_id, str(e.seq), STATUS_SHORT.get(e.status, e.status),
                f"#{e.waiting_position}" if e.waiting_position else "", wl, notice,
                deadline_cell(n.clr_deadline, today) if n is not None else ""], data=e))
        self.query_one(VirtualTable).set_rows(rows)
        dl = [f"{fmt_date(d.on)} {d.text}" for d in f.deadlines[:6]]
        self.query_one("#deadlines", Static).update(
            " Termijnen: " + ("; ".join(dl) if dl else "geen"))
        cases = [f"{c.id} {CASE_STATUS.get(c.status, c.status)}"
                 + (f" ({CASE_OUTCOME.get(c.outcome, c.outcome)})" if c.outcome else "")
                 for c in f.cases]
        self.query_one("#cases", Static).update(
            " Bemiddeling: " + (", ".join(cases) if cases else "geen dossier · n: openen"))
        self.mark_loaded()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        from lopdesk.screens.register import RegisterScreen

        e = event.row.data
        self.app.push_screen(RegisterScreen(e.level_id, focus_entry=e.entry_id))

    def action_new_case(self) -> None:
        open_case_dialog(self.app, self.child_id)

    def action_case(self) -> None:
        cases = self.file.cases if self.file else []
        if not cases:
            self.notify("Dit kind heeft geen bemiddelingsdossier; n opent er een.")
            return
        running = [c for c in cases if c.status != "closed"]
        self.app.push_screen(CaseScreen((running or cases)[-1].id))

    def action_notice(self) -> None:
        from lopdesk.screens.documents import open_notice

        row = self.query_one(VirtualTable).current
        if row is None:
            return
        e = row.data
        open_notice(self.app, e.entry_id, f"{e.school_name} nr. {e.seq}")


# --- the case view ---------------------------------------------------------------------------


__all__ = ["MediationScreen", "CaseScreen", "ChildFileScreen", "open_case_dialog",
           "run_db"]
