"""When two patient records are likely the same person (the duplicate rule)."""

from __future__ import annotations

from montu_desktop.domain.names import fold
from montu_desktop.domain.patients import PatientDetails


def name_key(name: str) -> str:
    """A family name compared as search folds it: case, accents, apostrophes, hyphens and
    spaces away ('O’Connor-Núñez' ~ 'Oconnor Nunez')."""
    return fold(name)


def email_key(email: str | None) -> str | None:
    return email.strip().casefold() if email and email.strip() else None


def duplicate_reasons(new: PatientDetails, existing: PatientDetails) -> list[str]:
    """Why `existing` looks like the person in `new` (empty when it does not).

    Both are expected to be normalised (phones in E.164, as check_patient leaves them).
    """
    reasons = []
    if (
        new.date_of_birth is not None
        and new.date_of_birth == existing.date_of_birth
        and name_key(new.family_name) == name_key(existing.family_name)
    ):
        reasons.append("date of birth and family name")
    if new.phone and new.phone == existing.phone:
        reasons.append("phone")
    new_email = email_key(new.email)
    if new_email is not None and new_email == email_key(existing.email):
        reasons.append("email")
    return reasons


def is_likely_duplicate(new: PatientDetails, existing: PatientDetails) -> bool:
    """Same date of birth and folded family name (domain.names), or same phone, or same email."""
    return bool(duplicate_reasons(new, existing))


def same_person_online(new: PatientDetails, existing: PatientDetails) -> bool:
    """Whether an online booking may join `existing`: the identity rule, stricter than the
    duplicate rule because a website visitor is not seen.

    Given name, family name and date of birth all match (ignoring case, accents and
    spacing) and so does the phone (E.164) or the email (ignoring case). Knowing a
    patient's mobile number, or their name and birthday, is not enough to book into (and
    learn about) their record. Both are expected normalised (as check_patient leaves them).
    """
    if new.date_of_birth is None or new.date_of_birth != existing.date_of_birth:
        return False
    if name_key(new.given_name) != name_key(existing.given_name):
        return False
    if name_key(new.family_name) != name_key(existing.family_name):
        return False
    same_phone = bool(new.phone) and new.phone == existing.phone
    new_email = email_key(new.email)
    same_email = new_email is not None and new_email == email_key(existing.email)
    return same_phone or same_email
