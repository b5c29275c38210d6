"""The notifications log and tomorrow's reminders show what the services return; Retry requeues."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from montu_desktop.domain.staff import Role
from montu_desktop.services import notifications as notif
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.ui.notifications.log_model import COLUMNS
from montu_desktop.ui.notifications.log_window import NotificationLogWindow
from montu_desktop.ui.notifications.tomorrow_model import COLUMNS as TOMORROW_COLUMNS
from montu_desktop.ui.notifications.tomorrow_model import UNREACHABLE_BACKGROUND
from montu_desktop.ui.notifications.tomorrow_view import TomorrowRemindersDialog
from montu_desktop.ui.operations import wait_for_operations
from montu_desktop.ui.settings.settings_dialog import NotAllowed
from tests.support.clock import FixedClock
from tests.support.notif_fixtures import (  # noqa: F401
    NotifClinic,
    sms_server,
    smtp_server,
    wire_settings,
)
from tests.support.notif_servers import SmsServer, SmtpServer


@pytest.fixture
def clinic(
    sqlite_ctx: ServiceContext,
    smtp_server: SmtpServer,  # noqa: F811
    sms_server: SmsServer,  # noqa: F811
) -> Iterator[NotifClinic]:
    create_demo_clinic(sqlite_ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    wire_settings(sqlite_ctx, smtp_server, sms_server)
    yield NotifClinic(sqlite_ctx, smtp_server, sms_server)
    wait_for_operations()


def dead_letter(clinic: NotifClinic, clock: FixedClock, hour: int) -> int:
    """An SMS-only booking whose confirmation fails three times: a dead letter's id."""
    clinic.sms.behaviour.mode = "error"
    booked = clinic.book(clinic.patient(email=None), datetime(2026, 11, 24, hour, 0))
    for _ in range(3):
        notif.dispatch_now(clinic.ctx)
        clock.advance(seconds=1)
    [dead] = [
        n
        for n in notif.list_notifications(clinic.ctx, "dead")
        if n.appointment_id == booked.id and n.kind == "confirmation"
    ]
    return dead.id


def open_log(qtbot: QtBot, ctx: ServiceContext) -> NotificationLogWindow:
    window = NotificationLogWindow(ctx, Role.MANAGER)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.show()
    return window


def shown_ids(window: NotificationLogWindow) -> list[int]:
    model = window.model
    return [int(model.data(model.index(r, 0))) for r in range(model.rowCount())]


def test_only_managers_see_the_log(qtbot: QtBot, sqlite_ctx: ServiceContext) -> None:
    with pytest.raises(NotAllowed):
        NotificationLogWindow(sqlite_ctx, Role.RECEPTIONIST)


def test_the_log_shows_what_list_notifications_returns_in_clinic_time(
    qtbot: QtBot, qtmodeltester, clinic: NotifClinic, clock: FixedClock
) -> None:
    dead_id = dead_letter(clinic, clock, 10)
    clinic.sms.behaviour.mode = "ok"
    clinic.book(clinic.patient("Omar"), datetime(2026, 11, 25, 9, 30))
    notif.dispatch_now(clinic.ctx)

    window = open_log(qtbot, clinic.ctx)
    qtmodeltester.check(window.model)

    expected = notif.list_notifications(clinic.ctx, names=True)
    assert shown_ids(window) == [n.id for n in expected]
    assert window.model.rowCount() >= 6  # two confirmations, reminders, email and SMS
    row = [n.id for n in expected].index(dead_id)
    dead = expected[row]
    cells = [window.model.data(window.model.index(row, c)) for c in range(len(COLUMNS))]
    assert cells[1] and not cells[1].startswith("appointment")  # the patient's name
    assert cells[1] == dead.patient_name == notif_name(clinic, dead.appointment_id)
    assert cells[2] == f"Tue 24 Nov 10:00, {dead.doctor_name}" and dead.doctor_name
    assert "#" not in cells[2]
    assert cells[3:7] == ["SMS", "Confirmation", "failed (dead letter)", "3"]
    assert cells[7] == "Mon 23 Nov 07:00"  # due at 'now' (20:00 UTC) in Melbourne
    assert "500" in cells[8]
    status = COLUMNS.index("Status")
    status_colour = window.model.data(
        window.model.index(row, status), Qt.ItemDataRole.ForegroundRole
    )
    assert status_colour == QColor("#a50e0e")
    counts = notif.status_counts(clinic.ctx)
    assert f"Dead {counts['dead']}" in window.counts.text()
    assert f"Pending {counts['pending']}" in window.counts.text()

    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.status.setCurrentIndex(window.status.findData("dead"))
    assert shown_ids(window) == [n.id for n in notif.list_notifications(clinic.ctx, "dead")]
    qtmodeltester.check(window.model)


def test_retry_on_a_dead_letter_makes_it_pending_and_it_is_then_sent_once(
    qtbot: QtBot, clinic: NotifClinic, clock: FixedClock
) -> None:
    dead_id = dead_letter(clinic, clock, 10)
    window = open_log(qtbot, clinic.ctx)
    assert not window.retry_button.isEnabled()  # nothing selected yet
    assert window.select_id(dead_id)
    assert window.retry_button.isEnabled() and window.dismiss_button.isEnabled()
    assert "500" in window.details.text()

    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.retry_button.click()

    [again] = [n for n in notif.list_notifications(clinic.ctx) if n.id == dead_id]
    assert (again.status, again.attempts) == ("pending", 0)
    assert f"Message {dead_id} is back in the queue" in window.message.text()
    assert window.selected() is not None and window.selected().status == "pending"
    assert not window.retry_button.isEnabled() and not window.dismiss_button.isEnabled()

    clinic.sms.behaviour.mode = "ok"
    notif.dispatch_now(clinic.ctx)
    assert len(clinic.sms.delivered) == 1


def test_dismiss_sets_a_dead_letter_aside_and_retry_brings_it_back(
    qtbot: QtBot, clinic: NotifClinic, clock: FixedClock
) -> None:
    dead_id = dead_letter(clinic, clock, 10)
    window = open_log(qtbot, clinic.ctx)
    window.select_id(dead_id)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.dismiss_button.click()
    assert window.selected().status == "dismissed"  # type: ignore[union-attr]
    assert not window.dismiss_button.isEnabled() and window.retry_button.isEnabled()
    assert [n.id for n in notif.list_notifications(clinic.ctx, "dead")] == []


def test_tomorrow_flags_a_patient_who_cannot_be_reminded(
    qtbot: QtBot, qtmodeltester, clinic: NotifClinic
) -> None:
    clinic.book(clinic.patient("Ruby"), datetime(2026, 11, 24, 9, 0))
    clinic.book(clinic.patient("Omar", phone=None, email=None), datetime(2026, 11, 24, 11, 0))
    clinic.book(clinic.patient("Lena"), datetime(2026, 11, 25, 9, 0))  # the day after
    notif.dispatch_now(clinic.ctx)

    dialog = TomorrowRemindersDialog(clinic.ctx)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    qtmodeltester.check(dialog.model)

    model = dialog.model
    columns = len(TOMORROW_COLUMNS)
    texts = [
        [model.data(model.index(r, c)) for c in range(columns)] for r in range(model.rowCount())
    ]
    doctors = [row.doctor_name for row in model.rows]
    assert all(doctors)
    assert [t[:2] + t[3:] for t in texts] == [
        ["09:00", "Nguyen, Ruby", doctors[0], "Email and SMS", "4", "", ""],
        ["11:00", "Nguyen, Omar", doctors[1], "nobody can be reached", "0", "",
         "⚠ no phone or email: please call the patient"],
    ]  # fmt: skip
    assert texts[0][2].startswith("04") and texts[1][2] == "—"  # national format, or none
    assert not dialog.setup_note.isVisible()
    background = Qt.ItemDataRole.BackgroundRole
    assert model.data(model.index(0, 1), background) is None
    assert model.data(model.index(1, 1), background) == QColor(UNREACHABLE_BACKGROUND)
    assert model.data(model.index(1, 1), Qt.ItemDataRole.FontRole).bold()
    assert dialog.title.text() == "Tomorrow, Tuesday 24 November"
    assert "2 appointments. 1 patient will get no reminder" in dialog.summary.text()

    dialog.only_unreachable.setChecked(True)
    assert dialog.filtered.rowCount() == 1
    assert dialog.filtered.data(dialog.filtered.index(0, 1)) == "Nguyen, Omar"


@pytest.mark.qt_log_ignore("does not support raise")  # offscreen cannot raise a window
def test_the_clinic_menu_offers_the_log_and_settings_to_managers_only(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    from montu_desktop.services.admin import staff
    from montu_desktop.ui.main_window import MainWindow
    from montu_desktop.ui.notifications.settings_dialog import NotificationSettingsDialog

    staff.create_first_manager(sqlite_ctx, "maria", "Maria", "correct horse")
    staff.add_staff(sqlite_ctx, "ros", "Ros", "front desk 1", "receptionist")
    window = MainWindow(sqlite_ctx)
    qtbot.addWidget(window)
    entries = window.notification_menu
    assert entries.tomorrow_action in window.clinic_menu.actions()
    window.signed_in(staff.sign_in(sqlite_ctx, "ros", "front desk 1"))
    assert entries.tomorrow_action.isVisible()
    assert not entries.log_action.isVisible() and not entries.settings_action.isVisible()
    assert isinstance(entries.show_tomorrow(), TomorrowRemindersDialog)
    with pytest.raises(NotAllowed):
        entries.show_log()

    window.signed_in(staff.sign_in(sqlite_ctx, "maria", "correct horse"))
    assert entries.log_action.isVisible() and entries.settings_action.isVisible()
    log = entries.show_log()
    assert isinstance(log, NotificationLogWindow)
    assert entries.show_log() is log  # raised, not opened twice
    assert isinstance(entries.show_settings(), NotificationSettingsDialog)
    wait_for_operations()
    for dialog in entries.open.values():
        dialog.close()


def notif_name(clinic: NotifClinic, appointment_id: int) -> str:
    from montu_desktop.persistence import tables as t

    with clinic.ctx.database.session() as session:
        appointment = session.get(t.Appointment, appointment_id)
        assert appointment is not None
        patient = session.get(t.Patient, appointment.patient_id)
        assert patient is not None
        return f"{patient.given_name} {patient.family_name}"


def test_messages_for_a_channel_not_set_up_are_not_failures(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    """No SMTP and no SMS provider: the log says 'not sent: … not set up' and links to settings."""
    create_demo_clinic(sqlite_ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    clinic = NotifClinic(sqlite_ctx, None, None)  # type: ignore[arg-type]
    from montu_desktop.services.clinic_settings import set_setting

    set_setting(sqlite_ctx, "quiet_hours", "none")  # 07:00 is inside the default quiet hours
    clinic.book(clinic.patient("Ruby"), datetime(2026, 11, 24, 9, 0))
    notif.dispatch_now(sqlite_ctx)
    window = open_log(qtbot, sqlite_ctx)
    model, status = window.model, COLUMNS.index("Status")
    states = {model.data(model.index(r, status)) for r in range(model.rowCount())}
    assert "not sent: email not set up" in states and "not sent: SMS not set up" in states
    assert not any("failed" in s for s in states)
    assert "Failed 0" in window.counts.text() and "Not sent (not set up) " in window.counts.text()
    assert window.setup_note.isVisible()
    assert "Email is not set up" in window.setup_note.text()
    assert "Open the notification settings" in window.setup_note.text()
    with qtbot.waitSignal(window.settings_wanted, timeout=2_000):
        window.setup_note.linkActivated.emit("settings")
    tomorrow = TomorrowRemindersDialog(sqlite_ctx)
    qtbot.addWidget(tomorrow)
    with qtbot.waitSignal(tomorrow.loaded, timeout=10_000):
        tomorrow.show()
    assert tomorrow.setup_note.isVisible()
    assert tomorrow.setup_note.text().startswith("Email and SMS are not set up")
    reach = tomorrow.model.data(tomorrow.model.index(0, 4))
    assert reach.endswith("not set up)")
