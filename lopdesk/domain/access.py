"""Roles, checked in the domain services (not only hidden in the screens).

The operating-system user is the identity; `app_user` maps it to a role. An unknown
or inactive user is refused with a clear message.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlmodel import Session

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
    row = session.execute(_ROLE, {"name": user}).first()
    if row is None or not row.active:
        raise PermissionDenied(
            f"Gebruiker '{user}' is niet gekend in lopdesk. Vraag een beheerder om u toe te "
            f"voegen met 'lopdesk users add {user} --role lop_expert'."
        )
    return row.role


def require(session: Session, user: str, action: str) -> str:
    """Refuse unless the user's role allows `action`; returns the role."""
    role = role_of(session, user)
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise ValueError(f"unknown action {action!r}")
    if role not in allowed:
        raise PermissionDenied(
            f"Uw rol ({ROLE_LABEL.get(role, role)}) laat deze actie niet toe ({action})."
        )
    return role
