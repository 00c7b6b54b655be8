"""Operating a shared lopdesk: users and roles, the audit trail, backups, file permissions.

Users: the operating-system user name is the identity; only an administrator manages them,
and every change is audited. The last active administrator cannot be demoted or removed
(nobody could manage users any more).

Backups (SQLite): SQLite's online backup API copies a consistent snapshot while others keep
working (WAL: readers do not block writers). The copy is written next to its target and
renamed into place, so a crash never leaves a half-written backup under the final name.
Restore copies a checked backup into the database through the same API, which takes the
write lock, so other processes see either the old or the restored database, never a mix.
PostgreSQL has its own tools (pg_dump/pg_restore); we point to them instead.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from lopdesk.db import SCHEMA_REVISION, Database
from lopdesk.domain import audit
from lopdesk.domain.access import ROLE_LABEL, ROLES, require
from lopdesk.domain.errors import DomainError, InvalidInput, NotFound, RuleViolation
from lopdesk.domain.models import AppUser, AuditRecord

# Tables every lopdesk database has since 0001 (a restore refuses a file without them).
CORE_TABLES = ("alembic_version", "app_user", "audit_record", "audit_head", "register_entry")
FILE_MODE = 0o660  # the database: owner and group (several LOP experts share a group)
BACKUP_MODE = 0o640  # a backup: the group may read it, nobody but its maker may change it
SQLITE_MAGIC = b"SQLite format 3\x00"


class NotSupported(DomainError):
    """The action exists only for SQLite; PostgreSQL has its own tools (exit code 2)."""

    exit_code = 2


# --- users and roles -----------------------------------------------------------------


@dataclass
class UserRow:
    name: str
    role: str
    role_label: str
    full_name: str
    active: bool
    created_at: datetime | None


def _user_row(u: AppUser) -> UserRow:
    return UserRow(u.name, u.role, ROLE_LABEL.get(u.role, u.role), u.full_name, u.active,
                   u.created_at)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"onbekende rol '{role}' (kies uit {', '.join(ROLES)}).",
                           field="role")


def _check_name(name: str) -> None:
    # OS user names: no spaces or control characters; keep it to what `getpass` can return.
    if not name or len(name) > 64 or any(c.isspace() or not c.isprintable() for c in name):
        raise InvalidInput(f"ongeldige gebruikersnaam '{name}' (de login op de server).",
                           field="name")


def _get_user(s: Session, name: str) -> AppUser:
    user = s.get(AppUser, name)
    if user is None:
        raise NotFound(f"gebruiker '{name}' bestaat niet.", field="name")
    return user


def _guard_last_admin(s: Session, user: AppUser) -> None:
    """Refuse to leave the database without an active administrator."""
    if user.role != "admin" or not user.active:
        return
    admins = s.execute(
        select(func.count()).select_from(AppUser)
        .where(AppUser.role == "admin", AppUser.active.is_(True))  # type: ignore[attr-defined]
    ).scalar_one()
    if admins <= 1:
        raise RuleViolation(f"'{user.name}' is de laatste actieve beheerder; maak eerst een "
                            "andere gebruiker beheerder.")


def add_user(db: Database, name: str, role: str, full_name: str = "") -> UserRow:
    """Add a user, or reactivate a deactivated one with the given role."""
    _check_name(name)
    _check_role(role)
    with db.write() as s:
        require(s, db.user, "admin")
        user = s.get(AppUser, name)
        if user is not None and user.active:
            raise InvalidInput(f"gebruiker '{name}' bestaat al (rol {user.role}); gebruik "
                               f"'lopdesk users role {name} ROL' om de rol te wijzigen.",
                               field="name")
        action = "user.add" if user is None else "user.reactivate"
        if user is None:
            user = AppUser(name=name, role=role, full_name=full_name)
        else:
            user.role, user.active = role, True
            user.full_name = full_name or user.full_name
        s.add(user)
        s.flush()
        audit.record(s, db.user, action, "app_user", name,
                     {"role": role, "full_name": full_name})
        return _user_row(user)


def list_users(db: Database, include_inactive: bool = False) -> list[UserRow]:
    with db.read() as s:
        require(s, db.user, "read")
        q = select(AppUser).order_by(AppUser.name)
        if not include_inactive:
            q = q.where(AppUser.active.is_(True))  # type: ignore[attr-defined]
        return [_user_row(u) for u in s.execute(q).scalars()]


def set_role(db: Database, name: str, role: str) -> UserRow:
    _check_role(role)
    with db.write() as s:
        require(s, db.user, "admin")
        user = _get_user(s, name)
        if user.role == role:
            return _user_row(user)
        if role != "admin":
            _guard_last_admin(s, user)
        old = user.role
        user.role = role
        s.add(user)
        s.flush()
        audit.record(s, db.user, "user.role", "app_user", name, {"from": old, "to": role})
        return _user_row(user)


def deactivate_user(db: Database, name: str) -> UserRow:
    """A user is never deleted (the audit trail names them); they can no longer act."""
    with db.write() as s:
        require(s, db.user, "admin")
        user = _get_user(s, name)
        if not user.active:
            return _user_row(user)
        _guard_last_admin(s, user)
        user.active = False
        s.add(user)
        s.flush()
        audit.record(s, db.user, "user.deactivate", "app_user", name, {"role": user.role})
        return _user_row(user)


# --- audit trail ---------------------------------------------------------------------


@dataclass
class AuditRow:
    id: int
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: str
    detail: str


@dataclass
class AuditProblem:
    record_id: int
    kind: str  # edited | deleted
    message: str


@dataclass
class AuditReport:
    ok: bool
    records: int
    problems: list[AuditProblem]

    @property
    def first(self) -> AuditProblem | None:
        return self.problems[0] if self.problems else None


def list_audit(db: Database, entity: str | None = None, entity_id: str | None = None,
               limit: int = 200) -> list[AuditRow]:
    """The most recent audit records (oldest first), optionally of one entity."""
    if limit < 1:
        raise InvalidInput("--limit moet minstens 1 zijn.", field="limit")
    with db.read() as s:
        require(s, db.user, "read")
        q = select(AuditRecord)
        if entity:
            q = q.where(AuditRecord.entity == entity)
        if entity_id is not None:
            q = q.where(AuditRecord.entity_id == str(entity_id))
        rows = s.execute(q.order_by(AuditRecord.id.desc()).limit(limit)).scalars().all()
        return [AuditRow(r.id or 0, r.at, r.user, r.action, r.entity, r.entity_id, r.detail)
                for r in reversed(rows)]


def verify_audit(db: Database) -> AuditReport:
    """Walk the hash chain; each problem names the record and whether it was edited or
    deleted (a deletion also breaks the link of the next record: reported once)."""
    with db.read() as s:
        require(s, db.user, "read")
        chain = audit.verify(s)
        count = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
        max_id = s.execute(select(func.max(AuditRecord.id))).scalar() or 0
    problems: list[AuditProblem] = []
    after_gap: set[int] = set()
    for p in chain:
        text_ = p.problem
        if "ontbreken" in text_:
            first = p.record_id
            if text_.startswith("laatste"):  # records at the end of the chain are gone
                first = max_id + 1
                text_ = f"record(s) {first}..{p.record_id} ontbreken (verwijderd)"
            else:
                # the record after the gap no longer links: same deletion, not an edit
                after_gap.add(_gap_end(text_))
            problems.append(AuditProblem(first, "deleted", text_))
        elif "schakel" in text_ and p.record_id in after_gap:
            continue
        else:
            problems.append(AuditProblem(p.record_id, "edited", text_))
    problems.sort(key=lambda x: x.record_id)
    problems.extend(_replay_registers(db))
    return AuditReport(not problems, int(count), problems)


def _replay_registers(db: Database) -> list[AuditProblem]:
    """REG-02: replay every entry's events; its status now must be where its history ends,
    so a status changed behind lopdesk's back (the entry table takes UPDATEs for the
    status) shows up. Reported with record id 0 and the entry named."""
    from lopdesk.domain.models import RegisterEntry, RegisterEvent

    with db.read() as s:
        last = (select(RegisterEvent.entry_id, func.max(RegisterEvent.id).label("ev"))
                .group_by(RegisterEvent.entry_id).subquery())
        rows = s.execute(
            select(RegisterEntry.id, RegisterEntry.level_id, RegisterEntry.seq,
                   RegisterEntry.status, RegisterEvent.to_status)
            .outerjoin(last, last.c.entry_id == RegisterEntry.id)
            .outerjoin(RegisterEvent, RegisterEvent.id == last.c.ev)
            .where((RegisterEvent.to_status.is_(None))
                   | (RegisterEvent.to_status != RegisterEntry.status))).all()
    return [AuditProblem(0, "edited",
                         f"inschrijving {level}:{seq} (id {eid}) staat op '{status}', maar haar "
                         f"geschiedenis eindigt op '{to or 'niets'}' (REG-02)")
            for eid, level, seq, status, to in rows]


def _gap_end(message: str) -> int:
    """'record(s) 3..4 ontbreken' → 5, the id of the first record after the gap."""
    try:
        span = message.split()[1]
        return int(span.split("..")[1]) + 1
    except (IndexError, ValueError):
        return -1


# --- permissions of the database file -----------------------------------------------


def permission_warnings(db: Database, folder: bool = True) -> list[str]:
    """Dutch warnings when the SQLite file, its WAL files or its folder are open to others.

    Children's files: only owner and group may read them (domain §10).
    """
    path = db.settings.sqlite_path
    if not db.is_sqlite or path is None:
        return []
    return path_warnings(path, folder)


def path_warnings(path: Path, check_folder: bool = True) -> list[str]:
    warnings: list[str] = []
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        mode = _mode(p)
        if mode is not None and mode & (stat.S_IROTH | stat.S_IWOTH):
            warnings.append(f"waarschuwing: {p} is leesbaar voor iedereen op de server "
                            f"(rechten {stat.filemode(mode)}); maak het af met "
                            f"'chmod 660 {p}'.")
    folder = path.parent
    mode = _mode(folder) if check_folder else None
    if mode is not None and mode & (stat.S_IROTH | stat.S_IXOTH):
        warnings.append(f"waarschuwing: de map {folder} is open voor iedereen op de server "
                        f"(rechten {stat.filemode(mode)}); maak ze af met "
                        f"'chmod 2770 {folder}'.")
    return warnings


def _mode(p: Path) -> int | None:
    try:
        return p.stat().st_mode
    except OSError:
        return None


# --- backup and restore (SQLite) -----------------------------------------------------


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
