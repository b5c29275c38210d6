"""Booking, cancelling and rescheduling through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, time

import pytest
from sqlalchemy import select

from montu_desktop.domain.errors import (
    InvalidRequest,
    NoSchedule,
    NotFound,
    PatientDoubleBooked,
    SlotTaken,
)
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import tables as t
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_status,
)
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import (
    appointment_count,
    at,
    new_patients,
    offered_slots,
    outbox_names,
    overlapping_pairs,
    tiny_clinic,
)

TUESDAY = date(2026, 11, 24)


def test_booking_creates_the_appointment_and_its_outbox_event_together(ctx) -> None:
    doctors = tiny_clinic(ctx)
    (patient,) = new_patients(ctx, 1)
    booked = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), patient))
    assert booked.doctor_id in doctors
    assert booked.end - booked.start == (at(TUESDAY, 9, 30) - at(TUESDAY, 9))
    assert outbox_names(ctx) == ["appointment.booked"]
    with UnitOfWork(ctx) as uow:
        row = uow.session.get(t.Appointment, booked.id)
        assert row.created_by == "test" and row.status == "booked"
        assert row.start_at == at(TUESDAY, 9)


def test_availability_counts_fall_as_doctors_are_booked(ctx) -> None:
    tiny_clinic(ctx, doctors=2)
    patients = new_patients(ctx, 3)
    slot_before = week_availability(ctx, "Long", TUESDAY).slot_at(at(TUESDAY, 10))
    assert slot_before.free_doctors == 2
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), patients[0]))
    assert week_availability(ctx, "Long", TUESDAY).slot_at(at(TUESDAY, 10)).free_doctors == 1
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), patients[1]))
    after = week_availability(ctx, "Long", TUESDAY)
    assert after.slot_at(at(TUESDAY, 10)).free_doctors == 0
    assert after.slot_at(at(TUESDAY, 9, 45)).free_doctors == 0  # 09:45-10:15 would overlap
    assert after.slot_at(at(TUESDAY, 9, 30)).free_doctors == 2
    with pytest.raises(SlotTaken):
        book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), patients[2]))
    assert appointment_count(ctx) == 2


def test_fair_choice_spreads_bookings_over_equally_free_doctors(ctx) -> None:
    doctors = tiny_clinic(ctx, doctors=3)
    patients = new_patients(ctx, 6)
    chosen = Counter()
    for i, patient in enumerate(patients):
        chosen[
            book_appointment(
                ctx, BookingRequest("Standard", at(TUESDAY, 9, 15 * i), patient)
            ).doctor_id
        ] += 1
    assert set(chosen) == set(doctors)  # least-loaded first: every doctor gets two
    assert set(chosen.values()) == {2}


def test_a_refused_booking_changes_nothing(ctx) -> None:
    tiny_clinic(ctx)
    (patient,) = new_patients(ctx, 1)
    book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), patient))
    with pytest.raises(PatientDoubleBooked):
        book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 9, 15), patient))
    for request, field in [
        (BookingRequest("Long", at(TUESDAY, 9, 5), patient), "start"),
        (BookingRequest("Long", at(TUESDAY, 8), patient), "start"),
        (BookingRequest("Long", at(TUESDAY, 11, 45), patient), "start"),
        (BookingRequest("Long", at(date(2026, 11, 22), 10), patient), "start"),
        (BookingRequest("Nope", at(TUESDAY, 10), patient), "type"),
        (BookingRequest("Long", at(TUESDAY, 10), 999), "patient"),
        (BookingRequest("Long", at(TUESDAY, 10), patient, doctor_id=999), "doctor"),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            book_appointment(ctx, request)
        assert refused.value.field == field
    assert appointment_count(ctx) == 1
    assert outbox_names(ctx) == ["appointment.booked"]


def test_sunday_is_closed_and_a_week_without_schedule_is_refused(ctx) -> None:
    tiny_clinic(ctx)
    (patient,) = new_patients(ctx, 1)
    with pytest.raises(InvalidRequest, match="closed"):
        book_appointment(ctx, BookingRequest("Long", at(date(2026, 11, 29), 10), patient))
    with pytest.raises(NoSchedule) as refused:
        week_availability(ctx, "Long", date(2027, 6, 1))
    assert refused.value.field == "week"
    with pytest.raises(NotFound):
        week_availability(ctx, "Massage", TUESDAY)


def test_a_past_or_too_far_day_without_hours_is_refused_for_that_not_for_its_hours(ctx) -> None:
    tiny_clinic(ctx)
    (patient,) = new_patients(ctx, 1)
    last_week, far_ahead = date(2026, 11, 17), date(2027, 6, 1)  # both unscheduled
    for day, reason in ((last_week, "in the past"), (far_ahead, "beyond the clinic's booking")):
        with pytest.raises(InvalidRequest, match=reason) as refused:
            book_appointment(ctx, BookingRequest("Long", at(day, 10), patient))
        assert refused.value.field == "start" and not isinstance(refused.value, NoSchedule)
    assert appointment_count(ctx) == 0


def test_the_requested_doctor_gets_the_booking(ctx) -> None:
    doctors = tiny_clinic(ctx, doctors=3)
    (patient,) = new_patients(ctx, 1)
    booked = book_appointment(
        ctx, BookingRequest("Long", at(TUESDAY, 9), patient, doctor_id=doctors[2])
    )
    assert booked.doctor_id == doctors[2]


def test_cancel_frees_the_time_and_writes_an_event(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    a, b = new_patients(ctx, 2)
    first = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), a))
    with pytest.raises(SlotTaken):
        book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), b))
    cancel_appointment(ctx, first.id)
    assert book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), b)).id != first.id
    with pytest.raises(InvalidRequest, match="already cancelled"):
        cancel_appointment(ctx, first.id)
    assert outbox_names(ctx) == [
        "appointment.booked",
        "appointment.cancelled",
        "appointment.booked",
    ]


def test_reschedule_keeps_the_doctor_when_free_and_refuses_a_clash(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    a, b = new_patients(ctx, 2)
    first = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), a))
    second = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 10), b))
    moved = reschedule_appointment(ctx, first.id, at(TUESDAY, 9, 15))  # overlaps only itself
    assert (moved.start, moved.doctor_id) == (at(TUESDAY, 9, 15), first.doctor_id)
    with pytest.raises(SlotTaken):
        reschedule_appointment(ctx, first.id, at(TUESDAY, 9, 45))
    assert reschedule_appointment(ctx, second.id, at(date(2026, 11, 25), 11)).start == at(
        date(2026, 11, 25), 11
    )
    assert outbox_names(ctx).count("appointment.rescheduled") == 2
    assert overlapping_pairs(ctx) == 0


def test_status_moves_follow_the_visit(ctx, clock) -> None:
    tiny_clinic(ctx, doctors=1)
    (patient,) = new_patients(ctx, 1)
    booked = book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), patient))
    clock.now = at(TUESDAY, 8, 30)  # arrived only on the day (issue 11)
    assert set_status(ctx, booked.id, AppointmentStatus.ARRIVED).status == "arrived"
    assert set_status(ctx, booked.id, AppointmentStatus.COMPLETED).status == "completed"
    with pytest.raises(InvalidRequest) as refused:
        set_status(ctx, booked.id, AppointmentStatus.NO_SHOW)
    assert refused.value.field == "status"


def test_booking_every_offered_slot_until_none_is_left_never_overlaps(ctx) -> None:
    tiny_clinic(ctx, doctors=2, hours=(time(9), time(11)))
    patients = iter(new_patients(ctx, 60))
    kinds = ["Procedure", "Long", "Standard"]
    booked = 0
    for kind in kinds:
        while slots := offered_slots(ctx, kind, TUESDAY):
            book_appointment(ctx, BookingRequest(kind, slots[0].starts_at, next(patients)))
            booked += 1
            if booked > 200:
                raise AssertionError("availability never ran out")
    assert overlapping_pairs(ctx) == 0
    week = week_availability(ctx, "Standard", TUESDAY)
    assert all(s.free_doctors == 0 for d in week.days for s in d.slots)
    with UnitOfWork(ctx) as uow:
        minutes = sum(
            (e - s).total_seconds() / 60
            for s, e in uow.session.execute(select(t.Appointment.start_at, t.Appointment.end_at))
        )
    assert minutes == 2 * 2 * 60 * 6  # both doctors fully booked, 2 hours a day, Mon-Sat
