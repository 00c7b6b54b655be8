"""Aanbiedingen: freed places offered to children on the waiting list (WL-01..03), for one
level or the whole area — state, child, number and reply deadline; the parents' answer
(accept or decline) with the cascade it causes shown step by step; filling freed places
with a preview first."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from lopdesk.domain import registers
from lopdesk.labels import OFFER_STATUS, fmt_date, label, short_dt
from lopdesk.present import fill_lines
from lopdesk.screens.area_index import AreaIndex
from lopdesk.screens.base import TableScreen
from lopdesk.screens.dialogs import ConfirmDialog, TextDialog
from lopdesk.screens.widgets.table import Column, Row, VirtualTable, columns

# The school and the level in words; at 80 columns the level's id, who offered and when give
# way to the child's and the school's names (they then show in the detail line).
COLUMNS = [*columns("""
Status                  10
School                  14
Niveau                  15
Nr                      4 >
Kind                    18
Antw. t.e.m.            10
"""), Column("Aangeboden", 14, drop=2), Column("Door", 10, drop=1),
    Column("Niveau-id", 17, flex=False, drop=3)]


def offer_cells(o, now=None, area: AreaIndex | None = None) -> list:
    """One offer as table cells; an open offer past its reply deadline reads "verlopen"
    (the parents did not answer in time: the expert records the refusal). With the area's
    index the school's name is told apart from its namesakes and the level is in words."""
    state = label(OFFER_STATUS, o.status)
    style = "bold yellow" if o.status == "open" else ""
    if o.status == "open" and now is not None and o.reply_by is not None and o.reply_by < now:
        state, style = "verlopen", "bold red"
    area = area or AreaIndex()
    level = area.level(o.level_id)
    school = area.school_name(level.school_id, o.school_name) if level else o.school_name
    return [(state, style), school, area.level_name(o.level_id), str(o.seq), o.child_name,
            fmt_date(o.reply_by) if o.reply_by else "—", short_dt(o.offered_at),
            o.offered_by, o.level_id]


def answer(screen: Any, offer, accept: bool, done: Any = None) -> None:
    """Ask to confirm the parents' answer, record it and show the cascade step by step."""
    verb = "aanvaardt" if accept else "weigert"
    body = (f"{offer.child_name} ({offer.child_id}), "
            f"{screen.lapp.area.place(offer.level_id, offer.school_name)} nr. {offer.seq}, "
            f"{verb} de aangeboden plaats.\n\n"
            + ("Het kind wordt ingeschreven; een lager gerangschikte plaats van het kind komt "
               "vrij en wordt aangeboden aan de volgende op die wachtlijst (WL-03)."
               if accept else
               "Het kind verlaat de wachtlijst van dit niveau; de plaats gaat naar het "
               "volgende kind (WL-01)."))

    def show(report) -> None:
        screen.app.push_screen(TextDialog(
            "Aanvaard — gevolgen stap voor stap" if accept
            else "Geweigerd — gevolgen stap voor stap", "\n".join(fill_lines(report))))
        if done is not None:
            done()
        screen.reload()

    def confirmed(ok: bool | None) -> None:
        if ok:
            screen.db_call(registers.answer_offer, offer.id, accept=accept,
                           at=screen.lapp.now(), on_done=show)

    screen.app.push_screen(ConfirmDialog(
        "Aanbod aanvaard?" if accept else "Aanbod geweigerd?", body,
        yes="Aanvaard" if accept else "Geweigerd"), confirmed)


def fill_with_preview(screen: Any, level_id: str | None, area_id: str | None) -> None:
    """`fill` for a level or the area: first the preview (nothing written), then confirm."""
    where = level_id or (f"gebied {area_id}" if area_id else "alle niveaus")

    def preview(report) -> None:
        if not report.steps:
            screen.app.push_screen(TextDialog(f"Vrijgekomen plaatsen — {where}",
                                              "\n".join(fill_lines(report))))
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                screen.db_call(registers.fill, level_id, area_id=area_id,
                               at=screen.lapp.now(), on_done=lambda rep: (
                                   screen.app.push_screen(TextDialog(
                                       "Aangeboden", "\n".join(fill_lines(rep)))),
                                   screen.reload()))

        screen.app.push_screen(ConfirmDialog(
            f"Vrijgekomen plaatsen aanbieden — {where}", "\n".join(fill_lines(report)),
            yes="Aanbieden"), confirmed)

    screen.db_dialog(registers.fill, level_id, area_id=area_id, preview=True,
                   at=screen.lapp.now(), on_done=preview)


class OffersScreen(TableScreen):
    SCREEN_ID = "offers"
    KEYS = """
    escape  back                    Terug | Eén stap terug
    a,A     accept                  Aanvaard | De ouders aanvaarden het gekozen aanbod (WL-03)
    w,W     decline                 Geweigerd | De ouders weigeren het gekozen aanbod (WL-01)
    f       fill                    Aanbieden (voorbeeld)
            | Vrijgekomen plaatsen aanbieden, eerst een voorbeeld
    s       open_only=toggle_open   Enkel open | Enkel de open aanbiedingen (aan/uit)
    enter   open=enter              Registerlijn
            | De lijn van het kind in het register van het gekozen aanbod | hidden, priority
    """
    BELOW = ("summary",)

    def __init__(self, level_id: str | None = None, area_id: str | None = None) -> None:
        super().__init__()
        self.level_id = level_id
        self.area_id = area_id
        self.open_only = False
        self.rows: list = []
        # of one level: the register opened on top names its school and level
        self.crumb = ("Aanbiedingen" if level_id else f"Aanbiedingen gebied {area_id}"
                      if area_id else "Aanbiedingen alle gebieden")

    def first_title(self) -> str:
        where = self.level_id or (f"gebied {self.area_id}" if self.area_id else "alle gebieden")
        return f"Aanbiedingen vrijgekomen plaatsen · {where}"

    def make_table(self) -> VirtualTable:
        return VirtualTable(COLUMNS, id="offers-table",
                            formatter=lambda o: offer_cells(o, self.lapp.now(), self.lapp.area),
                            empty="Geen aanbiedingen. f: vrijgekomen plaatsen aanbieden.")

    def reload(self) -> None:
        self.load(registers.list_offers, self.level_id, "open" if self.open_only else None,
                  area_id=self.area_id)

    def loaded(self, rows: list) -> None:
        self.rows = rows
        # open offers first (what waits for an answer), newest first within each state
        ordered = sorted(rows, key=lambda o: (o.status != "open", -o.id))
        self.table.set_rows([Row(o.id, data=o) for o in ordered])
        n_open = sum(1 for o in rows if o.status == "open")
        self.show_title(f"{n_open} open" + (" · enkel open" if self.open_only else ""))
        self.query_one("#summary", Static).update(
            f" {n_open} open · {len(rows)} in totaal"
            + (" · enkel open" if self.open_only else "")
            + " · Enter: de registerlijn van het kind")
        self.mark_loaded()

    def _current_open(self):
        row = self.current_row()
        if row is None:
            self.notify("Geen aanbod gekozen.", severity="warning")
            return None
        if row.data.status != "open":
            self.notify(f"Dit aanbod is al {label(OFFER_STATUS, row.data.status)}.",
                        severity="warning")
            return None
        return row.data

    def action_accept(self) -> None:
        offer = self._current_open()
        if offer is not None:
            answer(self, offer, True)

    def action_decline(self) -> None:
        offer = self._current_open()
        if offer is not None:
            answer(self, offer, False)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        """Enter: the child's line in the register of the offer, with its history and the
        register's own keys (WL-01)."""
        from lopdesk.screens.register import RegisterScreen  # the register opens offers too

        offer = event.row.data
        if offer is not None:
            self.app.push_screen(RegisterScreen(offer.level_id, focus_entry=offer.entry_id))

    def action_fill(self) -> None:
        fill_with_preview(self, self.level_id, self.area_id)

    def action_toggle_open(self) -> None:
        self.open_only = not self.open_only
        self.reload()

