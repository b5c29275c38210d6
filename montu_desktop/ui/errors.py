"""Turns any failure into a short message in plain words, and shows it (never a traceback)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from montu_desktop.domain.errors import (
    DatabaseUnavailable,
    InvalidRequest,
    MontuError,
    SlotTaken,
)
from montu_desktop.domain.wording import sentence

log = logging.getLogger(__name__)

_FIELD_WORDS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "phone": "Phone",
    "email": "Email",
    "start": "Time",
    "type": "Appointment type",
    "doctor": "Doctor",
    "reason": "Work-in reason",
    "work_in": "Work-in",
    "patient": "Patient",
    "week": "Week",
    "clinic": "Clinic",
    "appointment": "Appointment",
    "status": "Status",
    "medicare_number": "Medicare card number",
    "medicare_irn": "IRN",
    "dva_number": "DVA file number",
    "emergency_name": "Emergency contact",
    "emergency_phone": "Emergency contact's phone",
}


def field_label(field: str) -> str:
    return _FIELD_WORDS.get(field, field.replace("_", " ").capitalize())


def plain_words(error: BaseException) -> str:
    """What went wrong, for a receptionist: the field and the reason, or a short summary."""
    if isinstance(error, SlotTaken):
        return sentence(f"Someone else has just booked this time: {error.reason}")
    if isinstance(error, InvalidRequest):
        return sentence(f"{field_label(error.field)}: {error.reason}")
    if isinstance(error, DatabaseUnavailable):
        return (
            "The clinic database cannot be reached right now, so nothing was changed. "
            "Check the network or the server, then try again."
        )
    if isinstance(error, MontuError):
        return str(error)
    # Only the kind of error is logged: its text may hold patient details.
    log.error("unexpected error: %s", type(error).__name__)
    return (
        "Something unexpected went wrong and nothing was changed. "
        f"Please try again; if it keeps happening, tell IT ({type(error).__name__})."
    )


def show_error(parent: QWidget | None, title: str, error: BaseException) -> None:
    """A short modal message in plain words."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, plain_words(error), QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("errorDialog")
    box.exec()
