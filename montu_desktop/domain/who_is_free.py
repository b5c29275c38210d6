"""Who is free at a time for a type: one value holding what decides it, one rule reading it.

What decides it: the open days, the roster of the doctors who perform the type (the others
are named, so that asking for one of them is refused as such), the doctors' live
appointments (less the one being moved), the time held for urgent patients and not yet
released (none for an urgent booking), and the patient's own other appointments (a move or
a booking refuses a time the patient is already booked). Booking, the booking dialog's
preview, Reschedule's options (`free_times`) and the waitlist's fit all ask `free_at` or
`choose`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.booking import (
    DoctorChoice,
    TimeRange,
    check_bookable_time,
    free_doctors,
    pick_doctor,
    work_in_doctors,
)
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.holds import doctors_held, with_held
from montu_desktop.domain.model import AppointmentType, ClinicDay, Roster, epoch

Pairs = Sequence[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class WhoIsFree:
    """Everything that decides who can take a type's time over some days (epoch seconds)."""

    days: Mapping[date, ClinicDay]
    roster: Roster
    """The blocks of the bookable doctors who perform the type."""
    skipped: frozenset[int]
    """Rostered doctors who do not perform the type."""
    busy: Mapping[int, Pairs]
    """Each doctor's live appointments, sorted (the one being moved left out)."""
    held: Mapping[int, Pairs] = field(default_factory=dict)
    """Each doctor's time held for urgent patients and not yet released."""
    patient_busy: Pairs = ()
    """The patient's own other live appointments."""
    taken: Mapping[int, Pairs] = field(default_factory=dict)
    """Appointments and held time together (made by `of`)."""

    @classmethod
    def of(
        cls,
        days: Mapping[date, ClinicDay],
        roster: Roster,
        skipped: frozenset[int],
        busy: Mapping[int, Pairs],
        held: Mapping[int, Pairs],
        patient_busy: Pairs = (),
    ) -> WhoIsFree:
        return cls(days, roster, skipped, busy, held, tuple(patient_busy), with_held(busy, held))


def patient_free(who: WhoIsFree, wanted: TimeRange) -> bool:
    """The patient has no other live appointment overlapping the range."""
    return not any(wanted.overlaps(s, e) for s, e in who.patient_busy)


def free_at(who: WhoIsFree, wanted: TimeRange) -> list[int]:
    """Doctors who perform the type, rostered for the whole range, with no appointment and no
    held time in it; none when the patient is busy then (the booking would be refused)."""
    if not patient_free(who, wanted):
        return []
    return free_doctors(who.roster, who.taken, wanted)


def work_in_at(who: WhoIsFree, wanted: TimeRange) -> list[int]:
    """Doctors a work-in could squeeze the patient in with: doing the type, rostered for the
    whole range and already booked in it (held time alone is not a booking)."""
    return work_in_doctors(who.roster, who.busy, wanted)


def free_times(
    who: WhoIsFree, kind: AppointmentType, slot_minutes: int, window: BookingWindow
) -> list[tuple[TimeRange, list[int]]]:
    """Every start on the open days that booking's own check allows for the type (slot
    boundary, opening hours, notice, horizon), with the doctors free there, soonest first;
    a start nobody is free at is left out."""
    found = []
    for day in sorted(who.days.values(), key=lambda d: d.day):
        if day.opens is None or day.closes is None:
            continue
        for start in range(epoch(day.opens), epoch(day.closes), slot_minutes * 60):
            try:
                wanted = check_bookable_time(day, start, kind, slot_minutes, window)
            except InvalidRequest:
                continue
            free = free_at(who, wanted)
            if free:
                found.append((wanted, free))
    return found


def _day_of(who: WhoIsFree, wanted: TimeRange) -> ClinicDay | None:
    for day in who.days.values():
        opens, closes = day.opens, day.closes
        if (
            opens is not None
            and closes is not None
            and epoch(opens) <= wanted.start < epoch(closes)
        ):
            return day
    return None


def _booked_minutes(pairs: Pairs, opens: int, closes: int) -> int:
    """Minutes of the appointments that touch the opening hours (whole, as booking counts)."""
    return sum(e - s for s, e in pairs if s < closes and e > opens) // 60


def _rostered_minutes(blocks: Pairs, opens: int, closes: int) -> int:
    """Minutes of the blocks within the opening hours (as the cached day roster counts)."""
    return sum(min(e, closes) - max(s, opens) for s, e in blocks if s < closes and e > opens) // 60


def choose(
    who: WhoIsFree,
    wanted: TimeRange,
    rng: random.Random,
    *,
    requested: int | None = None,
    booked: Mapping[int, int] | None = None,
    rostered: Mapping[int, int] | None = None,
) -> DoctorChoice:
    """The doctor the booking takes (the one asked for if free, else the fair choice among the
    free by that day's booked ÷ rostered minutes), or the refusal booking gives: InvalidRequest
    (closed day, a doctor who does not perform the type or is not rostered, held time) or
    SlotTaken (nobody free, or the doctor asked for is booked).

    `booked` and `rostered` are that day's minutes per doctor when the reader already has
    them (a booking sums them in its one statement and reads only the blocks and
    appointments touching the range); by default they are counted from `who`."""
    day = _day_of(who, wanted)
    if day is None or day.opens is None or day.closes is None:
        raise InvalidRequest("start", "is outside the clinic's opening hours")
    opens, closes = epoch(day.opens), epoch(day.closes)
    taken = {d for d, pairs in who.busy.items() if any(wanted.overlaps(s, e) for s, e in pairs)}
    if booked is None:
        booked = {d: _booked_minutes(p, opens, closes) for d, p in who.busy.items()}
    if rostered is None:
        rostered = {d: _rostered_minutes(b, opens, closes) for d, b in who.roster.blocks.items()}
    return pick_doctor(
        who.roster,
        wanted,
        rng,
        taken=taken,
        booked=booked,
        rostered=rostered,
        skipped=who.skipped,
        held=doctors_held(who.held, wanted.start, wanted.end),
        requested=requested,
    )
