"""The one registry of actions: every key binding of the app and its screens, with its id
(`<screen>.<name>`), its Dutch description and tooltip, and what the palette needs.

The footer, the help and the palette all read these bindings: a screen's keys are listed in
its palette group ("Register: aanvraag"), and keys marked `everywhere` are in the palette on
every screen (the palette first goes to their main screen). A screen declares its keys as a
small table, one line a key:

    keys   name[=action]   Description | tooltip | flag, flag

A line that starts with `|` goes on the line before it. Flags: `hidden` (not in the
footer), `first` (among the screen's most important keys: the footer shows it before any
other when the width is short), `row` (refused without a row under the cursor), `priority`
(before the focused
widget's own key, e.g. a table's k), `everywhere`, `palette=[<group>: ]<verb>` (the
palette's title when it is not "<screen title>: <description>"), `display=<text>` (the key
as the footer shows it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One binding with what the registry adds to Textual's Binding."""

    keys: str
    screen: str
    name: str
    action: str
    description: str
    tooltip: str
    hidden: bool = False
    first: bool = False  # the footer shows it before the others when room is short
    priority: bool = False
    needs_row: bool = False
    everywhere: bool = False
    verb: str = ""
    key_display: str | None = None
    group: str = ""  # the palette's group when it is not the screen's title

    @property
    def id(self) -> str:
        return f"{self.screen}.{self.name}"

    @property
    def action_name(self) -> str:
        return self.action.split("(")[0]

    @property
    def palette_verb(self) -> str:
        return self.verb or f"{self.description[:1].lower()}{self.description[1:]}"

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.description, show=not self.hidden,
                       key_display=self.key_display, priority=self.priority,
                       tooltip=self.tooltip, id=self.id)


REGISTRY: dict[str, Key] = {}  # binding id -> its Key


def register(key: Key) -> Binding:
    """Enter `key` in the registry; its Textual binding."""
    REGISTRY[key.id] = key
    return key.binding()


def parse_line(screen: str, line: str) -> Key:
    """One line of a key table (see the module's docstring)."""
    head, tooltip, *rest = [part.strip() for part in line.split("|")] + [""]
    keys, name, description = head.split(None, 2)
    name, _, action = name.partition("=")
    flags = {f.strip() for f in (rest[0] if rest else "").split(",") if f.strip()}
    values = dict(f.split("=", 1) for f in flags if "=" in f)
    group, _, verb = values.get("palette", "").rpartition(": ")
    return Key(keys, screen, name, action or name, description.strip(), tooltip,
               hidden="hidden" in flags, first="first" in flags,
               priority="priority" in flags,
               needs_row="row" in flags, everywhere="everywhere" in flags,
               verb=verb, key_display=values.get("display"), group=group)


def key_table(screen: str, table: str) -> list[Binding]:
    """The bindings of a screen from its key table, in the table's order (the footer's)."""
    lines: list[str] = []
    for line in table.strip().splitlines():
        if line.strip().startswith("|") and lines:
            lines[-1] += " " + line.strip()
        elif line.strip():
            lines.append(line)
    return [register(parse_line(screen, line)) for line in lines]


def key_of(binding: Binding) -> Key | None:
    return REGISTRY.get(binding.id or "")


def keys_of(screen_id: str) -> list[Key]:
    """The registered keys of one screen, in their order."""
    return [k for k in REGISTRY.values() if k.screen == screen_id]


def key_names(app: Any, binding: Binding) -> str:
    """'F1 of ?', 'Ctrl+P' rather than Textual's 'f1,question_mark', '^p': the way the help,
    the palette and the manual write keys (`app`: the running App, for its key names)."""
    out = []
    for key in binding.key.split(","):
        shown = app.get_key_display(replace(binding, key=key.strip(), key_display=None))
        out.append(f"Ctrl+{shown[1:].upper()}" if shown.startswith("^") else shown)
    return " of ".join(out)
