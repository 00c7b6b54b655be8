"""School days and the deadlines that depend on them (WL-01, WL-04).

School days are Monday-Friday minus the calendar's holidays and configured free days.
Flanders keeps the traditional calendar (autumn break around 1 November), so by default
the fifth school day of October is the fifth weekday of October (WL-04).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from lopdesk.labels import BRUSSELS


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def spring_break(year: int) -> tuple[date, date]:
    """Krokusvakantie: the week starting the 7th Monday before Easter (WL-04)."""
    monday_before_easter = easter(year) - timedelta(days=6)
    start = monday_before_easter - timedelta(weeks=6)
    return start, start + timedelta(days=4)


def is_school_day(day: date, free_days: Iterable[date] = ()) -> bool:
    """WL-04: Monday to Friday, minus holidays and the area's free days."""
    return day.weekday() < 5 and day not in set(free_days)


def nth_school_day(start: date, n: int, free_days: Iterable[date] = ()) -> date:
    """The n-th school day on or after `start`."""
    free = frozenset(free_days)
    day = start
    count = 0
    while True:
        if is_school_day(day, free):
            count += 1
            if count == n:
                return day
        day += timedelta(days=1)


def fifth_school_day_of_october(year: int, free_days: Iterable[date] = ()) -> date:
    """WL-04: e.g. 2023 → 2023-10-06, 2029 → 2029-10-05."""
    return nth_school_day(date(year, 10, 1), 5, free_days)


def first_school_day_of_march(year: int, free_days: Iterable[date] = ()) -> date:
    """WL-04 (old regime start): skips the spring break, e.g. 2022 → 2022-03-07."""
    start, end = spring_break(year)
    free = set(free_days)
    free.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return nth_school_day(date(year, 3, 1), 1, free)


def area_free_days(session, area_id: str) -> list[date]:
    """The configured holidays and free days of an area (CalendarDay rows)."""
    from sqlalchemy import select

    from lopdesk.domain.models import CalendarDay

    return list(session.execute(select(CalendarDay.day).where(CalendarDay.area_id == area_id))
                .scalars())


def waiting_list_deadline(school_year: int, level_kind: str, label: str,
                          free_days: Iterable[date] = ()) -> date:
    """WL-01: last day on which freed places follow the waiting-list order (inclusive).

    Nursery children of the youngest birth year: 30 June of the running school year;
    everyone else: the fifth school day of October of the school year concerned.
    """
    if level_kind == "nursery_birth_year" and _is_youngest_birth_year(school_year, label):
        return date(school_year + 1, 6, 30)
    return fifth_school_day_of_october(school_year, free_days)


def _is_youngest_birth_year(school_year: int, label: str) -> bool:
    # The youngest nursery birth year of school year Y is children born in Y-2 + ...:
    # they may start from 2.5 years; the instapklas of school year 2027-28 is born in 2025.
    try:
        return int(label) >= school_year - 2
    except ValueError:
        return False


def end_of_day(day: date) -> datetime:
    """The last second of a Brussels calendar day, as an aware datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=BRUSSELS)


def order_binds(now: datetime, deadline: date) -> bool:
    """True while freed places must follow the waiting list (deadline day included)."""
    return now <= end_of_day(deadline)


def school_year_end(school_year: int) -> datetime:
    """The registers of school year Y (Y-Y+1) end with the school year: 31 August of Y+1."""
    return end_of_day(date(school_year + 1, 8, 31))
