"""Overzicht: the area dashboard — area → schools → levels with their counters and the LOP
free-places board (CAP-05), with filters. Enter on a level opens its register."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.widgets import Input, Static

from lopdesk.domain import counters
from lopdesk.labels import (
    LEVEL_KIND,
    REGIME,
    REGIME_SHORT,
    board_cell,
    num,
    plural,
    school_year_label,
    short_dt,
)
from lopdesk.present import level_title, school_names, school_title
from lopdesk.screens.base import SearchScreen
from lopdesk.screens.dialogs import FormDialog, FormField
from lopdesk.screens.widgets.table import Column, Row, VirtualTable

COLUMNS = [
    # A school's name wraps over a second line of its row rather than being cut; a level's
    # name ("kleuters 2024 · 2026-2027") stays on one line. Where the width is short, the
    # columns a LOP reads least are left out first (highest `drop` first) and shown in the
    # detail line of the row under the cursor (docs/decisions.md).
    Column("School / niveau", 30, least=28),
    Column("Vrij", 4, "right"),
    Column("LOP-bord", 20, drop=2),  # "≠0 Nog plaatsen vrij" whole from 120 columns on
    Column("Cap", 4, "right"),
    Column("Zit", 4, "right"),
    Column("Ger I/NI", 8, "right"),
    Column("Uit I/NI", 8, "right", drop=3),
    Column("NGI I/NI", 8, "right"),
    Column("Wacht", 5, "right"),
    Column("Ovc", 3, "right", drop=4),
    Column("Reg", 5, drop=5),
    Column("Gewijzigd", 16, flex=False, drop=6),
]

# Sort keys, one per column; None sorts last either way.
SORT_KEYS = {
    "name": lambda c: f"{c.school_name} {level_title(c)}".lower(),
    "free": lambda c: c.free_places,
    "board": lambda c: c.free_places_field,
    "capacity": lambda c: c.capacity,
    "seated": lambda c: c.seated,
    "realised": lambda c: c.realised,
    "deferred": lambda c: c.deferred_indicator + c.deferred_non_indicator,
    "refused": lambda c: c.non_realised_indicator + c.non_realised_non_indicator,
    "waiting": lambda c: c.waiting_binding,
    "overcapacity": lambda c: c.overcapacity,
    "regime": lambda c: c.regime,
    "changed": lambda c: c.last_change,
}
SORT_LABELS = dict(zip(SORT_KEYS, [c.label for c in COLUMNS], strict=True))


def sort_levels(levels: list, key: str, descending: bool = False) -> list:
    """Levels in the order of one column; levels without a value come last."""
    get = SORT_KEYS[key]
    known = [c for c in levels if get(c) is not None]
    unknown = [c for c in levels if get(c) is None]
    return sorted(known, key=get, reverse=descending) + unknown


def waiting_cell(c) -> str:
    """Children on a binding waiting list; a list that no longer binds in brackets (WL-01)."""
    if c.waiting and not c.waiting_binds:
        return f"({c.waiting})"
    return str(c.waiting)


def summary_scope(area_ids: list[str]) -> str:
    """What the line under the table adds up: every level shown, of one area (then it
    equals that area's Σ row) or of several (the sum of their Σ rows, a sub-area too)."""
    if len(area_ids) == 1:
        return f"Σ gebied {area_ids[0]}"
    return f"Σ {len(area_ids)} gebieden ({', '.join(area_ids)})"


def pair(a: int, b: int) -> str:
    return f"{a}/{b}"


@dataclass
class Filters:
    text: str = ""
    neighbourhood: str | None = None
    kind: str | None = None
    regime: str | None = None
    school_year: int | None = None
    full: bool = False
    waiting: bool = False
    free: bool = False  # only levels with free places > 0
    label: str = ""  # exact level: year, birth year or administrative group
    sort: str | None = None  # a key of SORT_KEYS: a flat list of levels in that order
    descending: bool = False
    collapsed: set[str] = field(default_factory=set)

    def describe(self) -> str:
        parts = []
        if self.school_year:
            parts.append(school_year_label(self.school_year))
        if self.regime:
            parts.append(f"regime {REGIME_SHORT[self.regime]}")
        if self.neighbourhood:
            parts.append(self.neighbourhood)
        if self.kind:
            parts.append(LEVEL_KIND.get(self.kind, self.kind))
        if self.label:
            parts.append(f"niveau {self.label}")
        if self.free:
            parts.append("vrije plaatsen")
        if self.sort:
            parts.append(f"gesorteerd op {SORT_LABELS[self.sort]}"
                         + (" (aflopend)" if self.descending else ""))
        if self.full:
            parts.append("volzet")
        if self.waiting:
            parts.append("met wachtlijst")
        if self.text:
            parts.append(f"'{self.text}'")
        return ", ".join(parts) if parts else "geen filter"

    def keeps(self, c) -> bool:
        if self.neighbourhood and c.neighbourhood != self.neighbourhood:
            return False
        if self.kind and c.kind != self.kind:
            return False
        if self.regime and c.regime != self.regime:
            return False
        if self.school_year and c.school_year != self.school_year:
            return False
        if self.full and not (c.full or c.free_places == 0 or c.free_places_field == "0"):
            return False
        if self.waiting and c.waiting == 0:
            return False
        if self.free and not (c.free_places or 0) > 0:
            return False
        if self.label and c.label.strip().lower() != self.label.strip().lower():
            return False
        if self.text:
            hay = f"{c.school_name} {c.neighbourhood} {c.level_id} {c.school_id} " \
                  f"{level_title(c)}".lower()
            if not all(w in hay for w in self.text.lower().split()):
                return False
        return True


class OverviewScreen(SearchScreen):
    SCREEN_ID = "overview"
    COLUMNS = COLUMNS
    SEARCH_ON = "school, buurt of niveau"
    KEYS = """
    slash   search                  Zoeken | Zoek op school, buurt of niveau
    f       filters                 Filters | Buurt, niveau, regime, schooljaar, volzet, wachtlijst
                                    | everywhere, first
    v       full=toggle_full        Volzet | Enkel volzette niveaus (aan/uit)
    w       waiting=toggle_waiting  Wachtlijst | Enkel niveaus met een wachtlijst (aan/uit)
    p       free=toggle_free        Vrij > 0 | Enkel niveaus met vrije plaatsen (aan/uit)
    o       sort                    Sorteren | Sorteren op een kolom
    a       offers                  Aanbiedingen | De open aanbiedingen van het gebied | first
    s       year=cycle_year         Schooljaar | Volgend schooljaar; na het laatste alle jaren
    r       regime=cycle_regime     Regime | Oud regime, nieuw regime of beide | hidden
    e       board=edit_board        LOP-bord
            | Vrije plaatsen op het LOP-bord van het gekozen niveau (CAP-05) | row, first
    x       collapse=toggle_all     In/uitklappen | Alle scholen in- of uitklappen | hidden
    escape  clear                   Filter wissen
            | Alle filters en de zoektekst wissen; het schooljaar blijft (s) | hidden
    """
    BELOW = ("summary",)
    COMPACT_FOOTER = True
    WRAP = True
    LEGEND = ("Ovc: overcapaciteit", "Zit: zittende leerlingen",
              "≠: LOP-bord wijkt af van de berekende vrije plaatsen",
              "Ger/Uit/NGI: gerealiseerd, uitgesteld, niet-gerealiseerd",
              "I/NI: indicator, niet-indicator", "Reg: regime (VZ: volzet)")
    TABLE_ID, EMPTY = "overzicht-table", "Geen niveaus voor deze filter."

    def allows(self, action: str) -> bool:
        if action == "edit_board":  # a level, not an area or a school
            return self.current_row().key[0] == "level"
        return True

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.data: list = []
        self._years: list[int] = []

    def first_title(self) -> str:
        return self.screen_title

    # -- data ----------------------------------------------------------------------

    def reload(self) -> None:
        self.load(counters.area_counters, at=self.lapp.now())

    def loaded(self, data: list) -> None:
        self.data = data
        self._years = sorted({c.school_year for c in data})
        self.mark_loaded()
        self._show()

    def _show(self) -> None:
        f = self.filters
        rows: list[Row] = []
        shown = [c for c in self.data if f.keeps(c)]
        by_area: dict[str, dict[str, list]] = {}
        for c in shown:
            by_area.setdefault(c.area_id, {}).setdefault(c.school_id, []).append(c)
        for area_id, schools in by_area.items():
            levels = [c for cs in schools.values() for c in cs]
            # The area's row carries its totals (every counted column summed).
            rows.append(Row(("area", area_id), [
                f"▌ Σ Gebied {area_id} ({len(schools)} sch.)", *_totals(levels)],
                style="bold reverse"))
            if f.sort:
                names = school_names(self.data)
                rows += [_level_row(c, f"   {names[c.school_id]} · ")
                         for c in sort_levels(levels, f.sort, f.descending)]
            else:
                rows += self._school_rows(schools)
        table = self.query_one(VirtualTable)
        table.set_rows(rows)
        n_levels = len(shown)
        self.show_title(f"{plural(n_levels, 'niveau', 'niveaus')} · {f.describe()}")
        binding = sum(c.waiting_binding for c in shown)
        loose = sum(c.waiting for c in shown) - binding
        mismatch = sum(1 for c in shown if c.board_disagrees)
        self.query_one("#summary", Static).update(
            f" {summary_scope(list(by_area))}: "
            f"Vrij {_sum(c.free_places for c in shown) or 0} · wachtend {binding}"
            + (f" (+{loose} niet meer bindend)" if loose else "")
            + f" · uitgesteld "
            f"{sum(c.deferred_indicator + c.deferred_non_indicator for c in shown)} · "
            f"volzet {sum(1 for c in shown if c.full)}"
            + (f" · LOP-bord ≠ berekend: {mismatch}" if mismatch else ""))

    def _school_rows(self, schools: dict[str, list]) -> list[Row]:
        rows: list[Row] = []
        names = school_names(self.data)
        for school_id, cs in schools.items():
            first = cs[0]
            folded = school_id in self.filters.collapsed
            mark = "▸" if folded else "▾"
            rows.append(Row(("school", school_id), [
                f"{mark} {school_title(names[school_id], first.neighbourhood)}",
                num(_sum(c.free_places for c in cs)), "",
                num(_sum(c.capacity for c in cs)), str(sum(c.seated for c in cs)),
                "", "", "", str(sum(c.waiting_binding for c in cs)), "", "", ""],
                style="bold", data=first,
                search=f"{first.school_name} {first.neighbourhood} {school_id}".lower()))
            if not folded:
                rows += [_level_row(c, "   ") for c in cs]
        return rows

    # -- events --------------------------------------------------------------------

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        kind, key = event.row.key
        if kind == "level":
            self.open_register(key)
        elif kind == "school":
            self.filters.collapsed ^= {key}
            self._show()

    def show_school(self, school_id: str) -> None:
        """Jump to a school (from the palette): clear the filters, put the cursor on it."""
        self.filters = Filters()
        search = self.query_one("#search", Input)
        search.value = ""
        self._show()
        table = self.query_one(VirtualTable)
        table.move_to_key(("school", school_id))
        table.focus()

    def open_register(self, level_id: str) -> None:
        from lopdesk.screens.register import RegisterScreen

        self.app.push_screen(RegisterScreen(level_id))

    def search_changed(self, text: str) -> None:
        self.filters.text = text  # the search is one of the filters
        self._show()

    def action_clear(self) -> None:
        self.filters = Filters(school_year=self.filters.school_year)
        self.hide_search()
        self._show()

    def action_toggle_full(self) -> None:
        self.filters.full = not self.filters.full
        self._show()

    def action_offers(self) -> None:
        """The offers of freed places of the area under the cursor (or of every area)."""
        from lopdesk.screens.offers import OffersScreen

        row = self.query_one(VirtualTable).current
        area_id = None
        if row is not None:
            area_id = row.key[1] if row.key[0] == "area" else getattr(row.data, "area_id", None)
        self.app.push_screen(OffersScreen(area_id=area_id))

    def action_toggle_free(self) -> None:
        self.filters.free = not self.filters.free
        self._show()

    def action_sort(self) -> None:
        f = self.filters
        fields = [
            FormField("sort", "Sorteren op kolom (leeg = per school)", "select", f.sort,
                      [(label, key) for key, label in SORT_LABELS.items()]),
            FormField("descending", "Aflopend", "check", f.descending),
        ]

        def done(values: dict | None) -> None:
            if values is None:
                return
            f.sort = values["sort"] or None
            f.descending = bool(values["descending"])
            self._show()

        self.app.push_screen(FormDialog("Sorteren", fields, submit="Sorteren"), done)

    def action_toggle_waiting(self) -> None:
        self.filters.waiting = not self.filters.waiting
        self._show()

    def action_cycle_year(self) -> None:
        options = [None, *self._years]
        i = options.index(self.filters.school_year) if self.filters.school_year in options else 0
        self.filters.school_year = options[(i + 1) % len(options)]
        self._show()

    def action_cycle_regime(self) -> None:
        options = [None, "old", "new"]
        self.filters.regime = options[(options.index(self.filters.regime) + 1) % 3]
        self._show()

    def action_toggle_all(self) -> None:
        schools = {c.school_id for c in self.data}
        self.filters.collapsed = set() if self.filters.collapsed else schools
        self._show()

    def action_filters(self) -> None:
        f = self.filters
        hoods = sorted({c.neighbourhood for c in self.data if c.neighbourhood})
        kinds = sorted({c.kind for c in self.data})
        fields = [
            FormField("neighbourhood", "Buurt", "select", f.neighbourhood,
                      [(h, h) for h in hoods]),
            FormField("kind", "Soort niveau", "select", f.kind,
                      [(LEVEL_KIND.get(k, k), k) for k in kinds]),
            FormField("label", "Niveau exact (leerjaar, geboortejaar of adm. groep)",
                      value=f.label, placeholder="bv. 1, 2024 of 6246"),
            FormField("regime", "Regime", "select", f.regime,
                      [(REGIME[r], r) for r in ("old", "new")]),
            FormField("school_year", "Schooljaar", "select", f.school_year,
                      [(school_year_label(y), y) for y in self._years]),
            FormField("full", "Enkel volzet", "check", f.full),
            FormField("waiting", "Enkel met wachtlijst", "check", f.waiting),
            FormField("free", "Enkel met vrije plaatsen (> 0)", "check", f.free),
        ]

        def done(values: dict | None) -> None:
            if values is None:
                return
            for key, value in values.items():
                setattr(self.filters, key, value)
            self._show()

        self.app.push_screen(FormDialog("Filters", fields, submit="Toepassen"), done)

    def action_edit_board(self) -> None:
        row = self.query_one(VirtualTable).current
        if row is None or row.key[0] != "level":
            self.notify("Kies eerst een niveau (pijltjes) om het LOP-bord aan te passen.")
            return
        c = row.data
        fields = [FormField("value", "Vrije plaatsen op het LOP-bord", value=c.free_places_field,
                            placeholder="leeg, 0, JA of een positief getal")]
        intro = (f"{self.lapp.area.school_name(c.school_id, c.school_name)} — "
                 f"{level_title(c)}\n"
                 "Leeg = 'Nog plaatsen vrij'; 0 = volzet (rood); JA = plaatsen, aantal niet "
                 "bekendgemaakt; of een positief getal (CAP-05).")

        def save(values: dict) -> None:
            from lopdesk.domain import capacity  # loads the ORM: not before the first screen

            self.db_call(capacity.set_free_places_field, c.level_id, values["value"],
                         expected_version=c.version,
                         on_done=lambda _r: (self.notify("LOP-bord bijgewerkt."), self.reload()))

        self.app.push_screen(FormDialog("LOP-bord aanpassen", fields, intro=intro, save=save))


def _level_row(c, prefix: str) -> Row:
    board, style = board_cell(c.free_places_field)
    if c.board_disagrees:  # CAP-05 against CAP-04: flagged in words, not colour alone
        # the flag first: it stays in view when the column cuts the board's text
        board, style = f"≠{num(c.free_places)} {board}", "bold black on yellow"
    return Row(("level", c.level_id), [
        f"{prefix}{level_title(c)}", num(c.free_places), (board, style),
        num(c.capacity), str(c.seated),
        pair(c.realised_indicator, c.realised_non_indicator),
        pair(c.deferred_indicator, c.deferred_non_indicator),
        pair(c.non_realised_indicator, c.non_realised_non_indicator),
        waiting_cell(c), str(c.overcapacity) if c.overcapacity else "",
        REGIME_SHORT.get(c.regime, c.regime) + (" VZ" if c.full else ""),
        short_dt(c.last_change)], data=c)


def _totals(levels: list) -> list[str]:
    """The summed columns of a group of levels (free places, capacity, counts)."""
    return [
        num(_sum(c.free_places for c in levels)), "", num(_sum(c.capacity for c in levels)),
        str(sum(c.seated for c in levels)),
        pair(sum(c.realised_indicator for c in levels),
             sum(c.realised_non_indicator for c in levels)),
        pair(sum(c.deferred_indicator for c in levels),
             sum(c.deferred_non_indicator for c in levels)),
        pair(sum(c.non_realised_indicator for c in levels),
             sum(c.non_realised_non_indicator for c in levels)),
        str(sum(c.waiting_binding for c in levels)),
        str(sum(c.overcapacity for c in levels) or ""),
    ]


def _sum(values) -> int | None:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None
