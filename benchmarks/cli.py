"""Whole-process figures of the command line and the app, as a user meets them.

    .venv/bin/python benchmarks/cli.py [--quick] [--runs N]

- `lopdesk counters` on the demo area (normal size), the whole process     target <= 0.35 s
- `lopdesk` to the first screen on the large demo area, the whole process  target <= 0.8 s

The first screen is timed as a user sees it: the real `lopdesk` starts in a pseudo-terminal
of 120x40 and the clock stops when the overview's rows have been written to the terminal
(the line of the area, "Σ Gebied", is drawn only with the loaded rows); then the app is
ended. Each figure is the median of several runs, each run paired with a run of the bare
interpreter (`python -c pass`) right before it: the machine is shared, so the ratio to that
baseline is printed beside the absolute figure. CPU seconds come from the operating
system's accounting of each finished process (wait4).

`--quick` builds the small demo area and runs each once, judging no target.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402

FIRST_SCREEN_MARK = "Σ Gebied".encode()


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one whole process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{cmd} ended with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def first_screen(cmd: list[str], env: dict[str, str], timeout: float = 60) -> float:
    """Seconds from starting `cmd` in a 120x40 pseudo-terminal until it has drawn the
    overview's rows; the app is ended right after."""
    t = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, with the terminal as its stdin/stdout/stderr
        os.execve(cmd[0], cmd, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    shown: float | None = None
    try:
        while time.perf_counter() - t < timeout:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the app ended
                break
            if not chunk:
                break
            seen = seen[-64:] + chunk
            if FIRST_SCREEN_MARK in seen:
                shown = time.perf_counter() - t
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # drain the terminal so the app can end
            ready, _, _ = select.select([fd], [], [], 0.2)
            try:
                if ready and not os.read(fd, 65536):
                    break
            except OSError:
                break
            if os.waitpid(pid, os.WNOHANG)[0]:
                pid = 0
                break
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    if shown is None:
        raise RuntimeError("the app never showed the overview's rows")
    return shown


def _median(values: list[float]) -> float:
    return statistics.median(values)


def user_environment(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: Python writes and reuses its bytecode caches
    (a test harness may turn that off; compiling lopdesk's ~200 modules from source at
    every start would then be measured as start-up time)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    lopdesk = str(Path(sys.executable).with_name("lopdesk"))
    baseline = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory(prefix="lopdesk-bench-cli-") as tmp:
        normal, large = str(Path(tmp) / "normal.db"), str(Path(tmp) / "large.db")
        sizes = ((normal, "small" if args.quick else "normal"),
                 (large, "small" if args.quick else "large"))
        for db, size in sizes:
            subprocess.run([lopdesk, "--db", db, "demo", "--size", size], check=True,
                           capture_output=True, env=user_environment())
        env = user_environment(LOPDESK_DB=normal)
        _run([lopdesk, "counters"], env)  # warm-up: files in the page cache
        base, walls, cpus = [], [], []
        for _ in range(runs):
            base.append(_run(baseline, env)[0])
            wall, cpu = _run([lopdesk, "counters"], env)
            walls.append(wall)
            cpus.append(cpu)
        ratio = _median([w / b for w, b in zip(walls, base, strict=True)])
        counters = _median(walls)
        print(f"lopdesk counters ({sizes[0][1]} demo), whole process: {counters:.3f} s wall "
              f"(cpu {_median(cpus):.3f} s; {ratio:.1f}x python -c pass at "
              f"{_median(base):.3f} s)  target <= 0.35 s")
        term = user_environment(LOPDESK_DB=large, TERM="xterm-256color", COLUMNS="120",
                                LINES="40")
        first_screen([lopdesk], term)  # warm-up
        base, shown = [], []
        for _ in range(runs):
            base.append(_run(baseline, env)[0])
            shown.append(first_screen([lopdesk], term))
        ratio_first = _median([s / b for s, b in zip(shown, base, strict=True)])
        first = _median(shown)
        print(f"lopdesk to first screen ({sizes[1][1]} demo), whole process: {first:.3f} s "
              f"({ratio_first:.1f}x python -c pass)  target <= 0.8 s")
    figure(f"lopdesk counters, whole process ({sizes[0][1]} demo)",
           f"{counters:.2f} s ({ratio:.1f}x python -c pass)", "<= 0.35 s")
    figure(f"lopdesk to first screen, whole process ({sizes[1][1]} demo)",
           f"{first:.2f} s ({ratio_first:.1f}x python -c pass)", "<= 0.8 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
