"""Geometry of the week grid and the day book, checked without Qt."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from montu_desktop.domain.availability import DayAvailability, Slot, Unavailable
from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.ui.layout import CellKind, day_rows, now_position, place_blocks, week_grid

ZONE = "Australia/Melbourne"
MONDAY = date(2026, 11, 23)


def _slot(day: date, hh: int, mm: int, free: int, reason: Unavailable | None = None) -> Slot:
    start = int(local_instant(day, time(hh, mm), ZONE).timestamp())
    return Slot(start, free, max(free, 1), reason)


def test_week_grid_rows_span_every_open_time_and_mark_closed_cells() -> None:
    tuesday, saturday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=5)
    days = [
        DayAvailability(
            MONDAY, True, (_slot(MONDAY, 8, 0, 2), _slot(MONDAY, 8, 15, 0, Unavailable.ALL_BUSY))
        ),
        DayAvailability(tuesday, True, (_slot(tuesday, 8, 0, 0, Unavailable.PAST),)),
        *[DayAvailability(MONDAY + timedelta(days=i), False, ()) for i in (2, 3, 4)],
        DayAvailability(saturday, True, (_slot(saturday, 8, 30, 1),)),
        DayAvailability(MONDAY + timedelta(days=6), False, ()),
    ]
    grid = week_grid(days, ZONE, 15)

    assert grid.times == (time(8, 0), time(8, 15), time(8, 30))
    assert grid.days[0] == MONDAY and len(grid.days) == 7
    assert grid.cell(0, 0).kind is CellKind.AVAILABLE and grid.cell(0, 0).free == 2
    busy = grid.cell(1, 0)
    assert busy.kind is CellKind.UNAVAILABLE and busy.reason == "every rostered doctor is busy"
    assert grid.cell(0, 1).kind is CellKind.PAST
    assert grid.cell(1, 1).kind is CellKind.CLOSED  # Tuesday has no 08:15 slot
    assert grid.cell(0, 2).kind is CellKind.CLOSED  # Wednesday closed
    assert grid.cell(2, 5).kind is CellKind.AVAILABLE
    start = local_instant(saturday, time(8, 30), ZONE)
    assert grid.position_of(start) == (2, 5)


def test_week_grid_of_a_closed_week_is_empty() -> None:
    days = [DayAvailability(MONDAY + timedelta(days=i), False, ()) for i in range(7)]
    assert week_grid(days, ZONE, 15).times == ()


def test_day_rows_follow_local_time_across_daylight_saving() -> None:
    # 4 October 2026: Melbourne clocks jump from 02:00 to 03:00.
    day = date(2026, 10, 4)
    rows = day_rows(local_instant(day, time(8), ZONE), local_instant(day, time(10), ZONE), ZONE, 30)
    assert rows == [time(8), time(8, 30), time(9), time(9, 30)]


def test_blocks_start_at_their_row_span_their_length_and_share_lanes_when_overlapping() -> None:
    origin = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    at = lambda minutes: origin + timedelta(minutes=minutes)  # noqa: E731
    items = [
        (1, 10, at(0), at(30)),  # doctor 10, rows 0-1
        (2, 20, at(15), at(60)),  # doctor 20, rows 1-3
        (3, 20, at(45), at(75)),  # overlaps 2 -> second lane
        (4, 20, at(90), at(105)),  # alone again
        (5, 99, at(0), at(15)),  # doctor not shown
        (6, 10, at(-15), at(15)),  # starts before opening: cut to row 0
    ]
    blocks = {b.key: b for b in place_blocks(items, [10, 20], origin, 15, row_count=8)}

    assert set(blocks) == {1, 2, 3, 4, 6}
    assert (blocks[1].column, blocks[1].first_row, blocks[1].rows) == (0, 0, 2)
    assert (blocks[2].column, blocks[2].first_row, blocks[2].rows) == (1, 1, 3)
    assert (blocks[2].lane, blocks[3].lane, blocks[3].lanes) == (0, 1, 2)
    assert (blocks[4].first_row, blocks[4].lane, blocks[4].lanes) == (6, 0, 1)
    assert (blocks[6].first_row, blocks[6].rows) == (0, 1)
    assert blocks[2].covers(3) and not blocks[2].covers(4)


def test_times_with_no_slot_that_have_gone_by_read_as_past_not_closed() -> None:
    """Days before the clinic existed (no schedule at all) are past once now is after them."""
    tuesday = MONDAY + timedelta(days=1)
    days = [
        DayAvailability(MONDAY, False, ()),
        DayAvailability(tuesday, True, (_slot(tuesday, 8, 0, 2),)),
        *[DayAvailability(MONDAY + timedelta(days=i), False, ()) for i in range(2, 7)],
    ]
    now = local_instant(tuesday, time(7, 0), ZONE)
    grid = week_grid(days, ZONE, 15, now)
    assert grid.cell(0, 0).kind is CellKind.PAST
    assert grid.cell(0, 1).kind is CellKind.AVAILABLE
    assert grid.cell(0, 2).kind is CellKind.CLOSED
    assert week_grid(days, ZONE, 15).cell(0, 0).kind is CellKind.CLOSED


def test_now_position_finds_the_row_and_how_far_down() -> None:
    times = [time(8, 0), time(8, 15), time(8, 30)]
    assert now_position(times, time(8, 20), 15) == (1, 5 / 15)
    assert now_position(times, time(8, 0), 15) == (0, 0.0)
    assert now_position(times, time(7, 59), 15) is None
    assert now_position(times, time(8, 45), 15) is None
