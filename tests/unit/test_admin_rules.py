"""Pure manager-settings rules: roster validation, leave and extra sessions, stranded bookings."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time

import pytest

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.impact import Booking, find_stranded
from montu_desktop.domain.model import ClinicDay, Roster, RosterBlock, RosterTemplate, WeeklyHours
from montu_desktop.domain.roster_rules import (
    ExceptionKind,
    RosterException,
    apply_exceptions,
    check_templates,
)

HOURS = [WeeklyHours(0, time(8), time(18))]
JAN, JUN = date(2026, 1, 1), date(2026, 6, 1)
ZONE = "UTC"


def test_blocks_of_different_date_ranges_may_share_hours() -> None:
    check_templates(
        [
            RosterTemplate(1, 0, time(9), time(12), JAN, date(2026, 5, 31)),
            RosterTemplate(1, 0, time(10), time(13), JUN),
            RosterTemplate(2, 0, time(9), time(12), JAN),
        ],
        HOURS,
        15,
    )


@pytest.mark.parametrize(
    ("blocks", "words"),
    [
        (
            [
                RosterTemplate(1, 0, time(9), time(12), JAN),
                RosterTemplate(1, 0, time(11), time(13), JUN),
            ],
            "overlaps",
        ),
        ([RosterTemplate(1, 1, time(9), time(12), JAN)], "closed on Tuesdays"),
        ([RosterTemplate(1, 0, time(9, 10), time(12), JAN)], "15-minute slots"),
    ],
)
def test_bad_blocks_are_refused(blocks: list[RosterTemplate], words: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_templates(blocks, HOURS, 15)
    assert refused.value.field == "blocks" and words in refused.value.reason


def at(hour: int) -> datetime:
    return datetime(2026, 11, 23, hour, tzinfo=UTC)


def test_leave_cuts_blocks_and_extras_stay_inside_opening_hours() -> None:
    day = ClinicDay(date(2026, 11, 23), at(8), at(18))
    blocks = [
        RosterBlock(1, at(8), at(12)),
        RosterBlock(1, at(13), at(18)),
        RosterBlock(2, at(8), at(12)),
    ]
    leave = RosterException(1, day.day, ExceptionKind.LEAVE, time(10), time(14))
    extra = RosterException(2, day.day, ExceptionKind.EXTRA, time(16), time(20))
    kept, extras = apply_exceptions(blocks, [leave, extra], [day], ZONE)
    assert kept == [
        RosterBlock(1, at(8), at(10)),
        RosterBlock(1, at(14), at(18)),
        RosterBlock(2, at(8), at(12)),
    ]
    assert extras == [RosterBlock(2, at(16), at(18))]
    whole_day = RosterException(2, day.day, ExceptionKind.LEAVE)
    kept, _ = apply_exceptions(blocks, [whole_day], [day], ZONE)
    assert all(b.doctor_id == 1 for b in kept)


def test_stranded_bookings_are_offered_to_the_least_loaded_free_doctor() -> None:
    hour = 3600
    roster = Roster({2: [(0, 8 * hour)], 3: [(0, 8 * hour)]})
    bookings = [
        Booking(10, 1, 0, hour),  # doctor 1 is gone: stranded
        Booking(11, 1, 0, hour),  # the same hour: the other free doctor
        Booking(12, 1, 2 * hour, 3 * hour),
        Booking(20, 2, 4 * hour, 6 * hour),  # doctor 2 is busier
    ]
    offers = {
        s.booking.id: s.offer for s in find_stranded(bookings, roster, random.Random(3), {2, 3})
    }
    assert set(offers) == {10, 11, 12}
    assert {offers[10], offers[11]} == {2, 3}
    assert offers[12] == 3
    full = {
        s.booking.id: s.offer
        for s in find_stranded(
            [*bookings, Booking(13, 1, 0, hour)], roster, random.Random(3), {2, 3}
        )
    }
    assert full[13] is None
