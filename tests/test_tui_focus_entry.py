"""A register opened on one line (from the offers, the refused list or a child's file)
shows that line: the cursor is on it and it is scrolled into view."""

from __future__ import annotations

import builders as b
from builders import t
from test_tui import SIZE, make, settle

from lopdesk.domain import registers


async def test_register_opened_on_a_line_far_down_shows_it(db):
    level, kids = b.basic(db, capacity=2, n_children=40)
    entries = [registers.add_request(db, level, kid, at=t(i)) for i, kid in enumerate(kids)]
    target = entries[34]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.register import RegisterScreen

        await app.push_screen(RegisterScreen(level, focus_entry=target.id))
        await settle(app, pilot)
        table = app.screen.query_one("VirtualTable")
        assert table.current.key == target.id
        top, body = int(table.scroll_y), table.body_height
        first = table._top(table.cursor)
        assert top <= first < top + body, (top, body, first)
