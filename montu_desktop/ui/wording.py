"""The desk's shared words and formats: how a phone, a status, an appointment's time and an
alert read on every screen, and the look of an error line. Widgets import this module; it
imports no widget, so no screen has to import another only for a word."""

from __future__ import annotations

from datetime import datetime

import phonenumbers

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import ALERT_LABELS
from montu_desktop.services.appointment_view import AppointmentView

SEARCH_DELAY_MS = 200
"""How long typing may pause before a patient search runs (every search box)."""
ERROR_STYLE = "color: #a50e0e; font-weight: bold;"
"""A refusal or error line beside a form."""

STATUS_WORDS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.CALLED_IN: "called in",
    AppointmentStatus.IN_CONSULTATION: "in consultation",
    AppointmentStatus.DID_NOT_WAIT: "did not wait",
    AppointmentStatus.COMPLETED: "completed",
    AppointmentStatus.NO_SHOW: "no-show",
    AppointmentStatus.CANCELLED: "cancelled",
}


def format_phone(stored: str) -> str:
    """A stored E.164 number the way people read it here ('0412 345 678')."""
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def alert_words(alerts: tuple[str, ...], note: str | None = None) -> str:
    """'Allergy, Mobility (penicillin)' for a record's alerts ('' for none)."""
    if not alerts:
        return ""
    words = ", ".join(ALERT_LABELS.get(a, a) for a in alerts)
    return words + (f" ({note})" if note else "")


def when_words(start: datetime, timezone: str) -> str:
    """'Tue 24 Nov at 10:00' in the clinic's time."""
    local = to_local(start, timezone)
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def said(verb: str, view: AppointmentView, timezone: str, extra: str = "") -> str:
    """The notice after an action: 'Booked Ava Singh with Dr Lee on Tue 24 Nov at 10:00.'"""
    text = (
        f"{verb} {view.patient_name} with {view.doctor_name} on {when_words(view.start, timezone)}"
    )
    return f"{text}{extra}."
