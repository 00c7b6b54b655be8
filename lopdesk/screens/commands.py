"""Command palette providers: every action ("Groep: werkwoord"), jumps to any school, level,
child (by name or id, also children without a request) or mediation case, and documents.
Searching thousands of names: the database pre-filters (directory.list_children, capped at
50, off the UI thread), then the fuzzy matcher ranks (house-style.md: full fuzzy over
20,000 names is too slow)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from lopdesk.domain import directory, mediation
from lopdesk.errors import PermissionDenied
from lopdesk.labels import MODES, SCREEN_TITLE, plural
from lopdesk.screens import documents as docs
from lopdesk.screens.keys import REGISTRY, Key, key_names, key_of

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp

MAX_HITS = 50


class DutchPalette(CommandPalette):
    """Textual's palette with a Dutch 'nothing found' line (Textual writes it in English)."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_none() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text("Geen resultaten", style="not bold")), disabled=True,
                    id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_none)

    def runs_on_enter(self) -> bool:
        """Enter now runs a command and closes the palette (rather than only highlighting
        the first hit): the keys typed after it are for what the command opens."""
        if not self._list_visible:
            return self._selected_command is not None
        hits = self.query_one(CommandList)
        if hits.highlighted is not None:
            return True
        return hits.option_count == 1 and hits.get_option_at_index(0).id != self._NO_MATCHES


def report(app: Any, exc: BaseException) -> None:
    """A provider's error goes to the app's one error sink, like every other error."""
    app.report_error(exc)


async def _go(app: LopdeskApp, mode: str, action: str | None = None) -> None:
    await app.action_go(mode)
    if action:
        await app.screen.run_action(action)


# Palette-only commands (no key): the documents, each opened with a form or on what the
# current screen shows.
DOCUMENTS = """
registeruittreksel | niveau, school of gebied; html, csv of tekst | register
mededeling van niet-gerealiseerde inschrijving | NGI-01, per inschrijving | notice
LOP-rapport | tellers, vrije plaatsen, weigeringen, sociale mix | report
proces-verbaal van een toewijzing | ALC-05, voor de notaris | pv
samenvatting bemiddelingsdossier | voor de partijen | case
"""


def palette_entry(app: LopdeskApp, key: Key, run: Callable[[], Any]
                  ) -> tuple[str, str, Callable[[], Any]]:
    """A key as a palette entry: "<group>: <verb>", its tooltip and key as the help."""
    group = key.group or SCREEN_TITLE.get(key.screen, "")
    return (f"{group}: {key.palette_verb}",
            f"{key.tooltip} (toets {key_names(app, key.binding())})", run)


def app_actions(app: LopdeskApp) -> list[tuple[str, str, Callable[[], Any]]]:
    """What the palette offers on every screen: the keys of the registry marked
    `everywhere` (the app's, then those of the main screens, which the palette first
    shows), then the documents."""
    order = ("app", *MODES)
    for mode in MODES:  # the main screens load at first use; their keys register on import
        importlib.import_module(f"lopdesk.screens.{mode}")
    everywhere = sorted((k for k in REGISTRY.values() if k.everywhere and k.screen in order),
                        key=lambda k: order.index(k.screen))
    out = [palette_entry(app, k, (lambda a=k.action: app.run_action(a)) if k.screen == "app"
                         else (lambda k=k: _go(app, k.screen, k.action)))
           for k in everywhere]
    openers = {"register": _register_doc, "notice": _notice_doc, "report": docs.open_report,
               "pv": docs.open_pv, "case": _case_doc}
    for line in DOCUMENTS.strip().splitlines():
        what, help_text, kind = (part.strip() for part in line.split("|"))
        out.append((f"Document: {what}", help_text, partial(openers[kind], app)))
    return out


def screen_actions(app: LopdeskApp, screen: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """The keys of the screen the palette was opened on, from its bindings: only those its
    `check_action` allows now, titled "<screen>: <verb>" with the tooltip and key as help."""
    if not SCREEN_TITLE.get(getattr(screen, "SCREEN_ID", ""), ""):
        return []
    out = []
    for binding in type(screen).BINDINGS:
        key = key_of(binding)
        if key is None or "." in key.action_name:
            continue  # app.* actions are the app's, listed elsewhere
        if screen.check_action(key.action_name, ()) is not True:
            continue
        out.append(palette_entry(app, key, lambda a=key.action, s=screen: s.run_action(a)))
    return out


class ActionsProvider(Provider):
    """The actions of the screen the palette was opened on, then the global ones."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        try:
            out = screen_actions(app, self.screen)
        except Exception as exc:
            report(app, exc)
            out = []
        seen = {t for t, _, _ in out}
        return out + [c for c in app_actions(app) if c[0] not in seen]

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
    """Jump to a school, a level (its register) or a child (its file), or open a case."""

    async def search(self, query: str) -> Hits:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        q = query.lower().strip()
        if len(q) < 2:
            return
        matcher = self.matcher(query)
        found: list[tuple[str, str, Callable[[], Any]]] = []
        later: list[tuple[str, str, Callable[[], Any]]] = []  # ranked below the jumps
        for sid, c in app.area.schools().items():
            if q in c.school_name.lower() or q in sid.lower() or q in c.neighbourhood.lower():
                found.append((f"School: {c.school_name}", f"{sid} · {c.neighbourhood}",
                              lambda s=sid: _show_school(app, s)))
            if len(found) >= MAX_HITS:
                break
        from lopdesk.present import level_title

        for c in app.area.levels:
            if len(found) >= MAX_HITS:
                break
            text = f"{c.level_id} {c.school_name} {level_title(c)}".lower()
            if q in text:
                found.append((f"Register: {c.school_name} · {level_title(c)}", c.level_id,
                              lambda lv=c.level_id: _open_register(app, lv)))
        try:  # the database filters (children without any request too), off the UI thread
            kids = await asyncio.to_thread(directory.list_children, app.db, q, MAX_HITS)
        except Exception as exc:
            report(app, exc)
            kids = []
        for k in kids:
            name = f"{k.first_name} {k.last_name}"
            n = plural(k.requests, "inschrijving", "inschrijvingen")
            found.append((f"Kind: {name}", f"{k.id} · {n}",
                          lambda c=k.id: _show_child(app, c)))
            later.append((f"Dossier openen: {name}", f"{k.id} · bemiddeling (MED-01)",
                          lambda c=k.id, nm=name: _open_case(app, c, nm)))
        for weight, hits in ((1.0, found), (0.5, later)):
            for title, help_text, callback in hits:
                score = matcher.match(title + " " + help_text) * weight
                yield Hit(max(score, 0.01 * weight), matcher.highlight(title), callback,
                          text=title, help=help_text)


class CasesProvider(Provider):
    """Jump to a mediation case by number, child name or id, or school."""

    async def startup(self) -> None:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        self.cases: list = []
        try:
            self.cases = await asyncio.to_thread(mediation.list_cases, app.db, at=app.now())
        except PermissionDenied:
            self.cases = []  # a viewer may not read cases: then there are no case hits
        except Exception as exc:
            report(app, exc)
            self.cases = []

    async def search(self, query: str) -> Hits:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        q = query.lower().strip()
        if not q:
            return
        matcher = self.matcher(query)
        n = 0
        for c in getattr(self, "cases", []):
            text = f"dossier {c.id} {c.child_name} {c.child_id} {' '.join(c.schools)}".lower()
            if q not in text and not all(w in text for w in q.split()):
                continue
            n += 1
            if n > MAX_HITS:
                break
            title = f"Dossier {c.id}: {c.child_name}"
            help_text = (f"{c.child_id} · {mediation.CASE_STATUS.get(c.status, c.status)}"
                         + (f" · {', '.join(c.schools)}" if c.schools else ""))
            score = matcher.match(title + " " + help_text)
            yield Hit(max(score, 0.02), matcher.highlight(title),
                      lambda cid=c.id: _open_case_view(app, cid), text=title, help=help_text)


async def _show_school(app: LopdeskApp, school_id: str) -> None:
    await app.action_go("overview")
    screen = app.screen
    if hasattr(screen, "show_school"):
        screen.show_school(school_id)


def _place(screen: Any) -> tuple:
    """What a screen opened on top shows: its kind and its register, case or child."""
    return (type(screen), getattr(screen, "level_id", None), getattr(screen, "case_id", None),
            getattr(screen, "child_id", None))


async def open_on_top(app: LopdeskApp, screen: Any) -> None:
    """A jump opens `screen` on top of the current one: one more step in the breadcrumb.
    When the trail already holds that register, case or child, the jump goes back to it
    instead, so the trail never repeats a step."""
    place = _place(screen)
    stack = app.screen_stack
    for depth, shown in enumerate(stack[1:], start=1):
        if _place(shown) == place:
            while len(app.screen_stack) > depth + 1:
                await app.pop_screen()
            return
    await app.push_screen(screen)


async def _open_register(app: LopdeskApp, level_id: str) -> None:
    from lopdesk.screens.register import RegisterScreen

    await open_on_top(app, RegisterScreen(level_id))


async def _show_child(app: LopdeskApp, child_id: str) -> None:
    from lopdesk.screens.mediation import ChildFileScreen

    await open_on_top(app, ChildFileScreen(child_id))


def _open_case(app: LopdeskApp, child_id: str, child_name: str = "") -> None:
    from lopdesk.screens.mediation import open_case_dialog

    open_case_dialog(app, child_id, child_name=child_name)


async def _open_case_view(app: LopdeskApp, case_id: int) -> None:
    from lopdesk.screens.mediation import CaseScreen

    await open_on_top(app, CaseScreen(case_id))


def _register_doc(app: LopdeskApp) -> None:
    screen = app.screen
    level_id = getattr(screen, "level_id", None)
    if level_id:
        docs.open_register_extract(app, level_id=level_id)
    else:
        docs.ask_register_extract(app)


def _notice_doc(app: LopdeskApp) -> None:
    """The notice of the non-realised line under the cursor where a screen lists lines (a
    register, a child's file); else a picker of the non-realised lines, of the child shown
    or under the cursor if any."""
    screen = app.screen
    row = screen.current_row() if hasattr(screen, "current_row") else None
    if (callable(getattr(screen, "action_notice", None)) and row is not None
            and getattr(row.data, "status", None) == "non_realised"):
        screen.action_notice()
    else:
        docs.open_notice(app, child_id=_child_in_view(screen))


def _child_in_view(screen: Any) -> str | None:
    child_id = getattr(screen, "child_id", None)
    if child_id is None and getattr(screen, "SCREEN_ID", "") in ("deferred", "mediation"):
        row = screen.current_row()
        child_id = getattr(row.data, "child_id", None) if row is not None else None
    return child_id


def _case_doc(app: LopdeskApp) -> None:
    """The summary of the case shown, or under the cursor in the case list; else a picker."""
    screen = app.screen
    case_id = getattr(screen, "case_id", None)
    if case_id is None and getattr(screen, "SCREEN_ID", "") == "mediation":
        row = screen.current_row()
        case_id = row.key if row is not None else None
    docs.open_case_summary(app, case_id)
