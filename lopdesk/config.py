"""Settings: where the database lives, who the user is, which templates to use.

Kept free of heavy imports: every start of the CLI and the app reads it.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB_PATH = Path("data") / "lopdesk.db"


def db_url_from(value: str | None) -> str:
    """Turn a `--db` value or `LOPDESK_DB` into an SQLAlchemy URL.

    A plain path means an SQLite file; anything with `://` is taken as a URL
    (e.g. `postgresql+psycopg://user@localhost/lop`).
    """
    raw = value or os.environ.get("LOPDESK_DB") or str(DEFAULT_DB_PATH)
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().absolute()}"


def current_user() -> str:
    """The operating-system user is the identity (LOPDESK_USER only for tests/scripts)."""
    return os.environ.get("LOPDESK_USER") or getpass.getuser()


@dataclass(frozen=True)
class Settings:
    db_url: str = field(default_factory=lambda: db_url_from(None))
    user: str = field(default_factory=current_user)
    templates_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["LOPDESK_TEMPLATES"])
        if os.environ.get("LOPDESK_TEMPLATES")
        else None
    )
    # Seconds between change polls in the app (another user's commit shows within 2 s).
    poll_interval: float = 1.0

    @classmethod
    def from_cli(cls, db: str | None = None, user: str | None = None) -> Settings:
        return cls(db_url=db_url_from(db), user=user or current_user())

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.db_url.split(":///", 1)[1])
