"""What happened to an appointment, written to the outbox in the same transaction as the change."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    """Base of the facts the notification side reacts to; carries ids, never patient details."""

    name: ClassVar[str] = "event"

    def payload(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AppointmentBooked(Event):
    name: ClassVar[str] = "appointment.booked"
    appointment_id: int
    doctor_id: int
    patient_id: int
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class RecallAdded(Event):
    """A patient is due back by `due` (ISO day): plans their recall reminder (never the reason)."""

    name: ClassVar[str] = "recall.added"
    recall_id: int
    patient_id: int
    due: str


@dataclass(frozen=True, slots=True)
class AppointmentCancelled(Event):
    name: ClassVar[str] = "appointment.cancelled"
    appointment_id: int
    patient_id: int
    start: str


@dataclass(frozen=True, slots=True)
class AppointmentRescheduled(Event):
    name: ClassVar[str] = "appointment.rescheduled"
    appointment_id: int
    doctor_id: int
    patient_id: int
    old_start: str
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class AppointmentImported(Event):
    """A cancelled appointment still to come, brought in from another system: it was never
    booked here, so nothing is sent (no dispatcher acts on this name); the event only
    accompanies the new row, as every appointment change carries one."""

    name: ClassVar[str] = "appointment.imported"
    appointment_id: int
    patient_id: int
    start: str
