"""The write path on PostgreSQL, in as few round trips as the rules allow.

Every write takes the audit chain's head and often a register's counter (REG-01) as row
locks. To hold them as briefly as possible, statements can wait for the transaction's next
message (`run_last`, `check_with_next`), several go in one message (`run_together`), and a
write engine commits early and waits for the disk in the same message (`install`). On
SQLite each helper simply runs its statement at once. SQLAlchemy and psycopg are imported
at first use, so quick read-only commands that import the domain do not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


def install(engine: Engine, *, early_commit: bool) -> None:
    """Ready a PostgreSQL engine for run_last/check_with_next; early_commit (the engine's
    sessions run with synchronous_commit off and the driver in autocommit): commits return
    only after the same message has waited for the disk, and pooled connections are
    checked by their socket instead of a round trip."""
    from sqlalchemy import event

    _run_last_on(engine, durable_after=early_commit)
    if early_commit:
        event.listen(engine, "checkout", _check_socket)


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
    from sqlalchemy import event
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
