"""Command palette providers: every action ("Groep: werkwoord"), jumps to any school, level,
child (by name or id, also children without a request) or mediation case, and documents.
Searching thousands of names: the database pre-filters (directory.list_children, capped at
50, off the UI thread), then the fuzzy matcher ranks (house-style.md: full fuzzy over
20,000 names is too slow)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from lopdesk.domain import directory, mediation
from lopdesk.screens import documents as docs

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp

MAX_HITS = 50


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
        ("Ga naar: Bemiddeling", "dossiers: lopend, wacht, afgesloten, termijnen (5)",
         lambda: _mode_then(app, "bemiddeling")),
        ("Bemiddeling: dossier openen", "op vraag van de ouders, na een weigering (MED-01)",
         lambda: _open_case(app, "")),
        ("Document: registeruittreksel", "niveau, school of gebied; html, csv of tekst",
         lambda: _register_doc(app)),
        ("Document: mededeling van niet-gerealiseerde inschrijving", "NGI-01, per inschrijving",
         lambda: _notice_doc(app)),
        ("Document: LOP-rapport", "tellers, vrije plaatsen, weigeringen, sociale mix",
         lambda: docs.open_report(app)),
        ("Document: proces-verbaal van een allocatierun", "ALC-05, voor de notaris",
         lambda: docs.open_pv(app)),
        ("Document: samenvatting bemiddelingsdossier", "voor de partijen",
         lambda: _case_doc(app)),
        ("Help: sneltoetsen", "alle toetsen van dit scherm", app.action_help),
        ("Systeem: vernieuwen", "gegevens opnieuw inlezen (Ctrl+R)", app.action_reload),
    ]


class ActionsProvider(Provider):
    """Global actions plus the actions of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        out = app_actions(app)
        screen = self.screen
        name = {"OverviewScreen": "Overzicht", "RegisterScreen": "Register",
                "DeferredScreen": "Uitgesteld", "CapacityScreen": "Capaciteit",
                "AllocationScreen": "Allocatie", "ResultsScreen": "Resultaten",
                "MediationScreen": "Bemiddeling", "CaseScreen": "Dossier",
                "ChildFileScreen": "Dossier kind", "PreviewScreen": "Voorbeeld"}.get(
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
    """Jump to a school, a level (its register) or a child (its file), or open a case."""

    async def search(self, query: str) -> Hits:
        app: LopdeskApp = self.app  # type: ignore[assignment]
        q = query.lower().strip()
        if len(q) < 2:
            return
        matcher = self.matcher(query)
        found: list[tuple[str, str, Callable[[], Any]]] = []
        later: list[tuple[str, str, Callable[[], Any]]] = []  # ranked below the jumps
        schools: dict[str, Any] = {}
        for c in app.counters:
            schools.setdefault(c.school_id, c)
        for sid, c in schools.items():
            if q in c.school_name.lower() or q in sid.lower() or q in c.neighbourhood.lower():
                found.append((f"School: {c.school_name}", f"{sid} · {c.neighbourhood}",
                              lambda s=sid: _show_school(app, s)))
            if len(found) >= MAX_HITS:
                break
        from lopdesk.screens.overview import level_title

        for c in app.counters:
            if len(found) >= MAX_HITS:
                break
            text = f"{c.level_id} {c.school_name} {level_title(c)}".lower()
            if q in text:
                found.append((f"Register: {c.school_name} · {level_title(c)}", c.level_id,
                              lambda lv=c.level_id: _open_register(app, lv)))
        try:  # the database filters (children without any request too), off the UI thread
            kids = await asyncio.to_thread(directory.list_children, app.db, q, MAX_HITS)
        except Exception:
            kids = []
        for k in kids:
            name = f"{k.first_name} {k.last_name}"
            found.append((f"Kind: {name}", f"{k.id} · {k.requests} inschrijving(en)",
                          lambda c=k.id: _show_child(app, c)))
            later.append((f"Dossier openen: {name}", f"{k.id} · bemiddeling (MED-01)",
                          lambda c=k.id: _open_case(app, c)))
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
        try:  # a viewer may not read cases: then there are simply no case hits
            self.cases = await asyncio.to_thread(mediation.list_cases, app.db, at=app.now())
        except Exception:
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
    await app.switch_mode("overzicht")
    screen = app.screen
    if hasattr(screen, "show_school"):
        screen.show_school(school_id)


async def _open_register(app: LopdeskApp, level_id: str) -> None:
    from lopdesk.screens.register import RegisterScreen

    await app.push_screen(RegisterScreen(level_id))


def _show_child(app: LopdeskApp, child_id: str) -> None:
    from lopdesk.screens.mediation import ChildFileScreen

    app.push_screen(ChildFileScreen(child_id))


def _open_case(app: LopdeskApp, child_id: str) -> None:
    from lopdesk.screens.mediation import open_case_dialog

    open_case_dialog(app, child_id)


def _open_case_view(app: LopdeskApp, case_id: int) -> None:
    from lopdesk.screens.mediation import CaseScreen

    app.push_screen(CaseScreen(case_id))


def _register_doc(app: LopdeskApp) -> None:
    screen = app.screen
    level_id = getattr(screen, "level_id", None)
    if level_id:
        docs.open_register_extract(app, level_id=level_id)
    else:
        docs.ask_register_extract(app)


def _notice_doc(app: LopdeskApp) -> None:
    from lopdesk.screens.register import RegisterScreen

    screen = app.screen
    if isinstance(screen, RegisterScreen):
        screen.action_notice()
    else:
        docs.open_notice(app)


def _case_doc(app: LopdeskApp) -> None:
    case_id = getattr(app.screen, "case_id", None)
    docs.open_case_summary(app, case_id)
