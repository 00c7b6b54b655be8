"""Capaciteit: raise requests with their reasons, approval (after a preview of exactly which
children get the new places and the cascade their moves cause) or rejection with a reason
(CAP-03, WL-01, WL-03), and full declarations with their lifting (CAP-06)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from lopdesk import parse
from lopdesk.domain import capacity
from lopdesk.labels import DECISION_STATUS, fmt_datetime, level_words, num, short_dt
from lopdesk.present import (
    NOBODY_GETS_A_PLACE,
    decision_words,
    fill_counts,
    fill_lines,
    level_title,
)
from lopdesk.screens.base import FormScreen
from lopdesk.screens.dialogs import FormField, TextDialog
from lopdesk.screens.widgets.footer import KeyFooter as Footer
from lopdesk.screens.widgets.table import Column, Row, VirtualTable, columns

# Names, reasons and decisions wrap over more lines of their row instead of being cut;
# at 80 columns the request time and then the decision go to the detail line.
DECISION_COLUMNS = [*columns("""
Id                      4 >
School                  26
Niveau                  13
Cap→                    5
Status                  11
Reden                   24
"""), Column("Aangevraagd", 16, flex=False, drop=2), Column("Beslissing", 30, drop=1)]
DECLARATION_COLUMNS = columns("""
Id                      4 >
Groepen (aantal bij verklaring)  34
Verklaard               16 fixed
Door                    10
Opgeheven               16 fixed
Reden                   24
""")
DECLARATION_COLUMNS[3] = Column("Door", 10, drop=1)  # at 80 columns: in the detail line
STATUS_STYLE = {"pending": "bold yellow", "approved": "green", "rejected": "red"}


def approval_preview(d, outcome, where: str) -> str:
    """What approving does now, worded from the rolled-back approval itself, so that the
    text and the steps always agree (WL-01: offers while the list binds, else just free)."""
    head = (f"Aanvraag {d.id}: {where} ({d.level_id}), capaciteit {d.current_capacity} → "
            f"{d.requested_capacity}\nReden: {d.reason}\n\n")
    if outcome.cascade.skipped:
        what = ("De wachtlijst bindt niet meer (WL-01): de nieuwe plaatsen zijn na "
                "goedkeuren gewoon vrij.")
    elif outcome.cascade.steps:
        what = ("Bij goedkeuren worden deze plaatsen aangeboden in volgorde van de wachtlijst; "
                "de ouders antwoorden daarna (WL-01, WL-03):")
    else:
        what = "Niemand staat op de wachtlijst: de nieuwe plaatsen zijn na goedkeuren vrij."
    steps = fill_lines(outcome.cascade, indent="  ", empty="") if outcome.cascade.steps else []
    return "\n".join([head + what, *steps])


def cascade_text(outcome) -> str:
    """The new capacity and where its places go, in the CLI's wording."""
    return "\n".join([f"Nieuwe capaciteit: {outcome.capacity}.",
                      *fill_lines(outcome.cascade, indent="  ", empty=NOBODY_GETS_A_PLACE)])


class CapacityScreen(FormScreen):
    SCREEN_ID = "capacity"
    KEYS = """
    n    request=new_request   Verhoging aanvragen | Nieuwe aanvraag met reden (CAP-03)
                               | everywhere, first
    i    detail                Details | De gekozen aanvraag in detail, met de scholen
    g    approve               Goedkeuren | De gekozen aanvraag goedkeuren, met voorbeeld
                               | everywhere, first, palette=verhoging goedkeuren
    w    reject                Afwijzen | De gekozen aanvraag afwijzen
    d    declare               Volzet verklaren
         | Administratieve groepen volzet verklaren (CAP-06) | everywhere, first
    l    lift                  Opheffen | De gekozen volzetverklaring opheffen
    tab  next_list=app.focus_next  Andere lijst | Naar de andere lijst | hidden
    """
    DEFAULT_CSS = """
    CapacityScreen #decisions { height: 2fr; }
    CapacityScreen #declarations { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(" Capaciteit · verhogingen (CAP-03)", classes="title", id="t-dec")
        yield VirtualTable(DECISION_COLUMNS, id="decisions", empty="Geen aanvragen.",
                           wrap=True, mean_lines=3.0)
        yield Static(" Volzetverklaringen (CAP-06)", classes="title", id="t-decl")
        yield VirtualTable(DECLARATION_COLUMNS, id="declarations",
                           empty="Geen volzetverklaringen.", wrap=True, mean_lines=3.0)
        yield Footer()

    _decision_rows: list | None = None
    _show_decision: int | None = None  # the request to put the cursor on once read
    _declaration_rows: list | None = None

    def reload(self) -> None:
        self.db_call(capacity.list_decisions, on_done=self._decisions, group="dec",
                     exclusive=True)
        self.db_call(capacity.list_declarations, on_done=self._declarations, group="decl",
                     exclusive=True)

    def area_refreshed(self) -> None:
        """The area index came in: the school names of the requests can be shown."""
        if self._decision_rows is not None:
            self._decisions(self._decision_rows)
        if self._declaration_rows is not None:
            self._declarations(self._declaration_rows)

    def _decisions(self, rows: list) -> None:
        self._decision_rows = rows
        # pending first, then the most recent
        rows = sorted(rows, key=lambda d: (d.status != "pending", -d.id))
        table = self.query_one("#decisions", VirtualTable)
        table.set_rows([Row(d.id, [
            str(d.id), *self._school_and_level(d.level_id),
            f"{d.current_capacity}→{d.requested_capacity}",
            (DECISION_STATUS.get(d.status, d.status), STATUS_STYLE.get(d.status, "")),
            d.reason, f"{short_dt(d.requested_at)}",
            decision_words(d),
        ], data=d) for d in rows])
        if self._show_decision is not None:  # the request just made: `g` decides on it
            table.move_to_key(self._show_decision)
            self._show_decision = None
        pending = sum(1 for d in rows if d.status == "pending")
        self.query_one("#t-dec", Static).update(
            f" Capaciteit · verhogingen (CAP-03) · {pending} open · g: goedkeuren · w: afwijzen")
        self.mark_loaded()

    def _declarations(self, rows: list) -> None:
        self._declaration_rows = rows
        self.query_one("#declarations", VirtualTable).set_rows([Row(d.id, [
            str(d.id), self._groups(d.levels), short_dt(d.declared_at),
            d.declared_by, (short_dt(d.lifted_at), "") if d.lifted_at else ("actief", "bold red"),
            d.reason], data=d) for d in rows])

    # -- helpers -------------------------------------------------------------------

    def _selected(self, table_id: str):
        row = self.query_one(f"#{table_id}", VirtualTable).current
        return row.data if row is not None else None

    def _school_and_level(self, level_id: str) -> tuple[str, str]:
        """The school's name and the level ('leerjaar 1 · 2027-2028'); the level's id
        while the area is not in yet."""
        area = self.lapp.area
        c = area.level(level_id)
        if c is None:
            return level_id, ""
        return area.school_name(c.school_id, c.school_name), level_title(c)

    def _school_of(self, level_id: str) -> str:
        """'School · leerjaar 1 · 2027-28' from the counters the app already holds."""
        return self.lapp.area.place(level_id)

    def _groups(self, levels: list) -> str:
        """The groups of a declaration by school, in words, with the count at declaring:
        'Sint-Jozef, Rabot: adm.groep 6247 (23), 6248 (25) · 2026-2027' (the codes only
        while the area index is not read yet)."""
        area = self.lapp.area
        known = [(area.level(level_id), n) for level_id, n in levels]
        if any(c is None for c, _n in known):
            return ", ".join(f"{level_id} ({n})" for level_id, n in levels)
        parts = []
        by_school: dict[tuple[str, str, int], list[str]] = {}
        for c, n in known:
            by_school.setdefault((c.school_id, c.kind, c.school_year), []).append(
                f"{c.label} ({n})")
        for (school_id, kind, year), groups in by_school.items():
            parts.append(f"{area.school_name(school_id)}: "
                         + level_words(kind, ", ".join(groups), year))
        return "; ".join(parts)

    # -- raises ----------------------------------------------------------------------

    def action_detail(self) -> None:
        d = self._selected("decisions")
        if d is None:
            self.notify("Geen aanvraag gekozen.", severity="warning")
            return
        c = self.lapp.area.level(d.level_id)
        area = self.lapp.area
        lines = [f"School: {area.school_name(c.school_id, c.school_name)} ({c.school_id})"
                 if c else f"Niveau {d.level_id}",
                 f"Niveau: {level_title(c)} ({d.level_id})" if c else "",
                 f"Capaciteit: {d.current_capacity} → {d.requested_capacity}",
                 f"Reden: {d.reason}",
                 f"Aangevraagd door {d.requested_by} op {fmt_datetime(d.requested_at)}",
                 f"Status: {DECISION_STATUS.get(d.status, d.status)}"]
        if c is not None:
            lines.append(f"Nu: vrij {num(c.free_places)} · wachtenden {c.waiting_binding}"
                         + (f" (+{c.waiting - c.waiting_binding} niet meer bindend)"
                            if c.waiting != c.waiting_binding else ""))
        if d.decided_at:
            lines.append(f"Beslissing: {decision_words(d, moment=True)}")
        elif d.status == "pending":
            lines.append("g: goedkeuren (met voorbeeld) · w: afwijzen")
        # the keys the text names work in the dialog as they do on the list
        keys = {"g": "approve", "w": "reject"} if d.status == "pending" else {}
        self.app.push_screen(TextDialog(f"Verhoging {d.id}", "\n".join(x for x in lines if x),
                                        keys=keys),
                             lambda action: getattr(self, f"action_{action}")() if action else None)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        if event.table.id == "decisions":
            self.action_detail()

    def action_new_request(self, level_id: str = "") -> None:
        fields = [FormField("level_id", "Niveau", "level", value=level_id, required=True),
                  FormField("capacity", "Nieuwe capaciteit", "whole", required=True,
                            minimum=0),
                  FormField("reason", "Reden van de aanvraag", required=True)]

        def run(v: dict) -> None:
            cap = parse.whole(v["capacity"], "Nieuwe capaciteit", minimum=0)
            self.db_call(capacity.request_raise, v["level_id"], cap, reason=v["reason"],
                         on_done=self._requested)

        self._form("request", "Capaciteitsverhoging aanvragen", fields,
                   "Na de start van de inschrijvingen beslist het LOP over een verhoging "
                   "(CAP-03). De keuzelijst toont de huidige capaciteit van elk niveau.",
                   "Aanvragen", run)

    def _requested(self, d: Any) -> None:
        self._show_decision = d.id
        self._after("request", f"Aanvraag {d.id} bewaard: {self._school_of(d.level_id)} "
                    f"{d.current_capacity}→{d.requested_capacity}.")

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
            intro = approval_preview(d, outcome, self._school_of(d.level_id))
            fields = [FormField("reason", "Motivering van de beslissing", required=True),
                      FormField("ref", "Beslissingsnummer LOP (leeg = automatisch)")]

            def run(v: dict) -> None:
                self.db_call(capacity.decide_raise, d.id, approve=True, reason=v["reason"],
                             decision_ref=v["ref"] or None, at=self.lapp.now(),
                             on_done=lambda o: self._after(
                                 "approve", f"Aanvraag {d.id} goedgekeurd: capaciteit "
                                 f"{o.capacity}; {fill_counts(o.cascade)}."))

            self._form("approve", f"Verhoging {d.id} goedkeuren", fields, intro, "Goedkeuren",
                       run)

        self.db_dialog(capacity.preview_raise, d.id, at=self.lapp.now(), accept_all=False,
                     on_done=ask)

    def action_reject(self) -> None:
        d = self._pending()
        if d is None:
            return
        fields = [FormField("reason", "Motivering van de afwijzing", required=True)]

        def run(v: dict) -> None:
            self.db_call(capacity.decide_raise, d.id, approve=False, reason=v["reason"],
                         at=self.lapp.now(),
                         on_done=lambda o: self._after("reject", f"Aanvraag {d.id} afgewezen."))

        self._form("reject", f"Verhoging {d.id} afwijzen", fields,
                   f"{self._school_of(d.level_id)} ({d.level_id}) {d.current_capacity}→"
                   f"{d.requested_capacity}: {d.reason}",
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
