"""Uitgesteld / Niet-gerealiseerd: across the area, children with deferred or non-realised
requests — one row per child with all its schools and waiting-list positions, and the
deadline that applies (WL-01: the order binds up to that day)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from textual.widgets import Static

from lopdesk.domain import directory
from lopdesk.domain.register_view import gc_paused, level_deadlines
from lopdesk.labels import STATUS_SHORT, fmt_date, level_words, plural
from lopdesk.screens.area_index import AreaIndex
from lopdesk.screens.base import SearchScreen
from lopdesk.screens.pick_dialog import PickDialog
from lopdesk.screens.widgets.table import Column, Row, VirtualTable, columns

# "Elders": the child already has a place at another school for that year and grade
# (MED-01); where, is said at the end of its schools.
COLUMNS = columns("""
Kind                    22
Id                      9
#                       2 >
Termijn                 10
Elders                  6 fixed
Scholen en posities     80
""")
ELSEWHERE = "ja"


@dataclass
class Place:
    level_id: str
    school_name: str
    level: str
    status: str
    seq: int
    position: int | None  # allocation position on the waiting list (REG-07), if any
    deadline: date | None
    binds: bool
    place: int | None = None  # place on the level's waiting list (REG-07), as the register


@dataclass
class RefusedChild:
    child_id: str
    name: str
    places: list[Place] = field(default_factory=list)
    placed: str = ""  # MED-01: the school where it has a place for that year and grade
    search: str = ""  # what the search finds the child by (made off the UI thread)
    cells: list = field(default_factory=list)  # the table's cells (made off the UI thread)

    def deadline(self) -> tuple[str, str]:
        binding = sorted(p.deadline for p in self.places
                         if p.status == "non_realised" and p.binds and p.deadline)
        if binding:
            return fmt_date(binding[0]), ""
        if any(p.status == "deferred" for p in self.places):
            return "periode", "yellow"
        return "verstreken", "bright_black"


def gather(db, at: datetime | None = None, area: AreaIndex | None = None
           ) -> list[RefusedChild]:
    """One grouped read of the refused children (directory.refused_children), and the
    WL-01 deadline of each level concerned (one more read); schools named as in the area
    index (told apart by their neighbourhood), levels in words."""
    with gc_paused():  # some 100,000 objects: no full pass over the app's heap meanwhile
        return _gather(db, at, area or AreaIndex())


def _gather(db, at: datetime | None, area: AreaIndex) -> list[RefusedChild]:
    refused = directory.refused_children(db)
    levels = {r.level_id for ch in refused for r in ch.requests}
    deadlines = level_deadlines(db, sorted(levels), at)
    named: dict[str, tuple[str, str]] = {}  # a level's school and words, once a level

    def names(r) -> tuple[str, str]:
        got = named.get(r.level_id)
        if got is None:
            got = named[r.level_id] = (area.school_name(r.school_id, r.school_name),
                                       level_words(r.kind, r.label, r.school_year))
        return got

    out = []
    for ch in refused:
        row = RefusedChild(ch.child_id, ch.name,
                           placed=names(ch.placed)[0] if ch.placed else "")
        for r in ch.requests:
            deadline, binds = deadlines.get(r.level_id, (None, False))
            refused_here = r.status == "non_realised"
            row.places.append(Place(r.level_id, *names(r), r.status, r.seq,
                                    r.waitlist_position, deadline if refused_here else None,
                                    binds and refused_here, r.place))
        row.cells = _cells(row)
        row.search = f"{row.name} {row.child_id} {row.cells[-1]}".lower()
        out.append(row)
    return sorted(out, key=lambda ch: (ch.name.lower(), ch.child_id))


def place_words(p: Place) -> str:
    """The place on the waiting list as the register shows it: "#3 (R2)"."""
    return " ".join(filter(None, (f"#{p.place}" if p.place else "",
                                  f"(R{p.position})" if p.position else "")))


def places_text(child: RefusedChild) -> str:
    """Each school with the level, status and place; then where the child is enrolled."""
    return "; ".join([f"{p.school_name} ({p.level}): " +
                      " ".join(filter(None, (STATUS_SHORT[p.status], place_words(p))))
                      for p in child.places]
                     + ([f"ingeschreven in {child.placed}"] if child.placed else []))


class DeferredScreen(SearchScreen):
    SCREEN_ID = "deferred"
    SEARCH_ON = "naam, kind-id of school"
    KEYS = """
    slash   search                  Zoeken | Zoek op naam, kind-id of school
    b       binding=only_binding    Enkel bindend
            | Enkel kinderen op een wachtlijst die nog bindt (aan/uit)
    f       child=child_file        Dossier kind | Alle inschrijvingen van het gekozen kind | row
    n       case=new_case           Bemiddeling
            | Bemiddelingsdossier openen voor het gekozen kind (MED-01) | row, first
    escape  clear                   Filter wissen | Filter en zoektekst wissen | hidden
    """

    def __init__(self) -> None:
        super().__init__()
        self.children_rows: list[RefusedChild] = []
        self.only_binding = False
        self.focus_child: str | None = None
        self._named = False  # schools named from the area index (else as stored)

    def make_table(self) -> VirtualTable:
        return VirtualTable(COLUMNS, id="uitgesteld-table", formatter=_cells,
                            searcher=lambda ch: ch.search,
                            empty="Geen uitgestelde of niet-gerealiseerde aanvragen.")

    def reload(self) -> None:
        self.load(gather, self.lapp.now(), self.lapp.area)

    def area_refreshed(self) -> None:
        """The area index came in: read again if the schools were not named yet."""
        if not self._named:
            self.reload()

    def loaded(self, rows: list[RefusedChild]) -> None:
        self._named = bool(self.lapp.area.levels)
        self.children_rows = rows
        with gc_paused():  # a row and the lines of its texts for each child
            self.table.set_rows([Row(ch.child_id, ch.cells, data=ch, search=ch.search)
                                 for ch in rows])
            self.apply_filter()
        self.mark_loaded()
        if self.focus_child:
            self.show_child(self.focus_child)

    def apply_filter(self) -> None:
        table = self.filter_rows((lambda ch: ch.deadline()[1] == "") if self.only_binding
                                 else None)
        shown = [row.data for row in table.rows]
        n_multi = sum(1 for ch in shown if len(ch.places) > 1)
        of = f" van {len(self.children_rows)}" if len(shown) < len(self.children_rows) else ""
        self.query_one("#title", Static).update(
            f" Uitgesteld / Niet-gerealiseerd · {plural(len(shown), 'kind', 'kinderen')}{of} "
            f"({n_multi} bij meer dan één school)"
            + (" · enkel met bindende wachtlijst" if self.only_binding else ""))

    def show_child(self, child_id: str) -> None:
        """Jump to a child (from the palette)."""
        self.focus_child = child_id
        if self.children_rows:
            self.text = ""
            self.apply_filter()
            if not self.query_one(VirtualTable).move_to_key(child_id):
                self.notify(f"Kind {child_id} heeft geen uitgestelde of niet-gerealiseerde "
                            "aanvraag.")
            self.focus_child = None

    def action_clear(self) -> None:
        self.hide_search()
        self.only_binding = False
        self.apply_filter()

    def action_only_binding(self) -> None:
        self.only_binding = not self.only_binding
        self.apply_filter()

    def _current(self) -> RefusedChild | None:
        return self.current_data("Geen kind gekozen.")

    def action_child_file(self) -> None:
        from lopdesk.screens.mediation import ChildFileScreen

        child = self._current()
        if child is not None:
            self.app.push_screen(ChildFileScreen(child.child_id))

    def action_new_case(self) -> None:
        from lopdesk.screens.mediation import open_case_dialog

        child = self._current()
        if child is not None:
            open_case_dialog(self.app, child.child_id, child_name=child.name)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        child: RefusedChild = event.row.data
        rows = [Row((p.level_id, p.seq), [p.school_name, p.level, STATUS_SHORT[p.status],
                                          str(p.seq), place_words(p),
                                          fmt_date(p.deadline) if p.deadline else ""], data=p)
                for p in child.places]

        def chosen(key) -> None:
            if key is None:
                return
            from lopdesk.screens.register import RegisterScreen

            self.app.push_screen(RegisterScreen(key[0], focus_seq=key[1]))

        cols = [Column("School", 24), Column("Niveau", 22), Column("St", 3),
                Column("Nr", 4, "right"), Column("Pos", 4), Column("Termijn", 10)]
        self.app.push_screen(PickDialog(
            f"{child.name} ({child.child_id})", cols, rows,
            intro="Enter opent het register op deze inschrijving."), chosen)


def _cells(ch: RefusedChild) -> list:
    return [ch.name, ch.child_id, str(len(ch.places)), ch.deadline(),
            (ELSEWHERE, "bold") if ch.placed else "", places_text(ch)]

