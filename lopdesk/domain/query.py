"""Building blocks the read queries share."""

from __future__ import annotations

from typing import Any, TypeVar

Q = TypeVar("Q")


def where_given(query: Q, *conditions: tuple[Any, Any]) -> Q:
    """The query narrowed to `column == value` for each (column, value) pair whose value
    is given: None, "" and 0 mean "any" (the optional filters of the list functions)."""
    for column, value in conditions:
        if value:
            query = query.where(column == value)  # type: ignore[attr-defined]
    return query
