"""The notification entries of the Clinic menu: log and settings for managers, tomorrow for all."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMenu, QWidget

from montu_desktop.domain.staff import Role
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.notifications.log_window import NotificationLogWindow
from montu_desktop.ui.notifications.replies_dialog import RepliesDialog
from montu_desktop.ui.notifications.settings_dialog import NotificationSettingsDialog
from montu_desktop.ui.notifications.tomorrow_view import TomorrowRemindersDialog


class NotificationMenu:
    """Adds the three entries to `menu` and opens (or raises) one window of each."""

    def __init__(self, ctx: ServiceContext, menu: QMenu, parent: QWidget) -> None:
        self.ctx, self.parent = ctx, parent
        self.role: Role | None = None
        self.open: dict[str, QDialog] = {}
        self.tomorrow_action = QAction("&Tomorrow's reminders…", parent)
        self.tomorrow_action.triggered.connect(self.show_tomorrow)
        self.log_action = QAction("&Notifications…", parent)
        self.log_action.triggered.connect(self.show_log)
        self.settings_action = QAction("Notification s&ettings…", parent)
        self.settings_action.triggered.connect(self.show_settings)
        self.replies_action = QAction("Rep&lies…", parent)
        self.replies_action.triggered.connect(self.show_replies)
        self.replies_read: list[object] = []
        """Called (no arguments) when the desk marks a reply read: the unread count changes."""
        for action in (
            self.tomorrow_action,
            self.replies_action,
            self.log_action,
            self.settings_action,
        ):
            menu.addAction(action)
        self.set_role(None)

    def set_role(self, role: Role | None) -> None:
        """Managers see the log and the settings; everyone sees tomorrow's reminders."""
        self.role = role
        manager = role is not None and role.can_manage
        self.log_action.setVisible(manager)
        self.settings_action.setVisible(manager)

    def show_tomorrow(self) -> QDialog:
        return self._raise("tomorrow") or self._show(
            "tomorrow", TomorrowRemindersDialog(self.ctx, self.parent)
        )

    def show_replies(self) -> QDialog:
        found = self._raise("replies")
        if found is not None:
            return found
        dialog = RepliesDialog(self.ctx, self.parent)
        for listener in self.replies_read:
            dialog.changed.connect(listener)
        return self._show("replies", dialog)

    def show_log(self) -> QDialog:
        found = self._raise("log")
        if found is not None:
            return found
        window = NotificationLogWindow(self.ctx, self.role, self.parent)
        window.settings_wanted.connect(self.show_settings)
        return self._show("log", window)

    def show_settings(self) -> QDialog:
        return self._raise("settings") or self._show(
            "settings", NotificationSettingsDialog(self.ctx, self.role, self.parent)
        )

    def _raise(self, name: str) -> QDialog | None:
        dialog = self.open.get(name)
        if dialog is None or not dialog.isVisible():
            return None
        if isinstance(dialog, NotificationLogWindow | TomorrowRemindersDialog | RepliesDialog):
            dialog.load()  # fresh rows; the settings dialog keeps unsaved edits instead
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _show(self, name: str, dialog: QDialog) -> QDialog:
        old = self.open.pop(name, None)
        if old is not None:
            old.deleteLater()
        self.open[name] = dialog
        dialog.show()
        return dialog
