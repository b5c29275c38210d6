"""The fuller patient record's rules: Medicare card check digit, IRN, DVA, emergency contact, alerts."""

from __future__ import annotations

from datetime import date

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import (
    PatientDetails,
    check_alerts,
    check_irn,
    check_patient,
    is_medicare_number,
    normalise_dva,
    normalise_medicare,
    typed_patient_problems,
)

TODAY = date(2027, 3, 10)


@pytest.mark.parametrize("typed", ["2428 77813 2", "2428778132", "2123456701", "2123 45670 1"])
def test_a_card_with_its_check_digit_is_kept_as_ten_digits(typed: str) -> None:
    assert normalise_medicare(typed) == typed.replace(" ", "")
    assert is_medicare_number(typed.replace(" ", ""))


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2428 77814 2", "check digit"),  # 9th digit off by one
        ("2123456711", "check digit"),
        ("1123456701", "2 to 6"),  # a card never starts with 1
        ("7428778132", "2 to 6"),
        ("242877813", "10 digits"),
        ("2428a78132", "10 digits"),
    ],
)
def test_a_wrong_card_is_refused_naming_the_field(typed: str, reason: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        normalise_medicare(typed)
    assert refused.value.field == "medicare_number" and reason in refused.value.reason
    assert not is_medicare_number(typed.replace(" ", ""))


def test_irn_is_one_digit_from_one_to_nine() -> None:
    assert check_irn("1") == 1 and check_irn(9) == 9
    for bad in ("0", "10", "x", ""):
        with pytest.raises(InvalidRequest) as refused:
            check_irn(bad)
        assert refused.value.field == "medicare_irn"


def test_dva_and_alerts() -> None:
    assert normalise_dva(" nx123456 ") == "NX123456"
    with pytest.raises(InvalidRequest) as refused:
        normalise_dva("12345")
    assert refused.value.field == "dva_number"
    assert check_alerts("mobility, Allergy") == ("allergy", "mobility")
    assert check_alerts("") == ()
    with pytest.raises(InvalidRequest) as refused:
        check_alerts("allergy,diabetes")
    assert refused.value.field == "alerts" and "diabetes" in refused.value.reason


def test_check_patient_cleans_the_new_fields() -> None:
    clean = check_patient(
        PatientDetails(
            "Ava",
            "Singh",
            address="  12 High St\n Fitzroy VIC 3065 ",
            medicare_number="2428 77813 2",
            medicare_irn="2",  # type: ignore[arg-type]
            dva_number="nx123456",
            emergency_name=" Raj  Singh ",
            emergency_phone="0412 000 222",
            alerts=("mobility", "allergy"),
            alert_note=" penicillin ",
        ),
        TODAY,
    )
    assert clean.address == "12 High St Fitzroy VIC 3065"
    assert (clean.medicare_number, clean.medicare_irn) == ("2428778132", 2)
    assert clean.dva_number == "NX123456"
    assert (clean.emergency_name, clean.emergency_phone) == ("Raj Singh", "+61412000222")
    assert clean.alerts == ("allergy", "mobility") and clean.alert_note == "penicillin"


def test_an_irn_needs_a_card_and_a_bad_emergency_phone_names_its_field() -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_patient(PatientDetails("Ava", "Singh", medicare_irn=1), TODAY)
    assert refused.value.field == "medicare_irn"
    with pytest.raises(InvalidRequest) as refused:
        check_patient(PatientDetails("Ava", "Singh", emergency_phone="12"), TODAY)
    assert refused.value.field == "emergency_phone"


def test_the_form_hears_every_problem_at_once_one_per_field() -> None:
    problems = typed_patient_problems(
        {
            "given_name": "Ava",
            "family_name": "Singh",
            "medicare_number": "2428 77814 2",
            "medicare_irn": "0",
            "dva_number": "??",
            "emergency_phone": "12",
            "alerts": "allergy,nope",
            "alert_note": "x" * 500,
        },
        TODAY,
    )
    assert [p.field for p in problems] == [
        "medicare_number",
        "medicare_irn",
        "dva_number",
        "emergency_phone",
        "alerts",
        "alert_note",
    ]
    assert typed_patient_problems({"given_name": "A", "family_name": "B"}, TODAY) == []


@pytest.mark.parametrize(
    "name", ["address", "medicare", "medicare_number", "irn", "dva", "alerts", "emergency_name"]
)
def test_no_message_template_can_carry_the_record(name: str) -> None:
    """Reminders, confirmations and the like are filled from MessageFacts only: none of the
    fuller record is a placeholder, and a template asking for it is refused."""
    from dataclasses import fields

    from montu_desktop.notifications.templates import PLACEHOLDERS, MessageFacts, check_template

    assert name not in PLACEHOLDERS
    assert {f.name for f in fields(MessageFacts)} <= {
        "first_name",
        "start_local",
        "clinic_name",
        "clinic_address",
        "clinic_phone",
        "old_start_local",
        "manage_link",  # the patient's own link to move or cancel: no record detail in it
    }
    with pytest.raises(InvalidRequest):
        check_template("template.reminder.sms", f"Hi {{first_name}} {{{name}}}")
