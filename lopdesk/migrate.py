"""Schema migrations through alembic, run only by `lopdesk init` / `lopdesk db upgrade`.

Never on start-up: several users starting at once must not race to migrate.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from lopdesk.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url)
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config(db)
    with db.writer.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        connection.commit()


def autogenerate(db: Database, message: str, rev_id: str) -> None:
    """Developer helper: write a new revision from the difference with the tables."""
    cfg = alembic_config(db)
    with db.writer.connect() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
