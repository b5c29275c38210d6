"""No message is stuck or silently lost: bad templates and settings are refused when set; one that
still cannot be rendered or sent ends as a dead letter with its error after its tries."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications.dispatcher import Dispatcher
from montu_desktop.notifications.records import NotificationRow
from montu_desktop.notifications.store import load_settings
from montu_desktop.persistence.tables import Setting
from montu_desktop.services import clinic_settings
from montu_desktop.services import notifications as notif
from tests.support.clock import FixedClock
from tests.support.notif_fixtures import (  # noqa: F401  (fixtures)
    NotifClinic,
    notif_clinic,
    sms_server,
    smtp_server,
)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("template.confirmation.sms", "{first_name:d}"),
        ("template.confirmation.sms", "{date!z}"),
        ("template.confirmation.sms", "{date!r} at {time}"),
        ("template.reminder.email", "Hi {first_name:>{time}}"),
        ("template.change.sms", "{first_name.__class__}"),
        ("template.change.sms", "{0}"),
        ("template.confirmation.subject", "Booked\r\nBcc: everyone@example.com"),
        ("template.confirmation.sms", "Hi\x00{first_name}"),
        ("smtp.sender", "Clinic\r\nBcc: x@example.com <desk@clinic.example>"),
        ("smtp.username", "desk\nuser"),
        ("sms.sender", "Cli\nnic"),
        ("sms.account", "AC\x00123"),
    ],
)
def test_a_value_that_would_break_a_message_is_refused_naming_its_key(
    notif_clinic: NotifClinic,  # noqa: F811
    key: str,
    value: str,
) -> None:
    before = clinic_settings.get_setting(notif_clinic.ctx, key).value
    with pytest.raises(InvalidRequest) as refused:
        clinic_settings.set_setting(notif_clinic.ctx, key, value)
    assert refused.value.field == key
    assert clinic_settings.get_setting(notif_clinic.ctx, key).value == before


def _poison(clinic: NotifClinic, key: str, value: str) -> None:
    """Put a template straight into the settings table, as an old version or a hand edit might."""
    with clinic.ctx.database.session(write=True) as session:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value
        session.commit()


def _rows(clinic: NotifClinic, **match: str) -> list[SimpleNamespace]:
    """Snapshots of the notification rows (plain values, readable after the session ends)."""
    columns = NotificationRow.__table__.columns
    with clinic.ctx.database.session() as session:
        rows = [
            SimpleNamespace(**{c.key: getattr(r, c.key) for c in columns})
            for r in session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        ]
    return [r for r in rows if all(getattr(r, k) == v for k, v in match.items())]


@pytest.mark.parametrize(
    "poison", ["Hi {first_name:d}", "On {date!z}", "{first_name.upper}", "Hi {nobody}", "{"]
)
def test_a_poisoned_template_is_dead_lettered_with_its_error_after_its_tries(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
    poison: str,
) -> None:
    _poison(notif_clinic, "template.confirmation.sms", poison)
    notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))

    for _ in range(6):  # more passes than tries (max_attempts 3, backoff 0.05 s)
        notif.dispatch_now(notif_clinic.ctx)
        clock.advance(seconds=5)
        assert not _rows(notif_clinic, status="sending")

    [sms] = _rows(notif_clinic, kind="confirmation", channel="sms")
    assert sms.status == "dead" and sms.attempts == 3
    assert "confirmation template for sms cannot be filled in" in sms.last_error
    [email] = _rows(notif_clinic, kind="confirmation", channel="email")
    assert email.status == "sent", "the other channel's message is not held back"
    assert notif_clinic.sms.delivered == []


def test_an_unexpected_error_while_sending_is_a_failed_try_not_a_crash(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    from montu_desktop.notifications.channels import build_channels

    def exploding(settings):  # type: ignore[no-untyped-def]
        channels = build_channels(settings)

        def send(message):  # type: ignore[no-untyped-def]
            raise RuntimeError("a bug in a channel")

        channels.send = send  # type: ignore[method-assign]
        return channels

    notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))
    dispatcher = Dispatcher(notif_clinic.ctx.database, clock=clock, channels=exploding)
    for attempt in range(1, 4):
        dispatcher.run_once()
        rows = _rows(notif_clinic, kind="confirmation")
        assert {r.attempts for r in rows} == {attempt}
        assert {r.status for r in rows} == ({"failed"} if attempt < 3 else {"dead"})
        assert all("RuntimeError: a bug in a channel" in r.last_error for r in rows)
        clock.advance(seconds=5)
    dispatcher.run_once()
    assert {r.attempts for r in _rows(notif_clinic, kind="confirmation")} == {3}


def test_a_claim_abandoned_as_often_as_its_tries_becomes_a_dead_letter(
    notif_clinic: NotifClinic,  # noqa: F811
    clock: FixedClock,
) -> None:
    """A dispatcher that dies mid-send every time must not push attempts past the maximum."""
    notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))
    doomed = Dispatcher(notif_clinic.ctx.database, clock=clock, worker_id="doomed")
    doomed.plan_outbox()
    with notif_clinic.ctx.database.session() as session:
        settings = load_settings(session)[0]
    for _ in range(3):  # claimed, then the PC stops before recording anything
        while doomed._claim_next(settings) is not None:
            pass
        clock.advance(minutes=5)  # the lease runs out
    assert {r.attempts for r in _rows(notif_clinic, kind="confirmation")} == {3}

    outcome = Dispatcher(notif_clinic.ctx.database, clock=clock).run_once()
    assert outcome["dead"] == 2
    for row in _rows(notif_clinic, kind="confirmation"):
        assert (row.status, row.attempts) == ("dead", 3)
        assert "interrupted 3 times" in row.last_error
    assert notif_clinic.sms.delivered == [] and notif_clinic.smtp.messages == []
    clock.advance(minutes=5)
    assert {r.status for r in _rows(notif_clinic, kind="confirmation")} == {"dead"}


def test_copies_of_one_email_share_its_message_id() -> None:
    from montu_desktop.notifications.email_channel import SmtpChannel
    from montu_desktop.notifications.model import Channel, OutgoingMessage

    channel = SmtpChannel("127.0.0.1", 25, "none", "Clinic <desk@clinic.example>")
    message = OutgoingMessage("appt:7:confirmation:email", Channel.EMAIL, "a@b.example", "hi", "s")
    first, again = channel.build(message), channel.build(message)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@clinic.example>")
    other = SmtpChannel("127.0.0.1", 25, "none", "Other <desk@other.example>")
    assert other.build(message)["Message-ID"] != first["Message-ID"]


def test_a_malformed_outbox_event_does_not_hold_up_the_other_messages(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    from montu_desktop.persistence.tables import OutboxEvent

    with notif_clinic.ctx.database.session(write=True) as session:
        for payload in ({"appointment_id": 1}, {"patient_id": "x"}, ["not", "a", "dict"]):
            session.add(
                OutboxEvent(
                    name="appointment.booked",
                    payload=payload,
                    created_at=notif_clinic.ctx.clock(),
                )
            )
        session.commit()
    notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))

    outcome = notif.dispatch_now(notif_clinic.ctx)

    assert outcome["planned"] == 1 and outcome["sent"] == 2
    with notif_clinic.ctx.database.session() as session:
        waiting = session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.processed_at.is_(None))
        ).all()
    assert len(waiting) == 3, "the malformed events stay for someone to look at"
