"""Mediation: the case list (open / waiting / closed, deadlines coming up) and the child's
file (all refusals and positions across the area); the case view is in screens/case.py.
Services: lopdesk.domain.mediation.

The child's file is a read of personal data: opening it is audited by the domain; the
screen's own refreshes (after any change in the database) read with audit_read=False.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual.widgets import Static

from lopdesk.domain import mediation
from lopdesk.labels import STATUS_SHORT, fmt_date, plural
from lopdesk.screens.base import SearchScreen, TableScreen
from lopdesk.screens.case import CaseScreen, open_case_dialog, run_db
from lopdesk.screens.widgets.table import Column, Row, VirtualTable, columns

CASE_STATUS = mediation.CASE_STATUS
CASE_OUTCOME = mediation.CASE_OUTCOME
STATUS_STYLE = {"open": "bold", "waiting": "yellow", "closed": "bright_black"}
STATUS_CYCLE = (None, "open", "waiting", "closed")
SOON_DAYS = 7  # a deadline within a week is shown in colour

# At 80 columns the opening date leaves room for the schools' names (it then shows in the
# detail line under the table, with the whole names).
CASE_COLUMNS = [*columns("""
Nr                      4 >
Kind                    20
Id                      8
Status                  17 fixed
Termijn                 10
Vs                      2 >
Scholen                 12
"""), Column("Geopend", 10, drop=1)]


def school_list(c, name_of=None) -> str:
    """The refusing schools by name, as every screen names them (`name_of(id, name)`:
    with the neighbourhood where several share a name), without codes."""
    return ", ".join(name_of(sid, name) if name_of else name
                     for sid, name in zip(c.schools, c.school_names or c.schools, strict=True))


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
    SEARCH_ON = "naam, kind-id of school"
    KEYS = """
    slash   search              Zoeken | Zoek op naam, kind-id of school
    s       status=cycle_status Status-filter | Lopend, wacht op antwoord, afgesloten of alle
    n       new=new_case        Dossier openen | Nieuw dossier op vraag van de ouders (MED-01)
                                | everywhere, first
    f       child=child_file    Dossier kind
            | Alle inschrijvingen van het kind van het gekozen dossier | row
    escape  clear               Filter wissen | Filter en zoektekst wissen | hidden
    """
    BELOW = ("summary",)

    def __init__(self) -> None:
        super().__init__()
        self.cases: list = []
        self.status_filter: str | None = None

    def make_table(self) -> VirtualTable:
        return VirtualTable(CASE_COLUMNS, id="cases-table", formatter=self._cells,
                            searcher=lambda c: f"{c.id} {c.child_name} {c.child_id} "
                                               f"{' '.join(c.schools)} {school_list(c)}",
                            empty="Geen bemiddelingsdossiers.")

    def reload(self) -> None:
        self.load(mediation.list_cases, at=self.lapp.now())

    def loaded(self, cases: list) -> None:
        self.cases = cases
        self.table.set_rows([Row(c.id, data=c) for c in cases])
        self.apply_filter()
        self.mark_loaded()

    def _cells(self, c) -> list:
        today = self.lapp.today()
        status = CASE_STATUS.get(c.status, c.status)
        if c.status == "closed" and c.outcome:
            status = "afgesloten"
        return [str(c.id), c.child_name, c.child_id,
                (status, STATUS_STYLE.get(c.status, "")),
                # a closed case has no deadline (its closing day is in its timeline)
                deadline_cell(c.next_deadline, today) if c.status != "closed" else "",
                str(c.proposals or ""), school_list(c, self.lapp.area.school_name),
                fmt_date(c.opened_at)]

    def apply_filter(self) -> None:
        status = self.status_filter
        table = self.filter_rows((lambda c: c.status == status) if status else None)
        n = {k: sum(1 for c in self.cases if c.status == k) for k in CASE_STATUS}
        label = CASE_STATUS.get(status or "", "alle")
        self.query_one("#title", Static).update(
            f" Bemiddeling · {plural(len(table.rows), 'dossier', 'dossiers')} ({label}) · "
            f"lopend {n['open']} · "
            f"wacht {n['waiting']} · afgesloten {n['closed']}")
        today = self.lapp.today()
        soon = sum(1 for c in self.cases if c.status != "closed" and c.next_deadline
                   and c.next_deadline <= today + timedelta(days=SOON_DAYS))
        self.query_one("#summary", Static).update(
            f" Termijnen binnen {SOON_DAYS} dagen: {soon} · Enter: dossier · f: dossier kind · "
            "n: nieuw")

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

FILE_COLUMNS = columns("""
School                  20
Niveau                  14
Nr                      4 >
St                      3
Pos                     4 >
Wachtl.                 10
Mededeling              12
Klacht CLR t.e.m.       10
""")
FILE_COLUMNS[6] = Column("Mededeling", 12, drop=1)  # at 80 columns: in the detail line
# NGI-04: a complaint to the Commissie inzake Leerlingenrechten is possible until the
# notice's date + 30 calendar days.
FILE_LEGEND = ("CLR: Commissie inzake Leerlingenrechten, klacht tot 30 dagen na de mededeling",
               "St: status", "Pos: plaats op de wachtlijst", "Wachtl.: bindt t.e.m.")


class ChildFileScreen(TableScreen):
    """All the child's requests across the area, with notices, positions and deadlines."""

    SCREEN_ID = "childfile"
    KEYS = """
    escape  back            Terug | Eén stap terug
    n       new=new_case    Dossier openen | Bemiddelingsdossier openen voor dit kind (MED-01)
    c       case            Naar dossier | Het bemiddelingsdossier van dit kind
    m       notice          Mededeling
            | Mededeling van niet-gerealiseerde inschrijving (NGI-01) | row
    """
    ABOVE = ("who",)
    BELOW = ("deadlines", "cases")
    COLUMNS, TABLE_ID, EMPTY = FILE_COLUMNS, "file-table", "Geen inschrijvingen."
    LEGEND = FILE_LEGEND

    def make_table(self) -> VirtualTable:
        return VirtualTable(FILE_COLUMNS, id=self.TABLE_ID, empty=self.EMPTY,
                            legend=FILE_LEGEND, wrap=True, mean_lines=3.0)
    DEFAULT_CSS = """
    ChildFileScreen #who { height: 1; color: $text-muted; }
    ChildFileScreen #deadlines { height: auto; max-height: 4; }
    ChildFileScreen #cases { height: auto; max-height: 3; color: $text-muted; }
    """

    def allows(self, action: str) -> bool:
        if action == "case":
            return self.file is not None and bool(self.file.cases)
        return True

    @property
    def crumb(self) -> str:  # type: ignore[override]
        f = self.file
        return f"{f.first_name} {f.last_name}" if f is not None else self.child_id

    def __init__(self, child_id: str) -> None:
        super().__init__()
        self.child_id = child_id
        self.file = None

    def first_title(self) -> str:
        return f"Dossier van kind {self.child_id} · laden…"

    def reload(self) -> None:
        self.load_audited(mediation.child_file, self.child_id)

    def loaded(self, f) -> None:
        self.file = f
        today = self.lapp.today()
        self.show_title(f"dossier kind {f.child_id}")
        self.query_one("#who", Static).update(
            f" geboren {fmt_date(f.birth_date) or '?'} · {f.address or 'adres onbekend'} · "
            f"{plural(len(f.entries), 'inschrijving', 'inschrijvingen')}")
        rows = []
        area = self.lapp.area
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
                area.school_name(e.school_id, e.school_name), area.level_name(e.level_id),
                str(e.seq), STATUS_SHORT.get(e.status, e.status),
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

    def area_refreshed(self) -> None:
        """The area index came in: schools and levels can be named."""
        if self.file is not None:
            self.loaded(self.file)

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

        row = self.current_row()
        if row is None:
            return
        e = row.data
        open_notice(self.app, e.entry_id, f"{e.school_name} nr. {e.seq}")


# --- the case view ---------------------------------------------------------------------------


__all__ = ["MediationScreen", "CaseScreen", "ChildFileScreen", "open_case_dialog",
           "run_db"]
