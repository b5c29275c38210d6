"""PostgreSQL with staff logins: a receptionist's own login adds recalls, and its bookings
close them (and its cancellations reopen them) in the booking's own transaction."""

from __future__ import annotations

import pytest

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import recalls
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.patients import add_patient
from tests.integration.test_security_pg import TUESDAY, Clinic, clinic, scram  # noqa: F401
from tests.support.clinic import at

pytestmark = pytest.mark.postgres


def test_a_receptionist_adds_books_and_closes_recalls(clinic: Clinic) -> None:  # noqa: F811
    desk = clinic.reception
    patient = add_patient(desk, PatientDetails("Mei", "Ahmed", phone="0412 345 678"))
    made = recalls.add_recall(desk, patient.id, TUESDAY, "review", type_name="Standard")
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    assert recalls.get_recall(desk, made.id).appointment_id == booked.id
    cancel_appointment(desk, booked.id)
    assert recalls.get_recall(desk, made.id).status == "due"
    assert recalls.cancel_recall(desk, made.id).status == "cancelled"
    assert [r.id for r in recalls.list_recalls(clinic.manager, include_closed=True)] == [made.id]
