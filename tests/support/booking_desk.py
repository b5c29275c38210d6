"""One busy desk: books slot after slot of the coming weeks until the stop file appears
(cancelling its own bookings and booking again whenever every slot is taken).

Arguments: database URL, comma-separated patient ids, first day (ISO), stop file, seed.
Prints "ready" once open, then the number of bookings made when it stops.
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import at


def main(url: str, patients: str, first_day: str, stop_file: str, seed: str) -> int:
    ctx = ServiceContext(Database(url), rng=random.Random(int(seed)))
    ctx.database.ping()
    print("ready", flush=True)
    stop = Path(stop_file)
    who = [int(p) for p in patients.split(",")]
    day0 = date.fromisoformat(first_day)
    slots = [
        at(day0 + timedelta(days=d), hour, minute)
        for d in range(21)
        for hour in (9, 10, 11)
        for minute in (0, 15, 30, 45)
    ]
    chance = random.Random(int(seed))
    booked = 0
    mine: list[int] = []
    # Round after round until told to stop: when a round books nothing (every slot is taken,
    # closed or past: on a holiday week that comes within a second), this desk cancels its
    # own bookings and books again, so it is still writing whenever a backup is taken.
    while not stop.exists():
        chance.shuffle(slots)
        made = 0
        for n, start in enumerate(slots):
            if stop.exists():
                break
            try:
                done = book_appointment(ctx, BookingRequest("Standard", start, who[n % len(who)]))
            except InvalidRequest:  # taken, no schedule (Sunday), patient busy: the next one
                continue
            mine.append(done.id)
            booked += 1
            made += 1
        if made == 0:
            for appointment_id in mine:
                cancel_appointment(ctx, appointment_id)
            mine.clear()
    print(booked, flush=True)
    ctx.database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
