"""Command palette providers: every action ("Groep: werkwoord"), and jumps to any school,
level or child. Searching thousands of names: pre-filter by substring, cap at 50, then let
the fuzzy matcher rank (house-style.md: full fuzzy over 20,000 names is too slow)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lopdesk.domain import counters, registers
from lopdesk.screens.labels import STATUS_SHORT
from lopdesk.screens.widgets.table import Column, Row

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp

MAX_HITS = 50


@dataclass
class ChildPlace:
    level_id: str
    school_name: str
    level: str
    entry_id: int
    seq: int
    status: str


def build_child_index(db) -> dict[str, tuple[str, list[ChildPlace]]]:
    """Every child with a register entry, with its entries (composed from domain services)."""
    from lopdesk.screens.overzicht import level_title

    index: dict[str, tuple[str, list[ChildPlace]]] = {}
    for c in counters.area_counters(db):
        title = level_title(c)
        for e in registers.list_entries(db, c.level_id):
            _, places = index.setdefault(e.child_id, (e.child_name, []))
            places.append(ChildPlace(c.level_id, c.school_name, title, e.id, e.seq, e.status))
    return index


async def _mode_then(app: LopdeskApp, mode: str, action: str | None = None) -> None:
    await app.switch_mode(mode)
    if action:
        await app.screen.run_action(action)


def app_actions(app: LopdeskApp) -> list[tuple[str, str, Callable[[], Any]]]:
    """The global actions, titled "Groep: werkwoord"."""
    return [
        ("Ga naar: Overzicht", "gebied, scholen, niveaus en het LOP-bord (1)",
         lambda: _mode_then(app, "overzicht")),
        ("Ga naar: Uitgesteld / Niet-gerealiseerd", "één lijn per kind over het gebied (2)",
         lambda: _mode_then(app, "uitgesteld")),
        ("Ga naar: Capaciteit", "verhogingen en volzetverklaringen (3)",
         lambda: _mode_then(app, "capaciteit")),
        ("Allocatie: ronde toewijzen", "kies een ronde, zaad, toewijzen met voortgang",
         lambda: _mode_then(app, "allocatie", "run")),
        ("Allocatie: resultaten bekijken", "rangverdeling, zonder plaats, grenzen, uitleg",
         lambda: _mode_then(app, "allocatie", "view")),
        ("Capaciteit: verhoging aanvragen", "nieuwe aanvraag met reden (CAP-03)",
         lambda: _mode_then(app, "capaciteit", "new_request")),
        ("Capaciteit: verhoging goedkeuren", "met voorbeeld van wie de plaatsen krijgt",
         lambda: _mode_then(app, "capaciteit", "approve")),
        ("Capaciteit: volzet verklaren", "administratieve groepen 2de-7de jaar (CAP-06)",
         lambda: _mode_then(app, "capaciteit", "declare")),
        ("Overzicht: filters", "buurt, niveau, regime, volzet, wachtlijst",
         lambda: _mode_then(app, "overzicht", "filters")),
        ("Help: sneltoetsen", "alle toetsen van dit scherm", app.action_help),
        ("Systeem: vernieuwen", "gegevens opnieuw inlezen (Ctrl+R)", app.action_reload),
    ]


class ActionsProvider(Provider):
    """Global actions plus the actions of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        out = app_actions(app)
        screen = self.screen
        name = {"OverzichtScreen": "Overzicht", "RegisterScreen": "Register",
                "UitgesteldScreen": "Uitgesteld", "CapaciteitScreen": "Capaciteit",
                "AllocatieScreen": "Allocatie", "ResultsScreen": "Resultaten"}.get(
            type(screen).__name__)
        if name:
            seen = {t for t, _, _ in out}
            for binding in type(screen).BINDINGS:
                desc = getattr(binding, "description", "")
                action = getattr(binding, "action", "")
                title = f"{name}: {desc.lower()}"
                if not desc or title in seen or action.startswith("app."):
                    continue
                seen.add(title)
                key = app.get_key_display(binding)
                out.append((title, f"toets {key}",
                            lambda a=action, s=screen: s.run_action(a)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


class JumpProvider(Provider):
    """Jump to a school, a level (its register) or a child (all its entries)."""

    async def startup(self) -> None:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        if not app.children_index and not getattr(app, "_indexing", False):
            app._indexing = True  # type: ignore[attr-defined]
            app.run_worker(lambda: _index_job(app), thread=True, group="index",
                           exit_on_error=False)

    async def search(self, query: str) -> Hits:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        q = query.lower().strip()
        if len(q) < 2:
            return
        matcher = self.matcher(query)
        found: list[tuple[str, str, Callable[[], Any]]] = []
        schools: dict[str, Any] = {}
        for c in app.counters:
            schools.setdefault(c.school_id, c)
        for sid, c in schools.items():
            if q in c.school_name.lower() or q in sid.lower() or q in c.neighbourhood.lower():
                found.append((f"School: {c.school_name}", f"{sid} · {c.neighbourhood}",
                              lambda s=sid: _show_school(app, s)))
            if len(found) >= MAX_HITS:
                break
        from lopdesk.screens.overzicht import level_title

        for c in app.counters:
            if len(found) >= MAX_HITS:
                break
            text = f"{c.level_id} {c.school_name} {level_title(c)}".lower()
            if q in text:
                found.append((f"Register: {c.school_name} · {level_title(c)}", c.level_id,
                              lambda lv=c.level_id: _open_register(app, lv)))
        n = 0
        for cid, (name, places) in app.children_index.items():
            if n >= MAX_HITS:
                break
            if q in cid.lower() or q in name.lower():
                n += 1
                found.append((f"Kind: {name}", f"{cid} · {len(places)} inschrijving(en)",
                              lambda c=cid: _show_child(app, c)))
        for title, help_text, callback in found:
            score = matcher.match(title + " " + help_text)
            yield Hit(max(score, 0.01), matcher.highlight(title), callback, text=title,
                      help=help_text)


def _index_job(app: LopdeskApp) -> None:
    try:
        index = build_child_index(app.db)
    except Exception:  # the palette still jumps to schools and levels
        index = {}
    finally:
        app._indexing = False  # type: ignore[attr-defined]
    app.call_from_thread(setattr, app, "children_index", index)


async def _show_school(app: LopdeskApp, school_id: str) -> None:
    await app.switch_mode("overzicht")
    screen = app.screen
    if hasattr(screen, "show_school"):
        screen.show_school(school_id)


async def _open_register(app: LopdeskApp, level_id: str) -> None:
    from lopdesk.screens.register import RegisterScreen

    await app.push_screen(RegisterScreen(level_id))


def _show_child(app: LopdeskApp, child_id: str) -> None:
    from lopdesk.screens.dialogs import PickDialog

    name, places = app.children_index.get(child_id, (child_id, []))
    rows = [Row(p.entry_id, [p.school_name, p.level, STATUS_SHORT[p.status], str(p.seq)],
                data=p) for p in places]
    by_id = {p.entry_id: p for p in places}

    def chosen(key) -> None:
        if key is not None:
            from lopdesk.screens.register import RegisterScreen

            app.push_screen(RegisterScreen(by_id[key].level_id, focus_entry=key))

    app.push_screen(PickDialog(f"Kind: {name} ({child_id})",
                               [Column("School", 26), Column("Niveau", 24), Column("St", 3),
                                Column("Nr", 5, "right")], rows,
                               intro="Alle inschrijvingen van dit kind. Enter opent het "
                                     "register op die lijn."), chosen)
