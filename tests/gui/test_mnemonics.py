"""Every window's Alt-key mnemonics are unique, and the ones that clashed now act (issue 28)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from montu_desktop.domain.staff import Role
from montu_desktop.services import patients, reference
from montu_desktop.services.admin import staff
from montu_desktop.services.appointment_view import from_day_book
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui.about import AboutDialog
from montu_desktop.ui.appointment_dialogs import CancelDialog, NoteDialog
from montu_desktop.ui.booked_out import BookedOutDialog
from montu_desktop.ui.crash import CrashDialog
from montu_desktop.ui.database_dialog import DatabaseDialog
from montu_desktop.ui.desk_lock import DeskLock
from montu_desktop.ui.first_start import FirstStartDialog
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.notifications.log_window import NotificationLogWindow
from montu_desktop.ui.notifications.settings_dialog import NotificationSettingsDialog
from montu_desktop.ui.notifications.tomorrow_view import TomorrowRemindersDialog
from montu_desktop.ui.patient_merge import DuplicateWarning, MergeDialog
from montu_desktop.ui.recalls_window import RecallsWindow
from montu_desktop.ui.reschedule_dialog import RescheduleDialog
from montu_desktop.ui.settings.settings_dialog import SettingsDialog
from montu_desktop.ui.sign_in import SignInDialog
from montu_desktop.ui.waitlist_dialog import WaitlistDialog
from tests.gui.mnemonics import clashes, menu_clashes, window_mnemonics
from tests.gui.test_patient_record import TUESDAY, ZONE, _booking_dialog, _open_panel


def _unique(qtbot: QtBot, window: QWidget, where: str) -> dict[str, list[str]]:
    """The window's mnemonics as shown now, after checking that no letter is used twice."""
    if not window.isVisible():
        qtbot.addWidget(window)
        window.show()
    found = window_mnemonics(window)
    assert not clashes(found), f"{where}: {clashes(found)}"
    return found


def _manager(window: MainWindow, ctx: ServiceContext) -> DeskLock:
    staff.create_first_manager(ctx, "maria", "Maria Rossi", "correct horse")
    boss = staff.sign_in(ctx, "maria", "correct horse")
    window.signed_in(boss)
    return DeskLock(
        window, ctx, boss, idle_minutes=0, menu=window.clinic_menu, on_member=window.signed_in
    )


def test_the_main_window_its_tabs_and_its_menu_use_each_letter_once(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    _manager(window, demo_ctx)
    window.load_day(TUESDAY)
    qtbot.waitUntil(lambda: window.day.day == TUESDAY, timeout=5_000)
    assert window.day.select_entry(day_book(demo_ctx, TUESDAY).appointments[0].id)
    seen: set[str] = set()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        found = _unique(qtbot, window, window.tabs.tabText(index))
        assert "c" in found and found["c"] == ["menu &Clinic"]
        seen.update(found)
    assert {"c", "w", "d", "i", "t", "p", "l", "r", "m", "s", "a"} <= seen
    assert not menu_clashes(window.clinic_menu), menu_clashes(window.clinic_menu)
    shown = [a.text() for a in window.clinic_menu.actions() if a.isVisible()]
    assert "Switch &user…" in shown and "&Waitlist…" in shown  # "w" is the waitlist's alone


def test_every_dialog_uses_each_letter_once(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    booking = _booking_dialog(window)
    booking.new_patient_box.setChecked(True)
    booking.series_box.repeat_box.setCurrentIndex(1)  # weekly: the series' own buttons show
    found = _unique(qtbot, booking, "booking dialog")
    assert found["b"] == ["&Book"] and found["i"] == ["Date of b&irth:"]
    booking.reject()

    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    panel = _open_panel(qtbot, window, entry.patient_id)
    panel.merge_button.setVisible(True)
    for index in range(panel.appointment_tabs.count()):
        panel.appointment_tabs.setCurrentIndex(index)
        found = _unique(qtbot, panel, "patient record")
    assert found["s"] == ["&Save details"] and found["r"] == ["&Reschedule…"]
    record = patients.patient_record(demo_ctx, entry.patient_id)
    summary = from_day_book(entry, "Dr Lee")
    doctors = reference.doctors(demo_ctx)
    for made, where in (
        (CancelDialog(summary, ZONE, panel), "cancel"),
        (NoteDialog("Note for Ava Singh:", "", panel), "note"),
        (RescheduleDialog(demo_ctx, entry, ZONE, None, panel, doctor_name="Dr Lee"), "reschedule"),
        (MergeDialog(demo_ctx, record, ZONE, None, panel), "merge"),
        (DuplicateWarning("Ava Singh", [record], ZONE, panel), "duplicate warning"),
        (WaitlistDialog(demo_ctx, window.types, doctors, ZONE, parent=window), "waitlist"),
        (
            WaitlistDialog(
                demo_ctx,
                window.types,
                doctors,
                ZONE,
                freed=("Standard", entry.start),
                parent=window,
            ),
            "waitlist for a freed time",
        ),
        (RecallsWindow(demo_ctx, window.types, doctors, ZONE, parent=window), "recalls"),
        (FirstStartDialog(window), "first start"),
        (BookedOutDialog(demo_ctx, "Standard", entry.start, ZONE, None, window), "booked out"),
        (AboutDialog(window), "about"),
        (CrashDialog("ValueError", Path("montu.log"), window), "crash"),
        (SignInDialog(demo_ctx, window), "sign in"),
        (DatabaseDialog(window), "database"),
        (TomorrowRemindersDialog(demo_ctx, window), "tomorrow's reminders"),
        (NotificationLogWindow(demo_ctx, Role.MANAGER, window), "notifications"),
    ):
        _unique(qtbot, made, where)
        made.close()

    for tabbed, where in (
        (SettingsDialog(demo_ctx, Role.MANAGER, window), "settings"),
        (NotificationSettingsDialog(demo_ctx, Role.MANAGER, window), "notification settings"),
    ):
        for index in range(tabbed.tabs.count()):
            tabbed.tabs.setCurrentIndex(index)
            _unique(qtbot, tabbed, f"{where}: {tabbed.tabs.tabText(index)}")
        tabbed.close()


def _press_alt(qtbot: QtBot, window: QWidget, key: Qt.Key) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2_000)
    focus = window.focusWidget() or window
    qtbot.keyClick(focus, key, Qt.KeyboardModifier.AltModifier)


# Opening the Clinic menu asks the offscreen platform for what it cannot do (grab the
# keyboard, raise a window): its notes, not faults of the desk.
@pytest.mark.qt_log_ignore("grabbing the keyboard", "does not support raise")
def test_the_keys_that_clashed_now_act(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    window.show_tab(window.day)
    window.load_day(TUESDAY)
    qtbot.waitUntil(lambda: window.day.day == TUESDAY, timeout=5_000)
    entry = next(e for e in day_book(demo_ctx, TUESDAY).appointments if e.status.value == "booked")
    assert window.day.select_entry(entry.id)
    details = window.day.details

    # Day book: Alt+R reschedules at once (it used to only move the focus between two buttons).
    with qtbot.waitSignal(details.reschedule_wanted, timeout=2_000):
        _press_alt(qtbot, window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.reschedule_dialog is not None, timeout=2_000)
    window.reschedule_dialog.reject()  # type: ignore[union-attr]
    with qtbot.waitSignal(details.patient_wanted, timeout=2_000):
        _press_alt(qtbot, window, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: window.patient_panel is not None, timeout=2_000)
    panel = window.patient_panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.record is not None, timeout=5_000)

    # Patient record: Alt+S saves the details (not the SMS tick box).
    sms_before = panel.sms.isChecked()
    panel.given.setText("Renamed")
    _press_alt(qtbot, panel, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: "Saved" in panel.details_message.text(), timeout=5_000)
    assert panel.sms.isChecked() == sms_before
    assert patients.patient_record(demo_ctx, entry.patient_id).details.given_name == "Renamed"
    panel.close()

    # Day book: Alt+C opens the Clinic menu, not "Cancel appointment…".
    _press_alt(qtbot, window, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: window.clinic_menu.isVisible(), timeout=2_000)
    assert window.cancel_dialog is None
    window.clinic_menu.close()

    # New patient form: Alt+I goes to Date of birth, Alt+B books.
    window.show_tab(window.week)
    booking = _booking_dialog(window)
    booking.new_patient_box.setChecked(True)
    _press_alt(qtbot, booking, Qt.Key.Key_I)
    assert booking.focusWidget() is booking.birth
    _press_alt(qtbot, booking, Qt.Key.Key_B)  # Book with nothing typed: the names are asked for
    qtbot.waitUntil(lambda: "Given name" in booking.message.text(), timeout=2_000)
    assert booking.focusWidget() is booking.given
    booking.reject()
