"""Print the mutation score and the surviving mutants of the last `mutmut run` (make mutate).

Score = caught / checked, where caught = killed by a test or by a timeout; a mutant
no test reaches ("no tests") counts as a survivor: no test would see that bug.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def main() -> int:
    subprocess.run([MUTMUT, "export-cicd-stats"], check=True, stdout=subprocess.DEVNULL)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    caught = stats["killed"] + stats["timeout"]
    counted = caught + sum(stats[k] for k in ("survived", "no_tests", "suspicious", "segfault"))
    unchecked = stats["total"] - stats["skipped"] - counted  # an interrupted run
    score = 100.0 * caught / counted if counted else 0.0
    listing = subprocess.run([MUTMUT, "results"], check=True, capture_output=True,
                             text=True).stdout
    survivors = [line.strip() for line in listing.splitlines()
                 if line.strip().endswith((": survived", ": no tests", ": suspicious"))]
    print(f"mutation score: {score:.1f} % ({caught} caught of {counted}; "
          f"survived {stats['survived']}, no tests {stats['no_tests']}, "
          f"suspicious {stats['suspicious']}, timeout {stats['timeout']}, "
          f"not checked {unchecked})")
    print(f"surviving mutants ({len(survivors)}); see one with `.venv/bin/mutmut show NAME`:")
    for line in survivors:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
