"""Navigation you can predict, keys that are only offered when they work, and Dutch on every
screen (issue: fluent app). Pilot at 80x24; waits on the app's workers, never on sleeps."""

from __future__ import annotations

import html
import re

import builders as b
import pytest
from test_tui import (
    SIZE,
    make,
    notes,
    open_register,
    palette_hits,
    scenario,
    settle,
    type_text,
    wait_until,
)

from lopdesk.domain import mediation


def stack_names(app) -> list[str]:
    return [type(s).__name__ for s in app.screen_stack]


def title_of(screen) -> str:
    return str(screen.query_one("#title").render())


async def test_number_keys_go_to_the_top_of_a_main_screen_from_a_pushed_register(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        assert stack_names(app)[-1] == "RegisterScreen"
        await pilot.press("3")
        await settle(app, pilot)
        assert app.current_mode == "capacity"
        assert stack_names(app) == ["CapacityScreen"]
        await pilot.press("1")  # back on the Overzicht: the register is closed, not shown
        await settle(app, pilot)
        assert app.current_mode == "overview"
        assert stack_names(app) == ["OverviewScreen"]
        await open_register(app, pilot)
        await pilot.press("1")  # in a register, 1 goes to the top of the Overzicht
        await settle(app, pilot)
        assert stack_names(app) == ["OverviewScreen"]


async def test_escape_goes_back_exactly_one_step(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        from lopdesk.screens.mediation import ChildFileScreen

        await settle(app, pilot)
        await open_register(app, pilot)
        await app.push_screen(ChildFileScreen(s["kids"][0]))
        await settle(app, pilot)
        await pilot.press("enter")  # the child's register line: a register on top again
        await settle(app, pilot)
        assert stack_names(app)[1:] == ["RegisterScreen", "ChildFileScreen", "RegisterScreen"]
        for expected in (["RegisterScreen", "ChildFileScreen"], ["RegisterScreen"], []):
            await pilot.press("escape")
            await settle(app, pilot)
            assert stack_names(app)[1:] == expected


async def test_breadcrumb_shows_where_you_are(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        from lopdesk.screens.mediation import ChildFileScreen

        await settle(app, pilot)
        await pilot.pause(0.6)  # the area index is read after the first screen
        await settle(app, pilot)
        await open_register(app, pilot)
        # the school by its name, as every screen names it (not its code S1)
        assert title_of(app.screen).startswith(" Overzicht › School S1 › leerjaar 1 · ")
        await app.push_screen(ChildFileScreen(s["kids"][0]))
        await settle(app, pilot)
        assert title_of(app.screen).startswith(
            " Overzicht › School S1 › leerjaar 1 · 2027-2028 › Voornaam0 Achternaam0"
            " · dossier kind ")


async def test_help_lists_1_to_5_and_the_keys_of_the_screen_under_its_dutch_title(db):
    s = scenario(db)
    mediation.open_case(db, s["kids"][2], request_on=b.t(0).date(), at=b.t(0))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5", "enter")  # a case, opened on top of Bemiddeling
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-body Static").render())
        for key, title in (("1", "Overzicht"), ("2", "Uitgesteld"), ("3", "Capaciteit"),
                           ("4", "Toewijzing"), ("5", "Bemiddeling")):
            assert re.search(rf"^  {key} +{title}", text, re.M), (key, text)
        assert "Op dit scherm (Bemiddeling › Dossier " in text
        for label in ("Voorstel", "Afsluiten", "Klacht CLR", "Ctrl+P", "Ctrl+Q"):
            assert label in text
        assert "(Case)" not in text and "CaseScreen" not in text


async def test_check_action_hides_a_key_the_state_refuses(db):
    scenario(db)  # capacity 2, both places taken: no free place to offer (WL-01)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        screen = app.screen
        assert screen.check_action("offer", ()) is False
        assert screen.check_action("close_period", ()) is False  # no priority period runs
        assert screen.check_action("withdraw", ()) is True  # a realised line is selected
        shown = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "offer" not in shown and "withdraw" in shown
        await pilot.press("o")  # refused keys do nothing: no dialog, no message
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"


async def test_palette_error_is_reported_not_swallowed(db, monkeypatch):
    from lopdesk.domain import directory

    scenario(db)

    def broken(*_a, **_k):
        raise RuntimeError("kapotte zoekopdracht")

    monkeypatch.setattr(directory, "list_children", broken)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "Voornaam")
        await wait_until(pilot, lambda: any("kapotte zoekopdracht" in n for n in notes(app)),
                         10)
        # Close the palette and let its search worker end before the app does: a search
        # still finishing while the app shuts down fails inside Textual's palette.
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ != "DutchPalette", 5)
        await settle(app, pilot)


async def test_palette_has_dutch_placeholder_and_no_result_line(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "qqqzzzxxx")
        await pilot.pause(1.0)
        text = screen_text(app)
        assert "Geen resultaten" in text and "No matches" not in text
        assert "Zoek een actie" in str(app.screen.query_one("Input").placeholder)


# --- no English and no internal code on any screen -------------------------------------

# Textual's own English, raw codes of the database and engine, and CLI words.
LEAKS = ["Scroll", "Focus", "Copy", "Quit", "No matches", "Usage", "Options", "Keys",
         "Screenshot", "Theme", "palette", "none", "single", "multiple", "applications",
         "same_school", "other_school", "no_agreement", "priority_first", "non_realised",
         "realised", "deferred", "withdrawn", "sibling", "Screen", "--", "Run", "Runs", "run",
         "runs", "seed", "record", "records"]


def screen_text(app) -> str:
    svg = app.export_screenshot()
    rows: dict[str, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>',
                         svg):
        rows.setdefault(m[2], []).append((float(m[1]), html.unescape(m[3])))
    return "\n".join("".join(t for _x, t in sorted(parts)).replace("\xa0", " ")
                     for _y, parts in sorted(rows.items(), key=lambda kv: float(kv[0])))


# Codes of lopdesk.domain.codes that are no Dutch word: shown raw, they are a leak.
CODE_LEAKS = ["admin_group", "clr_complaint", "full_declaration", "half_up", "non_indicator",
              "nursery_birth_year", "parent_request", "primary_grade", "registered_post",
              "secondary_1a", "secondary_1b", "sibling_staff", "waiting_list", "rank+distance",
              "rank+random", "accepted", "declined", "pending", "approved", "rejected",
              "receipt", "capacity", "exclusion", "parents", "mediator", "offered", "waiting",
              "replaced", "released", "automatic", "allocated", "distance", "staff"]


def leaks(text: str, words: list[str] = LEAKS) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


async def test_no_english_or_code_on_the_main_screens_help_and_palette(db):
    s = scenario(db)
    mediation.open_case(db, s["kids"][2], request_on=b.t(0).date(), at=b.t(0))
    app = make(db)
    seen: dict[str, list[str]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in ("1", "2", "3", "4", "5"):
            await pilot.press(key)
            await settle(app, pilot)
            seen[app.current_mode] = leaks(screen_text(app))
            await pilot.press("f1")
            await pilot.pause()
            seen[f"help {app.current_mode}"] = leaks(screen_text(app))
            await pilot.press("escape")
        await open_register(app, pilot)
        seen["register"] = leaks(screen_text(app))
        await pilot.press("f1")
        await pilot.pause()
        seen["help register"] = leaks(screen_text(app))
        await pilot.press("escape", "ctrl+p")
        await pilot.pause(0.5)
        seen["palette"] = leaks(screen_text(app))
        await type_text(pilot, "qqqzzz")
        await pilot.pause(1.0)
        seen["palette, nothing found"] = leaks(screen_text(app))
    assert {k: v for k, v in seen.items() if v} == {}


# Every dialog and the document preview: (name, main screen key or register, keys). The
# steps start from the top of a main screen (or a register opened on Overzicht).
DIALOG_STEPS = [
    ("Overzicht: filters", "1", ("f",)),
    ("Overzicht: sorteren", "1", ("o",)),
    ("Overzicht: LOP-bord", "1", ("end", "e")),
    ("Register: aanvraag", "L1", ("a",)),
    ("Register: intrekken", "L1", ("x",)),
    ("Register: status", "L1", ("t",)),
    ("Register: historiek", "L1", ("h",)),
    ("Register: mededeling bezorgd", "L1", ("end", "M")),
    ("Register: mededeling (document)", "L1", ("end", "m")),
    ("Register: uittreksel (voorbeeld)", "L1", ("d",)),
    ("Periodes: nieuwe periode", "L1", ("P", "n")),
    ("Uitgesteld: dossier openen", "2", ("n",)),
    ("Capaciteit: verhoging aanvragen", "3", ("n",)),
    ("Capaciteit: details", "3", ("i",)),
    ("Capaciteit: goedkeuren", "3", ("g",)),
    ("Capaciteit: afwijzen", "3", ("w",)),
    ("Capaciteit: volzet verklaren", "3", ("d",)),
    ("Toewijzing: toewijzen", "4", ("r",)),
    ("Bemiddeling: dossier openen", "5", ("n",)),
    ("Dossier: voorstel", "5", ("enter", "v")),
    ("Dossier: partij", "5", ("enter", "p")),
    ("Dossier: overleg", "5", ("enter", "m")),
    ("Dossier: contact", "5", ("enter", "c")),
    ("Dossier: afsluiten", "5", ("enter", "x")),
    ("Toewijzing: uitleg", "4", ("v", "e")),
    ("Dossier: samenvatting (voorbeeld)", "5", ("enter", "d")),
    ("Palet: proces-verbaal", "palette", ("proces-verbaal",)),
    ("Palet: LOP-rapport", "palette", ("LOP-rapport",)),
]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
async def test_no_english_or_code_in_any_dialog_or_preview(db, size):
    """The leak check on every dialog and the document preview, at 80x24 and 120x36."""
    from lopdesk.domain import allocation, capacity

    s = scenario(db)
    mediation.open_case(db, s["kids"][2], request_on=b.t(0).date(), at=b.t(0))
    capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=b.t(100))
    b.level(db, "L2", "S1", capacity=5, label="2")
    b.school(db, "S2")
    b.level(db, "L3", "S2", capacity=5)  # a place for the refused child (MED-03)
    allocation.create_round(db, "R1", "A", 2027, "Ronde 1")
    allocation.add_round_level(db, "R1", "L2", capacity=1)
    for kid in s["kids"][3:5]:
        allocation.add_applications(db, "R1", kid, ["L2"])
    allocation.run_round(db, "R1", seed=1)
    app = make(db, clock=lambda: b.t(days=9))
    seen: dict[str, list[str]] = {}
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for name, where, keys in DIALOG_STEPS:
            await app.action_go("overview")
            await settle(app, pilot)
            if where == "L1":
                await open_register(app, pilot)
            elif where == "palette":
                await pilot.press("ctrl+p")
                await type_text(pilot, keys[0])
                await palette_hits(pilot)
                keys = ("enter",)
            else:
                await pilot.press(where)
                await settle(app, pilot)
            for key in keys:
                await pilot.press(key)
                await settle(app, pilot)
            await pilot.pause(0.3)
            await settle(app, pilot)
            opened = type(app.screen).__name__
            assert opened.endswith(("Dialog", "PreviewScreen")) or opened == "FormDialog", \
                (name, opened)
            text = screen_text(app)
            assert any(w in text.lower() for w in ("annuleren", "sluiten", "voorbeeld")), name
            seen[f"{name} ({opened})"] = leaks(text, LEAKS + CODE_LEAKS)
    assert {k: v for k, v in seen.items() if v} == {}


async def test_keys_are_named_as_on_the_keyboard(db):
    """Footer and help write keys as a keyboard prints them (Esc, F1), not Textual's esc."""
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("end", "enter")  # a register
        await settle(app, pilot)
        text = screen_text(app)
        assert "Esc Terug" in text and "esc Terug" not in text, text
        await pilot.press("question_mark")
        await settle(app, pilot)
        text = screen_text(app)
        assert "F1 of ?" in text and "f1 of" not in text, text


async def test_palette_names_keys_as_the_help_does(db):
    """Every palette entry's help names its key as the keyboard and the help do ("F1 of ?",
    "Ctrl+R"), never Textual's "f1,question_mark" or "^r"."""
    import re

    from lopdesk.screens.commands import app_actions, screen_actions

    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("end", "enter")  # a register: its own keys too
        await settle(app, pilot)
        entries = app_actions(app) + screen_actions(app, app.screen)
        keys = {title: m.group(1) for title, help_text, _run in entries
                if (m := re.search(r"\(toets ([^)]*)\)", help_text))}
        assert keys["Help: sneltoetsen"] == "F1 of ?", keys
        bad = {t: k for t, k in keys.items()
               if "," in k or "_" in k or "^" in k or re.search(r"\b(f\d|esc|tab)\b", k)}
        assert bad == {}, bad
