"""Clinic-local times across Melbourne's daylight-saving changes, and schedule planning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from montu_desktop.domain.availability import BookingWindow, day_availability
from montu_desktop.domain.clinic_time import local_instant, parse_local, to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import Roster, RosterTemplate, WeeklyHours
from montu_desktop.domain.schedule import plan_clinic_days, plan_roster

ZONE = "Australia/Melbourne"
EVERY_DAY = [WeeklyHours(d, time(8), time(18)) for d in range(7)]


def _week(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


@pytest.mark.parametrize(
    ("monday", "before", "after"),
    [
        (date(2026, 3, 30), 11, 10),  # daylight saving ends Sunday 5 April 2026
        (date(2026, 9, 28), 10, 11),  # daylight saving starts Sunday 4 October 2026
    ],
)
def test_opening_hours_stay_at_eight_local_across_the_change(monday, before, after) -> None:
    days = plan_clinic_days(EVERY_DAY, [], _week(monday), ZONE)
    saturday, sunday = days[5], days[6]
    assert saturday.opens.utcoffset() == timedelta(0)
    assert to_local(saturday.opens, ZONE).time() == time(8)
    assert to_local(sunday.opens, ZONE).time() == time(8)
    assert to_local(saturday.opens, ZONE).utcoffset() == timedelta(hours=before)
    assert to_local(sunday.opens, ZONE).utcoffset() == timedelta(hours=after)
    assert sunday.closes - sunday.opens == timedelta(hours=10)


@pytest.mark.parametrize("monday", [date(2026, 3, 30), date(2026, 9, 28)])
def test_every_day_of_a_change_week_has_forty_slots_from_eight_to_six(monday) -> None:
    days = plan_clinic_days(EVERY_DAY, [], _week(monday), ZONE)
    templates = [RosterTemplate(1, d, time(8), time(18), monday) for d in range(7)]
    roster = Roster.from_blocks(plan_roster(templates, days, ZONE))
    for day in days:
        result = day_availability(day, roster, {}, 15, 15, BookingWindow(0, 2**40))
        labels = [to_local(s.starts_at, ZONE).strftime("%H:%M") for s in result.slots]
        assert labels[0] == "08:00" and labels[-1] == "17:45" and len(labels) == 40
        assert all(s.free_doctors == 1 for s in result.slots)


def test_a_wall_time_skipped_by_the_spring_jump_lands_after_it() -> None:
    moment = local_instant(date(2026, 10, 4), time(2, 30), ZONE)
    assert to_local(moment, ZONE).time() == time(3, 30)


def test_typed_times_without_offset_are_clinic_local() -> None:
    assert parse_local("2026-12-01T08:00", ZONE) == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert parse_local("2026-07-01T08:00", ZONE) == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert parse_local("2026-12-01T08:00+00:00", ZONE) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(InvalidRequest) as refused:
        parse_local("next tuesday", ZONE)
    assert refused.value.field == "start"


def test_closures_and_unopened_weekdays_are_closed_days() -> None:
    hours = [WeeklyHours(0, time(8), time(18))]
    days = plan_clinic_days(
        hours, [date(2026, 12, 7)], [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 7)], ZONE
    )
    assert [d.is_open for d in days] == [True, False, False]


def test_roster_blocks_are_trimmed_to_opening_hours_and_respect_validity() -> None:
    monday = date(2026, 11, 30)
    days = plan_clinic_days(
        [WeeklyHours(0, time(8), time(18))], [], [monday, monday + timedelta(days=7)], ZONE
    )
    templates = [
        RosterTemplate(1, 0, time(7), time(12), monday, monday),
        RosterTemplate(2, 0, time(13), time(20), monday + timedelta(days=7)),
    ]
    blocks = plan_roster(templates, days, ZONE)
    assert [
        (b.doctor_id, to_local(b.start, ZONE).time(), to_local(b.end, ZONE).time()) for b in blocks
    ] == [
        (1, time(8), time(12)),
        (2, time(13), time(18)),
    ]


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        local_instant(date(2026, 1, 1), time(8), "Mars/Olympus")
    assert refused.value.field == "timezone"
