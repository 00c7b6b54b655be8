"""The rows of the register screen: its columns and legend, a row per line made only when
drawn (LazyRows), the rows shown while the first lines are read, the header's notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from lopdesk.domain import counters, directory, registers
from lopdesk.domain.register_view import (
    RegisterLines,
    WaitingOrder,
    register_head,
    register_lines,
    waiting_order,
)
from lopdesk.labels import (
    OUT_OF_ORDER_APP,
    PRIORITY_GROUP_SHORT,
    REASON,
    plural,
)
from lopdesk.screens.widgets.table import Column, LazyRows, Row

if TYPE_CHECKING:
    from lopdesk.db import Database

# One line a row (200,000 lines open fast): the widths come from the data (`wants`); at 80
# columns the overcapacity category gives way, then a name too long shortens its first
# name to an initial, a reason keeps its first whole words (the detail line: whole).
COLUMNS = [
    Column("Nr", 5, "right"),
    Column("Tijdstip", 19, flex=False),
    Column("Kind", 22, cut="initials"),
    Column("St", 3),
    Column("Wacht/reden", 12),
    Column("Vr", 4),
    Column("C", 2),
    Column("Id", 8),
    Column("Overcap.", 10, drop=1),
]
KIND, WAIT, VR, ID, OVERCAP = 2, 4, 5, 7, 8
# What the marks of the register mean, under the table when nothing is cut (the help lists
# every title and mark: labels.legend).
LEGEND = (OUT_OF_ORDER_APP, "#n = plaats op de wachtlijst", "Vr = voorrang",
          "C = contingent")


def line_rows(lines: RegisterLines) -> LazyRows:
    """A row per line, made when drawn or under the cursor (200,000 lines open as fast as
    2,000); the filter reads the columns (RegisterLines.where)."""
    ids, search = lines.ids, lines.search
    return LazyRows(ids, lambda i: Row(ids[i], data=lines[i], search=search[i]))


def head_rows(head: RegisterLines, count: int) -> LazyRows:
    """The register while only its first lines are read: those, then the numbers of the
    lines still to come."""
    ids = head.ids

    def row(i: int) -> Row:
        if i < len(head):
            return Row(ids[i], data=head[i], search=head.search[i])
        return Row(("pending", i), [str(i + 1), "…"])

    return LazyRows(_HeadKeys(ids, count), row)


class _HeadKeys(Sequence):
    """The keys of a register while only its first lines are read: the entry ids, then a
    ("pending", i) per line still to come (made when asked for)."""

    def __init__(self, ids: list[int], count: int) -> None:
        self.ids = ids
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i):  # type: ignore[override]
        return self.ids[i] if i < len(self.ids) else ("pending", i)

    def index(self, key, *args) -> int:  # type: ignore[override]
        return self.ids.index(key)


def read_lines(db: Database, level_id: str) -> RegisterLines:
    """Every line of the register, with the widest values `wants` needs measured in the
    worker too (not on the UI thread)."""
    lines = register_lines(db, level_id)
    lines.widest()
    return lines


def wants(lines: RegisterLines, waiting: int, offers: int) -> dict[int, int]:
    """The widest value of the register's columns (`RegisterLines.widest`, no row made):
    the longest name, reason, overcapacity category and id; the number with its "!"; a
    place on the waiting list "#n (Rm)" (`waiting` long)."""
    most = lines.widest()
    seq = len(str(most.seq)) + (1 if lines.out_of_order else 0)
    rank = len(str(most.rank)) if most.rank else 0
    place = len(f"#{waiting}") + (len(" (R)") + rank if rank else 0)
    reasons = {REASON.get(r, r) for r in most.reasons}
    wait = max([len(r) for r in reasons] + [place, len("aangeboden") if offers else 0,
                                             len("periode")])
    groups = {PRIORITY_GROUP_SHORT.get(g, g) for g in most.groups}
    return {0: max(seq, 2), KIND: most.name, WAIT: wait, ID: most.child_id,
            VR: max(map(len, groups), default=0), OVERCAP: most.overcapacity}


def marks_text(count: int) -> str:
    """The header line about lines marked Nr! (REG-01), when the register has any."""
    return f" {plural(count, 'lijn', 'lijnen')} met {OUT_OF_ORDER_APP}" if count else ""


def superseded_text(count: int, hidden: bool) -> str:
    """The header line about the lines of a replaced allocation run (ALC-05)."""
    if not count:
        return ""
    lines = plural(count, "lijn", "lijnen")
    if hidden:
        return f" {lines} van een vervangen toewijzing verborgen (v: tonen)"
    return f" {lines} van een vervangen toewijzing, ingetrokken (v: verbergen)"


def search_text(e) -> str:
    return f"{e.seq} {e.child_name} {e.child_id}"



class Details(NamedTuple):
    """What the register's header, guard and state-dependent keys need besides its lines."""

    waiting: WaitingOrder
    periods: list
    counters: list
    offers: list


def read_details(db: Database, level_id: str, at: datetime,
                 scope: dict[str, Any]) -> Details:
    """The waiting order (WL-01), the periods (REG-04/05), the counters of the level's area
    and year (CAP-04) and the open offers, in one worker: one result, so the screen, its
    title and its keys are drawn once instead of once per read."""
    return Details(waiting_order(db, level_id, at=at), directory.list_periods(db, level_id),
                   counters.area_counters(db, at=at, **scope),
                   registers.list_offers(db, level_id, "open"))


def read_opening(db: Database, level_id: str, at: datetime, scope: dict[str, Any]
                 ) -> tuple[int, RegisterLines, Details | None]:
    """The line count and the first lines; for a register that fits in them (most), the
    details too, so that it opens in one step."""
    count, head = register_head(db, level_id)
    details = read_details(db, level_id, at, scope) if count <= len(head) else None
    return count, head, details
