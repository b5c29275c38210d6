"""The notification settings dialog stores through clinic_settings and refuses bad values in place."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QTime
from pytestqt.qtbot import QtBot

from montu_desktop.config import secrets
from montu_desktop.domain.staff import Role
from montu_desktop.notifications.model import Kind
from montu_desktop.services import clinic_settings
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.ui.notifications.settings_dialog import NotificationSettingsDialog
from montu_desktop.ui.settings.settings_dialog import NotAllowed
from tests.support.memory_keyring import MemoryKeyring
from tests.support.notif_fixtures import sms_server, smtp_server, wire_settings  # noqa: F401
from tests.support.notif_servers import SmsServer, SmtpServer


@pytest.fixture(autouse=True)
def _empty_keyring() -> Iterator[None]:
    """The in-memory keyring is shared by the whole session: start and end each test empty."""
    MemoryKeyring._store.clear()
    yield
    keyring.set_keyring(MemoryKeyring())
    MemoryKeyring._store.clear()


def open_dialog(qtbot: QtBot, ctx: ServiceContext) -> NotificationSettingsDialog:
    dialog = NotificationSettingsDialog(ctx, Role.MANAGER)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def stored(ctx: ServiceContext, key: str) -> str | None:
    """The stored value, or None while the key is still at its default."""
    value = clinic_settings.get_setting(ctx, key)
    return None if value.is_default else value.value


def test_only_managers_open_it(qtbot: QtBot, sqlite_ctx: ServiceContext) -> None:
    for role in (None, Role.RECEPTIONIST):
        with pytest.raises(NotAllowed):
            NotificationSettingsDialog(sqlite_ctx, role)


def test_saving_stores_every_page_and_keeps_the_password_in_the_keyring(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    dialog = open_dialog(qtbot, sqlite_ctx)
    email, sms, reminders = dialog.email_page, dialog.sms_page, dialog.reminders_page
    email.host.setText("smtp.clinic.example")
    email.security.setCurrentIndex(email.security.findData("ssl"))
    assert email.port.value() == 465  # the usual port follows the security choice
    email.username.setText("desk")
    email.secret.setText("hunter2-smtp")
    email.sender.setText("Southbank Clinic <desk@clinic.example>")
    sms.provider.setCurrentIndex(sms.provider.findData("twilio"))
    sms.account.setText("AC42")
    sms.sender.setText("+61400000001")
    sms.secret.setText("tok-123")
    reminders.offsets.setText("48h,3h")
    reminders.quiet_from.setTime(QTime(20, 30))
    reminders.quiet_until.setTime(QTime(7, 0))
    reminders.max_attempts.setValue(3)
    reminders.backoff.setText("30")
    confirmation_sms = dialog.templates_page.kinds[Kind.CONFIRMATION].sms
    confirmation_sms.setPlainText("See you {date} at {time}, {first_name}. {clinic_phone}")

    assert dialog.save()

    assert {
        key: stored(sqlite_ctx, key)
        for key in (
            "smtp.host",
            "smtp.port",
            "smtp.security",
            "smtp.username",
            "smtp.sender",
            "sms.provider",
            "sms.account",
            "sms.sender",
            "reminders.offsets",
            "quiet_hours",
            "notifications.max_attempts",
            "notifications.backoff_seconds",
            "template.confirmation.sms",
        )
    } == {
        "smtp.host": "smtp.clinic.example",
        "smtp.port": "465",
        "smtp.security": "ssl",
        "smtp.username": "desk",
        "smtp.sender": "Southbank Clinic <desk@clinic.example>",
        "sms.provider": "twilio",
        "sms.account": "AC42",
        "sms.sender": "+61400000001",
        "reminders.offsets": "48h,3h",
        "quiet_hours": "20:30-07:00",
        "notifications.max_attempts": "3",
        "notifications.backoff_seconds": "30",
        "template.confirmation.sms": "See you {date} at {time}, {first_name}. {clinic_phone}",
    }
    # Untouched keys stay at their defaults rather than being copied into the database.
    assert stored(sqlite_ctx, "sms.base_url") is None
    assert stored(sqlite_ctx, "template.reminder.email") is None
    # Secrets: in the keyring only, never shown back.
    assert secrets.get_secret("smtp.password") == "hunter2-smtp"
    assert secrets.get_secret("sms.token") == "tok-123"
    assert "smtp.password" not in {s.key for s in clinic_settings.list_settings(sqlite_ctx)}
    assert email.secret.text() == "" and sms.secret.text() == ""
    assert "stored" in email.secret.placeholderText()
    assert "Saved" in dialog.notes.page.text()
    # A fresh dialog shows what was stored.
    again = open_dialog(qtbot, sqlite_ctx)
    assert again.email_page.host.text() == "smtp.clinic.example"
    assert again.reminders_page.quiet_text() == "20:30-07:00"
    assert again.changes() == {}


def test_quiet_hours_off_is_stored_as_none(qtbot: QtBot, sqlite_ctx: ServiceContext) -> None:
    dialog = open_dialog(qtbot, sqlite_ctx)
    dialog.reminders_page.quiet_on.setChecked(False)
    assert dialog.save()
    assert stored(sqlite_ctx, "quiet_hours") == "none"


@pytest.mark.parametrize(
    ("page", "widget", "text", "key", "reason"),
    [
        ("email_page", "host", "http://mail.example", "smtp.host", "must be a host name"),
        ("email_page", "sender", "desk at clinic", "smtp.sender", "must be an email address"),
        ("sms_page", "base_url", "api.twilio.com", "sms.base_url", "http:// or https://"),
        ("reminders_page", "offsets", "tomorrow", "reminders.offsets", "is not a duration"),
        ("reminders_page", "backoff", "soon", "notifications.backoff_seconds", "number"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_stored(
    qtbot: QtBot,
    sqlite_ctx: ServiceContext,
    page: str,
    widget: str,
    text: str,
    key: str,
    reason: str,
) -> None:
    dialog = open_dialog(qtbot, sqlite_ctx)
    dialog.tabs.setCurrentIndex(3)  # somewhere else: the refusal must bring its page forward
    dialog.email_page.username.setText("desk")  # a good change that must not be stored alone
    dialog.email_page.secret.setText("not-to-be-stored")
    getattr(getattr(dialog, page), widget).setText(text)

    assert not dialog.save()

    message = dialog.notes.label(key)
    assert message.isVisible() and reason in message.text()
    assert dialog.tabs.currentWidget() is getattr(dialog, page)
    assert "Not saved" in dialog.notes.page.text()
    assert stored(sqlite_ctx, "smtp.username") is None
    assert stored(sqlite_ctx, key) is None
    assert secrets.get_secret("smtp.password") is None


def test_an_unknown_placeholder_is_refused_next_to_its_template(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    dialog = open_dialog(qtbot, sqlite_ctx)
    templates = dialog.templates_page
    reminder = templates.kinds[templates.kind.itemData(1)]  # Reminder, not the shown kind
    reminder.sms.setPlainText("Your {appointment_type} is on {date} at {time}")
    assert templates.kind.currentIndex() == 0

    assert not dialog.save()

    message = dialog.notes.label("template.reminder.sms")
    assert message.isVisible()
    assert "{appointment_type} is not a placeholder" in message.text()
    assert dialog.tabs.currentWidget() is templates and templates.kind.currentIndex() == 1
    assert stored(sqlite_ctx, "template.reminder.sms") is None


def test_restore_standard_wording_puts_the_default_back(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    clinic_settings.set_setting(sqlite_ctx, "template.confirmation.subject", "Booked: {date}")
    dialog = open_dialog(qtbot, sqlite_ctx)
    subject = dialog.templates_page.kinds[dialog.templates_page.kind.itemData(0)].subject
    assert subject.text() == "Booked: {date}"
    dialog.templates_page.restore_defaults()
    assert dialog.save()
    assert stored(sqlite_ctx, "template.confirmation.subject") == (
        "Your appointment at {clinic_name} on {date}"
    )


def test_without_a_usable_keyring_the_password_is_refused_and_nothing_stored(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    dialog = open_dialog(qtbot, sqlite_ctx)
    dialog.email_page.host.setText("smtp.clinic.example")
    dialog.email_page.secret.setText("hunter2-smtp")
    keyring.set_keyring(fail.Keyring())

    assert not dialog.save()

    message = dialog.notes.label("smtp.password")
    assert message.isVisible() and "no usable OS keyring" in message.text()
    assert stored(sqlite_ctx, "smtp.host") is None


def test_send_test_message_reaches_the_local_servers_or_says_why_not(
    qtbot: QtBot,
    sqlite_ctx: ServiceContext,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> None:
    create_demo_clinic(sqlite_ctx, doctors=1, weeks=1, patients=1, fill=0.0)
    wire_settings(sqlite_ctx, smtp_server, sms_server)
    dialog = open_dialog(qtbot, sqlite_ctx)
    email_test = dialog.email_page.test
    email_test.to.setText("manager@clinic.example")
    with qtbot.waitSignal(email_test.finished, timeout=10_000) as sent:
        email_test.button.click()
    assert sent.args == [True]
    assert "Sent to manager@clinic.example" in email_test.result.text()
    [email] = smtp_server.messages
    assert email["To"] == "manager@clinic.example"

    sms_server.behaviour.mode = "error"
    sms_test = dialog.sms_page.test
    sms_test.to.setText("+61412345678")
    with qtbot.waitSignal(sms_test.finished, timeout=10_000) as failed:
        sms_test.button.click()
    assert failed.args == [False]
    assert sms_test.result.text().startswith("Not sent:") and "500" in sms_test.result.text()
    assert sms_test.button.isEnabled()


def test_send_test_message_saves_first_and_refuses_while_a_field_is_wrong(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    dialog = open_dialog(qtbot, sqlite_ctx)
    dialog.email_page.host.setText("bad host name")
    dialog.email_page.test.to.setText("manager@clinic.example")
    dialog.email_page.test.button.click()
    assert "fix the settings" in dialog.email_page.test.result.text()
    assert dialog.notes.label("smtp.host").isVisible()
    assert stored(sqlite_ctx, "smtp.host") is None
