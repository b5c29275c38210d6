"""The one rule for who is free: performers only, appointments and held time taken, the
patient's own other appointments rule a time out, and the fair choice weighs that day only."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from montu_desktop.domain.booking import TimeRange
from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.model import ClinicDay, Roster, epoch
from montu_desktop.domain.who_is_free import WhoIsFree, choose, free_at

# Pure arithmetic on instants: no clock is read, so fixed instants cannot fall into the past.
OPENS = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
HOUR = 3600


def _day(offset: int) -> ClinicDay:
    opens = OPENS + timedelta(days=offset)
    return ClinicDay(date(2026, 12, 1) + timedelta(days=offset), opens, opens + timedelta(hours=8))


def _at(day: int, hours: float) -> int:
    return epoch(OPENS) + day * 24 * HOUR + int(hours * HOUR)


def _who(**changes: object) -> WhoIsFree:
    days = {d.day: d for d in (_day(0), _day(1))}
    blocks = {
        1: [(_at(d, 0), _at(d, 8)) for d in (0, 1)],
        2: [(_at(d, 0), _at(d, 8)) for d in (0, 1)],
    }
    parts: dict[str, object] = {
        "days": days,
        "roster": Roster(blocks),
        "skipped": frozenset({3}),
        "busy": {1: [(_at(0, 1), _at(0, 2))], 2: [(_at(1, 0), _at(1, 6))]},
        "held": {2: [(_at(0, 3), _at(0, 4))]},
        "patient_busy": (),
    }
    parts.update(changes)
    return WhoIsFree.of(**parts)  # type: ignore[arg-type]


def _range(day: int, hours: float, minutes: int = 15) -> TimeRange:
    start = _at(day, hours)
    return TimeRange(start, start + minutes * 60)


def test_free_at_takes_appointments_and_held_time_and_the_patient_busy() -> None:
    who = _who()
    assert free_at(who, _range(0, 0)) == [1, 2]
    assert free_at(who, _range(0, 1)) == [2]  # Dr 1 has an appointment
    assert free_at(who, _range(0, 3)) == [1]  # Dr 2's time is held
    assert free_at(_who(held={}), _range(0, 3)) == [1, 2]  # urgent: nothing held
    assert free_at(_who(patient_busy=((_at(0, 0), _at(0, 1)),)), _range(0, 0)) == []


def test_the_fair_choice_weighs_the_day_of_the_time_only() -> None:
    # On day 0 Dr 1 has 1 h booked and Dr 2 none; Dr 2's 6 h on day 1 must not count.
    choice = choose(_who(), _range(0, 5), random.Random(1))
    assert choice.doctor_id == 2
    assert {c.doctor_id: c.booked_minutes for c in choice.candidates} == {1: 60, 2: 0}
    assert {c.doctor_id: c.rostered_minutes for c in choice.candidates} == {1: 480, 2: 480}


def test_choose_refuses_as_booking_does() -> None:
    who = _who()
    with pytest.raises(InvalidRequest, match="does not perform"):
        choose(who, _range(0, 5), random.Random(1), requested=3)
    with pytest.raises(InvalidRequest, match="held for urgent"):
        choose(who, _range(0, 3), random.Random(1), requested=2)
    with pytest.raises(SlotTaken):
        choose(who, _range(0, 1), random.Random(1), requested=1)
    with pytest.raises(InvalidRequest, match="opening hours"):
        choose(who, _range(0, 9), random.Random(1))


def test_a_booking_shaped_reading_chooses_as_the_full_one() -> None:
    """What booking reads in its one statement (blocks touching the range, who clashes,
    each doctor's minutes that day) gives the same choice as the whole days' reading."""
    full = _who()
    wanted = _range(0, 5)
    touching = Roster(
        {
            d: [b for b in blocks if b[0] <= wanted.start and wanted.end <= b[1]]
            for d, blocks in full.roster.blocks.items()
        }
    )
    narrow = WhoIsFree.of(full.days, touching, full.skipped, {}, full.held)
    loads = {1: 60, 2: 0}
    day = {1: 480, 2: 480}
    for seed in range(5):
        a = choose(full, wanted, random.Random(seed))
        b = choose(narrow, wanted, random.Random(seed), booked=loads, rostered=day)
        assert (a.doctor_id, a.candidates) == (b.doctor_id, b.candidates)
