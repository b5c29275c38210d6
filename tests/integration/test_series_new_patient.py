"""A series for a new patient is one transaction: the patient and the series commit together."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.series import Repeat
from montu_desktop.domain.wording import day_label
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.services import patients, series
from montu_desktop.services.booking import NO_PATIENT_YET, BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic

WEEKLY = Repeat.parse("weekly")


def _next_tuesday(ctx: ServiceContext) -> date:
    today = to_local(ctx.clock(), "Australia/Melbourne").date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def _counts(ctx: ServiceContext) -> tuple[int, int, int]:
    """(patients, appointments of every status, series) stored."""
    with UnitOfWork(ctx) as uow:
        return tuple(  # type: ignore[return-value]
            uow.session.scalar(select(func.count()).select_from(table))
            for table in (t.Patient, t.Appointment, st.AppointmentSeries)
        )


def test_a_new_patients_series_refused_later_on_leaves_no_patient_behind(ctx) -> None:
    tiny_clinic(ctx, doctors=1)
    (other,) = new_patients(ctx, 1)
    tuesday = _next_tuesday(ctx)
    third = at(tuesday + timedelta(weeks=2), 10)
    book_appointment(ctx, BookingRequest("Long", third, other))
    request = BookingRequest("Long", at(tuesday, 10), NO_PATIENT_YET)
    starts = series.series_starts(ctx, request.start, WEEKLY, count=3)
    newcomer = PatientDetails("Zoe", "Newcomer", phone="0412 345 678")
    before = _counts(ctx)

    with pytest.raises(InvalidRequest) as refused:
        series.book_new_patient_series(ctx, newcomer, request, starts, WEEKLY)
    third_day = day_label(tuesday + timedelta(weeks=2), year=True)
    assert refused.value.field == "start" and third_day in refused.value.reason
    # The first two occurrences were inserted before the third was refused: all rolled back.
    assert _counts(ctx) == before
    assert patients.find_patients(ctx, "newcomer") == []

    # Booking the free ones and listing the clash (the series' own rule): the patient and
    # the booked occurrences commit together.
    result = series.book_new_patient_series(
        ctx, newcomer, request, starts, WEEKLY, skip_clashes=True
    )
    (added,) = patients.find_patients(ctx, "newcomer")
    assert [b.patient_id for b in result.appointments] == [added.id, added.id]
    assert [b.start for b in result.appointments] == starts[:2]
    assert [c.start for c in result.clashes] == [third]
    assert _counts(ctx) == (before[0] + 1, before[1] + 2, before[2] + 1)
    assert appointment_count(ctx) == 3
