"""Booking, cancelling, rescheduling and status changes, each in one transaction with its event.

The rules are checked against fresh rows inside the writing transaction; the database's
own no-overlap guard settles a race between desks, and a lost race is retried so that a
doctor still free gets the booking, or the desk hears "slot just taken".

On PostgreSQL most bookings are one statement on the server (montu_book); on SQLite the
same bookings run their statements on the driver in one write transaction
(_on_sqlite_fast_path), the fair choice made by the domain in between.

One exception, on SQLite only, where a writing transaction holds the whole file's write
lock and every other desk waits for it: a booking montu_book would not serve (settling a
waitlist entry, a work-in, a type no longer offered) first reads (patient, clinic day,
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
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from montu_desktop.domain import booking as rules
from montu_desktop.domain import model, visits
from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.clinic_time import check_moment, to_local
from montu_desktop.domain.errors import (
    DeskBusy,
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
from montu_desktop.domain.holds import doctors_held
from montu_desktop.domain.model import (
    AppointmentStatus,
    AppointmentType,
    ClinicPolicy,
    epoch,
    from_epoch,
)
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.domain.wording import day_label
from montu_desktop.persistence import booking_rows as rows
from montu_desktop.persistence.conflicts import (
    LockWaitTimedOut,
    OverlapRefused,
    PatientRetired,
    WriteConflict,
)
from montu_desktop.services import patients
from montu_desktop.services.availability import booking_window
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.moves import record_move
from montu_desktop.services.recalls import close_recalls_for, reopen_recalls_for
from montu_desktop.services.reference import appointment_types, clinic_policy, find_type
from montu_desktop.services.scheduling_reference import held_now, rostered_minutes_on
from montu_desktop.services.unit_of_work import UnitOfWork
from montu_desktop.services.waitlist_rows import close_entry, requested_doctor

if TYPE_CHECKING:  # the session is handed to the repository; this module builds no SQL
    from sqlalchemy.orm import Session

MAX_ATTEMPTS = 6
WORK_INS_SETTING = "work_ins.receptionists"
NO_PATIENT_YET = 0
"""The patient id a preview uses before the patient is chosen (never booked: no such row)."""
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What the desk asks for: a type, a start instant, a patient, maybe a particular doctor."""

    type_name: str
    start: datetime
    patient_id: int
    doctor_id: int | None = None
    note: str | None = None
    """Reason for visit (up to 500 characters); kept with the appointment, never sent."""
    urgent: bool = False
    """An urgent booking may take time held for urgent patients."""
    waitlist_id: int | None = None
    """The waitlist entry this booking settles (closed with it, in the same transaction)."""
    work_in_reason: str | None = None
    """Set for a work-in: squeezed in over the doctor's booked time, on purpose (the doctor
    must be named; only a manager, or a receptionist when the setting allows)."""


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
    note: str | None = None
    cancel_reason: str | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    choice: rules.DoctorChoice | None = None
    """Why this doctor: the free doctors and their loads (set by booking and moving)."""
    confirmed_at: datetime | None = None
    """The patient confirmed it by replying Y to an SMS."""
    called_in_at: datetime | None = None
    consultation_at: datetime | None = None
    left_at: datetime | None = None
    """When a did-not-wait patient was marked as gone."""
    work_in_reason: str | None = None
    """Why a work-in was squeezed in (None: an ordinary appointment)."""


def book_appointment(ctx: ServiceContext, request: BookingRequest) -> BookedAppointment:
    """Book the request with a fairly chosen free doctor (or the one asked for)."""
    policy = clinic_policy(ctx)
    kind = find_type(ctx, request.type_name)
    request = _checked(request)
    _require_patient_id(request.patient_id)
    _may_work_in(ctx, request)
    read_first = ctx.database.is_sqlite and not _on_sqlite_fast_path(ctx, kind, request)
    return _with_retries(
        ctx,
        lambda tries: _book_once(ctx, policy, kind, request, read_first=read_first and tries == 1),
    )


def check_request(request: BookingRequest) -> BookingRequest:
    """What can be refused without the database (a start without its zone, a bad note),
    before a composed transaction writes anything; returns the request with its note cleaned."""
    return _checked(request)


def _checked(request: BookingRequest) -> BookingRequest:
    if request.start.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")
    check_moment(request.start, "start")
    request = replace(request, note=visits.clean_note(request.note))
    if request.work_in_reason is None:
        return request
    if request.doctor_id is None:
        raise InvalidRequest("doctor", "a work-in names the doctor it squeezes the patient in with")
    return replace(request, work_in_reason=rules.clean_work_in_reason(request.work_in_reason))


def receptionists_may_work_in(ctx: ServiceContext) -> bool:
    """The manager's setting: may receptionists book work-ins (managers always may)."""
    return get_setting(ctx, WORK_INS_SETTING).value == "on"


def can_book_work_ins(ctx: ServiceContext) -> bool:
    """Whether the signed-in person may book a work-in (the desk shows "Work in…" then)."""
    return ctx.role is not Role.RECEPTIONIST or receptionists_may_work_in(ctx)


def _may_work_in(ctx: ServiceContext, request: BookingRequest) -> None:
    """Only a manager books a work-in, unless the setting lets receptionists (the PostgreSQL
    database refuses it too, for the login that may not: migration 0022)."""
    if request.work_in_reason is not None and not receptionists_may_work_in(ctx):
        require_manager(ctx, "book a work-in (Settings → Clinic lets receptionists)")


def book_in(ctx: ServiceContext, uow: UnitOfWork, request: BookingRequest) -> BookedAppointment:
    """Book inside the caller's writing unit of work, with the same rules, event and audit
    entry as book_appointment; the caller commits (and may have added the patient in it).

    A lost race surfaces as the database's refusal: run the whole unit through
    in_one_transaction so that it is tried again, as a booking alone is.
    """
    policy = clinic_policy(ctx)
    kind = find_type(ctx, request.type_name)
    request = _checked(request)
    _require_patient_id(request.patient_id)
    _may_work_in(ctx, request)
    if _on_server(ctx, kind, request):
        return _book_on_server(ctx, uow, policy, kind, request)
    wanted, clinic_day, choice = _choose(ctx, uow, policy, kind, request)
    return _insert(ctx, uow, kind, request, wanted, clinic_day, choice, recheck=False)


def in_one_transaction(ctx: ServiceContext, work: Callable[[UnitOfWork], R]) -> R:
    """Run `work` in one writing unit of work and commit it: all of it or none of it.

    A lost race or deadlock inside (another desk booked the doctor first) rolls the whole
    unit back and runs it again, as book_appointment does; `work` must therefore only
    write through the unit it is given.
    """

    def attempt(_tries: int) -> R:
        with UnitOfWork(ctx, write=True) as uow:
            result = work(uow)
            uow.commit()
            return result

    return _with_retries(ctx, attempt)


def book_new_patient(
    ctx: ServiceContext,
    details: PatientDetails,
    request: BookingRequest,
    *,
    allow_duplicate: bool = False,
) -> BookedAppointment:
    """Add a new patient and book them (the desk's "New patient" + Book) in one
    transaction: a booking refused, or a crash, leaves no patient behind.

    `request.patient_id` is ignored (the new record's id is booked). Raises
    patients.DuplicatePatient as add_patient does, unless `allow_duplicate`.
    """
    clean = patients.checked_details(ctx, details)
    request = _checked(request)
    # Loaded now, so that inside the transaction they come from the cache (and an unknown
    # type is refused before anything is written).
    clinic_policy(ctx)
    find_type(ctx, request.type_name)

    def work(uow: UnitOfWork) -> BookedAppointment:
        added = patients.add_in(ctx, uow, clean, allow_duplicate=allow_duplicate)
        return book_in(ctx, uow, replace(request, patient_id=added.id))

    return in_one_transaction(ctx, work)


def _require_patient_id(patient_id: int) -> None:
    """Only previews may leave the patient out (NO_PATIENT_YET); a booking needs one."""
    if patient_id == NO_PATIENT_YET:
        raise NotFound("patient", f"no patient with id {patient_id}")


class _ReadAgain(Exception):
    """What was read before taking the write lock no longer holds: try again inside it."""


def _choose(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    request: BookingRequest,
) -> tuple[rules.TimeRange, model.ClinicDay, rules.DoctorChoice]:
    """Check the request and fairly choose its doctor: (range, clinic day, choice).

    Booking a waitlist entry without naming a doctor books the doctor the entry asked for
    (if any), at every door: the desk's waitlist, `book --waitlist`, a freed time offered."""
    if request.waitlist_id is not None and request.doctor_id is None:
        request = replace(request, doctor_id=requested_doctor(uow, request.waitlist_id))
    wanted, clinic_day, doctors = _check_time(
        ctx, uow, policy, kind, request.start, request.patient_id, doctor_id=request.doctor_id
    )
    if request.work_in_reason is not None and request.doctor_id is not None:
        return (
            wanted,
            clinic_day,
            rules.work_in_choice(
                doctors.roster,
                wanted,
                doctor=request.doctor_id,
                taken=doctors.clashing,
                booked=doctors.booked_minutes,
                rostered=_rostered_minutes(ctx, clinic_day, doctors),
                skipped=doctors.skipped,
            ),
        )
    held = set() if request.urgent else _held(ctx, policy, clinic_day, wanted)
    return (
        wanted,
        clinic_day,
        _pick_doctor(ctx, clinic_day, doctors, wanted, held, request.doctor_id),
    )


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
            wanted, clinic_day, choice = _choose(ctx, reading, policy, kind, request)
    with UnitOfWork(ctx, write=True) as uow:
        if _on_server(ctx, kind, request):
            booked = _book_on_server(ctx, uow, policy, kind, request)
            uow.commit()
            return booked
        if not read_first:
            wanted, clinic_day, choice = _choose(ctx, uow, policy, kind, request)
        booked = _insert(ctx, uow, kind, request, wanted, clinic_day, choice, recheck=read_first)
        uow.commit()
        return booked


def _served_in_one_go(kind: AppointmentType, request: BookingRequest) -> bool:
    """The bookings montu_book serves (migration 0024_perf_booking): all but the rare ones
    that settle a waitlist entry, work a patient in or take a type no longer offered (whose
    refusal comes after the others); those take the statements below."""
    return request.waitlist_id is None and request.work_in_reason is None and kind.active


def _on_server(ctx: ServiceContext, kind: AppointmentType, request: BookingRequest) -> bool:
    """PostgreSQL books these in one round trip (montu_book)."""
    return not ctx.database.is_sqlite and _served_in_one_go(kind, request)


def _on_sqlite_fast_path(
    ctx: ServiceContext, kind: AppointmentType, request: BookingRequest
) -> bool:
    """On SQLite the same bookings are read, chosen (by the domain, as everywhere) and
    inserted in one write transaction, each statement on the driver (booking_rows): ~0.3 ms
    inside the file's write lock, less than the two sessions of reading first cost. The
    rest read first (see the module docstring)."""
    return ctx.database.is_sqlite and _served_in_one_go(kind, request)


def _book_on_server(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    request: BookingRequest,
) -> BookedAppointment:
    """book_in's work as one statement on the server: the same checks in the same order,
    the same fair choice, the same rows written; its refusals said in the same words."""
    now = ctx.clock()
    start = epoch(request.start)
    day = to_local(request.start, policy.timezone).date()
    window = booking_window(policy, now)
    held: list[int] = []
    if not request.urgent:
        holds = held_now(ctx, day, day, policy.timezone)
        if holds:
            held = sorted(doctors_held(holds, start, start + kind.length_minutes * 60))
    answer = rows.book_on_server(
        uow.session,
        patient_id=request.patient_id,
        type_id=kind.id,
        length_minutes=kind.length_minutes,
        start=start,
        day=day,
        doctor_id=request.doctor_id,
        note=request.note,
        urgent=request.urgent,
        held=held,
        slot_minutes=policy.slot_minutes,
        earliest=window.earliest,
        latest=window.latest,
        now=now,
        actor=ctx.actor,
        type_name=kind.name,
        zone=policy.timezone,
        lock_timeout_seconds=ctx.database.lock_timeout_seconds,
        pick=ctx.rng.random(),
    )
    if answer.outcome not in ("booked", "requested"):
        raise _server_refusal(answer, request, day, kind, policy, window, start)
    assert answer.appointment_id is not None and answer.doctor_id is not None
    candidates = tuple(
        rules.Candidate(d, b, r)
        for d, b, r in zip(
            answer.candidate_ids or (),
            answer.candidate_booked or (),
            answer.candidate_rostered or (),
            strict=True,
        )
    )
    booked = BookedAppointment(
        answer.appointment_id,
        answer.doctor_id,
        request.patient_id,
        kind.name,
        from_epoch(start),
        from_epoch(start + kind.length_minutes * 60),
        note=request.note,
        choice=rules.DoctorChoice(
            answer.doctor_id, candidates, requested=answer.outcome == "requested"
        ),
    )
    if answer.recalls_closed:
        uow.touches("patients", request.patient_id)
    uow.touches("appointments", booked.id)
    return booked


def _no_schedule(day: date, start: int, window: BookingWindow) -> Exception:
    """A day without clinic hours: a past or too-far start is refused for that, in the
    domain's words; otherwise the missing schedule is the reason."""
    try:
        rules.check_in_window(start, window)
    except InvalidRequest as refused:
        return refused
    return NoSchedule("start", f"{day_label(day, year=True)} has no clinic schedule")


def _server_refusal(
    answer: rows.ServerBooking,
    request: BookingRequest,
    day: date,
    kind: AppointmentType,
    policy: ClinicPolicy,
    window: BookingWindow,
    start: int,
) -> Exception:
    """montu_book's refusal code as the Python path's exception, word for word."""
    code = answer.outcome
    if code == "no_patient":
        return NotFound("patient", f"no patient with id {request.patient_id}")
    if code == "merged":
        return InvalidRequest(
            "patient", f"patient {request.patient_id} was merged into patient {answer.detail}"
        )
    if code == "no_doctor":
        return NotFound("doctor", f"no doctor with id {request.doctor_id}")
    if code == "doctor_inactive":
        return InvalidRequest("doctor", f"{answer.detail} is not taking appointments")
    if code == "no_schedule":
        return _no_schedule(day, start, window)
    if code == "time":  # the domain's own check says which rule, in its words
        clinic_day = (
            model.ClinicDay.closed(day)
            if answer.opens is None
            else model.ClinicDay(day, answer.opens, answer.closes)
        )
        try:
            rules.check_bookable_time(clinic_day, start, kind, policy.slot_minutes, window)
        except InvalidRequest as refusal:
            return refusal
        return AssertionError("montu_book refused a time the domain allows")
    if code == "patient_busy":
        return PatientDoubleBooked()
    if code == "busy":
        return DeskBusy(answer.detail or "doctor")
    return rules.pick_refusal(code)


def _insert(
    ctx: ServiceContext,
    uow: UnitOfWork,
    kind: AppointmentType,
    request: BookingRequest,
    wanted: rules.TimeRange,
    clinic_day: model.ClinicDay,
    choice: rules.DoctorChoice,
    *,
    recheck: bool,
) -> BookedAppointment:
    """Insert the chosen booking with its waitlist close, event and audit entry (uncommitted)."""
    session = uow.session
    doctor_id = choice.doctor_id
    start, end = from_epoch(wanted.start), from_epoch(wanted.end)
    if recheck and not rows.still_rostered(session, clinic_day, doctor_id, start, end):
        raise _ReadAgain()
    rows.queue_behind_other_bookings(
        session,
        doctor_id,
        request.patient_id,
        lock_timeout_seconds=ctx.database.lock_timeout_seconds,
    )
    appointment_id = rows.add_appointment(
        session,
        doctor_id=doctor_id,
        patient_id=request.patient_id,
        type_id=kind.id,
        start=start,
        end=end,
        actor=ctx.actor,
        now=ctx.clock(),
        note=request.note,
        work_in_reason=request.work_in_reason,
    )
    booked = BookedAppointment(
        appointment_id,
        doctor_id,
        request.patient_id,
        kind.name,
        start,
        end,
        note=request.note,
        choice=choice,
        work_in_reason=request.work_in_reason,
    )
    if request.waitlist_id is not None:
        close_entry(uow, request.waitlist_id, booked.id, request.patient_id, kind.id, ctx.clock())
    close_recalls_for(  # recalls this booking answers close with it (services/recalls.py)
        uow,
        request.patient_id,
        kind.id,
        booked.id,
        booked.start,
        clinic_policy(ctx).timezone,
        ctx.clock(),
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
        **({"urgent": True} if request.urgent else {}),
        **({"work_in": True} if request.work_in_reason else {}),
    )
    uow.touches("appointments", booked.id)
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
    if not standing.patient_known and patient_id != NO_PATIENT_YET:
        merged_into = rows.merged_into(session, patient_id)
        if merged_into is not None:
            raise InvalidRequest(
                "patient", f"patient {patient_id} was merged into patient {merged_into}"
            )
        raise NotFound("patient", f"no patient with id {patient_id}")
    if doctor_id is not None:
        _require_doctor(session, doctor_id)
    window = booking_window(policy, ctx.clock())
    if clinic_day is None:
        raise _no_schedule(day, epoch(start), window)
    wanted = rules.check_bookable_time(clinic_day, epoch(start), kind, policy.slot_minutes, window)
    if standing.patient_busy:
        raise PatientDoubleBooked()
    return (
        wanted,
        clinic_day,
        rows.doctors_around(session, clinic_day, start, end, exclude_id, type_id=kind.id),
    )


def _held(
    ctx: ServiceContext, policy: ClinicPolicy, day: model.ClinicDay, wanted: rules.TimeRange
) -> set[int]:
    """Doctors whose time in the range is held for urgent patients and not yet released."""
    held = held_now(ctx, day.day, day.day, policy.timezone)
    return doctors_held(held, wanted.start, wanted.end) if held else set()


def _rostered_minutes(
    ctx: ServiceContext, day: model.ClinicDay, doctors: rows.DoctorsAround
) -> dict[int, int]:
    """Each doctor's rostered minutes that day: the cached roster's, never less than the
    fresh blocks just read."""
    cached = rostered_minutes_on(ctx, day)
    return {d: max(cached.get(d, 0), m) for d, m in rules.rostered_minutes(doctors.roster).items()}


def _pick_doctor(
    ctx: ServiceContext,
    day: model.ClinicDay,
    doctors: rows.DoctorsAround,
    wanted: rules.TimeRange,
    held: set[int],
    requested: int | None = None,
) -> rules.DoctorChoice:
    """The domain's pick_doctor, fed with the loads, clashes and skipped types the
    database read in one statement, and each doctor's rostered minutes that day (the
    cached roster; never less than the fresh blocks just read)."""
    rostered = _rostered_minutes(ctx, day, doctors)
    return rules.pick_doctor(
        doctors.roster,
        wanted,
        ctx.rng,
        taken=doctors.clashing,
        booked=doctors.booked_minutes,
        rostered=rostered,
        skipped=doctors.skipped,
        held=held,
        requested=requested,
    )


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
        except PatientRetired as exc:
            # Merged while this desk was booking: read again to say into which record.
            if tries == MAX_ATTEMPTS:
                raise InvalidRequest("patient", "was just merged into another record") from exc
            continue
        except OverlapRefused as exc:
            if exc.who == "patient":
                raise PatientDoubleBooked() from exc
            if tries == MAX_ATTEMPTS:
                raise SlotTaken() from exc
        except LockWaitTimedOut as exc:  # the insert waited on another desk's open booking
            raise DeskBusy("doctor") from exc
        except WriteConflict:
            if tries == MAX_ATTEMPTS:
                raise
        # Another desk won the race: look again (the winner's row is now visible).
        time.sleep(random.uniform(0, 0.005 * tries))
    raise AssertionError("unreachable")


def _booked(row: rows.AppointmentRow, type_name: str) -> BookedAppointment:
    return BookedAppointment(
        row.id,
        row.doctor_id,
        row.patient_id,
        type_name,
        row.start_at,
        row.end_at,
        row.status,
        row.note,
        row.cancel_reason,
        row.arrived_at,
        row.completed_at,
        confirmed_at=row.confirmed_at,
        called_in_at=row.called_in_at,
        consultation_at=row.consultation_at,
        left_at=row.left_at,
        work_in_reason=row.work_in_reason,
    )


def _live_appointment(session: Session, appointment_id: int) -> rows.AppointmentRow:
    row = rows.appointment(session, appointment_id)
    if row is None:
        raise NotFound("appointment", f"no appointment with id {appointment_id}")
    if row.status == AppointmentStatus.CANCELLED.value:
        raise InvalidRequest("appointment", "is already cancelled")
    return row


def cancel_appointment(
    ctx: ServiceContext, appointment_id: int, reason: str | None = None
) -> BookedAppointment:
    """Cancel a live appointment; its time becomes free and its reminders are withdrawn.

    The reason (one line, up to 200 characters; see visits.CANCEL_REASONS for the short
    list) is kept with the appointment and in the audit log.
    """
    reason = visits.clean_reason(reason)
    with UnitOfWork(ctx, write=True) as uow:
        _live_appointment(uow.session, appointment_id)
        row = rows.change_appointment(
            uow.session,
            appointment_id,
            status=AppointmentStatus.CANCELLED.value,
            cancel_reason=reason,
            updated_at=ctx.clock(),
        )
        reopen_recalls_for(uow, row.id)  # the recalls it closed are due again (services/recalls.py)
        uow.emit(AppointmentCancelled(row.id, row.patient_id, row.start_at.isoformat()))
        uow.audit(
            "appointment.cancelled",
            f"appointment {row.id}",
            start=row.start_at.isoformat(),
            reason=reason,
        )
        uow.touches("appointments")
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
    check_moment(new_start, "start")
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
        result = move_in(ctx, uow, policy, appointment_id, new_start, doctor_id)
        uow.commit()
        return result


def move_in(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    appointment_id: int,
    new_start: datetime,
    doctor_id: int | None,
) -> BookedAppointment:
    """Move one booked appointment inside the caller's writing transaction (same doctor
    when free, else a fair choice), with its event and audit entry."""
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
    held = _held(ctx, policy, _day, wanted)
    if doctor_id is None:
        try:  # the same doctor when they are free, else a fair choice
            choice = _pick_doctor(ctx, _day, doctors, wanted, held, row.doctor_id)
        except InvalidRequest:
            choice = _pick_doctor(ctx, _day, doctors, wanted, held)
    else:
        choice = _pick_doctor(ctx, _day, doctors, wanted, held, doctor_id)
    chosen = choice.doctor_id
    rows.queue_behind_other_bookings(
        session, chosen, row.patient_id, lock_timeout_seconds=ctx.database.lock_timeout_seconds
    )
    old_start, old_doctor = row.start_at, row.doctor_id
    moved: dict[str, object] = {
        "start_at": from_epoch(wanted.start),
        "end_at": from_epoch(wanted.end),
        "updated_at": ctx.clock(),
    }
    if chosen != old_doctor:
        moved["doctor_id"] = chosen
    row = rows.change_appointment(session, row.id, **moved)
    record_move(uow, row, old_start=old_start, old_doctor_id=old_doctor)
    return replace(_booked(row, kind.name), choice=choice)


def mark_status(
    ctx: ServiceContext, appointment_id: int, status: AppointmentStatus | str
) -> BookedAppointment:
    """Move an appointment along the patient flow (arrived, called in, in consultation,
    completed, did not wait, no-show), or undo a mark back one stage or to booked.

    `status` may be typed ("called-in"). The moves and their time rules are the domain's
    (visits.check_status_move). Each stage's time is stored (an undo clears the times of
    what it undoes) and the move is audited.
    """
    wanted = visits.parse_status(status) if isinstance(status, str) else status
    if wanted is AppointmentStatus.CANCELLED:
        return cancel_appointment(ctx, appointment_id)
    zone = clinic_policy(ctx).timezone
    with UnitOfWork(ctx, write=True) as uow:
        row = _live_appointment(uow.session, appointment_id)
        current = AppointmentStatus(row.status)
        now = ctx.clock()
        visits.check_status_move(current, wanted, start=row.start_at, now=now, timezone=zone)
        times = visits.times_after_move(
            wanted,
            now,
            visits.VisitTimes(
                row.arrived_at, row.called_in_at, row.consultation_at, row.completed_at, row.left_at
            ),
        )
        before = visits.VisitTimes(
            row.arrived_at, row.called_in_at, row.consultation_at, row.completed_at, row.left_at
        )
        changed: dict[str, object] = {
            name: getattr(times, name)
            for name in ("arrived_at", "called_in_at", "consultation_at", "completed_at", "left_at")
            if getattr(times, name) != getattr(before, name)
        }
        row = rows.change_appointment(
            uow.session, row.id, status=wanted.value, updated_at=now, **changed
        )
        uow.audit(
            "appointment.status",
            f"appointment {row.id}",
            old=current.value,
            new=wanted.value,
        )
        uow.touches("appointments")
        result = _booked(row, _type_name(ctx, row.type_id))
        uow.commit()
        return result


def set_status(
    ctx: ServiceContext, appointment_id: int, status: AppointmentStatus
) -> BookedAppointment:
    """The day book's status actions (the same path as mark_status)."""
    return mark_status(ctx, appointment_id, status)


def set_note(ctx: ServiceContext, appointment_id: int, text: str | None) -> BookedAppointment:
    """Replace an appointment's note (empty or None removes it; up to 500 characters).

    The audit log says the note changed, never what it says.
    """
    note = visits.clean_note(text)
    with UnitOfWork(ctx, write=True) as uow:
        row = _live_appointment(uow.session, appointment_id)
        if row.note != note:
            row = rows.change_appointment(uow.session, row.id, note=note, updated_at=ctx.clock())
            uow.audit("appointment.note", f"appointment {row.id}", cleared=note is None)
            uow.touches("appointments")
        result = _booked(row, _type_name(ctx, row.type_id))
        uow.commit()
        return result


def _type_name(ctx: ServiceContext, type_id: int) -> str:
    return next((k.name for k in appointment_types(ctx) if k.id == type_id), str(type_id))
