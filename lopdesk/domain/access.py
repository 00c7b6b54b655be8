"""Roles, checked in the domain services (not only hidden in the screens).

The operating-system user is the identity; `app_user` maps it to a role. An unknown
or inactive user is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from lopdesk.domain.errors import PermissionDenied

if TYPE_CHECKING:
    from sqlmodel import Session

    from lopdesk.db import Database
    from lopdesk.plainsql import Query

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


# A plain row, not an ORM entity: every action of every user runs this first. Plain SQL
# (app_user of domain.models), so that a quick read needs no SQLAlchemy (require_plain).
_ROLE_SQL = "SELECT role, active FROM app_user WHERE name = :name"


def role_of(session: Session, user: str) -> str:
    return _known_role(session.execute(_role_statement(), {"name": user}).first(), user)


def _known_role(row: Any, user: str) -> str:
    if row is None or not row[1]:
        raise PermissionDenied(
            f"Gebruiker '{user}' is niet gekend in lopdesk. Vraag een beheerder om u toe te "
            f"voegen met 'lopdesk users add {user} --role lop_expert'."
        )
    return row[0]


def require(session: Session, user: str, action: str) -> str:
    """Refuse unless the user's role allows `action`; returns the role."""
    return allowed_role(role_of(session, user), action)


@contextmanager
def reading(db: Database, action: str = "read") -> Iterator[Session]:
    """A read session of `db` for its user, who must be allowed `action` (reading by default)."""
    with db.read() as s:
        require(s, db.user, action)
        yield s


def require_plain(query: Query, user: str, action: str) -> str:
    """`require` inside a plain-SQL read (Database.read_plain)."""
    rows = query(_ROLE_SQL, {"name": user})
    return allowed_role(_known_role(rows[0] if rows else None, user), action)


def require_with_next(session: Session, user: str, action: str) -> None:
    """As require, but read with the transaction's next statement (pg_write.check_with_next:
    one round trip less on PostgreSQL); the refusal comes before anything is decided or
    committed. For the hot write paths, whose first statements are safe to roll back."""
    from lopdesk.pg_write import check_with_next

    check_with_next(session, _role_statement(), {"name": user},
                    lambda rows: allowed_role(_known_role(rows[0] if rows else None, user),
                                              action))


@cache
def _role_statement() -> Any:
    from sqlalchemy import text

    return text(_ROLE_SQL)


def allowed_role(role: str, action: str) -> str:
    """The role when it allows `action`, else PermissionDenied."""
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise ValueError(f"unknown action {action!r}")
    if role not in allowed:
        raise PermissionDenied(
            f"Uw rol ({ROLE_LABEL.get(role, role)}) laat deze actie niet toe ({action})."
        )
    return role
