"""Rewrite migrations/versions/0001_initial.py from the tables (only before the first release).

Usage: .venv/bin/python tools/regen_initial_migration.py
"""

import tempfile
from pathlib import Path

from lopdesk.config import Settings
from lopdesk.db import SCHEMA_REVISION, Database
from lopdesk.migrate import MIGRATIONS, autogenerate

target = MIGRATIONS / "versions" / f"{SCHEMA_REVISION}.py"
for old in (MIGRATIONS / "versions").glob("*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    db = Database(Settings.from_cli(str(Path(tmp) / "empty.db")))
    autogenerate(db, "initial schema", SCHEMA_REVISION)
generated = next((MIGRATIONS / "versions").glob("*.py"))
generated.rename(target)
print(f"wrote {target}")
