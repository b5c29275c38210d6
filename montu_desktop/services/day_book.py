"""The day book's read side: one day's rostered doctors, their hours and their appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from montu_desktop.domain.clinic_time import check_day, local_day_bounds
from montu_desktop.domain.model import AppointmentStatus, ClinicDay, Doctor
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import visit_rows
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, doctors
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class DayBookEntry:
    """One appointment as the desk sees it (cancelled ones are left out)."""

    id: int
    doctor_id: int
    patient_id: int
    patient_name: str
    patient_phone: str | None
    type_name: str
    colour: str
    start: datetime
    end: datetime
    status: AppointmentStatus
    note: str | None = None
    """Reason for visit: shown in the details and on the day sheet, never sent anywhere."""
    confirmed_at: datetime | None = None
    """The patient confirmed it by replying Y to an SMS."""
    patient_birth: date | None = None
    """Printed on the day sheet (with the phone) so the doctor can tell namesakes apart."""
    patient_alerts: tuple[str, ...] = ()
    """The record's alert flags (domain.patients.ALERT_FLAGS): a mark on the block."""
    work_in_reason: str | None = None
    """Set on a work-in (squeezed in over a booked time): drawn narrower, beside the other."""

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class DayBook:
    """One clinic day: opening hours, who works when, and what is booked."""

    day: date
    timezone: str
    slot_minutes: int
    clinic_day: ClinicDay
    doctors: tuple[Doctor, ...]
    """Doctors with a roster block or an appointment on this day, by name."""
    hours: dict[int, tuple[tuple[datetime, datetime], ...]]
    """Each doctor's rostered blocks (UTC instants)."""
    appointments: tuple[DayBookEntry, ...]
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    """The clinic as the day sheet and appointment cards print it."""

    def for_doctor(self, doctor_id: int) -> list[DayBookEntry]:
        return [a for a in self.appointments if a.doctor_id == doctor_id]


def day_book(ctx: ServiceContext, day: date) -> DayBook:
    """Everything the day book and the day sheet show for `day` (clinic-local)."""
    check_day(day, "day")
    policy = clinic_policy(ctx)
    start, end = local_day_bounds(day, policy.timezone)
    kinds = {k.id: k for k in appointment_types(ctx)}
    with UnitOfWork(ctx) as uow:
        session = uow.session
        clinic_day = repo.clinic_days(session, day, day).get(day) or ClinicDay.closed(day)
        blocks = repo.roster_blocks(session, day, day)
        rows = visit_rows.day_appointments(session, start, end)
        clinic = visit_rows.clinic_card(session)
    entries = tuple(
        DayBookEntry(
            id=r.id,
            doctor_id=r.doctor_id,
            patient_id=r.patient_id,
            patient_name=f"{r.given_name} {r.family_name}",
            patient_phone=r.phone,
            type_name=kinds[r.type_id].name if r.type_id in kinds else "?",
            colour=kinds[r.type_id].colour if r.type_id in kinds else "#888888",
            start=r.start,
            end=r.end,
            status=AppointmentStatus(r.status),
            note=r.note,
            confirmed_at=r.confirmed_at,
            patient_birth=r.date_of_birth,
            patient_alerts=tuple(f for f in (r.alerts or "").split(",") if f),
            work_in_reason=r.work_in_reason,
        )
        for r in rows
    )
    hours: dict[int, list[tuple[datetime, datetime]]] = {}
    for block in sorted(blocks, key=lambda b: b.start):
        hours.setdefault(block.doctor_id, []).append((block.start, block.end))
    working = set(hours) | {e.doctor_id for e in entries}
    people = tuple(d for d in doctors(ctx) if d.id in working)
    return DayBook(
        day,
        policy.timezone,
        policy.slot_minutes,
        clinic_day,
        people,
        {d: tuple(b) for d, b in hours.items()},
        entries,
        *(clinic or ("", "", "")),
    )
