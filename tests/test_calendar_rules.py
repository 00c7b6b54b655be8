"""WL-04 calendar rules on their own: Easter, the spring break, school days, the youngest
nursery birth year. Dates written out (well-known Easter Sundays, incl. the earliest and
latest possible ones), not computed by the code under test."""

from __future__ import annotations

from datetime import date

import pytest

from lopdesk.domain.calendar import (
    easter,
    is_school_day,
    spring_break,
    waiting_list_deadline,
)


@pytest.mark.parametrize("year,expected", [
    (1818, date(1818, 3, 22)), (2285, date(2285, 3, 22)),  # earliest possible
    (1886, date(1886, 4, 25)), (1943, date(1943, 4, 25)), (2038, date(2038, 4, 25)),  # latest
    (1900, date(1900, 4, 15)), (1954, date(1954, 4, 18)), (1961, date(1961, 4, 2)),
    (2000, date(2000, 4, 23)), (2008, date(2008, 3, 23)), (2011, date(2011, 4, 24)),
    (2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
    (2027, date(2027, 3, 28)),
])
def test_WL_04_easter(year, expected):
    assert easter(year) == expected


@pytest.mark.parametrize("year,monday,friday", [
    (2025, date(2025, 3, 3), date(2025, 3, 7)),
    (2024, date(2024, 2, 12), date(2024, 2, 16)),
    (2028, date(2028, 2, 28), date(2028, 3, 3)),
])
def test_WL_04_spring_break_is_monday_to_friday_of_the_7th_week_before_easter(
        year, monday, friday):
    assert spring_break(year) == (monday, friday)


def test_WL_04_school_days_are_weekdays_minus_free_days():
    monday, friday, saturday, sunday = (date(2027, 10, 4), date(2027, 10, 8),
                                        date(2027, 10, 9), date(2027, 10, 10))
    assert is_school_day(monday) and is_school_day(friday)
    assert not is_school_day(saturday) and not is_school_day(sunday)
    assert not is_school_day(monday, [monday])
    assert is_school_day(friday, [monday])
    assert not is_school_day(saturday, [monday])


def test_WL_01_nursery_label_that_is_no_birth_year_follows_october():
    assert waiting_list_deadline(2027, "nursery_birth_year", "instapklas") == date(2027, 10, 7)
