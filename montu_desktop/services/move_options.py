"""Where an appointment can move: free times over the coming days, each with its doctors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus, Doctor, from_epoch
from montu_desktop.domain.who_is_free import free_times
from montu_desktop.persistence import core_rows
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.free_doctors import read_who_is_free
from montu_desktop.services.reference import appointment_types, clinic_policy, doctors
from montu_desktop.services.unit_of_work import UnitOfWork

DEFAULT_DAYS = 14


@dataclass(frozen=True, slots=True)
class MoveOption:
    """A free start and the doctors free for the whole length; the current doctor comes first."""

    start: datetime
    doctors: tuple[Doctor, ...]
    same_doctor: bool
    """The appointment's own doctor is free then (a move keeps the doctor when it can)."""


def move_options(
    ctx: ServiceContext, appointment_id: int, first_day: date, days: int = DEFAULT_DAYS
) -> list[MoveOption]:
    """Free starts for the appointment's type from `first_day` for `days` days, soonest first."""
    with UnitOfWork(ctx) as uow:
        moving = core_rows.appointment_at(uow.session, appointment_id)
    if moving is None or moving.status == AppointmentStatus.CANCELLED.value:
        raise NotFound("appointment", f"no live appointment with id {appointment_id}")
    if moving.status != AppointmentStatus.BOOKED.value:  # as the move itself refuses
        raise InvalidRequest(
            "appointment", f"is {moving.status.replace('_', ' ')}; it cannot be moved"
        )
    own_doctor, own_start = moving.doctor_id, moving.start_epoch
    kind = next((k for k in appointment_types(ctx) if k.id == moving.type_id), None)
    if kind is None:
        raise NotFound("type", f"the appointment's type {moving.type_id} no longer exists")
    # A booked appointment of a type no longer offered may still move, as the move allows.
    kind = replace(kind, active=True)
    last_day = first_day + timedelta(days=max(days, 1) - 1)
    policy = clinic_policy(ctx)
    with UnitOfWork(ctx) as uow:
        # The move's own rules: performers only, held time taken, the patient's other
        # appointments in the way, its own time not.
        who = read_who_is_free(
            ctx,
            uow,
            kind,
            first_day,
            last_day,
            exclude_id=appointment_id,
            patient_id=moving.patient_id,
        )
    window = BookingWindow.at(ctx.clock(), policy)
    people = {d.id: d for d in doctors(ctx)}
    options = []
    for wanted, free in free_times(who, kind, policy.slot_minutes, window):
        if wanted.start == own_start:  # never the time it already has
            continue
        named = sorted((people[d] for d in free if d in people), key=lambda d: d.name)
        if not named:
            continue
        named.sort(key=lambda d: d.id != own_doctor)
        options.append(
            MoveOption(from_epoch(wanted.start), tuple(named), named[0].id == own_doctor)
        )
    return options
