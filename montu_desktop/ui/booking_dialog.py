"""The booking dialog: find or add the patient, pick any or a free doctor, book.

When another desk takes the slot first, everything typed stays, and the nearest free
times are offered instead.

Enter and Book only ever book the patient shown for the text now typed: while a search for
newer text is waiting (the debounce) or running, and while the doctor list for a changed
type or time is loading, the booking waits for that answer, and answers for older text are
thrown away. When the awaited answer holds exactly one patient it is booked; several
matches are highlighted and the receptionist presses Enter again after looking.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.booking import clean_work_in_reason
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, SlotTaken
from montu_desktop.domain.model import AppointmentType
from montu_desktop.domain.patients import SEARCH_MAX_CHARS, PatientDetails
from montu_desktop.domain.visits import clean_note
from montu_desktop.domain.wording import when_label
from montu_desktop.services import booking, booking_view, patients, series
from montu_desktop.services.booking import NO_PATIENT_YET, BookedAppointment, BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import PatientAppointment, PatientRecord
from montu_desktop.services.series import SeriesResult
from montu_desktop.ui.appointment_dialogs import NoteCounter
from montu_desktop.ui.errors import field_label, plain_words
from montu_desktop.ui.operations import BusyTracker, run_op
from montu_desktop.ui.patient_form import PATIENT_FIELDS, PatientForm, error_row, show_error
from montu_desktop.ui.patient_merge import DuplicateWarning
from montu_desktop.ui.same_day import ask_same_day
from montu_desktop.ui.series_preview import SeriesBox
from montu_desktop.ui.wording import SEARCH_DELAY_MS, alert_words, format_phone

ANY_DOCTOR = "Any doctor (fair choice)"
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
ALERTS_ROLE = Qt.ItemDataRole.UserRole + 2
"""The patient's alerts in words ('' for none): shown in red when the patient is chosen."""
"""A result's patient name as spoken ('Ava Singh')."""


def patient_line(record: PatientRecord, timezone: str | None = None) -> str:
    """How a patient appears in the search results: name, date of birth, phone, next visit."""
    details = record.details
    parts = [("! " if details.alerts else "") + record.display_name]
    if details.date_of_birth:
        parts.append(f"born {details.date_of_birth:%d/%m/%Y}")
    if details.phone:
        parts.append(format_phone(details.phone))
    coming = record.next_appointment
    if coming is not None and timezone is not None:
        local = to_local(coming.start, timezone)
        parts.append(f"next {when_label(local)}")
    return "  ·  ".join(parts)


def screen_room(widget: QWidget) -> QRect:
    """The part of the widget's screen that windows may take (without the taskbar)."""
    return widget.screen().availableGeometry()


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


@dataclass(frozen=True, slots=True)
class _Duplicates:
    """The new patient looks already stored: these records, to show before anything is added."""

    records: list[PatientRecord]


@dataclass(frozen=True, slots=True)
class _Made:
    """What a booking's worker made, handed to the GUI thread (a worker never sets a widget's
    attributes): the booking, the patient it added, the series, or why the booking was
    refused after the patient was added."""

    booked: BookedAppointment | None
    new_patient_id: int | None = None
    series: SeriesResult | None = None
    refused: BaseException | None = None


class BookingDialog(QDialog):
    """Books one appointment of a type at a start time; accepts when booked."""

    patient_wanted = Signal(int)
    """Open the patient record of the highlighted patient."""

    def __init__(
        self,
        ctx: ServiceContext,
        types: list[AppointmentType],
        type_name: str,
        start: datetime,
        timezone: str,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
        *,
        work_in: bool = False,
    ) -> None:
        super().__init__(parent)
        self.work_in = work_in
        """Squeeze the patient in over a booked doctor's time (a named doctor and a reason)."""
        self.setWindowTitle("Work in a patient" if work_in else "Book an appointment")
        self.ctx, self.timezone, self.busy = ctx, timezone, busy
        self.start = start
        self.booked: BookedAppointment | None = None
        self.new_patient_id: int | None = None
        """A patient created by this dialog (kept when the booking itself must be retried)."""
        self._search_serial = 0
        self._working = False
        self._results_for = ""
        """The search text the results list was built for (empty: nothing searched yet)."""
        self._doctors_for: tuple[str, datetime] | None = None
        """The (type, start) the doctor list was loaded for."""
        self._book_when_ready = False
        """Book was pressed while a search or the doctor list was still on its way."""
        self.requested_doctor: int | None = None
        """The doctor asked for when booking (None: Any doctor, the fair choice)."""
        self._created_here: set[int] = set()
        self._same_day_accepted: set[tuple[int, date]] = set()
        self._allow_duplicate = False
        self.same_day_question: QMessageBox | None = None
        self.duplicate_warning: QDialog | None = None

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
        self.search.setMaxLength(SEARCH_MAX_CHARS)
        self.search.setPlaceholderText("Name, phone or date of birth (31/12/1980)")
        self.search.setAccessibleName("Find patient")
        self.search.setClearButtonEnabled(True)
        self.search_state = QLabel()
        self.search_state.setObjectName("searchState")
        self.search_state.setAccessibleName("Search state")
        self.patient_alerts = QLabel()
        self.patient_alerts.setObjectName("bookingAlerts")
        self.patient_alerts.setAccessibleName("Patient alerts")
        self.patient_alerts.setWordWrap(True)
        self.patient_alerts.setStyleSheet(
            "QLabel#bookingAlerts { background: #c5221f; color: white; font-weight: bold;"
            " padding: 3px; }"
        )
        self.patient_alerts.setVisible(False)
        self.new_patient_box = QCheckBox("&New patient")
        self.patient_form = PatientForm()
        form = self.patient_form
        self.given, self.family, self.birth = form.given, form.family, form.birth
        self.phone, self.email = form.phone, form.email
        self.new_patient_form = QGroupBox("New patient")
        self.doctor_box = QComboBox()
        self.doctor_box.addItem(ANY_DOCTOR, None)
        self.note = QLineEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("Reason for visit (optional; never sent to the patient)")
        # No maxLength: a pasted note longer than the limit is shown whole and counted, and
        # Book waits until it is shortened (a cut at the limit went unnoticed).
        self.note_counter = NoteCounter(self.note.text)
        self.work_in_reason = QLineEdit()
        self.work_in_reason.setAccessibleName("Work-in reason")
        self.work_in_reason.setPlaceholderText("Why squeeze this patient in (required)")
        self.field_errors: dict[str, QLabel] = dict(form.errors)
        """A red line under each field the booking checks, shown when that field is wrong."""
        self._fields = {**form.lines, "note": self.note, "reason": self.work_in_reason}
        self.record_button = QPushButton("Patient &record…")
        self.record_button.setAutoDefault(False)
        self.urgent = QCheckBox("&Urgent patient (may take time held for urgent patients)")
        self.why_label = QLabel()
        self.why_label.setObjectName("bookingWhy")
        self.why_label.setWordWrap(True)
        self.why_label.setStyleSheet("QLabel#bookingWhy { color: #3c4043; }")
        self._doctor_names: dict[int, str] = {}
        self.series_box = SeriesBox(timezone)
        self.series_result: SeriesResult | None = None
        """The series booked, when the dialog booked one (self.booked is its first visit)."""
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
        self.results.setMinimumWidth(520)  # a result line carries the next appointment too
        # The note's hint is read whole beside its counter.
        self.note.setMinimumWidth(
            self.note.fontMetrics().horizontalAdvance(self.note.placeholderText()) + 16
        )
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
        patient_layout.addWidget(self.search_state)
        patient_layout.addWidget(self.results)
        patient_layout.addWidget(self.patient_alerts)
        below = QHBoxLayout()
        below.addWidget(self.new_patient_box)
        below.addStretch(1)
        below.addWidget(self.record_button)
        patient_layout.addLayout(below)
        # The group's own margins are the form's: the form inside it adds none.
        holder = QVBoxLayout(self.new_patient_form)
        holder.setContentsMargins(0, 0, 0, 0)
        holder.addWidget(self.patient_form)
        patient_layout.addWidget(self.new_patient_form)
        doctor = QFormLayout()
        doctor.addRow("&Doctor:", self.doctor_box)
        doctor.itemAt(0, QFormLayout.ItemRole.LabelRole).widget().setBuddy(self.doctor_box)  # type: ignore[union-attr]
        self._error_row(doctor, "N&ote:", "note", self.note_counter)
        if self.work_in:
            self._error_row(doctor, "Wor&k-in reason:", "reason")
        doctor.addRow("", self.why_label)
        doctor.addRow("", self.urgent)
        self.urgent.setVisible(not self.work_in)
        self.series_box.setVisible(not self.work_in)
        # Two columns, who then what: one column was taller than a 1366x768 screen (it
        # scrolled before Repeat, and with a new patient before Doctor).
        who = QVBoxLayout()
        who.addLayout(top)
        who.addWidget(patient, 1)
        what = QVBoxLayout()
        what.addLayout(doctor)
        what.addWidget(self.series_box)
        what.addStretch(1)
        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(who, 1)
        body_layout.addSpacing(12)
        body_layout.addLayout(what, 1)
        # The form still scrolls on a screen too short for it (1024x600); the message, the
        # alternatives and Book stay in view.
        self.body = QScrollArea()
        self.body.setWidgetResizable(True)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        self.body.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.alternatives)
        layout.addWidget(self.buttons)
        # As wide as both columns (no sideways scrolling), unless the screen is narrower.
        body.ensurePolished()
        room = screen_room(self).width() - 60
        self.body.setMinimumWidth(min(body.sizeHint().width(), room))
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
            self.note,
            *([self.work_in_reason] if self.work_in else []),
            self.urgent,
            *self.series_box.tab_order(),
            self.alternatives,
            self.type_box,
            self.book_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _error_row(
        self, form: QFormLayout, label: str, field: str, beside: QWidget | None = None
    ) -> None:
        self.field_errors[field] = error_row(form, label, self._fields[field], field, beside)

    def _connect(self) -> None:
        self.note.textChanged.connect(lambda _t: self.note_counter.update_count())
        self.note_counter.fits_changed.connect(lambda _fits: self._enable_book())
        self.search.textChanged.connect(self._search_text_changed)
        self.doctor_box.activated.connect(lambda _i: self._drop_pending_booking())
        self._search_timer.timeout.connect(self._run_search)
        self.results.itemDoubleClicked.connect(lambda _i: self.try_book())
        self.results.currentItemChanged.connect(lambda item, _p: self._show_alerts(item))
        self.record_button.clicked.connect(self._open_record)
        self.new_patient_box.toggled.connect(self._toggle_new_patient)
        self.type_box.currentIndexChanged.connect(lambda _i: self._type_changed())
        self.urgent.toggled.connect(lambda _on: self._load_doctors())
        self.series_box.preview_wanted.connect(self.preview_series)
        self.series_box.grown.connect(lambda: QTimer.singleShot(0, self, self._fit))
        self.alternatives.currentItemChanged.connect(self._alternative_chosen)
        self.buttons.accepted.connect(self.try_book)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._focus_search)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter always means Book (through the waiting rules of try_book): Qt's default
        # button can lose its default mark after a mouse click, and must not decide this.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            focus = self.focusWidget()
            if isinstance(focus, QPushButton) and focus is not self.book_button:
                focus.click()
            else:
                self.try_book()
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        self.search.setFocus()
        QTimer.singleShot(0, self, self._fit)

    # Patient search -----------------------------------------------------------------------

    def _focus_search(self) -> None:
        self.new_patient_box.setChecked(False)
        self.search.setFocus()
        self.search.selectAll()

    def search_text(self) -> str:
        return self.search.text().strip()

    def search_settled(self) -> bool:
        """True when the results list shows the answer for the text now typed."""
        return not self._search_timer.isActive() and self._results_for == self.search_text()

    def doctors_settled(self) -> bool:
        """True when the doctor list is the one for the type and time now shown."""
        return self._doctors_for == (self.type_name, self.start)

    def _search_text_changed(self, _text: str) -> None:
        self._drop_pending_booking()
        self._search_timer.start()
        if self._results_for != self.search_text():
            # What the list shows belongs to older text: grey it until the new answer comes.
            self.results.setEnabled(False)
            self.search_state.setText("Searching…" if len(self.search_text()) >= 2 else "")

    def _run_search(self) -> None:
        text = self.search_text()
        self._search_serial += 1
        serial = self._search_serial
        if len(text) < 2:
            self.results.clear()
            self._results_for = text
            self.results.setEnabled(not self.new_patient_box.isChecked())
            self.search_state.setText("")
            self._book_if_waiting()
            return
        self.search_state.setText("Searching…")
        self._op(
            lambda: patients.find_patients(self.ctx, text, limit=30),
            lambda found: self._show_results(serial, found, text),
            lambda error: self._search_failed(text, error),
        )

    def _search_failed(self, text: str, error: BaseException) -> None:
        if text != self.search_text():
            return
        # Settled, with nobody to book: Book then asks to find the patient again.
        self._results_for = text
        self.results.clear()
        self.search_state.setText("")
        self._drop_pending_booking()
        self.message.setText(plain_words(error))

    def refresh_search(self) -> None:
        """Patients changed (a merge, another desk): ask the settled search again so a record
        merged away leaves the list. The highlighted patient stays highlighted; if it was the
        one merged away, nobody is highlighted in its place (Book never swaps silently)."""
        text = self.search_text()
        if (
            len(text) < 2
            or not self.search_settled()
            or self._book_when_ready
            or self.new_patient_box.isChecked()
        ):
            return
        serial, keep = self._search_serial, self.selected_patient_id()
        self._op(
            lambda: patients.find_patients(self.ctx, text, limit=30),
            lambda found: self._refreshed(serial, text, keep, found),
            lambda _error: None,
        )

    def _refreshed(
        self, serial: int, text: str, keep: int | None, found: list[PatientRecord]
    ) -> None:
        if self._book_when_ready or self.selected_patient_id() != keep:
            return  # Book was pressed, or another patient chosen, meanwhile
        self._show_results(serial, found, text, keep=keep, refreshed=True)

    def _show_results(
        self,
        serial: int,
        found: list[PatientRecord],
        text: str,
        *,
        keep: int | None = None,
        refreshed: bool = False,
    ) -> None:
        if text != self.search_text() or serial != self._search_serial:
            return  # an answer to an older search: the person has typed more since
        self._results_for = text
        self.results.setEnabled(not self.new_patient_box.isChecked())
        self.search_state.setText("")
        self.results.clear()
        for record in found:
            item = QListWidgetItem(patient_line(record, self.timezone))
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            item.setData(NAME_ROLE, f"{record.details.given_name} {record.details.family_name}")
            item.setData(ALERTS_ROLE, alert_words(record.details.alerts, record.details.alert_note))
            self.results.addItem(item)
        ids = [r.id for r in found]
        if found:
            kept = refreshed and keep is not None
            self.results.setCurrentRow((ids.index(keep) if keep in ids else -1) if kept else 0)
        else:
            self.results.addItem(
                QListWidgetItem("No patient found: tick “New patient” to add one.")
            )
            self.results.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self._book_if_waiting()

    def choose_patient(self, record: PatientRecord) -> None:
        """Open on one patient already chosen (the Recalls window's Book…)."""
        text = f"{record.details.given_name} {record.details.family_name}"
        self.search.blockSignals(True)
        self.search.setText(text)
        self.search.blockSignals(False)
        self._search_serial += 1
        self._show_results(self._search_serial, [record], text)

    def _show_alerts(self, item: QListWidgetItem | None) -> None:
        words = item.data(ALERTS_ROLE) if item is not None else None
        self.patient_alerts.setText(f"! Alert: {words}" if words else "")
        self.patient_alerts.setVisible(bool(words))

    def matching_count(self) -> int:
        """How many patients the results list shows (not counting the 'none found' line)."""
        return sum(
            1
            for row in range(self.results.count())
            if self.results.item(row).data(Qt.ItemDataRole.UserRole) is not None
        )

    def _open_record(self) -> None:
        patient_id = self.selected_patient_id()
        if self.new_patient_box.isChecked() and self.new_patient_id is not None:
            patient_id = self.new_patient_id
        if patient_id is None:
            self.message.setText("Patient: find the patient first, then open their record.")
            return
        self.patient_wanted.emit(patient_id)

    def selected_patient_id(self) -> int | None:
        """The highlighted patient, only when the list answers the text now typed."""
        if not self.search_settled():
            return None
        item = self.results.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return int(value) if value is not None else None

    def _toggle_new_patient(self, on: bool) -> None:
        self._drop_pending_booking()
        self.new_patient_form.setVisible(on)
        self._show_alerts(None if on else self.results.currentItem())
        self.patient_form.hide_problems()
        self.results.setEnabled(not on and self._results_for == self.search_text())
        self.search.setEnabled(not on)
        if on:
            words = self.search.text().split()
            if words and not self.family.text() and not self.given.text() and words[0].isalpha():
                self.given.setText(words[0].capitalize())
                if len(words) > 1:
                    self.family.setText(" ".join(words[1:]).title())
            self.given.setFocus()
        QTimer.singleShot(0, self, self._fit)

    # Type, time and doctors -----------------------------------------------------------------

    @property
    def type_name(self) -> str:
        return str(self.type_box.currentData() or "")

    def _show_when(self) -> None:
        local = to_local(self.start, self.timezone)
        self.when_label.setText(f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}")

    def _type_changed(self) -> None:
        self._drop_pending_booking()
        self._load_doctors()

    def _load_doctors(self) -> None:
        type_name, start, urgent = self.type_name, self.start, self.urgent.isChecked()
        self.doctor_box.setEnabled(False)

        def work() -> tuple[list[Any], Any]:
            if self.work_in:  # only the doctors already booked then: squeezed in beside
                return booking_view.work_in_doctors(self.ctx, type_name, start), None
            free = booking_view.free_doctors_at(self.ctx, type_name, start, urgent=urgent)
            return free, booking_view.choice_preview(self.ctx, type_name, start, urgent=urgent)

        self._op(
            work,
            lambda found: self._show_doctors(type_name, start, *found),
            lambda error: self._doctors_failed(type_name, start, error),
        )

    def refresh_doctors(self) -> None:
        """Appointments changed (here or at another desk): the free doctors and the fair
        choice's words follow, and Book waits for that answer (a booking on its way answers
        for itself)."""
        if self._working:
            return
        self._doctors_for = None
        self._load_doctors()

    def why_text(self, booked: BookedAppointment) -> str:
        """'Dr Chen: 2 h of 7 h booked, the least of 3 free' for the booking made."""
        if booked.choice is None:
            return ""
        return booked.choice.why(self._doctor_names.get(booked.doctor_id, "The doctor"))

    def _doctors_failed(self, type_name: str, start: datetime, error: BaseException) -> None:
        if (type_name, start) != (self.type_name, self.start):
            return
        # Only "Any doctor" is left to offer; the booking itself checks who is free.
        self.doctor_box.clear()
        self.doctor_box.addItem(ANY_DOCTOR, None)
        self.doctor_box.setEnabled(True)
        self._doctors_for = (type_name, start)
        self._drop_pending_booking()
        self.message.setText(plain_words(error))

    def _show_doctors(
        self, type_name: str, start: datetime, doctors: list[Any], preview: Any = None
    ) -> None:
        if (type_name, start) != (self.type_name, self.start):
            return  # the list for a type or time no longer shown
        self._doctor_names.update({d.id: d.name for d in doctors})
        self.why_label.setText(preview.summary(self._doctor_names) if preview is not None else "")
        chosen = self.doctor_box.currentData()
        chosen_name = self.doctor_box.currentText()
        self.doctor_box.clear()
        if not self.work_in:  # a work-in always names its doctor: no fair choice
            self.doctor_box.addItem(ANY_DOCTOR, None)
        for doctor in doctors:
            self.doctor_box.addItem(doctor.name, doctor.id)
        self.doctor_box.setCurrentIndex(max(self.doctor_box.findData(chosen), 0))
        self.doctor_box.setEnabled(True)
        self._doctors_for = (type_name, start)
        if chosen is not None and self.doctor_box.currentData() != chosen:
            # The doctor asked for is not free for this type and time: never swap silently.
            self._drop_pending_booking()
            self.message.setText(
                f"{chosen_name} is not free for this type at this time: "
                "choose a doctor (or Any doctor), then Book."
            )
        elif not doctors and self.work_in and not self.message.text():
            self.message.setText("No doctor is booked at this time: book it the ordinary way.")
        elif not doctors and not self.message.text():
            self.message.setText("Nobody is free for this type at this time any more.")
        self._book_if_waiting()

    def _alternative_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        self.start = item.data(Qt.ItemDataRole.UserRole)
        self._show_when()
        self.when_label.setText(self.when_label.text() + "  (new time: press Book)")
        self._load_doctors()

    # Booking ----------------------------------------------------------------------------------

    def _drop_pending_booking(self) -> None:
        """Typing, a new type or another doctor means the earlier Book no longer holds."""
        if self._book_when_ready:
            self._book_when_ready = False
            self.message.setText("")

    def waiting_for(self) -> str | None:
        """What Book must wait for before it can book what is shown, or None."""
        if not self.doctors_settled():
            return "the doctors free at this time"
        if not self.new_patient_box.isChecked() and not self.search_settled():
            return f"patients matching “{self.search_text()}”"
        return None

    def _book_if_waiting(self) -> None:
        if not self._book_when_ready or self.waiting_for() is not None:
            return
        self._book_when_ready = False
        self.message.setText("")
        if not self.new_patient_box.isChecked():
            found = self.matching_count()
            if found == 0:
                self.message.setText(
                    f"No patient matches “{self.search_text()}”: nothing was booked."
                )
                return
            if found > 1:
                self.message.setText(
                    f"{found} patients match “{self.search_text()}”: check the highlighted "
                    "one (Up/Down), then press Enter again."
                )
                # Focus stays in Find: typing more narrows the list, Up/Down move in it.
                return
        self.try_book()

    def try_book(self) -> None:
        """Book with what is on screen; on failure keep it all and say why.

        While the answer for what is now typed (or the doctors for the type and time now
        shown) is still on its way, wait for it rather than book an older highlight.
        """
        if self._working:
            return
        # Typing mistakes are all said at once, not after the doctors have loaded.
        if not self.check_typed():
            return
        waiting = self.waiting_for()
        if waiting is not None:
            self._book_when_ready = True
            self.message.setText(f"Searching… the booking waits for {waiting}.")
            return
        request_patient: int | None
        details: PatientDetails | None = None
        try:
            if self.new_patient_box.isChecked() and self.new_patient_id is None:
                details = self.patient_form.details()
                request_patient = None
            else:
                request_patient = (
                    self.new_patient_id
                    if self.new_patient_box.isChecked()
                    else self.selected_patient_id()
                )
                if request_patient is None:
                    raise InvalidRequest("patient", "find the patient first, or tick New patient")
            note = clean_note(self.note.text())
            reason = clean_work_in_reason(self.work_in_reason.text()) if self.work_in else None
        except InvalidRequest as error:
            self._failed(error)
            return
        type_name, start, doctor = self.type_name, self.start, self.doctor_box.currentData()
        urgent = self.urgent.isChecked()

        repeat = self.series_box.rule()
        if repeat is not None and not self.series_box.previewed:
            self._failed(InvalidRequest("repeat", "preview the series first, then Book"))
            return
        starts = self.series_box.chosen_starts() if repeat is not None else []
        day = to_local(start, self.timezone).date()
        if (
            request_patient is not None
            and request_patient not in self._created_here
            and (request_patient, day) not in self._same_day_accepted
        ):
            self._check_same_day(request_patient, day)
            return
        allow_duplicate = self._allow_duplicate

        ctx = self.ctx

        # A worker thread: it reads only what was captured above and hands everything it
        # made back in its answer; _booked (the GUI thread) keeps it on the dialog.
        def work() -> _Made | _Duplicates:
            patient_id = request_patient
            try:
                if patient_id is None:
                    # One transaction: a refused booking or series leaves no new patient behind.
                    assert details is not None
                    request = BookingRequest(
                        type_name,
                        start,
                        NO_PATIENT_YET,
                        doctor,
                        note=note,
                        urgent=urgent,
                        work_in_reason=reason,
                    )
                    if repeat is None:
                        booked = booking.book_new_patient(
                            ctx, details, request, allow_duplicate=allow_duplicate
                        )
                        return _Made(booked, new_patient_id=booked.patient_id)
                    made = series.book_new_patient_series(
                        ctx, details, request, starts, repeat, allow_duplicate=allow_duplicate
                    )
                    first = made.appointments[0]
                    return _Made(first, new_patient_id=first.patient_id, series=made)
            except patients.DuplicatePatient as duplicate:
                return _Duplicates([patients.patient_record(ctx, i) for i in duplicate.ids])
            request = BookingRequest(
                type_name,
                start,
                patient_id,
                doctor,
                note=note,
                urgent=urgent,
                work_in_reason=reason,
            )
            if repeat is not None:
                made = series.book_series(ctx, request, starts, repeat)
                return _Made(made.appointments[0], series=made)
            return _Made(booking.book_appointment(ctx, request))

        self._working = True
        self.requested_doctor = doctor
        self.book_button.setEnabled(False)
        self.message.setText("Booking…")
        self._op(work, self._booked, self._failed)

    def typed_problems(self) -> list[InvalidRequest]:
        """Every wrong field typed (the new patient's details, the note), in the form's order."""
        problems = []
        if self.new_patient_box.isChecked() and self.new_patient_id is None:
            today = to_local(self.ctx.clock(), self.timezone).date()
            problems += self.patient_form.problems(today)
        try:
            clean_note(self.note.text())
        except InvalidRequest as problem:
            problems.append(problem)
        if self.work_in:
            try:
                clean_work_in_reason(self.work_in_reason.text())
            except InvalidRequest as problem:
                problems.append(problem)
        return problems

    def check_typed(self) -> bool:
        """Show every wrong field beside it, say them all, and put the cursor in the first."""
        for error in self.field_errors.values():
            error.hide()
        problems = self.typed_problems()
        if self.new_patient_box.isChecked():
            # The cursor goes to the first wrong field below, which may be the note.
            self.patient_form.show_problems(problems, focus=False)
        for problem in problems:
            if problem.field not in PATIENT_FIELDS:
                self._show_field_error(problem)
        if problems:
            self._book_when_ready = False
            # One wrong field: the reason in full; several: their names (each reason is
            # beside its field).
            self.message.setText(
                plain_words(problems[0])
                if len(problems) == 1
                else "Nothing was booked: correct "
                + ", ".join(field_label(p.field) for p in problems)
                + " (see beside each)."
            )
            self._focus_field(problems[0].field)
        return not problems

    def _show_field_error(self, error: InvalidRequest) -> bool:
        label = self.field_errors.get(error.field)
        if label is None or (
            error.field in PATIENT_FIELDS and not self.new_patient_box.isChecked()
        ):
            return False
        show_error(label, error)
        return True

    def _focus_field(self, field: str) -> None:
        line = self._fields.get(field)
        if line is not None and line.isVisibleTo(self):
            line.setFocus()
            line.selectAll()
            self.body.ensureWidgetVisible(line)

    def _enable_book(self) -> None:
        """Book works unless a booking is on its way or the note is over its limit."""
        self.book_button.setEnabled(not self._working and self.note_counter.fits)

    def _check_same_day(self, patient_id: int, day: date) -> None:
        """Before booking a patient who already has an appointment that day, ask first."""
        self._working = True
        self.book_button.setEnabled(False)
        self.message.setText("Checking the patient’s other appointments that day…")

        def done(found: list[PatientAppointment]) -> None:
            self._working = False
            self._enable_book()
            self.message.setText("")
            if not found:
                self._same_day_accepted.add((patient_id, day))
                self.try_book()
                return
            self._ask_same_day(patient_id, day, found)

        self._op(lambda: patients.same_day_bookings(self.ctx, patient_id, day), done, self._failed)

    def _ask_same_day(self, patient_id: int, day: date, found: list[PatientAppointment]) -> None:
        name = self.chosen_patient_name() or "This patient"

        def answered(another: bool) -> None:
            if another:
                self._same_day_accepted.add((patient_id, day))
                self.try_book()
            else:
                self.message.setText(f"Nothing was booked: {name} is already booked that day.")

        self.same_day_question = ask_same_day(self, name, day, found, self.timezone, answered)

    def chosen_patient_name(self) -> str | None:
        """The name of the patient Book would book, as shown."""
        if self.new_patient_box.isChecked():
            return f"{self.given.text().strip()} {self.family.text().strip()}".strip() or None
        item = self.results.currentItem()
        return item.data(NAME_ROLE) if item is not None and self.search_settled() else None

    def _fit(self) -> None:
        """Grow (or shrink) to the contents, staying on the screen."""
        screen = screen_room(self)
        self.setMaximumHeight(screen.height() - 20)
        body = self.body.widget()
        wanted = self.sizeHint().height() - self.body.sizeHint().height()
        if body is not None:
            # Wrapped words (the fair choice's) take the lines they take at this width.
            wide = body.heightForWidth(self.body.viewport().width())
            wanted += max(body.sizeHint().height(), wide)
        height = min(wanted, screen.height() - 40)
        self.resize(self.width(), max(height, self.minimumSizeHint().height()))
        top = max(screen.top(), min(self.y(), screen.bottom() - self.height()))
        self.move(self.x(), top)

    def preview_series(self) -> None:
        """List every occurrence of the series as free or clashing (nothing is booked)."""
        request = BookingRequest(
            self.type_name,
            self.start,
            self.selected_patient_id() or self.new_patient_id or NO_PATIENT_YET,
            self.doctor_box.currentData(),
            urgent=self.urgent.isChecked(),
        )
        self.message.clear()
        self._op(self.series_box.preview_work(self.ctx, request), self.series_box.show_preview)

    def _booked(self, outcome: _Made | _Duplicates) -> None:
        self._working = False
        if isinstance(outcome, _Duplicates):
            self._enable_book()
            self._warn_duplicate(outcome.records)
            return
        if outcome.new_patient_id is not None:
            self.new_patient_id = outcome.new_patient_id
            self._created_here.add(outcome.new_patient_id)
        if outcome.booked is None:
            self._failed(outcome.refused or InvalidRequest("booking", "was not made"))
            return
        self.series_result = outcome.series
        self.booked = outcome.booked
        self.accept()

    def _warn_duplicate(self, records: list[PatientRecord]) -> None:
        typed = self.chosen_patient_name() or "This patient"
        self.message.setText(f"{typed} may already be stored: nothing was booked yet.")
        dialog = DuplicateWarning(typed, records, self.timezone, self)

        def answered() -> None:
            if dialog.choice == DuplicateWarning.USE and dialog.selected_id() is not None:
                self.new_patient_id = dialog.selected_id()
                self.message.setText("Booking the existing record…")
                self.try_book()
            elif dialog.choice == DuplicateWarning.CREATE:
                self._allow_duplicate = True
                self.try_book()

        dialog.finished.connect(lambda _r: answered())
        self.duplicate_warning = dialog
        dialog.open()

    def _failed(self, error: BaseException) -> None:
        self._working = False
        self._enable_book()
        self.message.setText(plain_words(error))
        if isinstance(error, InvalidRequest) and self._show_field_error(error):
            self._focus_field(error.field)
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
            item = QListWidgetItem(when_label(local))
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
