"""Checks and normalises what staff type about a patient (names, phone, email, date of birth,
address, Medicare card and IRN, DVA file number, emergency contact and alerts)."""

from __future__ import annotations

import re
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
    address: str | None = None
    medicare_number: str | None = None
    """The card's 10 digits, no spaces (8 digits, the check digit, the issue number)."""
    medicare_irn: int | None = None
    """The patient's line on the card, 1 to 9."""
    dva_number: str | None = None
    emergency_name: str | None = None
    emergency_phone: str | None = None
    """E.164, like phone."""
    alerts: tuple[str, ...] = ()
    """Flags from ALERT_FLAGS, in that order."""
    alert_note: str | None = None
    """Optional short words about the alerts (e.g. what the allergy is)."""


ALERT_FLAGS = ("allergy", "interpreter", "mobility")
"""The fixed set of alerts a record may carry (shown as a mark on the day book)."""
ALERT_LABELS = {"allergy": "Allergy", "interpreter": "Interpreter needed", "mobility": "Mobility"}
ADDRESS_MAX_CHARS = 200
ALERT_NOTE_MAX_CHARS = 120
_MEDICARE_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)
_DVA = re.compile(r"^[A-Z]{1,3}[A-Z0-9 ]{1,6}[0-9]{1,6}[A-Z]?$")


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


_DATE_SHAPE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{1,2}-\d{1,2}")
"""The shape of the forms above, to tell a day that does not exist from text that is no date."""


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
    if _DATE_SHAPE.fullmatch(text):  # typed in the right shape, but no calendar has that day
        raise InvalidRequest(
            field, f"{text!r} is not a date like 31/12/1980: no such day (check day and month)"
        )
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


def medicare_digits(text: str) -> str:
    """What was typed for a Medicare card with spaces (and dashes) taken out."""
    return re.sub(r"[\s-]", "", text)


def is_medicare_number(digits: str) -> bool:
    """True for 10 digits whose first is 2-6 and whose 9th is the check digit of the first 8
    (weights 1,3,7,9,1,3,7,9, sum mod 10)."""
    if not re.fullmatch(r"[0-9]{10}", digits) or digits[0] not in "23456":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], _MEDICARE_WEIGHTS, strict=True))
    return total % 10 == int(digits[8])


def normalise_medicare(text: str) -> str:
    """A Medicare card number as 10 digits, or a refusal naming "medicare_number"."""
    check_text(text, "medicare_number")
    digits = medicare_digits(text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise InvalidRequest("medicare_number", "must be the card's 10 digits")
    if digits[0] not in "23456":
        raise InvalidRequest("medicare_number", "must start with a digit from 2 to 6")
    if not is_medicare_number(digits):
        raise InvalidRequest(
            "medicare_number", "check digit does not match: look at the card again"
        )
    return digits


def check_irn(value: object) -> int:
    """The IRN (the patient's line on the card) 1-9, or a refusal naming "medicare_irn"."""
    text = str(value).strip()
    if not re.fullmatch(r"[1-9]", text):
        raise InvalidRequest("medicare_irn", "must be one digit from 1 to 9")
    return int(text)


def normalise_dva(text: str) -> str:
    """A DVA file number (letters for the state and war, then digits, e.g. NX123456),
    upper case without surrounding spaces."""
    check_text(text, "dva_number")
    cleaned = " ".join(text.upper().split())
    if len(cleaned) > 9 or not _DVA.match(cleaned):
        raise InvalidRequest("dva_number", f"{text!r} is not a DVA file number like NX123456")
    return cleaned


def check_alerts(flags: object) -> tuple[str, ...]:
    """Alert flags (a comma-separated text or a collection) as a tuple in ALERT_FLAGS order."""
    items = flags.split(",") if isinstance(flags, str) else list(flags or ())  # type: ignore[call-overload]
    wanted = {str(f).strip().lower() for f in items if str(f).strip()}
    unknown = sorted(wanted - set(ALERT_FLAGS))
    if unknown:
        raise InvalidRequest(
            "alerts", f"{unknown[0]!r} is not an alert (use {', '.join(ALERT_FLAGS)})"
        )
    return tuple(f for f in ALERT_FLAGS if f in wanted)


def _short(text: str | None, field: str, longest: int) -> str | None:
    if text is None:
        return None
    check_text(text, field, FOLDED)
    cleaned = " ".join(text.split())
    if len(cleaned) > longest:
        raise InvalidRequest(field, f"must be at most {longest} characters")
    return cleaned or None


def _emergency_phone(text: str, region: str) -> str:
    try:
        return normalise_phone(text, region)
    except InvalidRequest as exc:
        raise InvalidRequest("emergency_phone", exc.reason) from exc


def _irn_needs_card(card: str, irn: str) -> None:
    if str(irn).strip() and not card.strip():
        raise InvalidRequest("medicare_irn", "needs the Medicare card number too")


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

    `typed` holds the text of given_name, family_name, date_of_birth, phone and email (and
    optionally address, medicare_number, medicare_irn, dva_number, emergency_name,
    emergency_phone, alerts as comma-separated flags, alert_note): the same rules as check_patient, all said at once rather than the first only.
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
        lambda: _short(typed.get("address"), "address", ADDRESS_MAX_CHARS),
        lambda: (card := typed.get("medicare_number", "").strip()) and normalise_medicare(card),
        lambda: (irn := typed.get("medicare_irn", "").strip()) and check_irn(irn),
        lambda: _irn_needs_card(typed.get("medicare_number", ""), typed.get("medicare_irn", "")),
        lambda: (dva := typed.get("dva_number", "").strip()) and normalise_dva(dva),
        lambda: _short(typed.get("emergency_name"), "emergency_name", 100),
        lambda: (ep := typed.get("emergency_phone", "").strip()) and _emergency_phone(ep, region),
        lambda: check_alerts(typed.get("alerts", "")),
        lambda: _short(typed.get("alert_note"), "alert_note", ALERT_NOTE_MAX_CHARS),
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
    medicare = normalise_medicare(details.medicare_number) if details.medicare_number else None
    irn = check_irn(details.medicare_irn) if details.medicare_irn not in (None, "") else None
    _irn_needs_card(medicare or "", "" if irn is None else str(irn))
    return PatientDetails(
        given_name=_name(details.given_name, "given_name"),
        family_name=_name(details.family_name, "family_name"),
        date_of_birth=details.date_of_birth,
        phone=normalise_phone(details.phone, region) if details.phone else None,
        email=normalise_email(details.email) if details.email else None,
        sms_reminders=details.sms_reminders,
        email_reminders=details.email_reminders,
        reminders_opt_out=details.reminders_opt_out,
        address=_short(details.address, "address", ADDRESS_MAX_CHARS),
        medicare_number=medicare,
        medicare_irn=irn,
        dva_number=normalise_dva(details.dva_number) if details.dva_number else None,
        emergency_name=_short(details.emergency_name, "emergency_name", 100),
        emergency_phone=(
            _emergency_phone(details.emergency_phone, region) if details.emergency_phone else None
        ),
        alerts=check_alerts(details.alerts),
        alert_note=_short(details.alert_note, "alert_note", ALERT_NOTE_MAX_CHARS),
    )
