"""The Recalls window: filters, Book… opening the booking dialog with the patient and type
chosen (and the booking closing the recall), and the patient record's Recalls tab."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services import recalls, reference
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.recalls_window import RecallsWindow, open_recalls
from tests.gui.test_patient_record import TUESDAY, _open_panel

SHOTS = Path("/tmp/recalls")


def _today(ctx: ServiceContext) -> date:
    return to_local(ctx.clock(), "Australia/Melbourne").date()


def _patients(ctx: ServiceContext) -> list[int]:
    return sorted({e.patient_id for e in day_book(ctx, TUESDAY).appointments})


def _rows(window: RecallsWindow) -> list[str]:
    return [window.table.item(r, 1).text() for r in range(window.table.rowCount())]


def _settle(qtbot: QtBot, window: RecallsWindow, count: int) -> None:
    qtbot.waitUntil(lambda: window.table.rowCount() == count, timeout=5_000)


def test_recalls_window_filters_and_books_for_the_patient_and_type(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    today = _today(demo_ctx)
    p1, p2, p3, p4 = _patients(demo_ctx)[:4]
    this_month = recalls.add_recall(
        demo_ctx, p1, today + timedelta(days=2), "skin check", type_name="Long"
    )
    overdue = recalls.add_recall(demo_ctx, p2, today - timedelta(days=20), "bloods review")
    later = recalls.add_recall(demo_ctx, p3, today + timedelta(days=120), "diabetes review")
    first_doctor = reference.doctors(demo_ctx)[0]
    by_doctor = recalls.add_recall(
        demo_ctx, p4, today + timedelta(days=3), "mole follow-up", doctor_id=first_doctor.id
    )
    dialog = open_recalls(window)
    assert dialog is not None
    dialog.resize(1000, 640)
    _settle(qtbot, dialog, 3)  # due this month: the overdue one (this month) and the two soon
    names = {r.id: r.patient_name for r in (this_month, overdue, later, by_doctor)}
    assert names[later.id] not in _rows(dialog)
    dialog.show_box.setCurrentIndex(dialog.show_box.findData("overdue"))
    _settle(qtbot, dialog, 1)
    assert _rows(dialog) == [names[overdue.id]]
    assert dialog.table.item(0, 5).text() == "overdue"
    dialog.show_box.setCurrentIndex(dialog.show_box.findData("due"))
    _settle(qtbot, dialog, 4)
    dialog.doctor_filter.setCurrentIndex(dialog.doctor_filter.findData(first_doctor.id))
    _settle(qtbot, dialog, 1)
    assert _rows(dialog) == [names[by_doctor.id]]
    dialog.doctor_filter.setCurrentIndex(0)
    _settle(qtbot, dialog, 4)
    qtbot.wait(50)  # the count label's new width is laid out
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "recalls_window.png"))

    # Book… on the Long recall: the booking dialog opens on Long with its patient chosen.
    row = [i.id for i in dialog.items].index(this_month.id)
    dialog.table.selectRow(row)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.booking_dialog is not None and window.booking_dialog.isVisible(),
        timeout=5_000,
    )
    booking = window.booking_dialog
    assert booking is not None
    qtbot.waitUntil(lambda: booking.selected_patient_id() == p1, timeout=5_000)
    assert booking.type_name == "Long"
    qtbot.waitUntil(booking.doctors_settled, timeout=5_000)
    with qtbot.waitSignal(booking.accepted, timeout=10_000):
        booking.book_button.click()
    assert booking.booked is not None
    closed = recalls.get_recall(demo_ctx, this_month.id)
    assert (closed.status, closed.appointment_id) == ("booked", booking.booked.id)
    _settle(qtbot, dialog, 3)  # the window lists what is still due

    # Book… on a recall that names a doctor: that doctor is asked for.
    row = [i.id for i in dialog.items].index(by_doctor.id)
    dialog.table.selectRow(row)
    dialog.book_button.click()
    qtbot.waitUntil(
        lambda: window.booking_dialog not in (None, booking) and window.booking_dialog.isVisible(),  # type: ignore[union-attr]
        timeout=5_000,
    )
    second = window.booking_dialog
    assert second is not None
    qtbot.waitUntil(lambda: second.selected_patient_id() == p4, timeout=5_000)
    qtbot.waitUntil(second.doctors_settled, timeout=5_000)
    assert second.doctor_box.currentData() == first_doctor.id
    assert second.type_name == "Standard"  # no type: the clinic's first
    second.reject()

    # Mark done / cancel from the window.
    dialog.table.selectRow(0)
    first = dialog.items[0]
    dialog.done_button.click()
    _settle(qtbot, dialog, 2)
    assert recalls.get_recall(demo_ctx, first.id).status == "done"
    dialog.close()

    # The patient record lists the patient's recalls, closed ones too.
    panel = _open_panel(qtbot, window, p1)
    qtbot.waitUntil(lambda: panel.appointment_tabs.tabText(2) == "Recalls (1)", timeout=5_000)
    assert "booked · Long · skin check" in panel.recall_list.item(0).text()
    panel.close()
