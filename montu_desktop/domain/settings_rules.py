"""The rules a manager's clinic settings must follow: details, opening hours, appointment types."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from montu_desktop.domain.clinic_time import clinic_zone
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import MAX_APPOINTMENT_MINUTES, WeeklyHours

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SLOT_SIZES = (5, 10, 15, 20, 30, 60)
HORIZON_WEEKS = (1, 156)
"""How far ahead schedules are generated and bookings taken: at least, at most (weeks)."""
MIN_NOTICE_MINUTES = (0, 7 * 24 * 60)
"""How soon before its start a time can still be booked: at least, at most (minutes)."""
TYPE_MINUTES = (1, MAX_APPOINTMENT_MINUTES)
"""An appointment type's length: at least, at most (minutes, and a whole number of slots)."""
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class ClinicDetails:
    """What the manager fills in about the clinic itself."""

    name: str
    address: str = ""
    phone: str = ""
    timezone: str = "Australia/Melbourne"
    subdivision: str = "VIC"
    slot_minutes: int = 15
    horizon_weeks: int = 12
    min_notice_minutes: int = 0


def check_clinic(details: ClinicDetails) -> ClinicDetails:
    """The details tidied, or a refusal naming the first field that is wrong."""
    name = details.name.strip()
    if not name:
        raise InvalidRequest("name", "is required")
    if len(name) > 200:
        raise InvalidRequest("name", "must be at most 200 characters")
    clinic_zone(details.timezone)
    if details.slot_minutes not in SLOT_SIZES:
        sizes = ", ".join(str(s) for s in SLOT_SIZES)
        raise InvalidRequest("slot_minutes", f"must be one of {sizes} minutes")
    low, high = HORIZON_WEEKS
    if not low <= details.horizon_weeks <= high:
        raise InvalidRequest("horizon_weeks", f"must be between {low} and {high} weeks")
    low, high = MIN_NOTICE_MINUTES
    if not low <= details.min_notice_minutes <= high:
        raise InvalidRequest("min_notice_minutes", "must be between 0 minutes and one week")
    return ClinicDetails(
        name,
        details.address.strip(),
        details.phone.strip(),
        details.timezone,
        details.subdivision.strip().upper(),
        details.slot_minutes,
        details.horizon_weeks,
        details.min_notice_minutes,
    )


def check_opening_hours(hours: Iterable[WeeklyHours], slot_minutes: int) -> list[WeeklyHours]:
    """One entry per open weekday, closing after opening, both on a slot boundary."""
    seen: set[int] = set()
    result = []
    for entry in sorted(hours, key=lambda h: h.weekday):
        field = f"hours.{WEEKDAY_NAMES[entry.weekday].lower()}"
        if entry.weekday in seen:
            raise InvalidRequest(field, "is given twice")
        seen.add(entry.weekday)
        if entry.closes <= entry.opens:
            raise InvalidRequest(field, "closing time must be after opening time")
        for moment in (entry.opens, entry.closes):
            if not on_slot(moment, slot_minutes):
                raise InvalidRequest(
                    field, f"{moment:%H:%M} is not on a {slot_minutes}-minute slot boundary"
                )
        result.append(entry)
    return result


def on_slot(moment: time, slot_minutes: int) -> bool:
    return moment.second == 0 and (moment.hour * 60 + moment.minute) % slot_minutes == 0


def check_type(name: str, length_minutes: int, colour: str, slot_minutes: int) -> tuple[str, str]:
    """A type's tidied name and colour, or a refusal naming the field."""
    name = name.strip()
    if not name:
        raise InvalidRequest("name", "is required")
    if len(name) > 100:
        raise InvalidRequest("name", "must be at most 100 characters")
    low, high = TYPE_MINUTES
    if not low <= length_minutes <= high:
        raise InvalidRequest("length", f"must be between {low} and {high} minutes")
    if length_minutes % slot_minutes:
        raise InvalidRequest("length", f"must be a multiple of the {slot_minutes}-minute slot")
    if not _COLOUR.match(colour.strip()):
        raise InvalidRequest("colour", "must look like #3b7dd8")
    return name, colour.strip().lower()
