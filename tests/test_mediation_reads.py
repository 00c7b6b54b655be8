"""The cell's lists read in a fixed number of SQL statements, whatever the number of cases
or entries (list_cases runs at every palette opening; child_file at every open)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from builders import area, children, level, school, t
from sqlalchemy import event

from lopdesk.domain import areas, mediation, registers


@contextmanager
def counted(db):
    """Count the statements both engines send while the block runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engines = list({id(e): e for e in (db.reader, db.writer)}.values())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


def cases(db, area_id: str, n: int) -> None:
    """n refused children of an area with a case each: notices, parties, proposals and
    closed cases mixed in."""
    area(db, area_id)
    s1, s2 = school(db, f"{area_id}S1", area_id, x=0.0, y=0.0), school(
        db, f"{area_id}S2", area_id, x=1000.0, y=0.0)
    l1, l2 = level(db, f"{area_id}L1", s1, capacity=1), level(db, f"{area_id}L2", s2,
                                                                capacity=1)
    level(db, f"{area_id}L3", school(db, f"{area_id}S3", area_id), capacity=n)
    for lv in (l1, l2):
        registers.add_request(db, lv, children(db, 1, prefix=f"{lv}T")[0], at=t(0))
    for i, kid in enumerate(children(db, n, prefix=f"{area_id}K")):
        first = registers.add_request(db, l1, kid, at=t(i + 1))
        second = registers.add_request(db, l2, kid, at=t(i + 1))
        if i % 2 == 0:
            mediation.record_notice(db, first.id, mode="receipt",
                                    delivered_on=date(2027, 3, 3), at=t(days=2))
        case = mediation.open_case(db, kid, request_on=date(2027, 3, 8),
                                   entry_ids=[first.id, second.id], at=t(days=7))
        mediation.add_party(db, case.id, "parents", f"ouder {i}", at=t(days=7))
        if i % 3 == 1:
            mediation.close_case(db, case.id, "no_agreement", at=t(days=8))
        elif i % 3 == 2:
            mediation.propose(db, case.id, f"{area_id}L3", at=t(days=8))


def list_cases_statements(db, area_id: str, n: int) -> int:
    with counted(db) as seen:
        rows = mediation.list_cases(db, area_id=area_id, at=t(days=9))
    assert len(rows) == n
    assert all(r.schools == [f"{area_id}S1", f"{area_id}S2"] for r in rows)
    assert sum(r.open_proposals for r in rows) == n // 3
    assert all((r.next_deadline is None) == (r.status == "closed") for r in rows)
    return len(seen)


def test_list_cases_statements_do_not_grow_with_cases(db):
    cases(db, "A", 1)
    cases(db, "B", 20)
    one = list_cases_statements(db, "A", 1)
    many = list_cases_statements(db, "B", 20)
    assert many == one, (one, many)
    assert one <= 10, one


def child_with_entries(db, kid: str, n: int) -> None:
    """A child refused at n full levels, with notices at every other one and a case."""
    areas.create_child(db, kid, "Mila", "Peeters", x=0.0, y=0.0)
    for i in range(n):
        sid = school(db, f"{kid}S{i}", x=100.0 * i, y=0.0)
        lid = level(db, f"{kid}L{i}", sid, capacity=1)
        registers.add_request(db, lid, children(db, 1, prefix=f"{lid}X")[0], at=t(0))
        entry = registers.add_request(db, lid, kid, at=t(i + 1))
        if i % 2 == 0:
            mediation.record_notice(db, entry.id, mode="registered_post",
                                    delivered_on=date(2027, 3, 4), at=t(days=3))
    mediation.open_case(db, kid, request_on=date(2027, 3, 8), at=t(days=7))


def child_file_statements(db, kid: str, n: int) -> int:
    with counted(db) as seen:
        f = mediation.child_file(db, kid, at=t(days=9))
    assert len(f.entries) == n and all(e.waiting_position == 1 for e in f.entries)
    assert sum(e.notice is not None for e in f.entries) == (n + 1) // 2
    assert len(f.cases) == 1 and len(f.cases[0].schools) == n
    return len(seen)


def test_child_file_statements_do_not_grow_with_entries(db):
    area(db)
    child_with_entries(db, "C1", 1)
    child_with_entries(db, "C2", 15)
    one = child_file_statements(db, "C1", 1)
    many = child_file_statements(db, "C2", 15)
    assert many == one, (one, many)
    assert one <= 15, one
