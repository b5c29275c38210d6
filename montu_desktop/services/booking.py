"""Booking, cancelling, rescheduling and status changes, each in one transaction with its event.

The rules are checked against fresh rows inside the writing transaction; the database's
own no-overlap guard settles a race between desks, and a lost race is retried so that a
doctor still free gets the booking, or the desk hears "slot just taken".
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from montu_desktop.domain import booking as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import (
    InvalidRequest,
    NoSchedule,
    NotFound,
    PatientDoubleBooked,
    SlotTaken,
)
from montu_desktop.domain.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
)
from montu_desktop.domain.model import (
    AppointmentStatus,
    AppointmentType,
    ClinicPolicy,
    Roster,
    busy_by_doctor,
    epoch,
    from_epoch,
)
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import is_retryable, overlap_refused
from montu_desktop.services.availability import booking_window
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, find_type
from montu_desktop.services.unit_of_work import UnitOfWork

MAX_ATTEMPTS = 6
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What the desk asks for: a type, a start instant, a patient, maybe a particular doctor."""

    type_name: str
    start: datetime
    patient_id: int
    doctor_id: int | None = None


@dataclass(frozen=True, slots=True)
class BookedAppointment:
    """An appointment as committed."""

    id: int
    doctor_id: int
    patient_id: int
    type_name: str
    start: datetime
    end: datetime
    status: str = AppointmentStatus.BOOKED.value


def book_appointment(ctx: ServiceContext, request: BookingRequest) -> BookedAppointment:
    """Book the request with a fairly chosen free doctor (or the one asked for)."""
    policy = clinic_policy(ctx)
    kind = find_type(ctx, request.type_name)
    if request.start.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")
    return _with_retries(ctx, lambda: _book_once(ctx, policy, kind, request))


def _book_once(
    ctx: ServiceContext, policy: ClinicPolicy, kind: AppointmentType, request: BookingRequest
) -> BookedAppointment:
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if session.get(t.Patient, request.patient_id) is None:
            raise NotFound("patient", f"no patient with id {request.patient_id}")
        if request.doctor_id is not None:
            _require_doctor(session, request.doctor_id)
        wanted, roster, busy = _check_time(ctx, uow, policy, kind, request.start)
        if repo.patient_busy(session, request.patient_id, request.start, from_epoch(wanted.end)):
            raise PatientDoubleBooked()
        doctor_id = rules.pick_doctor(roster, busy, wanted, ctx.rng, request.doctor_id)
        now = ctx.clock()
        row = t.Appointment(
            doctor_id=doctor_id,
            patient_id=request.patient_id,
            type_id=kind.id,
            start_at=from_epoch(wanted.start),
            end_at=from_epoch(wanted.end),
            status=AppointmentStatus.BOOKED.value,
            created_by=ctx.actor,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        booked = _booked(row, kind.name)
        uow.emit(
            AppointmentBooked(
                booked.id,
                doctor_id,
                request.patient_id,
                booked.start.isoformat(),
                booked.end.isoformat(),
            )
        )
        uow.audit(
            "appointment.booked",
            f"appointment {booked.id}",
            doctor_id=doctor_id,
            start=booked.start.isoformat(),
            type=kind.name,
        )
        uow.touches("appointments")
        uow.commit()
        return booked


def _check_time(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    start: datetime,
    exclude_id: int | None = None,
) -> tuple[rules.TimeRange, Roster, dict[int, list[tuple[int, int]]]]:
    """Validate the start against fresh rows; return the range, that day's roster and busy times."""
    day = to_local(start, policy.timezone).date()
    clinic_day = repo.clinic_days(uow.session, day, day).get(day)
    if clinic_day is None:
        raise NoSchedule("start", f"{day.isoformat()} has no clinic schedule")
    wanted = rules.check_bookable_time(
        clinic_day, epoch(start), kind, policy.slot_minutes, booking_window(policy, ctx.clock())
    )
    roster = Roster.from_blocks(repo.roster_blocks(uow.session, day, day))
    assert clinic_day.opens is not None and clinic_day.closes is not None
    busy = busy_by_doctor(
        repo.busy_times(uow.session, clinic_day.opens, clinic_day.closes, exclude_id=exclude_id)
    )
    return wanted, roster, dict(busy)


def _require_doctor(session, doctor_id: int) -> t.Doctor:  # type: ignore[no-untyped-def]
    doctor = session.get(t.Doctor, doctor_id)
    if doctor is None or doctor.removed_at is not None:
        raise NotFound("doctor", f"no doctor with id {doctor_id}")
    if not doctor.active:
        raise InvalidRequest("doctor", f"{doctor.name} is not taking appointments")
    return doctor


def _with_retries(ctx: ServiceContext, attempt: Callable[[], R]) -> R:
    """Run a writing transaction, again after a lost race or deadlock, until it settles."""
    for tries in range(1, MAX_ATTEMPTS + 1):
        try:
            return attempt()
        except IntegrityError as exc:
            who = overlap_refused(exc)
            if who == "patient":
                raise PatientDoubleBooked() from exc
            if who != "doctor":
                raise
            if tries == MAX_ATTEMPTS:
                raise SlotTaken() from exc
        except DBAPIError as exc:
            if not is_retryable(exc) or tries == MAX_ATTEMPTS:
                raise
        # Another desk won the race: look again (the winner's row is now visible).
        time.sleep(random.uniform(0, 0.005 * tries))
    raise AssertionError("unreachable")


def _booked(row: t.Appointment, type_name: str) -> BookedAppointment:
    return BookedAppointment(
        row.id, row.doctor_id, row.patient_id, type_name, row.start_at, row.end_at, row.status
    )


def _live_appointment(session, appointment_id: int) -> t.Appointment:  # type: ignore[no-untyped-def]
    row = session.get(t.Appointment, appointment_id)
    if row is None:
        raise NotFound("appointment", f"no appointment with id {appointment_id}")
    if row.status == AppointmentStatus.CANCELLED.value:
        raise InvalidRequest("appointment", "is already cancelled")
    return row


def cancel_appointment(ctx: ServiceContext, appointment_id: int) -> BookedAppointment:
    """Cancel a live appointment; its time becomes free and its reminders are withdrawn."""
    with UnitOfWork(ctx, write=True) as uow:
        row = _live_appointment(uow.session, appointment_id)
        row.status = AppointmentStatus.CANCELLED.value
        row.updated_at = ctx.clock()
        uow.emit(AppointmentCancelled(row.id, row.patient_id, row.start_at.isoformat()))
        uow.audit("appointment.cancelled", f"appointment {row.id}", start=row.start_at.isoformat())
        uow.touches("appointments")
        uow.session.flush()
        result = _booked(row, _type_name(ctx, row.type_id))
        uow.commit()
        return result


def reschedule_appointment(
    ctx: ServiceContext, appointment_id: int, new_start: datetime, doctor_id: int | None = None
) -> BookedAppointment:
    """Move an appointment to a new start: same doctor when free, else a fair choice."""
    policy = clinic_policy(ctx)
    if new_start.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")
    return _with_retries(
        ctx, lambda: _reschedule_once(ctx, policy, appointment_id, new_start, doctor_id)
    )


def _reschedule_once(
    ctx: ServiceContext,
    policy: ClinicPolicy,
    appointment_id: int,
    new_start: datetime,
    doctor_id: int | None,
) -> BookedAppointment:
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        row = _live_appointment(session, appointment_id)
        if row.status != AppointmentStatus.BOOKED.value:
            raise InvalidRequest(
                "appointment", f"is {row.status.replace('_', ' ')}; it cannot be moved"
            )
        kind = next(k for k in appointment_types(ctx) if k.id == row.type_id)
        kind = AppointmentType(kind.id, kind.name, kind.length_minutes, kind.colour, True)
        wanted, roster, busy = _check_time(ctx, uow, policy, kind, new_start, exclude_id=row.id)
        if repo.patient_busy(session, row.patient_id, new_start, from_epoch(wanted.end), row.id):
            raise PatientDoubleBooked()
        if doctor_id is None and row.doctor_id in rules.free_doctors(roster, busy, wanted):
            doctor_id = row.doctor_id
        chosen = rules.pick_doctor(roster, busy, wanted, ctx.rng, doctor_id)
        old_start = row.start_at
        row.doctor_id = chosen
        row.start_at, row.end_at = from_epoch(wanted.start), from_epoch(wanted.end)
        row.updated_at = ctx.clock()
        session.flush()
        uow.emit(
            AppointmentRescheduled(
                row.id,
                chosen,
                row.patient_id,
                old_start.isoformat(),
                row.start_at.isoformat(),
                row.end_at.isoformat(),
            )
        )
        uow.audit(
            "appointment.rescheduled",
            f"appointment {row.id}",
            doctor_id=chosen,
            old_start=old_start.isoformat(),
            start=row.start_at.isoformat(),
        )
        uow.touches("appointments")
        result = _booked(row, kind.name)
        uow.commit()
        return result


_NEXT_STATUSES = {
    AppointmentStatus.BOOKED: {AppointmentStatus.ARRIVED, AppointmentStatus.NO_SHOW},
    AppointmentStatus.ARRIVED: {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED},
    AppointmentStatus.NO_SHOW: {AppointmentStatus.BOOKED},
    AppointmentStatus.COMPLETED: {AppointmentStatus.ARRIVED},
}


def set_status(
    ctx: ServiceContext, appointment_id: int, status: AppointmentStatus
) -> BookedAppointment:
    """Mark an appointment arrived, completed or no-show (or undo the last mark)."""
    if status is AppointmentStatus.CANCELLED:
        return cancel_appointment(ctx, appointment_id)
    with UnitOfWork(ctx, write=True) as uow:
        row = _live_appointment(uow.session, appointment_id)
        current = AppointmentStatus(row.status)
        if status not in _NEXT_STATUSES.get(current, set()):
            raise InvalidRequest(
                "status", f"an appointment that is {current.value} cannot become {status.value}"
            )
        row.status = status.value
        row.updated_at = ctx.clock()
        uow.touches("appointments")
        uow.session.flush()
        result = _booked(row, _type_name(ctx, row.type_id))
        uow.commit()
        return result


def _type_name(ctx: ServiceContext, type_id: int) -> str:
    return next((k.name for k in appointment_types(ctx) if k.id == type_id), str(type_id))
