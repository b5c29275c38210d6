"""Booking rules: bookable start times and the fair choice of doctor."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.booking import TimeRange, check_bookable_time, choose_doctor, pick_doctor
from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.model import AppointmentType, ClinicDay, Roster, epoch

OPENS = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
DAY = ClinicDay(date(2026, 12, 1), OPENS, OPENS + timedelta(hours=10))
LONG = AppointmentType(2, "Long", 30)
ALWAYS = BookingWindow(0, 2**40)


def _start(minutes: int) -> int:
    return epoch(OPENS) + minutes * 60


def test_a_start_on_the_grid_inside_opening_hours_is_bookable() -> None:
    wanted = check_bookable_time(DAY, _start(60), LONG, 15, ALWAYS)
    assert wanted == TimeRange(_start(60), _start(90))


@pytest.mark.parametrize(
    ("minutes", "kind", "window", "field", "words"),
    [
        (7, LONG, ALWAYS, "start", "slot boundary"),
        (-15, LONG, ALWAYS, "start", "opening hours"),
        (585, LONG, ALWAYS, "start", "too close to closing"),
        (60, LONG, BookingWindow(_start(120), 2**40), "start", "past"),
        (60, LONG, BookingWindow(0, _start(30)), "start", "horizon"),
        (60, AppointmentType(3, "Old", 30, active=False), ALWAYS, "type", "no longer offered"),
    ],
)
def test_a_start_the_clinic_cannot_take_is_refused_naming_the_field(
    minutes, kind, window, field, words
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_bookable_time(DAY, _start(minutes), kind, 15, window)
    assert refused.value.field == field
    assert words in refused.value.reason


def test_a_closed_day_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="closed"):
        check_bookable_time(ClinicDay.closed(DAY.day), _start(0), LONG, 15, ALWAYS)


def test_the_least_loaded_free_doctor_is_chosen() -> None:
    assert choose_doctor([1, 2, 3], {1: 120, 2: 30, 3: 60}, random.Random(0)) == 2


def test_ties_are_broken_at_random_not_by_id_or_name() -> None:
    rng = random.Random(42)
    picks = Counter(choose_doctor([1, 2, 3], {}, rng) for _ in range(3000))
    assert set(picks) == {1, 2, 3}
    assert min(picks.values()) > 850  # each about a third


def test_no_free_doctor_means_slot_taken() -> None:
    with pytest.raises(SlotTaken):
        choose_doctor([], {}, random.Random(0))


def test_the_requested_doctor_is_booked_when_free_and_refused_when_busy() -> None:
    roster = Roster({1: [(_start(0), _start(600))], 2: [(_start(0), _start(600))]})
    wanted = TimeRange(_start(60), _start(90))
    busy = {2: [(_start(60), _start(75))]}
    assert pick_doctor(roster, busy, wanted, random.Random(0), requested=1) == 1
    with pytest.raises(SlotTaken):
        pick_doctor(roster, busy, wanted, random.Random(0), requested=2)
    with pytest.raises(InvalidRequest) as refused:
        pick_doctor(roster, busy, wanted, random.Random(0), requested=9)
    assert refused.value.field == "doctor"
