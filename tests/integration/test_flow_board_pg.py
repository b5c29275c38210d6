"""PostgreSQL holds a receptionist's own login to the flow board's steps (revision 0020): the
new moves go through, a move outside the flow is refused by the server even with SQL typed by
hand, and the status guard keeps its pinned search_path."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from montu_desktop.domain.model import AppointmentStatus as S
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services.booking import BookingRequest, book_appointment, set_status
from montu_desktop.services.patients import add_patient
from tests.integration.test_security_pg import (  # noqa: F401  (the fixtures)
    TUESDAY,
    Clinic,
    _refused,
    clinic,
    scram,
)
from tests.support.clinic import at

pytestmark = pytest.mark.postgres


def test_a_receptionist_moves_patients_along_the_flow_and_the_server_refuses_a_jump(
    clinic: Clinic,  # noqa: F811
) -> None:
    desk = clinic.reception
    patient = add_patient(desk, PatientDetails("Ava", "Singh"))
    seen = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id)).id
    left = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 10), patient.id)).id
    clinic.clock.now = at(TUESDAY, 8, 55)
    for status in (S.ARRIVED, S.CALLED_IN, S.IN_CONSULTATION, S.COMPLETED, S.IN_CONSULTATION):
        assert set_status(desk, seen, status).status == status.value
    clinic.clock.now = at(TUESDAY, 9, 30)
    set_status(desk, left, S.ARRIVED)
    gone = set_status(desk, left, S.DID_NOT_WAIT)
    assert gone.status == "did_not_wait" and gone.left_at == at(TUESDAY, 9, 30)
    assert set_status(desk, left, S.ARRIVED).left_at is None  # undo

    engine = clinic.engine(clinic.reception_name)
    try:
        # Around the app: a did-not-wait jumped to completed, a booked patient "in consultation".
        set_status(desk, left, S.DID_NOT_WAIT)
        refusal = _refused(
            engine, "UPDATE appointment SET status = 'completed' WHERE id = :i", i=left
        )
        assert "did_not_wait cannot become completed" in refusal
        set_status(desk, left, S.BOOKED)
        refusal = _refused(
            engine, "UPDATE appointment SET status = 'in_consultation' WHERE id = :i", i=left
        )
        assert refusal.startswith("42501") and "booked cannot become in_consultation" in refusal
        refusal = _refused(engine, "UPDATE appointment SET status = 'seen' WHERE id = :i", i=left)
        assert "ck_appointment_status" in refusal
        with engine.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM appointment WHERE id = :i"), {"i": left}
            ).scalar_one()
        assert status == "booked"
    finally:
        engine.dispose()
    with clinic.owner.database.engine.connect() as conn:
        config = conn.execute(
            text(
                "SELECT p.proconfig FROM pg_catalog.pg_proc p"
                " WHERE p.proname = 'montu_require_outbox'"
            )
        ).scalar_one()
    assert config == ["search_path=pg_catalog, pg_temp"]
