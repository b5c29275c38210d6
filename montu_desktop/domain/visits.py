"""An appointment's visit rules: which status moves fit the time, undo, notes and cancel reasons.

Every door (the day book's buttons, `montu-desktop mark`, the API through the service) asks
`status_refusal`, so a refusal reads the same wherever a receptionist meets it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.text import FOLDED, LINE_BREAKS, check_text

NOTE_MAX_CHARS = 500
REASON_MAX_CHARS = 200
EARLY_ARRIVAL = timedelta(hours=1)
"""A patient may be marked arrived at most this long before the appointment starts."""

CANCEL_REASONS = (
    "Patient cancelled",
    "Patient unwell",
    "Doctor unavailable",
    "Booked in error",
    "Rescheduled elsewhere",
)
"""The short list the desk offers; any other text is kept as typed."""

B, A, C, N = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)

# Booked is the undo target of every mark, so a mistaken click is never a trap.
_MOVES: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    B: frozenset({A, N}),
    A: frozenset({C, B}),
    C: frozenset({A, B}),
    N: frozenset({B}),
    AppointmentStatus.CANCELLED: frozenset(),
}

_SPOKEN = {B: "booked", A: "arrived", C: "completed", N: "a no-show"}


def parse_status(text: str) -> AppointmentStatus:
    """A status as typed ('arrived', 'no-show', 'no_show', 'booked', 'completed')."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        status = AppointmentStatus(wanted)
    except ValueError:
        status = None
    if status is None or status is AppointmentStatus.CANCELLED:
        raise InvalidRequest(
            "status", f"{text!r} is not one of arrived, completed, no-show, booked"
        )
    return status


def status_refusal(
    current: AppointmentStatus,
    wanted: AppointmentStatus,
    *,
    start: datetime,
    now: datetime,
    timezone: str,
) -> str | None:
    """Why the move from `current` to `wanted` is refused now, or None when it is allowed.

    Arrived: on the appointment's clinic-local day, at most an hour before it starts.
    No-show: only once the visit has started. Completed: only after arrival (the steps allow
    it from arrived only; PostgreSQL's status trigger holds the same steps).
    Booked (the undo of any mark): at any time.
    """
    if current is AppointmentStatus.CANCELLED:
        return "the appointment is cancelled"
    if wanted is current:
        return f"the appointment is already {_SPOKEN.get(current, current.value)}"
    if wanted not in _MOVES[current]:
        return (
            f"an appointment that is {_SPOKEN.get(current, current.value)} "
            f"cannot become {_SPOKEN.get(wanted, wanted.value)}"
        )
    if wanted is A and current is B:
        day = to_local(start, timezone).date()
        today = to_local(now, timezone).date()
        if day != today:
            return f"arrived can only be marked on the appointment's day ({day.isoformat()})"
        if now < start - EARLY_ARRIVAL:
            return "arrived can be marked at most an hour before the appointment starts"
    if wanted is N and now < start:
        local = to_local(start, timezone)
        return (
            "no-show can only be marked once the visit has started "
            f"({local.date().isoformat()} {local:%H:%M})"
        )
    return None


def check_status_move(
    current: AppointmentStatus,
    wanted: AppointmentStatus,
    *,
    start: datetime,
    now: datetime,
    timezone: str,
) -> None:
    """Refuse (field "status") a move that does not fit; return quietly when it does."""
    reason = status_refusal(current, wanted, start=start, now=now, timezone=timezone)
    if reason is not None:
        raise InvalidRequest("status", reason)


def allowed_moves(
    current: AppointmentStatus, *, start: datetime, now: datetime, timezone: str
) -> frozenset[AppointmentStatus]:
    """The statuses the desk may set now (what the day book's buttons offer)."""
    return frozenset(
        w
        for w in _MOVES[current]
        if status_refusal(current, w, start=start, now=now, timezone=timezone) is None
    )


def times_after_move(
    wanted: AppointmentStatus,
    now: datetime,
    arrived_at: datetime | None,
    completed_at: datetime | None,
) -> tuple[datetime | None, datetime | None]:
    """(arrived_at, completed_at) once the appointment is `wanted`: an undo clears what it undoes."""
    if wanted is B or wanted is N:
        return None, None
    if wanted is A:
        return arrived_at or now, None
    if wanted is C:
        return arrived_at or now, completed_at or now
    return arrived_at, completed_at


def clean_note(text: str | None) -> str | None:
    """The note as kept (trimmed; empty means none), or a refusal naming "note"."""
    if text is None:
        return None
    cleaned = check_text(text, "note", LINE_BREAKS).strip()
    if len(cleaned) > NOTE_MAX_CHARS:
        raise InvalidRequest("note", f"must be at most {NOTE_MAX_CHARS} characters")
    return cleaned or None


def clean_reason(text: str | None) -> str | None:
    """A cancel reason as kept (one line, trimmed), or a refusal naming "reason"."""
    if text is None:
        return None
    cleaned = " ".join(check_text(text, "reason", FOLDED).split())
    if len(cleaned) > REASON_MAX_CHARS:
        raise InvalidRequest("reason", f"must be at most {REASON_MAX_CHARS} characters")
    return cleaned or None
