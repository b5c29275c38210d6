"""Moving an appointment: free times with their doctors over the next 14 days (or one day)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import Doctor
from montu_desktop.domain.wording import day_label, when_label
from montu_desktop.services import booking, series
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.services.move_options import DEFAULT_DAYS, MoveOption, move_options
from montu_desktop.ui.date_range import DateField, in_window
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op

OPTION_ROLE = Qt.ItemDataRole.UserRole
SPANS = ((f"the next {DEFAULT_DAYS} days", DEFAULT_DAYS), ("that day only", 1))


def doctors_text(option: MoveOption, limit: int = 3) -> str:
    """Who the time goes to: the same doctor, or the free doctors a fair choice picks from."""
    if option.same_doctor:
        return f"{option.doctors[0].name} (same doctor)"
    names = [d.name for d in option.doctors]
    shown = ", ".join(names[:limit])
    more = f" +{len(names) - limit} more" if len(names) > limit else ""
    return shown + more if len(names) == 1 else f"one of {shown}{more}"


class RescheduleDialog(QDialog):
    def __init__(
        self,
        ctx: ServiceContext,
        entry: DayBookEntry,
        timezone: str,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
        doctor_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move appointment")
        self.ctx, self.entry, self.timezone, self.busy = ctx, entry, timezone, busy
        self.moved: booking.BookedAppointment | None = None
        self.chosen: MoveOption | None = None
        self.options: list[MoveOption] = []
        local = to_local(entry.start, timezone)
        today = to_local(ctx.clock(), timezone).date()
        self.date_edit = in_window(DateField(QDate(max(today, local.date()))))
        self.date_edit.setMinimumDate(QDate(today))  # free times are never in the past
        self.span = QComboBox()
        for label, days in SPANS:
            self.span.addItem(label, days)
        self.doctor = QComboBox()
        self.doctor.addItem("same doctor when free, else a fair choice", None)
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
        now_with = f" with {doctor_name}" if doctor_name else ""
        current = QLabel(f"{entry.patient_name}, {entry.type_name}, {when_label(local)}{now_with}")
        current.setWordWrap(True)
        when = QHBoxLayout()
        when.addWidget(self.date_edit)
        when.addWidget(QLabel("for"))
        when.addWidget(self.span, 1)
        form = QFormLayout()
        form.addRow("Appointment:", current)
        from_label = QLabel("&From:")
        from_label.setBuddy(self.date_edit)
        form.addRow(from_label, when)
        doctor_label = QLabel("D&octor:")
        doctor_label.setBuddy(self.doctor)
        form.addRow(doctor_label, self.doctor)
        times_label = QLabel("Free &times and their doctors:")
        times_label.setBuddy(self.times)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(times_label)
        layout.addWidget(self.times, 1)
        layout.addWidget(self.following)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.date_edit.dateChanged.connect(lambda _d: self.load())
        self.span.currentIndexChanged.connect(lambda _i: self.load())
        self.doctor.currentIndexChanged.connect(lambda _i: self._show())
        self.times.itemDoubleClicked.connect(lambda _i: self._move())
        buttons.accepted.connect(self._move)
        buttons.rejected.connect(self.reject)
        self.setMinimumSize(520, 480)
        self.load()
        run_op(
            self,
            lambda: len(series.following_ids(self.ctx, entry.id)) > 1,
            self.following.setVisible,
            lambda _e: None,
            self.busy,
        )

    def first_day(self) -> date:
        return self.date_edit.date().toPython()

    def load(self) -> None:
        first, days = self.first_day(), int(self.span.currentData())
        self.message.setText("Looking for free times…")

        def work() -> list[MoveOption]:
            return move_options(self.ctx, self.entry.id, first, days)

        run_op(self, work, self._loaded, lambda e: self.message.setText(plain_words(e)), self.busy)

    def _loaded(self, options: list[MoveOption]) -> None:
        self.options = options
        wanted = self.doctor.currentData()
        people: dict[int, Doctor] = {d.id: d for o in options for d in o.doctors}
        self.doctor.blockSignals(True)
        self.doctor.clear()
        self.doctor.addItem("same doctor when free, else a fair choice", None)
        for doctor in sorted(people.values(), key=lambda d: d.name):
            self.doctor.addItem(doctor.name, doctor.id)
        self.doctor.setCurrentIndex(max(self.doctor.findData(wanted), 0))
        self.doctor.blockSignals(False)
        self._show()

    def _show(self) -> None:
        doctor_id = self.doctor.currentData()
        self.times.clear()
        shown_day: date | None = None
        first_row = -1
        bold = QFont(self.times.font())
        bold.setBold(True)
        for option in self.options:
            if doctor_id is not None and doctor_id not in {d.id for d in option.doctors}:
                continue
            local = to_local(option.start, self.timezone)
            if local.date() != shown_day:
                shown_day = local.date()
                header = QListWidgetItem(day_label(shown_day))
                header.setFlags(Qt.ItemFlag.ItemIsEnabled)
                header.setFont(bold)
                header.setBackground(QColor("#e8eaed"))
                self.times.addItem(header)
            if doctor_id is None:
                who = doctors_text(option)
            else:
                who = next(d.name for d in option.doctors if d.id == doctor_id)
            item = QListWidgetItem(f"    {local:%H:%M}   {who}")
            item.setData(OPTION_ROLE, option)
            item.setToolTip(", ".join(d.name for d in option.doctors))
            self.times.addItem(item)
            if first_row < 0:
                first_row = self.times.count() - 1
        if first_row >= 0:
            self.times.setCurrentRow(first_row)
            self.message.setText("")
        else:
            days = int(self.span.currentData())
            span = (
                "on this day"
                if days == 1
                else f"in the {days} days from {day_label(self.first_day())}"
            )
            self.message.setText(f"No free time {span} for this type.")

    def selected_option(self) -> MoveOption | None:
        item = self.times.currentItem()
        return item.data(OPTION_ROLE) if item is not None else None

    def _move(self) -> None:
        option = self.selected_option()
        if option is None:
            self.message.setText("Choose a free time first.")
            return
        self.chosen = option
        doctor_id = self.doctor.currentData()
        if self.following.isChecked():
            run_op(
                self,
                lambda: series.move_following(self.ctx, self.entry.id, option.start)[0],
                self._moved,
                lambda e: self.message.setText(plain_words(e)),
                self.busy,
            )
            return
        run_op(
            self,
            lambda: booking.reschedule_appointment(
                self.ctx, self.entry.id, option.start, doctor_id
            ),
            self._moved,
            lambda e: self.message.setText(plain_words(e)),
            self.busy,
        )

    def _moved(self, moved: booking.BookedAppointment) -> None:
        self.moved = moved
        self.accept()

    def summary(self) -> str:
        """What moved where, for the status bar."""
        if self.moved is None:
            return ""
        old = to_local(self.entry.start, self.timezone)
        new = to_local(self.moved.start, self.timezone)
        doctor = next(
            (
                d.name
                for d in (self.chosen.doctors if self.chosen else ())
                if d.id == self.moved.doctor_id
            ),
            "",
        )
        target = f"{new:%H:%M}" if new.date() == old.date() else when_label(new)
        with_doctor = f" ({doctor})" if doctor else ""
        return f"Moved {self.entry.patient_name} from {when_label(old)} to {target}{with_doctor}."
