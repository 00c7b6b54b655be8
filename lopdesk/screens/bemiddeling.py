"""Bemiddeling (issue 5): the case list (open / waiting / closed, deadlines coming up), the
child's file (all refusals and positions across the area) and the case view with its
timeline and actions (parties, meetings, contacts, proposals MED-03, answers, CLR
complaint, closing with an outcome MED-02). Services: lopdesk.domain.mediation.

The child's file is a read of personal data: opening it is audited by the domain; the
screen's own refreshes (after any change in the database) read with audit_read=False.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from lopdesk import parse, present
from lopdesk.domain import directory, mediation
from lopdesk.labels import STATUS_SHORT, fmt_date, short_dt
from lopdesk.screens.base import DataScreen, FormScreen, SearchScreen, form_done
from lopdesk.screens.dialogs import FormDialog, FormField, PickDialog
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


def open_case_dialog(app: App, child_id: str = "", after=None) -> None:
    """MED-01: open a case on a logged parent request (date of the request required)."""
    lapp: Any = app
    today = lapp.now().date()
    fields = [
        FormField("child_id", "Kind (id)", value=child_id, required=True),
        FormField("request_on", "Datum van de vraag van de ouders", value=today.isoformat(),
                  required=True, placeholder="2027-03-05"),
        FormField("requested_by", "Gevraagd door", value="ouders", required=True),
        FormField("note", "Notitie"),
    ]

    def done(v: dict) -> None:
        request_on = parse.day(v["request_on"], "Datum van de vraag")

        def opened(view) -> None:
            app.notify(f"Dossier {view.id} geopend voor {view.child_name}.", title="Bewaard")
            app.push_screen(CaseScreen(view.id))
            if after is not None:
                after(view)

        run_db(app, mediation.open_case, v["child_id"], request_on=request_on,
               requested_by=v["requested_by"], note=v["note"], at=lapp.now(), on_done=opened)

    app.push_screen(FormDialog("Bemiddeling: dossier openen (MED-01)", fields,
                               intro="Voor een weigering wegens capaciteit, op een gelogde "
                                     "vraag van de ouders. Alle niet-gerealiseerde "
                                     "inschrijvingen van het kind worden gekoppeld.",
                               submit="Openen"), form_done(app, done))


def run_db(app: App, fn, *args: Any, on_done=None, **kwargs: Any) -> None:
    """A domain call off the UI thread from outside a screen (dialog callbacks)."""
    lapp: Any = app

    def job() -> None:
        try:
            result = fn(lapp.db, *args, **kwargs)
        except Exception as exc:
            app.call_from_thread(lapp.report_error, exc)
            return
        if on_done is not None:
            app.call_from_thread(on_done, result)

    app.run_worker(job, thread=True, group="db", exit_on_error=False)


# --- the case list ---------------------------------------------------------------------------


class BemiddelingScreen(SearchScreen):
    BINDINGS = [
        Binding("slash", "search", "Zoeken", id="bemiddeling.search"),
        Binding("s", "cycle_status", "Status-filter", id="bemiddeling.status"),
        Binding("n", "new_case", "Dossier openen", id="bemiddeling.new"),
        Binding("f", "child_file", "Dossier kind", id="bemiddeling.child"),
        Binding("escape", "clear", "Filter wissen", id="bemiddeling.clear", show=False),
    ]
    DEFAULT_CSS = """
    BemiddelingScreen #summary { height: 1; color: $text-muted; }
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
            f" Bemiddeling · {len(table.rows)} dossiers ({label}) · lopend {n['open']} · "
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

    BINDINGS = [
        Binding("escape", "back", "Terug", id="childfile.back"),
        Binding("n", "new_case", "Dossier openen", id="childfile.new"),
        Binding("c", "case", "Naar dossier", id="childfile.case"),
        Binding("m", "notice", "Mededeling", id="childfile.notice"),
    ]
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
        self.query_one("#title", Static).update(
            f" Dossier van {f.first_name} {f.last_name} ({f.child_id})")
        self.query_one("#who", Static).update(
            f" geboren {fmt_date(f.birth_date) or '?'} · {f.address or 'adres onbekend'} · "
            f"{len(f.entries)} inschrijving(en)")
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

PROPOSAL_COLUMNS = [
    Column("Vs", 3, "right"),
    Column("School", 22),
    Column("Niveau", 8),
    Column("Vrij", 4, "right"),
    Column("Afst.", 6, "right"),
    Column("Voorgesteld", 10),
    Column("Antwoord", 20),
]
TIMELINE_COLUMNS = [
    Column("Wanneer", 16),
    Column("Wie", 10),
    Column("Soort", 11),
    Column("Wat", 60),
]
CANDIDATE_COLUMNS = [
    Column("School", 24),
    Column("Buurt", 12),
    Column("Vrij", 4, "right"),
    Column("LOP-bord", 17),
    Column("Afstand", 8, "right"),
]


def metres(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value / 1000:.1f}km" if value >= 1000 else f"{value:.0f}m"


class CaseScreen(FormScreen):
    BINDINGS = [
        Binding("escape", "back", "Terug", id="case.back"),
        Binding("v", "propose", "Voorstel", id="case.propose"),
        Binding("a", "answer", "Antwoord", id="case.answer"),
        Binding("p", "party", "Partij", id="case.party"),
        Binding("m", "meeting", "Overleg", id="case.meeting"),
        Binding("c", "contact", "Contact", id="case.contact"),
        Binding("k", "complaint", "Klacht CLR", id="case.complaint", show=False),
        Binding("x", "close_case", "Afsluiten", id="case.close"),
        Binding("f", "child_file", "Dossier kind", id="case.child", show=False),
        Binding("d", "document", "Samenvatting", id="case.document", show=False),
        Binding("tab", "app.focus_next", "Andere lijst", show=False),
    ]
    DEFAULT_CSS = """
    CaseScreen #info { height: auto; max-height: 5; }
    CaseScreen .sub { height: 1; background: $primary 20%; }
    CaseScreen #proposals { height: 4; }
    CaseScreen #timeline { height: 1fr; }
    """

    def __init__(self, case_id: int) -> None:
        super().__init__()
        self.case_id = case_id
        self.view = None

    def compose(self) -> ComposeResult:
        yield Static(f" Dossier {self.case_id} · laden…", id="title")
        yield Static("", id="info")
        yield Static(" Voorstellen (MED-03) · v: voorstellen · a: antwoord", classes="sub")
        yield VirtualTable(PROPOSAL_COLUMNS, id="proposals", empty="Nog geen voorstellen.")
        yield Static(" Tijdlijn (enkel toevoegen)", classes="sub", id="tl-title")
        yield VirtualTable(TIMELINE_COLUMNS, id="timeline", empty="Geen gebeurtenissen.")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#timeline", VirtualTable).focus()
        self.reload()

    def reload(self) -> None:
        self.db_call(mediation.get_case, self.case_id, at=self.lapp.now(),
                     audit_read=self.first_read(), on_done=self._loaded, group="load",
                     exclusive=True)

    def _loaded(self, v) -> None:
        self.view = v
        today = self.lapp.now().date()
        self.query_one("#title", Static).update(f" {present.case_title(v)}")
        lines = [f" {present.case_opening(v)}"]
        for r in v.refusals[:2]:
            lines.append(f" Weigering: {r.school_name} ({r.level_id} nr. {r.seq}) · "
                         f"{present.refusal_notice(r)}")
        if len(v.refusals) > 2:
            lines.append(f" … en {len(v.refusals) - 2} andere weigering(en)")
        extra = []
        if v.next_deadline and v.status != "closed":
            when = v.next_deadline
            extra.append(f"volgende termijn {fmt_date(when)}"
                         + (" (verstreken)" if when < today else ""))
        if v.parties:
            extra.append("partijen: " + ", ".join(
                f"{mediation.PARTY_ROLE.get(p.role, p.role)} {p.name}" for p in v.parties))
        if v.clr_complaint_on:
            extra.append(f"klacht CLR {fmt_date(v.clr_complaint_on)}")
        if extra:
            lines.append(" " + " · ".join(extra))
        self.query_one("#info", Static).update("\n".join(lines))
        props = self.query_one("#proposals", VirtualTable)
        props.set_rows([Row(p.id, [
            str(p.id), p.school_name, p.level_id,
            "-" if p.free_places is None else str(p.free_places), metres(p.distance_m),
            fmt_date(p.proposed_at),
            (mediation.ANSWER.get(p.answer, p.answer)
             + (f" nr. {p.entry_id}" if p.entry_id else ""),
             "green" if p.answer == "accepted" else "red") if p.answer
            else ("wacht", "bold yellow")], data=p) for p in v.proposals])
        timeline = self.query_one("#timeline", VirtualTable)
        timeline.set_rows([Row(e.id, [
            short_dt(e.at), e.user, mediation.EVENT_KIND.get(e.kind, e.kind),
            (f"[{fmt_date(e.occurred_on)}] " if e.occurred_on and e.kind in
             ("meeting", "contact") else "") + e.text
            + (f" ({e.rule_id})" if e.rule_id else "")], data=e) for e in v.timeline])
        if v.timeline:
            timeline.move_to_key(v.timeline[-1].id)  # the latest event in view
        self.query_one("#tl-title", Static).update(
            f" Tijdlijn ({len(v.timeline)} gebeurtenissen, enkel toevoegen)")
        self.mark_loaded()

    # -- helpers -----------------------------------------------------------------------

    def _open(self) -> bool:
        if self.view is None:
            return False
        if self.view.status == "closed":
            self.notify(f"Dossier {self.case_id} is afgesloten; er kan niets meer aan "
                        "toegevoegd worden.", title="Geweigerd (MED-02)", severity="error")
            return False
        return True

    def _today(self) -> str:
        return self.lapp.now().date().isoformat()

    # -- actions -----------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_child_file(self) -> None:
        if self.view is not None:
            self.app.push_screen(ChildFileScreen(self.view.child_id))

    def action_document(self) -> None:
        from lopdesk.screens.documents import open_case_summary

        open_case_summary(self.app, self.case_id)

    def action_party(self) -> None:
        if not self._open():
            return
        fields = [
            FormField("role", "Rol", "select", "parents",
                      [(mediation.PARTY_ROLE[r], r) for r in mediation.PARTY_ROLES],
                      required=True),
            FormField("name", "Naam", required=True),
            FormField("contact", "Contact (telefoon, e-mail)"),
        ]
        self._form("party", "Partij toevoegen", fields, "", "Toevoegen", lambda v: self.db_call(
            mediation.add_party, self.case_id, v["role"], v["name"], v["contact"],
            at=self.lapp.now(), on_done=lambda p: self._after("party", f"Partij {p.name}.")))

    def _event_form(self, kind: str, title: str) -> None:
        if not self._open():
            return
        fields = [FormField("on", "Datum", value=self._today(), required=True),
                  FormField("text", "Wat gebeurde er", required=True)]

        def run(v: dict) -> None:
            on = parse.day(v["on"], "Datum")
            self.db_call(mediation.add_event, self.case_id, kind, v["text"], occurred_on=on,
                         at=self.lapp.now(),
                         on_done=lambda _e: self._after(kind, f"{title} toegevoegd."))

        self._form(kind, title, fields, "", "Toevoegen", run)

    def action_meeting(self) -> None:
        self._event_form("meeting", "Overleg")

    def action_contact(self) -> None:
        self._event_form("contact", "Contact")

    def action_complaint(self) -> None:
        if not self._open():
            return
        fields = [FormField("on", "Ingediend op", value=self._today(), required=True),
                  FormField("note", "Notitie")]

        def run(v: dict) -> None:
            on = parse.day(v["on"], "Datum")
            self.db_call(mediation.record_clr_complaint, self.case_id, filed_on=on,
                         note=v["note"], at=self.lapp.now(),
                         on_done=lambda _e: self._after("clr", "Klacht bij de CLR genoteerd."))

        self._form("clr", "Klacht bij de CLR (NGI-04)", fields,
                   "De ouders dienden een klacht in bij de Commissie inzake "
                   "Leerlingenrechten.", "Noteren", run)

    def action_propose(self) -> None:
        if not self._open():
            return
        self.db_call(mediation.proposals_for, self.case_id, at=self.lapp.now(),
                     on_done=self._pick_candidate)

    def _pick_candidate(self, candidates: list) -> None:
        if not candidates:
            self.notify("Geen school van het gebied heeft nu een vrije plaats op het niveau "
                        "van het kind (MED-03).", severity="warning", timeout=8)
            return
        rows = [Row(c.level_id, [c.school_name, c.neighbourhood,
                                 "-" if c.free_places is None else str(c.free_places),
                                 c.free_places_status, metres(c.distance_m)], data=c)
                for c in candidates]

        def chosen(level_id) -> None:
            if level_id is None:
                return
            c = next(x for x in candidates if x.level_id == level_id)
            self.db_call(mediation.propose, self.case_id, level_id, at=self.lapp.now(),
                         on_done=lambda p: self._after(
                             "propose", f"Voorgesteld: {c.school_name} ({level_id}). Het "
                             "dossier wacht op het antwoord van de ouders."))

        self.app.push_screen(PickDialog(
            "Voorstellen: scholen met vrije plaatsen (MED-03)", CANDIDATE_COLUMNS, rows,
            intro="Dichtstbijzijnde eerst. Enter stelt de school voor."), chosen)

    def action_answer(self) -> None:
        if not self._open():
            return
        open_props = [p for p in self.view.proposals if p.answer is None]
        if not open_props:
            self.notify("Geen voorstel wacht op een antwoord.", severity="warning")
            return
        current = self.query_one("#proposals", VirtualTable).current
        prop = current.data if current is not None and current.data.answer is None \
            else open_props[0]
        self.db_call(directory.list_overcapacity_categories, prop.level_id,
                     on_done=lambda cats: self._answer_form(prop, cats))

    def _answer_form(self, prop, categories: list) -> None:
        fields = [
            FormField("answer", "Antwoord van de ouders", "select", "accepted",
                      [(mediation.ANSWER[a], a) for a in ("accepted", "declined")],
                      required=True),
            FormField("category", "Boven capaciteit: categorie (CAP-07, leeg = geen)",
                      "select", None, [(f"{c.label} ({c.code})", c.code) for c in categories]),
            FormField("note", "Notitie"),
        ]

        def run(v: dict) -> None:
            accept = v["answer"] == "accepted"

            def done(ans) -> None:
                if ans.entry is not None:
                    msg = (f"{prop.school_name}: aanvaard, ingeschreven in register "
                           f"{prop.level_id} als nr. {ans.entry.seq}.")
                else:
                    msg = f"{prop.school_name}: {mediation.ANSWER[ans.proposal.answer]}."
                self._after("answer", msg)

            self.db_call(mediation.answer_proposal, prop.id, accept=accept,
                         overcapacity_category=(v["category"] or None) if accept else None,
                         note=v["note"], at=self.lapp.now(), on_done=done)

        self._form("answer", f"Antwoord op voorstel {prop.id}: {prop.school_name}", fields,
                   "Aanvaarden schrijft het kind in het register van die school in "
                   "(gerealiseerd, of boven capaciteit met een categorie).", "Bewaren", run)

    def action_close_case(self) -> None:
        if not self._open():
            return
        fields = [
            FormField("outcome", "Uitkomst (MED-02)", "select", None,
                      [(CASE_OUTCOME[o], o) for o in CASE_OUTCOME]),
            FormField("school_id", "School (leeg = afgeleid)", placeholder="bv. S1"),
            FormField("note", "Notitie"),
        ]
        version = self.view.version

        def run(v: dict) -> None:
            self.db_call(mediation.close_case, self.case_id, v["outcome"] or None,
                         school_id=v["school_id"] or None, note=v["note"],
                         at=self.lapp.now(), expected_version=version,
                         on_done=lambda c: self._after(
                             "close", f"Dossier {c.id} afgesloten: "
                             f"{CASE_OUTCOME.get(c.outcome, c.outcome)}."))

        self._form("close", f"Dossier {self.case_id} afsluiten", fields,
                   "Een dossier sluit enkel met een uitkomst; de tijdlijn blijft bewaard.",
                   "Afsluiten", run)
