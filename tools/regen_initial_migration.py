"""Rewrite migrations/versions/0001_initial.py from the tables (only before the first release).

Later revisions (hand-written, e.g. 0002_append_only) are kept as they are.
Usage: .venv/bin/python tools/regen_initial_migration.py
"""

import shutil
import tempfile
from pathlib import Path

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.migrate import MIGRATIONS, autogenerate

INITIAL = "0001_initial"
versions = MIGRATIONS / "versions"
with tempfile.TemporaryDirectory() as tmp:
    parked = Path(tmp) / "parked"
    parked.mkdir()
    for path in versions.glob("*.py"):
        if path.name.startswith(INITIAL):
            path.unlink()
        else:
            shutil.move(str(path), parked / path.name)
    try:
        db = Database(Settings.from_cli(str(Path(tmp) / "empty.db")))
        autogenerate(db, "initial schema", INITIAL)
        generated = next(versions.glob(f"{INITIAL}*.py"))
        generated.rename(versions / f"{INITIAL}.py")
    finally:
        for path in parked.glob("*.py"):
            shutil.move(str(path), versions / path.name)
print(f"wrote {versions / (INITIAL + '.py')}")
