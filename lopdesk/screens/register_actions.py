"""The register screen's actions that open other screens or documents: offers (WL-01..03),
priority periods (REG-04, REG-05), the register extract and the refusal notice (NGI-01)."""

from __future__ import annotations

from typing import Any

from lopdesk import parse, present
from lopdesk.domain import directory, mediation, registers
from lopdesk.domain.register_view import requested_at
from lopdesk.errors import NeedsConfirmation
from lopdesk.labels import (
    CONTINGENT,
    NOTICE_MODE,
    NOTICE_SENDER,
    PRIORITY_GROUP,
    STATUS,
    fmt_date,
    fmt_datetime,
)
from lopdesk.screens.dialogs import ConfirmDialog, TextDialog


class RegisterActions:
    """Mixed into RegisterScreen: `self` is that screen (level_id, offers, current_entry)."""

    level_id: str
    offers: dict[int, Any]

    def action_history(self: Any) -> None:
        """REG-02: the line's history with the offers made to it (WL-01), in time order."""
        e = self.current_entry()
        if e is None:
            return

        def show(steps: list) -> None:
            lines = [f"Nr. {e.seq} · {e.child_name} ({e.child_id}) · "
                     f"{PRIORITY_GROUP.get(e.priority_group)} · {CONTINGENT.get(e.contingent)}",
                     f"Aangevraagd {fmt_datetime(requested_at(e))} · nu {STATUS[e.status]}", "",
                     *present.history_lines(steps)]
            self.app.push_screen(TextDialog(f"Historiek van inschrijving {e.seq}",
                                            "\n".join(lines)))

        self.db_dialog(registers.entry_timeline, e.id, at=self.lapp.now(), on_done=show)

    def action_answer_offer(self, accept: bool) -> None:
        from lopdesk.screens.offers import answer

        e = self.current_entry()
        if e is None:
            return
        offer = self.offers.get(e.id)
        if offer is None:
            self.notify(f"Nr. {e.seq} heeft geen open aanbod van een vrijgekomen plaats.",
                        severity="warning")
            return
        answer(self, offer, accept)

    def action_offers(self) -> None:
        from lopdesk.screens.offers import OffersScreen

        self.app.push_screen(OffersScreen(level_id=self.level_id))

    def action_periods(self) -> None:
        from lopdesk.screens.periods import PeriodsScreen

        self.app.push_screen(PeriodsScreen(level_id=self.level_id))

    def action_document(self) -> None:
        """The register extract of this level (REG-02), previewed before it is saved."""
        from lopdesk.screens.documents import open_register_extract

        open_register_extract(self.app, level_id=self.level_id)

    def action_notice(self) -> None:
        """The refusal notice (NGI-01) of the entry under the cursor, previewed."""
        from lopdesk.screens.documents import open_notice

        e = self.current_entry()
        if e is not None:
            open_notice(self.app, e.id, f"{e.child_name} nr. {e.seq}")

    def action_record_notice(self) -> None:
        """NGI-02/03: record how and when the refusal notice of the line under the cursor
        reached the parents; confirmed first, written and audited by the domain. The form
        is opened on the line's facts: a notice already recorded is shown instead, the LOP
        is offered as sender only under the school's mandate, and a late delivery is named
        in the confirmation."""
        e = self.current_entry()
        if e is not None:
            self.db_dialog(mediation.notice_facts, e.id,
                           on_done=lambda facts: self._notice_form(e, facts))

    def _notice_form(self, e: Any, facts: Any) -> None:
        from lopdesk.screens.dialogs import FormField

        if facts.refused_at is None:
            self.notify(f"Nr. {e.seq} werd nooit niet-gerealiseerd: er is geen mededeling "
                        "nodig (NGI-02).", severity="warning")
            return
        if facts.recorded is not None:
            self.notify(present.notice_already(facts.recorded), title=f"Nr. {e.seq}")
            return
        senders = [k for k in NOTICE_SENDER if k != "lop" or facts.mandated]
        fields = [
            FormField("mode", "Wijze van bezorging", "choice", "receipt",
                      [(NOTICE_MODE[m], m) for m in NOTICE_MODE], required=True),
            FormField("on", "Bezorgd op", "day", fmt_date(self.lapp.today()), required=True),
            FormField("sent_by", "Verstuurd door (leeg = het LOP, volgens het mandaat)"
                      if facts.mandated else "Verstuurd door", "choice",
                      None if facts.mandated else "school",
                      [(NOTICE_SENDER[k], k) for k in senders]),
            FormField("note", "Notitie"),
        ]

        def run(v: dict) -> None:
            on = parse.day(v["on"], "Bezorgd op")
            what = (f"{e.child_name} ({e.child_id}), nr. {e.seq}: mededeling "
                    f"{NOTICE_MODE[v['mode']]} bezorgd op {fmt_date(on)}.")
            what += present.notice_lateness(facts.refused_at, facts.due, on)
            # asked once the form has closed (a save that opens a screen over its own form
            # would leave the form open under it)
            self.app.call_later(self.app.push_screen,
                                ConfirmDialog("Bezorging van de mededeling vastleggen", what,
                                              yes="Vastleggen"),
                                lambda ok: self._record_notice(e, v, on) if ok else None)

        mandate = "" if facts.mandated else " Geen mandaat voor het LOP: de school verstuurt."
        self._form("notice", f"Mededeling nr. {e.seq} bezorgd", fields,
                   f"{e.child_name} ({e.child_id}), niet-gerealiseerd op "
                   f"{fmt_date(facts.refused_at)}: tijdig bezorgd t.e.m. {fmt_date(facts.due)} "
                   f"(NGI-02).{mandate} De klachtentermijn (CLR) loopt vanaf de bezorging.",
                   "Verder", run)

    def _record_notice(self, e: Any, v: dict, on: Any, confirmed: bool = False) -> None:
        def open_offer(exc: BaseException) -> None:
            if isinstance(exc, NeedsConfirmation) and not confirmed:
                self.app.push_screen(
                    ConfirmDialog("Open aanbod (WL-01)", exc.message, yes="Toch vastleggen"),
                    lambda ok: self._record_notice(e, v, on, True) if ok else None)

        self.db_call(mediation.record_notice, e.id, mode=v["mode"], delivered_on=on,
                     sent_by=v["sent_by"] or None, note=v["note"], at=self.lapp.now(),
                     confirm_open_offer=confirmed,
                     on_done=lambda n: self._after("notice", present.notice_recorded(n)),
                     on_error=open_offer)

    def action_close_period(self) -> None:
        self.db_dialog(directory.list_periods, self.level_id, on_done=self._pick_period)

    def _pick_period(self, periods: list) -> None:
        open_ = [p for p in periods if p.open and p.kind == "priority"]
        if not open_:
            self.notify("Dit niveau heeft geen open voorrangsperiode.", severity="warning")
            return
        from lopdesk.screens.periods import close_with_preview

        close_with_preview(self, open_[0].id)
