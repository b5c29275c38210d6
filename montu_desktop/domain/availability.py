"""Which slot starts of a week can take an appointment of a given length, and why not.

The sweep works per doctor: subtract the doctor's appointments from their roster
blocks, mark the slot starts where the whole length fits in what is left (a difference
array per day), then add up. It never asks a database anything.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import NamedTuple

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.model import ClinicDay, ClinicPolicy, Roster, epoch, from_epoch


class Unavailable(enum.StrEnum):
    """Why nobody can be booked at a slot, in words the front desk uses."""

    PAST = "already past or inside the minimum notice"
    BEYOND_HORIZON = "beyond the booking horizon"
    TOO_CLOSE_TO_CLOSING = "too close to closing for this length"
    NOBODY_ROSTERED = "no doctor rostered for the whole length"
    ALL_BUSY = "every rostered doctor is busy"
    HELD = "held for urgent patients"


class Slot(NamedTuple):
    """One slot start: how many doctors are rostered and free there for the whole length.

    A named tuple rather than a frozen dataclass: a week has hundreds of slots, and a
    frozen dataclass took a tenth of the week grid's request just to build them."""

    start: int
    free_doctors: int
    rostered_doctors: int
    unavailable: Unavailable | None
    held_doctors: int = 0
    """Doctors who would be free here but whose time is held for urgent patients (the
    week grid marks such a slot even while other doctors are free)."""

    @property
    def starts_at(self) -> datetime:
        return from_epoch(self.start)

    @property
    def available(self) -> bool:
        return self.free_doctors > 0


@dataclass(frozen=True, slots=True)
class DayAvailability:
    """One day's slots; a closed day has none."""

    day: date
    open: bool
    slots: tuple[Slot, ...]


@dataclass(frozen=True, slots=True)
class BookingWindow:
    """The instants between which bookings may start (now plus notice, up to the horizon)."""

    earliest: int
    latest: int

    @classmethod
    def at(cls, now: datetime, policy: ClinicPolicy) -> BookingWindow:
        """From now plus the minimum notice up to local midnight at the end of the horizon."""
        today = to_local(now, policy.timezone).date()
        horizon_end = local_instant(
            today + timedelta(weeks=policy.horizon_weeks), time(0), policy.timezone
        )
        return cls(epoch(now) + policy.min_notice_minutes * 60, epoch(horizon_end))


def day_slot_starts(day: ClinicDay, slot_seconds: int) -> list[int]:
    """Every slot start of an open day, from opening up to (not including) closing."""
    if not day.is_open:
        return []
    assert day.opens is not None and day.closes is not None
    opens, closes = int(day.opens.timestamp()), int(day.closes.timestamp())
    return list(range(opens, closes, slot_seconds))


def free_runs(
    blocks: Sequence[tuple[int, int]], busy: Sequence[tuple[int, int]], shortest: int = 1
) -> list[tuple[int, int]]:
    """The parts of the roster blocks not covered by busy times (both sorted by start),
    leaving out parts shorter than `shortest` seconds (the week grid asks only for runs
    an appointment fits: most gaps between appointments are shorter)."""
    runs: list[tuple[int, int]] = []
    append = runs.append
    count = len(busy)
    first = 0
    for block_start, block_end in blocks:
        # Busy times ending before this block ended before the previous ones too.
        while first < count and busy[first][1] <= block_start:
            first += 1
        cursor = block_start
        for busy_start, busy_end in islice(busy, first, None):
            if busy_start >= block_end:
                break
            if busy_start - cursor >= shortest:
                append((cursor, busy_start))
            if busy_end > cursor:
                cursor = busy_end
        if block_end - cursor >= shortest:
            append((cursor, block_end))
    return runs


def _mark_starts(
    diff: list[int], runs: Sequence[tuple[int, int]], origin: int, step: int, length: int
) -> None:
    """Add one to every slot start (origin + k·step) where [start, start+length) fits a run."""
    last = len(diff) - 2
    for run_start, run_end in runs:
        first_k = max(0, -((origin - run_start) // step))  # ceil((run_start - origin) / step)
        last_k = min(last, (run_end - length - origin) // step)
        if first_k <= last_k:
            diff[first_k] += 1
            diff[last_k + 1] -= 1


def _counts(diff: list[int]) -> list[int]:
    counts, running = [], 0
    for delta in diff[:-1]:
        running += delta
        counts.append(running)
    return counts


def _blocks_within(
    blocks: Sequence[tuple[int, int]], start: int, end: int
) -> list[tuple[int, int]]:
    return [(s, e) for s, e in blocks if s < end and e > start]


def day_availability(
    day: ClinicDay,
    roster: Roster,
    busy: Mapping[int, Sequence[tuple[int, int]]],
    length_minutes: int,
    slot_minutes: int,
    window: BookingWindow,
) -> DayAvailability:
    """Free and rostered doctor counts at each slot start of one day."""
    step, length = slot_minutes * 60, length_minutes * 60
    starts = day_slot_starts(day, step)
    if not starts:
        return DayAvailability(day.day, False, ())
    origin, closes = starts[0], int(day.closes.timestamp())  # type: ignore[union-attr]
    free_diff = [0] * (len(starts) + 1)
    rostered_diff = [0] * (len(starts) + 1)
    for doctor_id, all_blocks in roster.blocks.items():
        blocks = _blocks_within(all_blocks, origin, closes)
        if not blocks:
            continue
        _mark_starts(rostered_diff, blocks, origin, step, length)
        _mark_starts(free_diff, free_runs(blocks, busy.get(doctor_id, ())), origin, step, length)
    slots = []
    for start, free, rostered in zip(
        starts, _counts(free_diff), _counts(rostered_diff), strict=True
    ):
        reason = _why_unavailable(start, start + length, closes, free, rostered, window)
        slots.append(Slot(start, 0 if reason else free, rostered, reason))
    return DayAvailability(day.day, True, tuple(slots))


def _why_unavailable(
    start: int, end: int, closes: int, free: int, rostered: int, window: BookingWindow
) -> Unavailable | None:
    if start < window.earliest:
        return Unavailable.PAST
    if start >= window.latest:
        return Unavailable.BEYOND_HORIZON
    if end > closes:
        return Unavailable.TOO_CLOSE_TO_CLOSING
    if rostered == 0:
        return Unavailable.NOBODY_ROSTERED
    if free == 0:
        return Unavailable.ALL_BUSY
    return None


def week_availability(
    days: Sequence[ClinicDay],
    roster: Roster,
    busy: Mapping[int, Sequence[tuple[int, int]]],
    length_minutes: int,
    slot_minutes: int,
    window: BookingWindow,
) -> list[DayAvailability]:
    """Availability of each of the given days (normally the seven days of one week).

    The same counts as `day_availability` day by day, but each doctor's free runs are worked
    out once for the whole week and then marked on the days they touch: the sweep's cost was
    per doctor-day (filtering the week's blocks and busy times again for every day)."""
    return WeekFrame.of(days, roster, length_minutes, slot_minutes).availability(busy, window)


@dataclass(frozen=True, slots=True)
class _OpenDay:
    """One open day's slot starts and, per start, how many rostered doctors fit the length."""

    index: int
    starts: tuple[int, ...]
    origin: int
    closes: int
    last: int
    rostered: tuple[int, ...]
    fixed: tuple[Unavailable | None, ...]
    """Per start, the reason no appointment can ever start there whatever is booked (too
    close to closing, nobody rostered), or None."""


@dataclass(frozen=True, slots=True)
class WeekFrame:
    """What a week's availability needs that appointments never change: the open days'
    slot starts and the roster-only counts for one length. It stays right until the
    roster, the hours or the type change, so a caller may keep it with its reference data
    and pay per request only for the appointments."""

    days: tuple[ClinicDay, ...]
    roster: Roster
    step: int
    length: int
    open_days: tuple[_OpenDay, ...]
    """The open days, sorted by opening."""

    @classmethod
    def of(
        cls, days: Sequence[ClinicDay], roster: Roster, length_minutes: int, slot_minutes: int
    ) -> WeekFrame:
        step, length = slot_minutes * 60, length_minutes * 60
        frames = []
        for index, day in enumerate(days):
            starts = day_slot_starts(day, step)
            if starts:
                frames.append(_DayFrame(index, starts, int(day.closes.timestamp())))  # type: ignore[union-attr]
        frames.sort(key=lambda f: f.origin)
        origins, closes = [f.origin for f in frames], [f.closes for f in frames]
        lasts, diffs = [f.last for f in frames], [f.rostered for f in frames]
        for blocks in roster.blocks.values():
            _mark_runs(origins, closes, lasts, diffs, blocks, step, length)
        open_days = []
        for f in frames:
            rostered = tuple(_counts(f.rostered))
            fixed = tuple(
                Unavailable.TOO_CLOSE_TO_CLOSING
                if start + length > f.closes
                else (Unavailable.NOBODY_ROSTERED if not count else None)
                for start, count in zip(f.starts, rostered, strict=True)
            )
            open_days.append(
                _OpenDay(f.index, tuple(f.starts), f.origin, f.closes, f.last, rostered, fixed)
            )
        return cls(tuple(days), roster, step, length, tuple(open_days))

    def availability(
        self, busy: Mapping[int, Sequence[tuple[int, int]]], window: BookingWindow
    ) -> list[DayAvailability]:
        """Free doctors at each slot start of the week given the doctors' busy times."""
        open_days = self.open_days
        origins = [d.origin for d in open_days]
        closes = [d.closes for d in open_days]
        lasts = [d.last for d in open_days]
        diffs = [[0] * (d.last + 2) for d in open_days]
        step, length = self.step, self.length
        for doctor_id, blocks in self.roster.blocks.items():
            taken = busy.get(doctor_id)
            runs = free_runs(blocks, taken, length) if taken else blocks
            _mark_runs(origins, closes, lasts, diffs, runs, step, length)
        earliest, latest = window.earliest, window.latest
        past, beyond, busy_all = (
            Unavailable.PAST,
            Unavailable.BEYOND_HORIZON,
            Unavailable.ALL_BUSY,
        )
        result = [DayAvailability(day.day, False, ()) for day in self.days]
        for open_day, diff in zip(open_days, diffs, strict=True):
            slots = []
            running = 0
            # The order of the reasons is _why_unavailable's.
            for start, delta, rostered, fixed in zip(
                open_day.starts, diff, open_day.rostered, open_day.fixed, strict=False
            ):
                running += delta
                if start < earliest:
                    slots.append(Slot(start, 0, rostered, past))
                elif start >= latest:
                    slots.append(Slot(start, 0, rostered, beyond))
                elif fixed is not None:
                    slots.append(Slot(start, 0, rostered, fixed))
                elif running:
                    slots.append(Slot(start, running, rostered, None))
                else:
                    slots.append(Slot(start, 0, rostered, busy_all))
            result[open_day.index] = DayAvailability(
                self.days[open_day.index].day, True, tuple(slots)
            )
        return result


class _DayFrame:
    """One open day's slot starts with its roster-only difference array (while building)."""

    __slots__ = ("closes", "index", "last", "origin", "rostered", "starts")

    def __init__(self, index: int, starts: list[int], closes: int) -> None:
        self.index = index
        self.starts = starts
        self.origin = starts[0]
        self.closes = closes
        self.last = len(starts) - 1
        self.rostered = [0] * (len(starts) + 1)


def _mark_runs(
    origins: Sequence[int],
    closes: Sequence[int],
    lasts: Sequence[int],
    diffs: Sequence[list[int]],
    runs: Sequence[tuple[int, int]],
    step: int,
    length: int,
) -> None:
    """Add one in each day's difference array at the slot starts where [start, start+length)
    fits one of the runs (the days sorted by opening; a run marks only the days it meets)."""
    count = len(origins)
    j = 0
    for run_start, run_end in runs:
        while j < count and closes[j] <= run_start:
            j += 1
        k = j
        while k < count:
            origin = origins[k]
            if origin >= run_end:
                break
            first_k = -((origin - run_start) // step)
            if first_k < 0:
                first_k = 0
            last_k = (run_end - length - origin) // step
            if last_k > lasts[k]:
                last_k = lasts[k]
            if first_k <= last_k:
                diff = diffs[k]
                diff[first_k] += 1
                diff[last_k + 1] -= 1
            k += 1


def mark_held(
    plain: Sequence[DayAvailability], held: Sequence[DayAvailability]
) -> list[DayAvailability]:
    """The availability with held time taken (`held`), where a slot free only because of
    held time says HELD (`plain` is the same week computed without the held time)."""
    marked = []
    for plain_day, held_day in zip(plain, held, strict=True):
        slots = tuple(
            _held_slot(p, h) for p, h in zip(plain_day.slots, held_day.slots, strict=True)
        )
        marked.append(DayAvailability(held_day.day, held_day.open, slots))
    return marked


def _held_slot(plain: Slot, held: Slot) -> Slot:
    """The slot with held time taken, counting the doctors held there."""
    if plain.free_doctors <= held.free_doctors:
        return held
    count = plain.free_doctors - held.free_doctors
    if held.free_doctors == 0:
        return Slot(held.start, 0, held.rostered_doctors, Unavailable.HELD, count)
    return held._replace(held_doctors=count)
