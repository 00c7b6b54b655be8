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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lopdesk import clock as clocks
from lopdesk import plainsql
from lopdesk.config import Settings, process_user
from lopdesk.errors import Busy
from lopdesk.write_lock import WriteLock, fcntl

if TYPE_CHECKING:  # SQLAlchemy is imported at the first engine (quick read-only commands)
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 30_000
# The alembic revision this code expects; `lopdesk init`/`db upgrade` brings a database there.
SCHEMA_REVISION = "0008_offer_reply_deadline"


SQLITE_HEADER = b"SQLite format 3\x00"


class SchemaError(RuntimeError):
    """The database is missing, too old or too new for this version of lopdesk."""


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    from sqlalchemy import create_engine, event

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


def _pg_engine(url: str, settings: Settings, *, wait_for_flush: bool = True) -> Engine:
    """PostgreSQL with bounded waits: connecting, waiting for a lock, running a statement
    (libpq's connect_timeout; lock_timeout and statement_timeout for the session, set at
    connect time so no transaction pays an extra round trip). wait_for_flush=False: commits
    return before the server has flushed them to disk (Database.write waits afterwards,
    see lopdesk.pg_write)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from lopdesk import pg_write

    query = make_url(url).query
    args: dict[str, object] = {}
    if "connect_timeout" not in query:
        args["connect_timeout"] = max(1, round(settings.connect_timeout))
    options = str(query["options"]) if "options" in query else (  # the URL's own, else ours
        f"-c lock_timeout={round(settings.pg_lock_timeout * 1000)} "
        f"-c statement_timeout={round(settings.pg_statement_timeout * 1000)}")
    if not wait_for_flush:
        options += " -c synchronous_commit=off"
    if options != query.get("options"):
        args["options"] = options.strip()
    # The early-commit engine starts its transactions itself (BEGIN in the first message)
    # and checks a pooled connection by its socket: no round trip of its own per write.
    engine = create_engine(url, pool_pre_ping=wait_for_flush, connect_args=args,
                           **({} if wait_for_flush else {"isolation_level": "AUTOCOMMIT"}))
    pg_write.install(engine, early_commit=not wait_for_flush)
    return engine


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
        self._engines: tuple[Engine, Engine] | None = None  # made at first use
        self._early_commit: Engine | None = None
        self.write_lock: WriteLock | None = None  # PostgreSQL queues writers on row locks
        if self.is_sqlite:
            path = settings.sqlite_path
            assert path is not None
            if create:
                _prepare_sqlite_path(path)
            if fcntl:
                self.write_lock = WriteLock.for_path(path.with_name(path.name + ".lock"))
        self._role: str | None = None

    def _make_engines(self) -> tuple[Engine, Engine]:
        if self._engines is None:
            if self.is_sqlite:
                self._engines = (_sqlite_engine(self.url, immediate=False),
                                 _sqlite_engine(self.url, immediate=True))
            else:
                engine = _pg_engine(self.url, self.settings)
                self._engines = (engine, engine)
        return self._engines

    def _write_engine(self) -> Engine:
        """The engine of write(): on PostgreSQL one whose transactions commit without
        waiting for the disk and then wait for it in the same message (pg_write): the rows
        they lock (register counter, audit chain head) are free again before the flush, so
        writers share flushes instead of queueing one flush each. Others may see a write a
        few milliseconds before it is on disk; a server crash then loses it, but it was
        never acknowledged, and the WAL is written in order: no later write on disk can
        depend on it."""
        if self.is_sqlite:
            return self.writer
        if self._early_commit is None:
            self._early_commit = _pg_engine(self.url, self.settings, wait_for_flush=False)
        return self._early_commit

    @property
    def reader(self) -> Engine:
        return self._make_engines()[0]

    @property
    def writer(self) -> Engine:
        return self._make_engines()[1]

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
        from sqlalchemy import text

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
        from sqlmodel import Session

        with clocks.using(self.now), Session(self.reader, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_plain(self, through_engine: bool = False) -> Iterator[plainsql.Query]:
        """A short read transaction for plain SQL with :name parameters (lopdesk.plainsql),
        without the ORM: on SQLite through the sqlite3 driver itself, so that a quick
        command never imports SQLAlchemy; elsewhere (or through_engine) through the reader
        engine. This database's clock is the active one inside."""
        with clocks.using(self.now), self._plain_rows(through_engine) as query:
            yield query

    def _plain_rows(self, through_engine: bool = False):
        """The plain-SQL read of read_plain, without the clock (the clock reads with it)."""
        if self.is_sqlite and not through_engine:
            path = self.settings.sqlite_path
            assert path is not None
            return plainsql.sqlite_rows(path, BUSY_TIMEOUT_MS)
        return plainsql.engine_rows(self.reader)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed at the end, rolled back on any error. It returns
        only when the commit is on disk (synchronous_commit stays on for the database)."""
        # SQLite: writers queue on the lock file first (fair, see WriteLock); BEGIN IMMEDIATE
        # then waits up to the busy timeout for anyone else at the first statement, so
        # concurrent writers queue instead of failing half-way.
        from sqlalchemy.exc import OperationalError
        from sqlmodel import Session

        self.training  # noqa: B018 - read the clock before the write lock is taken
        lock = self.write_lock
        if lock is not None:
            lock.acquire(self.settings.lock_wait)
        try:
            session = Session(self._write_engine(), expire_on_commit=False)
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

    def _timeout_error(self, exc: Exception) -> Busy | None:
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
        if self._early_commit is not None:
            self._early_commit.dispose()
            self._early_commit = None
        if self._engines is None:
            return
        reader, writer = self._engines
        reader.dispose()
        if writer is not reader:
            writer.dispose()

    # -- schema ---------------------------------------------------------------------

    def revision(self) -> str | None:
        """The alembic revision of the database, read with a plain SELECT (fast start-up)."""
        from sqlalchemy import text

        try:
            with self.reader.connect() as conn:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:  # no table: OperationalError (SQLite), ProgrammingError (PostgreSQL)
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
            if self.is_sqlite:  # the driver itself: no SQLAlchemy for a quick command
                path = self.settings.sqlite_path
                assert path is not None
                conn = plainsql.sqlite_connect(path, BUSY_TIMEOUT_MS)
            else:
                conn = self.reader.raw_connection()
        except Exception as exc:  # server down, wrong host, not a database file, ...
            raise self._server_error(exc) from None
        try:
            cur = conn.cursor()
            cur.execute("SELECT version_num FROM alembic_version")
            row = cur.fetchone()
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
        """A number that changes when anyone commits (the app's change poll). A plain read:
        the app shows its first screen before it needs SQLAlchemy."""
        with self._plain_rows() as query:
            rows = query("SELECT last_id FROM audit_head WHERE id = 1")
        return int(rows[0][0]) if rows else 0
