"""The footer of every screen: the keys in the order of the screen's bindings (the most
important first), and only the keys that fit whole: a key is left out rather than cut
mid-word. The palette key stays at the right; the help (?) lists every key."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_CLASS = "-command-palette"


def key_width(key: FooterKey, compact: bool) -> int:
    """The cells a footer key takes: the key with padding, the description with padding."""
    pad = 1 if compact else 2
    description = cell_len(key.description) + (1 if key.description else 0)
    return cell_len(key.key_display) + pad + description


class KeyFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        width = self.size.width or self.app.size.width
        palette = [w for w in widgets if w.has_class(PALETTE_CLASS)]
        room = width - sum(key_width(w, self.compact) + 1 for w in palette
                           if isinstance(w, FooterKey)) - 1
        used = 0
        kept: list[Widget] = []
        for w in widgets:
            if w in palette:
                continue
            need = key_width(w, self.compact) if isinstance(w, FooterKey) else 0
            if used + need > room:
                break
            used += need
            kept.append(w)
        yield from kept
        yield from palette

    def on_resize(self, event: Resize) -> None:
        if event.size.width != getattr(self, "_laid_for", None):
            self._laid_for = event.size.width
            self.call_after_refresh(self.recompose)
