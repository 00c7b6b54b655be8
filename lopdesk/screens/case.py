"""The mediation case view (MED-01..03): its timeline and actions (parties, meetings,
contacts, proposals of schools with free places, answers, CLR complaint, closing with an
outcome), and the dialog that opens a case on a parent's request."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from lopdesk import parse, present
from lopdesk.domain import directory, mediation
from lopdesk.labels import distance, fmt_date, plural, proposal_answer, short_dt
from lopdesk.screens.base import FormScreen, db_work
from lopdesk.screens.dialogs import FormDialog, FormField, TextDialog
from lopdesk.screens.pick_dialog import PickDialog
from lopdesk.screens.widgets.footer import KeyFooter as Footer
from lopdesk.screens.widgets.picker import refused_child_choices, schools_for_case
from lopdesk.screens.widgets.table import Column, Row, VirtualTable

CASE_OUTCOME = mediation.CASE_OUTCOME


def open_case_dialog(app: App, child_id: str = "", after=None, child_name: str = "") -> None:
    """MED-01: open a case on a logged parent request (date of the request required); a
    child given is shown by name with its id at once."""
    lapp: Any = app
    today = lapp.today()
    fields = [
        FormField("child_id", "Kind (met een niet-gerealiseerde inschrijving)", "child",
                  value=child_id, required=True,
                  placeholder="zoek op naam, geboortedatum, school of id…",
                  load=refused_child_choices(lapp.area.school_name),
                  value_label=f"{child_name} · {child_id}" if child_name else ""),
        FormField("request_on", "Datum van de vraag van de ouders", "day",
                  value=fmt_date(today), required=True),
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
               requested_by=v["requested_by"], note=v["note"], at=lapp.now(), on_done=opened,
               confirm_placed_elsewhere=bool(v.get("confirmed")))

    app.push_screen(FormDialog("Bemiddeling: dossier openen (MED-01)", fields,
                               intro="Voor een weigering wegens capaciteit, op een gelogde "
                                     "vraag van de ouders. Alle niet-gerealiseerde "
                                     "inschrijvingen van het kind worden gekoppeld.",
                               submit="Openen", save=done))


def run_db(app: App, fn, *args: Any, on_done=None, **kwargs: Any) -> None:
    """A domain call off the UI thread from outside a screen (dialog callbacks): the app's
    worker, so it outlives the dialog."""
    db_work(app, fn, *args, on_done=on_done, **kwargs)


# --- the case list ---------------------------------------------------------------------------


# The school's name has the room: at 80 columns the distance gives way (it then shows in
# the detail line under the table, with the whole name).
PROPOSAL_COLUMNS = [
    Column("Vs", 3, "right"),
    Column("School", 22),
    Column("Niveau", 14),
    Column("Vrij", 4, "right"),
    Column("Afst.", 6, "right", drop=1),
    Column("Voorgesteld", 10),
    Column("Antwoord", 14),
]
TIMELINE_COLUMNS = [
    Column("Wanneer", 16, flex=False),
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


PROPOSALS_OPEN = " Voorstellen (MED-03) · v: voorstellen · a: antwoord"
PROPOSALS_CLOSED = (" Voorstellen (MED-03) · dossier afgesloten: wat onbeantwoord bleef, is "
                    "vervallen")


def metres(value: float | None) -> str:
    if value is None:
        return "?"
    return distance(value)


def answer_cell(p, case_status: str) -> tuple[str, str]:
    """A proposal's answer, coloured; without one it waits, or lapsed with its closed case
    (MED-02: the line above the proposals says so)."""
    text = proposal_answer(p.answer, case_status, short=True)
    if p.answer:
        return (text + (f" nr. {p.entry_seq}" if p.entry_seq is not None else ""),
                "green" if p.answer == "accepted" else "red")
    return text, "bright_black" if case_status == "closed" else "bold yellow"


class CaseScreen(FormScreen):
    SCREEN_ID = "case"
    KEYS = """
    escape  back                Terug | Eén stap terug
    v       propose             Voorstel | Een school met vrije plaatsen voorstellen (MED-03)
                                | first
    a       answer              Antwoord | Het antwoord van de ouders op een voorstel | first
    p       party               Partij | Een partij toevoegen
    m       meeting             Overleg | Een overleg noteren
    c       contact             Contact | Een contact noteren
    k       complaint           Klacht CLR
            | Een klacht bij de Commissie inzake Leerlingenrechten noteren | hidden, priority
    x       close=close_case    Afsluiten | Het dossier afsluiten met een uitkomst (MED-02)
                                | first
    f       child=child_file    Dossier kind | Alle inschrijvingen van het kind | hidden
    d       document            Samenvatting | Samenvatting van het dossier voor de partijen
                                | hidden
    tab     next_list=app.focus_next    Andere lijst | Naar de andere lijst | hidden
    """

    @property
    def crumb(self) -> str:  # type: ignore[override]
        return f"Dossier {self.case_id}"
    AUTO_FOCUS = "#timeline"
    DEFAULT_CSS = """
    CaseScreen #info { height: auto; max-height: 8; }  /* two refusals wrap at 80 */
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
        yield Static(PROPOSALS_OPEN, classes="sub", id="props-title")
        yield VirtualTable(PROPOSAL_COLUMNS, id="proposals", empty="Nog geen voorstellen.")
        yield Static(" Tijdlijn (enkel toevoegen)", classes="sub", id="tl-title")
        yield VirtualTable(TIMELINE_COLUMNS, id="timeline", empty="Geen gebeurtenissen.")
        yield Footer()

    def reload(self) -> None:
        self.load_audited(mediation.get_case, self.case_id)

    def loaded(self, v) -> None:
        self.view = v
        self.refresh_bindings()  # a closed case offers no key that adds to it
        today = self.lapp.today()
        # The breadcrumb names the case already ("Bemiddeling › Dossier 3").
        self.show_title(present.case_title(v).removeprefix(f"Dossier {v.id} · "))
        lines = [f" {present.case_opening(v)}"]
        for r in v.refusals[:2]:
            lines.append(f" Weigering: {self.lapp.area.place(r.level_id, r.school_name)} "
                         f"nr. {r.seq} · {present.refusal_notice(r)}")
        if len(v.refusals) > 2:
            more = plural(len(v.refusals) - 2, "andere weigering", "andere weigeringen")
            lines.append(f" … en {more}")
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
        self.query_one("#props-title", Static).update(
            PROPOSALS_CLOSED if v.status == "closed" else PROPOSALS_OPEN)
        props = self.query_one("#proposals", VirtualTable)
        area = self.lapp.area
        props.set_rows([Row(p.id, [
            str(p.id), area.school_name(p.school_id, p.school_name), area.level_name(p.level_id),
            "-" if p.free_now is None else str(p.free_now), metres(p.distance_m),
            fmt_date(p.proposed_at),
            answer_cell(p, v.status)], data=p) for p in v.proposals])
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

    def area_refreshed(self) -> None:
        """The area index came in: schools and levels can be named."""
        if self.view is not None:
            self.loaded(self.view)

    # -- helpers -----------------------------------------------------------------------

    # What a closed case no longer takes (MED-02): not offered in the footer, help or palette.
    WRITES = ("propose", "answer", "party", "meeting", "contact", "complaint", "close_case")

    def allows(self, action: str) -> bool:
        return not (action in self.WRITES and self.view is not None
                    and self.view.status == "closed")

    def _open(self) -> bool:
        if self.view is None:
            return False
        if self.view.status == "closed":
            self.notify(f"Dossier {self.case_id} is afgesloten; er kan niets meer aan "
                        "toegevoegd worden.", title="Geweigerd (MED-02)", severity="error")
            return False
        return True

    def _today(self) -> str:
        return fmt_date(self.lapp.now())

    # -- actions -----------------------------------------------------------------------

    def action_child_file(self) -> None:
        from lopdesk.screens.mediation import ChildFileScreen  # it opens cases too

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
        fields = [FormField("on", "Datum", "day", value=self._today(), required=True),
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
        fields = [FormField("on", "Ingediend op", "day", value=self._today(), required=True),
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
        self.db_dialog(mediation.proposal_choice, self.case_id, at=self.lapp.now(),
                     on_done=self._pick_candidate)

    def _pick_candidate(self, choice) -> None:
        candidates = choice.candidates
        if not candidates:  # why, whole (wrapped), as the CLI prints it; Esc closes it
            self.app.push_screen(TextDialog("Voorstellen: geen school (MED-03)",
                                            present.no_candidate_text(choice.held)))
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
        self._answer_form(prop)

    def _answer_form(self, prop) -> None:
        # The dialog opens at once; it reads the level's categories (CAP-07) itself.
        level_id = prop.level_id
        fields = [
            FormField("answer", "Antwoord van de ouders", "select", "accepted",
                      [(mediation.ANSWER[a], a) for a in ("accepted", "declined")],
                      required=True),
            FormField("category", "Boven capaciteit: categorie (CAP-07, leeg = geen)",
                      "choice", None, load=lambda db: [
                          (f"{c.label} ({c.code})", c.code)
                          for c in directory.list_overcapacity_categories(db, level_id)]),
            FormField("note", "Notitie"),
            FormField("at", "Tijdstip (leeg = nu)", "moment"),
        ]

        def run(v: dict) -> None:
            accept = v["answer"] == "accepted"
            at = parse.moment(v["at"], "Tijdstip") or self.lapp.now()

            def done(ans) -> None:
                if ans.entry is not None:
                    msg = (f"{prop.school_name}: aanvaard, ingeschreven in register "
                           f"{prop.level_id} als nr. {ans.entry.seq}.")
                else:
                    msg = f"{prop.school_name}: {mediation.ANSWER[ans.proposal.answer]}."
                self._after("answer", msg)

            self.db_call(mediation.answer_proposal, prop.id, accept=accept,
                         overcapacity_category=(v["category"] or None) if accept else None,
                         note=v["note"], at=at, on_done=done)

        self._form("answer", f"Antwoord op voorstel {prop.id}: {prop.school_name}", fields,
                   "Aanvaarden schrijft het kind in het register van die school in "
                   "(gerealiseerd, of boven capaciteit met een categorie).", "Bewaren", run)

    def action_close_case(self) -> None:
        if not self._open():
            return
        v = self.view
        outcome, school_id = mediation.case_likely_outcome(v)
        fields = [
            FormField("outcome", "Uitkomst (MED-02)", "select", outcome,
                      [(CASE_OUTCOME[o], o) for o in CASE_OUTCOME]),
            FormField("school_id", "School waar het kind terecht kan (enkel bij inschrijving; "
                      "leeg = de enige weigerende school of die van het aanvaarde voorstel)",
                      "school", school_id, placeholder="zoek een school op naam of id…",
                      load=schools_for_case(self.case_id)),
            FormField("note", "Notitie"),
        ]
        version = self.view.version

        def run(v: dict) -> None:
            self.db_call(mediation.close_case, self.case_id, v["outcome"] or None,
                         school_id=v["school_id"] or None, note=v["note"],
                         at=self.lapp.now(), expected_version=version,
                         confirm_contradiction=bool(v.get("confirmed")),
                         on_done=lambda c: self._after(
                             "close", f"Dossier {c.id} afgesloten: "
                             f"{CASE_OUTCOME.get(c.outcome, c.outcome)}."))

        self._form("close", f"Dossier {self.case_id} afsluiten", fields,
                   "Een dossier sluit enkel met een uitkomst; de tijdlijn blijft bewaard.",
                   "Afsluiten", run)
