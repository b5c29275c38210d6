"""An appointment's visit rules: which status moves fit the time, undo, notes and cancel reasons.

Every door (the day book's buttons, `montu-desktop mark`, the API through the service) asks
`status_refusal`, so a refusal reads the same wherever a receptionist meets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.text import FOLDED, LINE_BREAKS, check_text
from montu_desktop.domain.wording import day_label, when_label

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
CI, IC, DNW = (
    AppointmentStatus.CALLED_IN,
    AppointmentStatus.IN_CONSULTATION,
    AppointmentStatus.DID_NOT_WAIT,
)

# The flow: booked → arrived → called in → in consultation → completed; arrived or called-in
# patients may leave unseen (did not wait). Each mark can be undone one stage back, and
# booked is the undo target of every mark, so a mistaken click is never a trap.
# PostgreSQL's status trigger (revision 0020) holds the same pairs.
_MOVES: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    B: frozenset({A, N}),
    A: frozenset({CI, IC, C, DNW, B}),
    CI: frozenset({IC, C, DNW, A, B}),
    IC: frozenset({C, CI, B}),
    C: frozenset({IC, A, B}),
    DNW: frozenset({A, B}),
    N: frozenset({B}),
    AppointmentStatus.CANCELLED: frozenset(),
}

_SPOKEN = {
    B: "booked",
    A: "arrived",
    CI: "called in",
    IC: "in consultation",
    C: "completed",
    N: "a no-show",
    DNW: "a did-not-wait",
}

FLOW_STAGES = (A, CI, IC)
"""The stages of a patient in the building, in order (the waiting room's rows)."""

_SAME_DAY = frozenset({CI, IC, DNW})

_NEXT = {A: CI, CI: IC, IC: C}
_BACK = {A: B, CI: A, IC: CI, C: IC, DNW: A, N: B}


def next_stage(current: AppointmentStatus) -> AppointmentStatus | None:
    """The flow's step on from `current` (the waiting room's Enter), None at the end."""
    return _NEXT.get(current)


def stage_back(current: AppointmentStatus) -> AppointmentStatus | None:
    """The undo of the last step: one stage back (arrived goes back to booked)."""
    return _BACK.get(current)


def spoken(status: AppointmentStatus) -> str:
    """The status as the desk says it ("called in", "a did-not-wait")."""
    return _SPOKEN.get(status, status.value)


def parse_status(text: str) -> AppointmentStatus:
    """A status as typed ('arrived', 'called-in', 'in-consultation', 'did-not-wait', 'no-show',
    'booked', 'completed'; hyphens, spaces and underscores alike)."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        status = AppointmentStatus(wanted)
    except ValueError:
        status = None
    if status is None or status is AppointmentStatus.CANCELLED:
        raise InvalidRequest(
            "status",
            f"{text!r} is not one of arrived, called-in, in-consultation, completed, "
            "did-not-wait, no-show, booked",
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
    Called in, in consultation and did not wait: on the appointment's clinic-local day, and
    only for a patient who has arrived (the steps allow them from the stages after arrival).
    No-show: only once the visit has started. Completed: only after arrival.
    Booked (the undo of any mark) and each undo one stage back: at any time.
    """
    if current is AppointmentStatus.CANCELLED:
        return "the appointment is cancelled"
    if wanted is current:
        return f"the appointment is already {spoken(current)}"
    if wanted not in _MOVES[current]:
        return f"an appointment that is {spoken(current)} cannot become {spoken(wanted)}"
    day = to_local(start, timezone).date()
    today = to_local(now, timezone).date()
    if wanted is A and current is B:
        if day != today:
            return (
                f"arrived can only be marked on the appointment's day ({day_label(day, year=True)})"
            )
        if now < start - EARLY_ARRIVAL:
            return "arrived can be marked at most an hour before the appointment starts"
    going_forward = _forward(current, wanted)
    if wanted in _SAME_DAY and going_forward and day != today:
        return (
            f"{spoken(wanted).removeprefix('a ')} can only be marked on the appointment's day "
            f"({day_label(day, year=True)})"
        )
    if wanted is N and now < start:
        local = to_local(start, timezone)
        return (
            "no-show can only be marked once the visit has started "
            f"({when_label(local, year=True)})"
        )
    return None


_ORDER = {B: 0, A: 1, CI: 2, IC: 3, C: 4, DNW: 4, N: 1}


def _forward(current: AppointmentStatus, wanted: AppointmentStatus) -> bool:
    """True when `wanted` is a step on (not an undo back to an earlier stage)."""
    return _ORDER.get(wanted, 0) > _ORDER.get(current, 0)


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


@dataclass(frozen=True, slots=True)
class VisitTimes:
    """When each stage of a visit was marked (None: not reached, or undone)."""

    arrived_at: datetime | None = None
    called_in_at: datetime | None = None
    consultation_at: datetime | None = None
    completed_at: datetime | None = None
    left_at: datetime | None = None
    """When a did-not-wait patient was marked as gone."""


def times_after_move(wanted: AppointmentStatus, now: datetime, was: VisitTimes) -> VisitTimes:
    """The times once the appointment is `wanted`: a step on stamps `now` on its stage (keeping
    a time already there), an undo clears the times of the stages it undoes."""
    if wanted is B or wanted is N or wanted is AppointmentStatus.CANCELLED:
        return VisitTimes()
    arrived = was.arrived_at or now
    if wanted is A:
        return VisitTimes(arrived)
    if wanted is CI:
        return VisitTimes(arrived, was.called_in_at or now)
    if wanted is IC:
        return VisitTimes(arrived, was.called_in_at or now, was.consultation_at or now)
    if wanted is C:
        return VisitTimes(arrived, was.called_in_at, was.consultation_at, was.completed_at or now)
    # Did not wait: the patient left from the waiting room or after being called.
    return VisitTimes(arrived, was.called_in_at, None, None, was.left_at or now)


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
