"""Shared fixtures: a temporary migrated database per test.

SQLite by default: one migrated template file, copied per test (fast). With
LOPDESK_TEST_PG_URL set (e.g. postgresql+psycopg://postgres@127.0.0.1:54329/postgres) the
same tests run on PostgreSQL: one migrated template database, cloned per test with
CREATE DATABASE … TEMPLATE.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lopdesk.commands.common import State
from lopdesk.config import Settings
from lopdesk.db import Database


def pytest_configure(config: pytest.Config) -> None:
    """Pilot tests read the area index (school names) at once instead of after the real
    app's 0.5 s; `settle` waits for it, so no test sees a screen before its names."""
    from lopdesk.app import LopdeskApp

    LopdeskApp.INDEX_DELAY = 0.01


# The acting user is the OS account (or the PostgreSQL session user); the command line and
# the environment cannot change it. In this process the tests act through the Python API:
# CLI commands invoked in-process act as "tester" unless `acting_as` says otherwise.
State.user = "tester"

TEST_USERS = {
    "tester": "admin",
    "expert": "lop_expert",
    "bemiddelaar": "mediation",
    "kijker": "viewer",
}
PG_URL = os.environ.get("LOPDESK_TEST_PG_URL")


def _seed_users(db: Database) -> None:
    from lopdesk.domain.models import AppUser
    from lopdesk.domain.setup import initialise

    initialise(db)
    with db.write() as s:
        for name, role in TEST_USERS.items():
            if s.get(AppUser, name) is None:
                s.add(AppUser(name=name, role=role))


def _pg_admin():
    from sqlalchemy import create_engine

    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database with the test users; each test gets a copy."""
    if PG_URL:
        from sqlalchemy import text

        name = f"lopdesk_tpl_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db = Database(Settings.from_cli(_pg_url(name), "tester"))
        _seed_users(db)
        db.dispose()
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    _seed_users(db)
    db.dispose()
    yield str(path)


@pytest.fixture
def db_path(template_db: str, tmp_path: Path):
    """Where the test's database lives: a file path (SQLite) or a URL (PostgreSQL)."""
    if PG_URL:
        from sqlalchemy import text

        name = f"lopdesk_t_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
        yield _pg_url(name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    target = tmp_path / "lopdesk.db"
    shutil.copy(template_db, target)
    yield target


@pytest.fixture
def db(db_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOPDESK_DB", str(db_path))
    database = Database(Settings.from_cli(str(db_path), "tester"))
    yield database
    database.dispose()


@contextmanager
def acting_as(user: str) -> Iterator[None]:
    """In-process CLI commands act as `user` (Python API only, like Settings.user)."""
    before, State.user = State.user, user
    try:
        yield
    finally:
        State.user = before


def invoke_as(user: str, runner: Any, app: Any, argv: list[str]) -> Any:
    with acting_as(user):
        return runner.invoke(app, argv)


def as_user(db: Database, user: str) -> Database:
    """The same database seen by another user (roles, audit)."""
    return Database(Settings(db_url=db.url, user=user))


sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="tests an SQLite file as such")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL run is there for what runs on the test database: a test that never
    opens it (the engine, parsers, help texts, demos built as SQLite files) would only
    repeat the SQLite run, so that run leaves it out."""
    if not PG_URL:
        return
    repeat = pytest.mark.skip(reason="does not use the test database: covered by the SQLite run")
    for item in items:
        if "template_db" not in getattr(item, "fixturenames", ()):
            item.add_marker(repeat)
