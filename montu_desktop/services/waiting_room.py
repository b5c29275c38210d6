"""The waiting room: today's arrived patients by arrival time, and who is still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from montu_desktop.domain.clinic_time import local_day_bounds
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import tables as t
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, doctors
from montu_desktop.services.unit_of_work import UnitOfWork

AMBER_KEY = "waiting_room.amber_minutes"
RED_KEY = "waiting_room.red_minutes"


@dataclass(frozen=True, slots=True)
class Visit:
    """One of today's appointments as the waiting room lists it."""

    appointment_id: int
    patient_name: str
    patient_phone: str | None
    doctor_name: str
    type_name: str
    starts_at: datetime
    status: AppointmentStatus
    arrived_at: datetime | None = None
    """When the desk marked the patient arrived (None for those still to come)."""

    def minutes_waiting(self, now: datetime) -> int:
        if self.arrived_at is None:
            return 0
        return max(int((now - self.arrived_at).total_seconds() // 60), 0)


@dataclass(frozen=True, slots=True)
class WaitingRoom:
    day: date
    timezone: str
    waiting: tuple[Visit, ...]
    """Arrived and not yet seen, first arrival first."""
    expected: tuple[Visit, ...]
    """Booked for today and not arrived yet, by appointment time."""
    amber_minutes: int
    red_minutes: int

    def level(self, minutes: int) -> str:
        """'red', 'amber' or '' for a wait of `minutes`."""
        if minutes >= self.red_minutes:
            return "red"
        if minutes >= self.amber_minutes:
            return "amber"
        return ""


def _thresholds(ctx: ServiceContext) -> tuple[int, int]:
    amber = int(get_setting(ctx, AMBER_KEY).value)
    red = int(get_setting(ctx, RED_KEY).value)
    return amber, max(red, amber)


def waiting_room(ctx: ServiceContext, day: date) -> WaitingRoom:
    """Who is waiting on `day` (clinic-local), when each arrived, and who is still to come."""
    policy = clinic_policy(ctx)
    start, end = local_day_bounds(day, policy.timezone)
    kinds = {k.id: k.name for k in appointment_types(ctx)}
    names = {d.id: d.name for d in doctors(ctx)}
    a, p = t.Appointment, t.Patient
    live = (AppointmentStatus.BOOKED.value, AppointmentStatus.ARRIVED.value)
    with UnitOfWork(ctx) as uow:
        rows = uow.session.execute(
            select(
                a.id,
                a.doctor_id,
                a.type_id,
                a.start_at,
                a.status,
                a.updated_at,
                a.arrived_at,
                p.given_name,
                p.family_name,
                p.phone,
            )
            .join(p, p.id == a.patient_id)
            .where(a.start_at >= start, a.start_at < end, a.status.in_(live))
            .order_by(a.start_at, a.id)
        ).all()
    waiting, expected = [], []
    for r in rows:
        status = AppointmentStatus(r.status)
        visit = Visit(
            r.id,
            f"{r.given_name} {r.family_name}",
            r.phone,
            names.get(r.doctor_id, "?"),
            kinds.get(r.type_id, "?"),
            r.start_at,
            status,
            # Arrivals marked before arrival times were stored: the last change is the best guess.
            (r.arrived_at or r.updated_at) if status is AppointmentStatus.ARRIVED else None,
        )
        (waiting if status is AppointmentStatus.ARRIVED else expected).append(visit)
    waiting.sort(key=lambda v: (v.arrived_at, v.starts_at, v.appointment_id))
    amber, red = _thresholds(ctx)
    return WaitingRoom(day, policy.timezone, tuple(waiting), tuple(expected), amber, red)
