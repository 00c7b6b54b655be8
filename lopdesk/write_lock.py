"""The SQLite writers' queue: an flock on a file next to the database (see WriteLock)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from lopdesk.config import process_user
from lopdesk.errors import Busy

try:
    import fcntl
except ImportError:  # not a POSIX system: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]


class WriteLock:
    """An flock on a file next to the database, held around each write transaction.

    SQLite's busy handler sleeps longer the longer a writer has waited (up to 100 ms a
    try), so under many writers a newcomer often wins and an early one starves for seconds.
    Blocked flock waiters instead sleep in the kernel and are woken when the lock is let
    go, with no back-off: the slowest write stays close to the queue length times one
    write. BEGIN IMMEDIATE and the busy timeout still guard against other writers (the
    migrations, a backup, an older lopdesk). A killed process lets go of its lock.
    One per file and process (`for_path`): every Database on the file shares it, so a
    nested write in one thread does not wait on itself.
    """

    _by_path: dict[str, WriteLock] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def for_path(cls, path: Path) -> WriteLock:
        key = os.path.abspath(path)
        with cls._registry_lock:
            lock = cls._by_path.get(key)
            if lock is None:
                lock = cls._by_path[key] = cls(Path(key))
            return lock

    @classmethod
    def _after_fork(cls) -> None:
        # A child forked during a write starts unlocked and opens its own file description
        # (sharing the parent's would let both hold the flock at once).
        cls._registry_lock = threading.Lock()
        for lock in cls._by_path.values():
            if lock._fd is not None:
                try:
                    os.close(lock._fd)  # closing (not LOCK_UN) leaves the parent's lock alone
                except OSError:
                    pass
            lock.__init__(lock.path)

    def __init__(self, path: Path):
        self.path = path
        self._thread_lock = threading.RLock()  # one flock per process: threads queue here
        self._depth = 0
        self._fd: int | None = None

    def _open(self) -> int | None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o660)
            try:
                os.fchmod(fd, 0o660)  # owner and group, whatever the umask (as the database)
            except OSError:
                pass  # someone else's lock file
        except OSError:
            try:  # a folder we may not write in: an existing lock file read-only will do
                fd = os.open(self.path, os.O_RDONLY)
            except OSError:
                return None  # no lock file: SQLite's own locking alone, as before
        return fd

    def acquire(self, wait: float | None = None) -> None:
        """Take the lock, waiting at most `wait` seconds (None: for ever); then `Busy`
        names the process and user that hold it."""
        if not self._thread_lock.acquire(timeout=-1 if wait is None else wait):
            raise self._busy(None, wait or 0.0)
        try:
            if self._depth == 0:
                # Opened per transaction (a few microseconds): no descriptor stays open for
                # each database a long-lived process (the app, the tests) ever touched.
                fd = self._open()
                if fd is not None:
                    try:
                        if not _flock(fd, wait):
                            raise self._busy(fd, wait or 0.0)
                        _write_holder(fd)
                    except BaseException:
                        os.close(fd)
                        raise
                self._fd = fd
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def _busy(self, fd: int | None, wait: float) -> Busy:
        holder = _read_holder(fd) if fd is not None else None
        who = (f"proces {holder[0]} van gebruiker '{holder[1]}'" if holder
               else "een ander proces")
        if fd is None:  # another thread of this process
            who = f"een andere taak van dit proces ({os.getpid()})"
        return Busy(f"de databank is al {wait:g} s bezet door {who} (vergrendeling "
                    f"{self.path}). Probeer het straks opnieuw; blijft het duren, vraag dan "
                    "de beheerder dat proces na te kijken.")

    def release(self) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)  # explicit: a forked child may hold a copy
                finally:
                    os.close(fd)
        finally:
            self._thread_lock.release()


class _Expired(Exception):
    pass


def _raise_expired(_signum: int, _frame: object) -> None:
    raise _Expired


def _flock(fd: int, wait: float | None) -> bool:
    """flock(LOCK_EX) for at most `wait` seconds; True when held.

    The main thread blocks in the kernel (fair: waiters are woken in turn) under an
    interval timer; other threads (the app's workers) and a process that already uses the
    timer poll instead.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    if wait is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    if (threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
        previous = signal.signal(signal.SIGALRM, _raise_expired)
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, wait)
                fcntl.flock(fd, fcntl.LOCK_EX)
                signal.setitimer(signal.ITIMER_REAL, 0)
                return True
            except _Expired:
                signal.setitimer(signal.ITIMER_REAL, 0)
                return _try_flock(fd)  # the timer may have fired just after the lock came
        finally:
            # Also after Ctrl-C: a timer left running would later kill the process.
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    deadline = time.monotonic() + wait
    pause = 0.001
    while time.monotonic() < deadline:
        time.sleep(pause)
        if _try_flock(fd):
            return True
        pause = min(pause * 2, 0.02)
    return False


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


_HOLDER: bytes | None = None


def _write_holder(fd: int) -> None:
    """Note who holds the lock in the lock file (`pid user`), for whoever waits too long."""
    global _HOLDER
    if _HOLDER is None:
        _HOLDER = f"{os.getpid()} {process_user()}\n".encode()
    try:
        os.pwrite(fd, _HOLDER.ljust(64), 0)
    except OSError:
        pass  # a read-only lock file: the queue still works, only the name is missing


def _read_holder(fd: int) -> tuple[str, str] | None:
    try:
        parts = os.pread(fd, 64, 0).decode("utf-8", "replace").split()
    except OSError:
        return None
    return (parts[0], parts[1]) if len(parts) >= 2 and parts[0].isdigit() else None


def _forget_holder() -> None:
    global _HOLDER
    _HOLDER = None  # a forked child has its own pid


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_holder)
    os.register_at_fork(after_in_child=WriteLock._after_fork)
