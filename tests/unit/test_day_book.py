"""The day book's read side: who works, when, and every live appointment of the day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.booking_view import free_doctors_at, nearest_free_slots
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.patients import add_patient

ZONE = "Australia/Melbourne"
TUESDAY = date(2026, 11, 24)


def _patient(ctx: ServiceContext, given: str = "Ada") -> int:
    return add_patient(
        ctx, PatientDetails(given, "Lovelace", phone="0412 345 678"), allow_duplicate=True
    ).id


def test_day_book_lists_live_appointments_with_names_types_and_hours(ctx: ServiceContext) -> None:
    create_demo_clinic(ctx, doctors=3, weeks=1, seed=3, fill=0.0)
    patient = _patient(ctx)
    start = local_instant(TUESDAY, datetime.min.time().replace(hour=10), ZONE)
    kept = book_appointment(ctx, BookingRequest("Long", start, patient))
    other = _patient(ctx, "Grace")
    dropped = book_appointment(ctx, BookingRequest("Standard", start, other))
    cancel_appointment(ctx, dropped.id)

    book = day_book(ctx, TUESDAY)

    assert [e.id for e in book.appointments] == [kept.id]
    entry = book.appointments[0]
    assert entry.patient_name == "Ada Lovelace"
    assert entry.type_name == "Long" and entry.minutes == 30
    assert entry.start == kept.start and entry.status is AppointmentStatus.BOOKED
    assert entry.doctor_id in {d.id for d in book.doctors}
    assert all(book.hours[d.id] for d in book.doctors)
    assert book.clinic_day.is_open


def test_closed_day_has_no_doctors_or_appointments(sqlite_ctx: ServiceContext) -> None:
    create_demo_clinic(sqlite_ctx, doctors=2, weeks=1, seed=3, fill=0.5)
    sunday = date(2026, 11, 29)
    book = day_book(sqlite_ctx, sunday)
    assert not book.clinic_day.is_open
    assert book.doctors == () and book.appointments == ()


def test_free_doctors_drop_the_one_just_booked(sqlite_ctx: ServiceContext) -> None:
    create_demo_clinic(sqlite_ctx, doctors=3, weeks=1, seed=3, fill=0.0)
    start = local_instant(TUESDAY, datetime.min.time().replace(hour=11), ZONE)
    before = free_doctors_at(sqlite_ctx, "Standard", start)
    booked = book_appointment(sqlite_ctx, BookingRequest("Standard", start, _patient(sqlite_ctx)))
    after = free_doctors_at(sqlite_ctx, "Standard", start)
    assert booked.doctor_id in {d.id for d in before}
    assert {d.id for d in after} == {d.id for d in before} - {booked.doctor_id}


def test_nearest_free_slots_are_free_and_close(sqlite_ctx: ServiceContext) -> None:
    create_demo_clinic(sqlite_ctx, doctors=2, weeks=1, seed=3, fill=0.6)
    near = local_instant(TUESDAY, datetime.min.time().replace(hour=10), ZONE)
    slots = nearest_free_slots(sqlite_ctx, "Standard", near, count=3)
    assert len(slots) == 3 and slots == sorted(slots)
    assert near not in slots
    for slot in slots:
        assert free_doctors_at(sqlite_ctx, "Standard", slot)
        assert abs(slot - near) < timedelta(days=7)
