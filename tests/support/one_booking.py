"""One desk in another process: opens the database, says ready, waits for the go file, books.

Arguments: database URL, type, start (ISO), patient id, doctor id, go file. Prints one JSON
line: {"id": …} when booked or {"refused": "field: reason"}, with the seconds the booking
call took (process start-up excluded).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy, find_type


def main(url: str, type_name: str, start: str, patient: str, doctor: str, go_file: str) -> int:
    ctx = ServiceContext(Database(url))
    clinic_policy(ctx)
    find_type(ctx, type_name)
    print("ready", flush=True)
    go = Path(go_file)
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.005)
    began = time.monotonic()
    request = BookingRequest(type_name, datetime.fromisoformat(start), int(patient), int(doctor))
    try:
        booked = book_appointment(ctx, request)
    except InvalidRequest as exc:
        outcome: dict[str, object] = {"refused": f"{exc.field}: {exc.reason}"}
    else:
        outcome = {"id": booked.id}
    outcome["seconds"] = round(time.monotonic() - began, 3)
    print(json.dumps(outcome, ensure_ascii=False), flush=True)
    ctx.database.dispose()
    return 0 if "id" in outcome else 3


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
