"""Column types shared by the tables."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from lopdesk import clock as clocks


class UTCDateTime(TypeDecorator):
    """Stores UTC, returns timezone-aware UTC datetimes on SQLite and PostgreSQL alike.

    SQLite keeps no zone; we normalise on the way in and re-attach UTC on the way out,
    so the rest of the code never sees a naive datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; lopdesk stores aware UTC datetimes only")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now in UTC, to the second (the register keeps seconds, REG-01), on the clock of the
    database whose session is open: the training clock of a demo database, else the system
    clock (lopdesk.clock)."""
    return clocks.now()
