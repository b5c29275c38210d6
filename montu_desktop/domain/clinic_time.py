"""Clinic-local wall-clock time ↔ stored UTC instants, correct across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from montu_desktop.domain.errors import InvalidRequest

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
"""Dates outside this window are refused at every door (desk, command line, API): no clinic
books before 1900 or after 2199, and times near year 1 or 9999 overflow when moved between
time zones."""


def check_day(day: date, field: str) -> date:
    """`day` when it is within FIRST_DAY..LAST_DAY, else refused naming the field."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest(field, f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def check_moment(moment: datetime, field: str = "start") -> datetime:
    """`moment` when its date (as written, in its own offset) is within the window."""
    check_day(moment.date(), field)
    return moment


@lru_cache(maxsize=16)
def clinic_zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or a clear refusal naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest("timezone", f"{name!r} is not a known IANA time zone") from exc


def local_instant(day: date, wall: time, zone: str) -> datetime:
    """The UTC instant at which clinic clocks show `wall` on `day`.

    A wall time skipped by a daylight-saving jump is read with the offset in force
    before the jump, so it lands just after the jump, as the clock on the wall would.
    """
    local = datetime.combine(day, wall, tzinfo=clinic_zone(zone))
    return local.astimezone(UTC)


def to_local(moment: datetime, zone: str) -> datetime:
    """An aware instant as clinic-local time."""
    return moment.astimezone(clinic_zone(zone))


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight starting `day` and starting the next day."""
    return local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone)


def parse_local(text: str, zone: str, field: str = "start") -> datetime:
    """Read an ISO-8601 date-time a person typed; without an offset it is clinic-local."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidRequest(field, f"{text!r} is not an ISO-8601 date and time") from exc
    check_moment(moment, field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clinic_zone(zone))
    return moment.astimezone(UTC)


def parse_day(text: str, field: str) -> date:
    """Read a YYYY-MM-DD date within the window, or refuse naming the field."""
    try:
        found = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidRequest(field, f"{text!r} is not a date in the form YYYY-MM-DD") from exc
    return check_day(found, field)
