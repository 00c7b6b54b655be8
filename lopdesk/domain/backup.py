"""Backup and restore of an SQLite database.

SQLite's online backup API copies a consistent snapshot while others keep working (WAL:
readers do not block writers). A backup is written under a hidden temporary name next to
its target, 0640 whatever the umask, and renamed into place when complete; the next backup
in that folder removes what an interrupted one left. It is recorded in the audit trail
only once it exists. Restore copies a checked backup into the database through the same
API, which takes the write lock, so other processes see either the old or the restored
database, never a mix; a new database file is written under a temporary name too, and a
refused restore creates nothing. PostgreSQL has its own tools (pg_dump/pg_restore); we
point to them instead.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from lopdesk.db import SCHEMA_REVISION, Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation

# Tables every lopdesk database has since 0001 (a restore refuses a file without them).
CORE_TABLES = ("alembic_version", "app_user", "audit_record", "audit_head", "register_entry")
FILE_MODE = 0o660  # the database: owner and group (several LOP experts share a group)
BACKUP_MODE = 0o640  # a backup: the group may read it, nobody but its maker may change it
SQLITE_MAGIC = b"SQLite format 3\x00"


class NotSupported(DomainError):
    """The action exists only for SQLite; PostgreSQL has its own tools (exit code 2)."""

    exit_code = 2




@dataclass
class BackupResult:
    path: str
    bytes: int
    revision: str
    audit_records: int


def _pg_refusal(what: str) -> NotSupported:
    return NotSupported(
        f"'{what}' werkt enkel voor een SQLite-databank. Voor PostgreSQL: maak een back-up "
        "met 'pg_dump --format=custom --file=lopdesk.dump DATABANK' en zet hem terug met "
        "'pg_restore --clean --if-exists --dbname=DATABANK lopdesk.dump' "
        "(zie docs/operations.md)."
    )


def _sqlite_path(db: Database, what: str) -> Path:
    path = db.settings.sqlite_path
    if not db.is_sqlite or path is None:
        raise _pg_refusal(what)
    return path


def _create_private(path: Path, mode: int) -> None:
    """Create an empty file with `mode` whatever the umask (owner/group only)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _partial(target: Path) -> Path:
    """A hidden temporary name next to `target`, with our pid (leftovers: see below)."""
    import uuid

    return target.with_name(f".{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _remove_leftovers(folder: Path) -> None:
    """Temporary files of an interrupted backup or restore whose process is gone."""
    from lopdesk.matching.outdir import remove_leftovers

    remove_leftovers(folder)


def backup(db: Database, target: str | Path, *, force: bool = False) -> BackupResult:
    """A consistent copy of the SQLite database while others keep working; 0640 whatever
    the umask, and recorded in the audit trail once it is complete."""
    source = _sqlite_path(db, "lopdesk backup")
    target = Path(target).expanduser().absolute()
    if target == source:
        raise InvalidInput("de back-up kan niet de databank zelf zijn.", field="path")
    if target.is_dir():
        raise InvalidInput(f"{target} is een map; geef een bestandsnaam op.", field="path")
    if target.exists() and not force:
        raise RuleViolation(f"{target} bestaat al; kies een andere naam of gebruik --force.")
    if not target.parent.is_dir():
        raise InvalidInput(f"de map {target.parent} bestaat niet.", field="path")
    with db.read() as s:
        require(s, db.user, "admin")
    _remove_leftovers(target.parent)
    part = _partial(target)
    _create_private(part, BACKUP_MODE)
    try:
        src = sqlite3.connect(str(source), timeout=30)
        dst = sqlite3.connect(str(part))
        try:
            # pages=-1: one step, one snapshot (stepping would restart on every write).
            src.backup(dst, pages=-1)
            # A single file is easier to move around than a WAL database.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            revision, records = _revision_and_records(dst)
        finally:
            dst.close()
            src.close()
        if check != "ok":  # pragma: no cover - would mean a damaged source
            raise RuleViolation(f"de back-up is niet in orde ({check}); probeer opnieuw.")
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    with db.write() as s:  # only a backup that exists is in the trail
        require(s, db.user, "admin")
        audit.record(s, db.user, "db.backup", "database", source.name, {"to": str(target)})
    return BackupResult(str(target), target.stat().st_size, revision, records)


def _revision_and_records(conn: sqlite3.Connection) -> tuple[str, int]:
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    records = conn.execute("SELECT count(*) FROM audit_record").fetchone()[0]
    return str(revision), int(records)


def known_revisions() -> list[str]:
    """Every schema revision this lopdesk can upgrade from (its migration files)."""
    from alembic.script import ScriptDirectory

    from lopdesk.migrate import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in script.walk_revisions()]


@dataclass
class BackupCheck:
    path: str
    revision: str
    audit_records: int
    current: bool  # at the revision this lopdesk expects (else: `lopdesk db upgrade`)


def check_backup(path: str | Path) -> BackupCheck:
    """Refuse anything that is not a sound lopdesk database at a known schema revision."""
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise NotFound(f"back-up {path} bestaat niet.", field="path")
    with open(path, "rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            raise InvalidInput(f"{path} is geen SQLite-databank (dus geen lopdesk-back-up).",
                               field="path")
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"{path} kan niet geopend worden: {exc}.", field="path") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in CORE_TABLES if t not in tables]
        if missing:
            raise InvalidInput(f"{path} is geen lopdesk-databank (tabellen ontbreken: "
                               f"{', '.join(missing)}).", field="path")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = str(row[0]) if row else ""
        if revision not in known_revisions():
            raise InvalidInput(f"{path} heeft een onbekende schemaversie '{revision}' (deze "
                               f"lopdesk kent {SCHEMA_REVISION} en ouder).", field="path")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise InvalidInput(f"{path} is beschadigd ({check}).", field="path")
        records = int(conn.execute("SELECT count(*) FROM audit_record").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is geen bruikbare databank: {exc}.", field="path") from None
    finally:
        conn.close()
    return BackupCheck(str(path), revision, records, revision == SCHEMA_REVISION)


def _require_admin_if_lopdesk(db: Database, path: Path) -> None:
    """Overwriting an existing lopdesk database is for its administrators only."""
    if not path.exists() or db.revision() is None:
        return
    with db.read() as s:
        require(s, db.user, "admin")


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's backup API into `target`: one transaction under its write lock."""
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")  # as lopdesk opens it (several processes)
    finally:
        dst.close()
        src.close()


def _restore_new(source: Path, target: Path) -> None:
    """A new database file, written under a temporary name and renamed when complete:
    a failure leaves nothing under the final name."""
    folder = target.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o2770)  # as a new database folder (db.py)
    _remove_leftovers(folder)
    part = _partial(target)
    _create_private(part, FILE_MODE)
    try:
        _copy_database(source, part)
        os.replace(part, target)
    except BaseException:
        for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
            leftover.unlink(missing_ok=True)
        raise


def restore(db: Database, source: str | Path, *, force: bool = False) -> BackupCheck:
    """Put a checked backup in place of the configured SQLite database."""
    target = _sqlite_path(db, "lopdesk restore")
    info = check_backup(source)
    src_path = Path(info.path)
    if src_path == target:
        raise InvalidInput("de back-up is de databank zelf.", field="path")
    if target.exists() and target.stat().st_size > 0 and not force:
        raise RuleViolation(f"de databank {target} bestaat al; terugzetten overschrijft ze. "
                            "Gebruik --force als dat de bedoeling is.")
    _require_admin_if_lopdesk(db, target)
    db.dispose()  # our own pooled connections must not hold the old database open
    if target.exists():
        _copy_database(src_path, target)
    else:
        _restore_new(src_path, target)
    if info.current:
        with db.write() as s:
            audit.record(s, db.user, "db.restore", "database", target.name,
                         {"from": str(src_path), "revision": info.revision})
    return info
