"""Every table module, imported for its side effect of registering on SQLModel.metadata.

Alembic's env.py and the tests import this; add new table modules to TABLE_MODULES.
"""

import importlib

from sqlmodel import SQLModel

from lopdesk.domain import models  # noqa: F401

TABLE_MODULES = (
    "lopdesk.domain.allocation_models",  # application rounds, applications, runs
    "lopdesk.domain.mediation_models",  # notices, cases, timeline, proposals
)

for _name in TABLE_MODULES:
    importlib.import_module(_name)

metadata = SQLModel.metadata
