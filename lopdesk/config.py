"""Settings: where the database lives, who the user is, which templates to use.

Kept free of heavy imports: every start of the CLI and the app reads it.
"""

from __future__ import annotations

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


# Seconds a writer waits in the SQLite write queue before giving up with a message that
# names who holds the lock (LOPDESK_LOCK_TIMEOUT overrides).
DEFAULT_LOCK_WAIT = 30.0
# PostgreSQL: seconds to connect, and at most this long for a lock or a statement in a write.
DEFAULT_CONNECT_TIMEOUT = 10
DEFAULT_PG_LOCK_TIMEOUT = 30.0
DEFAULT_PG_STATEMENT_TIMEOUT = 300.0


def process_user() -> str:
    """The operating-system account this process runs as: the identity on SQLite.

    Taken from the kernel (effective uid), never from USER, LOGNAME or any other variable
    a user can set to whatever they like.
    """
    import pwd

    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # an account without a passwd entry (some containers)
        return f"uid{uid}"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Settings:
    db_url: str = field(default_factory=lambda: db_url_from(None))
    # None: the operating-system account (SQLite) or the database session user
    # (PostgreSQL). Only Python code can set it (tests, benchmarks); the command line cannot.
    user: str | None = None
    templates_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["LOPDESK_TEMPLATES"])
        if os.environ.get("LOPDESK_TEMPLATES")
        else None
    )
    # Seconds between change polls in the app (another user's commit shows within 2 s).
    poll_interval: float = 1.0
    # The SQLite write queue: seconds to wait for another writer before refusing.
    lock_wait: float = field(
        default_factory=lambda: _env_float("LOPDESK_LOCK_TIMEOUT", DEFAULT_LOCK_WAIT))
    # PostgreSQL timeouts (seconds).
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    pg_lock_timeout: float = DEFAULT_PG_LOCK_TIMEOUT
    pg_statement_timeout: float = DEFAULT_PG_STATEMENT_TIMEOUT

    @classmethod
    def from_cli(cls, db: str | None = None, user: str | None = None) -> Settings:
        return cls(db_url=db_url_from(db), user=user)

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.db_url.split(":///", 1)[1])
