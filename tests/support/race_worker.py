"""One desk in a race: opens the database, says ready, waits for the go file, books one slot.

Exit 0 with the booking as JSON, 3 when refused (slot taken), 1 on anything else.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from montu_desktop.domain.errors import SlotTaken
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy, find_type


def main(url: str, type_name: str, start: str, patient: str, go_file: str) -> int:
    ctx = ServiceContext(Database(url))
    clinic_policy(ctx)
    find_type(ctx, type_name)
    ctx.database.ping()
    print("ready", flush=True)
    go = Path(go_file)
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.001)
    try:
        booked = book_appointment(
            ctx, BookingRequest(type_name, datetime.fromisoformat(start), int(patient))
        )
    except SlotTaken as exc:
        print(json.dumps({"refused": exc.reason}), flush=True)
        return 3
    print(json.dumps({"id": booked.id, "doctor_id": booked.doctor_id}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
