"""What staff type about a patient is checked and normalised (phone to E.164)."""

from __future__ import annotations

from datetime import date

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import (
    PatientDetails,
    check_patient,
    normalise_phone,
    parse_birth_date,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "typed", ["0412 345 678", "0412345678", "+61 412 345 678", "(04) 1234 5678"]
)
def test_local_mobile_numbers_are_stored_in_e164(typed: str) -> None:
    assert normalise_phone(typed) == "+61412345678"


def test_a_melbourne_landline_is_stored_in_e164() -> None:
    assert normalise_phone("03 9123 4567") == "+61391234567"


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (PatientDetails("", "Citizen"), "given_name"),
        (PatientDetails("Jane", "  "), "family_name"),
        (PatientDetails("Jane", "Citizen", phone="12"), "phone"),
        (PatientDetails("Jane", "Citizen", email="jane@"), "email"),
        (PatientDetails("Jane", "Citizen", date_of_birth=date(2030, 1, 1)), "date_of_birth"),
    ],
)
def test_bad_details_are_refused_naming_the_field(details: PatientDetails, field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_patient(details, TODAY)
    assert refused.value.field == field


def test_good_details_are_tidied() -> None:
    clean = check_patient(
        PatientDetails("  Jane ", "Citizen", phone="0412 345 678", email="Jane@Example.ORG"), TODAY
    )
    assert clean.given_name == "Jane"
    assert clean.phone == "+61412345678"
    assert clean.email == "Jane@example.org"


def test_typed_details_give_every_problem_at_once_in_the_forms_order() -> None:
    from montu_desktop.domain.patients import typed_patient_problems

    today = date(2026, 11, 23)
    typed = {
        "given_name": " ",
        "family_name": "Quimby",
        "date_of_birth": "31/02/1980",
        "phone": "12",
        "email": "zelda@",
    }
    problems = typed_patient_problems(typed, today)
    assert [p.field for p in problems] == ["given_name", "date_of_birth", "phone", "email"]
    assert problems[0].reason == "must not be empty"
    future = typed_patient_problems({**typed, "date_of_birth": "24/11/2026"}, today)
    assert [p.reason for p in future if p.field == "date_of_birth"] == ["is in the future"]
    good = {"given_name": "Zelda", "family_name": "Quimby", "date_of_birth": "23/11/2026"}
    assert typed_patient_problems({**good, "phone": "", "email": ""}, today) == []


@pytest.mark.parametrize("typed", ["31/02/2012", "12/31/1980", "1980-02-30"])
def test_a_day_that_does_not_exist_is_said_to_be_no_such_day(typed: str) -> None:
    # Found in the trial: "'31/02/2012' is not a date like 31/12/1980" read as if the shape
    # were wrong; a date typed month first (12/31/1980) read the same.
    with pytest.raises(InvalidRequest) as refused:
        parse_birth_date(typed)
    assert refused.value.field == "date_of_birth"
    assert refused.value.reason.endswith("no such day (check day and month)")


def test_text_that_is_no_date_keeps_the_example() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_birth_date("last Tuesday")
    assert refused.value.reason == "'last Tuesday' is not a date like 31/12/1980"
