"""The booking rules: when a start time is bookable, who is free, and a fair choice of doctor."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.model import AppointmentType, ClinicDay, Roster, epoch
from montu_desktop.domain.wording import day_label


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open range [start, end) in epoch seconds."""

    start: int
    end: int

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


def check_bookable_time(
    day: ClinicDay,
    start: int,
    appointment_type: AppointmentType,
    slot_minutes: int,
    window: BookingWindow,
) -> TimeRange:
    """The range an appointment of this type starting at `start` would take, if the clinic allows it."""
    if not appointment_type.active:
        raise InvalidRequest("type", f"{appointment_type.name!r} is no longer offered")
    if not day.is_open:
        raise InvalidRequest("start", f"the clinic is closed on {day_label(day.day, year=True)}")
    assert day.opens is not None and day.closes is not None
    opens, closes = epoch(day.opens), epoch(day.closes)
    end = start + appointment_type.length_minutes * 60
    if start < opens or start >= closes:
        raise InvalidRequest("start", "is outside the clinic's opening hours")
    if (start - opens) % (slot_minutes * 60):
        raise InvalidRequest("start", f"must fall on a {slot_minutes}-minute slot boundary")
    if end > closes:
        raise InvalidRequest("start", "is too close to closing for an appointment of this length")
    check_in_window(start, window)
    return TimeRange(start, end)


def check_in_window(start: int, window: BookingWindow) -> None:
    """Refuse a start in the past (or inside the minimum notice) or beyond the horizon: also
    said for a day with no clinic schedule, whose missing hours are not the reason then."""
    if start < window.earliest:
        raise InvalidRequest("start", "is in the past or inside the clinic's minimum notice")
    if start >= window.latest:
        raise InvalidRequest("start", "is beyond the clinic's booking horizon")


def rostered_doctors(roster: Roster, wanted: TimeRange) -> list[int]:
    """Doctors whose roster holds the whole range."""
    return [d for d in roster.doctors() if roster.covers(d, wanted.start, wanted.end)]


def free_doctors(
    roster: Roster, busy: Mapping[int, Sequence[tuple[int, int]]], wanted: TimeRange
) -> list[int]:
    """Doctors rostered for the whole range with no live appointment overlapping it."""
    return [
        d
        for d in rostered_doctors(roster, wanted)
        if not any(wanted.overlaps(s, e) for s, e in busy.get(d, ()))
    ]


def booked_minutes(busy: Mapping[int, Sequence[tuple[int, int]]]) -> dict[int, int]:
    """Minutes of live appointments per doctor (the load a fair choice balances)."""
    return {doctor: sum(e - s for s, e in pairs) // 60 for doctor, pairs in busy.items()}


def rostered_minutes(roster: Roster) -> dict[int, int]:
    """Minutes each doctor of the roster works in it (pass one day's roster for a day's)."""
    return {d: sum(e - s for s, e in blocks) // 60 for d, blocks in roster.blocks.items()}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A doctor free for the whole length, with that day's booked and rostered minutes."""

    doctor_id: int
    booked_minutes: int
    rostered_minutes: int

    @property
    def load(self) -> Fraction:
        """Share of the day's rostered time already booked (exact, so ties are real ties)."""
        return Fraction(self.booked_minutes, max(self.rostered_minutes, 1))


def hours_text(minutes: int) -> str:
    """'2 h', '2 h 30 min' or '45 min': how the desk says a length of time."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


@dataclass(frozen=True, slots=True)
class DoctorChoice:
    """The doctor chosen and the free doctors the choice was made among."""

    doctor_id: int
    candidates: tuple[Candidate, ...]
    requested: bool = False

    @property
    def chosen(self) -> Candidate:
        return next(c for c in self.candidates if c.doctor_id == self.doctor_id)

    def why(self, doctor_name: str) -> str:
        """E.g. 'Dr Chen: 2 h of 7 h booked, the least of 3 free'."""
        me = self.chosen
        load = f"{hours_text(me.booked_minutes)} of {hours_text(me.rostered_minutes)} booked"
        if self.requested:
            return f"{doctor_name}: asked for ({load})"
        if len(self.candidates) == 1:
            return f"{doctor_name}: {load}, the only one free"
        tied = sum(1 for c in self.candidates if c.load == me.load)
        if tied > 1:
            return (
                f"{doctor_name}: {load}, the least of {len(self.candidates)} free"
                f" (tied with {tied - 1} other{'s' if tied > 2 else ''}, picked at random)"
            )
        return f"{doctor_name}: {load}, the least of {len(self.candidates)} free"

    def summary(self, names: Mapping[int, str]) -> str:
        """Before booking: 'Any doctor: the least booked of 3 free (Dr Chen 2 h of 7 h, …)'."""
        ordered = sorted(self.candidates, key=lambda c: (c.load, names.get(c.doctor_id, "")))
        loads = ", ".join(
            f"{names.get(c.doctor_id, f'doctor {c.doctor_id}')} "
            f"{hours_text(c.booked_minutes)} of {hours_text(c.rostered_minutes)}"
            for c in ordered
        )
        return f"Any doctor: the least booked of {len(self.candidates)} free ({loads})"


def choose_doctor(candidates: Iterable[Candidate], rng: random.Random) -> Candidate:
    """The candidate with the least load (booked ÷ rostered minutes that day), ties broken at
    random (never by name or id order)."""
    pool = list(candidates)
    if not pool:
        raise pick_refusal("none_free")
    # A float finds the least (ratios of whole minutes in a day differ by far more than
    # float error); ties are then found exactly by cross-multiplying, without Fractions.
    best = min(pool, key=lambda c: c.booked_minutes / max(c.rostered_minutes, 1))
    b_booked, b_rostered = best.booked_minutes, max(best.rostered_minutes, 1)
    return rng.choice(
        [c for c in pool if c.booked_minutes * b_rostered == b_booked * max(c.rostered_minutes, 1)]
    )


def pick_doctor(
    roster: Roster,
    wanted: TimeRange,
    rng: random.Random,
    *,
    taken: Collection[int],
    booked: Mapping[int, int],
    rostered: Mapping[int, int] | None = None,
    skipped: Collection[int] = (),
    held: Collection[int] = (),
    requested: int | None = None,
) -> DoctorChoice:
    """The doctor to book: the one asked for if free, else the fair choice among the free.

    `roster` holds (at least) the blocks touching the range; `taken` are the doctors whose
    time in it is already taken (an appointment, or time held for urgent patients);
    `booked` and `rostered` are each doctor's minutes that day (`rostered` defaults to the
    roster's own); `skipped` are the doctors who do not perform this type; `held` those
    whose time in the range is held for urgent patients (empty for an urgent booking).
    """
    day_minutes = rostered_minutes(roster) if rostered is None else rostered
    if requested is not None and requested in skipped:
        raise pick_refusal("skipped")
    free = [
        d
        for d in rostered_doctors(roster, wanted)
        if d not in taken and d not in skipped and d not in held
    ]
    candidates = tuple(Candidate(d, booked.get(d, 0), day_minutes.get(d, 0)) for d in free)
    if requested is None:
        return DoctorChoice(choose_doctor(candidates, rng).doctor_id, candidates)
    if requested in free:
        return DoctorChoice(
            requested, tuple(c for c in candidates if c.doctor_id == requested), requested=True
        )
    if requested not in rostered_doctors(roster, wanted):
        raise pick_refusal("not_rostered")
    if requested in held and requested not in taken:
        raise pick_refusal("held")
    raise pick_refusal("doctor_taken")


def pick_refusal(code: str) -> InvalidRequest:
    """Why no doctor can be picked, by code (the same words wherever the choice is made:
    here, or in the database's booking function on PostgreSQL)."""
    if code == "skipped":
        return InvalidRequest("doctor", "does not perform this type of appointment")
    if code == "none_free":
        return SlotTaken("no doctor is free for the whole length at that time")
    if code == "not_rostered":
        return InvalidRequest("doctor", "is not rostered for the whole length at that time")
    if code == "held":
        return InvalidRequest("start", "is held for urgent patients (book it as urgent)")
    if code == "doctor_taken":
        return SlotTaken("the requested doctor is already booked at that time")
    raise ValueError(f"no such refusal: {code}")


WORK_IN_REASON_MAX = 200


def work_in_doctors(
    roster: Roster, busy: Mapping[int, Sequence[tuple[int, int]]], wanted: TimeRange
) -> list[int]:
    """Doctors a patient could be squeezed in with: rostered for the whole range and
    already booked in it (a free doctor is booked the ordinary way)."""
    return [
        d
        for d in rostered_doctors(roster, wanted)
        if any(wanted.overlaps(s, e) for s, e in busy.get(d, ()))
    ]


def clean_work_in_reason(reason: str | None) -> str:
    """A work-in always says why (up to 200 characters, one line)."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidRequest("reason", "a work-in needs a reason (why squeeze this patient in)")
    if len(text) > WORK_IN_REASON_MAX:
        raise InvalidRequest(
            "reason", f"is {len(text)} characters; a work-in's reason may have {WORK_IN_REASON_MAX}"
        )
    return text


def work_in_choice(
    roster: Roster,
    wanted: TimeRange,
    *,
    doctor: int,
    taken: Collection[int],
    booked: Mapping[int, int],
    rostered: Mapping[int, int] | None = None,
    skipped: Collection[int] = (),
) -> DoctorChoice:
    """The doctor a work-in squeezes the patient in with: always the one asked for, who must
    do the type and be rostered for the whole length, and must already be booked then (a free
    doctor is booked the ordinary way: a work-in is never made where it is not needed)."""
    if doctor in skipped:
        raise pick_refusal("skipped")
    if doctor not in rostered_doctors(roster, wanted):
        raise pick_refusal("not_rostered")
    if doctor not in taken:
        raise InvalidRequest(
            "work_in", "the doctor is free at that time: book it as an ordinary appointment"
        )
    day_minutes = rostered_minutes(roster) if rostered is None else rostered
    me = Candidate(doctor, booked.get(doctor, 0), day_minutes.get(doctor, 0))
    return DoctorChoice(doctor, (me,), requested=True)
