"""Notification settings for managers: email, SMS, reminders and retries, message templates.

Values are clinic-wide (stored in the database, shared by every PC); the SMTP password and
the SMS auth token go to this PC's keyring through the services and are never shown back.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.config.secrets import KeyringUnavailable
from montu_desktop.domain.errors import InvalidRequest, MontuError
from montu_desktop.domain.staff import Role
from montu_desktop.notifications.settings import check_setting
from montu_desktop.services import clinic_settings
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.notifications.channel_pages import EmailPage, SmsPage
from montu_desktop.ui.notifications.fields import FieldNotes
from montu_desktop.ui.notifications.reminders_page import RemindersPage
from montu_desktop.ui.notifications.templates_page import TemplatesPage
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.settings_dialog import NotAllowed


class NotificationSettingsDialog(QDialog):
    def __init__(self, ctx: ServiceContext, role: Role | None, parent: QWidget | None = None):
        if role is None or not role.can_manage:
            raise NotAllowed("only a manager can change the notification settings")
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Notification settings")
        self.notes = FieldNotes(QLabel())
        self.tabs = QTabWidget()
        show = self.tabs.setCurrentWidget
        self.email_page = EmailPage(ctx, self.notes, show, self.save)
        self.sms_page = SmsPage(ctx, self.notes, show, self.save)
        self.reminders_page = RemindersPage(self.notes, show)
        self.templates_page = TemplatesPage(self.notes, show)
        self.tabs.addTab(self.email_page, "&Email")
        self.tabs.addTab(self.sms_page, "S&MS")
        self.tabs.addTab(self.reminders_page, "&Reminders && retries")
        self.tabs.addTab(self.templates_page, "Message &templates")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "These settings are shared by every PC of the clinic; passwords stay on this PC."
            )
        )
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.notes.page)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._stored: dict[str, str] = {}
        self.load()
        self.resize(940, 660)

    def _pages(self) -> tuple[EmailPage, SmsPage, RemindersPage, TemplatesPage]:
        return self.email_page, self.sms_page, self.reminders_page, self.templates_page

    def load(self) -> None:
        """Show what is stored now (defaults where nothing is)."""
        stored = run_and_wait(self, lambda: clinic_settings.list_settings(self.ctx))
        self._stored = {s.key: s.value for s in stored}
        for page in self._pages():
            page.load(self._stored)

    def changes(self) -> dict[str, str]:
        """The values that differ from what is stored."""
        shown: dict[str, str] = {}
        for page in self._pages():
            shown.update(page.values())
        return {
            key: value
            for key, value in shown.items()
            if _same_text(key, value) != _same_text(key, self._stored[key])
        }

    def typed_secrets(self) -> dict[str, str]:
        return {**self.email_page.typed_secret(), **self.sms_page.typed_secret()}

    def save(self) -> bool:
        """Store every change at once, or nothing with the reason next to the field."""
        changed, typed = self.changes(), self.typed_secrets()
        if not changed and not typed:
            self.notes.clear()
            self.notes.say("Nothing to save: no changes.")
            return True
        try:
            for key, value in changed.items():
                check_setting(key, value)  # every value first: a refusal stores nothing
            run_and_wait(self, lambda: _store(self.ctx, changed, typed))
        except MontuError as error:
            self.notes.show(error)
            return False
        self.load()
        self.notes.clear()
        self.notes.say("Saved. Every PC sends with these settings from now on.")
        return True


def _store(ctx: ServiceContext, changed: dict[str, str], typed: dict[str, str]) -> None:
    """The save's slow part (keyring, database), run off the GUI thread."""
    for name, value in typed.items():
        try:
            clinic_settings.store_secret(name, value)
        except KeyringUnavailable as refused:
            raise InvalidRequest(name, str(refused)) from None
    if changed:
        clinic_settings.set_settings(ctx, changed)


def _same_text(key: str, value: str) -> str:
    """Templates are compared exactly; other settings as they would be stored (trimmed)."""
    return value if key.startswith("template.") else value.strip()
