"""SVG snapshots of the register whose header explains its marks: a line whose timestamp is
earlier than the previous number's (REG-01, "5!"), at 80x24 and 120x36, on the fixed
database of test_tui_snapshots with one late request added.

Regenerate on purpose only, after looking at the change:
    .venv/bin/pytest tests/test_tui_register_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest
from builders import t
from test_tui_snapshots import before, fixed, make  # noqa: F401  (fixed is a fixture)

from lopdesk.domain import registers

SIZES = [(80, 24), (120, 36)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_register_explains_out_of_order_mark(fixed, snap_compare, size):  # noqa: F811
    registers.add_request(fixed, "L1", "K005", at=t(1))  # nr. 5, dated before nr. 4
    assert snap_compare(make(fixed), terminal_size=size, run_before=before(register="L1"))
