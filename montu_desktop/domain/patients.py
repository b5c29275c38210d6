"""Checks and normalises what staff type about a patient (names, phone, email, date of birth)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from montu_desktop.domain.clinic_time import check_day
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.text import FOLDED, check_text


@dataclass(frozen=True, slots=True)
class PatientDetails:
    """A patient's details as the clinic keeps them (phone in E.164)."""

    given_name: str
    family_name: str
    date_of_birth: date | None = None
    phone: str | None = None
    email: str | None = None
    sms_reminders: bool = True
    email_reminders: bool = True
    reminders_opt_out: bool = False


BIRTH_DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d")
SEARCH_MAX_CHARS = 100
"""The longest patient search (desk, command line): a name, phone or date is far shorter, and
a long pattern only costs the database (SQLite gives up on it: "pattern too complex")."""


def check_search(text: str) -> str:
    """What was typed to find a patient, trimmed, or refused naming "search"."""
    cleaned = check_text(text, "search", FOLDED).strip()
    if len(cleaned) > SEARCH_MAX_CHARS:
        raise InvalidRequest("search", f"must be at most {SEARCH_MAX_CHARS} characters")
    return cleaned


def parse_birth_date(text: str, field: str = "date_of_birth") -> date | None:
    """A date typed as DD/MM/YYYY or YYYY-MM-DD, None when empty."""
    text = text.strip()
    if not text:
        return None
    for form in BIRTH_DATE_FORMS:
        try:
            found = datetime.strptime(text, form).date()
        except ValueError:
            continue
        return check_day(found, field)
    raise InvalidRequest(field, f"{text!r} is not a date like 31/12/1980")


def normalise_phone(text: str, region: str = "AU") -> str:
    """A mobile or landline number typed locally ('0412 345 678') as E.164 ('+61412345678')."""
    check_text(text, "phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidRequest("phone", f"{text!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidRequest("phone", f"{text!r} is not a valid phone number for {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str:
    check_text(text, "email")
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidRequest("email", str(exc)) from exc


def _name(text: str, field: str) -> str:
    check_text(text, field, FOLDED)
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidRequest(field, "must not be empty")
    if len(cleaned) > 100:
        raise InvalidRequest(field, "must be at most 100 characters")
    return cleaned


def typed_patient_problems(
    typed: dict[str, str], today: date, region: str = "AU"
) -> list[InvalidRequest]:
    """Every refusal the details as typed would meet, in the form's order (none: all good).

    `typed` holds the text of given_name, family_name, date_of_birth, phone and email: the
    same rules as check_patient, all said at once rather than the first only.
    """

    def birth() -> None:
        born = parse_birth_date(typed.get("date_of_birth", ""))
        if born is not None and born > today:
            raise InvalidRequest("date_of_birth", "is in the future")

    checks = (
        lambda: _name(typed.get("given_name", ""), "given_name"),
        lambda: _name(typed.get("family_name", ""), "family_name"),
        birth,
        lambda: (phone := typed.get("phone", "").strip()) and normalise_phone(phone, region),
        lambda: (email := typed.get("email", "").strip()) and normalise_email(email),
    )
    problems = []
    for check in checks:
        try:
            check()
        except InvalidRequest as problem:
            problems.append(problem)
    return problems


def check_patient(details: PatientDetails, today: date, region: str = "AU") -> PatientDetails:
    """The details cleaned up, or a refusal naming the first wrong field."""
    if details.date_of_birth is not None and details.date_of_birth > today:
        raise InvalidRequest("date_of_birth", "is in the future")
    if details.date_of_birth is not None:
        check_day(details.date_of_birth, "date_of_birth")
    return PatientDetails(
        given_name=_name(details.given_name, "given_name"),
        family_name=_name(details.family_name, "family_name"),
        date_of_birth=details.date_of_birth,
        phone=normalise_phone(details.phone, region) if details.phone else None,
        email=normalise_email(details.email) if details.email else None,
        sms_reminders=details.sms_reminders,
        email_reminders=details.email_reminders,
        reminders_opt_out=details.reminders_opt_out,
    )
