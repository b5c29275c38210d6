"""The availability sweep: free doctors per slot, and why a slot is unavailable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from montu_desktop.domain.availability import (
    BookingWindow,
    Unavailable,
    day_availability,
    free_runs,
    week_availability,
)
from montu_desktop.domain.booking import TimeRange, free_doctors
from montu_desktop.domain.model import ClinicDay, Roster, epoch

DAY = date(2026, 12, 1)
OPENS = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)  # 08:00 in Melbourne (+11)
CLOSES = OPENS + timedelta(hours=10)
ALWAYS = BookingWindow(0, 2**40)
M = 60


def _at(minutes: int) -> int:
    return epoch(OPENS) + minutes * M


def _day(roster: dict[int, list[tuple[int, int]]], busy=None, length=30, window=ALWAYS):
    blocks = {d: [(_at(a), _at(b)) for a, b in pairs] for d, pairs in roster.items()}
    busy_s = {d: [(_at(a), _at(b)) for a, b in pairs] for d, pairs in (busy or {}).items()}
    return day_availability(
        ClinicDay(DAY, OPENS, CLOSES), Roster(blocks), busy_s, length, 15, window
    )


def test_free_runs_subtract_appointments_from_the_roster() -> None:
    assert free_runs([(0, 100)], [(10, 20), (20, 30), (50, 60)]) == [(0, 10), (30, 50), (60, 100)]
    assert free_runs([(0, 100)], [(0, 100)]) == []
    assert free_runs([(0, 50), (60, 100)], [(40, 70)]) == [(0, 40), (70, 100)]


def test_free_runs_can_leave_out_gaps_too_short_for_an_appointment() -> None:
    assert free_runs([(0, 100)], [(10, 20), (25, 30), (50, 60)], shortest=15) == [
        (30, 50),
        (60, 100),
    ]
    assert free_runs([(0, 100)], [(10, 95)], shortest=15) == []


def test_two_rostered_doctors_are_both_free_when_nothing_is_booked() -> None:
    result = _day({1: [(0, 600)], 2: [(0, 600)]})
    assert result.open and len(result.slots) == 40
    assert result.slots[0].free_doctors == 2
    assert result.slots[0].starts_at == OPENS


def test_an_appointment_blocks_every_start_whose_length_would_overlap_it() -> None:
    result = _day({1: [(0, 600)]}, busy={1: [(60, 90)]}, length=30)
    free = {i * 15: s.free_doctors for i, s in enumerate(result.slots)}
    assert free[15] == 1  # 08:15-08:45 ends before the 09:00 appointment
    assert free[30] == 1
    assert free[45] == 0 and free[60] == 0 and free[75] == 0
    assert free[90] == 1
    assert result.slots[3].unavailable is Unavailable.ALL_BUSY


def test_breaks_in_the_roster_are_not_bookable() -> None:
    result = _day({1: [(0, 240), (300, 600)]}, length=30)
    by_minute = {i * 15: s for i, s in enumerate(result.slots)}
    assert by_minute[210].free_doctors == 1
    assert by_minute[225].free_doctors == 0
    assert by_minute[225].unavailable is Unavailable.NOBODY_ROSTERED
    assert by_minute[300].free_doctors == 1


def test_slots_too_close_to_closing_say_so() -> None:
    result = _day({1: [(0, 600)]}, length=60)
    assert result.slots[-4].free_doctors == 1
    assert result.slots[-3].unavailable is Unavailable.TOO_CLOSE_TO_CLOSING


def test_past_and_beyond_horizon_slots_are_unavailable() -> None:
    window = BookingWindow(_at(120), _at(480))
    result = _day({1: [(0, 600)]}, window=window, length=15)
    assert result.slots[7].unavailable is Unavailable.PAST and result.slots[7].free_doctors == 0
    assert result.slots[8].free_doctors == 1
    assert result.slots[32].unavailable is Unavailable.BEYOND_HORIZON


def test_a_closed_day_has_no_slots() -> None:
    result = day_availability(ClinicDay.closed(DAY), Roster({1: [(0, 10)]}), {}, 15, 15, ALWAYS)
    assert not result.open and result.slots == ()


blocks = st.lists(st.tuples(st.integers(0, 39), st.integers(1, 40)), min_size=1, max_size=3)
appointments = st.lists(st.tuples(st.integers(0, 39), st.integers(1, 8)), max_size=8)


def _non_overlapping(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Appointments (start slot, length in slots) with overlapping ones dropped."""
    kept: list[tuple[int, int]] = []
    for start, length in pairs:
        end = start + length
        if all(end <= s or e <= start for s, e in kept):
            kept.append((start, end))
    return sorted(kept)


@settings(max_examples=150, deadline=None)
@given(
    roster=st.dictionaries(st.integers(1, 4), blocks, min_size=1, max_size=4),
    busy=st.dictionaries(st.integers(1, 4), appointments, max_size=4),
    length_slots=st.integers(1, 4),
)
def test_the_sweep_agrees_with_checking_every_doctor_at_every_slot(
    roster, busy, length_slots
) -> None:
    roster_m = {d: [(a * 15, max(a + 1, b) * 15) for a, b in pairs] for d, pairs in roster.items()}
    busy_m = {
        d: [(s * 15, e * 15) for s, e in _non_overlapping(pairs)] for d, pairs in busy.items()
    }
    length = length_slots * 15
    result = _day(roster_m, busy_m, length=length)
    blocks_s = {d: sorted((_at(a), _at(b)) for a, b in pairs) for d, pairs in roster_m.items()}
    busy_s = {d: [(_at(a), _at(b)) for a, b in pairs] for d, pairs in busy_m.items()}
    for slot in result.slots:
        if slot.start + length * M > epoch(CLOSES):
            assert slot.free_doctors == 0
            continue
        expected = free_doctors(
            Roster(blocks_s), busy_s, TimeRange(slot.start, slot.start + length * M)
        )
        assert slot.free_doctors == len(expected)


_week_blocks = st.lists(
    st.tuples(st.integers(-3 * 24 * 60, 10 * 24 * 60), st.integers(15, 14 * 60)),
    max_size=8,
).map(lambda pairs: [(_at(a), _at(a + n)) for a, n in pairs])


@settings(max_examples=150, deadline=None)
@given(
    roster=st.dictionaries(st.integers(1, 4), _week_blocks, max_size=4),
    busy=st.dictionaries(st.integers(1, 5), _week_blocks, max_size=5),
    closed=st.sets(st.integers(0, 6), max_size=3),
    length=st.sampled_from([15, 30, 45, 60]),
    earliest=st.integers(-60, 4 * 24 * 60),
)
def test_the_week_sweep_gives_each_day_what_the_day_sweep_gives(
    roster, busy, closed, length, earliest
) -> None:
    days = [
        ClinicDay.closed(DAY + timedelta(days=i))
        if i in closed
        else ClinicDay(
            DAY + timedelta(days=i), OPENS + timedelta(days=i), CLOSES + timedelta(days=i)
        )
        for i in range(7)
    ]
    busy_sorted = {d: sorted(pairs) for d, pairs in busy.items()}
    window = BookingWindow(_at(earliest), _at(6 * 24 * 60))
    plan = Roster(roster)
    week = week_availability(days, plan, busy_sorted, length, 15, window)
    assert week == [day_availability(d, plan, busy_sorted, length, 15, window) for d in days]
