"""Files lopdesk hands on (extracts, output folders, backups): group-readable, never
world-readable whatever the umask, and written whole or not at all.

A file is first written to a hidden temporary file in the same folder (created 0600, so
nobody reads it half-written), set to its final mode, flushed to disk and then renamed over
the target: a reader sees the old file or the new one, never an empty or truncated one, and
a failed write (full disk, interrupted) leaves the target as it was and no temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o640  # owner writes, the group (the LOP's staff) reads, others nothing
FOLDER_MODE = 0o750


def make_private_folder(folder: Path, mode: int = FOLDER_MODE) -> None:
    """Create `folder` and any missing parents with `mode` whatever the umask; folders
    that exist already keep their mode."""
    missing: list[Path] = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            continue  # made by someone else meanwhile: theirs to keep
        os.chmod(path, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a file system without folder fsync is no error."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_private_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> Path:
    """Write `data` to `path` atomically with `mode` (default 0640) whatever the umask.
    Missing parent folders are created 0750. Returns the path; raises OSError on failure,
    leaving neither the temporary file nor a changed target."""
    path = Path(path)
    folder = path.parent
    make_private_folder(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)
    return path
