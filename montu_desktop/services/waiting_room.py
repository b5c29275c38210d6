"""The waiting room (the patient flow board): today's patients in the building by stage —
waiting (by arrival time), called in, in consultation — and who is still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from montu_desktop.config.settings_registry import AMBER_KEY, RED_KEY
from montu_desktop.domain.clinic_time import local_day_bounds
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import visit_rows
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, doctors
from montu_desktop.services.unit_of_work import UnitOfWork


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
    called_in_at: datetime | None = None
    consultation_at: datetime | None = None

    def minutes_waiting(self, now: datetime) -> int:
        if self.arrived_at is None:
            return 0
        return _minutes(self.arrived_at, now)

    @property
    def stage_since(self) -> datetime | None:
        """When the patient reached the stage they are at (None for those still to come)."""
        if self.status is AppointmentStatus.IN_CONSULTATION:
            return self.consultation_at or self.called_in_at or self.arrived_at
        if self.status is AppointmentStatus.CALLED_IN:
            return self.called_in_at or self.arrived_at
        return self.arrived_at

    def stage_minutes(self, now: datetime) -> int:
        """Minutes at the present stage: waiting since arrival, called in, in consultation."""
        since = self.stage_since
        return 0 if since is None else _minutes(since, now)


def _minutes(since: datetime, now: datetime) -> int:
    return max(int((now - since).total_seconds() // 60), 0)


@dataclass(frozen=True, slots=True)
class WaitingRoom:
    day: date
    timezone: str
    waiting: tuple[Visit, ...]
    """Arrived and not yet called in, first arrival first."""
    expected: tuple[Visit, ...]
    """Booked for today and not arrived yet, by appointment time."""
    amber_minutes: int
    red_minutes: int
    called_in: tuple[Visit, ...] = ()
    """Called in and on their way to the doctor, first called first."""
    in_consultation: tuple[Visit, ...] = ()
    """With the doctor, first in first."""

    @property
    def present(self) -> tuple[Visit, ...]:
        """Everyone in the building by stage: waiting, then called in, then in consultation."""
        return self.waiting + self.called_in + self.in_consultation

    def who_is_in(self) -> dict[str, str]:
        """Each doctor's patient in consultation now (the latest in, when the desk marked two)."""
        inside: dict[str, str] = {}
        for visit in self.in_consultation:
            inside[visit.doctor_name] = visit.patient_name
        return inside

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
    stages = (
        AppointmentStatus.ARRIVED,
        AppointmentStatus.CALLED_IN,
        AppointmentStatus.IN_CONSULTATION,
    )
    with UnitOfWork(ctx) as uow:
        rows = visit_rows.flow(uow.session, start, end, (AppointmentStatus.BOOKED, *stages))
    by_stage: dict[AppointmentStatus, list[Visit]] = {s: [] for s in stages}
    expected: list[Visit] = []
    for r in rows:
        status = AppointmentStatus(r.status)
        visit = Visit(
            r.id,
            f"{r.given_name} {r.family_name}",
            r.phone,
            names.get(r.doctor_id, "?"),
            kinds.get(r.type_id, "?"),
            r.start,
            status,
            # Arrivals marked before arrival times were stored: the last change is the best guess.
            (r.arrived_at or r.updated_at) if status in by_stage else None,
            r.called_in_at,
            r.consultation_at,
        )
        by_stage.get(status, expected).append(visit)
    for visits in by_stage.values():
        visits.sort(key=lambda v: (v.stage_since, v.starts_at, v.appointment_id))
    amber, red = _thresholds(ctx)
    return WaitingRoom(
        day,
        policy.timezone,
        tuple(by_stage[AppointmentStatus.ARRIVED]),
        tuple(expected),
        amber,
        red,
        tuple(by_stage[AppointmentStatus.CALLED_IN]),
        tuple(by_stage[AppointmentStatus.IN_CONSULTATION]),
    )
