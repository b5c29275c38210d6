"""The Rosters page: a doctor's weekly blocks (several a day, so breaks are natural), leave and extras."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import RosterTemplate
from montu_desktop.domain.roster_rules import ExceptionKind, RosterException
from montu_desktop.domain.settings_rules import WEEKDAY_NAMES
from montu_desktop.domain.wording import day_label
from montu_desktop.services.admin import doctors, rosters
from montu_desktop.services.admin.clinic import clinic_details
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.date_range import in_window
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.form import (
    ConfirmDiscard,
    ConfirmImpact,
    FieldMessages,
    apply_change,
)
from montu_desktop.ui.time_field import TimeField

_NO_END = QDate(2000, 1, 1)  # the date edit's minimum, shown as "open-ended"


class RostersPage(QWidget):
    """Edit one doctor's template blocks; saving previews the bookings they would strand."""

    def __init__(
        self,
        ctx: ServiceContext,
        confirm_impact: ConfirmImpact,
        confirm_discard: ConfirmDiscard | None = None,
    ) -> None:
        super().__init__()
        self._ctx = ctx
        self._confirm = confirm_impact
        self._confirm_discard = confirm_discard
        self._shown_doctor: int | None = None
        self._saved_rows: list[tuple[object, ...]] = []
        """The shown doctor's blocks as last loaded or saved, to tell edits not saved yet."""
        layout = QVBoxLayout(self)
        self.message = QLabel()
        self.messages = FieldMessages(self.message)
        layout.addWidget(self.message)
        form = QFormLayout()
        self.doctor = QComboBox()
        self.doctor.currentIndexChanged.connect(self._doctor_chosen)
        form.addRow("Doctor", self.doctor)
        layout.addLayout(form)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Day", "From", "To", "Valid from", "Valid until"])
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.blocks_message = QLabel()
        self.messages._labels["blocks"] = self.blocks_message
        self.messages._labels["valid_until"] = self.blocks_message
        self.blocks_message.setStyleSheet("color: #b3261e;")
        self.blocks_message.setWordWrap(True)
        layout.addWidget(self.blocks_message)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add block")
        self.remove_button = QPushButton("Remove block")
        self.copy_button = QPushButton("Copy Monday to Tue–Fri")
        self.copy_button.setToolTip(
            "Enter Monday's blocks, then copy them to Tuesday to Friday (replacing theirs)"
        )
        self.save_button = QPushButton("Save roster")
        self.add_button.clicked.connect(lambda: self.add_block())
        self.remove_button.clicked.connect(self.remove_block)
        self.copy_button.clicked.connect(lambda: self.copy_day(0, (1, 2, 3, 4)))
        self.save_button.clicked.connect(self.save)
        for button in (self.add_button, self.remove_button, self.copy_button, self.save_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        layout.addWidget(self._build_exceptions())
        self.messages.clear()
        self.load()

    def _build_exceptions(self) -> QGroupBox:
        box = QGroupBox("Leave and extra sessions")
        row = QHBoxLayout(box)
        self.exception_list = QListWidget()
        row.addWidget(self.exception_list, 1)
        form = QFormLayout()
        self.exception_kind = QComboBox()
        self.exception_kind.addItem("Leave", ExceptionKind.LEAVE.value)
        self.exception_kind.addItem("Extra session", ExceptionKind.EXTRA.value)
        self.exception_day = in_window(QDateEdit())
        self.exception_day.setCalendarPopup(True)
        self.exception_day.setDisplayFormat("ddd d MMM yyyy")
        self.whole_day = QCheckBox("Whole day")
        self.exception_starts, self.exception_ends = TimeField(QTime(9, 0)), TimeField(QTime(12, 0))
        self.whole_day.toggled.connect(self.exception_starts.setDisabled)
        self.whole_day.toggled.connect(self.exception_ends.setDisabled)
        self.exception_note = QLineEdit()
        form.addRow("Kind", self.exception_kind)
        self.messages.add_row(form, "Day", "day", self.exception_day)
        form.addRow("", self.whole_day)
        self.messages.add_row(form, "From", "starts", self.exception_starts)
        self.messages.add_row(form, "To", "ends", self.exception_ends)
        form.addRow("Note", self.exception_note)
        buttons = QHBoxLayout()
        self.add_exception_button = QPushButton("Add")
        self.remove_exception_button = QPushButton("Remove selected")
        self.add_exception_button.clicked.connect(self.add_exception)
        self.remove_exception_button.clicked.connect(self.remove_exception)
        buttons.addWidget(self.add_exception_button)
        buttons.addWidget(self.remove_exception_button)
        form.addRow(buttons)
        row.addLayout(form, 1)
        return box

    def load_exceptions(self) -> None:
        self.exception_list.clear()
        doctor_id = self.doctor.currentData()
        if doctor_id is None:
            return
        today = self._today()
        for saved in run_and_wait(self, lambda: rosters.exceptions(self._ctx, doctor_id, today)):
            item = saved.exception
            hours = (
                "whole day"
                if item.starts is None or item.ends is None
                else f"{item.starts:%H:%M}–{item.ends:%H:%M}"
            )
            kind = "Leave" if item.kind is ExceptionKind.LEAVE else "Extra session"
            text = f"{day_label(item.day, year=True)} {kind} {hours} {item.note}".strip()
            entry = QListWidgetItem(text)
            entry.setToolTip(text)
            entry.setData(256, saved.id)
            self.exception_list.addItem(entry)

    def add_exception(self) -> bool:
        doctor_id = self.doctor.currentData()
        if doctor_id is None:
            return False
        whole = self.whole_day.isChecked()
        exception = RosterException(
            doctor_id,
            self.exception_day.date().toPython(),
            ExceptionKind(self.exception_kind.currentData()),
            None if whole else self.exception_starts.time().toPython(),
            None if whole else self.exception_ends.time().toPython(),
            self.exception_note.text(),
        )
        done = apply_change(
            self.messages,
            lambda confirm, reassign: rosters.add_exception(
                self._ctx, exception, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self.load_exceptions()
        return done is not None

    def remove_exception(self) -> bool:
        item = self.exception_list.currentItem()
        if item is None:
            return False
        exception_id = item.data(256)
        done = apply_change(
            self.messages,
            lambda confirm, reassign: rosters.remove_exception(
                self._ctx, exception_id, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self.load_exceptions()
        return done is not None

    def load(self) -> None:
        self.doctor.blockSignals(True)
        self.doctor.clear()
        for doctor in run_and_wait(self, lambda: doctors.list_doctors(self._ctx)):
            self.doctor.addItem(doctor.name, doctor.id)
        self.doctor.blockSignals(False)
        self.load_blocks()

    def _today(self) -> date:
        details = run_and_wait(self, lambda: clinic_details(self._ctx))
        return to_local(self._ctx.clock(), details.timezone if details else "UTC").date()

    def unsaved(self) -> bool:
        """Whether the blocks shown differ from the doctor's roster as last loaded or saved."""
        return self._rows() != self._saved_rows

    def unsaved_name(self) -> str:
        index = self.doctor.findData(self._shown_doctor)
        return f"{self.doctor.itemText(index)}'s roster" if index >= 0 else "the roster"

    def _rows(self) -> list[tuple[object, ...]]:
        return [(b.weekday, b.starts, b.ends, b.valid_from, b.valid_until) for b in self.blocks()]

    def _doctor_chosen(self, _index: int) -> None:
        """Another doctor: their roster, once the blocks typed for the last one are saved or
        deliberately thrown away (choosing the next doctor used to drop them silently)."""
        ask = self._confirm_discard
        if self.unsaved() and ask is not None and not ask(self.unsaved_name()):
            self.doctor.blockSignals(True)
            self.doctor.setCurrentIndex(self.doctor.findData(self._shown_doctor))
            self.doctor.blockSignals(False)
            return
        self.load_blocks()

    def load_blocks(self) -> None:
        self.table.setRowCount(0)
        doctor_id = self.doctor.currentData()
        self._shown_doctor = doctor_id
        enabled = doctor_id is not None
        for button in (self.add_button, self.remove_button, self.save_button):
            button.setEnabled(enabled)
        if doctor_id is None:
            self._saved_rows = []
            self.exception_list.clear()
            return
        for block in run_and_wait(self, lambda: rosters.templates(self._ctx, doctor_id)):
            self.add_block(block)
        self._saved_rows = self._rows()
        today = self._today()
        self.exception_day.setDate(QDate(today.year, today.month, today.day))
        self.load_exceptions()

    def add_block(self, block: RosterTemplate | None = None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        weekday = QComboBox()
        weekday.addItems(WEEKDAY_NAMES)
        starts, ends = TimeField(QTime(9, 0)), TimeField(QTime(12, 0))
        valid_from, valid_until = in_window(QDateEdit()), in_window(QDateEdit())
        for edit in (valid_from, valid_until):
            edit.setDisplayFormat("d MMM yyyy")
            edit.setCalendarPopup(True)
            edit.setMinimumDate(_NO_END)
        valid_until.setSpecialValueText("open-ended")
        today = self._today()
        valid_from.setDate(QDate(today.year, today.month, today.day))
        valid_until.setDate(_NO_END)
        if block is not None:
            weekday.setCurrentIndex(block.weekday)
            starts.setTime(QTime(block.starts.hour, block.starts.minute))
            ends.setTime(QTime(block.ends.hour, block.ends.minute))
            valid_from.setDate(
                QDate(block.valid_from.year, block.valid_from.month, block.valid_from.day)
            )
            if block.valid_until is not None:
                until = block.valid_until
                valid_until.setDate(QDate(until.year, until.month, until.day))
        for column, widget in enumerate((weekday, starts, ends, valid_from, valid_until)):
            self.table.setCellWidget(row, column, widget)
        self.table.resizeColumnsToContents()

    def copy_day(self, source: int, targets: tuple[int, ...]) -> int:
        """A week at a time: one day's blocks copied to other days; returns blocks added."""
        blocks = self.blocks()
        pattern = [b for b in blocks if b.weekday == source]
        if not pattern:
            self.messages.show(
                InvalidRequest("blocks", f"{WEEKDAY_NAMES[source]} has no blocks to copy yet")
            )
            return 0
        kept = [b for b in blocks if b.weekday not in targets]
        copies = [replace(b, weekday=day) for day in targets for b in pattern]
        self.table.setRowCount(0)
        for block in sorted(kept + copies, key=lambda b: (b.weekday, b.starts)):
            self.add_block(block)
        self.messages.done(
            f"{WEEKDAY_NAMES[source]}'s blocks copied to "
            f"{', '.join(WEEKDAY_NAMES[d] for d in targets)}. Save roster to keep them."
        )
        return len(copies)

    def remove_block(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def blocks(self) -> list[RosterTemplate]:
        doctor_id = self.doctor.currentData()
        result = []
        for row in range(self.table.rowCount()):
            weekday: QComboBox = self.table.cellWidget(row, 0)  # type: ignore[assignment]
            starts: QTimeEdit = self.table.cellWidget(row, 1)  # type: ignore[assignment]
            ends: QTimeEdit = self.table.cellWidget(row, 2)  # type: ignore[assignment]
            valid_from: QDateEdit = self.table.cellWidget(row, 3)  # type: ignore[assignment]
            valid_until: QDateEdit = self.table.cellWidget(row, 4)  # type: ignore[assignment]
            until = None if valid_until.date() == _NO_END else valid_until.date().toPython()
            result.append(
                RosterTemplate(
                    doctor_id,
                    weekday.currentIndex(),
                    starts.time().toPython(),
                    ends.time().toPython(),
                    valid_from.date().toPython(),
                    until,
                )
            )
        return result

    def save(self) -> bool:
        doctor_id = self.doctor.currentData()
        if doctor_id is None:
            return False
        blocks = self.blocks()
        done = apply_change(
            self.messages,
            lambda confirm, reassign: rosters.save_templates(
                self._ctx, doctor_id, blocks, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        if done is not None:
            self._saved_rows = self._rows()
        return done is not None
