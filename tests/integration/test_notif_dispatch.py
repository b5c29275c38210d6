"""The dispatcher against real local servers, on SQLite and PostgreSQL: send, remind, retry, dead-letter."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from montu_desktop.services import notifications as notif
from montu_desktop.services.booking import cancel_appointment, reschedule_appointment
from tests.support.clock import FixedClock
from tests.support.notif_fixtures import (  # noqa: F401  (fixtures)
    MELBOURNE,
    NotifClinic,
    notif_clinic,
    sms_server,
    smtp_server,
)


def _by(clinic: NotifClinic, **match: str) -> list[notif.NotificationView]:
    return [
        n
        for n in notif.list_notifications(clinic.ctx)
        if all(getattr(n, k) == v for k, v in match.items())
    ]


def test_booking_sends_confirmation_by_email_and_sms(notif_clinic: NotifClinic) -> None:  # noqa: F811
    patient = notif_clinic.patient()
    booked = notif_clinic.book(patient, datetime(2026, 11, 24, 10, 0))

    outcome = notif.dispatch_now(notif_clinic.ctx)

    assert outcome["sent"] == 2
    [email] = notif_clinic.smtp.messages
    assert email["To"] == "ruby@example.com"
    text = email.get_body().get_content()
    assert "Tuesday 24 November" in text and "10:00 am" in text
    assert "12 Collins Street" in text
    assert "Long" not in text and "Long" not in email["Subject"]
    [sms] = notif_clinic.sms.delivered
    assert sms.to == "+61412345678" and sms.sender == "+61400000000"
    assert "Tuesday 24 November at 10:00 am" in sms.body and "Long" not in sms.body
    confirmations = _by(notif_clinic, kind="confirmation")
    assert {(n.channel, n.status, n.appointment_id) for n in confirmations} == {
        ("email", "sent", booked.id),
        ("sms", "sent", booked.id),
    }
    reminders = _by(notif_clinic, kind="reminder", status="pending")
    assert sorted(n.due_at for n in reminders) == [
        booked.start - timedelta(hours=24),
        booked.start - timedelta(hours=24),
        booked.start - timedelta(hours=2),
        booked.start - timedelta(hours=2),
    ]
    # A second pass sends nothing again.
    assert notif.dispatch_now(notif_clinic.ctx)["sent"] == 0
    assert len(notif_clinic.smtp.messages) == 1 and len(notif_clinic.sms.delivered) == 1


def test_reminders_go_at_their_offsets_and_cancelling_withdraws_the_rest(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    booked = notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))
    notif.dispatch_now(notif_clinic.ctx)
    clock.now = booked.start - timedelta(hours=24, minutes=1)
    assert notif.dispatch_now(notif_clinic.ctx)["sent"] == 0

    clock.now = booked.start - timedelta(hours=23)
    assert notif.dispatch_now(notif_clinic.ctx)["sent"] == 2
    assert "Reminder" in notif_clinic.sms.delivered[-1].body

    cancel_appointment(notif_clinic.ctx, booked.id)
    outcome = notif.dispatch_now(notif_clinic.ctx)
    assert outcome["sent"] == 2
    assert "cancelled" in notif_clinic.sms.delivered[-1].body
    assert len(_by(notif_clinic, kind="reminder", status="withdrawn")) == 2
    clock.now = booked.start - timedelta(hours=1)
    assert notif.dispatch_now(notif_clinic.ctx)["sent"] == 0
    assert len(notif_clinic.sms.delivered) == 3


def test_moving_an_appointment_sends_a_change_notice_and_moves_its_reminders(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    booked = notif_clinic.book(notif_clinic.patient(email=None), datetime(2026, 11, 24, 10, 0))
    notif.dispatch_now(notif_clinic.ctx)
    new_start = datetime(2026, 11, 26, 14, 0, tzinfo=MELBOURNE)
    reschedule_appointment(notif_clinic.ctx, booked.id, new_start)

    assert notif.dispatch_now(notif_clinic.ctx)["sent"] == 1
    body = notif_clinic.sms.delivered[-1].body
    assert "Thursday 26 November at 2:00 pm" in body and "Tuesday 24 November" in body
    pending = _by(notif_clinic, kind="reminder", status="pending")
    assert sorted(n.due_at for n in pending) == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=2),
    ]
    assert len(_by(notif_clinic, kind="reminder", status="withdrawn")) == 2


def test_late_reminders_go_once_and_are_skipped_after_the_start(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    first = notif_clinic.book(notif_clinic.patient(email=None), datetime(2026, 11, 24, 10, 0))
    second = notif_clinic.book(
        notif_clinic.patient("Leo", "0412 000 111", None), datetime(2026, 11, 24, 16, 0)
    )
    notif.dispatch_now(notif_clinic.ctx)
    sent_before = len(notif_clinic.sms.delivered)
    # The app was closed from Monday morning until Tuesday 15:00.
    clock.now = datetime(2026, 11, 24, 15, 0, tzinfo=MELBOURNE)
    notif.dispatch_now(notif_clinic.ctx)

    first_reminders = [
        n for n in _by(notif_clinic, kind="reminder") if n.appointment_id == first.id
    ]
    assert {n.status for n in first_reminders} == {"skipped"}
    second_reminders = {
        n.due_at: n.status
        for n in _by(notif_clinic, kind="reminder")
        if n.appointment_id == second.id
    }
    # Only the later (2 hours) reminder still makes sense, and it is sent late, once.
    assert second_reminders == {
        second.start - timedelta(hours=24): "skipped",
        second.start - timedelta(hours=2): "sent",
    }
    assert len(notif_clinic.sms.delivered) == sent_before + 1
    assert "4:00 pm" in notif_clinic.sms.delivered[-1].body


def test_sms_endpoint_down_gives_a_dead_letter_and_retry_delivers_once(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    notif_clinic.sms.behaviour.mode = "error"
    booked = notif_clinic.book(notif_clinic.patient(email=None), datetime(2026, 11, 24, 10, 0))
    notif.dispatch_now(notif_clinic.ctx)
    [confirmation] = _by(notif_clinic, kind="confirmation")
    assert (confirmation.status, confirmation.attempts) == ("failed", 1)
    assert "500" in (confirmation.last_error or "")
    # Backoff 0.05 s, doubling: the second try is due 0.05 s later, the third 0.1 s after that.
    assert confirmation.due_at == clock.now + timedelta(seconds=0.05)
    clock.advance(seconds=0.05)
    notif.dispatch_now(notif_clinic.ctx)
    assert _by(notif_clinic, kind="confirmation")[0].due_at == clock.now + timedelta(seconds=0.1)
    clock.advance(seconds=0.1)
    notif.dispatch_now(notif_clinic.ctx)
    [dead] = notif.list_notifications(notif_clinic.ctx, "dead")
    assert (dead.appointment_id, dead.attempts) == (booked.id, 3)
    assert notif_clinic.sms.requests == 3 and notif_clinic.sms.delivered == []

    notif_clinic.sms.behaviour.mode = "ok"
    notif.dispatch_now(notif_clinic.ctx)
    assert notif_clinic.sms.delivered == []  # dead letters wait for a person
    notif.retry_notification(notif_clinic.ctx, dead.id)
    notif.dispatch_now(notif_clinic.ctx)
    notif.dispatch_now(notif_clinic.ctx)
    assert len(notif_clinic.sms.delivered) == 1
    assert _by(notif_clinic, kind="confirmation")[0].status == "sent"


def test_a_timeout_is_retried_and_a_bad_number_is_dead_at_once(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    notif_clinic.sms.behaviour.script = ["hang", "bad-number"]
    notif_clinic.book(notif_clinic.patient(email=None), datetime(2026, 11, 24, 10, 0))
    notif.dispatch_now(notif_clinic.ctx)
    [first] = _by(notif_clinic, kind="confirmation")
    assert first.status == "failed" and "did not answer in time" in (first.last_error or "")
    clock.advance(seconds=1)
    notif.dispatch_now(notif_clinic.ctx)
    [second] = _by(notif_clinic, kind="confirmation")
    assert second.status == "dead" and second.attempts == 2
    assert "Invalid 'To' Phone Number" in (second.last_error or "")
    dismissed = notif.dismiss_notification(notif_clinic.ctx, second.id)
    assert dismissed.status == "dismissed"


def test_patients_without_a_reachable_channel_get_nothing_and_show_in_the_preview(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    reachable = notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 9, 0))
    silent = notif_clinic.book(
        notif_clinic.patient("Omar", None, None), datetime(2026, 11, 24, 11, 0)
    )
    opted_out = notif_clinic.book(
        notif_clinic.patient("Mei", "0412 999 888", None, reminders_opt_out=True),
        datetime(2026, 11, 24, 12, 0),
    )
    notif.dispatch_now(notif_clinic.ctx)
    assert [n.appointment_id for n in _by(notif_clinic, kind="reminder")].count(opted_out.id) == 0
    assert not [
        n for n in notif.list_notifications(notif_clinic.ctx) if n.appointment_id == silent.id
    ]

    preview = {p.appointment_id: p for p in notif.tomorrows_reminders(notif_clinic.ctx)}
    assert preview[reachable.id].reachable and preview[reachable.id].channels == ("email", "sms")
    assert preview[reachable.id].pending == 4
    assert not preview[silent.id].reachable and preview[silent.id].why_not == "no phone or email"
    assert preview[opted_out.id].why_not == "opted out of reminders"


def test_send_test_message_uses_the_saved_settings(notif_clinic: NotifClinic) -> None:  # noqa: F811
    notif.send_test_message(notif_clinic.ctx, "email", "manager@clinic.example")
    [email] = notif_clinic.smtp.messages
    assert email["To"] == "manager@clinic.example"
    assert email.get_body().get_content().startswith("[TEST]")
    notif_clinic.sms.behaviour.mode = "error"
    with pytest.raises(notif.InvalidRequest, match="500"):
        notif.send_test_message(notif_clinic.ctx, "sms", "+61412345678")


def test_the_in_app_dispatcher_confirms_a_booking_within_seconds(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    import time

    notif_clinic.ctx.on_change.clear()
    with notif.running_dispatcher(notif_clinic.ctx) as schedule:
        assert schedule.running and schedule.interval == 10
        time.sleep(0.2)  # the first pass (nothing to do) has run
        notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))
        deadline = time.monotonic() + 5
        while len(notif_clinic.sms.delivered) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not schedule.running
    assert len(notif_clinic.sms.delivered) == 1 and len(notif_clinic.smtp.messages) == 1


def test_an_online_booking_typed_with_another_patients_mobile_sends_nothing_there(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    """A stranger who types a patient's mobile gets a new record (the identity rule); its
    confirmation must not go to that patient's phone until the desk has checked the booking.
    The booker's own, unshared email address is written to as usual."""
    from datetime import date

    from montu_desktop.domain.patients import PatientDetails
    from montu_desktop.services import online

    notif_clinic.patient()  # Ruby, 0412 345 678
    key = online.create_api_key(notif_clinic.ctx, "site", "availability,book")[0]
    online.set_bookable_online(notif_clinic.ctx, "Long", True)
    start = datetime(2026, 11, 24, 10, 0, tzinfo=MELBOURNE)
    online.book_online(
        notif_clinic.ctx,
        key,
        "Long",
        start,
        PatientDetails("Mallory", "Stranger", date(1990, 1, 2), "0412 345 678", "mal@example.com"),
    )
    outcome = notif.dispatch_now(notif_clinic.ctx)
    assert outcome["sent"] == 1
    assert notif_clinic.sms.delivered == []
    [email] = notif_clinic.smtp.messages
    assert email["To"] == "mal@example.com"
    [held] = _by(notif_clinic, kind="confirmation", channel="sms")
    assert held.status == "skipped" and "another patient's record" in (held.last_error or "")
