"""Booking, cancelling, rescheduling and status changes, each in one transaction with its event.

The rules are checked against fresh rows inside the writing transaction; the database's
own no-overlap guard settles a race between desks, and a lost race is retried so that a
doctor still free gets the booking, or the desk hears "slot just taken".

One exception, on SQLite only, where a writing transaction holds the whole file's write
lock and every other desk waits for it: a booking's first try reads (patient, clinic day,
roster, loads) just before taking the lock, and inside the lock only re-checks the chosen
doctor's roster block and the day's hours, then inserts. What can change in between is
settled by the database: the overlap triggers refuse a doctor or patient booked meanwhile
(the retry loop then reads again), the foreign key refuses a vanished patient, and a
failed re-check sends the booking round again. Any retry reads inside the lock, so a
desk that lost a race is never left to lose again. Loads for the fair choice may be a
moment old on that first try: a concurrent booking then counts as having come just after.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from montu_desktop.domain import booking as rules
from montu_desktop.domain import model
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
)
from montu_desktop.domain.model import (
    AppointmentStatus,
    AppointmentType,
    ClinicPolicy,
    epoch,
    from_epoch,
)
from montu_desktop.persistence import booking_rows as rows
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.conflicts import OverlapRefused, WriteConflict
from montu_desktop.services.availability import booking_window
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.moves import record_move
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
    return _with_retries(
        ctx,
        lambda tries: _book_once(
            ctx, policy, kind, request, read_first=ctx.database.is_sqlite and tries == 1
        ),
    )


class _ReadAgain(Exception):
    """What was read before taking the write lock no longer holds: try again inside it."""


def _choose(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    request: BookingRequest,
) -> tuple[rules.TimeRange, model.ClinicDay, int]:
    """Check the request and fairly choose its doctor: (range, clinic day, doctor id)."""
    wanted, clinic_day, doctors = _check_time(
        ctx, uow, policy, kind, request.start, request.patient_id, doctor_id=request.doctor_id
    )
    return wanted, clinic_day, _pick_doctor(doctors, wanted, ctx.rng, request.doctor_id)


def _book_once(
    ctx: ServiceContext,
    policy: ClinicPolicy,
    kind: AppointmentType,
    request: BookingRequest,
    *,
    read_first: bool,
) -> BookedAppointment:
    if read_first:
        with UnitOfWork(ctx) as reading:
            wanted, clinic_day, doctor_id = _choose(ctx, reading, policy, kind, request)
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if not read_first:
            wanted, clinic_day, doctor_id = _choose(ctx, uow, policy, kind, request)
        start, end = from_epoch(wanted.start), from_epoch(wanted.end)
        if read_first and not rows.still_rostered(session, clinic_day, doctor_id, start, end):
            raise _ReadAgain()
        rows.queue_behind_other_bookings(session, doctor_id, request.patient_id)
        appointment_id = rows.add_appointment(
            session,
            doctor_id=doctor_id,
            patient_id=request.patient_id,
            type_id=kind.id,
            start=start,
            end=end,
            actor=ctx.actor,
            now=ctx.clock(),
        )
        booked = BookedAppointment(
            appointment_id, doctor_id, request.patient_id, kind.name, start, end
        )
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
        uow.touches("appointments", booked.id)
        uow.commit()
        return booked


def _check_time(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    start: datetime,
    patient_id: int,
    *,
    doctor_id: int | None = None,
    exclude_id: int = rows.NO_APPOINTMENT,
) -> tuple[rules.TimeRange, model.ClinicDay, rows.DoctorsAround]:
    """Validate the request against fresh rows (read in the writing transaction, or on
    SQLite's first try just before it: see the module docstring).

    Returns the range wanted, the clinic day and the doctors who could take it: the blocks
    touching it, who already has an appointment in it, and the free doctors' booked
    minutes that day (for the fair choice). The refusals come in the desk's order: no such
    patient, the doctor asked for (when one is), a start the clinic cannot take, then the
    patient already booked at that time.
    """
    session = uow.session
    day = to_local(start, policy.timezone).date()
    end = start + timedelta(minutes=kind.length_minutes)
    standing = rows.request_standing(session, day, patient_id, start, end, exclude_id)
    clinic_day = standing.clinic_day
    if not standing.patient_known:
        raise NotFound("patient", f"no patient with id {patient_id}")
    if doctor_id is not None:
        _require_doctor(session, doctor_id)
    if clinic_day is None:
        raise NoSchedule("start", f"{day.isoformat()} has no clinic schedule")
    wanted = rules.check_bookable_time(
        clinic_day, epoch(start), kind, policy.slot_minutes, booking_window(policy, ctx.clock())
    )
    if standing.patient_busy:
        raise PatientDoubleBooked()
    return wanted, clinic_day, rows.doctors_around(session, clinic_day, start, end, exclude_id)


def _free_doctors(doctors: rows.DoctorsAround, wanted: rules.TimeRange) -> list[int]:
    """Doctors rostered for the whole range with no live appointment in it (roster order)."""
    return [d for d in rules.rostered_doctors(doctors.roster, wanted) if d not in doctors.clashing]


def _pick_doctor(
    doctors: rows.DoctorsAround,
    wanted: rules.TimeRange,
    rng: random.Random,
    requested: int | None = None,
) -> int:
    """The domain's pick_doctor, fed with per-doctor loads and clashes the database summed."""
    free = _free_doctors(doctors, wanted)
    if requested is None:
        return rules.choose_doctor(free, doctors.booked_minutes, rng)
    if requested in free:
        return requested
    if requested not in rules.rostered_doctors(doctors.roster, wanted):
        raise InvalidRequest("doctor", "is not rostered for the whole length at that time")
    raise SlotTaken("the requested doctor is already booked at that time")


def _require_doctor(session, doctor_id: int) -> None:  # type: ignore[no-untyped-def]
    doctor = rows.doctor_standing(session, doctor_id)
    if doctor is None or doctor[2]:
        raise NotFound("doctor", f"no doctor with id {doctor_id}")
    name, active, _removed = doctor
    if not active:
        raise InvalidRequest("doctor", f"{name} is not taking appointments")


def _with_retries(ctx: ServiceContext, attempt: Callable[[int], R]) -> R:
    """Run a writing transaction (given its try number), again after a lost race or
    deadlock, until it settles."""
    for tries in range(1, MAX_ATTEMPTS + 1):
        try:
            return attempt(tries)
        except _ReadAgain:
            continue
        except OverlapRefused as exc:
            if exc.who == "patient":
                raise PatientDoubleBooked() from exc
            if tries == MAX_ATTEMPTS:
                raise SlotTaken() from exc
        except WriteConflict:
            if tries == MAX_ATTEMPTS:
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
        uow.touches("appointments", row.id)
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
        ctx, lambda _tries: _reschedule_once(ctx, policy, appointment_id, new_start, doctor_id)
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
        wanted, _day, doctors = _check_time(
            ctx, uow, policy, kind, new_start, row.patient_id, exclude_id=row.id
        )
        if doctor_id is None and row.doctor_id in _free_doctors(doctors, wanted):
            doctor_id = row.doctor_id
        chosen = _pick_doctor(doctors, wanted, ctx.rng, doctor_id)
        rows.queue_behind_other_bookings(session, chosen, row.patient_id)
        old_start, old_doctor = row.start_at, row.doctor_id
        row.doctor_id = chosen
        row.start_at, row.end_at = from_epoch(wanted.start), from_epoch(wanted.end)
        row.updated_at = ctx.clock()
        session.flush()
        record_move(uow, row, old_start=old_start, old_doctor_id=old_doctor)
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
        uow.touches("appointments", row.id)
        uow.session.flush()
        result = _booked(row, _type_name(ctx, row.type_id))
        uow.commit()
        return result


def _type_name(ctx: ServiceContext, type_id: int) -> str:
    return next((k.name for k in appointment_types(ctx) if k.id == type_id), str(type_id))
