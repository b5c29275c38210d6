"""The refusals a receptionist can meet, each naming the field at fault and the reason."""

from __future__ import annotations


class MontuError(Exception):
    """Base of every error the product reports to a person in plain words."""


class InvalidRequest(MontuError):
    """A request was refused because one of its fields is wrong; nothing was changed."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(InvalidRequest):
    """The request names something (a patient, a type, an appointment) that does not exist."""


class NoSchedule(InvalidRequest):
    """The requested day or week has no clinic schedule yet (not set up or beyond the horizon)."""


class SlotTaken(InvalidRequest):
    """The slot was free when looked at but is no longer: another desk booked it first."""

    def __init__(self, reason: str = "the slot was just taken; choose another time") -> None:
        super().__init__("start", reason)


class PatientDoubleBooked(InvalidRequest):
    """The patient already has a live appointment overlapping the requested time."""

    def __init__(self) -> None:
        super().__init__("patient", "already has an appointment overlapping that time")


class DeskBusy(InvalidRequest):
    """Another desk holds this doctor's (or patient's) booking lock past the lock timeout:
    usually a desk that lost its connection mid-booking, until the server ends its transaction."""

    def __init__(self, who: str = "doctor") -> None:
        super().__init__(who, f"another desk is booking this {who} — try again")


class DatabaseUnavailable(MontuError):
    """The database cannot be reached right now; nothing was changed."""
