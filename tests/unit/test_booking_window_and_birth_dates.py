"""Domain rules production calls: the booking window and how a typed date of birth is read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import ClinicPolicy, epoch
from montu_desktop.domain.patients import parse_birth_date
from montu_desktop.services.availability import booking_window

ZONE = "Australia/Melbourne"
NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Monday 23 November, 07:00 in Melbourne


def test_the_window_opens_after_the_notice_and_closes_at_midnight_after_the_horizon() -> None:
    policy = ClinicPolicy(ZONE, 15, horizon_weeks=2, min_notice_minutes=90)
    window = BookingWindow.at(NOW, policy)
    assert window.earliest == epoch(NOW + timedelta(minutes=90))
    assert window.latest == epoch(local_instant(date(2026, 12, 7), time(0), ZONE))
    assert booking_window(policy, NOW) == window  # the service asks the domain


def test_the_horizon_counts_from_the_clinics_day_not_utcs() -> None:
    """At 07:00 Monday in Melbourne it is still Sunday in UTC: the horizon follows Melbourne."""
    window = BookingWindow.at(NOW, ClinicPolicy(ZONE, 15, horizon_weeks=1))
    assert window.latest == epoch(local_instant(date(2026, 11, 30), time(0), ZONE))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("31/12/1980", date(1980, 12, 31)), ("1980-12-31", date(1980, 12, 31)), ("  ", None)],
)
def test_a_date_of_birth_is_read_in_either_form(typed: str, expected: date | None) -> None:
    assert parse_birth_date(typed) == expected


@pytest.mark.parametrize("typed", ["12/31/1980", "31-12-1980", "yesterday", "30/02/1980"])
def test_anything_else_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_birth_date(typed)
    assert refused.value.field == "date_of_birth" and "31/12/1980" in str(refused.value)
