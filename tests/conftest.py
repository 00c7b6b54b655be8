"""Shared fixtures: a temporary migrated database per test (copied from one template)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("LOPDESK_USER", "tester")

from lopdesk.config import Settings  # noqa: E402
from lopdesk.db import Database  # noqa: E402

TEST_USERS = {
    "tester": "admin",
    "expert": "lop_expert",
    "bemiddelaar": "mediation",
    "kijker": "viewer",
}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database with the test users; each test gets a copy (fast)."""
    from lopdesk.domain.models import AppUser
    from lopdesk.domain.setup import initialise

    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    with db.write() as s:
        for name, role in TEST_USERS.items():
            if s.get(AppUser, name) is None:
                s.add(AppUser(name=name, role=role))
    db.dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "lopdesk.db"
    shutil.copy(template_db, target)
    return target


@pytest.fixture
def db(db_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOPDESK_DB", str(db_path))
    database = Database(Settings.from_cli(str(db_path), "tester"))
    yield database
    database.dispose()


def as_user(db: Database, user: str) -> Database:
    """The same database seen by another user (roles, audit)."""
    return Database(Settings.from_cli(str(db.settings.sqlite_path), user))
