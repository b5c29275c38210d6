"""Held time is counted per slot: a slot where some doctors are held but others are free
says how many are held (the week grid marks it), one where all free doctors are held says HELD."""

from __future__ import annotations

from datetime import date

from montu_desktop.domain.availability import DayAvailability, Slot, Unavailable, mark_held

DAY = date(2026, 11, 30)


def _day(*slots: Slot) -> DayAvailability:
    return DayAvailability(DAY, True, slots)


def test_held_doctors_are_counted_where_others_stay_free() -> None:
    plain = _day(
        Slot(0, 3, 3, None),
        Slot(900, 1, 3, None),
        Slot(1800, 2, 3, None),
        Slot(2700, 0, 3, Unavailable.ALL_BUSY),
        Slot(3600, 0, 3, Unavailable.BEYOND_HORIZON),
    )
    with_holds = _day(
        Slot(0, 2, 3, None),
        Slot(900, 0, 3, Unavailable.ALL_BUSY),
        Slot(1800, 2, 3, None),
        Slot(2700, 0, 3, Unavailable.ALL_BUSY),
        Slot(3600, 0, 3, Unavailable.BEYOND_HORIZON),
    )
    (marked,) = mark_held([plain], [with_holds])
    assert marked.slots == (
        Slot(0, 2, 3, None, held_doctors=1),  # two free, one more held
        Slot(900, 0, 3, Unavailable.HELD, held_doctors=1),  # free only through held time
        Slot(1800, 2, 3, None),  # nobody held here
        Slot(2700, 0, 3, Unavailable.ALL_BUSY),
        Slot(3600, 0, 3, Unavailable.BEYOND_HORIZON),
    )
    assert marked.slots[2].held_doctors == 0 and marked.slots[0].available
