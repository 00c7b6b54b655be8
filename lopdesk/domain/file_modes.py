"""Who else may read the database files: the warnings every command gives on SQLite.

Children's files: only owner and group may read them (domain §10). Kept apart from ops so
that a quick read-only command checks them without importing the models.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lopdesk.db import Database


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
