"""The attendance report: per doctor, per type and in total, what became of the appointments
of a range of clinic-local days, with the doctors' rostered time and how much of it was booked.

Every figure counts appointments whose start falls on a clinic-local day from `first` to
`last` (both included, in the clinic's time zone across daylight-saving changes), by their
status now; README.md ("Attendance report") defines each one for the clinic manager.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from montu_desktop.domain.clinic_time import local_day_bounds
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence.report_rows import AttendanceGroup, attendance_groups
from montu_desktop.services.admin.utilisation import rostered_minutes
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork

MAX_DAYS = 366
"""The longest range one report covers (a leap year)."""
NO_REASON = ""
"""The cancel_reasons key of cancellations recorded without a reason."""


@dataclass(slots=True)
class AttendanceCounts:
    """The figures of one doctor, one type or the whole clinic (README: "Attendance report")."""

    booked: int = 0
    completed: int = 0
    no_show: int = 0
    did_not_wait: int = 0
    """Arrived and left before being seen: counted apart from no-shows."""
    cancelled: int = 0
    cancel_reasons: Counter[str] = field(default_factory=Counter)
    online: int = 0
    desk: int = 0
    work_ins: int = 0
    """Squeezed in over a booked time: among `booked`, their minutes left out of
    `booked_minutes` (the time was already booked once)."""
    rostered_minutes: int | None = 0
    """None for a type: time is rostered to doctors, not to types."""
    booked_minutes: int = 0

    @property
    def utilisation(self) -> float | None:
        """Booked minutes over rostered minutes (None when nothing was rostered)."""
        if not self.rostered_minutes:
            return None
        return self.booked_minutes / self.rostered_minutes

    def add(self, group: AttendanceGroup) -> None:
        if group.status == AppointmentStatus.CANCELLED.value:
            self.cancelled += group.count
            self.cancel_reasons[group.cancel_reason or NO_REASON] += group.count
            return
        self.booked += group.count
        if group.work_in:
            self.work_ins += group.count
        else:
            self.booked_minutes += group.seconds // 60
        if group.status == AppointmentStatus.COMPLETED.value:
            self.completed += group.count
        elif group.status == AppointmentStatus.NO_SHOW.value:
            self.no_show += group.count
        elif group.status == AppointmentStatus.DID_NOT_WAIT.value:
            self.did_not_wait += group.count
        if group.online:
            self.online += group.count
        else:
            self.desk += group.count


@dataclass(frozen=True, slots=True)
class DoctorAttendance:
    doctor_id: int
    name: str
    counts: AttendanceCounts


@dataclass(frozen=True, slots=True)
class TypeAttendance:
    type_id: int
    name: str
    counts: AttendanceCounts


@dataclass(frozen=True, slots=True)
class AttendanceReport:
    first: date
    last: date
    timezone: str
    doctors: list[DoctorAttendance]
    types: list[TypeAttendance]
    totals: AttendanceCounts


def check_range(first: date, last: date) -> None:
    """Refuse a range that ends before it starts or is longer than MAX_DAYS."""
    if last < first:
        raise InvalidRequest("to", f"{last.isoformat()} is before --from {first.isoformat()}")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidRequest("to", f"the range is {days} days; at most {MAX_DAYS} in one report")


def attendance_report(ctx: ServiceContext, first: date, last: date) -> AttendanceReport:
    """The attendance figures of the clinic-local days first..last (both included).

    Three reads in one transaction: the appointments counted in groups by the database, the
    roster blocks of the range, and the doctors' and types' names.
    """
    check_range(first, last)
    zone = clinic_policy(ctx).timezone
    start = local_day_bounds(first, zone)[0]
    end = local_day_bounds(last, zone)[1]
    with UnitOfWork(ctx) as uow:
        session = uow.session
        groups = attendance_groups(session, start, end)
        rostered = rostered_minutes(repo.roster_blocks(session, first, last))
        doctors = repo.doctors(session, include_removed=True)
        kinds = repo.appointment_types(session)
    by_doctor: dict[int, AttendanceCounts] = {}
    by_type: dict[int, AttendanceCounts] = {}
    totals = AttendanceCounts()
    for group in groups:
        by_doctor.setdefault(group.doctor_id, AttendanceCounts()).add(group)
        by_type.setdefault(group.type_id, AttendanceCounts(rostered_minutes=None)).add(group)
        totals.add(group)
    for doctor_id, minutes in rostered.items():
        by_doctor.setdefault(doctor_id, AttendanceCounts()).rostered_minutes = minutes
    totals.rostered_minutes = sum(rostered.values())
    doctor_rows = [
        DoctorAttendance(d.id, d.name, by_doctor.get(d.id, AttendanceCounts()))
        for d in doctors
        if d.id in by_doctor or d.bookable
    ]
    type_rows = [
        TypeAttendance(k.id, k.name, by_type.get(k.id, AttendanceCounts(rostered_minutes=None)))
        for k in kinds
        if k.id in by_type or k.active
    ]
    return AttendanceReport(first, last, zone, doctor_rows, type_rows, totals)


COUNT_KEYS = (
    "booked",
    "completed",
    "no_show",
    "did_not_wait",
    "cancelled",
    "cancel_reasons",
    "online",
    "desk",
    "work_ins",
    "rostered_minutes",
    "booked_minutes",
    "utilisation",
)
"""The figures' names in the JSON and CSV (a contract: issue 27)."""


def counts_document(counts: AttendanceCounts) -> dict[str, object]:
    """One doctor's, type's or the clinic's figures under their COUNT_KEYS names."""
    utilisation = counts.utilisation
    return {
        "booked": counts.booked,
        "completed": counts.completed,
        "no_show": counts.no_show,
        "did_not_wait": counts.did_not_wait,
        "cancelled": counts.cancelled,
        "cancel_reasons": dict(sorted(counts.cancel_reasons.items())),
        "online": counts.online,
        "desk": counts.desk,
        "work_ins": counts.work_ins,
        "rostered_minutes": counts.rostered_minutes,
        "booked_minutes": counts.booked_minutes,
        "utilisation": round(utilisation, 4) if utilisation is not None else None,
    }


def report_document(report: AttendanceReport) -> dict[str, object]:
    """The report as `reports attendance --json` prints it."""
    return {
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "doctors": [
            {"doctor_id": d.doctor_id, "name": d.name, **counts_document(d.counts)}
            for d in report.doctors
        ],
        "types": [{"type": k.name, **counts_document(k.counts)} for k in report.types],
        "totals": counts_document(report.totals),
    }
