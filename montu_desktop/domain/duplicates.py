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
