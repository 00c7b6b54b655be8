"""Register of one level: every entry in order (REG-01), filter and search, the history of an
entry (REG-02) and the actions: add a request, withdraw, change a status, close a priority
period (preview, then confirm; REG-05) and offer a freed place to the next child (WL-01)."""

from __future__ import annotations

from textual.widgets import Input, Static

from lopdesk import parse, present
from lopdesk.domain import directory, registers
from lopdesk.domain.codes import PRIORITY_GROUPS, STATUSES
from lopdesk.domain.register_view import (
    LinesAt,
    RegisterLines,
    WaitingOrder,
    requested_at,
    waiting_order,
)
from lopdesk.domain.registers import TRANSITIONS
from lopdesk.domain.registers.new_child import add_request_for_new_child
from lopdesk.labels import (
    CONTINGENT_SHORT,
    PERIOD_KIND,
    PRIORITY_GROUP,
    PRIORITY_GROUP_SHORT,
    REASON,
    REGIME,
    STATUS,
    board_cell,
    fmt_date,
    fmt_datetime,
    num,
    status_cell,
)
from lopdesk.present import fill_summary, level_title, school_title
from lopdesk.screens.base import FormScreen, SearchScreen, set_text
from lopdesk.screens.dialogs import ConfirmDialog, FormField
from lopdesk.screens.register_actions import RegisterActions
from lopdesk.screens.register_guard import WaitingShown, guard_text
from lopdesk.screens.register_rows import (
    COLUMNS,
    LEGEND,
    Details,
    head_rows,
    line_rows,
    marks_text,
    read_details,
    read_lines,
    read_opening,
    search_text,
    superseded_text,
    wants,
)
from lopdesk.screens.widgets.picker import children_for_level
from lopdesk.screens.widgets.table import VirtualTable

STATUS_CYCLE = (None, *STATUSES)


class RegisterScreen(RegisterActions, SearchScreen, FormScreen):
    SCREEN_ID = "register"
    SEARCH_ON = "nummer, naam of kind-id"
    KEYS = """
    escape  back                        Terug | Eén stap terug
    a       add                         Aanvraag | Een aanvraag toevoegen aan dit register
    x       withdraw                    Intrekken | De gekozen inschrijving intrekken (REG-03) | row
    t       change_status               Status
            | De status van de gekozen inschrijving wijzigen | row
    h       history                     Historiek
            | Alle wijzigingen van de gekozen inschrijving (REG-02) | row
    slash   search                      Zoeken | Zoek op nummer, naam of kind-id
    s       status_filter=cycle_status  Status-filter | Volgende status tonen (of alle)
    o       offer                       Plaats aanbieden
            | Een vrije plaats aanbieden aan het volgende kind (WL-01)
    A       offer_accept=answer_offer(True)     Aanbod aanvaard
            | Het open aanbod op de gekozen lijn is aanvaard (WL-03) | hidden
    W       offer_decline=answer_offer(False)   Aanbod geweigerd
            | Het open aanbod op de gekozen lijn is geweigerd | hidden
    O       offers                      Aanbiedingen | De aanbiedingen van dit niveau | hidden
    P       periods                     Periodes | De voorrangsperiodes van dit niveau | hidden
    p       close_period                Periode afsluiten
            | De lopende voorrangsperiode afsluiten, met voorbeeld (REG-05)
    d       document                    Uittreksel | Registeruittreksel van dit niveau
    m       notice                      Mededeling
            | Mededeling van niet-gerealiseerde inschrijving (NGI-01) | hidden, row
    M       notice_delivered=record_notice  Mededeling bezorgd
            | Bezorging van de mededeling vastleggen (NGI-02, NGI-03) | hidden, row
    v       superseded=toggle_superseded    Vervangen lijnen
            | Lijnen van een vervangen toewijzing verbergen of tonen | hidden
    """
    ABOVE = ("counts", "guard", "superseded", "marks", "filter")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key the line's status refuses stays in the footer, dimmed (and does nothing):
        the footer keeps the register's keys as the cursor moves or a line is withdrawn."""
        allowed = super().check_action(action, parameters)
        if allowed is False and action in ("withdraw", "change_status", "record_notice"):
            row = self.current_row()
            return None if row is not None and row.data is not None else False
        return allowed

    def allows(self, action: str) -> bool:
        """Keys the state refuses are not offered (footer, help, palette)."""
        if action in ("withdraw", "change_status"):
            status = self.current_row().data.status
            if action == "withdraw":  # REG-03
                return status in ("realised", "non_realised")
            return bool(TRANSITIONS.get(status))
        if action == "record_notice":  # NGI-02: a refused line
            return self.current_row().data.status == "non_realised"
        if action == "offer":  # WL-01: a free place and a waiting list that binds
            level = self.level
            if level is not None and level.free_places == 0:
                return False
            w = self.waiting
            return w is None or (bool(w.entries) and w.binds)
        if action == "close_period":  # REG-05: only while a priority period runs
            return self.periods is None or any(p.open and p.kind == "priority"
                                                for p in self.periods)
        return True

    @property
    def crumb(self) -> str:  # type: ignore[override]
        level = self.level or self.lapp.area.level(self.level_id)
        if level is None:
            return self.level_id
        # with its neighbourhood: sites of the same name are told apart
        return f"{school_title(level.school_name, level.neighbourhood)} › {level_title(level)}"
    DEFAULT_CSS = """
    RegisterScreen #counts { height: auto; }
    RegisterScreen #guard { height: auto; color: $warning; }
    RegisterScreen #superseded { height: auto; color: $text-muted; }
    RegisterScreen #marks { height: auto; color: $warning; }
    RegisterScreen #filter { height: auto; color: $accent; display: none; }
    """

    def __init__(self, level_id: str, focus_entry: int | None = None,
                 focus_seq: int | None = None) -> None:
        super().__init__()
        self.level_id = level_id
        self.focus_entry = focus_entry
        self.focus_seq = focus_seq
        self.entries = RegisterLines([], [])
        self.positions: dict[int, int] = {}  # entry id -> place on the waiting list
        self.status_filter: str | None = None
        self.hide_superseded = False  # lines of a replaced allocation run (ALC-05)
        self.text = ""
        self.waiting = None
        self.level = None  # LevelCounters
        self.periods: list | None = None  # PeriodRow, for what `p` may do
        self.offers: dict[int, object] = {}  # entry id -> its open offer (WL-01)
        self.running = None  # the period running now (REG-04), if any

    def first_title(self) -> str:
        return f"Register {self.level_id}"

    def on_unmount(self) -> None:
        # The lines go as the screen closes (freed at once; see VirtualTable.on_unmount),
        # not in a full collection during the next screen's opening.
        self.entries = RegisterLines([], [])
        self.waiting = None
        self.positions = {}

    def make_table(self) -> VirtualTable:
        return VirtualTable(COLUMNS, id="register-table", formatter=self._cells,
                            searcher=search_text, empty="Geen inschrijvingen.",
                            legend=LEGEND, follow_end=True)

    # -- data --------------------------------------------------------------------------

    def reload(self) -> None:
        # The first lines and the count first (the screen is there at once, whatever the
        # size of the register), then every line; the guard and counters after them, so
        # the threads do not compete for the interpreter while the table loads.
        if not self.entries:
            self.db_call(read_opening, self.level_id, self.lapp.now(), self._scope(),
                         on_done=self._head_loaded, group="entries", exclusive=True)
        else:
            self._read_all()

    def _scope(self) -> dict:
        """Only the counters of this level's area and year when known (the area index)."""
        known = self.lapp.area.level(self.level_id)
        return {"area_id": known.area_id, "school_year": known.school_year} if known else {}

    def _read_all(self) -> None:
        self.db_call(read_lines, self.level_id, on_done=self._entries_loaded,
                     group="entries", exclusive=True)

    def _head_loaded(self, result: tuple[int, RegisterLines, Details | None]) -> None:
        count, head, details = result
        if details is not None:  # the whole register, and what goes with it
            self._entries_loaded(head, details)
            return
        self.query_one(VirtualTable).set_rows(head_rows(head, count))
        self.sub_title = f"{count} lijnen, worden gelezen…"
        self._read_all()

    def _entries_loaded(self, entries: RegisterLines, details: Details | None = None) -> None:
        self.entries = entries
        # No Row and no Line per entry: a row is made when it is drawn or under the cursor
        # (200,000 lines open as fast as 2,000); the filter reads the columns.
        ids = entries.ids
        self.query_one(VirtualTable).set_rows(line_rows(entries))
        self._set_wants()
        self.apply_filter()
        set_text(self.query_one("#marks", Static), marks_text(entries.out_of_order),
                 bool(entries.out_of_order))
        self.mark_loaded()
        if details is not None:
            self._details_loaded(details)
        else:
            # The guard and the counters only after the table is drawn: their read would
            # compete with the first paint for the interpreter.
            self.call_after_refresh(self._load_details)
        table = self.query_one(VirtualTable)
        if self.focus_entry is not None:
            table.move_to_key(self.focus_entry)
            self.focus_entry = None
        if self.focus_seq is not None:
            seqs = entries.column("seq")
            if self.focus_seq in seqs:
                table.move_to_key(ids[seqs.index(self.focus_seq)])
            self.focus_seq = None

    def _load_details(self) -> None:
        self.db_call(read_details, self.level_id, self.lapp.now(), self._scope(),
                     on_done=self._details_loaded, group="details", exclusive=True)

    def _details_loaded(self, details: Details) -> None:
        self.offers = {o.entry_id: o for o in details.offers}
        self.periods = details.periods
        now = self.lapp.now()
        self.running = next((p for p in details.periods if p.running(now)), None)
        self.level = next((c for c in details.counters if c.level_id == self.level_id),
                          self.level)
        self._waiting_loaded(details.waiting)
        self._show_level()
        self.refresh_bindings()  # offer and close_period follow the state (allows)

    def _waiting_loaded(self, order: WaitingOrder) -> None:
        # The waiting order is a list of ids (the rows are here already): no second read
        # of the whole register, and no Line made for the 50,000 of a big list.
        lines = self.entries
        places = lines.positions(order.ids)
        view = WaitingShown(order.deadline, order.binds, order.per_contingent,
                            LinesAt(lines, places))
        self.waiting = view
        self.positions = {lines.ids[p]: i for i, p in enumerate(places, 1)}
        self._set_wants()
        self.query_one(VirtualTable).redraw()
        set_text(self.query_one("#guard", Static), guard_text(view, self.offers))

    def _set_wants(self) -> None:  # the columns as wide as the register's longest values
        self.query_one(VirtualTable).set_wants(wants(self.entries, len(self.positions),
                                                     len(self.offers)))

    def _show_level(self) -> None:
        """The title and the counts line of the level (with its running period and offers)."""
        level = self.level
        if level is None:
            return
        board, _ = board_cell(level.free_places_field)
        period = ""
        if self.running is not None:
            p = self.running
            period = (f" · loopt: {PERIOD_KIND[p.kind]}"
                      + (f" {PRIORITY_GROUP_SHORT.get(p.group, p.group)}" if p.group else ""))
        # the breadcrumb names the school and the level (wherever the register was opened
        # from): the title goes on with what it does not say
        self.show_title(f"regime {REGIME[level.regime]}{period}"
                        + (" · VOLZET VERKLAARD" if level.full else ""))
        set_text(self.query_one("#counts", Static),
                 f" Cap {num(level.capacity)} · zit {level.seated} · ger "
                 f"{level.realised_indicator}/{level.realised_non_indicator} · uit "
                 f"{level.deferred_indicator}/{level.deferred_non_indicator} · NGI "
                 f"{level.non_realised_indicator}/{level.non_realised_non_indicator} · vrij "
                 f"{num(level.free_places)}"
                 + (f" (aangeboden {len(self.offers)})" if self.offers else "")
                 + f" · LOP-bord: {board}"
                 # CAP-05 against CAP-04, in words as on the overview
                 + (" (≠ berekend: zet het LOP-bord recht)" if level.board_disagrees
                    else ""))

    def _cells(self, e) -> list:
        offer = self.offers.get(e.id)
        if offer is not None:
            extra = ("aangeboden", "bold yellow")
        elif e.status == "non_realised":
            pos = self.positions.get(e.id)
            extra = f"#{pos}" if pos else ""
            if e.waitlist_position:
                extra += f" (R{e.waitlist_position})"
            extra = extra.strip() or REASON.get(e.reason or "", e.reason or "")
        elif e.status == "deferred":
            extra = "periode"
        else:
            extra = ""
        return [
            (str(e.seq) + ("!" if e.out_of_order else ""), "bold yellow") if e.out_of_order
            else str(e.seq),
            fmt_datetime(requested_at(e)), e.child_name, status_cell(e.status), extra,
            PRIORITY_GROUP_SHORT.get(e.priority_group, e.priority_group),
            CONTINGENT_SHORT.get(e.contingent, e.contingent), e.child_id,
            e.overcapacity_category or "",
        ]

    # -- filter ------------------------------------------------------------------------

    def apply_filter(self) -> None:
        table = self.query_one(VirtualTable)
        status = self.status_filter
        table.empty_text = (f"Geen inschrijvingen met status {STATUS[status]}." if status
                            else "Geen inschrijvingen.")
        table.set_picked(self.entries.where(self.text, status, self.hide_superseded))
        label = STATUS.get(status or "", "alle statussen")
        self.sub_title = f"{len(table.rows)} van {len(self.entries)} · {label}"
        self.query_one("#search", Input).border_title = self.sub_title
        # A status filter stays in sight while it is on (and says why the table is empty).
        set_text(self.query_one("#filter", Static),
                 f" Filter: {label} · {len(table.rows)} van {len(self.entries)} lijnen"
                 " (s: volgende status)" if status else "", status is not None)
        note = superseded_text(self.entries.superseded, self.hide_superseded)
        set_text(self.query_one("#superseded", Static), note, bool(note))

    def action_toggle_superseded(self) -> None:
        """Lines of a replaced allocation run (ALC-05) out of sight, or back."""
        self.hide_superseded = not self.hide_superseded
        self.apply_filter()

    def action_cycle_status(self) -> None:
        i = STATUS_CYCLE.index(self.status_filter)
        self.status_filter = STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)]
        self.apply_filter()
        self.notify(f"Filter: {STATUS.get(self.status_filter or '', 'alle statussen')} "
                    f"({len(self.query_one(VirtualTable).rows)})", timeout=2)

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or self.text:
            self.hide_search()
            return
        self.app.pop_screen()

    # -- the entry under the cursor ----------------------------------------------------

    def current_entry(self):
        return self.current_data("Geen inschrijving gekozen.")

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self.action_history()

    # -- actions -----------------------------------------------------------------------

    def action_add(self) -> None:
        # The dialog opens at once (type-ahead lands in it); the categories valid for this
        # level (CAP-07) are read by the dialog itself.
        level_id = self.level_id
        fields = [
            FormField("child_id", "Kind (zoek op naam, geboortedatum of id; leeg = nieuw kind)",
                      "child", required_unless=("first_name", "last_name"),
                      load=children_for_level(level_id)),
            FormField("group", "Voorrangsgroep", "choice",
                      (self.running.group if self.running and self.running.group else "none"),
                      [(PRIORITY_GROUP[g], g) for g in PRIORITY_GROUPS], required=True),
            FormField("category", "Overcapaciteit: categorie (CAP-07, leeg = geen)", "choice",
                      None, load=lambda db: [(f"{c.label} ({c.code})", c.code) for c in
                                             directory.list_overcapacity_categories(db,
                                                                                    level_id)]),
            FormField("at", "Tijdstip (leeg = nu)", "moment"),
            FormField("first_name", "Nieuw kind: voornaam"),
            FormField("last_name", "Nieuw kind: familienaam"),
            FormField("birth_date", "Nieuw kind: geboortedatum", "day"),
        ]

        def run(v: dict) -> None:
            at = parse.moment(v["at"], "Tijdstip") or self.lapp.now()  # the app's clock
            born = parse.day(v["birth_date"], "Geboortedatum")

            def add(db):
                request = {"priority_group": v["group"] or "none", "at": at,
                           "overcapacity_category": v["category"] or None}
                if v["child_id"]:
                    return registers.add_request(db, level_id, v["child_id"], **request)
                return add_request_for_new_child(db, level_id, v["first_name"],
                                                  v["last_name"], birth_date=born,
                                                  **request)

            self.db_call(add, on_done=lambda r: self._after(
                "add", f"Nr. {r.seq}: {STATUS[r.status]}"
                + (f" ({r.rule}: {r.message})" if r.rule else "")))

        intro = ("Het register kent nummer en status toe volgens de regels (REG-01, REG-04, "
                 "REG-06, WL-01, CAP-06/07).")
        self._form("add", f"Aanvraag toevoegen aan {self.lapp.area.place(self.level_id)}",
                   fields, intro, "Inschrijven", run)

    def action_withdraw(self) -> None:
        e = self.current_entry()
        if e is None:
            return
        if e.status not in ("realised", "non_realised"):
            self.notify(f"Een inschrijving met status '{STATUS[e.status]}' kan niet ingetrokken "
                        "worden (REG-03).", severity="warning")
            return
        fields = [FormField("reason", "Reden", required=True)]

        def run(v: dict) -> None:
            self.db_call(registers.withdraw, e.id, reason=v["reason"],
                         expected_version=e.version,
                         on_done=lambda r: self._after(
                             "withdraw", "N" + present.withdrawn(r, "met 'o'")[1:]))

        self._form("withdraw", f"Inschrijving {e.seq} intrekken", fields,
                   f"{e.child_name} ({e.child_id}) · {STATUS[e.status]}", "Intrekken", run)

    def action_change_status(self) -> None:
        e = self.current_entry()
        if e is None:
            return
        allowed = sorted(TRANSITIONS.get(e.status, ()))
        if not allowed:
            self.notify(f"'{STATUS[e.status]}' is een eindstatus (REG-03).", severity="warning")
            return
        fields = [FormField("to", "Nieuwe status", "select", allowed[0],
                            [(STATUS[s], s) for s in allowed], required=True),
                  FormField("reason", "Reden", required=True)]

        def run(v: dict) -> None:
            self.db_call(registers.change_status, e.id, v["to"], reason=v["reason"],
                         expected_version=e.version,
                         on_done=lambda r: self._after(
                             "status", f"Nr. {r.seq}: {STATUS[r.status]}"
                             + (f" ({r.rule})" if r.rule else "")))

        intro = f"{e.child_name} ({e.child_id}) · nu {STATUS[e.status]}"
        if e.status == "non_realised" and self.waiting is not None:
            intro += "\n" + guard_text(self.waiting, self.offers)
        self._form("status", f"Status van inschrijving {e.seq} wijzigen", fields, intro,
                   "Wijzigen", run)

    def action_offer(self) -> None:
        def ask(view) -> None:
            if not view.entries:
                self.notify("Niemand staat op de wachtlijst van dit niveau.", severity="warning")
                return
            if not view.binds:
                self.notify(f"Na {fmt_date(view.deadline)} volgt een vrije plaats de wachtlijst "
                            "niet meer: ze is gewoon vrij (vrije inschrijving).",
                            title="Geweigerd (WL-01)", severity="error", timeout=8)
                return
            free = self.level.free_places if self.level is not None else None
            if self.offers and free is not None and free <= len(self.offers):
                last = max(self.offers.values(), key=lambda o: o.offered_at)
                self.notify(f"Deze plaats is al aangeboden door {last.offered_by} om "
                            f"{fmt_datetime(last.offered_at)} aan {last.child_name} (nr. "
                            f"{last.seq}); antwoord t.e.m. {fmt_date(last.reply_by)}. "
                            "Aanvaard (A) of geweigerd (W) op die lijn.",
                            title="Al aangeboden (WL-01)", severity="warning", timeout=10)
                return
            first = next((e for e in view.entries if e.id not in self.offers), None)
            if first is None:
                self.notify("Iedereen op de wachtlijst heeft al een open aanbod.",
                            severity="warning")
                return
            body = (f"{guard_text(view, self.offers)}\n\nDe vrijgekomen plaats wordt "
                    "aangeboden aan "
                    f"{first.child_name} ({first.child_id}), nr. {first.seq}.\n"
                    "Het kind aanvaardt of weigert daarna; bij weigeren gaat de plaats naar "
                    "het volgende kind (WL-01, WL-03).")

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.db_call(registers.offer_next, self.level_id,
                                 on_done=lambda rep: self._after("offer", fill_summary(rep)))

            self.app.push_screen(ConfirmDialog("Vrijgekomen plaats aanbieden (WL-01)", body,
                                               yes="Aanbieden"), confirmed)

        def loaded(order) -> None:
            self._waiting_loaded(order)
            ask(self.waiting)

        self.db_dialog(waiting_order, self.level_id, at=self.lapp.now(), on_done=loaded)
