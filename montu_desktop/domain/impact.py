"""Which future bookings a settings change would strand, and a fair doctor to move each to."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from montu_desktop.domain.booking import Candidate, choose_doctor
from montu_desktop.domain.errors import SlotTaken
from montu_desktop.domain.model import Roster


@dataclass(frozen=True, slots=True)
class Booking:
    """A live future appointment as the change would leave it (epoch seconds)."""

    id: int
    doctor_id: int
    start: int
    end: int
    type_id: int = 0


@dataclass(frozen=True, slots=True)
class Stranded:
    """A booking its doctor could no longer see, with a free doctor to offer (None: nobody)."""

    booking: Booking
    offer: int | None


def find_stranded(
    bookings: Iterable[Booking],
    roster: Roster,
    rng: random.Random,
    bookable: set[int] | None = None,
    skipped: Mapping[int, Collection[int]] | None = None,
) -> list[Stranded]:
    """Bookings not covered by their doctor's new roster or clashing with an earlier one.

    Each stranded booking is offered the least-loaded doctor who is rostered and free for
    its whole length (ties at random); offers made earlier count as taken time for later ones.
    `skipped` (doctor → type ids) strands bookings of a type their doctor no longer performs,
    and such doctors are never offered a booking of that type.
    """
    skips = skipped or {}
    ordered = sorted(bookings, key=lambda b: (b.start, b.id))
    taken: dict[int, list[tuple[int, int]]] = {}
    stranded: list[Booking] = []
    for booking in ordered:
        mine = taken.setdefault(booking.doctor_id, [])
        allowed = bookable is None or booking.doctor_id in bookable
        covered = roster.covers(booking.doctor_id, booking.start, booking.end)
        clash = any(s < booking.end and booking.start < e for s, e in mine)
        performs = booking.type_id not in skips.get(booking.doctor_id, ())
        if allowed and covered and not clash and performs:
            mine.append((booking.start, booking.end))
        else:
            stranded.append(booking)
    result = []
    for booking in stranded:
        offer = _offer(booking, roster, taken, rng, bookable, skips)
        if offer is not None:
            taken.setdefault(offer, []).append((booking.start, booking.end))
        result.append(Stranded(booking, offer))
    return result


def _offer(
    booking: Booking,
    roster: Roster,
    taken: Mapping[int, list[tuple[int, int]]],
    rng: random.Random,
    bookable: set[int] | None,
    skips: Mapping[int, Collection[int]],
) -> int | None:
    free = [
        d
        for d in roster.doctors()
        if d != booking.doctor_id
        and (bookable is None or d in bookable)
        and booking.type_id not in skips.get(d, ())
        and roster.covers(d, booking.start, booking.end)
        and not any(s < booking.end and booking.start < e for s, e in taken.get(d, ()))
    ]
    day = (booking.start - 12 * 3600, booking.start + 12 * 3600)
    candidates = [
        Candidate(
            d,
            sum(e - s for s, e in taken.get(d, ()) if s < day[1] and e > day[0]) // 60,
            sum(
                min(e, day[1]) - max(s, day[0])
                for s, e in roster.blocks[d]
                if s < day[1] and e > day[0]
            )
            // 60,
        )
        for d in free
    ]
    try:
        return choose_doctor(candidates, rng).doctor_id
    except SlotTaken:
        return None
