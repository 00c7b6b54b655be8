"""Output folders of an allocation: written whole or not at all, readable by the group.

The files go into a hidden temporary folder next to the target, which is renamed into
place once everything is written: a failed run leaves no folder under the final name. The
temporary folder's name carries the writer's process id, so the next run in the same
place removes what an interrupted one (SIGKILL, power loss) left behind.

Folders are 0750 and files 0640 whatever the umask: a colleague of the LOP (the group)
can read the results and run `allocate explain` on them; others on the server cannot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from lopdesk.errors import InvalidInput

DIR_MODE = 0o750
FILE_MODE = 0o640
# Leftovers of a writer whose process is gone, or older than this, are removed.
STALE_AFTER_S = 24 * 3600
_PARTIAL = re.compile(r"^\..+\.partial-(\d+)-[0-9a-f]{8}$")


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput(f"uitvoermap {out_dir} bestaat al en is niet leeg: kies een nieuwe "
                           "map (eerdere resultaten worden nooit overschreven)", field="--out")


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_leftovers(folder: Path, pattern: re.Pattern[str] = _PARTIAL) -> list[Path]:
    """Remove temporary files and folders (named by `pattern`, group 1 the pid) whose
    writer is gone or that are older than a day; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue
        if process_alive(int(match[1])) and age < STALE_AFTER_S:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                continue
        removed.append(entry)
    return removed


def private_dir(path: Path) -> Path:
    """Create a folder 0750 whatever the umask."""
    path.mkdir(mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a new file 0640 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def copy_private(source: Path, target: Path) -> None:
    """Copy a file into a new file 0640 whatever the umask; the kernel moves the bytes
    (sendfile) where it can, without a copy through this process."""
    with open(source, "rb") as src:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            size = os.fstat(src.fileno()).st_size
            offset = 0
            try:
                while offset < size:
                    sent = os.sendfile(fd, src.fileno(), offset, size - offset)
                    if sent == 0:
                        break
                    offset += sent
            except OSError:  # no sendfile between these files: through a buffer
                os.lseek(fd, offset, os.SEEK_SET)
                src.seek(offset)
                while chunk := src.read(1 << 20):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
        finally:
            os.close(fd)


def _temporary_folder(out_dir: Path) -> Path:
    name = f".{out_dir.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return private_dir(out_dir.parent / name)


def write_folder(out_dir: Path, files: dict[str, str] | dict[str, bytes], record: dict,
                 before_record: Callable[[dict], None] | None = None,
                 copies: dict[str, Path] | None = None) -> None:
    """Write the output files and run.json into a temporary folder next to `out_dir`, then
    rename it: a failed run leaves no folder behind, a finished one is complete."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir.parent)
    tmp = _temporary_folder(out_dir)
    try:
        for fname, text in files.items():
            write_private(tmp / fname, text if isinstance(text, bytes) else text.encode("utf-8"))
        for fname, source in (copies or {}).items():  # the input, kept with its results
            target = tmp / fname
            if not target.parent.exists():
                private_dir(target.parent)
            copy_private(source, target)
        if before_record is not None:
            before_record(record)
        record["ended_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
        write_private(tmp / "run.json", text.encode("utf-8"))
        if out_dir.exists():
            out_dir.rmdir()
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
