"""Recall rules: a patient due back by a day for a reason, and which bookings close a recall.

The reason is clinical (health data): it is kept with the recall and shown at the desk, but
never put in a message, a log line or the audit log.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from montu_desktop.domain.errors import InvalidRequest

REASON_MAX_CHARS = 200
FIRST_DUE, LAST_DUE = date(1900, 1, 1), date(2199, 12, 31)


class RecallStatus(enum.StrEnum):
    DUE = "due"
    BOOKED = "booked"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN = (RecallStatus.DUE,)
"""A recall waiting for the patient to book: listed by default, closed by a booking, reminded."""
CLOSABLE = (RecallStatus.DUE, RecallStatus.BOOKED)
"""What the desk may still mark done or cancel (a booked recall is done once the visit happened)."""


def clean_reason(text: str) -> str:
    """The reason as kept (one line, trimmed), or a refusal naming "reason"."""
    if any(unicodedata.category(c) in ("Cc", "Cf") and not c.isspace() for c in text):
        raise InvalidRequest("reason", "must not contain control characters")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidRequest("reason", "must say what the patient is due for")
    if len(cleaned) > REASON_MAX_CHARS:
        raise InvalidRequest("reason", f"must be at most {REASON_MAX_CHARS} characters")
    return cleaned


def check_due(due: date) -> None:
    if not FIRST_DUE <= due <= LAST_DUE:
        raise InvalidRequest("due", f"must be between {FIRST_DUE} and {LAST_DUE}")


def check_closable(recall_id: int, status: str, wanted: RecallStatus) -> None:
    """Only a recall still due (or booked) can be marked done or cancelled."""
    if RecallStatus(status) not in CLOSABLE:
        raise InvalidRequest("id", f"recall {recall_id} is already {status}")
    if wanted not in (RecallStatus.DONE, RecallStatus.CANCELLED):
        raise InvalidRequest("status", f"a recall cannot be set to {wanted.value} by hand")


@dataclass(frozen=True, slots=True)
class OpenRecall:
    """What deciding whether a booking closes a recall needs to know."""

    id: int
    type_id: int | None
    made_on: date
    """The clinic-local day the recall was made."""


def closed_by_booking(recalls: list[OpenRecall], type_id: int, appointment_day: date) -> list[int]:
    """The open recalls a booking of `type_id` on `appointment_day` (clinic-local) closes:
    those of that type (or of no type: any visit answers them) made on or before that day."""
    return [
        r.id
        for r in recalls
        if (r.type_id is None or r.type_id == type_id) and r.made_on <= appointment_day
    ]


def reminder_day(due: date, days_before: int) -> date | None:
    """The day a recall's reminder goes (None: reminders are off)."""
    if days_before <= 0:
        return None
    return due - timedelta(days=days_before)
