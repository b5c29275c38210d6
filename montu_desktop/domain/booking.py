"""The booking rules: when a start time is bookable, who is free, and a fair choice of doctor."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.model import AppointmentType, ClinicDay, Roster, epoch


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open range [start, end) in epoch seconds."""

    start: int
    end: int

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


def check_bookable_time(
    day: ClinicDay,
    start: int,
    appointment_type: AppointmentType,
    slot_minutes: int,
    window: BookingWindow,
) -> TimeRange:
    """The range an appointment of this type starting at `start` would take, if the clinic allows it."""
    if not appointment_type.active:
        raise InvalidRequest("type", f"{appointment_type.name!r} is no longer offered")
    if not day.is_open:
        raise InvalidRequest("start", f"the clinic is closed on {day.day.isoformat()}")
    assert day.opens is not None and day.closes is not None
    opens, closes = epoch(day.opens), epoch(day.closes)
    end = start + appointment_type.length_minutes * 60
    if start < opens or start >= closes:
        raise InvalidRequest("start", "is outside the clinic's opening hours")
    if (start - opens) % (slot_minutes * 60):
        raise InvalidRequest("start", f"must fall on a {slot_minutes}-minute slot boundary")
    if end > closes:
        raise InvalidRequest("start", "is too close to closing for an appointment of this length")
    if start < window.earliest:
        raise InvalidRequest("start", "is in the past or inside the clinic's minimum notice")
    if start >= window.latest:
        raise InvalidRequest("start", "is beyond the clinic's booking horizon")
    return TimeRange(start, end)


def rostered_doctors(roster: Roster, wanted: TimeRange) -> list[int]:
    """Doctors whose roster holds the whole range."""
    return [d for d in roster.doctors() if roster.covers(d, wanted.start, wanted.end)]


def free_doctors(
    roster: Roster, busy: Mapping[int, Sequence[tuple[int, int]]], wanted: TimeRange
) -> list[int]:
    """Doctors rostered for the whole range with no live appointment overlapping it."""
    return [
        d
        for d in rostered_doctors(roster, wanted)
        if not any(wanted.overlaps(s, e) for s, e in busy.get(d, ()))
    ]


def booked_minutes(busy: Mapping[int, Sequence[tuple[int, int]]]) -> dict[int, int]:
    """Minutes of live appointments per doctor (the load a fair choice balances)."""
    return {doctor: sum(e - s for s, e in pairs) // 60 for doctor, pairs in busy.items()}


def choose_doctor(
    candidates: Iterable[int], load_minutes: Mapping[int, int], rng: random.Random
) -> int:
    """The least-loaded candidate, ties broken at random (never by name or id order)."""
    pool = list(candidates)
    if not pool:
        raise SlotTaken("no doctor is free for the whole length at that time")
    lightest = min(load_minutes.get(d, 0) for d in pool)
    return rng.choice([d for d in pool if load_minutes.get(d, 0) == lightest])


def pick_doctor(
    roster: Roster,
    busy: Mapping[int, Sequence[tuple[int, int]]],
    wanted: TimeRange,
    rng: random.Random,
    requested: int | None = None,
) -> int:
    """The doctor to book: the one asked for if free, else the fair choice among the free."""
    free = free_doctors(roster, busy, wanted)
    if requested is None:
        return choose_doctor(free, booked_minutes(busy), rng)
    if requested in free:
        return requested
    if requested not in rostered_doctors(roster, wanted):
        raise InvalidRequest("doctor", "is not rostered for the whole length at that time")
    raise SlotTaken("the requested doctor is already booked at that time")
