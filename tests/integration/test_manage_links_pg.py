"""PostgreSQL: the dispatcher's own login adds a message's manage link, and `serve` under a
reception login finds the booking by it (the grants of revision 0018)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.engine import Database
from montu_desktop.services import manage
from montu_desktop.services import notifications as notif
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_security_pg import (  # noqa: F401  (fixtures)
    PASSWORD,
    TUESDAY,
    Clinic,
    _refused,
    clinic,
    scram,
)
from tests.support import pg_logins
from tests.support.clinic import at
from tests.support.notif_fixtures import sms_server, smtp_server, wire_settings  # noqa: F401

pytestmark = pytest.mark.postgres


def test_the_dispatcher_login_adds_the_link_and_reception_finds_it(
    clinic: Clinic,  # noqa: F811
    smtp_server,  # noqa: F811
    sms_server,  # noqa: F811
) -> None:
    wire_settings(
        clinic.manager,
        smtp_server,
        sms_server,
        **{
            "online.public_url": "https://book.clinic.example",
            "template.confirmation.email": "See you {date} at {time}. {manage_link}",
        },
    )
    worker = pg_logins.unique_name("worker")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE ROLE {worker} LOGIN PASSWORD '{PASSWORD}' IN ROLE montu_dispatcher")
        )
    admin.dispose()
    patient = add_patient(clinic.reception, PatientDetails("Di", "Eng", email="di@example.com"))
    booked = book_appointment(
        clinic.reception, BookingRequest("Standard", at(TUESDAY, 9), patient.id)
    )
    as_worker = ServiceContext(Database(clinic.url(worker)), clock=clinic.clock, actor=worker)
    try:
        assert notif.dispatch_now(as_worker)["sent"] >= 1
    finally:
        as_worker.database.dispose()
    [email] = smtp_server.messages
    found = re.search(r"/manage/([A-Za-z0-9_-]{40,})", email.get_body().get_content())
    assert found
    shown = manage.live(clinic.reception, found.group(1))
    assert shown.appointment_id == booked.id
    # Only the dispatcher adds links: a receptionist's login cannot make one up.
    engine = clinic.engine(clinic.reception_name)
    try:
        refusal = _refused(
            engine,
            "INSERT INTO manage_link (token_hash, appointment_id, created_at) "
            "VALUES ('x', :id, now())",
            id=booked.id,
        )
    finally:
        engine.dispose()
    assert refusal.startswith("42501 ")
