"""PostgreSQL staff logins: a receptionist's login (as `serve` may use) handles replies and
receipts with the grants of revision 0016, and cannot have a made-up answer sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.notifications.records import NotificationRow
from montu_desktop.services import clinic_settings, notifications, sms_replies
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.patients import add_patient
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.integration.test_security_pg import Clinic, _refused, clinic, scram  # noqa: F401
from tests.support.clinic import at

pytestmark = pytest.mark.postgres


def _text(ctx, sender: str, body: str, sid: str) -> sms_replies.ReplyView:  # type: ignore[no-untyped-def]
    fields = [("MessageSid", sid), ("From", sender), ("To", "+61400000000"), ("Body", body)]
    return sms_replies.receive_reply(ctx, fields)


def test_a_receptionists_login_handles_replies_and_receipts(clinic: Clinic) -> None:  # noqa: F811
    clinic_settings.set_settings(
        clinic.manager, {"sms.two_way": "on", "online.cancel_notice_hours": "72"}
    )
    desk = clinic.reception
    today = to_local(desk.clock(), "Australia/Melbourne").date()
    soon_day = today + timedelta(days=1)
    while soon_day.weekday() == 6:
        soon_day += timedelta(days=1)
    far_day = soon_day + timedelta(days=7)
    late = add_patient(desk, PatientDetails("Lee", "Late", phone="0412 000 301")).id
    sure = add_patient(desk, PatientDetails("Yul", "Sure", phone="0412 000 302")).id
    gone = add_patient(desk, PatientDetails("Cy", "Gone", phone="0412 000 303")).id
    soon = book_appointment(desk, BookingRequest("Standard", at(soon_day, 9), late)).id
    kept = book_appointment(desk, BookingRequest("Standard", at(far_day, 9), sure)).id
    book_appointment(desk, BookingRequest("Standard", at(far_day, 10), gone))

    assert _text(desk, "+61412000301", "C", "SMa").outcome == "too late to cancel"
    assert _text(desk, "+61412000302", "Y", "SMb").outcome == "confirmed"
    assert _text(desk, "+61412000303", "cancel", "SMc").outcome == "cancelled"
    assert _text(desk, "+61412000303", "STOP", "SMd").outcome == "opted out"
    sms_replies.mark_read(desk, _text(desk, "+61412000302", "thanks!", "SMe").id)

    notifications.dispatch_now(clinic.owner)  # plans the messages (SMS is not set up here)
    with UnitOfWork(clinic.owner, write=True) as uow:  # as if the dispatcher had sent them
        uow.session.execute(
            update(NotificationRow)
            .where(NotificationRow.appointment_id == kept, NotificationRow.kind == "confirmation")
            .values(status="sent", provider_ref="SMsent1")
        )
        uow.commit()
    fields = [("MessageSid", "SMsent1"), ("MessageStatus", "delivered")]
    assert sms_replies.record_receipt(desk, fields) == "delivered"
    with UnitOfWork(desk) as uow:
        assert set(
            uow.session.scalars(
                select(NotificationRow.delivery).where(NotificationRow.provider_ref == "SMsent1")
            )
        ) == {"delivered"}

    # A made-up "too late to cancel" answer, with no reply stored with it, is refused.
    engine = clinic.engine(clinic.reception_name)
    try:
        refusal = _refused(
            engine,
            "INSERT INTO outbox_event (name, payload, created_at) VALUES ('sms.late_cancel',"
            " CAST(:p AS json), now())",
            p=f'{{"appointment_id": {soon}, "patient_id": {late}, "start": "x"}}',
        )
        assert "does not match a reply stored with it" in refusal
    finally:
        engine.dispose()
