"""Moving an appointment: pick a day, then one of that day's free times for its type."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services import availability, booking, series
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op


class RescheduleDialog(QDialog):
    def __init__(
        self,
        ctx: ServiceContext,
        entry: DayBookEntry,
        timezone: str,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move appointment")
        self.ctx, self.entry, self.timezone, self.busy = ctx, entry, timezone, busy
        self.moved: booking.BookedAppointment | None = None
        local = to_local(entry.start, timezone)
        self.date_edit = QDateEdit(QDate(local.date()))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.times = QListWidget()
        self.times.setAccessibleName("Free times")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.following = QCheckBox("Also move the &later visits of this series (same shift)")
        self.following.setVisible(False)  # shown once we know it is part of a series
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Move")
        form = QFormLayout()
        form.addRow(
            "Appointment:",
            QLabel(f"{entry.patient_name}, {entry.type_name}, {local:%a %d %b %H:%M}"),
        )
        form.addRow("New &day:", self.date_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Free &times (same doctor when free, else a fair choice):"))
        layout.addWidget(self.times, 1)
        layout.addWidget(self.following)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.date_edit.dateChanged.connect(lambda d: self._load(d.toPython()))
        self.times.itemDoubleClicked.connect(lambda _i: self._move())
        buttons.accepted.connect(self._move)
        buttons.rejected.connect(self.reject)
        self.setMinimumSize(420, 420)
        self._load(local.date())
        run_op(
            self,
            lambda: len(series.following_ids(self.ctx, entry.id)) > 1,
            self.following.setVisible,
            lambda _e: None,
            self.busy,
        )

    def _load(self, day: date) -> None:
        type_name = self.entry.type_name

        def work() -> list[datetime]:
            week = availability.week_availability(self.ctx, type_name, day)
            return [s.starts_at for d in week.days if d.day == day for s in d.slots if s.available]

        run_op(self, work, self._show, lambda e: self.message.setText(plain_words(e)), self.busy)

    def _show(self, starts: list[datetime]) -> None:
        self.times.clear()
        for start in starts:
            item = QListWidgetItem(f"{to_local(start, self.timezone):%H:%M}")
            item.setData(Qt.ItemDataRole.UserRole, start)
            self.times.addItem(item)
        self.message.setText("" if starts else "No free time on this day for this type.")
        if starts:
            self.times.setCurrentRow(0)

    def _move(self) -> None:
        item = self.times.currentItem()
        if item is None:
            self.message.setText("Choose a free time first.")
            return
        start = item.data(Qt.ItemDataRole.UserRole)
        if self.following.isChecked():
            run_op(
                self,
                lambda: series.move_following(self.ctx, self.entry.id, start)[0],
                self._moved,
                lambda e: self.message.setText(plain_words(e)),
                self.busy,
            )
            return
        run_op(
            self,
            lambda: booking.reschedule_appointment(self.ctx, self.entry.id, start),
            self._moved,
            lambda e: self.message.setText(plain_words(e)),
            self.busy,
        )

    def _moved(self, moved: booking.BookedAppointment) -> None:
        self.moved = moved
        self.accept()
