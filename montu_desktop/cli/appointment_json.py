"""The CLI's one JSON serialiser of an appointment, from the one appointment view.

Each command prints the keys it always printed (they are a contract with scripts): a
single appointment's, the same plus the visit's times for `mark`, and a shorter form per
visit of a series.
"""

from __future__ import annotations

from datetime import datetime

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.appointment_view import AppointmentView

APPOINTMENT_KEYS = (
    "id",
    "doctor_id",
    "patient_id",
    "type",
    "start",
    "end",
    "status",
    "note",
    "cancel_reason",
    "confirmed_at",
    "work_in_reason",
)
"""book, cancel, note, reschedule (and mark, with VISIT_TIME_KEYS)."""
VISIT_TIME_KEYS = ("arrived_at", "called_in_at", "consultation_at", "completed_at", "left_at")
SERIES_KEYS = ("id", "doctor_id", "patient_id", "type", "start", "end", "status")
"""Each visit of `book --repeat`, `cancel --following` and `reschedule --following`."""


def _local(moment: datetime | None, zone: str) -> str | None:
    return to_local(moment, zone).isoformat() if moment is not None else None


def appointment_json(
    view: AppointmentView, zone: str, keys: tuple[str, ...] = APPOINTMENT_KEYS
) -> dict[str, object]:
    """The appointment's `keys`, times in the clinic's zone (ISO 8601 with the offset)."""
    every: dict[str, object] = {
        "id": view.id,
        "doctor_id": view.doctor_id,
        "patient_id": view.patient_id,
        "type": view.type_name,
        "start": _local(view.start, zone),
        "end": _local(view.end, zone),
        "status": view.status.value,
        "note": view.note,
        "cancel_reason": view.cancel_reason,
        "confirmed_at": _local(view.confirmed_at, zone),
        "work_in_reason": view.work_in_reason,
        **{key: _local(getattr(view, key), zone) for key in VISIT_TIME_KEYS},
    }
    return {key: every[key] for key in keys}
