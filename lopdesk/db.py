"""Engine factory, sessions and the schema-revision check.

SQLite (default) is set up for several processes on one file: WAL, synchronous=NORMAL,
foreign keys on, a busy timeout, and write transactions that start with
BEGIN IMMEDIATE so that a writer waits for the lock up front instead of failing
half-way (house-style.md). Before that, writers queue on an flock of `<database>.lock`
(WriteLock) so that none starves under many writers. PostgreSQL works through the same
code with its URL; its write transactions commit early and then wait for the disk
(Database.write), so that the rows every writer locks are not held during a flush.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from lopdesk import clock as clocks
from lopdesk.config import Settings, process_user
from lopdesk.errors import Busy
from lopdesk.write_lock import WriteLock, fcntl

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


def _pg_engine(url: str, settings: Settings, *, wait_for_flush: bool = True) -> Engine:
    """PostgreSQL with bounded waits: connecting, waiting for a lock, running a statement
    (libpq's connect_timeout; lock_timeout and statement_timeout for the session, set at
    connect time so no transaction pays an extra round trip). wait_for_flush=False: commits
    return before the server has flushed them to disk (Database.write waits afterwards)."""
    from sqlalchemy.engine import make_url

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
    # The write engine checks a pooled connection without a round trip (_check_socket).
    # The write engine starts its transactions itself (BEGIN in the first message, see
    # _run_last_on), so the driver sends none of its own: one round trip less a write.
    engine = create_engine(url, pool_pre_ping=wait_for_flush, connect_args=args,
                           **({} if wait_for_flush else {"isolation_level": "AUTOCOMMIT"}))
    _run_last_on(engine, durable_after=not wait_for_flush)
    if not wait_for_flush:
        event.listen(engine, "checkout", _check_socket)
    return engine


def _check_socket(dbapi_conn, _record, _proxy) -> None:
    """A pooled connection whose server has hung up (restart, idle timeout): its socket
    is closed or has something to read while no query runs. The pool then opens a new
    one (DisconnectionError), as pool_pre_ping would, without a round trip per write."""
    import select

    from sqlalchemy.exc import DisconnectionError

    if dbapi_conn.closed:
        raise DisconnectionError("closed")
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError) as exc:
        raise DisconnectionError(str(exc)) from None
    if readable:
        raise DisconnectionError("the server sent something while idle (hung up)")


_LAST = "lopdesk_run_last"  # statements waiting for the transaction's next step


def run_last(session: Session, sql: str, params: dict[str, object]) -> None:
    """Run `sql` (the driver's paramstyle, values as the driver takes them) as late as
    possible in the session's transaction: just before its next statement, else sent
    together with the COMMIT in one round trip, so that row locks it takes are held only
    for the commit, not while the client waits for its turn on the CPU (PostgreSQL)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(sql, params)
        return
    conn.info.setdefault(_LAST, []).append((sql, params, None))


def check_with_next(session: Session, stmt: Any, params: dict[str, Any],
                    check: Callable[[list[Any]], None]) -> None:
    """Read `stmt` together with the transaction's next statement (PostgreSQL: one round
    trip less) and give its rows to `check`, which may raise: before the results of that
    statement are used, and at the latest before the COMMIT. SQLite: at once."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        check(session.execute(stmt, params).all())
        return
    compiled = _compiled(stmt, conn.dialect)
    conn.info.setdefault(_LAST, []).append(
        (compiled.string, compiled.construct_params(params), check))


@lru_cache(maxsize=64)
def _compiled(stmt: Any, dialect: Any) -> Any:
    """Module-level statements, compiled once per dialect."""
    return stmt.compile(dialect=dialect)


def run_together(session: Session, statements: list[tuple[Any, dict[str, Any]]]) -> list[Any]:
    """Run Core statements in order in the session's transaction and return each one's rows.
    On PostgreSQL they go in one message (several statements in one simple query, values
    quoted by the driver, after whatever run_last queued): one round trip instead of one
    each, and each statement still reads with a fresh snapshot (READ COMMITTED), so one
    can read what a lock taken by the statement before it protects."""
    session.flush()  # the caller's pending rows first, as session.execute would
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return [session.execute(stmt, params).all() for stmt, params in statements]
    import psycopg
    from psycopg.rows import namedtuple_row
    from sqlalchemy.exc import DBAPIError

    dbapi_conn = conn.connection.dbapi_connection
    waiting = conn.info.pop(_LAST, None) or []
    with psycopg.ClientCursor(dbapi_conn) as literal:
        parts = [literal.mogrify(sql, params) for sql, params, _ in waiting]
        for stmt, params in statements:
            compiled = _compiled(stmt, conn.dialect)
            parts.append(literal.mogrify(compiled.string, compiled.construct_params(params)))
    message = "; ".join(parts)
    results: list[Any] = []
    try:
        with dbapi_conn.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(message)
            for _sql, _params, check in waiting:
                if check is not None:
                    check(cursor.fetchall() if cursor.description else [])
                cursor.nextset()
            while True:
                results.append(cursor.fetchall() if cursor.description else [])
                if not cursor.nextset():
                    break
    except psycopg.Error as exc:
        raise DBAPIError.instance(message, None, exc, psycopg.Error) from None
    return results


def _run_waiting(waiting: list[Any], cursor: Any) -> None:
    for sql, params, check in waiting:
        cursor.execute(sql, params)
        if check is not None:
            check(cursor.fetchall())


# After an early COMMIT (synchronous_commit off): a transaction that writes WAL and commits
# with synchronous_commit on. The server flushes the WAL up to its commit record, so the
# early commit before it is on disk when it returns, and concurrent writers share one flush
# (group commit). Any role may emit the message.
_THEN_FLUSH = ("COMMIT; BEGIN; SELECT set_config('synchronous_commit', 'on', true), "
               "pg_logical_emit_message(true, 'lopdesk', ''); COMMIT")


def _run_last_on(engine: Engine, durable_after: bool) -> None:
    """The events that run run_last's statements: before the next statement, else with the
    COMMIT in one message (several statements in one simple query: no wait for a result
    between them), dropped at rollback. durable_after: the engine (driver in autocommit)
    queues its own BEGIN the same way, commits early, and the same message then waits for
    the disk (_THEN_FLUSH)."""
    from sqlalchemy.exc import DBAPIError

    if durable_after:
        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            # Sent with the transaction's first statement (or at the latest with the commit);
            # every statement goes through the events below, so none runs outside it.
            conn.info[_LAST] = [("BEGIN", None, None)]

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, _statement, _params, _context, _many) -> None:
        _run_waiting(conn.info.pop(_LAST, ()), cursor)  # errors: as the statement's own

    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:
        waiting = conn.info.pop(_LAST, None) or []
        if not waiting and not durable_after:
            return
        import psycopg

        dbapi_conn = conn.connection.dbapi_connection
        if any(check is not None for _sql, _params, check in waiting):
            with dbapi_conn.cursor() as cursor:  # checks decide before anything commits
                try:
                    _run_waiting(waiting, cursor)
                except psycopg.Error as exc:
                    raise DBAPIError.instance("", None, exc, psycopg.Error) from None
            waiting = []
        with psycopg.ClientCursor(dbapi_conn) as literal:  # values quoted by the driver
            parts = [literal.mogrify(sql, params) for sql, params, _ in waiting]
        message = "; ".join([*parts, _THEN_FLUSH if durable_after else "COMMIT"])
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(message)  # SQLAlchemy's COMMIT then finds nothing to do
        except psycopg.Error as exc:
            raise DBAPIError.instance(message, None, exc, psycopg.Error) from None

    @event.listens_for(engine, "rollback")
    def _rollback(conn) -> None:
        conn.info.pop(_LAST, None)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record) -> None:
        if record is not None:
            record.info.pop(_LAST, None)


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
        if self.is_sqlite:
            path = settings.sqlite_path
            assert path is not None
            if create:
                _prepare_sqlite_path(path)
            self.reader = _sqlite_engine(self.url, immediate=False)
            self.writer = _sqlite_engine(self.url, immediate=True)
            self.write_lock: WriteLock | None = (
                WriteLock.for_path(path.with_name(path.name + ".lock")) if fcntl else None)
            self._early_commit = None
        else:
            self.reader = _pg_engine(self.url, settings)
            self.writer = self.reader
            self.write_lock = None  # PostgreSQL queues writers on row locks
            # write() transactions commit without waiting for the disk, then wait for it in
            # the same message (_THEN_FLUSH): the rows they lock (register counter, audit
            # chain head) are free again before the flush, so writers share flushes instead
            # of queueing one flush each. Others may see a write a few milliseconds before
            # it is on disk; a server crash then loses it, but it was never acknowledged,
            # and the WAL is written in order: no later write on disk can depend on it.
            self._early_commit: Engine | None = _pg_engine(self.url, settings,
                                                           wait_for_flush=False)
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
        """One write transaction: committed at the end, rolled back on any error. It returns
        only when the commit is on disk (synchronous_commit stays on for the database)."""
        # SQLite: writers queue on the lock file first (fair, see WriteLock); BEGIN IMMEDIATE
        # then waits up to the busy timeout for anyone else at the first statement, so
        # concurrent writers queue instead of failing half-way.
        self.training  # noqa: B018 - read the clock before the write lock is taken
        lock = self.write_lock
        if lock is not None:
            lock.acquire(self.settings.lock_wait)
        try:
            session = Session(self._early_commit or self.writer, expire_on_commit=False)
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
        if self._early_commit is not None:
            self._early_commit.dispose()
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
