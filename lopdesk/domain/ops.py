"""Operating a shared lopdesk: users and roles, the audit trail, backups, file permissions.

Users: the operating-system user name is the identity; only an administrator manages them,
and every change is audited. The last active administrator cannot be demoted or removed
(nobody could manage users any more).

Backup and restore live in lopdesk/domain/backup.py (re-exported here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import ROLE_LABEL, ROLES, reading, require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.backup import (  # noqa: F401  (callers use ops.backup, ops.restore, …)
    BackupCheck,
    BackupResult,
    NotSupported,
    backup,
    check_backup,
    known_revisions,
    restore,
)
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.domain.file_modes import path_warnings, permission_warnings  # noqa: F401
from lopdesk.domain.models import AppUser, AuditRecord
from lopdesk.files import write_private_atomic

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
    return get_or_404(s, AppUser, name, "gebruiker", field="name")


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
    with reading(db) as s:
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
    kind: str  # edited | deleted | anchor | row_changed | row_inserted | row_deleted
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
    with reading(db) as s:
        q = select(AuditRecord)
        if entity:
            q = q.where(AuditRecord.entity == entity)
        if entity_id is not None:
            q = q.where(AuditRecord.entity_id == str(entity_id))
        rows = s.execute(q.order_by(AuditRecord.id.desc()).limit(limit)).scalars().all()
        return [AuditRow(r.id or 0, r.at, r.user, r.action, r.entity, r.entity_id, r.detail)
                for r in reversed(rows)]


def verify_audit(db: Database, anchor: Path | None = None) -> AuditReport:
    """Walk the hash chain; each problem names the record and whether it was edited or
    deleted (a deletion also breaks the link of the next record: reported once). Then every
    audited row is compared with its digest in the chain, and with `anchor` the chain must
    still hold the head written to that file."""
    anchored = read_anchor(anchor) if anchor is not None else None
    with reading(db) as s:
        chain = audit.verify(s)
        rows = audit.verify_rows(s)
        lost = audit.anchor_problem(s, *anchored) if anchored is not None else None
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
    if lost is not None:
        problems.insert(0, AuditProblem(anchored[0] if anchored else 0, "anchor", lost))
    problems.extend(AuditProblem(p.record_id, p.kind, _ROW_TEXT[p.kind].format(
        table=p.table, key=p.key, record=p.record_id)) for p in rows)
    problems.extend(_replay_registers(db))
    return AuditReport(not problems, int(count), problems)


_ROW_TEXT = {
    "row_changed": "{table} {key} is buiten lopdesk gewijzigd (laatste stand in record "
                   "{record})",
    "row_inserted": "{table} {key} is buiten lopdesk toegevoegd (staat in geen record)",
    "row_deleted": "{table} {key} is buiten lopdesk verwijderd (laatste stand in record "
                   "{record})",
}


def write_anchor(db: Database, path: Path) -> tuple[int, str]:
    """Write the chain's head to a file outside the database (0640, atomic)."""
    with db.read() as s:
        require(s, db.user, "read")
    rec_id, digest = audit.head(db)
    text_ = json.dumps({"id": rec_id, "hash": digest}) + "\n"
    try:
        write_private_atomic(Path(path), text_.encode("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{path}: kan het anker niet schrijven ({exc.strerror}).",
                           field="FILE") from None
    return rec_id, digest


def read_anchor(path: Path) -> tuple[int, str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rec_id, digest = int(data["id"]), str(data["hash"])
    except OSError as exc:
        raise InvalidInput(f"{path}: kan het anker niet lezen ({exc.strerror}).",
                           field="--anchor") from None
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(f"{path}: geen anker van lopdesk (verwacht JSON met 'id' en "
                           "'hash').", field="--anchor") from None
    return rec_id, digest


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


