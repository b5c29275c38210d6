"""A week's availability as plain JSON data: one shape for `availability --json` and the HTTP API."""

from __future__ import annotations

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.availability import WeekAvailability

# Short reasons, in the words the week grid's legend uses.
REASONS = {
    Unavailable.ALL_BUSY: "booked out",
    Unavailable.NOBODY_ROSTERED: "no doctor rostered",
    Unavailable.TOO_CLOSE_TO_CLOSING: "too late for this length",
    Unavailable.PAST: "past",
    Unavailable.HELD: "held",
    Unavailable.BEYOND_HORIZON: "beyond the horizon",
}


def week_document(week: WeekAvailability) -> dict[str, object]:
    """Days (a closed one with its reason, e.g. the holiday's name) with their slots:
    clinic-local ISO-8601 starts, free doctors and, where none is free, the reason."""
    zone = week.timezone

    def slot(s) -> dict[str, object]:  # type: ignore[no-untyped-def]
        entry: dict[str, object] = {
            "start": to_local(s.starts_at, zone).isoformat(),
            "free_doctors": s.free_doctors,
        }
        if s.unavailable is not None:
            entry["reason"] = REASONS[s.unavailable]
        return entry

    return {
        "appointment_type": week.appointment_type.name,
        "timezone": zone,
        "slot_minutes": week.slot_minutes,
        "days": [
            {
                "date": day.day.isoformat(),
                "open": day.open,
                **(
                    {}
                    if day.open
                    else {"closed_reason": week.closed_reasons.get(day.day, "closed")}
                ),
                "slots": [slot(s) for s in day.slots],
            }
            for day in week.days
        ],
    }
