"""Engine factory, sessions and the schema-revision check.

SQLite (default) is set up for several processes on one file: WAL, synchronous=NORMAL,
foreign keys on, a busy timeout, and write transactions that start with
BEGIN IMMEDIATE so that a writer waits for the lock up front instead of failing
half-way (house-style.md). Before that, writers queue on an flock of `<database>.lock`
(WriteLock) so that none starves under many writers. PostgreSQL works through the same
code with its URL.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from lopdesk import clock as clocks
from lopdesk.config import Settings, process_user
from lopdesk.errors import Busy

try:
    import fcntl
except ImportError:  # not a POSIX system: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]

BUSY_TIMEOUT_MS = 30_000
# The alembic revision this code expects; `lopdesk init`/`db upgrade` brings a database there.
SCHEMA_REVISION = "0008_offer_reply_deadline"


SQLITE_HEADER = b"SQLite format 3\x00"


class SchemaError(RuntimeError):
    """The database is missing, too old or too new for this version of lopdesk."""


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
        # Let us emit BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover - trivial
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _pg_engine(url: str, settings: Settings) -> Engine:
    """PostgreSQL with bounded waits: connecting, waiting for a lock, running a statement
    (libpq's connect_timeout; lock_timeout and statement_timeout for the session, set at
    connect time so no transaction pays an extra round trip)."""
    from sqlalchemy.engine import make_url

    query = make_url(url).query
    args: dict[str, object] = {}
    if "connect_timeout" not in query:
        args["connect_timeout"] = max(1, round(settings.connect_timeout))
    if "options" not in query:
        args["options"] = (f"-c lock_timeout={round(settings.pg_lock_timeout * 1000)} "
                           f"-c statement_timeout={round(settings.pg_statement_timeout * 1000)}")
    return create_engine(url, pool_pre_ping=True, connect_args=args)


def _prepare_sqlite_path(path: Path) -> None:
    """Create the folder owner+group only (several LOP experts share a group)."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o2770)
    if not path.exists():
        # Create the file owner+group only *before* SQLite opens it: its -wal/-shm files
        # take the main file's permissions, so no moment exists where others could read.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o660)
        os.fchmod(fd, 0o660)
        os.close(fd)


class WriteLock:
    """An flock on a file next to the database, held around each write transaction.

    SQLite's busy handler sleeps longer the longer a writer has waited (up to 100 ms a
    try), so under many writers a newcomer often wins and an early one starves for seconds.
    Blocked flock waiters instead sleep in the kernel and are woken when the lock is let
    go, with no back-off: the slowest write stays close to the queue length times one
    write. BEGIN IMMEDIATE and the busy timeout still guard against other writers (the
    migrations, a backup, an older lopdesk). A killed process lets go of its lock.
    One per file and process (`for_path`): every Database on the file shares it, so a
    nested write in one thread does not wait on itself.
    """

    _by_path: dict[str, WriteLock] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def for_path(cls, path: Path) -> WriteLock:
        key = os.path.abspath(path)
        with cls._registry_lock:
            lock = cls._by_path.get(key)
            if lock is None:
                lock = cls._by_path[key] = cls(Path(key))
            return lock

    @classmethod
    def _after_fork(cls) -> None:
        # A child forked during a write starts unlocked and opens its own file description
        # (sharing the parent's would let both hold the flock at once).
        cls._registry_lock = threading.Lock()
        for lock in cls._by_path.values():
            if lock._fd is not None:
                try:
                    os.close(lock._fd)  # closing (not LOCK_UN) leaves the parent's lock alone
                except OSError:
                    pass
            lock.__init__(lock.path)

    def __init__(self, path: Path):
        self.path = path
        self._thread_lock = threading.RLock()  # one flock per process: threads queue here
        self._depth = 0
        self._fd: int | None = None

    def _open(self) -> int | None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o660)
            try:
                os.fchmod(fd, 0o660)  # owner and group, whatever the umask (as the database)
            except OSError:
                pass  # someone else's lock file
        except OSError:
            try:  # a folder we may not write in: an existing lock file read-only will do
                fd = os.open(self.path, os.O_RDONLY)
            except OSError:
                return None  # no lock file: SQLite's own locking alone, as before
        return fd

    def acquire(self, wait: float | None = None) -> None:
        """Take the lock, waiting at most `wait` seconds (None: for ever); then `Busy`
        names the process and user that hold it."""
        if not self._thread_lock.acquire(timeout=-1 if wait is None else wait):
            raise self._busy(None, wait or 0.0)
        try:
            if self._depth == 0:
                # Opened per transaction (a few microseconds): no descriptor stays open for
                # each database a long-lived process (the app, the tests) ever touched.
                fd = self._open()
                if fd is not None:
                    try:
                        if not _flock(fd, wait):
                            raise self._busy(fd, wait or 0.0)
                        _write_holder(fd)
                    except BaseException:
                        os.close(fd)
                        raise
                self._fd = fd
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def _busy(self, fd: int | None, wait: float) -> Busy:
        holder = _read_holder(fd) if fd is not None else None
        who = (f"proces {holder[0]} van gebruiker '{holder[1]}'" if holder
               else "een ander proces")
        if fd is None:  # another thread of this process
            who = f"een andere taak van dit proces ({os.getpid()})"
        return Busy(f"de databank is al {wait:g} s bezet door {who} (vergrendeling "
                    f"{self.path}). Probeer het straks opnieuw; blijft het duren, vraag dan "
                    "de beheerder dat proces na te kijken.")

    def release(self) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)  # explicit: a forked child may hold a copy
                finally:
                    os.close(fd)
        finally:
            self._thread_lock.release()


class _Expired(Exception):
    pass


def _raise_expired(_signum: int, _frame: object) -> None:
    raise _Expired


def _flock(fd: int, wait: float | None) -> bool:
    """flock(LOCK_EX) for at most `wait` seconds; True when held.

    The main thread blocks in the kernel (fair: waiters are woken in turn) under an
    interval timer; other threads (the app's workers) and a process that already uses the
    timer poll instead.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    if wait is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    if (threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
        previous = signal.signal(signal.SIGALRM, _raise_expired)
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, wait)
                fcntl.flock(fd, fcntl.LOCK_EX)
                signal.setitimer(signal.ITIMER_REAL, 0)
                return True
            except _Expired:
                signal.setitimer(signal.ITIMER_REAL, 0)
                return _try_flock(fd)  # the timer may have fired just after the lock came
        finally:
            # Also after Ctrl-C: a timer left running would later kill the process.
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    deadline = time.monotonic() + wait
    pause = 0.001
    while time.monotonic() < deadline:
        time.sleep(pause)
        if _try_flock(fd):
            return True
        pause = min(pause * 2, 0.02)
    return False


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


_HOLDER: bytes | None = None


def _write_holder(fd: int) -> None:
    """Note who holds the lock in the lock file (`pid user`), for whoever waits too long."""
    global _HOLDER
    if _HOLDER is None:
        _HOLDER = f"{os.getpid()} {process_user()}\n".encode()
    try:
        os.pwrite(fd, _HOLDER.ljust(64), 0)
    except OSError:
        pass  # a read-only lock file: the queue still works, only the name is missing


def _read_holder(fd: int) -> tuple[str, str] | None:
    try:
        parts = os.pread(fd, 64, 0).decode("utf-8", "replace").split()
    except OSError:
        return None
    return (parts[0], parts[1]) if len(parts) >= 2 and parts[0].isdigit() else None


def _forget_holder() -> None:
    global _HOLDER
    _HOLDER = None  # a forked child has its own pid


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_holder)
    os.register_at_fork(after_in_child=WriteLock._after_fork)


class Database(clocks.DatabaseClock):
    """Two engines on one database: readers and writers (BEGIN IMMEDIATE on SQLite); its
    clock: a demo's training clock, else the system's (lopdesk.clock)."""

    def __init__(self, settings: Settings, create: bool = True):
        """create=False: never make the SQLite file or its folder (read-only commands, which
        check the schema first and refuse a missing file instead of leaving an empty one)."""
        self.settings = settings
        self.url = settings.db_url
        self._user: str | None = None
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = settings.sqlite_path
            assert path is not None
            if create:
                _prepare_sqlite_path(path)
            self.reader = _sqlite_engine(self.url, immediate=False)
            self.writer = _sqlite_engine(self.url, immediate=True)
            self.write_lock: WriteLock | None = (
                WriteLock.for_path(path.with_name(path.name + ".lock")) if fcntl else None)
        else:
            self.reader = _pg_engine(self.url, settings)
            self.writer = self.reader
            self.write_lock = None  # PostgreSQL queues writers on row locks
        self._role: str | None = None

    @property
    def user(self) -> str:
        """Who is acting: the OS account (SQLite) or the session user (PostgreSQL).

        A user given through the Python API (Settings.user: tests, benchmarks) counts on
        SQLite, where anyone who can run code with the database file can write it anyway;
        on PostgreSQL only for a superuser session, never for an ordinary role.
        """
        if self._user is None:
            self._user = self._resolve_user()
        return self._user

    def _resolve_user(self) -> str:
        wanted = self.settings.user
        if self.is_sqlite:
            return wanted or process_user()
        with self.reader.connect() as conn:
            name, superuser = conn.execute(text(
                "SELECT session_user, rolsuper FROM pg_roles WHERE rolname = session_user"
            )).one()
        return wanted if wanted and superuser else str(name)

    # -- sessions -------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read session; nothing it does is committed. This database's clock is the
        active one inside (lopdesk.clock)."""
        with clocks.using(self.now), Session(self.reader, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed at the end, rolled back on any error."""
        # SQLite: writers queue on the lock file first (fair, see WriteLock); BEGIN IMMEDIATE
        # then waits up to the busy timeout for anyone else at the first statement, so
        # concurrent writers queue instead of failing half-way.
        self.training  # noqa: B018 - read the clock before the write lock is taken
        lock = self.write_lock
        if lock is not None:
            lock.acquire(self.settings.lock_wait)
        try:
            session = Session(self.writer, expire_on_commit=False)
            session.info["database"] = self  # who acts, for records written at commit
            session.begin()
            try:
                with clocks.using(self.now):  # this database's clock inside (lopdesk.clock)
                    yield session
                session.commit()
            except OperationalError as exc:
                session.rollback()
                raise self._timeout_error(exc) or exc from None
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        finally:
            if lock is not None:
                lock.release()

    def _timeout_error(self, exc: OperationalError) -> Busy | None:
        """PostgreSQL's lock_timeout / statement_timeout as a Dutch message."""
        state = getattr(exc.orig, "sqlstate", None)
        if state == "55P03":  # lock_not_available: lock_timeout
            return Busy(f"een andere gebruiker houdt deze gegevens al langer dan "
                        f"{self.settings.pg_lock_timeout:g} s vergrendeld; er is niets "
                        "gewijzigd. Probeer het straks opnieuw.")
        if state == "57014":  # query_canceled: statement_timeout
            return Busy(f"de databankserver deed er langer dan "
                        f"{self.settings.pg_statement_timeout:g} s over; de actie is "
                        "afgebroken en er is niets gewijzigd.")
        return None

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()

    # -- schema ---------------------------------------------------------------------

    def revision(self) -> str | None:
        """The alembic revision of the database, read with a plain SELECT (fast start-up)."""
        try:
            with self.reader.connect() as conn:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except OperationalError:
            return None
        except Exception:  # table missing on PostgreSQL raises ProgrammingError
            return None
        return row[0] if row else None

    def _check_sqlite_file(self) -> None:
        """Name the real reason a file cannot be our database, before SQLite opens it (an
        open would create a missing file)."""
        path = self.settings.sqlite_path
        assert path is not None
        if not path.parent.is_dir():
            raise SchemaError(f"De map {path.parent} bestaat niet. Geef met --db (of "
                              "LOPDESK_DB) het pad van een bestaande database.")
        if path.is_dir():
            raise SchemaError(f"{path} is een map, geen databasebestand.")
        if not path.exists():
            raise SchemaError(f"De database {path} bestaat niet. Voer eerst 'lopdesk init' uit "
                              "(of geef met --db het juiste pad).")
        try:
            with open(path, "rb") as fh:
                header = fh.read(16)
        except PermissionError:
            raise SchemaError(f"Geen leesrechten op {path}: vraag de beheerder om u toe te "
                              "voegen aan de groep van de database.") from None
        except OSError as exc:
            raise SchemaError(f"{path} kan niet gelezen worden ({exc.strerror}).") from None
        if header and header != SQLITE_HEADER:  # an empty file is an empty SQLite database
            raise SchemaError(f"{path} is geen databasebestand (geen SQLite-database). "
                              "Controleer het pad bij --db.")

    def _server_error(self, exc: Exception) -> SchemaError:
        """A connection that fails: which server, and why in a few Dutch words."""
        from sqlalchemy.engine import make_url

        if self.is_sqlite:
            return SchemaError(f"De database {self.settings.sqlite_path} kan niet geopend "
                               f"worden: {getattr(exc, 'orig', exc)}")
        url = make_url(self.url)
        where = f"{url.host or 'localhost'}:{url.port or 5432}"
        detail = str(getattr(exc, "orig", exc)).strip()
        low = detail.lower()
        if "role" in low and "does not exist" in low:
            return SchemaError(f"De databaseserver {where} kent de gebruiker (rol) "
                               f"'{url.username or process_user()}' niet: vraag de "
                               "beheerder u toe te voegen ('lopdesk users add').")
        if "timeout expired" in low or "timed out" in low:
            return SchemaError(f"De databaseserver {where} antwoordt niet binnen "
                               f"{self.settings.connect_timeout:g} s. Controleer of de server "
                               "draait en bereikbaar is.")
        if "does not exist" in low:
            return SchemaError(f"De database '{url.database}' bestaat niet op de server "
                               f"{where}. Maak ze aan en voer dan 'lopdesk init' uit.")
        if "authentication" in low or "password" in low:
            return SchemaError(f"Aanmelden bij de databaseserver {where} als "
                               f"'{url.username}' mislukt: controleer gebruiker en wachtwoord.")
        # libpq: 'connection failed: connection to server at "h", port p failed: <reason>'
        reason = detail.splitlines()[0].rsplit("failed: ", 1)[-1] if detail else ""
        return SchemaError(f"De databaseserver {where} is niet bereikbaar"
                           + (f" (technische melding: {reason})." if reason else "."))

    def check_schema(self) -> None:
        if self.is_sqlite:
            self._check_sqlite_file()
        try:
            conn = self.reader.connect()
        except Exception as exc:  # server down, wrong host, not a database file, ...
            raise self._server_error(exc) from None
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:  # no such table (SQLite) / relation does not exist (PostgreSQL)
            row = None
        finally:
            conn.close()
        rev = row[0] if row else None
        if rev is None:
            raise SchemaError(
                "De database is nog niet aangemaakt. Voer eerst 'lopdesk init' uit."
            )
        if rev != SCHEMA_REVISION:
            raise SchemaError(
                f"De database heeft schemaversie {rev}, deze lopdesk verwacht "
                f"{SCHEMA_REVISION}. Voer 'lopdesk db upgrade' uit."
            )

    def data_version(self) -> int:
        """A number that changes when anyone commits (the app's change poll)."""
        with self.reader.connect() as conn:
            row = conn.execute(text("SELECT last_id FROM audit_head WHERE id = 1")).first()
        return int(row[0]) if row else 0
