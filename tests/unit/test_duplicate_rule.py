"""The duplicate rule: same DOB and folded family name (case, accents, apostrophes, hyphens
and spaces away, as search folds it), phone or email."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from montu_desktop.domain.duplicates import duplicate_reasons, is_likely_duplicate, name_key
from montu_desktop.domain.patients import PatientDetails

BORN = date(1990, 3, 4)


def person(family: str = "Singh", **kw: object) -> PatientDetails:
    return PatientDetails("Ava", family, **kw)  # type: ignore[arg-type]


def test_family_names_match_ignoring_case_accents_and_spacing() -> None:
    assert name_key("Núñez") == name_key("NUNEZ") == name_key(" nunez ")
    assert name_key("Zoë  Brontë") == "zoebronte"
    assert name_key("Nguyen") != name_key("Nguyễn Văn") and name_key("Nguyễn") == "nguyen"


def test_same_date_of_birth_and_family_name_is_a_likely_duplicate() -> None:
    assert is_likely_duplicate(
        person("Núñez", date_of_birth=BORN), person("NUNEZ", date_of_birth=BORN)
    )
    assert duplicate_reasons(person(date_of_birth=BORN), person(date_of_birth=BORN)) == [
        "date of birth and family name"
    ]


def test_the_family_name_alone_or_the_birth_date_alone_is_not_enough() -> None:
    assert not is_likely_duplicate(person(), person())  # no dates of birth at all
    assert not is_likely_duplicate(person(date_of_birth=BORN), person())
    assert not is_likely_duplicate(
        person("Singh", date_of_birth=BORN), person("Smith", date_of_birth=BORN)
    )
    assert not is_likely_duplicate(
        person(date_of_birth=BORN), person(date_of_birth=date(1990, 3, 5))
    )


def test_family_names_match_ignoring_apostrophes_hyphens_and_spaces() -> None:
    assert name_key("O'Connor-Núñez") == name_key("Oconnor-Nunez") == name_key("O Connor Nunez")
    assert name_key("O’Connor") == name_key("oconnor") == name_key("O'CONNOR")
    assert name_key("D'Arcy") == name_key("Darcy") == name_key("d arcy")
    assert name_key("O'Connor") != name_key("Connor")


def test_zoe_oconnor_nunez_typed_plainly_is_zoe_with_her_date_of_birth() -> None:
    zoe = PatientDetails("Zoë", "O'Connor-Núñez", BORN)
    typed = PatientDetails("Zoe", "Oconnor-Nunez", BORN)
    assert duplicate_reasons(typed, zoe) == ["date of birth and family name"]
    assert not is_likely_duplicate(PatientDetails("Zoe", "Oconnor", BORN), zoe)


def test_the_same_phone_or_email_is_a_likely_duplicate() -> None:
    assert duplicate_reasons(
        person(phone="+61412000111"), person("Other", phone="+61412000111")
    ) == ["phone"]
    assert duplicate_reasons(
        person(email="Ava@Example.com"), person("X", email="ava@example.COM")
    ) == ["email"]
    assert not is_likely_duplicate(person(phone="+61412000111"), person(phone="+61412000112"))
    assert not is_likely_duplicate(person(email=None), person(email=None))


@given(st.text(max_size=30))
def test_the_name_key_is_stable(name: str) -> None:
    assert name_key(name_key(name)) == name_key(name)
    assert name_key(name.upper()) == name_key(name.lower()) or not name.isascii()
