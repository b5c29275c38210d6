"""The clinic's nouns as plain values: doctors, appointment types, opening days, rosters, bookings."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

DEFAULT_SLOT_MINUTES = 15
MAX_APPOINTMENT_MINUTES = 480
"""No appointment is longer than a working day; this bounds every overlap search."""


def epoch(moment: datetime) -> int:
    """Seconds since the Unix epoch of an aware datetime (the form the sweeps work in)."""
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    """The aware UTC datetime of `seconds` since the Unix epoch."""
    return datetime.fromtimestamp(seconds, UTC)


class AppointmentStatus(enum.StrEnum):
    """Where an appointment is in its life; only cancelled ones free their time."""

    BOOKED = "booked"
    ARRIVED = "arrived"
    CALLED_IN = "called_in"
    IN_CONSULTATION = "in_consultation"
    DID_NOT_WAIT = "did_not_wait"
    """Arrived (or called in) and left before being seen; not a no-show."""
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def is_live(self) -> bool:
        return self is not AppointmentStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class AppointmentType:
    """A kind of consultation the clinic offers, with its length."""

    id: int
    name: str
    length_minutes: int
    colour: str = "#4a90d9"
    active: bool = True


@dataclass(frozen=True, slots=True)
class Doctor:
    """A doctor who can be booked (removed doctors keep their history but are never offered)."""

    id: int
    name: str
    active: bool = True
    removed: bool = False

    @property
    def bookable(self) -> bool:
        return self.active and not self.removed


@dataclass(frozen=True, slots=True)
class ClinicDay:
    """One calendar day of the clinic: open between two instants, or closed."""

    day: date
    opens: datetime | None
    closes: datetime | None

    @property
    def is_open(self) -> bool:
        return self.opens is not None and self.closes is not None

    @classmethod
    def closed(cls, day: date) -> ClinicDay:
        return cls(day, None, None)


@dataclass(frozen=True, slots=True)
class RosterBlock:
    """A stretch of time one doctor works (a day may hold several, the gaps are breaks)."""

    doctor_id: int
    start: datetime
    end: datetime


def merge_blocks(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted blocks with overlapping or touching ones joined (one doctor works them as one)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pairs):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(slots=True)
class Roster:
    """Who works when: each doctor's blocks as sorted (start, end) epoch-second pairs."""

    blocks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.blocks = {d: merge_blocks(pairs) for d, pairs in self.blocks.items()}

    @classmethod
    def from_blocks(cls, blocks: Iterable[RosterBlock]) -> Roster:
        by_doctor: dict[int, list[tuple[int, int]]] = {}
        for block in blocks:
            by_doctor.setdefault(block.doctor_id, []).append((epoch(block.start), epoch(block.end)))
        return cls(by_doctor)

    def doctors(self) -> list[int]:
        return sorted(self.blocks)

    def covers(self, doctor_id: int, start: int, end: int) -> bool:
        """True when one of the doctor's blocks holds the whole [start, end)."""
        return any(s <= start and end <= e for s, e in self.blocks.get(doctor_id, ()))

    def only(self, doctor_ids: Iterable[int]) -> Roster:
        keep = set(doctor_ids)
        return Roster({d: b for d, b in self.blocks.items() if d in keep})


@dataclass(frozen=True, slots=True)
class BusyTime:
    """A live appointment seen only as time taken from one doctor (and one patient)."""

    doctor_id: int
    start: int
    end: int
    patient_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClinicPolicy:
    """The clinic-wide rules that bound what can be booked."""

    timezone: str = "Australia/Melbourne"
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    horizon_weeks: int = 12
    min_notice_minutes: int = 0


def week_start(day: date) -> date:
    """The Monday of the week that holds `day`."""
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def busy_by_doctor(busy: Iterable[BusyTime]) -> Mapping[int, list[tuple[int, int]]]:
    """Group busy times per doctor, each list sorted by start."""
    grouped: dict[int, list[tuple[int, int]]] = {}
    for item in busy:
        grouped.setdefault(item.doctor_id, []).append((item.start, item.end))
    for pairs in grouped.values():
        pairs.sort()
    return grouped


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening hours on one weekday (0 = Monday), in clinic-local wall-clock time."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class RosterTemplate:
    """A doctor's regular block on one weekday, valid over a range of dates (local times)."""

    doctor_id: int
    weekday: int
    starts: time
    ends: time
    valid_from: date
    valid_until: date | None = None

    def applies_on(self, day: date) -> bool:
        if day.weekday() != self.weekday or day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until
