"""Which clock says "now": the system clock, or the training clock of a demo database.

A demo database (`lopdesk demo`) stores the day it was built for in its `setting` table;
it then runs on a training clock: the real clock shifted by a fixed offset, so that it
starts on the demo day at the wall-clock time of day the demo was built and advances with
real time (docs/decisions.md). A real database always runs on the system clock.

`Database.read()`/`write()` make their database's clock the active one for the length of
the session (a context variable, reset on exit): `domain.types.utcnow()` asks it, so two
databases open in one process never share a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

Clock = Callable[[], datetime]

# Keys of the `setting` table that mark a demo database and its training clock.
TRAINING_DAY = "training_day"
TRAINING_OFFSET = "training_offset_seconds"

_active: ContextVar[Clock | None] = ContextVar("lopdesk_clock", default=None)


def system_now() -> datetime:
    """The system clock in UTC, to the second (the register keeps seconds, REG-01)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class TrainingClock:
    """The real clock shifted by `offset`; `day` is the demo day it started on."""

    day: date
    offset: timedelta

    def __call__(self) -> datetime:
        return (datetime.now(UTC) + self.offset).replace(microsecond=0)


def training_offset(day: date, real_now: datetime, tz) -> timedelta:
    """The offset that puts `real_now`'s local time of day on `day` (in zone `tz`)."""
    local = real_now.astimezone(tz)
    anchor = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
    return (anchor.astimezone(UTC) - real_now.astimezone(UTC))


def from_settings(values: dict[str, str]) -> TrainingClock | None:
    """The training clock stored in a database's settings, or None (the system clock)."""
    day, offset = values.get(TRAINING_DAY), values.get(TRAINING_OFFSET)
    if not day or offset is None:
        return None
    try:
        return TrainingClock(date.fromisoformat(day), timedelta(seconds=int(offset)))
    except ValueError:
        return None


def read_settings(rows: Any) -> dict[str, str]:
    """A database's `setting` table as a dict; empty when the table is not there (yet).
    `rows`: a context manager giving a plain-SQL query (lopdesk.plainsql)."""
    try:
        with rows as query:
            found = query("SELECT key, value FROM setting")
    except Exception:  # no setting table: a database older than the clock, or none yet
        return {}
    return {str(k): str(v) for k, v in found}


class DatabaseClock:
    """The clock part of `db.Database`: the training marker of its `setting` table, read
    once through `_plain_rows` (a plain-SQL read, lopdesk.plainsql)."""

    _clock: TrainingClock | None | bool = False  # False: not read yet

    @property
    def training(self) -> TrainingClock | None:
        """The training clock of a demo database, None for a real database."""
        if self._clock is False:
            self._clock = from_settings(read_settings(self._plain_rows()))
        return self._clock  # type: ignore[return-value]

    def _plain_rows(self) -> Any:
        raise NotImplementedError

    def now(self) -> datetime:
        """Now on this database's clock: the training clock of a demo, else the system's."""
        training = self.training
        return training() if training is not None else system_now()

    def forget_clock(self) -> None:
        """Read the training marker again at the next use (after `lopdesk demo` wrote it)."""
        self._clock = False


def now() -> datetime:
    """Now on the active clock (the open database's), else on the system clock."""
    clock = _active.get()
    return clock() if clock is not None else system_now()


@contextmanager
def using(clock: Clock | None) -> Iterator[None]:
    """Make `clock` the active clock inside the block (None: leave the current one)."""
    if clock is None:
        yield
        return
    token = _active.set(clock)
    try:
        yield
    finally:
        _active.reset(token)
