"""The footer of every screen: the keys in the order of the screen's bindings, and only the
keys that fit whole: a key is left out rather than cut mid-word. When not all fit, the keys
marked `first` in the key table (the screen's most important) get the room first, then the
others in their order. The palette key stays at the right; the help (?) lists every key.

Textual's Footer removes and mounts all its keys again on every bindings signal of its
screen (`refresh_bindings`: each cursor move, focus change, screen switch and database
result), several hundred times in a session and the largest cost of opening a large
register. Here the signals that arrive before the footer looks are taken as one, and the
keys are rebuilt only when what they show changed: which keys, their descriptions and
tooltips, enabled or not, the footer's width and style. The footer never holds the focus
(Footer: can_focus_children=False), so rebuilding it or not leaves the focus alone."""

from __future__ import annotations

from collections.abc import Hashable

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from lopdesk.screens.keys import key_of

PALETTE_CLASS = "-command-palette"


def key_width(key: FooterKey, compact: bool) -> int:
    """The cells a footer key takes: the key with padding, the description with padding."""
    pad = 1 if compact else 2
    description = cell_len(key.description) + (1 if key.description else 0)
    return cell_len(key.key_display) + pad + description


class KeyFooter(Footer):
    # what the keys on show were built from (None: not built yet)
    _shown: Hashable | None = None
    _check_due: bool = False
    rebuilds: int = 0  # how often the keys were built (tests count it)

    def what_shows(self) -> Hashable:
        """Everything the keys are built from (see Footer.compose): the shown bindings with
        their key display, description, group, enabled state and tooltip; the palette key;
        the width and style of the footer."""
        app = self.app
        palette = app.COMMAND_PALETTE_BINDING
        keys = tuple(
            (b.key, app.get_key_display(b), b.description, b.action, b.group, b.tooltip,
             enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
            if b.show or key == palette)
        return (keys, self.size.width or app.size.width, self.compact,
                self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen's bindings may have changed: look once, on the next message (the
        handler that sent the signal has finished), whether the keys shown change; keys
        built then are laid out and drawn in the same pass as what changed them."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_due:
            self._check_due = True
            self.call_next(self._check)

    async def _check(self) -> None:
        self._check_due = False
        await self.recompose()

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would come out as they are."""
        if not self.is_attached or self._pruning:
            return
        if self._bindings_ready:
            shown = self.what_shows()
            if shown == self._shown:
                return
            self._shown = shown
        await super().recompose()

    def compose(self) -> ComposeResult:
        self.rebuilds += 1
        widgets = list(super().compose())
        for w in widgets:
            if isinstance(w, FooterKey) and not w.has_class(PALETTE_CLASS):
                # Born with the footer's style: Footer binds `compact` to each key (not the
                # palette key) after it is mounted, and a key made compact (its default)
                # then changed restyles itself once more: a style pass per key per rebuild.
                w.set_reactive(FooterKey.compact, self.compact)
        width = self.size.width or self.app.size.width
        palette = [w for w in widgets if w.has_class(PALETTE_CLASS)]
        room = width - sum(key_width(w, self.compact) + 1 for w in palette
                           if isinstance(w, FooterKey)) - 1
        keys = [w for w in widgets if w not in palette]
        first = self._first_actions()
        chosen = [w for w in keys if isinstance(w, FooterKey) and w.action in first]
        used = sum(key_width(w, self.compact) for w in chosen)
        while chosen and used > room:  # even the first keys do not all fit: the last go
            used -= key_width(chosen.pop(), self.compact)
        for w in keys:  # then the others in their order, as long as they fit
            if w in chosen:
                continue
            need = key_width(w, self.compact) if isinstance(w, FooterKey) else 0
            if used + need > room:
                break
            used += need
            chosen.append(w)
        yield from (w for w in keys if w in chosen)
        yield from palette

    def _first_actions(self) -> set[str]:
        """The actions of the screen's keys marked `first` (screens/keys.py)."""
        out = set()
        for _node, b, _enabled, _tip in self.screen.active_bindings.values():
            key = key_of(b)
            if key is not None and key.first:
                out.add(b.action)
        return out

    def on_resize(self, event: Resize) -> None:
        if event.size.width != getattr(self, "_laid_for", None):
            self._laid_for = event.size.width
            self.call_after_refresh(self.recompose)
