"""Time fields take over-typing of a whole selection (issue 28, 9), on every settings page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QApplication, QTimeEdit
from pytestqt.qtbot import QtBot

from montu_desktop.domain.staff import Role
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.notifications.settings_dialog import NotificationSettingsDialog
from montu_desktop.ui.settings.settings_dialog import SettingsDialog
from montu_desktop.ui.time_field import TimeField


def _over_type(qtbot: QtBot, edit: QTimeEdit, typed: str) -> str:
    """Select everything in the field (Ctrl+A), type `typed`, leave the field: the time kept."""
    window = edit.window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2_000)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert edit.lineEdit().selectedText() == edit.text()
    qtbot.keyClicks(edit, typed)
    edit.clearFocus()
    return edit.time().toString("HH:mm")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("22:00", "22:00"),
        ("23:45", "23:45"),
        ("2200", "22:00"),
        ("9:30", "09:30"),
        ("0730", "07:30"),
    ],
)
def test_typing_over_a_selected_time_keeps_what_was_typed(
    qtbot: QtBot, typed: str, kept: str
) -> None:
    edit = TimeField(QTime(18, 0))
    qtbot.addWidget(edit)
    edit.show()
    assert _over_type(qtbot, edit, typed) == kept


def test_every_time_field_of_the_settings_takes_over_typing(
    qtbot: QtBot, demo_ctx: ServiceContext
) -> None:
    # The times typed are not saved: thrown away when the window is closed at teardown.
    settings = SettingsDialog(demo_ctx, Role.MANAGER, confirm_discard=lambda _what: True)
    qtbot.addWidget(settings)
    settings.show()
    rosters = settings.rosters_page
    pages = {
        settings.clinic_page: settings.clinic_page.opens[0],
        settings.doctors_page: settings.doctors_page.hold_from,
        rosters: rosters.exception_starts,
    }
    for page, edit in pages.items():
        settings.tabs.setCurrentWidget(page)
        assert _over_type(qtbot, edit, "22:00") == "22:00"
        assert _over_type(qtbot, edit, "23:45") == "23:45"
    found = settings.findChildren(QTimeEdit)
    assert found and all(isinstance(edit, TimeField) for edit in found)

    notifications = NotificationSettingsDialog(demo_ctx, Role.MANAGER)
    qtbot.addWidget(notifications)
    found = notifications.findChildren(QTimeEdit)
    assert found and all(isinstance(edit, TimeField) for edit in found)
