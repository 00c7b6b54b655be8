"""A refusal reads as a sentence wherever the user sees it (the app's error place, form
errors, the CLI): the first letter a capital; a file name, id or rule id at the start stays."""

from __future__ import annotations

import pytest

from lopdesk.errors import InvalidInput, RuleViolation, sentence


@pytest.mark.parametrize(("text", "expected"), [
    ("een dossier kan niet afgesloten worden.", "Een dossier kan niet afgesloten worden."),
    ("bij deze uitkomst hoort de school.", "Bij deze uitkomst hoort de school."),
    ("inschrijving: '3' is geen getal", "Inschrijving: '3' is geen getal"),
    ("Al een hoofdletter.", "Al een hoofdletter."),
    ("kinderen.csv, regel 3: onbekend", "kinderen.csv, regel 3: onbekend"),  # a file name
    ("k003 bestaat niet", "k003 bestaat niet"),  # an id
    ("", ""),
])
def test_sentence_capitalises_a_plain_first_word(text, expected):
    assert sentence(text) == expected


def test_a_refusal_prints_as_a_sentence_after_its_rule():
    exc = RuleViolation("een dossier kan niet afgesloten worden zonder uitkomst.",
                        rule="MED-02")
    assert exc.shown() == "MED-02: Een dossier kan niet afgesloten worden zonder uitkomst."
    assert InvalidInput("onbekende uitkomst.").shown() == "Onbekende uitkomst."
    assert exc.message.startswith("een")  # the message itself is kept as the domain gave it
