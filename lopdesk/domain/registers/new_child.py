"""A request for a child the LOP does not know yet: the child and its request in one
transaction, so a refused request leaves no child behind."""

from __future__ import annotations

from datetime import date
from typing import Any

from lopdesk.db import Database
from lopdesk.domain.access import require
from lopdesk.domain.areas import add_new_child_in
from lopdesk.domain.models import CapacityLevel
from lopdesk.domain.registers.requests import add_request_in, check_birth_year
from lopdesk.domain.registers.views import EntryView


def add_request_for_new_child(db: Database, level_id: str, first_name: str, last_name: str,
                              *, birth_date: date | None = None, **request: Any) -> EntryView:
    """`request` takes add_request's keywords (priority_group, at, overcapacity_category).
    A birth date the level does not take is refused under the birth date, before the child
    is made."""
    with db.write() as s:
        require(s, db.user, "register.write")
        level = s.get(CapacityLevel, level_id)
        if level is not None:
            check_birth_year(level.kind, level.label, birth_date, "het nieuwe kind",
                             "birth_date")
        child = add_new_child_in(s, db.user, first_name, last_name, birth_date=birth_date)
        return add_request_in(s, db.user, level_id, child.id, **request)
