"""The area index: one read-only snapshot of the area's levels (their counters), shared by
every screen and the palette, refreshed by the app's change poll only.

Screens read it (`app.area.level("L1")`, `app.area.schools()`); none writes it. A fresh
snapshot replaces the old one whole, so a reader never sees a half-refreshed index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lopdesk.present import level_title, school_names, school_title


@dataclass(frozen=True)
class AreaIndex:
    levels: tuple[Any, ...] = ()  # LevelCounters, in the order the counters query gives
    by_level: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, levels: list[Any]) -> AreaIndex:
        return cls(tuple(levels), {c.level_id: c for c in levels})

    def level(self, level_id: str) -> Any | None:
        return self.by_level.get(level_id)

    def schools(self) -> dict[str, Any]:
        """school id → the counters of its first level (name, neighbourhood)."""
        out: dict[str, Any] = {}
        for c in self.levels:
            out.setdefault(c.school_id, c)
        return out

    @cached_property
    def _names(self) -> dict[str, str]:  # made once per snapshot (it is never changed)
        """Every school with its neighbourhood, as the overview and the breadcrumb name it
        ('Basisschool De Boomgaard, Drongen', also when no other school has that very name
        but 'De Boomgaard Ledeberg' is near it); shared names told apart as school_names."""
        shared = school_names(self.levels, by_place=True)
        out: dict[str, str] = {}
        for c in self.levels:
            if c.school_id not in out:
                name = shared[c.school_id]
                out[c.school_id] = (school_title(name, c.neighbourhood)
                                    if name == c.school_name else name)
        return out

    def school_name(self, school_id: str, known: str = "") -> str:
        """The school's name as every screen shows it: with its neighbourhood where several
        schools share the name; `known` (or the id) while the index is not read yet."""
        return self._names.get(school_id) or known or school_id

    def level_name(self, level_id: str) -> str:
        """The level in words ('leerjaar 1 · 2026-2027'); its id only while unknown."""
        c = self.by_level.get(level_id)
        return level_title(c) if c is not None else level_id

    def place(self, level_id: str, known_school: str = "") -> str:
        """School and level in words: 'De Linde, Muide · leerjaar 1 · 2026-2027'."""
        c = self.by_level.get(level_id)
        if c is None:
            return f"{known_school} ({level_id})" if known_school else level_id
        return f"{self.school_name(c.school_id)} · {level_title(c)}"
