"""The one name folding (domain.names): what a typed word finds, in Python."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from montu_desktop.domain.names import (
    MAX_PART,
    fold,
    joined_words,
    matches,
    name_parts,
    search_words,
)


def test_fold_takes_away_case_accents_apostrophes_hyphens_dots_and_spaces() -> None:
    assert fold("O’Connor-Núñez ") == fold("o connor nunez") == "oconnornunez"
    assert fold("D'Arcy") == fold("d arcy") == "darcy"
    assert fold("St. John") == "stjohn"
    assert fold("Straße") == "strasse"
    assert fold("100%_Club") == "100%_club"  # wildcards are ordinary characters


def test_a_names_parts_are_each_word_joined_to_the_words_after_it() -> None:
    assert name_parts("Zoë", "O'Connor-Núñez") == {"zoe", "oconnornunez", "connornunez", "nunez"}
    assert name_parts("Mary Jane", "van der Berg") == {
        "maryjane",
        "jane",
        "vanderberg",
        "derberg",
        "berg",
    }
    assert name_parts("", " ") == frozenset()


def test_typed_words_are_folded_and_split_at_spaces_and_commas() -> None:
    assert search_words("O'Connor, Zoë") == ["oconnor", "zoe"]
    assert search_words("  zoe zoe ") == ["zoe"]
    assert search_words("' - ") == []
    assert joined_words(["mc", "donald"]) == "mcdonald"
    assert joined_words(["nunez"]) is None


@pytest.mark.parametrize(
    ("typed", "given_name", "family_name"),
    [
        ("o connor", "Liam", "O'Connor"),
        ("oconnor", "Liam", "O'Connor"),
        ("o'connor", "Liam", "O'Connor"),
        ("O’CONNOR", "Liam", "O'Connor"),
        ("d arcy", "Fitz", "D'Arcy"),
        ("darcy", "Fitz", "D'Arcy"),
        ("nunez", "Zoë", "O'Connor-Núñez"),
        ("zoe o'connor", "Zoë", "O'Connor-Núñez"),
        ("zoe", "Zoë", "O'Connor-Núñez"),
        ("o'connor-nunez", "Zoë", "O'Connor-Núñez"),
        ("mc donald", "Ann", "McDonald"),
        ("connor, zo", "Zoë", "O'Connor-Núñez"),
    ],
)
def test_each_spelling_finds_the_name(typed: str, given_name: str, family_name: str) -> None:
    assert matches(typed, given_name, family_name)


@pytest.mark.parametrize(
    ("typed", "given_name", "family_name"),
    [
        ("zoe smith", "Zoë", "O'Connor-Núñez"),
        ("onnor", "Liam", "O'Connor"),
        ("%", "Ann", "Smith"),
        ("_mith", "Ann", "Smith"),
        ("", "Ann", "Smith"),
    ],
)
def test_what_does_not_find_the_name(typed: str, given_name: str, family_name: str) -> None:
    assert not matches(typed, given_name, family_name)


@given(st.text(max_size=40), st.text(max_size=40))
def test_the_whole_folded_name_always_finds_its_patient(given_name: str, family: str) -> None:
    for name in (given_name, family):
        if 0 < len(fold(name)) <= MAX_PART:
            assert matches(name, given_name, family)
    assert all(len(part) <= 100 and part for part in name_parts(given_name, family))
