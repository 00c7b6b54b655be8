"""lopdesk/labels.py is the one code→Dutch table: every code of every code tuple has a label."""

from __future__ import annotations

import pytest

from lopdesk import labels
from lopdesk.domain import codes

# A code tuple's label table is named by the singular (STATUSES → STATUS); these do not
# follow the plain "drop the S" rule.
TABLE_FOR = {"CRITERIA": "CRITERION", "STATUSES": "STATUS",
             # subsets and kinds whose labels live in the table of the whole set
             "CAPACITY_REASONS": "REASON", "NOTICE_ONLY_REASONS": "REFUSAL_REASON",
             "CASE_OUTCOMES_WITH_SCHOOL": "CASE_OUTCOME", "EVENT_KINDS": "CASE_EVENT_KIND",
             "MANUAL_EVENT_KINDS": "CASE_EVENT_KIND"}


def _table_name(tuple_name: str) -> str:
    if tuple_name in TABLE_FOR:
        return TABLE_FOR[tuple_name]
    if tuple_name.endswith("STATUSES"):
        return tuple_name[: -len("ES")]
    return tuple_name[:-1]


CODE_TUPLES = sorted(n for n in dir(codes) if n.isupper()
                     and isinstance(getattr(codes, n), tuple | frozenset))


def test_there_are_code_tuples() -> None:
    assert {"STATUSES", "PRIORITY_GROUPS", "RUN_STATUSES", "CRITERIA"} <= set(CODE_TUPLES)


@pytest.mark.parametrize("name", CODE_TUPLES)
def test_every_code_has_a_dutch_label(name: str) -> None:
    table = getattr(labels, _table_name(name), None)
    assert isinstance(table, dict), f"lopdesk.labels has no table {_table_name(name)} for {name}"
    missing = [c for c in getattr(codes, name) if c not in table]
    assert not missing, f"{name}: no Dutch label for {missing}"


def test_short_forms_cover_their_codes() -> None:
    assert set(labels.STATUS_SHORT) == set(codes.STATUSES)
    assert set(labels.PRIORITY_GROUP_SHORT) == set(codes.PRIORITY_GROUPS)
    assert set(labels.CONTINGENT_SHORT) == set(codes.CONTINGENTS)
    assert set(labels.REGIME_SHORT) == set(codes.REGIMES)


def test_one_label_per_run_status_and_fill_step() -> None:
    # The CLI and the screens show the same words (one table).
    assert labels.label(labels.RUN_STATUS, "active") == "geldig"
    assert labels.label(labels.FILL_ACTION, "realised") == "gerealiseerd"


def test_numbers_on_screen_have_a_decimal_comma():
    """Dutch writes 68,8 % and 3,4 km: the allocation chart, the case's distances and the
    CLI's candidates use one formatter."""
    from lopdesk.labels import decimal, distance
    from lopdesk.screens.allocation import chart
    from lopdesk.screens.case import metres

    assert decimal(68.75) == "68,8" and decimal(2, 2) == "2,00"
    assert distance(3420) == "3,4 km" and distance(850) == "850 m"
    assert metres(3420) == "3,4 km" and metres(None) == "?"
    text = chart({"1": 11, "2": 5}, 16)
    assert "(68,8 %)" in text and "(31,2 %)" in text and "." not in text
