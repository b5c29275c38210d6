"""Booked versus rostered hours per doctor for one week (the manager's chart)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from montu_desktop.domain.model import Roster, RosterBlock, busy_by_doctor, week_start
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class DoctorWeek:
    doctor_id: int
    name: str
    rostered_minutes: int
    booked_minutes: int

    @property
    def share(self) -> float:
        return self.booked_minutes / self.rostered_minutes if self.rostered_minutes else 0.0


def rostered_minutes(blocks: Iterable[RosterBlock]) -> dict[int, int]:
    """Minutes each doctor is rostered in `blocks` (repo.roster_blocks of some clinic-local
    days: the generated schedules of bookable doctors, leave cut out, extra sessions in).

    Blocks that overlap or touch count once. The week chart and the attendance report
    (services/reports.py) both count rostered time here.
    """
    roster = Roster.from_blocks(blocks)
    return {d: sum(e - s for s, e in pairs) // 60 for d, pairs in roster.blocks.items()}


def week_utilisation(ctx: ServiceContext, day: date) -> list[DoctorWeek]:
    """For each bookable doctor: minutes rostered in the week holding `day`, and minutes booked."""
    monday = week_start(day)
    sunday = monday + timedelta(days=6)
    with UnitOfWork(ctx) as uow:
        session = uow.session
        blocks = repo.roster_blocks(session, monday, sunday)
        rostered = rostered_minutes(blocks)
        doctors = repo.doctors(session)
        if blocks:
            start = min(b.start for b in blocks)
            end = max(b.end for b in blocks)
            busy = busy_by_doctor(repo.busy_times(session, start, end))
        else:
            busy = {}
    result = []
    for doctor in doctors:
        if not doctor.bookable:
            continue
        booked = sum(e - s for s, e in busy.get(doctor.id, [])) // 60
        result.append(DoctorWeek(doctor.id, doctor.name, rostered.get(doctor.id, 0), booked))
    return result
