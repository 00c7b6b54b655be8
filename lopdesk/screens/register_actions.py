"""The register screen's actions that open other screens or documents: offers (WL-01..03),
priority periods (REG-04, REG-05), the register extract and the refusal notice (NGI-01)."""

from __future__ import annotations

from typing import Any

from lopdesk.domain import directory


class RegisterActions:
    """Mixed into RegisterScreen: `self` is that screen (level_id, offers, current_entry)."""

    level_id: str
    offers: dict[int, Any]

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

    def action_close_period(self) -> None:
        self.db_dialog(directory.list_periods, self.level_id, on_done=self._pick_period)

    def _pick_period(self, periods: list) -> None:
        open_ = [p for p in periods if p.open and p.kind == "priority"]
        if not open_:
            self.notify("Dit niveau heeft geen open voorrangsperiode.", severity="warning")
            return
        from lopdesk.screens.periods import close_with_preview

        close_with_preview(self, open_[0].id)
