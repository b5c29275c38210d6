"""The two-way SMS service without the HTTP layer: what a reply does in each case, the audit."""

from __future__ import annotations

from datetime import timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import booking, clinic_settings, patients, sms_replies
from montu_desktop.services.admin.audit import audit_log, plain_audit
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import at, outbox_names, tiny_clinic

ZONE = "Australia/Melbourne"


def _text(ctx: ServiceContext, sender: str, body: str, sid: str) -> sms_replies.ReplyView:
    fields = [("MessageSid", sid), ("From", sender), ("To", "+61400000000"), ("Body", body)]
    return sms_replies.receive_reply(ctx, fields)


def _clinic(ctx: ServiceContext, two_way: str = "on") -> tuple[int, int]:
    tiny_clinic(ctx)
    clinic_settings.set_settings(ctx, {"sms.two_way": two_way})
    who = patients.add_patient(ctx, PatientDetails("Ada", "Text", None, "0412 000 201")).id
    day = to_local(ctx.clock(), ZONE).date() + timedelta(days=7)
    while day.weekday() == 6:
        day += timedelta(days=1)
    booked = booking.book_appointment(ctx, BookingRequest("Standard", at(day, 9), who)).id
    return who, booked


def test_two_way_off_lists_every_reply_for_the_desk_and_acts_on_none(ctx: ServiceContext) -> None:
    who, booked = _clinic(ctx, "off")
    reply = _text(ctx, "0412 000 201", "C", "SM1")  # a national number is read as E.164 too
    assert reply.outcome == "two-way SMS off" and reply.needs_the_desk
    assert reply.patient_id == who and reply.patient_name == "Ada Text"
    assert patients.patient_record(ctx, who).upcoming[0].id == booked


def test_a_reply_with_no_upcoming_appointment_and_an_unknown_number(ctx: ServiceContext) -> None:
    _who, booked = _clinic(ctx)
    booking.cancel_appointment(ctx, booked)
    assert _text(ctx, "+61412000201", "Y", "SM1").outcome == "no appointment"
    stranger = _text(ctx, "+61499999999", "C", "SM2")
    assert stranger.outcome == "unknown number" and stranger.patient_id is None
    assert sms_replies.unread_count(ctx) == 2


def test_the_same_message_sid_acts_once(ctx: ServiceContext) -> None:
    who, _booked = _clinic(ctx)
    later = booking.book_appointment(
        ctx,
        BookingRequest(
            "Standard", at(to_local(ctx.clock(), ZONE).date() + timedelta(days=9), 10), who
        ),
    ).id
    first = _text(ctx, "+61412000201", "C", "SMsame")
    again = _text(ctx, "+61412000201", "C", "SMsame")
    assert first.id == again.id and first.outcome == again.outcome == "cancelled"
    record = patients.patient_record(ctx, who)
    assert [a.id for a in record.upcoming] == [later]  # only the first was cancelled
    assert outbox_names(ctx).count("appointment.cancelled") == 1


def test_the_audit_reads_as_sentences_without_patient_details(ctx: ServiceContext) -> None:
    _who, _booked = _clinic(ctx)
    _text(ctx, "+61412000201", "Y", "SM1")
    _text(ctx, "+61412000201", "STOP", "SM2")
    reply = _text(ctx, "+61412000201", "Running late, sorry", "SM3")
    sms_replies.mark_read(ctx, reply.id)
    records = audit_log(ctx)
    assert not any("Running late" in str(r.details) or "+61412" in str(r.details) for r in records)
    lines = [line.what for line in plain_audit(ctx, records, ZONE)]
    assert any("Ada Text's appointment" in w and "confirmed (SMS reply Y)" in w for w in lines)
    assert any("opted Ada Text out of reminders (SMS reply STOP)" in w for w in lines)
    assert any(w.startswith("sms-reply handled an SMS reply: confirmed") for w in lines)


def test_a_reply_without_a_sender_is_refused_naming_the_field(ctx: ServiceContext) -> None:
    import pytest

    from montu_desktop.domain.errors import InvalidRequest

    _clinic(ctx)
    with pytest.raises(InvalidRequest) as refused:
        sms_replies.receive_reply(ctx, [("MessageSid", "SM9"), ("To", "+61400000000")])
    assert (refused.value.field, refused.value.reason) == ("From", "is missing")
    assert sms_replies.list_replies(ctx) == []
