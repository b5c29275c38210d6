"""{manage_link} in confirmations and reminders: a fresh link per message, kept as a hash,
that finds, moves and cancels the appointment within the clinic's notice."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications.templates import check_template
from montu_desktop.persistence.manage_tables import ManageLink
from montu_desktop.services import clinic_settings, manage
from montu_desktop.services import notifications as notif
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.notif_fixtures import (  # noqa: F401  (fixtures)
    NotifClinic,
    notif_clinic,
    sms_server,
    smtp_server,
)

TEMPLATE = "Booked {date} at {time}. Change or cancel: {manage_link}"


def _links(ctx) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ManageLink)) or 0)


def test_templates_may_say_manage_link() -> None:
    check_template("template.reminder.sms", "See you {date}. {manage_link}")
    with pytest.raises(InvalidRequest):
        check_template("template.reminder.sms", "See you {date}. {manage_url}")


def test_a_confirmation_carries_a_link_that_moves_and_then_cancels(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    ctx = notif_clinic.ctx
    clinic_settings.set_settings(
        ctx,
        {
            "online.public_url": "https://book.clinic.example/",
            "template.confirmation.sms": TEMPLATE,
        },
    )
    booked = notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 26, 10, 0))

    assert notif.dispatch_now(ctx)["sent"] == 2
    [sms] = notif_clinic.sms.delivered
    found = re.search(r"https://book\.clinic\.example/manage/([A-Za-z0-9_-]{40,})$", sms.body)
    assert found, sms.body
    token = found.group(1)
    # The email's default template has no link: no token was made for it.
    [email] = notif_clinic.smtp.messages
    assert "/manage/" not in email.get_body().get_content()
    assert _links(ctx) == 1
    with UnitOfWork(ctx) as uow:
        assert uow.session.scalar(select(ManageLink.token_hash)) != token  # only the hash

    shown = manage.live(ctx, token)
    assert shown.appointment_id == booked.id and shown.key is None and shown.changeable
    moved = manage.move(ctx, token, booked.start + timedelta(days=1))
    assert moved.id == booked.id and moved.start == booked.start + timedelta(days=1)
    manage.cancel(ctx, token)
    with pytest.raises(manage.LinkUsed, match="cancelled; the link is used"):
        manage.live(ctx, token)


def test_inside_the_notice_a_message_link_refuses_to_cancel_or_move(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    ctx = notif_clinic.ctx
    clinic_settings.set_settings(
        ctx,
        {
            "online.public_url": "https://book.clinic.example",
            "template.confirmation.sms": TEMPLATE,
            "online.cancel_notice_hours": "48",
        },
    )
    booked = notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 24, 10, 0))
    notif.dispatch_now(ctx)
    [sms] = notif_clinic.sms.delivered
    token = sms.body.rsplit("/", 1)[1]
    assert not manage.live(ctx, token).changeable
    with pytest.raises(manage.TooLate):
        manage.cancel(ctx, token)
    with pytest.raises(manage.TooLate):
        manage.move(ctx, token, booked.start + timedelta(days=2))
    assert manage.live(ctx, token).status == "booked"


def test_without_a_public_address_the_placeholder_is_empty_and_no_link_is_made(
    notif_clinic: NotifClinic,  # noqa: F811
) -> None:
    ctx = notif_clinic.ctx
    clinic_settings.set_settings(ctx, {"template.confirmation.sms": TEMPLATE})
    notif_clinic.book(notif_clinic.patient(), datetime(2026, 11, 26, 10, 0))
    notif.dispatch_now(ctx)
    [sms] = notif_clinic.sms.delivered
    assert sms.body.endswith("Change or cancel: ")
    assert _links(ctx) == 0
