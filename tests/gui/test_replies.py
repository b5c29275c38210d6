"""The Replies dialog, the unread count in the status bar, and the confirmed mark in the day book."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.op_changes import ChangeKind
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import tables as t
from montu_desktop.services import clinic_settings, patients, sms_replies
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from montu_desktop.ui.day_book_model import describe_entry
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.notifications.replies_dialog import COLUMNS, RepliesDialog
from montu_desktop.ui.operations import wait_for_operations


def _text(ctx: ServiceContext, sender: str, body: str, sid: str) -> None:
    fields = [("MessageSid", sid), ("From", sender), ("To", "+61400000000"), ("Body", body)]
    sms_replies.receive_reply(ctx, fields)


@pytest.fixture
def replies(demo_ctx: ServiceContext) -> ServiceContext:
    clinic_settings.set_settings(demo_ctx, {"sms.two_way": "on"})
    patients.add_patient(
        demo_ctx, PatientDetails("Quinn", "Askew", None, "0499 111 222"), allow_duplicate=True
    )
    _text(demo_ctx, "+61499111222", "Can I bring my son?", "SM1")
    _text(demo_ctx, "+61499999999", "Who is this?", "SM2")
    return demo_ctx


def test_the_replies_dialog_lists_replies_with_the_patient_and_marks_them_read(
    qtbot: QtBot, qtmodeltester, replies: ServiceContext
) -> None:
    dialog = RepliesDialog(replies)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    qtmodeltester.check(dialog.model)
    model = dialog.model
    rows = {
        model.text(model.rows[r], COLUMNS.index("Message")): [
            model.text(model.rows[r], c) for c in range(len(COLUMNS))
        ]
        for r in range(model.rowCount())
    }
    asked = rows["Can I bring my son?"]
    assert asked[COLUMNS.index("Patient")] == "Quinn Askew"
    assert asked[COLUMNS.index("What was done")] == "for the desk: please act by hand"
    assert rows["Who is this?"][COLUMNS.index("Patient")] == "not known"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.FontRole).bold()
    assert dialog.summary.text() == "2 replies, 2 unread."

    dialog.table.selectRow(0)
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.mark_button.click()
    qtbot.waitUntil(lambda: dialog.summary.text() == "2 replies, 1 unread.", timeout=10_000)
    assert sms_replies.unread_count(replies) == 1
    wait_for_operations()


def test_the_status_bar_counts_unread_replies_and_the_day_book_shows_a_confirmation(
    qtbot: QtBot, replies: ServiceContext
) -> None:
    win = MainWindow(replies)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=10_000):
        win.start()
    qtbot.waitUntil(lambda: win.replies_button.isVisible(), timeout=10_000)
    assert win.replies_button.text() == "✉ 2 unread replies"

    dialog = win.notification_menu.show_replies()
    assert isinstance(dialog, RepliesDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=10_000)
    dialog.table.selectRow(0)
    dialog.mark_button.click()
    qtbot.waitUntil(lambda: win.replies_button.text() == "✉ 1 unread reply", timeout=10_000)

    qtbot.waitUntil(lambda: win.day.model.book is not None, timeout=10_000)
    book = win.day.model.book
    assert book is not None and book.appointments
    entry = book.appointments[0]
    with UnitOfWork(replies, write=True) as uow:
        row = uow.session.get(t.Appointment, entry.id)
        assert row is not None
        row.confirmed_at = replies.clock()
        uow.touches("appointments", entry.id)
        uow.commit()
    win.refresh(ChangeKind.APPOINTMENTS)
    qtbot.waitUntil(
        lambda: any(
            e.id == entry.id and e.confirmed_at is not None
            for e in (win.day.model.book.appointments if win.day.model.book else ())
        ),
        timeout=10_000,
    )
    shown = next(e for e in win.day.model.book.appointments if e.id == entry.id)
    assert "✓ confirmed" in describe_entry(shown, win.day.model.book.timezone)
    win.day.details.show_entry(shown, "Dr", win.day.model.book.timezone)
    assert "confirmed by the patient by SMS" in win.day.details.fields["status"].text()
    wait_for_operations()


def test_an_undelivered_reminder_is_flagged_for_a_call_and_the_log_says_why(qapp) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from PySide6.QtGui import QColor

    from montu_desktop.services.notifications import NotificationView, ReminderPreview
    from montu_desktop.ui.notifications.log_model import COLUMNS as LOG_COLUMNS
    from montu_desktop.ui.notifications.log_model import NotificationLogModel
    from montu_desktop.ui.notifications.tomorrow_model import (
        COLUMNS as TOMORROW_COLUMNS,
    )
    from montu_desktop.ui.notifications.tomorrow_model import (
        UNREACHABLE_BACKGROUND,
        TomorrowModel,
    )

    start = datetime(2027, 3, 11, 9, tzinfo=UTC)
    late = ReminderPreview(
        1, start, "Reply, Una", ("sms",), 0, True, "", "+61412000108", "Dr A",
        "not delivered (phone unreachable or switched off (error 30003))", True,
    )  # fmt: skip
    fine = ReminderPreview(
        2, start, "Reply, Dee", ("sms",), 0, True, "", "+61412000107", "Dr B", "delivered", False
    )
    model = TomorrowModel()
    model.set_rows([late, fine], {"sms": True, "email": True})
    delivery, note = TOMORROW_COLUMNS.index("Delivery"), TOMORROW_COLUMNS.index("Note")
    assert model.data(model.index(0, delivery)).startswith("not delivered (phone unreachable")
    assert model.data(model.index(0, note)).startswith("☎ reminder SMS not delivered")
    assert model.data(model.index(0, 1), Qt.ItemDataRole.BackgroundRole) == QColor(
        UNREACHABLE_BACKGROUND
    )
    assert model.data(model.index(1, delivery)) == "delivered"
    assert model.data(model.index(1, note)) == ""
    assert model.to_call() == 1

    def sent(delivery: str | None, error: str | None) -> NotificationView:
        return NotificationView(
            7, 1, "sms", "reminder", "sent", 1, None, start, start, start, "", "", delivery, error
        )

    log = NotificationLogModel()
    log.set_rows(
        [sent("delivered", None), sent("undelivered", "error 30005"), sent(None, None)], "UTC"
    )
    status = LOG_COLUMNS.index("Status")
    assert [log.data(log.index(r, status)) for r in range(3)] == [
        "sent, delivered",
        "sent, not delivered (error 30005)",
        "sent",
    ]
