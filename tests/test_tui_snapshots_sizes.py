"""SVG snapshots at 80x24, 120x36 and 200x50: the main screens (80x24 is in
test_tui_snapshots.py), every kind of dialog (form with pickers, confirm, text, pick list),
the document preview, the help and the command palette, on the fixed database of
test_tui_snapshots.

Regenerate on purpose only, after looking at the change:
    .venv/bin/pytest tests/test_tui_snapshots_sizes.py --snapshot-update
"""

from __future__ import annotations

import pytest
from test_tui import settle
from test_tui_snapshots import before, fixed, make  # noqa: F401  (fixed is a fixture)

SIZES = [(80, 24), (120, 36), (200, 50)]
WIDE = [(120, 36), (200, 50)]


def ids(sizes):
    return [f"{w}x{h}" for w, h in sizes]


@pytest.mark.parametrize("size", WIDE, ids=ids(WIDE))
@pytest.mark.parametrize("screen", ["overzicht", "register", "uitgesteld", "capaciteit",
                                    "bemiddeling"])
def test_main_screen(fixed, snap_compare, screen, size):  # noqa: F811
    keys = {"overzicht": (), "register": (), "uitgesteld": ("2",), "capaciteit": ("3",),
            "bemiddeling": ("5",)}[screen]
    register = "L1" if screen == "register" else None
    assert snap_compare(make(fixed), terminal_size=size,
                        run_before=before(*keys, register=register))


@pytest.mark.parametrize("size", SIZES, ids=ids(SIZES))
@pytest.mark.parametrize("dialog", ["form", "form_error", "confirm", "text", "pick"])
def test_dialog(fixed, snap_compare, dialog, size):  # noqa: F811
    keys = {
        "form": ("a", *"K00", "tab"),  # the add form, a child picked by part of its id
        "form_error": ("3", "n", *"L1", "tab", *"veel", "ctrl+s"),  # the error under it
        "confirm": ("o",),  # offer a freed place (WL-01)
        "text": ("h",),  # history of an entry
        "pick": ("5", "enter", "v"),  # proposals (MED-03)
    }[dialog]
    register = "L1" if dialog in ("form", "confirm", "text") else None
    assert snap_compare(make(fixed), terminal_size=size,
                        run_before=before(*keys, register=register))


@pytest.mark.parametrize("size", SIZES, ids=ids(SIZES))
def test_document_preview(fixed, snap_compare, size, monkeypatch):  # noqa: F811
    from test_tui_snapshots import NOW

    from lopdesk.db import Database
    from lopdesk.domain import audit
    from lopdesk.domain.extracts import environment

    # the document's "made on": the database's clock (a demo's training day), else now
    monkeypatch.setattr(Database, "now", lambda self: NOW)
    monkeypatch.setattr(environment, "utcnow", lambda: NOW)
    # the audit head printed on the extract: its hash covers the records' moments
    monkeypatch.setattr(audit, "head", lambda db: audit.Head(42, "0" * 64))

    async def run(pilot) -> None:
        from lopdesk.screens.documents import open_register_extract

        app = pilot.app
        await settle(app, pilot)
        open_register_extract(app, level_id="L1")
        await settle(app, pilot)
        await pilot.pause(0.1)

    assert snap_compare(make(fixed), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES, ids=ids(SIZES))
@pytest.mark.parametrize("screen", ["toewijzing", "help_register", "help_overzicht",
                                    "palet"])
def test_allocation_and_help(fixed, snap_compare, screen, size):  # noqa: F811
    """The allocation screen (no round yet), the help of the register with its legend and
    of the overview, and the command palette with a search typed."""
    keys = {"toewijzing": ("4",), "help_register": ("question_mark",),
            "help_overzicht": ("question_mark",), "palet": ("ctrl+p", *"regist")}[screen]
    register = "L1" if screen == "help_register" else None
    assert snap_compare(make(fixed), terminal_size=size,
                        run_before=before(*keys, register=register))
