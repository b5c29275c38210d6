"""PostgreSQL: a booking queues behind another desk's open booking of the same doctor or the
same patient (one round trip when nobody holds either lock), and says whose lock held it up."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import text

from montu_desktop.domain.errors import DeskBusy
from montu_desktop.persistence.booking_rows import _LOCK_DOCTOR, _LOCK_PATIENT
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic
from tests.support.clock import FixedClock

pytestmark = pytest.mark.postgres

TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("who", "lock_class"), [("doctor", _LOCK_DOCTOR), ("patient", _LOCK_PATIENT)]
)
def test_a_held_lock_makes_the_booking_wait_then_name_whose(
    pg_db: Database, clock: FixedClock, who: str, lock_class: int
) -> None:
    owner = ServiceContext(pg_db, clock=clock, rng=random.Random(1), actor="it")
    (doctor, _other) = tiny_clinic(owner)
    (patient,) = new_patients(owner, 1)
    desk = ServiceContext(
        Database(pg_db.url, lock_timeout_seconds=0.3), clock=clock, rng=random.Random(2), actor="d"
    )
    request = BookingRequest("Standard", at(TUESDAY, 9), patient, doctor_id=doctor)
    other_desk = pg_db.engine.connect()
    try:
        other_desk.execute(
            text("SELECT pg_advisory_xact_lock(:c, :i)"),
            {"c": lock_class, "i": doctor if who == "doctor" else patient},
        )
        with pytest.raises(DeskBusy) as refused:
            book_appointment(desk, request)
        assert refused.value.field == who
        assert appointment_count(owner) == 0
        other_desk.rollback()  # the other desk's booking ends: this desk gets through
        assert book_appointment(desk, request).doctor_id == doctor
    finally:
        other_desk.close()
        desk.database.dispose()
