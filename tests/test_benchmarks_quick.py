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
                                    "xlsx_import.py"])
def test_benchmark_runs_in_quick_mode(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), "--quick"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.strip(), "a benchmark prints its figures"
