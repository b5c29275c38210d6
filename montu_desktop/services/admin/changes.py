"""Runs a settings change: preview the bookings it strands, or apply it with the schedules rebuilt.

The change itself is made in a writing transaction; a preview plans the schedules from the
changed rows and then rolls everything back, so the preview and the real change use one code
path and cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.impact import Booking, Stranded, find_stranded
from montu_desktop.domain.model import AppointmentStatus, Roster, epoch, from_epoch
from montu_desktop.persistence import admin_rows
from montu_desktop.services.admin.planning import (
    PlanInputs,
    future_range,
    load_inputs,
    plan,
    write_schedules,
)
from montu_desktop.services.booking import reschedule_appointment
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.moves import record_move
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class StrandedBooking:
    """A future booking the change leaves without its doctor, and who could take it instead."""

    appointment_id: int
    start: datetime
    end: datetime
    doctor_id: int
    doctor_name: str
    type_name: str
    patient_name: str
    offer_doctor_id: int | None
    offer_doctor_name: str | None


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What a change did (or would do): applied or only previewed, and the bookings it strands."""

    applied: bool
    stranded: list[StrandedBooking] = field(default_factory=list)
    moved: list[StrandedBooking] = field(default_factory=list)
    """Stranded bookings given to their offered doctor (when the manager asked for that)."""


Mutation = Callable[["Session"], None]
AfterConfirm = Callable[["Session", set[int]], list[int]]
"""Called with the ids of bookings still stranded; returns ids of any more it had to leave."""


def run_change(
    ctx: ServiceContext,
    mutate: Mutation,
    *,
    action: str,
    subject: str,
    confirm: bool,
    details: dict[str, object] | None = None,
    on_confirm: AfterConfirm | None = None,
    new_lengths: dict[int, int] | None = None,
    reassign: bool = False,
) -> ChangeOutcome:
    """Apply `mutate`, list what it strands; commit (schedules rebuilt, audited) only if confirmed.

    With `reassign`, each stranded booking that has an offer moves to that doctor in the same
    transaction; the others stay booked as they are and are returned to be dealt with.
    """
    require_manager(ctx, "change the clinic settings")
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        mutate(session)
        session.flush()
        after = load_inputs(session)
        today = to_local(ctx.clock(), after.policy.timezone).date()
        first, last = future_range(session, after, today)
        stranded = stranded_bookings(ctx, session, after, first, last, new_lengths or {})
        if not confirm:
            return ChangeOutcome(False, stranded)
        write_schedules(session, after, first, last)
        moved = [s for s in stranded if reassign and s.offer_doctor_id is not None]
        for item in moved:
            _give_to_offer(ctx, uow, item)
        still = [s for s in stranded if s not in moved]
        if on_confirm is not None:
            left = on_confirm(session, {s.appointment_id for s in still})
            if left:
                still += _describe(
                    session,
                    [Stranded(Booking(i, 0, 0, 0), None) for i in left],
                    admin_rows.appointments(session, left),
                )
        uow.audit(action, subject, **(details or {}))
        uow.touches("reference")
        uow.commit()
        return ChangeOutcome(True, still, moved)


def _give_to_offer(ctx: ServiceContext, uow: UnitOfWork, item: StrandedBooking) -> None:
    assert item.offer_doctor_id is not None
    row = admin_rows.give_to_doctor(
        uow.session, item.appointment_id, item.offer_doctor_id, ctx.clock()
    )
    record_move(
        uow,
        row,
        old_start=row.start_at,
        old_doctor_id=item.doctor_id,
        action="appointment.reassigned",
    )


def stranded_bookings(
    ctx: ServiceContext,
    session: Session,
    inputs: PlanInputs,
    first: date,
    last: date,
    new_lengths: dict[int, int],
) -> list[StrandedBooking]:
    """Live future bookings in [first, last] the planned roster no longer holds.

    `new_lengths` (type id → minutes) makes bookings of those types that long first.
    """
    _, blocks, extras = plan(inputs, first, last)
    roster = Roster.from_blocks([*blocks, *extras])
    zone = inputs.policy.timezone
    now = ctx.clock()
    until = local_instant(last + timedelta(days=1), datetime.min.time(), zone)
    rows = admin_rows.appointments_with_status(session, AppointmentStatus.BOOKED.value, now, until)
    bookings = [
        Booking(
            id_,
            doctor,
            epoch(start),
            epoch(start) + new_lengths[type_id] * 60 if type_id in new_lengths else epoch(end),
            type_id,
        )
        for id_, doctor, type_id, start, end in rows
    ]
    found = find_stranded(
        bookings, roster, ctx.rng, set(inputs.bookable), inputs.skipped_by_doctor()
    )
    if not found:
        return []
    return _describe(session, found, {r[0]: r for r in rows})


def _describe(session: Session, found, rows) -> list[StrandedBooking]:  # type: ignore[no-untyped-def]
    doctor_names = admin_rows.doctor_names(session)
    type_names = admin_rows.type_names(session)
    patients = admin_rows.patient_names(session, [item.booking.id for item in found])
    result = []
    for item in found:
        booking = item.booking
        row = rows[booking.id]
        if not booking.doctor_id:  # described from its row alone
            booking = Booking(row[0], row[1], epoch(row[3]), epoch(row[4]))
        result.append(
            StrandedBooking(
                appointment_id=booking.id,
                start=row[3],
                end=from_epoch(booking.end),
                doctor_id=booking.doctor_id,
                doctor_name=doctor_names.get(booking.doctor_id, "?"),
                type_name=type_names.get(row[2], "?"),
                patient_name=patients.get(booking.id, ""),
                offer_doctor_id=item.offer,
                offer_doctor_name=doctor_names.get(item.offer) if item.offer else None,
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class MoveResult:
    appointment_id: int
    moved_to: int | None
    problem: str = ""


def move_bookings(ctx: ServiceContext, moves: Iterable[tuple[int, int]]) -> list[MoveResult]:
    """Give each (appointment, doctor) pair's booking to that doctor at the same time."""
    require_manager(ctx, "give bookings to another doctor")
    results = []
    for appointment_id, doctor_id in moves:
        with UnitOfWork(ctx) as uow:
            start = admin_rows.appointment_start(uow.session, appointment_id)
        if start is None:
            results.append(MoveResult(appointment_id, None, "no such appointment"))
            continue
        try:
            reschedule_appointment(ctx, appointment_id, start, doctor_id)
        except MontuError as exc:
            results.append(MoveResult(appointment_id, None, str(exc)))
        else:
            results.append(MoveResult(appointment_id, doctor_id))
    return results
