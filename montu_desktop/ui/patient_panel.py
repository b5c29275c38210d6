"""The patient record: find a patient, correct their details, see and change their appointments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import (
    ADDRESS_MAX_CHARS,
    ALERT_LABELS,
    ALERT_NOTE_MAX_CHARS,
    SEARCH_MAX_CHARS,
)
from montu_desktop.services import appointment_view, patients, recalls
from montu_desktop.services.cards import AppointmentCard, appointment_card
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.services.patients import PatientAppointment, PatientRecord
from montu_desktop.ui.appointment_card import offer_card
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op
from montu_desktop.ui.patient_form import PATIENT_FIELDS, PatientForm
from montu_desktop.ui.recalls_window import RecallList
from montu_desktop.ui.wording import ERROR_STYLE, SEARCH_DELAY_MS, STATUS_WORDS, format_phone

GOOD_STYLE = "color: #146c2e; font-weight: bold;"
ALERT_STYLE = (
    "QLabel#patientAlerts { background: #c5221f; color: white; font-weight: bold; padding: 3px; }"
)
COLUMNS = ("When", "Doctor", "Type", "Status", "Note")
STATUS_COLUMN, NOTE_COLUMN = 3, 4
NOTE_MIN_WIDTH = 80


def full_name(record: PatientRecord) -> str:
    return f"{record.details.given_name} {record.details.family_name}"


def alert_line(alerts: tuple[str, ...], note: str | None = None) -> str:
    """'! Allergy, Mobility — penicillin' (empty without alerts)."""
    if not alerts:
        return ""
    words = ", ".join(ALERT_LABELS.get(a, a) for a in alerts)
    return f"! {words}" + (f" — {note}" if note else "")


def format_medicare(digits: str | None) -> str:
    """'2428 77813 2' as printed on the card ('' for none)."""
    if not digits:
        return ""
    return f"{digits[:4]} {digits[4:9]} {digits[9:]}".strip()


def appointment_when(item: PatientAppointment, timezone: str) -> str:
    start, end = to_local(item.start, timezone), to_local(item.end, timezone)
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}"


def status_words(item: PatientAppointment, timezone: str | None = None) -> str:
    """'cancelled (Patient unwell)', 'arrived 09:52', 'completed 10:20'."""
    words = STATUS_WORDS[item.status]
    if item.status is AppointmentStatus.CANCELLED and item.cancel_reason:
        words += f" ({item.cancel_reason})"
    elif timezone is not None:
        at = {
            AppointmentStatus.ARRIVED: item.arrived_at,
            AppointmentStatus.COMPLETED: item.completed_at,
        }.get(item.status)
        if at is not None:
            words += f" {to_local(at, timezone):%H:%M}"
    if item.confirmed_at is not None and item.status is not AppointmentStatus.CANCELLED:
        words += ", ✓ confirmed by SMS"
    return words


def as_entry(record: PatientRecord, item: PatientAppointment) -> DayBookEntry:
    """The appointment as the day book's dialogs (reschedule) expect it."""
    return DayBookEntry(
        id=item.id,
        doctor_id=item.doctor_id,
        patient_id=record.id,
        patient_name=full_name(record),
        patient_phone=record.details.phone,
        type_name=item.type_name,
        colour="#888888",
        start=item.start,
        end=item.end,
        status=item.status,
        note=item.note,
        confirmed_at=item.confirmed_at,
    )


class AppointmentTable(QTableWidget):
    """A patient's appointments: when, doctor, type, status and note, one row each."""

    def __init__(self, name: str) -> None:
        super().__init__(0, len(COLUMNS))
        self.setAccessibleName(name)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        self.verticalHeader().setVisible(False)
        # The columns are sized by fit_columns to the viewport's width (no sideways scrolling):
        # ResizeToContents on every column but the note pushed Status out of sight on a
        # 1366x768 screen once a cancel reason was long.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fitting = False
        self.items: list[PatientAppointment] = []

    def fit_columns(self) -> None:
        """Fill the viewport's width: when, doctor and type as wide as their text, then the
        status (wrapping if it must, keeping the note at least NOTE_MIN_WIDTH), the note the rest."""
        if self._fitting:
            return
        self._fitting = True
        try:
            header = self.horizontalHeader()
            available = self.viewport().width()
            wanted = [
                max(self.sizeHintForColumn(c), header.sectionSizeHint(c))
                for c in range(len(COLUMNS))
            ]
            widths = wanted[:STATUS_COLUMN]
            smallest = header.minimumSectionSize()
            over = sum(widths) + 2 * NOTE_MIN_WIDTH - available
            if over > 0:  # very narrow: doctor and type give way first (their tooltips say all)
                for column in (2, 1):
                    give = min(over, widths[column] - smallest)
                    widths[column] -= give
                    over -= give
            room = max(available - sum(widths), 2 * smallest)
            status = max(min(wanted[STATUS_COLUMN], room - NOTE_MIN_WIDTH), room // 2)
            widths += [status, max(room - status, smallest)]
            if widths != [header.sectionSize(c) for c in range(len(COLUMNS))]:
                for column, width in enumerate(widths):
                    header.resizeSection(column, width)
                self.resizeRowsToContents()
        finally:
            self._fitting = False

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().viewportEvent(event)

    def show_items(self, items: tuple[PatientAppointment, ...], timezone: str) -> None:
        """Show the appointments, keeping the selected one selected (else the first)."""
        kept = self.selected()
        self.items = list(items)
        self.setRowCount(len(items))
        for row, item in enumerate(items):
            values = (
                appointment_when(item, timezone),
                item.doctor_name,
                item.type_name,
                status_words(item, timezone),
                item.note or "",
            )
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(value)
                self.setItem(row, column, cell)
        self.fit_columns()
        self.resizeRowsToContents()
        ids = [item.id for item in items]
        if items:
            self.selectRow(ids.index(kept.id) if kept is not None and kept.id in ids else 0)

    def selected(self) -> PatientAppointment | None:
        row = self.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None


class PatientPanel(QDialog):
    """Find a patient and open their record; staff correct details and manage appointments."""

    cancel_wanted = Signal(object)
    """An AppointmentView to cancel (the window asks the cancel question)."""
    reschedule_wanted = Signal(object)
    """A DayBookEntry to move."""
    merge_wanted = Signal(object)
    """The PatientRecord to keep: a manager wants to merge a duplicate into it."""

    def __init__(
        self,
        ctx: ServiceContext,
        timezone: str,
        patient_id: int | None = None,
        busy: BusyTracker | None = None,
        can_merge: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient record")
        self.setObjectName("patientPanel")
        self.ctx, self.timezone, self.busy = ctx, timezone, busy
        self.record: PatientRecord | None = None
        self._found_for: str | None = None
        self._loading: int | None = None

        self.search = QLineEdit()
        self.search.setMaxLength(SEARCH_MAX_CHARS)
        self.search.setAccessibleName("Find patient")
        self.search.setPlaceholderText("Name, phone or date of birth (31/12/1980)")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setAccessibleName("Matching patients")
        self.results.setMaximumHeight(96)
        self.title = QLabel("Find a patient above.")
        self.title.setObjectName("patientTitle")
        self.title.setStyleSheet("QLabel#patientTitle { font-size: 15pt; font-weight: bold; }")
        self.retired_note = QLabel()
        self.retired_note.setObjectName("retiredNote")
        self.retired_note.setStyleSheet(ERROR_STYLE)
        self.retired_note.setWordWrap(True)
        self.retired_note.setVisible(False)

        self.patient_form = PatientForm()
        """The details' first page: the five fields the booking dialog asks for too."""
        form = self.patient_form
        self.given, self.family, self.birth = form.given, form.family, form.birth
        self.phone, self.email = form.phone, form.email
        self.sms = QCheckBox("SMS remi&nders")
        self.email_reminders = QCheckBox("Emai&l reminders")
        self.opt_out = QCheckBox("No reminders at all (&opted out)")
        self.address = QLineEdit()
        self.address.setMaxLength(ADDRESS_MAX_CHARS)
        self.address.setPlaceholderText("12 High St, Fitzroy VIC 3065")
        self.medicare = QLineEdit()
        self.medicare.setPlaceholderText("2428 77813 2")
        self.medicare.setMaxLength(14)
        self.irn = QLineEdit()
        self.irn.setPlaceholderText("1–9")
        self.irn.setMaxLength(1)
        self.irn.setMaximumWidth(48)
        self.dva = QLineEdit()
        self.dva.setPlaceholderText("NX123456")
        self.dva.setMaxLength(12)
        self.emergency_name = QLineEdit()
        self.emergency_phone = QLineEdit()
        self.emergency_phone.setPlaceholderText("0412 345 678")
        self.alert_boxes = {
            "allergy": QCheckBox("Aller&gy"),
            "interpreter": QCheckBox("&Interpreter needed"),
            "mobility": QCheckBox("Mo&bility"),
        }
        self.alerts_row = QWidget()
        self.alerts_row.setAccessibleName("Alerts")
        self.alert_note = QLineEdit()
        self.alert_note.setMaxLength(ALERT_NOTE_MAX_CHARS)
        self.alert_note.setPlaceholderText("e.g. penicillin; uses a wheelchair")
        self.alert_mark = QLabel()
        self.alert_mark.setObjectName("patientAlerts")
        self.alert_mark.setStyleSheet(ALERT_STYLE)
        self.alert_mark.setVisible(False)
        self.fields: dict[str, QWidget] = {
            **form.lines,
            "address": self.address,
            "medicare_number": self.medicare,
            "medicare_irn": self.irn,
            "dva_number": self.dva,
            "emergency_name": self.emergency_name,
            "emergency_phone": self.emergency_phone,
            "alerts": self.alerts_row,
            "alert_note": self.alert_note,
        }
        self.save_button = QPushButton("&Save details")
        self.details_message = QLabel()
        self.details_message.setObjectName("detailsMessage")
        self.details_message.setWordWrap(True)

        self.upcoming = AppointmentTable("Upcoming appointments")
        self.past = AppointmentTable("Past appointments")
        self.appointment_tabs = QTabWidget()
        self.appointment_tabs.addTab(self.upcoming, "&Upcoming")
        self.appointment_tabs.addTab(self.past, "&Past and cancelled")
        self.recall_list = RecallList()  # the patient's recalls (ui/recalls_window.py)
        self.appointment_tabs.addTab(self.recall_list, "Recalls")
        self.reschedule_button = QPushButton("&Reschedule…")
        self.cancel_button = QPushButton("&Cancel appointment…")
        self.card_button = QPushButton("Print or sa&ve appointment card…")
        self.merge_button = QPushButton("Merge a &duplicate into this record…")
        self.merge_button.setVisible(can_merge)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._build_layout()
        self._connect()
        self.results.setVisible(False)  # shown once something is searched for
        self._show_record(None)
        self.resize(980, 640)
        if patient_id is not None:
            self.load(patient_id)
        else:
            self.search.setFocus()

    def _build_layout(self) -> None:
        finder = QHBoxLayout()
        find_label = QLabel("&Find:")
        find_label.setBuddy(self.search)
        finder.addWidget(find_label)
        finder.addWidget(self.search, 1)
        details = QGroupBox("Details")
        contact = self.patient_form
        form = contact.form
        form.addRow("Reminders:", self.sms)
        form.addRow("", self.email_reminders)
        form.addRow("", self.opt_out)
        # The second page reuses the first page's Alt keys: a hidden page's keys are off.
        more = QWidget()
        more_form = QFormLayout(more)
        more_form.addRow("Addr&ess:", self.address)
        card = QHBoxLayout()
        card.addWidget(self.medicare, 1)
        irn_label = QLabel("IR&N:")
        irn_label.setBuddy(self.irn)
        card.addWidget(irn_label)
        card.addWidget(self.irn)
        card_label = QLabel("&Medicare card:")
        card_label.setBuddy(self.medicare)
        more_form.addRow(card_label, card)
        more_form.addRow("DVA file n&o.:", self.dva)
        more_form.addRow("Emergenc&y contact:", self.emergency_name)
        more_form.addRow("Their p&hone:", self.emergency_phone)
        boxes = QVBoxLayout(self.alerts_row)
        boxes.setContentsMargins(0, 0, 0, 0)
        for box in self.alert_boxes.values():
            boxes.addWidget(box)
        more_form.addRow("Alerts:", self.alerts_row)
        more_form.addRow("A&lert note:", self.alert_note)
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(contact, "Con&tact")
        self.detail_tabs.addTab(more, "Medicare and &alerts")
        details_layout = QVBoxLayout(details)
        details_layout.addWidget(self.alert_mark)
        details_layout.addWidget(self.detail_tabs)
        details_layout.addWidget(self.save_button)
        details_layout.addWidget(self.details_message)
        details.setMinimumWidth(340)
        details.setMaximumWidth(420)
        visits = QGroupBox("Appointments")
        visits_layout = QVBoxLayout(visits)
        visits_layout.addWidget(self.appointment_tabs, 1)
        row = QHBoxLayout()
        row.addWidget(self.reschedule_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.card_button)
        row.addStretch(1)
        visits_layout.addLayout(row)
        body = QHBoxLayout()
        body.addWidget(details)
        body.addWidget(visits, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.merge_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(finder)
        layout.addWidget(self.results)
        layout.addWidget(self.title)
        layout.addWidget(self.retired_note)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self._search_timer.timeout.connect(self._run_search)
        self.results.currentItemChanged.connect(lambda item, _p: self._result_chosen(item))
        self.save_button.clicked.connect(self.save)
        self.opt_out.toggled.connect(self._opt_out_changed)
        self.reschedule_button.clicked.connect(self._reschedule)
        self.cancel_button.clicked.connect(self._cancel)
        self.card_button.clicked.connect(self._card)
        self.upcoming.itemSelectionChanged.connect(self._enable_actions)
        self.appointment_tabs.currentChanged.connect(lambda _i: self._enable_actions())
        self.merge_button.clicked.connect(
            lambda: self.record is not None and self.merge_wanted.emit(self.record)
        )
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._focus_search)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter never closes the record (that would lose what was typed): in the search it
        # opens the highlighted (or first) patient, in the details it saves them.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            focus = self.focusWidget()
            if focus in (self.search, self.results):
                row = max(self.results.currentRow(), 0)
                if self.results.count():
                    self.results.setCurrentRow(row)
                    self._result_chosen(self.results.item(row))
            elif focus in (*self._editors(), self.sms, self.email_reminders, self.opt_out):
                self.save()
            elif isinstance(focus, QPushButton):
                focus.click()
            return
        super().keyPressEvent(event)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # Finding -----------------------------------------------------------------------------------

    def _run_search(self) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            self.results.clear()
            self.results.setVisible(False)
            self._found_for = text
            return
        self._op(
            lambda: patients.find_patients(self.ctx, text, limit=30),
            lambda found: self._show_found(text, found),
            lambda error: self.details_message.setText(plain_words(error)),
        )

    def refresh_search(self) -> None:
        """Patients changed (a merge, another desk): ask the search shown again, so a record
        merged away leaves the list; the highlighted patient stays highlighted."""
        text = self.search.text().strip()
        if len(text) < 2 or text != self._found_for or not self.results.isVisible():
            return
        item = self.results.currentItem()
        keep = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._op(
            lambda: patients.find_patients(self.ctx, text, limit=30),
            lambda found: self._show_found(text, found, keep),
            lambda _error: None,
        )

    def _show_found(self, text: str, found: list[PatientRecord], keep: int | None = None) -> None:
        if text != self.search.text().strip():
            return  # an answer for older text
        self._found_for = text
        self.results.blockSignals(True)
        self.results.clear()
        for record in found:
            line = f"{record.display_name}"
            if record.details.date_of_birth:
                line += f"  ·  born {record.details.date_of_birth:%d/%m/%Y}"
            if record.next_appointment is not None:
                line += f"  ·  next {appointment_when(record.next_appointment, self.timezone)}"
            item = QListWidgetItem(line)
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            self.results.addItem(item)
        if not found:
            self.results.addItem("No patient found.")
        rows = [r.id for r in found]
        self.results.setCurrentRow(rows.index(keep) if keep in rows else -1)
        self.results.blockSignals(False)
        self.results.setVisible(True)

    def _result_chosen(self, item: QListWidgetItem | None) -> None:
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if value is not None:
            self.load(int(value))

    # The record --------------------------------------------------------------------------------

    def load(self, patient_id: int) -> None:
        """Fetch the patient's record (details and appointments) and show it."""
        self._loading = patient_id
        self._op(
            lambda: patients.patient_record(self.ctx, patient_id),
            lambda record: self._loaded(patient_id, record),
            lambda error: self._load_failed(patient_id, error),
        )

    def reload(self) -> None:
        """After a change anywhere: fetch the shown record again (unsaved edits are kept)."""
        if self.record is not None:
            self._op(
                lambda rid=self.record.id: patients.patient_record(self.ctx, rid),
                self._appointments_loaded,
                lambda _e: None,
            )

    def _loaded(self, patient_id: int, record: PatientRecord) -> None:
        if patient_id != self._loading:
            return
        self._show_record(record)

    def _load_failed(self, patient_id: int, error: BaseException) -> None:
        if patient_id == self._loading:
            self.details_message.setStyleSheet(ERROR_STYLE)
            self.details_message.setText(plain_words(error))

    def _appointments_loaded(self, record: PatientRecord) -> None:
        if self.record is None or record.id != self.record.id:
            return
        self.record = record
        self.upcoming.show_items(record.upcoming, self.timezone)
        self.past.show_items(record.past, self.timezone)
        self._enable_actions()
        self._load_recalls(record.id)

    def _load_recalls(self, patient_id: int) -> None:
        def work() -> tuple[list[recalls.RecallItem], date]:
            found = recalls.list_recalls(self.ctx, patient_id=patient_id, include_closed=True)
            return found, recalls.today(self.ctx)

        self._op(work, lambda found: self._recalls_loaded(patient_id, *found), lambda _e: None)

    def _recalls_loaded(
        self, patient_id: int, items: list[recalls.RecallItem], today: date
    ) -> None:
        if self.record is not None and self.record.id == patient_id:
            self.recall_list.show_items(items, today)
            self.appointment_tabs.setTabText(2, f"Recalls ({len(items)})")

    def _show_record(self, record: PatientRecord | None) -> None:
        self.record = record
        editable = record is not None and not record.retired
        for widget in (*self._editors(), self.sms, self.email_reminders, self.opt_out):
            widget.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.merge_button.setEnabled(editable)
        self.details_message.setText("")
        if record is None:
            self.title.setText("Find a patient above.")
            self.retired_note.setVisible(False)
            self.patient_form.clear()
            for line in self._editors():
                if isinstance(line, QLineEdit):
                    line.clear()
                else:
                    line.setChecked(False)
            self.alert_mark.setVisible(False)
            self.upcoming.show_items((), self.timezone)
            self.past.show_items((), self.timezone)
            self.recall_list.clear()
            self._enable_actions()
            return
        details = record.details
        self.title.setText(f"{full_name(record)}  ·  patient {record.id}")
        self.retired_note.setText(
            f"This record was merged into patient {record.merged_into} and is kept for history "
            "only: open that record to make changes."
            if record.retired
            else ""
        )
        self.retired_note.setVisible(record.retired)
        self.patient_form.set_details(details)
        self.sms.setChecked(details.sms_reminders)
        self.email_reminders.setChecked(details.email_reminders)
        self.opt_out.setChecked(details.reminders_opt_out)
        self._opt_out_changed(details.reminders_opt_out)
        self.address.setText(details.address or "")
        self.medicare.setText(format_medicare(details.medicare_number))
        self.irn.setText(str(details.medicare_irn or ""))
        self.dva.setText(details.dva_number or "")
        self.emergency_name.setText(details.emergency_name or "")
        self.emergency_phone.setText(
            format_phone(details.emergency_phone) if details.emergency_phone else ""
        )
        for flag, box in self.alert_boxes.items():
            box.setChecked(flag in details.alerts)
        self.alert_note.setText(details.alert_note or "")
        self.alert_mark.setText(alert_line(details.alerts, details.alert_note))
        self.alert_mark.setVisible(bool(details.alerts))
        self.upcoming.show_items(record.upcoming, self.timezone)
        self.past.show_items(record.past, self.timezone)
        self.appointment_tabs.setTabText(0, f"&Upcoming ({len(record.upcoming)})")
        self.appointment_tabs.setTabText(1, f"&Past and cancelled ({len(record.past)})")
        self._load_recalls(record.id)
        self._enable_actions()

    def _opt_out_changed(self, on: bool) -> None:
        editable = self.record is not None and not self.record.retired
        self.sms.setEnabled(editable and not on)
        self.email_reminders.setEnabled(editable and not on)

    def changes(self) -> dict[str, Any]:
        """The details as typed, for edit_patient (raises InvalidRequest for a bad date)."""
        typed = self.patient_form.details()
        return {
            "given_name": typed.given_name,
            "family_name": typed.family_name,
            "date_of_birth": typed.date_of_birth,
            "phone": typed.phone,
            "email": typed.email,
            "sms_reminders": self.sms.isChecked(),
            "email_reminders": self.email_reminders.isChecked(),
            "reminders_opt_out": self.opt_out.isChecked(),
            "address": self.address.text().strip(),
            "medicare_number": self.medicare.text().strip(),
            "medicare_irn": self.irn.text().strip(),
            "dva_number": self.dva.text().strip(),
            "emergency_name": self.emergency_name.text().strip(),
            "emergency_phone": self.emergency_phone.text().strip(),
            "alerts": [f for f, box in self.alert_boxes.items() if box.isChecked()],
            "alert_note": self.alert_note.text().strip(),
        }

    def save(self) -> None:
        """Check and store the details; a refusal names the field and puts the cursor in it."""
        if self.record is None:
            return
        problems = self.patient_form.problems(to_local(self.ctx.clock(), self.timezone).date())
        if problems:  # every wrong contact field at once, as the new patient's form does
            self._refused(problems[0])
            self.details_message.setText(" ".join(plain_words(p) for p in problems))
            self.patient_form.show_problems(problems)
            return
        try:
            changes = self.changes()
        except InvalidRequest as error:
            self._refused(error)
            return
        patient_id = self.record.id
        self.save_button.setEnabled(False)
        self._op(
            lambda: patients.edit_patient(self.ctx, patient_id, **changes),
            self._saved,
            self._refused,
        )

    def _saved(self, record: PatientRecord) -> None:
        self.save_button.setEnabled(True)
        if self.record is None or record.id != self.record.id:
            return
        self.record = PatientRecord(
            record.id,
            record.details,
            record.merged_into,
            self.record.upcoming,
            self.record.past,
            self.record.next_appointment,
        )
        self._show_record(self.record)
        self.details_message.setStyleSheet(GOOD_STYLE)
        self.details_message.setText(f"Saved {full_name(record)}’s details.")

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(self.record is not None and not self.record.retired)
        self.details_message.setStyleSheet(ERROR_STYLE)
        self.details_message.setText(plain_words(error))
        field = getattr(error, "field", None)
        widget = self.fields.get(field) if isinstance(field, str) else None
        if isinstance(error, InvalidRequest) and field in PATIENT_FIELDS:
            self.detail_tabs.setCurrentIndex(0)
            self.patient_form.show_problems([error])
        elif widget is not None:
            self.detail_tabs.setCurrentIndex(1)
            self.patient_form.hide_problems()
            if widget is self.alerts_row:
                widget = self.alert_boxes["allergy"]
            widget.setFocus()
            if isinstance(widget, QLineEdit):
                widget.selectAll()

    # Appointments ------------------------------------------------------------------------------

    def selected_appointment(self) -> PatientAppointment | None:
        if self.appointment_tabs.currentWidget() is not self.upcoming:
            return None
        return self.upcoming.selected()

    def _enable_actions(self) -> None:
        item = self.selected_appointment()
        booked = item is not None and item.status is AppointmentStatus.BOOKED
        self.reschedule_button.setEnabled(booked)
        self.cancel_button.setEnabled(booked)
        self.card_button.setEnabled(booked)

    def _reschedule(self) -> None:
        item = self.selected_appointment()
        if item is not None and self.record is not None:
            self.reschedule_wanted.emit(as_entry(self.record, item))

    def _cancel(self) -> None:
        item = self.selected_appointment()
        if item is not None and self.record is not None:
            self.cancel_wanted.emit(appointment_view.from_patient_record(self.record, item))

    def _card(self) -> None:
        item = self.selected_appointment()
        if item is None:
            return
        self._op(
            lambda: appointment_card(self.ctx, item.id),
            self.offer_card,
            self._refused,
        )

    def offer_card(self, card: AppointmentCard) -> None:
        """Print or Save as PDF (the window's status line is not ours: say it here)."""
        if done := offer_card(self, card):
            self.details_message.setStyleSheet(GOOD_STYLE)
            self.details_message.setText(done)

    def _editors(self) -> list[QWidget]:
        """Every widget staff type or tick details into (not the alerts row holding boxes)."""
        typed = [w for w in self.fields.values() if w is not self.alerts_row]
        return [*typed, *self.alert_boxes.values()]

    def _op(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        run_op(self, work, done, failed, self.busy)
