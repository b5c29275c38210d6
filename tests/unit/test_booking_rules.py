"""Booking rules: bookable start times and the fair choice of doctor."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.booking import (
    Candidate,
    TimeRange,
    check_bookable_time,
    choose_doctor,
    pick_doctor,
)
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


def test_a_closed_day_is_named_as_every_other_date_is() -> None:
    # Found in the trial: "the clinic is closed on 2026-12-13" beside "Tue 8 Dec 2020 has no
    # clinic schedule"; dates read the same way everywhere.
    with pytest.raises(InvalidRequest) as refused:
        check_bookable_time(ClinicDay.closed(DAY.day), _start(0), LONG, 15, ALWAYS)
    assert refused.value.reason == f"the clinic is closed on {DAY.day:%a %-d %b %Y}"


def _c(doctor: int, booked: int, rostered: int = 420) -> Candidate:
    return Candidate(doctor, booked, rostered)


def test_the_least_loaded_free_doctor_is_chosen() -> None:
    pool = [_c(1, 120), _c(2, 30), _c(3, 60)]
    assert choose_doctor(pool, random.Random(0)).doctor_id == 2


def test_load_is_booked_over_rostered_minutes_that_day() -> None:
    # Dr 1 has fewer minutes booked but works a short day: 60/120 is more than 120/480.
    pool = [_c(1, 60, 120), _c(2, 120, 480)]
    assert choose_doctor(pool, random.Random(0)).doctor_id == 2


def test_ties_are_broken_at_random_not_by_id_or_name() -> None:
    rng = random.Random(42)
    pool = [_c(1, 60, 240), _c(2, 120, 480), _c(3, 0, 0)]
    pool[2] = _c(3, 105, 420)  # 1/4 each: an exact tie
    picks = Counter(choose_doctor(pool, rng).doctor_id for _ in range(3000))
    assert set(picks) == {1, 2, 3}
    assert min(picks.values()) > 850  # each about a third


def test_no_free_doctor_means_slot_taken() -> None:
    with pytest.raises(SlotTaken):
        choose_doctor([], random.Random(0))


ROSTER = Roster({1: [(_start(0), _start(420))], 2: [(_start(0), _start(420))]})
WANTED = TimeRange(_start(60), _start(90))


def test_the_requested_doctor_is_booked_when_free_and_refused_when_busy() -> None:
    choice = pick_doctor(ROSTER, WANTED, random.Random(0), taken={2}, booked={}, requested=1)
    assert (choice.doctor_id, choice.requested) == (1, True)
    with pytest.raises(SlotTaken):
        pick_doctor(ROSTER, WANTED, random.Random(0), taken={2}, booked={}, requested=2)
    with pytest.raises(InvalidRequest) as refused:
        pick_doctor(ROSTER, WANTED, random.Random(0), taken={2}, booked={}, requested=9)
    assert refused.value.field == "doctor"


def test_a_doctor_who_does_not_perform_the_type_is_never_chosen() -> None:
    rng = random.Random(3)
    picks = {
        pick_doctor(ROSTER, WANTED, rng, taken=(), booked={2: 300}, skipped={1}).doctor_id
        for _ in range(200)
    }
    assert picks == {2}  # Dr 1 is far less loaded but does not do this type
    with pytest.raises(InvalidRequest) as refused:
        pick_doctor(ROSTER, WANTED, rng, taken=(), booked={}, skipped={1}, requested=1)
    assert refused.value.field == "doctor"
    assert "does not perform" in refused.value.reason


def test_held_time_is_not_chosen_and_a_request_for_it_says_so() -> None:
    choice = pick_doctor(ROSTER, WANTED, random.Random(0), taken=(), booked={2: 400}, held={1})
    assert choice.doctor_id == 2
    with pytest.raises(InvalidRequest, match="held for urgent"):
        pick_doctor(ROSTER, WANTED, random.Random(0), taken=(), booked={}, held={1}, requested=1)


def test_the_choice_says_why_with_the_candidates_loads() -> None:
    choice = pick_doctor(
        Roster({**ROSTER.blocks, 3: [(_start(0), _start(300))]}),
        WANTED,
        random.Random(0),
        taken=(),
        booked={1: 120, 2: 180, 3: 150},
    )
    assert choice.doctor_id == 1
    assert [(c.doctor_id, c.booked_minutes, c.rostered_minutes) for c in choice.candidates] == [
        (1, 120, 420),
        (2, 180, 420),
        (3, 150, 300),
    ]
    assert choice.why("Dr Chen") == "Dr Chen: 2 h of 7 h booked, the least of 3 free"


def test_a_tie_is_said_to_be_picked_at_random() -> None:
    choice = pick_doctor(ROSTER, WANTED, random.Random(0), taken=(), booked={1: 60, 2: 60})
    assert choice.why("Dr Chen") == (
        "Dr Chen: 1 h of 7 h booked, the least of 2 free (tied with 1 other, picked at random)"
    )
