"""The waitlist: who is waiting for which type, adding and removing them, and booking the one
who fits a freed time in one step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentType, Doctor
from montu_desktop.domain.patients import SEARCH_MAX_CHARS
from montu_desktop.domain.waitlist import PartOfDay
from montu_desktop.domain.wording import day_label, when_label
from montu_desktop.services import booking, patients, waitlist
from montu_desktop.services.booking import BookedAppointment, BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.waitlist import WaitlistItem
from montu_desktop.ui.date_range import in_window
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op
from montu_desktop.ui.same_day import ask_same_day

COLUMNS = ["Added", "Patient", "Type", "Doctor", "Dates", "Part of day", "Earliest fit", "Note"]


class WaitlistDialog(QDialog):
    """Open waitlist entries, oldest first; given a freed time, only those who fit it."""

    def __init__(
        self,
        ctx: ServiceContext,
        types: list[AppointmentType],
        doctors: list[Doctor],
        timezone: str,
        *,
        freed: tuple[str, datetime] | None = None,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.timezone, self.busy, self.freed = ctx, timezone, busy, freed
        self.doctor_names = {d.id: d.name for d in doctors}
        self.entries: list[WaitlistItem] = []
        self.fits: dict[int, datetime] = {}
        self.same_day_question: QMessageBox | None = None
        """The "already booked that day" question, while it is open."""
        """Entry id → the earliest free start that fits it (shown when listing everyone)."""
        self.booked: BookedAppointment | None = None
        self.setWindowTitle("Waitlist")
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Waitlist entries")
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.book_button = QPushButton("&Book into the freed time")
        self.book_button.setVisible(freed is not None)
        self.book_button.clicked.connect(self.book_selected)
        self.book_fit_button = QPushButton("Book the &earliest fit")
        self.book_fit_button.setVisible(freed is None)
        self.book_fit_button.clicked.connect(self.book_earliest_fit)
        self.remove_button = QPushButton("&Remove from waitlist")
        self.remove_button.clicked.connect(self.remove_selected)
        self.show_all = QPushButton("Show e&veryone waiting")
        self.show_all.setVisible(freed is not None)
        self.show_all.clicked.connect(self._show_everyone)
        for button in (self.book_button, self.book_fit_button, self.remove_button, self.show_all):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

        self.form = QGroupBox("Put a patient on the waitlist")
        form = QFormLayout(self.form)
        self.patient_search = QLineEdit()
        self.patient_search.setMaxLength(SEARCH_MAX_CHARS)
        self.patient_search.setPlaceholderText("Name, phone or date of birth, then Enter")
        self.patient_search.returnPressed.connect(self._find_patient)
        self.patient_box = QComboBox()
        patient_row = QHBoxLayout()
        patient_row.addWidget(self.patient_search, 1)
        patient_row.addWidget(self.patient_box, 1)
        form.addRow("Patient:", patient_row)
        self.type_box = QComboBox()
        for kind in types:
            if kind.active:
                self.type_box.addItem(f"{kind.name} ({kind.length_minutes} min)", kind.name)
        form.addRow("&Type:", self.type_box)
        self.doctor_box = QComboBox()
        self.doctor_box.addItem("Any doctor", None)
        for doctor in doctors:
            if doctor.bookable:
                self.doctor_box.addItem(doctor.name, doctor.id)
        form.addRow("&Doctor:", self.doctor_box)
        dates = QHBoxLayout()
        self.from_on, self.until_on = QCheckBox("From"), QCheckBox("until")
        today = QDate(to_local(ctx.clock(), timezone).date())  # the clinic's day, not the PC's
        self.from_day, self.until_day = (
            in_window(QDateEdit(today)),
            in_window(QDateEdit(today.addDays(28))),
        )
        for edit in (self.from_day, self.until_day):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("ddd d MMM yyyy")
        for widget in (self.from_on, self.from_day, self.until_on, self.until_day):
            dates.addWidget(widget)
        dates.addStretch(1)
        form.addRow("Dates:", dates)
        self.part_box = QComboBox()
        for label, value in (
            ("Any time", "any"),
            ("Morning", "morning"),
            ("Afternoon", "afternoon"),
        ):
            self.part_box.addItem(label, value)
        form.addRow("Part of day:", self.part_box)
        self.note = QLineEdit()
        self.note.setMaxLength(400)
        form.addRow("&Note:", self.note)
        self.add_button = QPushButton("&Add to waitlist")
        self.add_button.clicked.connect(self.add_entry)
        form.addRow("", self.add_button)
        layout.addWidget(self.form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a50e0e; font-weight: bold;")
        layout.addWidget(self.message)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.setMinimumSize(900, 600)
        self.load()

    # Loading -----------------------------------------------------------------------------

    def load(self) -> None:
        freed = self.freed
        if freed is None:
            self.heading.setText(
                "Everyone waiting, oldest first, with the earliest free time that fits each."
            )

            def everyone() -> list[WaitlistItem]:
                entries = waitlist.list_waitlist(self.ctx)
                self.fits = waitlist.earliest_fits(self.ctx, entries)
                return entries

            self._op(everyone, self._show)
            return
        type_name, start = freed
        local = to_local(start, self.timezone)
        self.heading.setText(
            f"Waiting patients who fit the freed time: {type_name}, "
            f"{local:%A} {local.day} {local:%B} at {local:%H:%M} (oldest first)."
        )
        self._op(lambda: waitlist.waitlist_matches(self.ctx, type_name, start), self._show)

    def _show_everyone(self) -> None:
        self.freed = None
        self.book_button.setVisible(False)
        self.show_all.setVisible(False)
        self.book_fit_button.setVisible(True)
        self.load()

    def _show(self, entries: list[WaitlistItem]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for row, item in enumerate(entries):
            added = to_local(item.created_at, self.timezone)
            dates = (
                f"{_day(item.from_day) or 'now'} – {_day(item.until_day) or 'any time'}"
                if item.from_day or item.until_day
                else "any"
            )
            cells = [
                when_label(added),
                item.patient_name,
                item.type_name,
                self.doctor_names.get(item.doctor_id, "") if item.doctor_id else "Any",
                dates,
                item.part,
                self._when(self.fits.get(item.id)) if self.freed is None else "",
                item.note,
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if entries:
            self.table.selectRow(0)
        self.book_button.setEnabled(bool(entries))
        self.book_fit_button.setEnabled(bool(entries))
        self.remove_button.setEnabled(bool(entries))
        if self.freed is not None and not entries:
            self.heading.setText(self.heading.text() + "\nNobody on the waitlist fits it.")

    def selected(self) -> WaitlistItem | None:
        row = self.table.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    # Actions -----------------------------------------------------------------------------

    def _find_patient(self) -> None:
        text = self.patient_search.text()
        self._op(lambda: patients.find_patients(self.ctx, text, limit=20), self._patients_found)

    def _patients_found(self, found: list[Any]) -> None:
        self.patient_box.clear()
        for record in found:
            self.patient_box.addItem(record.display_name, record.id)
        if not found:
            self.message.setText("No patient found: check the spelling, phone or date of birth.")

    def add_entry(self) -> None:
        patient_id = self.patient_box.currentData()
        if patient_id is None:
            self.message.setText("Find the patient first (type a name and press Enter).")
            return
        type_name = str(self.type_box.currentData() or "")
        doctor_id = self.doctor_box.currentData()
        from_day = _as_date(self.from_day) if self.from_on.isChecked() else None
        until_day = _as_date(self.until_day) if self.until_on.isChecked() else None
        part, note = str(self.part_box.currentData()), self.note.text()

        def work() -> int:
            return waitlist.add_to_waitlist(
                self.ctx,
                patient_id,
                type_name,
                doctor_id=doctor_id,
                from_day=from_day,
                until_day=until_day,
                part=part,
                note=note,
            )

        self._op(work, lambda _id: self._changed("Added to the waitlist."))

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self._op(
            lambda: waitlist.remove_from_waitlist(self.ctx, entry.id),
            lambda _r: self._changed("Taken off the waitlist."),
        )

    def book_selected(self) -> None:
        """Book the selected waiting patient into the freed time; their entry closes with it."""
        entry, freed = self.selected(), self.freed
        if entry is None or freed is None:
            return
        type_name, start = freed
        self._book(entry, type_name, start)

    def book_earliest_fit(self) -> None:
        """Book the selected waiting patient at the earliest free time that fits them."""
        entry = self.selected()
        if entry is None:
            return
        start = self.fits.get(entry.id)
        if start is None:
            self.message.setText("No free time fits this patient yet.")
            return
        self._book(entry, entry.type_name, start)

    def _book(self, entry: WaitlistItem, type_name: str, start: datetime) -> None:
        """As the booking dialog books: ask first when the patient already has an appointment
        that day, and the doctor the entry asked for (if any) or else the fair choice."""
        request = BookingRequest(
            type_name, start, entry.patient_id, entry.doctor_id, waitlist_id=entry.id
        )
        day = to_local(start, self.timezone).date()

        def book() -> None:
            self._op(lambda: booking.book_appointment(self.ctx, request), self._booked)

        def checked(found: list[patients.PatientAppointment]) -> None:
            if not found:
                book()
                return

            def answered(another: bool) -> None:
                if another:
                    book()
                else:
                    self.message.setText(
                        f"Nothing was booked: {entry.patient_name} is already booked that day."
                    )

            self.same_day_question = ask_same_day(
                self, entry.patient_name, day, found, self.timezone, answered
            )

        self._op(lambda: patients.same_day_bookings(self.ctx, entry.patient_id, day), checked)

    def prefill(self, type_name: str, wanted: datetime) -> None:
        """The form set for a patient who wanted `type_name` at a booked-out time: that type,
        that day, that part of day; the cursor in the patient search."""
        local = to_local(wanted, self.timezone)
        self.type_box.setCurrentIndex(max(self.type_box.findData(type_name), 0))
        for tick, edit in ((self.from_on, self.from_day), (self.until_on, self.until_day)):
            tick.setChecked(True)
            edit.setDate(QDate(local.date()))
        part = PartOfDay.MORNING if PartOfDay.MORNING.holds(local.time()) else PartOfDay.AFTERNOON
        self.part_box.setCurrentIndex(max(self.part_box.findData(part.value), 0))
        self.message.setStyleSheet("color: #1e4f8a;")
        self.message.setText(
            f"{type_name} on {when_label(local)} is booked out: find the patient, "
            "then Add to waitlist (widen the dates if they can come another day)."
        )
        self.patient_search.setFocus()

    def _when(self, start: datetime | None) -> str:
        if start is None:
            return "none yet"
        return when_label(to_local(start, self.timezone))

    def _booked(self, booked: BookedAppointment) -> None:
        self.booked = booked
        self.accept()

    def _changed(self, note: str) -> None:
        self.message.setStyleSheet("color: #1e7b34;")
        self.message.setText(note)
        self.load()

    def _op(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def failed(error: BaseException) -> None:
            self.message.setStyleSheet("color: #a50e0e; font-weight: bold;")
            self.message.setText(plain_words(error))

        run_op(self, work, done, failed, self.busy)


def _day(day: date | None) -> str:
    return day_label(day) if day else ""


def _as_date(edit: QDateEdit) -> date:
    return edit.date().toPython()  # type: ignore[no-any-return]
