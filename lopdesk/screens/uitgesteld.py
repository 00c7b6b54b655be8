"""Uitgesteld / Niet-gerealiseerd: across the area, children with deferred or non-realised
requests — one row per child with all its schools and waiting-list positions, and the
deadline that applies (WL-01: the order binds up to that day)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from lopdesk.domain import counters, registers
from lopdesk.screens.base import DataScreen
from lopdesk.screens.dialogs import PickDialog
from lopdesk.screens.labels import STATUS_SHORT, fmt_date
from lopdesk.screens.overzicht import level_title
from lopdesk.screens.widgets.table import Column, Row, VirtualTable

COLUMNS = [
    Column("Kind", 22),
    Column("Id", 9),
    Column("#", 2, "right"),
    Column("Termijn", 10),
    Column("Scholen en posities", 80),
]


@dataclass
class Place:
    level_id: str
    school_name: str
    level: str
    status: str
    seq: int
    position: int | None  # place on the waiting list (non-realised)
    deadline: date | None
    binds: bool
    entry_id: int


@dataclass
class RefusedChild:
    child_id: str
    name: str
    places: list[Place] = field(default_factory=list)

    def deadline(self) -> tuple[str, str]:
        binding = sorted(p.deadline for p in self.places
                         if p.status == "non_realised" and p.binds and p.deadline)
        if binding:
            return fmt_date(binding[0]), ""
        if any(p.status == "deferred" for p in self.places):
            return "periode", "yellow"
        return "verstreken", "bright_black"


def gather(db, progress: Callable[[int, int], None] | None = None) -> list[RefusedChild]:
    """Composed from the domain services: the area counters, then each concerned register."""
    levels = [c for c in counters.area_counters(db)
              if c.waiting or c.deferred_indicator or c.deferred_non_indicator]
    children: dict[str, RefusedChild] = {}
    for i, c in enumerate(levels):
        if progress is not None and i % 10 == 0:
            progress(i, len(levels))
        view = registers.waiting_list(db, c.level_id)
        title = level_title(c)
        for pos, e in enumerate(view.entries, 1):
            child = children.setdefault(e.child_id, RefusedChild(e.child_id, e.child_name))
            child.places.append(Place(c.level_id, c.school_name, title, e.status, e.seq, pos,
                                      view.deadline, view.binds, e.id))
        if c.deferred_indicator or c.deferred_non_indicator:
            for e in registers.list_entries(db, c.level_id):
                if e.status != "deferred":
                    continue
                child = children.setdefault(e.child_id, RefusedChild(e.child_id, e.child_name))
                child.places.append(Place(c.level_id, c.school_name, title, e.status, e.seq,
                                          None, None, False, e.id))
    return sorted(children.values(), key=lambda ch: (ch.name.lower(), ch.child_id))


def places_text(child: RefusedChild) -> str:
    parts = []
    for p in child.places:
        pos = f" #{p.position}" if p.position else ""
        parts.append(f"{p.school_name} ({p.level}): {STATUS_SHORT[p.status]}{pos}")
    return "; ".join(parts)


class UitgesteldScreen(DataScreen):
    BINDINGS = [
        Binding("slash", "search", "Zoeken", id="uitgesteld.search"),
        Binding("b", "only_binding", "Enkel bindend", id="uitgesteld.binding"),
        Binding("escape", "clear", "Filter wissen", id="uitgesteld.clear", show=False),
    ]
    DEFAULT_CSS = """
    UitgesteldScreen #title { height: 1; background: $primary 40%; text-style: bold; }
    UitgesteldScreen #search { height: 1; border: none; padding: 0 1; display: none; }
    UitgesteldScreen #search.shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.children_rows: list[RefusedChild] = []
        self.only_binding = False
        self.text = ""
        self.focus_child: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(" Uitgesteld / Niet-gerealiseerd · laden…", id="title")
        yield Input(placeholder="zoek naam, kind-id of school…", id="search")
        yield VirtualTable(COLUMNS, id="uitgesteld-table", formatter=_cells,
                           searcher=lambda ch: f"{ch.name} {ch.child_id} {places_text(ch)}",
                           empty="Geen uitgestelde of niet-gerealiseerde aanvragen.")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VirtualTable).focus()
        self.reload()

    def reload(self) -> None:
        def progress(i: int, n: int) -> None:
            self.app.call_from_thread(self._progress, i, n)

        self.db_call(gather, progress, on_done=self._loaded, group="load", exclusive=True)

    def _progress(self, i: int, n: int) -> None:
        if not self.children_rows:
            self.query_one("#title", Static).update(
                f" Uitgesteld / Niet-gerealiseerd · laden… {i}/{n} niveaus")

    def _loaded(self, rows: list[RefusedChild]) -> None:
        self.children_rows = rows
        self.query_one(VirtualTable).set_rows([Row(ch.child_id, data=ch) for ch in rows])
        self._apply()
        self.mark_loaded()
        if self.focus_child:
            self.show_child(self.focus_child)

    def _apply(self) -> None:
        table = self.query_one(VirtualTable)
        text = table.text_filter(self.text)
        if self.only_binding:
            table.set_filter(lambda r: r.data.deadline()[1] == "" and (text is None or text(r)))
        else:
            table.set_filter(text)
        n_multi = sum(1 for ch in self.children_rows if len(ch.places) > 1)
        self.query_one("#title", Static).update(
            f" Uitgesteld / Niet-gerealiseerd · {len(table.rows)} kinderen "
            f"({n_multi} bij meer dan één school)"
            + (" · enkel met bindende wachtlijst" if self.only_binding else ""))

    def show_child(self, child_id: str) -> None:
        """Jump to a child (from the palette)."""
        self.focus_child = child_id
        if self.children_rows:
            self.text = ""
            self._apply()
            if not self.query_one(VirtualTable).move_to_key(child_id):
                self.notify(f"Kind {child_id} heeft geen uitgestelde of niet-gerealiseerde "
                            "aanvraag.")
            self.focus_child = None

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text = event.value
        self._apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(VirtualTable).focus()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.remove_class("shown")
        self.only_binding = False
        self.query_one(VirtualTable).focus()
        self._apply()

    def action_only_binding(self) -> None:
        self.only_binding = not self.only_binding
        self._apply()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        child: RefusedChild = event.row.data
        rows = [Row(p.entry_id, [p.school_name, p.level, STATUS_SHORT[p.status], str(p.seq),
                                 f"#{p.position}" if p.position else "",
                                 fmt_date(p.deadline) if p.deadline else ""], data=p)
                for p in child.places]
        by_id = {p.entry_id: p for p in child.places}

        def chosen(key) -> None:
            if key is None:
                return
            from lopdesk.screens.register import RegisterScreen

            self.app.push_screen(RegisterScreen(by_id[key].level_id, focus_entry=key))

        cols = [Column("School", 24), Column("Niveau", 22), Column("St", 3),
                Column("Nr", 4, "right"), Column("Pos", 4), Column("Termijn", 10)]
        self.app.push_screen(PickDialog(
            f"{child.name} ({child.child_id})", cols, rows,
            intro="Enter opent het register op deze inschrijving."), chosen)


def _cells(ch: RefusedChild) -> list:
    return [ch.name, ch.child_id, str(len(ch.places)), ch.deadline(), places_text(ch)]

