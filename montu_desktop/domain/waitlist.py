"""The waitlist rules: which waiting patients fit a freed start time, oldest first."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from montu_desktop.domain.errors import InvalidRequest

NOON = time(12)


class PartOfDay(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    ANY = "any"

    @classmethod
    def parse(cls, text: str) -> PartOfDay:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidRequest("part", "must be morning, afternoon or any") from None

    def holds(self, wall: time) -> bool:
        if self is PartOfDay.MORNING:
            return wall < NOON
        if self is PartOfDay.AFTERNOON:
            return wall >= NOON
        return True


@dataclass(frozen=True, slots=True)
class WaitingPatient:
    """An open waitlist entry as the matching sees it."""

    id: int
    patient_id: int
    type_id: int
    doctor_id: int | None
    from_day: date | None
    until_day: date | None
    part: PartOfDay
    created_at: datetime


def check_range(from_day: date | None, until_day: date | None) -> None:
    if from_day and until_day and until_day < from_day:
        raise InvalidRequest("until", "is before --from")


def fits(entry: WaitingPatient, type_id: int, local_start: datetime, free: Iterable[int]) -> bool:
    """True when the entry wants this type at this local start, and its doctor (if it named
    one) is among the doctors free for the whole length there."""
    day = local_start.date()
    if entry.type_id != type_id:
        return False
    if (entry.from_day and day < entry.from_day) or (entry.until_day and day > entry.until_day):
        return False
    if not entry.part.holds(local_start.time()):
        return False
    return entry.doctor_id is None or entry.doctor_id in set(free)


def matching(
    entries: Iterable[WaitingPatient], type_id: int, local_start: datetime, free: Iterable[int]
) -> list[WaitingPatient]:
    """The entries that fit, oldest first (then by id, so equal times keep one order)."""
    doctors = list(free)
    found = [e for e in entries if fits(e, type_id, local_start, doctors)]
    return sorted(found, key=lambda e: (e.created_at, e.id))
