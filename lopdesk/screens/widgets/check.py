"""A checkbox for forms whose two states read differently without colour."""

from __future__ import annotations

from textual.widgets import Checkbox


class CheckField(Checkbox):
    """A checkbox whose two states differ without colour too: "▐✔▌" checked, "▐ ▌" not
    (Textual draws "▐X▌" for both and tells them apart by colour alone)."""

    DEFAULT_CSS = """
    CheckField > .toggle--button { color: $text-muted; }
    CheckField.-on > .toggle--button { color: $text-success; text-style: bold; }
    """

    @property  # type: ignore[override]
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's name for the inner glyph
        return "✔" if self.value else " "
