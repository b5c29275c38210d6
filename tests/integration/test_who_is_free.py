"""Every door asks one question, "who is free at this time for this type", and gets one
answer: the booking dialog's list and fair-choice preview, the week grid's count,
Reschedule's options, and what booking and moving then accept or refuse (issue 25, item 2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services.admin.doctor_types import set_doctor_types
from montu_desktop.services.admin.holds import add_hold
from montu_desktop.services.admin.types import edit_type
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment, book_in, move_in
from montu_desktop.services.booking_view import choice_preview, free_doctors_at
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.move_options import move_options
from montu_desktop.services.reference import appointment_types, clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, new_patients, tiny_clinic

ZONE = "Australia/Melbourne"


def _open_day(ctx: ServiceContext) -> date:
    """The first day after today (by the context's clock) the clinic is open at 9."""
    today = to_local(ctx.clock(), ZONE).date()
    for ahead in range(1, 8):
        day = today + timedelta(days=ahead)
        if free_doctors_at(ctx, "Standard", at(day, 9)):
            return day
    raise AssertionError("the tiny clinic has no open day this week")


def _accepted(ctx: ServiceContext, work: Callable[[UnitOfWork], object]) -> bool:
    """Whether the use case accepts, run in a writing unit that is never committed."""
    try:
        with UnitOfWork(ctx, write=True) as uow:
            work(uow)
    except InvalidRequest:
        return False
    return True


def test_every_door_agrees_on_who_is_free(ctx: ServiceContext) -> None:
    a, b, c = tiny_clinic(ctx, doctors=3)  # open 9-12, everyone rostered throughout
    patient, other = new_patients(ctx, 2)
    day = _open_day(ctx)
    set_doctor_types(ctx, c, ["Long"])  # Dr C does not do Standard
    add_hold(ctx, b, day.weekday(), time(11), time(12))  # Dr B's 11-12 held for urgent
    moving = book_appointment(ctx, BookingRequest("Standard", at(day, 10), patient, a))
    book_appointment(ctx, BookingRequest("Standard", at(day, 10, 30), patient, b))
    policy = clinic_policy(ctx)
    offered = {o.start: {d.id for d in o.doctors} for o in move_options(ctx, moving.id, day, 1)}

    expected_free = {  # for a new booking; the moving appointment holds Dr A at 10
        at(day, 9): {a, b},
        at(day, 10): {b},
        at(day, 10, 30): {a},
        at(day, 11): {a},
        at(day, 11, 30): {a},
    }
    week = week_availability(ctx, "Standard", day)
    urgent_week = week_availability(ctx, "Standard", day, urgent=True)
    for start, free in expected_free.items():
        assert {d.id for d in free_doctors_at(ctx, "Standard", start)} == free, start
        slot = week.slot_at(start)
        assert slot is not None and slot.free_doctors == len(free), start  # the week grid
        preview = choice_preview(ctx, "Standard", start)
        assert preview is not None and {x.doctor_id for x in preview.candidates} == free
        assert preview.doctor_id in free
        for doctor in (a, b, c):
            booking = BookingRequest("Standard", start, other, doctor)
            assert _accepted(ctx, lambda uow, r=booking: book_in(ctx, uow, r)) == (
                doctor in free
            ), (start, doctor)

    # Urgent: the held time is free, for the list, the preview and the booking alike.
    urgent_free = {d.id for d in free_doctors_at(ctx, "Standard", at(day, 11), urgent=True)}
    assert urgent_free == {a, b}
    urgent_slot = urgent_week.slot_at(at(day, 11))
    assert urgent_slot is not None and urgent_slot.free_doctors == len(urgent_free)
    urgent_preview = choice_preview(ctx, "Standard", at(day, 11), urgent=True)
    assert urgent_preview is not None
    assert {x.doctor_id for x in urgent_preview.candidates} == urgent_free
    urgent = BookingRequest("Standard", at(day, 11), other, b, urgent=True)
    assert _accepted(ctx, lambda uow: book_in(ctx, uow, urgent))

    # Reschedule: never its own time, never the patient's other appointment, never Dr C,
    # never Dr B's held time; the moving appointment frees Dr A at 10 for the others' times.
    assert at(day, 10) not in offered and at(day, 10, 30) not in offered
    assert offered[at(day, 9)] == {a, b}
    assert offered[at(day, 11)] == {a}
    assert all(c not in doctors for doctors in offered.values())
    for start in expected_free:
        for doctor in (a, b, c):
            move_accepted = _accepted(
                ctx,
                lambda uow, s=start, d=doctor: move_in(ctx, uow, policy, moving.id, s, d),
            )
            if start in offered:
                assert move_accepted == (doctor in offered[start]), (start, doctor)
            elif start != moving.start:  # its own time is a no-op, never offered
                assert not move_accepted, (start, doctor)

    # A type no longer offered: its booked appointments may still move, and are offered
    # the same times.
    standard = next(k for k in appointment_types(ctx) if k.name == "Standard")
    edit_type(ctx, standard.id, "Standard", 15, standard.colour, False)
    retired = {o.start: {d.id for d in o.doctors} for o in move_options(ctx, moving.id, day, 1)}
    assert retired == offered
