"""Recurring appointments: preview a series, book it all at once, cancel this and the following."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.events import AppointmentBooked, AppointmentCancelled
from montu_desktop.domain.model import AppointmentType, ClinicPolicy, from_epoch
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.series import Repeat, occurrence_days
from montu_desktop.domain.wording import day_label
from montu_desktop.persistence import booking_rows as rows
from montu_desktop.persistence import series_rows
from montu_desktop.services import booking, patients
from montu_desktop.services.booking import BookedAppointment, BookingRequest
from montu_desktop.services.booking_view import nearest_free_slots
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.recalls import close_recalls_for, reopen_recalls_for
from montu_desktop.services.reference import clinic_policy, find_type
from montu_desktop.services.scheduling_reference import closure_reasons
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One start of a series: the doctor it would go to, or why it clashes (and nearby free starts)."""

    start: datetime
    doctor_id: int | None
    clash: str = ""
    alternatives: tuple[datetime, ...] = ()
    other_doctor_because: str = ""
    """Why this occurrence goes to another doctor than the series' own (who is not free then)."""

    @property
    def free(self) -> bool:
        return not self.clash


@dataclass(frozen=True, slots=True)
class SeriesResult:
    series_id: int | None
    appointments: list[BookedAppointment] = field(default_factory=list)
    clashes: list[Occurrence] = field(default_factory=list)


def series_starts(
    ctx: ServiceContext,
    first: datetime,
    repeat: Repeat,
    *,
    count: int | None = None,
    until: date | None = None,
) -> list[datetime]:
    """Every start of the series at the first one's clinic-local wall-clock time."""
    zone = clinic_policy(ctx).timezone
    local = to_local(first, zone)
    days = occurrence_days(local.date(), repeat, count=count, until=until)
    return [local_instant(day, local.time(), zone) for day in days]


def _plan(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    request: BookingRequest,
    starts: list[datetime],
    *,
    write: bool,
) -> tuple[list[BookedAppointment], list[Occurrence]]:
    """Choose each occurrence's doctor (the same one where possible) and, when `write`,
    insert it at once; returns the booked ones and every occurrence (clashes not raised)."""
    preferred = request.doctor_id
    booked: list[BookedAppointment] = []
    planned: list[Occurrence] = []
    for start in starts:
        wanted = replace(request, start=start, doctor_id=preferred)
        because = ""
        try:
            try:
                _range, _day, choice = booking._choose(ctx, uow, policy, kind, wanted)
            except InvalidRequest as busy:
                if request.doctor_id is not None or preferred is None:
                    raise
                # The doctor of the earlier visits is not free: anyone fair will do.
                _range, _day, choice = booking._choose(
                    ctx, uow, policy, kind, replace(wanted, doctor_id=None)
                )
                because = busy.reason
        except InvalidRequest as exc:
            planned.append(Occurrence(start, None, str(exc)))
            continue
        if preferred is None:
            preferred = choice.doctor_id
        planned.append(Occurrence(start, choice.doctor_id, other_doctor_because=because))
        if write:
            begin, end = from_epoch(_range.start), from_epoch(_range.end)
            rows.queue_behind_other_bookings(uow.session, choice.doctor_id, request.patient_id)
            new_id = rows.add_appointment(
                uow.session,
                doctor_id=choice.doctor_id,
                patient_id=request.patient_id,
                type_id=kind.id,
                start=begin,
                end=end,
                actor=ctx.actor,
                now=ctx.clock(),
            )
            close_recalls_for(  # a series answers recalls like any booking (services/recalls.py)
                uow, request.patient_id, kind.id, new_id, begin, policy.timezone, ctx.clock()
            )
            booked.append(
                BookedAppointment(
                    new_id,
                    choice.doctor_id,
                    request.patient_id,
                    kind.name,
                    begin,
                    end,
                    choice=choice,
                )
            )
    return booked, planned


def preview_series(
    ctx: ServiceContext, request: BookingRequest, starts: list[datetime]
) -> list[Occurrence]:
    """Every occurrence as free (with its doctor) or clashing (with the reason and up to
    three nearby free starts); nothing is written."""
    policy = clinic_policy(ctx)
    kind = find_type(ctx, request.type_name)
    with UnitOfWork(ctx) as uow:
        _booked, planned = _plan(ctx, uow, policy, kind, request, starts, write=False)
    if not planned:
        return []
    zone = policy.timezone
    days = [to_local(o.start, zone).date() for o in planned]
    closed = closure_reasons(ctx, min(days), max(days))
    return [
        o
        if o.free
        else replace(
            o,
            clash=_closed_named(o.clash, closed.get(day)),
            alternatives=tuple(nearest_free_slots(ctx, kind.name, o.start, 3)),
        )
        for o, day in zip(planned, days, strict=True)
    ]


def _closed_named(clash: str, holiday: str | None) -> str:
    """'start: the clinic is closed on 2026-12-25' → '… (Christmas Day)'."""
    return f"{clash} ({holiday})" if holiday and "closed" in clash else clash


def book_series(
    ctx: ServiceContext,
    request: BookingRequest,
    starts: list[datetime],
    repeat: Repeat,
    *,
    skip_clashes: bool = False,
) -> SeriesResult:
    """Book every occurrence in one transaction (each insert under the no-overlap guard).

    Without `skip_clashes` any clash refuses the whole series, naming the dates, and
    nothing is written; with it the free occurrences are booked and the clashes listed.
    """
    policy = clinic_policy(ctx)
    kind = find_type(ctx, request.type_name)
    _check_first_start(request)
    booking._require_patient_id(request.patient_id)
    return booking.in_one_transaction(
        ctx,
        lambda uow: _book_in(
            ctx, uow, policy, kind, request, starts, repeat, skip_clashes=skip_clashes
        ),
    )


def book_new_patient_series(
    ctx: ServiceContext,
    details: PatientDetails,
    request: BookingRequest,
    starts: list[datetime],
    repeat: Repeat,
    *,
    allow_duplicate: bool = False,
    skip_clashes: bool = False,
) -> SeriesResult:
    """Add a new patient and book their series (the desk's "New patient" + a repeat) in one
    transaction, as booking.book_new_patient does for one booking: a series refused, or a
    crash, leaves no patient behind (and a patient is never left without the series).

    `request.patient_id` is ignored (the new record's id is booked). Raises
    patients.DuplicatePatient as add_patient does, unless `allow_duplicate`.
    """
    clean = patients.checked_details(ctx, details)
    # Loaded now, so that an unknown type is refused before anything is written.
    policy = clinic_policy(ctx)
    kind = find_type(ctx, request.type_name)
    _check_first_start(request)

    def work(uow: UnitOfWork) -> SeriesResult:
        added = patients.add_in(ctx, uow, clean, allow_duplicate=allow_duplicate)
        mine = replace(request, patient_id=added.id)
        return _book_in(ctx, uow, policy, kind, mine, starts, repeat, skip_clashes=skip_clashes)

    return booking.in_one_transaction(ctx, work)


def _check_first_start(request: BookingRequest) -> None:
    if request.start.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")


def _book_in(
    ctx: ServiceContext,
    uow: UnitOfWork,
    policy: ClinicPolicy,
    kind: AppointmentType,
    request: BookingRequest,
    starts: list[datetime],
    repeat: Repeat,
    *,
    skip_clashes: bool,
) -> SeriesResult:
    """Book the series inside the caller's writing unit of work (the caller commits)."""
    booked, planned = _plan(ctx, uow, policy, kind, request, starts, write=True)
    clashes = [p for p in planned if not p.free]
    if clashes and not skip_clashes:
        dates = ", ".join(
            f"{day_label(to_local(c.start, policy.timezone).date(), year=True)} ({c.clash})"
            for c in clashes
        )
        raise InvalidRequest("start", f"the series clashes on {dates}")
    if not booked:
        raise InvalidRequest("start", "no occurrence of the series is free")
    series_id = series_rows.add_series(
        uow.session, str(repeat), ctx.actor, ctx.clock(), [item.id for item in booked]
    )
    for item in booked:
        uow.emit(
            AppointmentBooked(
                item.id,
                item.doctor_id,
                item.patient_id,
                item.start.isoformat(),
                item.end.isoformat(),
            )
        )
        uow.audit(
            "appointment.booked",
            f"appointment {item.id}",
            doctor_id=item.doctor_id,
            start=item.start.isoformat(),
            type=kind.name,
            series_id=series_id,
        )
    uow.touches("appointments")
    return SeriesResult(series_id, booked, clashes)


def cancel_following(ctx: ServiceContext, appointment_id: int) -> list[BookedAppointment]:
    """Cancel this appointment and every later live one of its series (just this one when it
    is not part of a series), in one transaction."""
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        booking._live_appointment(session, appointment_id)  # refuses unknown or cancelled
        ids = series_rows.following(session, appointment_id) or [appointment_id]
        type_names = {k.id: k.name for k in booking.appointment_types(ctx)}
        cancelled = []
        for row_id in ids:
            row = series_rows.cancel(session, row_id, ctx.clock())
            reopen_recalls_for(uow, row.id)  # as booking.cancel_appointment does
            uow.emit(AppointmentCancelled(row.id, row.patient_id, row.start.isoformat()))
            uow.audit("appointment.cancelled", f"appointment {row.id}", start=row.start.isoformat())
            cancelled.append(
                BookedAppointment(
                    row.id,
                    row.doctor_id,
                    row.patient_id,
                    type_names.get(row.type_id, str(row.type_id)),
                    row.start,
                    row.end,
                    row.status,
                )
            )
        uow.touches("appointments")
        uow.commit()
        return cancelled


def following_ids(ctx: ServiceContext, appointment_id: int) -> list[int]:
    """This appointment and the later booked ones of its series, in order ([] when it is not
    part of a series)."""
    with UnitOfWork(ctx) as uow:
        return series_rows.following(uow.session, appointment_id)


def _start_of(uow: UnitOfWork, appointment_id: int) -> datetime:
    """The live appointment's start (refused as booking refuses it: unknown or cancelled)."""
    booking._live_appointment(uow.session, appointment_id)
    row = series_rows.appointment(uow.session, appointment_id)
    assert row is not None
    return row.start


def move_following(
    ctx: ServiceContext, appointment_id: int, new_start: datetime
) -> list[BookedAppointment]:
    """Move this occurrence to `new_start` and every later one by the same number of days, to
    the same clinic-local time, all in one transaction: one clash refuses them all, naming
    its date."""
    policy = clinic_policy(ctx)
    if new_start.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")

    def attempt(_tries: int) -> list[BookedAppointment]:
        with UnitOfWork(ctx, write=True) as uow:
            ids = series_rows.following(uow.session, appointment_id) or [appointment_id]
            old_local = to_local(_start_of(uow, appointment_id), policy.timezone)
            new_local = to_local(new_start, policy.timezone)
            shift = new_local.date() - old_local.date()
            plans = []
            for row_id in ids:
                day = to_local(_start_of(uow, row_id), policy.timezone).date() + shift
                plans.append((row_id, local_instant(day, new_local.time(), policy.timezone)))
            # Later ones first when moving forward (and earlier first when back), so no
            # occurrence lands on a sibling that has not moved yet.
            order = list(reversed(plans)) if shift.days > 0 else plans
            moved = []
            for row_id, start in order:
                try:
                    moved.append(booking.move_in(ctx, uow, policy, row_id, start, None))
                except InvalidRequest as exc:
                    when = to_local(start, policy.timezone)
                    raise InvalidRequest(exc.field, f"{when:%Y-%m-%d %H:%M}: {exc.reason}") from exc
            uow.commit()
            return sorted(moved, key=lambda b: b.start)

    return booking._with_retries(ctx, attempt)
