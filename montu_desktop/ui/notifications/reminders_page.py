"""The Reminders & retries page: when reminders go, quiet hours, and how hard to try."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.config.settings_registry import QuietHours, parse_quiet_hours
from montu_desktop.ui.notifications.fields import FieldNotes, spin_box
from montu_desktop.ui.time_field import TimeField

NIGHT = QuietHours(time(21, 0), time(8, 0))
"""Offered when quiet hours are switched on from none."""


def _quiet(text: str) -> QuietHours | str | None:
    try:
        return parse_quiet_hours(text)
    except ValueError:
        return text  # compared as text: a bad stored value is kept until changed


def _time_edit() -> QTimeEdit:
    return TimeField()


class RemindersPage(QWidget):
    def __init__(self, notes: FieldNotes, show_page: Callable[[QWidget], None]) -> None:
        super().__init__()

        def reveal() -> None:
            show_page(self)

        self._quiet_loaded = ""
        self.offsets = QLineEdit()
        self.offsets.setPlaceholderText("24h,2h")
        self.offsets.setMaximumWidth(300)
        self.quiet_on = QCheckBox("No SMS from")
        self.quiet_from = _time_edit()
        self.quiet_until = _time_edit()
        self.quiet_on.toggled.connect(self.quiet_from.setEnabled)
        self.quiet_on.toggled.connect(self.quiet_until.setEnabled)
        quiet = QWidget()
        row = QHBoxLayout(quiet)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.quiet_on)
        row.addWidget(self.quiet_from)
        row.addWidget(QLabel("until"))
        row.addWidget(self.quiet_until)
        row.addStretch(1)
        self.max_attempts = spin_box("notifications.max_attempts")
        self.backoff = QLineEdit()
        self.backoff.setMaximumWidth(120)
        form = QFormLayout()
        notes.add(
            form,
            "Reminders before",
            "reminders.offsets",
            self.offsets,
            reveal,
        )
        notes.add(
            form,
            "Quiet hours",
            "quiet_hours",
            quiet,
            reveal,
        )
        notes.add(
            form,
            "Tries per message",
            "notifications.max_attempts",
            self.max_attempts,
            reveal,
        )
        notes.add(
            form,
            "First retry after (seconds)",
            "notifications.backoff_seconds",
            self.backoff,
            reveal,
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)

    def load(self, values: dict[str, str]) -> None:
        self.offsets.setText(values["reminders.offsets"])
        self._quiet_loaded = values["quiet_hours"]
        quiet = _quiet(self._quiet_loaded)
        hours = quiet if isinstance(quiet, QuietHours) else NIGHT
        self.quiet_on.setChecked(isinstance(quiet, QuietHours))
        self.quiet_from.setTime(QTime(hours.starts.hour, hours.starts.minute))
        self.quiet_until.setTime(QTime(hours.ends.hour, hours.ends.minute))
        self.quiet_from.setEnabled(self.quiet_on.isChecked())
        self.quiet_until.setEnabled(self.quiet_on.isChecked())
        self.max_attempts.setValue(int(values["notifications.max_attempts"]))
        self.backoff.setText(values["notifications.backoff_seconds"])

    def quiet_text(self) -> str:
        if not self.quiet_on.isChecked():
            text = "none"
        else:
            starts, ends = self.quiet_from.time(), self.quiet_until.time()
            text = f"{starts.toString('HH:mm')}-{ends.toString('HH:mm')}"
        # Unchanged in meaning ("" and "none", "8:00" and "08:00"): keep the stored text.
        return self._quiet_loaded if _quiet(text) == _quiet(self._quiet_loaded) else text

    def values(self) -> dict[str, str]:
        return {
            "reminders.offsets": self.offsets.text(),
            "quiet_hours": self.quiet_text(),
            "notifications.max_attempts": str(self.max_attempts.value()),
            "notifications.backoff_seconds": self.backoff.text(),
        }
