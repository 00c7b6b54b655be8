"""The register's waiting-list guard line (WL-01): who is next, until when the order binds,
and which children already hold an offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lopdesk.labels import fmt_date


@dataclass
class WaitingShown:
    """The waiting list as the screen shows it: the order's ids mapped to loaded lines."""

    deadline: date
    binds: bool
    per_contingent: bool
    entries: list = field(default_factory=list)


def guard_text(view, offered: dict | None = None) -> str:
    """WL-01 made visible: who is next (children holding an open offer skipped) and until
    when the order binds."""
    offered = offered or {}
    n = len(view.entries)
    if not view.binds:
        return (f" Wachtlijst {n} · volgorde bindt niet meer (na {fmt_date(view.deadline)}): "
                "een vrije plaats is gewoon vrij (WL-01)")
    if not n:
        return f" Wachtlijst leeg · volgorde bindt t.e.m. {fmt_date(view.deadline)} (WL-01)"
    first = next((e for e in view.entries if e.id not in offered), None)
    if first is None:
        return f" Wachtlijst {n} · iedereen heeft een open aanbod (WL-01)"
    rule = " per contingent (WL-02)" if view.per_contingent else ""
    return (f" Wachtlijst {n} · volgende: {first.child_name} (nr. {first.seq}) · "
            f"bindt t.e.m. {fmt_date(view.deadline)}{rule} (WL-01)")
