"""Every benchmark script runs in its quick mode, so a renamed function or a changed
signature breaks the suite instead of the next measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", ["allocation.py", "foundation.py", "load.py", "tui.py",
                                    "xlsx_import.py", "imports.py", "cli.py", "refused.py"])
def test_benchmark_runs_in_quick_mode(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), "--quick"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.strip(), "a benchmark prints its figures"


def test_run_all_gathers_the_figures_into_one_table() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _figures import parse, table
    finally:
        sys.path.remove(str(BENCHMARKS))
    text = ("engine 0.1 s\nFIGURE\tengine\t0.10 s\t<= 0.2 s\n"
            "FIGURE\timport\t50,000 lines/s\t>= 40,000\n")
    rows = parse(text)
    assert rows == [("engine", "0.10 s", "<= 0.2 s"), ("import", "50,000 lines/s", ">= 40,000")]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["measure", "figure", "target"]
    assert len(lines) == 4 and lines[2].startswith("engine ")
