"""Roles, checked in the domain services (not only hidden in the screens).

The operating-system user is the identity; `app_user` maps it to a role. An unknown
or inactive user is refused with a clear message.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from lopdesk.db import check_with_next
from lopdesk.domain.errors import PermissionDenied
from lopdesk.domain.models import AppUser

ROLES = ("admin", "lop_expert", "mediation", "viewer")

# Which roles may do which kind of action. Reading is open to every known user.
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "register.write": frozenset({"admin", "lop_expert"}),
    "capacity.write": frozenset({"admin", "lop_expert"}),
    "capacity.decide": frozenset({"admin", "lop_expert"}),
    "allocation.run": frozenset({"admin", "lop_expert"}),
    "data.import": frozenset({"admin", "lop_expert"}),
    "mediation.write": frozenset({"admin", "mediation", "lop_expert"}),
    "mediation.read_child": frozenset({"admin", "mediation", "lop_expert"}),
    "documents": frozenset({"admin", "lop_expert", "mediation"}),
    "admin": frozenset({"admin"}),
}

ROLE_LABEL = {
    "admin": "beheerder",
    "lop_expert": "LOP-deskundige",
    "mediation": "bemiddelingscel",
    "viewer": "raadpleger",
}


_USERS = AppUser.__table__  # type: ignore[attr-defined]
# A plain row, not an ORM entity: every action of every user runs this first.
_ROLE = select(_USERS.c.role, _USERS.c.active).where(_USERS.c.name == bindparam("name"))


def role_of(session: Session, user: str) -> str:
    return _known_role(session.execute(_ROLE, {"name": user}).first(), user)


def _known_role(row: Any, user: str) -> str:
    if row is None or not row.active:
        raise PermissionDenied(
            f"Gebruiker '{user}' is niet gekend in lopdesk. Vraag een beheerder om u toe te "
            f"voegen met 'lopdesk users add {user} --role lop_expert'."
        )
    return row.role


def require(session: Session, user: str, action: str) -> str:
    """Refuse unless the user's role allows `action`; returns the role."""
    return _allowed(role_of(session, user), action)


def require_with_next(session: Session, user: str, action: str) -> None:
    """As require, but read with the transaction's next statement (db.check_with_next: one
    round trip less on PostgreSQL); the refusal comes before anything is decided or
    committed. For the hot write paths, whose first statements are safe to roll back."""
    check_with_next(session, _ROLE, {"name": user},
                    lambda rows: _allowed(_known_role(rows[0] if rows else None, user), action))


def _allowed(role: str, action: str) -> str:
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise ValueError(f"unknown action {action!r}")
    if role not in allowed:
        raise PermissionDenied(
            f"Uw rol ({ROLE_LABEL.get(role, role)}) laat deze actie niet toe ({action})."
        )
    return role
