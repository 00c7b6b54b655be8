"""Dutch labels and formats of the screens (the legal terms come from lopdesk.labels)."""

from __future__ import annotations

from datetime import date, datetime

from lopdesk.labels import (
    CONTINGENT,
    CONTINGENT_SHORT,
    DECISION_STATUS,
    LEVEL_KIND,
    PRIORITY_GROUP,
    PRIORITY_GROUP_SHORT,
    REASON,
    REGIME,
    REGIME_SHORT,
    STATUS,
    STATUS_SHORT,
    fmt_date,
    fmt_datetime,
    free_places_board,
    school_year_label,
)

__all__ = [
    "CONTINGENT", "DECISION_STATUS", "LEVEL_KIND", "PRIORITY_GROUP", "REASON", "REGIME",
    "STATUS", "STATUS_SHORT", "fmt_date", "fmt_datetime", "free_places_board",
    "school_year_label", "board_cell", "status_cell", "num", "short_dt", "REGIME_SHORT",
    "CONTINGENT_SHORT", "PRIORITY_GROUP_SHORT", "MODE_TITLES",
]

MODE_TITLES = {
    "overzicht": "Overzicht",
    "uitgesteld": "Uitgesteld / Niet-gerealiseerd",
    "capaciteit": "Capaciteit",
    "allocatie": "Allocatie",
}
# Status colours; the short code is always shown too (never colour as the only signal).
STATUS_STYLE = {
    "realised": "green",
    "deferred": "yellow",
    "non_realised": "red",
    "withdrawn": "bright_black",
}


def board_cell(field: str) -> tuple[str, str]:
    """CAP-05: '0' is the only value shown as full/red; JA and numbers mean places."""
    text = free_places_board(field)
    if field == "0":
        return text, "bold white on red"
    if field == "JA":
        return text, "bold green"
    if field == "":
        return text, "green"
    return text, "bold green"


def status_cell(status: str) -> tuple[str, str]:
    return STATUS_SHORT.get(status, status), STATUS_STYLE.get(status, "")


def num(value: int | None) -> str:
    return "-" if value is None else str(value)


def short_dt(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_datetime(value)[:16]
    return fmt_date(value)
