"""Clinic-local wall-clock time ↔ stored UTC instants, correct across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from montu_desktop.domain.errors import InvalidRequest


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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clinic_zone(zone))
    return moment.astimezone(UTC)


def parse_day(text: str, field: str) -> date:
    """Read a YYYY-MM-DD date, or refuse naming the field."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidRequest(field, f"{text!r} is not a date in the form YYYY-MM-DD") from exc
