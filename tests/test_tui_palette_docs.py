"""#13 'no id typed by hand': the palette's documents take what the screen shows (the line,
the case or the child under the cursor), and otherwise offer a searchable picker; the LOP
report's area is a choice of the areas. Pilot at 80x24, keys only."""

from __future__ import annotations

from test_tui import notes, palette_hits, settle, type_text, wait_until
from test_tui_mediation import NOW, SIZE, make, name, refused_scenario

from lopdesk.domain import mediation


async def palette(app, pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await type_text(pilot, text)
    await palette_hits(pilot)
    await pilot.press("enter")
    await settle(app, pilot)


def picker_keys(app, key: str) -> list[str]:
    from lopdesk.screens.widgets.picker import Picker

    picker = app.screen.query_one(f"#f-{key}", Picker)
    return [c.key for c in picker.choices]


async def test_notice_from_the_palette_picks_a_non_realised_line_by_name(db):
    s = refused_scenario(db)
    refused = s["entries"][2]
    assert refused.status == "non_realised"
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await palette(app, pilot, "mededeling van niet")
        assert name(app) == "FormDialog", notes(app)
        await wait_until(pilot, lambda: picker_keys(app, "entry") != [])
        # only the non-realised line is offered: the two realised ones are not
        assert picker_keys(app, "entry") == [str(refused.id)]
        await type_text(pilot, "voornaam2")
        await pilot.press("tab", "ctrl+s")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen", notes(app)
        assert app.screen.spec.slug == f"mededeling-{refused.id}"
        # the preview is titled by the child and the line, not by an internal id
        assert app.screen.spec.title.startswith("mededeling Voornaam2 Achternaam2, School S1 nr. ")
        assert f"nr. {refused.seq}" in app.screen.spec.title


async def test_notice_from_the_refused_list_offers_only_that_childs_lines(db):
    s = refused_scenario(db)
    mediation_child = s["child"]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        assert app.screen.current_row().key == mediation_child
        await palette(app, pilot, "mededeling van niet")
        assert name(app) == "FormDialog", notes(app)
        await wait_until(pilot, lambda: picker_keys(app, "entry") != [])
        assert picker_keys(app, "entry") == [str(s["entries"][2].id)]


async def test_case_summary_from_the_case_list_takes_the_case_under_the_cursor(db):
    s = refused_scenario(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        await palette(app, pilot, "samenvatting bemiddeling")
        assert name(app) == "PreviewScreen", notes(app)
        assert app.screen.spec.slug == f"dossier-{case.id}"


async def test_case_summary_elsewhere_picks_the_case_by_the_childs_name(db):
    s = refused_scenario(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await palette(app, pilot, "samenvatting bemiddeling")
        assert name(app) == "FormDialog", notes(app)
        await type_text(pilot, "voornaam2")
        await wait_until(pilot, lambda: picker_keys(app, "case") == [str(case.id)])
        await pilot.press("tab", "ctrl+s")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen", notes(app)
        assert app.screen.spec.slug == f"dossier-{case.id}"


async def test_lop_report_area_is_chosen_not_typed(db):
    import builders as b

    refused_scenario(db)
    b.area(db, "B")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await palette(app, pilot, "LOP-rapport")
        assert name(app) == "FormDialog", notes(app)
        from textual.widgets import Select

        area = app.screen.query_one("#f-area", Select)
        await wait_until(pilot, lambda: len(area._options) > 2)
        assert [v for _, v in area._options if v is not Select.NULL] == ["A", "B"]
        assert area.value == "A"  # the area of the levels shown, by default
        await pilot.press("down", "down", "enter")  # open the list, take the next area
        await settle(app, pilot)
        assert area.value == "B"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen", notes(app)
        assert app.screen.spec.slug.startswith("rapport-B-")


async def test_palette_document_form_typed_in_one_burst(db, monkeypatch):
    """#13 type-ahead: the palette's Enter, then the search text for the form it opens, all
    at once: the text lands in the form's picker, not in the palette or the screen below it,
    even when the command takes a while to open its form."""
    import asyncio

    from test_tui_burst import burst

    from lopdesk.screens import commands

    opener = commands._notice_doc

    async def slow_opener(app) -> None:
        await asyncio.sleep(0.3)
        opener(app)

    monkeypatch.setattr(commands, "_notice_doc", slow_opener)
    s = refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "mededeling van")
        await palette_hits(pilot)
        v = await burst(app, pilot, "enter", "voornaam2", "tab", "ctrl+u", "11/03/2027")
        assert v is not None, (notes(app), name(app))
        assert (v["entry"], v["signed_on"]) == (str(s["entries"][2].id), "11/03/2027")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#search").value == ""  # nothing leaked below


async def test_form_hint_names_what_the_form_does(db):
    """A form whose button previews says Ctrl+S previews; it does not promise 'bewaren'."""
    refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await palette(app, pilot, "mededeling van niet")
        hint = str(app.screen.query_one("#form-hint").render())
        assert "Ctrl+S" in hint and ": voorbeeld" in hint and "bewaren" not in hint, hint


async def test_preview_wraps_long_lines_and_the_next_save_proposes_the_last_folder(
        db, tmp_path):
    from lopdesk.screens.documents import DocSpec, preview

    refused_scenario(db)
    words = " ".join(f"woord{i}" for i in range(40))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        preview(app, DocSpec("case", "lang", "lang", lambda d, fmt: f"kop\n  {words}\n"))
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.screen.text is not None)
        log = app.screen.query_one("Log")
        shown = [str(line) for line in log.lines]
        assert all(len(line) < 80 for line in shown), shown
        assert " ".join(shown).split() == ["kop", *words.split()]
        for folder in ("eerst", "tweede"):
            await pilot.press("s")
            await settle(app, pilot)
            field = app.screen.query_one("#f-folder")
            if folder == "tweede":  # proposed: the folder of the save before
                assert field.value == str(tmp_path / "eerst")
            await pilot.press("tab", "ctrl+u")
            await type_text(pilot, str(tmp_path / folder))
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            await wait_until(pilot, lambda f=folder: app.screen.saved is not None
                             and app.screen.saved.parent.name == f)


async def test_lop_report_defaults_to_the_area_under_the_cursor_and_its_newest_year(db):
    """The secondary area's levels are a year behind: its report must not default to the
    primary area's newest year (a report of zeros)."""
    import builders as b
    from textual.widgets import Select

    refused_scenario(db)  # area A, levels of 2027
    b.area(db, "B", education="secondary")
    b.school(db, "SB", "B")
    b.level(db, "LB", "SB", year=2026)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.register import RegisterScreen

        await app.push_screen(RegisterScreen("LB"))
        await settle(app, pilot)
        await palette(app, pilot, "LOP-rapport")
        assert name(app) == "FormDialog", notes(app)
        assert app.screen.query_one("#f-area", Select).value == "B"
        assert app.screen.query_one("#f-year").value == "2026"


async def test_open_case_picker_offers_refused_children_with_where_they_were_refused(db):
    """MED-01: only a child with a non-realised request can get a case; the picker offers
    those, each with the schools that refused it (five children of one name are told
    apart by birth date and school)."""
    s = refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5", "n")
        await settle(app, pilot)
        assert name(app) == "FormDialog", notes(app)
        await wait_until(pilot, lambda: picker_keys(app, "child_id") != [])
        from lopdesk.screens.widgets.picker import Picker

        picker = app.screen.query_one("#f-child_id", Picker)
        assert [c.key for c in picker.choices] == [s["child"]]  # the realised ones are not
        assert "geweigerd: School S1" in picker.choices[0].label
        await type_text(pilot, "school s1")
        await pilot.pause()
        assert picker.value == s["child"]
