"""The area index: one read-only snapshot of the area's levels (their counters), shared by
every screen and the palette, refreshed by the app's change poll only.

Screens read it (`app.area.level("L1")`, `app.area.schools()`); none writes it. A fresh
snapshot replaces the old one whole, so a reader never sees a half-refreshed index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
