"""Creating and upgrading a database; the first user becomes its administrator."""

from __future__ import annotations

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.models import AppUser


def initialise(db: Database) -> bool:
    """Bring the schema to the current revision; returns True when the database was new.

    The user who initialises a new database becomes its administrator.
    """
    from lopdesk import migrate  # alembic stays off the start path

    was_new = db.revision() is None
    migrate.upgrade(db)
    with db.write() as s:
        audit.ensure_head(s)
        if was_new and s.get(AppUser, db.user) is None:
            s.add(AppUser(name=db.user, role="admin", full_name=db.user))
            s.flush()
            audit.record(s, db.user, "user.add", "app_user", db.user, {"role": "admin"})
    if db.is_sqlite and db.settings.sqlite_path is not None:
        import os

        path = db.settings.sqlite_path
        if path.exists():
            os.chmod(path, 0o660)  # owner and group only (domain §10)
    return was_new
