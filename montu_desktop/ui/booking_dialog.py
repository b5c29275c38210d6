"""The booking dialog: find or add the patient, pick any or a free doctor, book.

When another desk takes the slot first, everything typed stays, and the nearest free
times are offered instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import phonenumbers
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.model import AppointmentType
from montu_desktop.domain.patients import PatientDetails, parse_birth_date
from montu_desktop.services import booking, booking_view, patients
from montu_desktop.services.booking import BookedAppointment, BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import PatientRecord
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op

SEARCH_DELAY_MS = 200
ANY_DOCTOR = "Any doctor (fair choice)"


def patient_line(record: PatientRecord) -> str:
    """How a patient appears in the search results: name, date of birth, phone."""
    details = record.details
    parts = [record.display_name]
    if details.date_of_birth:
        parts.append(f"born {details.date_of_birth:%d/%m/%Y}")
    if details.phone:
        parts.append(format_phone(details.phone))
    return "  ·  ".join(parts)


def format_phone(stored: str) -> str:
    """A stored E.164 number the way people read it here ('0412 345 678')."""
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


class _SearchBox(QLineEdit):
    """The patient search field: Up and Down move through the results below it."""

    def __init__(self, results: QListWidget) -> None:
        super().__init__()
        self._results = results

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self._results.count():
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = min(max(self._results.currentRow() + step, 0), self._results.count() - 1)
            self._results.setCurrentRow(row)
            return
        super().keyPressEvent(event)


class BookingDialog(QDialog):
    """Books one appointment of a type at a start time; emits nothing, accepts when booked."""

    def __init__(
        self,
        ctx: ServiceContext,
        types: list[AppointmentType],
        type_name: str,
        start: datetime,
        timezone: str,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book an appointment")
        self.ctx, self.timezone, self.busy = ctx, timezone, busy
        self.start = start
        self.booked: BookedAppointment | None = None
        self.new_patient_id: int | None = None
        """A patient created by this dialog (kept when the booking itself must be retried)."""
        self._search_serial = 0
        self._working = False

        self.type_box = QComboBox()
        for kind in types:
            if kind.active:
                self.type_box.addItem(f"{kind.name} ({kind.length_minutes} min)", kind.name)
        self.type_box.setCurrentIndex(max(self.type_box.findData(type_name), 0))
        self.when_label = QLabel()
        self.when_label.setObjectName("bookingWhen")
        self.results = QListWidget()
        self.results.setAccessibleName("Matching patients")
        self.results.setMinimumHeight(120)
        self.search = _SearchBox(self.results)
        self.search.setPlaceholderText("Name, phone or date of birth (31/12/1980)")
        self.search.setAccessibleName("Find patient")
        self.search.setClearButtonEnabled(True)
        self.new_patient_box = QCheckBox("&New patient")
        self.given = QLineEdit()
        self.family = QLineEdit()
        self.birth = QLineEdit()
        self.birth.setPlaceholderText("DD/MM/YYYY")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("0412 345 678")
        self.email = QLineEdit()
        self.new_patient_form = QGroupBox("New patient")
        self.doctor_box = QComboBox()
        self.doctor_box.addItem(ANY_DOCTOR, None)
        self.message = QLabel()
        self.message.setObjectName("bookingMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("QLabel#bookingMessage { color: #a50e0e; font-weight: bold; }")
        self.alternatives = QListWidget()
        self.alternatives.setAccessibleName("Nearest free times")
        self.alternatives.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.book_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.book_button.setText("&Book")
        self.book_button.setDefault(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._build_layout()
        self._connect()
        self._show_when()
        self._toggle_new_patient(False)
        self._load_doctors()
        self.search.setFocus()

    def _build_layout(self) -> None:
        top = QFormLayout()
        top.addRow("&Type:", self.type_box)
        top.addRow("When:", self.when_label)
        top.itemAt(0, QFormLayout.ItemRole.LabelRole).widget().setBuddy(self.type_box)  # type: ignore[union-attr]
        patient = QGroupBox("Patient")
        patient_layout = QVBoxLayout(patient)
        find_label = QLabel("&Find:")
        find_label.setBuddy(self.search)
        patient_layout.addWidget(find_label)
        patient_layout.addWidget(self.search)
        patient_layout.addWidget(self.results)
        patient_layout.addWidget(self.new_patient_box)
        form = QFormLayout(self.new_patient_form)
        form.addRow("&Given name:", self.given)
        form.addRow("&Family name:", self.family)
        form.addRow("Date of &birth:", self.birth)
        form.addRow("&Phone:", self.phone)
        form.addRow("&Email:", self.email)
        patient_layout.addWidget(self.new_patient_form)
        doctor = QFormLayout()
        doctor.addRow("&Doctor:", self.doctor_box)
        doctor.itemAt(0, QFormLayout.ItemRole.LabelRole).widget().setBuddy(self.doctor_box)  # type: ignore[union-attr]
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(patient, 1)
        layout.addLayout(doctor)
        layout.addWidget(self.message)
        layout.addWidget(self.alternatives)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        order = [
            self.search,
            self.results,
            self.new_patient_box,
            self.given,
            self.family,
            self.birth,
            self.phone,
            self.email,
            self.doctor_box,
            self.alternatives,
            self.type_box,
            self.book_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self._search_timer.timeout.connect(self._run_search)
        self.results.itemDoubleClicked.connect(lambda _i: self.try_book())
        self.new_patient_box.toggled.connect(self._toggle_new_patient)
        self.type_box.currentIndexChanged.connect(lambda _i: self._type_changed())
        self.alternatives.currentItemChanged.connect(self._alternative_chosen)
        self.buttons.accepted.connect(self.try_book)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._focus_search)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        self.search.setFocus()

    # Patient search -----------------------------------------------------------------------

    def _focus_search(self) -> None:
        self.new_patient_box.setChecked(False)
        self.search.setFocus()
        self.search.selectAll()

    def _run_search(self) -> None:
        text = self.search.text().strip()
        self._search_serial += 1
        serial = self._search_serial
        if len(text) < 2:
            self.results.clear()
            return
        self._op(
            lambda: patients.find_patients(self.ctx, text, limit=30),
            lambda found: self._show_results(serial, found),
        )

    def _show_results(self, serial: int, found: list[PatientRecord]) -> None:
        if serial != self._search_serial:
            return  # an answer to an older search: the person has typed more since
        self.results.clear()
        for record in found:
            item = QListWidgetItem(patient_line(record))
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
        else:
            self.results.addItem(
                QListWidgetItem("No patient found: tick “New patient” to add one.")
            )
            self.results.item(0).setFlags(Qt.ItemFlag.NoItemFlags)

    def selected_patient_id(self) -> int | None:
        item = self.results.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return int(value) if value is not None else None

    def _toggle_new_patient(self, on: bool) -> None:
        self.new_patient_form.setVisible(on)
        self.results.setEnabled(not on)
        self.search.setEnabled(not on)
        if on:
            words = self.search.text().split()
            if words and not self.family.text() and not self.given.text() and words[0].isalpha():
                self.given.setText(words[0].capitalize())
                if len(words) > 1:
                    self.family.setText(" ".join(words[1:]).title())
            self.given.setFocus()

    # Type, time and doctors -----------------------------------------------------------------

    @property
    def type_name(self) -> str:
        return str(self.type_box.currentData() or "")

    def _show_when(self) -> None:
        local = to_local(self.start, self.timezone)
        self.when_label.setText(f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}")

    def _type_changed(self) -> None:
        self._load_doctors()

    def _load_doctors(self) -> None:
        type_name, start = self.type_name, self.start
        self._op(
            lambda: booking_view.free_doctors_at(self.ctx, type_name, start),
            self._show_doctors,
        )

    def _show_doctors(self, doctors: list[Any]) -> None:
        chosen = self.doctor_box.currentData()
        self.doctor_box.clear()
        self.doctor_box.addItem(ANY_DOCTOR, None)
        for doctor in doctors:
            self.doctor_box.addItem(doctor.name, doctor.id)
        self.doctor_box.setCurrentIndex(max(self.doctor_box.findData(chosen), 0))
        if not doctors and not self.message.text():
            self.message.setText("Nobody is free for this type at this time any more.")

    def _alternative_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        self.start = item.data(Qt.ItemDataRole.UserRole)
        self._show_when()
        self.when_label.setText(self.when_label.text() + "  (new time: press Book)")
        self._load_doctors()

    # Booking ----------------------------------------------------------------------------------

    def _patient_details(self) -> PatientDetails:
        return PatientDetails(
            given_name=self.given.text(),
            family_name=self.family.text(),
            date_of_birth=parse_birth_date(self.birth.text()),
            phone=self.phone.text().strip() or None,
            email=self.email.text().strip() or None,
        )

    def try_book(self) -> None:
        """Book with what is on screen; on failure keep it all and say why."""
        if self._working:
            return
        request_patient: int | None
        details: PatientDetails | None = None
        try:
            if self.new_patient_box.isChecked() and self.new_patient_id is None:
                details = self._patient_details()
                request_patient = None
            else:
                request_patient = (
                    self.new_patient_id
                    if self.new_patient_box.isChecked()
                    else self.selected_patient_id()
                )
                if request_patient is None:
                    raise InvalidRequest("patient", "find the patient first, or tick New patient")
        except InvalidRequest as error:
            self._failed(error)
            return
        type_name, start, doctor = self.type_name, self.start, self.doctor_box.currentData()

        def work() -> BookedAppointment:
            patient_id = request_patient
            if patient_id is None:
                assert details is not None
                patient_id = patients.add_patient(self.ctx, details).id
                self.new_patient_id = patient_id
            request = BookingRequest(type_name, start, patient_id, doctor)
            return booking.book_appointment(self.ctx, request)

        self._working = True
        self.book_button.setEnabled(False)
        self.message.setText("Booking…")
        self._op(work, self._booked, self._failed)

    def _booked(self, booked: BookedAppointment) -> None:
        self._working = False
        self.booked = booked
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._working = False
        self.book_button.setEnabled(True)
        self.message.setText(plain_words(error))
        if isinstance(error, SlotTaken):
            self._offer_alternatives()

    def _offer_alternatives(self) -> None:
        type_name, near = self.type_name, self.start
        self._op(
            lambda: booking_view.nearest_free_slots(self.ctx, type_name, near, count=4),
            self._show_alternatives,
        )
        self._load_doctors()

    def _show_alternatives(self, starts: list[datetime]) -> None:
        self.alternatives.blockSignals(True)
        self.alternatives.clear()
        for start in starts:
            local = to_local(start, self.timezone)
            item = QListWidgetItem(f"{local:%a} {local.day} {local:%b}, {local:%H:%M}")
            item.setData(Qt.ItemDataRole.UserRole, start)
            self.alternatives.addItem(item)
        self.alternatives.blockSignals(False)
        self.alternatives.setVisible(bool(starts))
        if starts:
            self.message.setText(
                self.message.text() + " Choose one of the nearest free times below, then Book."
            )
            self.alternatives.setFocus()

    def _op(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        run_op(
            self, work, done, failed or (lambda e: self.message.setText(plain_words(e))), self.busy
        )
