"""A searchable picker for a child, a level or a school: type part of a name, a birth date or
an id; the best matches show under the field; ↑↓ move, Tab or Enter takes the highlighted one.

The choices are read through the domain's read functions (lopdesk.domain.directory) in a
thread worker of the dialog, so the field takes keys at once: what is typed before the list
arrives is matched when it does. Matching pre-filters by substring and caps at MAX_SHOWN
(house-style: full fuzzy scoring over 20,000 names costs too much per keystroke).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

MAX_SHOWN = 50


@dataclass(frozen=True)
class Choice:
    key: str
    label: str  # what the user reads, with the id at the end
    search: str = ""  # lower-case text searched (name, birth date, id, school)

    def text(self) -> str:
        return self.search or f"{self.label} {self.key}".lower()


def child_choices(db: Any) -> list[Choice]:
    from lopdesk.domain.directory import list_children

    return [_child_choice(c) for c in list_children(db, limit=1_000_000)]


def _child_choice(c: Any) -> Choice:
    from lopdesk.labels import fmt_date

    born = fmt_date(c.birth_date) if c.birth_date else ""
    iso = c.birth_date.isoformat() if c.birth_date else ""
    label = f"{c.last_name}, {c.first_name}" + (f" · {born}" if born else "") + f" · {c.id}"
    return Choice(c.id, label, f"{c.first_name} {c.last_name} {c.last_name} "
                  f"{c.first_name} {born} {iso} {c.id}".lower())


def children_for_level(level_id: str) -> Callable[[Any], list[Choice]]:
    """The choices of a child picker for a request on `level_id`: the children born in
    the level's year come first (domain/birth_years.py), then the others (an age is a
    preference except for a nursery level, where the register refuses another year)."""

    def load(db: Any) -> list[Choice]:
        from lopdesk.domain.birth_years import level_birth_year
        from lopdesk.domain.directory import list_children

        year = level_birth_year(db, level_id)

        def other_year(c: Any) -> bool:
            return c.birth_date is None or c.birth_date.year != year

        # a stable sort: the children of the year first, each group in the list's order
        return [_child_choice(c) for c in sorted(list_children(db, limit=1_000_000),
                                                 key=other_year)]

    return load


def school_choices(db: Any) -> list[Choice]:
    """Schools; sites with the same name are told apart by their address."""
    from lopdesk.domain.directory import list_schools

    return [Choice(s.id, school_label(s), f"{s.name} {s.address} {s.neighbourhood} "
                   f"{s.id}".lower()) for s in list_schools(db)]


def schools_for_case(case_id: int) -> Callable[[Any], list[Choice]]:
    """The choices of the school a case closes at: every school close_case accepts, those
    where the register shows the child enrolled first (marked), then the area's schools
    with a level like the child's nearest first, then the others
    (lopdesk.domain.mediation.closing_schools)."""

    def load(db: Any) -> list[Choice]:
        from lopdesk.domain.mediation import closing_schools
        from lopdesk.labels import distance

        return [Choice(s.id, ("ingeschreven · " if enrolled else "") + school_label(s)
                       + (f" · {distance(d)}" if d is not None else ""),
                       f"{s.name} {s.address} {s.neighbourhood} {s.id}".lower())
                for s, d, enrolled in closing_schools(db, case_id)]

    return load


def school_label(s: Any) -> str:
    where = s.address or s.neighbourhood
    return f"{s.name}" + (f" ({where})" if where else "") + f" · {s.id}"


def level_choices(db: Any) -> list[Choice]:
    """Levels with the school's name beside them."""
    from lopdesk.domain.directory import list_levels, list_schools
    from lopdesk.labels import level_words

    schools = {s.id: s for s in list_schools(db)}
    out = []
    for lv in list_levels(db):
        s = schools.get(lv.school_id)
        name = school_label(s) if s else lv.school_id
        title = level_words(lv.kind, lv.label, lv.school_year)  # as every screen names it
        cap = f" · capaciteit {lv.capacity}" if lv.capacity is not None else ""
        label = f"{title} — {name}{cap} · {lv.id}"
        out.append(Choice(lv.id, label, f"{title} {name} {lv.id}".lower()))
    return out


def scope_choices(db: Any) -> list[Choice]:
    """What a register extract can be made for: a level, a school or an area."""
    from lopdesk.domain.directory import list_areas

    areas = [Choice(a.id, f"gebied {a.name} · {a.id}", f"gebied {a.name} {a.id}".lower())
             for a in list_areas(db)]
    return level_choices(db) + school_choices(db) + areas


def notice_choices(child_id: str | None = None,
                   school_name: Callable[[str, str], str] | None = None,
                   titles: dict[str, str] | None = None) -> Callable[[Any], list[Choice]]:
    """The register lines a refusal notice (NGI-01) can be made for: the non-realised
    ones (of one child when given), each with the child, the school (named by
    `school_name(id, name)`, as the screens name it) and the level in words. `titles`
    receives a short title of each line ("Lucas Maes, De Linde nr. 3")."""

    def load(db: Any) -> list[Choice]:
        from lopdesk.domain.directory import non_realised_entries
        from lopdesk.labels import fmt_date, level_words

        out = []
        for r in non_realised_entries(db, child_id):
            born = fmt_date(r.birth_date) if r.birth_date else ""
            school = (school_name(r.school_id, r.school_name) if school_name else
                      r.school_name + (f" ({r.where})" if r.where else ""))
            level = level_words(r.kind, r.label, r.school_year)
            # the birth date tells apart two children of the same name, as in the child picker
            label = (f"{r.last_name}, {r.first_name}" + (f" · {born}" if born else "")
                     + f" · {school} · {level} · nr. {r.seq} · {r.child_id}")
            if titles is not None:
                titles[str(r.entry_id)] = f"{r.first_name} {r.last_name}, {school} nr. {r.seq}"
            out.append(Choice(str(r.entry_id), label,
                              f"{r.first_name} {r.last_name} {r.last_name} {r.first_name} "
                              f"{born} {r.child_id} {school} {level} nr. {r.seq}".lower()))
        return out

    return load


def refused_child_choices(school_name: Callable[[str, str], str] | None = None
                          ) -> Callable[[Any], list[Choice]]:
    """The children a case can be opened for (MED-01: a non-realised request), once each,
    with the schools that refused them: two children of one name are told apart by their
    birth date and where they were refused."""

    def load(db: Any) -> list[Choice]:
        from lopdesk.domain.directory import non_realised_entries
        from lopdesk.labels import fmt_date

        by_child: dict[str, tuple[Any, list[str]]] = {}
        for r in non_realised_entries(db):
            school = school_name(r.school_id, r.school_name) if school_name else r.school_name
            schools = by_child.setdefault(r.child_id, (r, []))[1]
            if school not in schools:
                schools.append(school)
        out = []
        for cid, (r, schools) in sorted(by_child.items(), key=lambda kv: (
                kv[1][0].last_name.lower(), kv[1][0].first_name.lower(), kv[0])):
            born = fmt_date(r.birth_date) if r.birth_date else ""
            label = (f"{r.last_name}, {r.first_name}" + (f" · {born}" if born else "")
                     + f" · geweigerd: {', '.join(schools)} · {cid}")
            out.append(Choice(cid, label, f"{r.first_name} {r.last_name} {r.last_name} "
                              f"{r.first_name} {born} {cid} {' '.join(schools)}".lower()))
        return out

    return load


def case_choices(db: Any) -> list[Choice]:
    """Mediation cases, running ones first (the order of the case list), each with the
    child, its state and the refusing schools."""
    from lopdesk.domain.mediation import list_cases
    from lopdesk.labels import CASE_STATUS

    out = []
    for c in list_cases(db):
        schools = ", ".join(c.school_names or c.schools)
        label = (f"dossier {c.id} · {c.child_name} · {CASE_STATUS.get(c.status, c.status)}"
                 + (f" · {schools}" if schools else "") + f" · {c.child_id}")
        out.append(Choice(str(c.id), label, f"dossier {c.id} {label}".lower()))
    return out


# What a picker of each kind searches in (a level or a school has no birth date).
PLACEHOLDER = {
    "child": "zoek op naam, geboortedatum of id…",
    "level": "zoek op school, niveau of id…",
    "school": "zoek op naam, adres of id…",
}
SOURCES: dict[str, Callable[[Any], list[Choice]]] = {
    "child": child_choices, "level": level_choices, "school": school_choices,
}


def matches(choices: Sequence[Choice], text: str, limit: int = MAX_SHOWN) -> list[Choice]:
    """Choices whose search text holds every typed word; an exact id comes first, then ids
    that start with the text, then choices where every typed word starts a word ("Linde"
    finds De Linde before De Vlinder), then the others in their order."""
    words = text.lower().split()
    if not words:
        return list(choices[:limit])
    typed = text.strip().lower()
    exact: list[Choice] = []
    start: list[Choice] = []
    word: list[Choice] = []
    rest: list[Choice] = []
    for c in choices:
        hay = c.text()
        if all(w in hay for w in words):
            key = c.key.lower()
            if key == typed:
                exact.append(c)
            elif key.startswith(typed):
                start.append(c)
            elif all(_starts_a_word(hay, w) for w in words):
                word.append(c)
            else:
                rest.append(c)
            if len(exact) + len(start) + len(word) >= limit or len(rest) >= limit * 20:
                break
    return (exact + start + word + rest)[:limit]


_WORD_START = re.compile(r"(?:^|[\s(·,/-])$")


def _starts_a_word(hay: str, word: str) -> bool:
    """`word` occurs in `hay` at the start of a word (after a space, bracket or dash)."""
    i = hay.find(word)
    while i >= 0:
        if i == 0 or _WORD_START.search(hay[i - 1]):
            return True
        i = hay.find(word, i + 1)
    return False


class PickerInput(Input):
    BINDINGS = [
        Binding("down", "move(1)", "Volgende keuze", show=False),
        Binding("up", "move(-1)", "Vorige keuze", show=False),
    ]

    def action_move(self, delta: int) -> None:
        picker = self.parent
        if isinstance(picker, Picker):
            picker.move(delta)


class Matches(OptionList, can_focus=False):
    """The matches under a picker's input (keys stay in the input: Tab leaves the field)."""


class Picker(Vertical):
    """An input with a list of matches under it; `value` is the chosen key (or None)."""

    DEFAULT_CSS = """
    Picker { height: auto; }
    Picker OptionList { height: auto; max-height: 5; display: none; border: none;
                        padding: 0; }
    Picker.open OptionList.some { display: block; }
    Picker .chosen { color: $text-muted; height: auto; }
    """

    def __init__(self, value: str = "", *, placeholder: str = "", id: str | None = None,
                 choices: Sequence[Choice] | None = None, label: str = "",
                 not_found: str = "", known: Choice | None = None) -> None:
        super().__init__(id=id)
        # The choice of the prefilled value when the caller knows it (its label at once,
        # while the list is still being read).
        self._known = known
        self._typed = str(value or "")
        self._placeholder = placeholder
        # The label is part of the picker, so it stays in view with the matches under it;
        # `not_found` follows "niet gevonden" (e.g. how to add a new one instead).
        self._label, self._not_found = label, not_found
        self.choices: list[Choice] | None = list(choices) if choices is not None else None
        self._shown: list[Choice] = []

    def compose(self) -> ComposeResult:
        if self._label:
            yield Label(self._label, classes="field-label")
        yield PickerInput(self._typed, placeholder=self._placeholder or "zoek op naam of id…")
        yield Matches()
        yield Static("", classes="chosen")

    @property
    def input(self) -> PickerInput:
        return self.query_one(PickerInput)

    def focus(self, scroll_visible: bool = True) -> Picker:
        self.input.focus(scroll_visible)
        return self

    @property
    def loaded(self) -> bool:
        return self.choices is not None

    @property
    def ready(self) -> bool:
        """Its value can be taken: the list is read, nothing is typed, or the prefilled
        value is still there and known."""
        return self.loaded or not self.text or self._known_typed() is not None

    def _known_typed(self) -> Choice | None:
        known = self._known
        return known if known is not None and self.text.lower() == known.key.lower() else None

    @property
    def text(self) -> str:
        return self.input.value.strip()

    def set_choices(self, choices: list[Choice]) -> None:
        self.choices = choices
        self._refilter()

    def _refilter(self) -> None:
        options = self.query_one(Matches)
        text = self.text
        self._shown = matches(self.choices or [], text) if text and self.choices else []
        if self.choices is None and (known := self._known_typed()) is not None:
            self._shown = [known]
        options.clear_options()
        options.add_options([Option(c.label, id=c.key) for c in self._shown])
        options.set_class(bool(self._shown), "some")
        if self._shown:
            options.highlighted = 0
        self._show_chosen()
        if self.input.has_focus:
            self.call_after_refresh(self._keep_in_view)

    def _keep_in_view(self) -> None:
        """The label, the input and the matches in view together while it is being used."""
        if self.input.has_focus:
            self.scroll_visible(animate=False)

    def _show_chosen(self) -> None:
        chosen = self.chosen()
        label = self.query_one(".chosen", Static)
        if chosen is not None:
            label.update(f"→ {chosen.label}")
        elif self.text and self.loaded:
            label.update(f"Niet gevonden: '{self.text}'."
                         + (f" {self._not_found}" if self._not_found else ""))
        else:
            label.update("")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.is_mounted:
            self._refilter()

    def on_descendant_focus(self) -> None:
        self.add_class("open")

    def on_descendant_blur(self) -> None:
        self.remove_class("open")

    def move(self, delta: int) -> None:
        options = self.query_one(Matches)
        if not self._shown:
            return
        index = (options.highlighted or 0) + delta
        options.highlighted = max(0, min(index, len(self._shown) - 1))
        self._show_chosen()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        options = self.query_one(Matches)
        options.highlighted = event.option_index
        self._show_chosen()
        self.input.focus()

    def chosen(self) -> Choice | None:
        """The highlighted match of what is typed (None when nothing matches)."""
        if not self._shown:
            return None
        index = self.query_one(Matches).highlighted or 0
        return self._shown[min(index, len(self._shown) - 1)]

    @property
    def value(self) -> str | None:
        chosen = self.chosen()
        return chosen.key if chosen is not None else None
