"""Another reception desk for the soak test: books (and now and then cancels) for a while.

Run as `python -m tests.support.soak_booker URL SECONDS`; prints one JSON line of counts.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import timedelta

from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.model import from_epoch
from montu_desktop.persistence.engine import Database
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_today


def main(url: str, seconds: float, pause: float = 0.25) -> dict[str, int]:
    database = Database(url)
    ctx = ServiceContext(database, rng=random.Random(11), actor="soak-desk")
    chance = random.Random(5)
    counts: dict[str, object] = {"booked": 0, "cancelled": 0, "refused": 0}
    mine: list[int] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            today = clinic_today(ctx)
            week = week_availability(ctx, "Standard", today + timedelta(days=chance.choice((0, 7))))
            free = [from_epoch(s.start) for d in week.days for s in d.slots if s.free_doctors > 0]
            try:
                if mine and (not free or chance.random() < 0.3):
                    cancel_appointment(ctx, mine.pop(chance.randrange(len(mine))))
                    counts["cancelled"] += 1
                elif free:
                    request = BookingRequest("Standard", chance.choice(free), chance.randint(1, 20))
                    mine.append(book_appointment(ctx, request).id)
                    counts["booked"] += 1
            except MontuError:
                counts["refused"] += 1
            time.sleep(pause * chance.uniform(0.5, 1.5))
    finally:
        database.dispose()
    counts["kept"] = mine  # booked here and not cancelled since
    return counts


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]))), flush=True)
