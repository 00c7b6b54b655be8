"""Capaciteit: raise requests with their reasons, approval (after a preview of exactly which
children get the new places and the cascade their moves cause) or rejection with a reason
(CAP-03, WL-01, WL-03), and full declarations with their lifting (CAP-06)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from lopdesk import parse
from lopdesk.domain import capacity
from lopdesk.labels import DECISION_STATUS, fmt_date, short_dt
from lopdesk.present import NOBODY_GETS_A_PLACE, fill_lines
from lopdesk.screens.base import FormScreen
from lopdesk.screens.dialogs import FormField
from lopdesk.screens.widgets.footer import KeyFooter as Footer
from lopdesk.screens.widgets.table import Column, Row, VirtualTable

DECISION_COLUMNS = [
    Column("Id", 4, "right"),
    Column("Niveau", 20),
    Column("Cap→", 9),
    Column("Status", 11),
    Column("Reden", 28),
    Column("Aangevraagd", 16, flex=False),
    Column("Beslissing", 30),
]
DECLARATION_COLUMNS = [
    Column("Id", 4, "right"),
    Column("Groepen (aantal bij verklaring)", 34),
    Column("Verklaard", 16, flex=False),
    Column("Door", 10),
    Column("Opgeheven", 16, flex=False),
    Column("Reden", 24),
]
STATUS_STYLE = {"pending": "bold yellow", "approved": "green", "rejected": "red"}


def cascade_text(outcome) -> str:
    """The new capacity and where its places go, in the CLI's wording."""
    return "\n".join([f"Nieuwe capaciteit: {outcome.capacity}.",
                      *fill_lines(outcome.cascade, indent="  ", empty=NOBODY_GETS_A_PLACE)])


class CapacityScreen(FormScreen):
    BINDINGS = [
        Binding("n", "new_request", "Verhoging aanvragen", id="capaciteit.request"),
        Binding("g", "approve", "Goedkeuren", id="capaciteit.approve"),
        Binding("w", "reject", "Afwijzen", id="capaciteit.reject"),
        Binding("d", "declare", "Volzet verklaren", id="capaciteit.declare"),
        Binding("l", "lift", "Opheffen", id="capaciteit.lift"),
        Binding("tab", "app.focus_next", "Andere lijst", show=False),
    ]
    DEFAULT_CSS = """
    CapacityScreen #decisions { height: 2fr; }
    CapacityScreen #declarations { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(" Capaciteit · verhogingen (CAP-03)", classes="title", id="t-dec")
        yield VirtualTable(DECISION_COLUMNS, id="decisions", empty="Geen aanvragen.")
        yield Static(" Volzetverklaringen (CAP-06)", classes="title", id="t-decl")
        yield VirtualTable(DECLARATION_COLUMNS, id="declarations",
                           empty="Geen volzetverklaringen.")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#decisions", VirtualTable).focus()
        self.reload()

    def reload(self) -> None:
        self.db_call(capacity.list_decisions, on_done=self._decisions, group="dec",
                     exclusive=True)
        self.db_call(capacity.list_declarations, on_done=self._declarations, group="decl",
                     exclusive=True)

    def _decisions(self, rows: list) -> None:
        # pending first, then the most recent
        rows = sorted(rows, key=lambda d: (d.status != "pending", -d.id))
        self.query_one("#decisions", VirtualTable).set_rows([Row(d.id, [
            str(d.id), d.level_id, f"{d.current_capacity}→{d.requested_capacity}",
            (DECISION_STATUS.get(d.status, d.status), STATUS_STYLE.get(d.status, "")),
            d.reason, f"{short_dt(d.requested_at)}",
            (f"{d.decided_by} {fmt_date(d.decided_at)}: {d.decision_reason or ''}"
             if d.decided_at else ""),
        ], data=d) for d in rows])
        pending = sum(1 for d in rows if d.status == "pending")
        self.query_one("#t-dec", Static).update(
            f" Capaciteit · verhogingen (CAP-03) · {pending} open · g: goedkeuren (met "
            "voorbeeld) · w: afwijzen")
        self.mark_loaded()

    def _declarations(self, rows: list) -> None:
        self.query_one("#declarations", VirtualTable).set_rows([Row(d.id, [
            str(d.id), ", ".join(f"{lv} ({n})" for lv, n in d.levels), short_dt(d.declared_at),
            d.declared_by, (short_dt(d.lifted_at), "") if d.lifted_at else ("actief", "bold red"),
            d.reason], data=d) for d in rows])

    # -- helpers -------------------------------------------------------------------

    def _selected(self, table_id: str):
        row = self.query_one(f"#{table_id}", VirtualTable).current
        return row.data if row is not None else None

    # -- raises ----------------------------------------------------------------------

    def action_new_request(self, level_id: str = "") -> None:
        fields = [FormField("level_id", "Niveau", "level", value=level_id, required=True),
                  FormField("capacity", "Nieuwe capaciteit", "whole", required=True,
                            minimum=0),
                  FormField("reason", "Reden van de aanvraag", required=True)]

        def run(v: dict) -> None:
            cap = parse.whole(v["capacity"], "Nieuwe capaciteit", minimum=0)
            self.db_call(capacity.request_raise, v["level_id"], cap, reason=v["reason"],
                         on_done=lambda d: self._after(
                             "request", f"Aanvraag {d.id} bewaard: {d.level_id} "
                             f"{d.current_capacity}→{d.requested_capacity}."))

        self._form("request", "Capaciteitsverhoging aanvragen", fields,
                   "Na de start beslist het LOP over een verhoging (CAP-03).", "Aanvragen", run)

    def _pending(self):
        d = self._selected("decisions")
        if d is None or d.status != "pending":
            self.notify("Kies een open aanvraag (status 'aangevraagd').", severity="warning")
            return None
        return d

    def action_approve(self) -> None:
        d = self._pending()
        if d is None:
            return

        def ask(outcome) -> None:
            intro = (f"Aanvraag {d.id}: {d.level_id} {d.current_capacity}→"
                     f"{d.requested_capacity}\nReden: {d.reason}\n\nVoorbeeld als iedereen "
                     f"aanvaardt (WL-01, WL-03):\n{cascade_text(outcome)}\n\nBij goedkeuren "
                     "worden de plaatsen aangeboden in volgorde van de wachtlijst.")
            fields = [FormField("reason", "Motivering van de beslissing", required=True),
                      FormField("ref", "Beslissingsnummer LOP (leeg = automatisch)")]

            def run(v: dict) -> None:
                self.db_call(capacity.decide_raise, d.id, approve=True, reason=v["reason"],
                             decision_ref=v["ref"] or None,
                             on_done=lambda o: self._after(
                                 "approve", f"Aanvraag {d.id} goedgekeurd: capaciteit "
                                 f"{o.capacity}, {len(o.cascade.steps)} stappen in de "
                                 "wachtlijst."))

            self._form("approve", f"Verhoging {d.id} goedkeuren", fields, intro, "Goedkeuren",
                       run)

        self.db_call(capacity.preview_raise, d.id, on_done=ask)

    def action_reject(self) -> None:
        d = self._pending()
        if d is None:
            return
        fields = [FormField("reason", "Motivering van de afwijzing", required=True)]

        def run(v: dict) -> None:
            self.db_call(capacity.decide_raise, d.id, approve=False, reason=v["reason"],
                         on_done=lambda o: self._after("reject", f"Aanvraag {d.id} afgewezen."))

        self._form("reject", f"Verhoging {d.id} afwijzen", fields,
                   f"{d.level_id} {d.current_capacity}→{d.requested_capacity}: {d.reason}",
                   "Afwijzen", run)

    # -- full declarations -----------------------------------------------------------

    def action_declare(self) -> None:
        fields = [FormField("levels", "Administratieve groepen (ids, gescheiden door komma's)",
                            required=True),
                  FormField("reason", "Reden", required=True)]

        def run(v: dict) -> None:
            ids = [x.strip() for x in v["levels"].replace(";", ",").split(",") if x.strip()]
            self.db_call(capacity.declare_full, ids, reason=v["reason"],
                         on_done=lambda decl: self._after(
                             "declare", f"Volzetverklaring {decl.id} bewaard en gemeld aan het "
                             "LOP."))

        self._form("declare", "Volzet verklaren (CAP-06)", fields,
                   "Secundair 2de–7de jaar: het aantal wordt bewaard, vrije plaatsen worden 0; "
                   "elke aanvraag daarna is niet-gerealiseerd (volzet).", "Verklaren", run)

    def action_lift(self) -> None:
        decl = self._selected("declarations")
        if decl is None or decl.lifted_at is not None:
            self.notify("Kies een actieve volzetverklaring in de onderste lijst (Tab).",
                        severity="warning")
            return
        fields = [FormField("reason", "Reden van de opheffing", required=True)]

        def run(v: dict) -> None:
            self.db_call(capacity.lift_full, decl.id, reason=v["reason"],
                         on_done=lambda _d: self._after(
                             "lift", f"Volzetverklaring {decl.id} opgeheven en gemeld aan het "
                             "LOP."))

        self._form("lift", f"Volzetverklaring {decl.id} opheffen", fields,
                   ", ".join(lv for lv, _ in decl.levels), "Opheffen", run)
