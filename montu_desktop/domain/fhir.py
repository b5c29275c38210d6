"""FHIR R4 words for the clinic's nouns: references, date search parameters, and how an
appointment's status reads in FHIR (issue 27 item 6). Pure rules; the use cases are in
services/fhir.py and the routes in api/fhir.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from montu_desktop.domain.clinic_time import (
    check_moment,
    clinic_zone,
    local_day_bounds,
    parse_day,
)
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus

MAX_SEARCH_DAYS = 92
"""The longest date range one search covers."""
_ID = re.compile(r"^[0-9]{1,9}$")
_PREFIXED = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2}.*)$")

APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.CALLED_IN: "checked-in",
    AppointmentStatus.IN_CONSULTATION: "checked-in",
    # Arrived, then left before being seen: FHIR R4 has no closer word than a no-show.
    AppointmentStatus.DID_NOT_WAIT: "noshow",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}
SLOT_STATUSES = ("free", "busy", "busy-unavailable")


def resource_id(text: str) -> int | None:
    """A stored row's id from a FHIR id (None when it cannot be one: the read answers 404)."""
    return int(text) if _ID.match(text) else None


def reference_id(text: str, kind: str, param: str) -> int:
    """`Schedule/12` or a bare `12` (for `kind` Schedule) → 12; anything else is refused."""
    value = text.strip()
    if "/" in value:
        named, _, value = value.rpartition("/")
        if named.rsplit("/", 1)[-1] != kind:
            raise InvalidRequest(param, f"must be a {kind} reference such as {kind}/1")
    found = resource_id(value)
    if found is None:
        raise InvalidRequest(param, f"must be a {kind} reference such as {kind}/1")
    return found


@dataclass(frozen=True, slots=True)
class Range:
    """A search's instants: from `start` (included) to `end` (left out)."""

    start: datetime
    end: datetime


def _moment(text: str, zone: str, param: str) -> tuple[datetime, datetime]:
    """The instants a date or date-time value covers: a whole clinic-local day, or a second."""
    if len(text) == 10:
        return local_day_bounds(parse_day(text, param), zone)
    # A "+" sent unescaped in a query string arrives as a space.
    value = text.replace(" ", "+").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(param, f"{text!r} is not a FHIR date or dateTime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clinic_zone(zone))
    check_moment(moment, param)
    return moment, moment + timedelta(seconds=1)


def date_range(values: list[str], zone: str, param: str) -> Range:
    """`ge2027-03-10` and `lt2027-03-17T12:00:00+11:00` (or eq, gt, le) → the range they bound.

    Both ends must be given (a search is never unbounded) and span at most MAX_SEARCH_DAYS.
    """
    start: datetime | None = None
    end: datetime | None = None
    for raw in values:
        found = _PREFIXED.match(raw.strip())
        if not found:
            raise InvalidRequest(param, f"{raw!r} is not a date such as ge2027-03-10")
        prefix, text = found.group(1) or "eq", found.group(2)
        low, high = _moment(text, zone, param)
        if prefix in ("eq", "ge", "gt"):
            first = low if prefix != "gt" else high
            start = first if start is None else max(start, first)
        if prefix in ("eq", "le", "lt"):
            last = high if prefix != "lt" else low
            end = last if end is None else min(end, last)
    if start is None or end is None:
        raise InvalidRequest(
            param, f"give both ends, e.g. {param}=ge2027-03-10&{param}=lt2027-03-17"
        )
    if end <= start:
        raise InvalidRequest(param, "the range is empty: its end is not after its start")
    if end - start > timedelta(days=MAX_SEARCH_DAYS):
        raise InvalidRequest(param, f"must span at most {MAX_SEARCH_DAYS} days")
    return Range(start, end)


def slot_statuses(values: list[str]) -> frozenset[str]:
    """`status=free` (or busy, busy-unavailable; comma-separated or repeated); all by default."""
    wanted = {part.strip() for v in values for part in v.split(",") if part.strip()}
    unknown = sorted(wanted - set(SLOT_STATUSES))
    if unknown:
        raise InvalidRequest("status", f"{unknown[0]!r} is not one of {', '.join(SLOT_STATUSES)}")
    return frozenset(wanted or SLOT_STATUSES)
