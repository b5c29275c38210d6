"""The Recalls window (Clinic → Recalls…): who is due back, filtered by month, overdue and
doctor; Book… opens the booking dialog for the patient and type; adding and closing recalls.
Also the patient record's list of a patient's recalls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentType, Doctor
from montu_desktop.domain.recalls import REASON_MAX_CHARS
from montu_desktop.domain.wording import day_label
from montu_desktop.services import patients, recalls, reference
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.recalls import RecallItem
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op

if TYPE_CHECKING:
    from montu_desktop.ui.main_window import MainWindow

COLUMNS = ["Due", "Patient", "Reason", "Type", "Doctor", "Status"]
SHOW = (
    ("Due this month", "month"),
    ("Overdue", "overdue"),
    ("All still due", "due"),
    ("All, closed ones too", "all"),
)
STATUS_WORDS = {
    "due": "due",
    "booked": "booked",
    "done": "done",
    "cancelled": "cancelled",
}
OK_STYLE, ERROR_STYLE = "color: #1e7b34;", "color: #a50e0e; font-weight: bold;"


def recall_line(item: RecallItem, today: date) -> str:
    """One recall as the patient record lists it."""
    words = STATUS_WORDS.get(item.status, item.status)
    if item.overdue(today):
        words = "overdue"
    kind = f" · {item.type_name}" if item.type_name else ""
    doctor = f" · {item.doctor_name}" if item.doctor_name else ""
    return f"{day_label(item.due, year=True)} · {words}{kind}{doctor} · {item.reason}"


class RecallList(QListWidget):
    """A patient's recalls, soonest first (the patient record's Recalls tab)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Recalls")

    def show_items(self, items: list[RecallItem], today: date) -> None:
        self.clear()
        for item in items:
            self.addItem(recall_line(item, today))
        if not items:
            self.addItem("No recalls.")


def month_bounds(today: date) -> tuple[date, date]:
    """The first day of this month and of the next."""
    first = today.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


class RecallsWindow(QDialog):
    """Recalls due this month (or overdue, or all), by doctor; Book…, done, cancel, add."""

    book_wanted = Signal(object, str, object)
    """(the recall, the type to book, the first free start or None): open the booking dialog."""

    def __init__(
        self,
        ctx: ServiceContext,
        types: list[AppointmentType],
        doctors: list[Doctor],
        timezone: str,
        *,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.timezone, self.busy = ctx, timezone, busy
        self.types = [k for k in types if k.active]
        self.items: list[RecallItem] = []
        self.today = to_local(ctx.clock(), timezone).date()
        self.setWindowTitle("Recalls")
        layout = QVBoxLayout(self)

        filters = QHBoxLayout()
        self.show_box = QComboBox()
        for label, value in SHOW:
            self.show_box.addItem(label, value)
        self.doctor_filter = QComboBox()
        self.doctor_filter.addItem("Any doctor", None)
        for doctor in doctors:
            if not doctor.removed:
                self.doctor_filter.addItem(doctor.name, doctor.id)
        show_label, doctor_label = QLabel("&Show:"), QLabel("&Doctor:")
        show_label.setBuddy(self.show_box)
        doctor_label.setBuddy(self.doctor_filter)
        for widget in (show_label, self.show_box, doctor_label, self.doctor_filter):
            filters.addWidget(widget)
        filters.addStretch(1)
        self.count_label = QLabel()
        filters.addWidget(self.count_label)
        layout.addLayout(filters)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Recalls")
        layout.addWidget(self.table, 1)

        actions = QHBoxLayout()
        self.book_button = QPushButton("&Book…")
        self.done_button = QPushButton("Mark do&ne")
        self.cancel_button = QPushButton("&Cancel recall")
        for button in (self.book_button, self.done_button, self.cancel_button):
            button.setAutoDefault(False)
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.form = QGroupBox("Add a recall")
        form = QFormLayout(self.form)
        self.patient_search = QLineEdit()
        self.patient_search.setPlaceholderText("Name, phone or date of birth, then Enter")
        self.patient_search.setAccessibleName("Find patient")
        self.patient_box = QComboBox()
        self.patient_box.setAccessibleName("Patient")
        patient_row = QHBoxLayout()
        patient_row.addWidget(self.patient_search, 1)
        patient_row.addWidget(self.patient_box, 1)
        form.addRow("Patient:", patient_row)
        self.due_edit = QDateEdit(QDate(self.today + timedelta(days=182)))
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("ddd d MMM yyyy")
        form.addRow("D&ue by:", self.due_edit)
        self.reason = QLineEdit()
        self.reason.setMaxLength(REASON_MAX_CHARS)
        self.reason.setPlaceholderText("e.g. skin check (kept at the desk; never sent)")
        form.addRow("&Reason:", self.reason)
        self.type_box = QComboBox()
        self.type_box.addItem("Any visit", None)
        for kind in self.types:
            self.type_box.addItem(kind.name, kind.name)
        form.addRow("&Type:", self.type_box)
        self.doctor_box = QComboBox()
        self.doctor_box.addItem("Any doctor", None)
        for doctor in doctors:
            if doctor.bookable:
                self.doctor_box.addItem(doctor.name, doctor.id)
        form.addRow("Doct&or:", self.doctor_box)
        self.add_button = QPushButton("&Add recall")
        self.add_button.setAutoDefault(False)
        for narrow in (self.due_edit, self.type_box, self.doctor_box, self.add_button):
            narrow.setMaximumWidth(280)
        form.addRow("", self.add_button)
        layout.addWidget(self.form)

        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)

        self.show_box.currentIndexChanged.connect(lambda _i: self.load())
        self.doctor_filter.currentIndexChanged.connect(lambda _i: self.load())
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.itemDoubleClicked.connect(lambda _item: self.book_selected())
        self.book_button.clicked.connect(self.book_selected)
        self.done_button.clicked.connect(lambda: self._close_selected(recalls.mark_done, "done"))
        self.cancel_button.clicked.connect(
            lambda: self._close_selected(recalls.cancel_recall, "cancelled")
        )
        self.patient_search.returnPressed.connect(self._find_patient)
        self.add_button.clicked.connect(self.add_recall)
        self.setMinimumSize(860, 560)
        self.load()

    # Loading -----------------------------------------------------------------------------

    @property
    def showing(self) -> str:
        return str(self.show_box.currentData())

    def load(self) -> None:
        show, doctor_id = self.showing, self.doctor_filter.currentData()
        first, next_first = month_bounds(self.today)

        def work() -> list[RecallItem]:
            found = recalls.list_recalls(
                self.ctx,
                due_before=next_first if show == "month" else None,
                overdue=show == "overdue",
                include_closed=show == "all",
                doctor_id=doctor_id,
            )
            return [r for r in found if show != "month" or r.due >= first]

        self._op(work, self._show)

    def _show(self, items: list[RecallItem]) -> None:
        self.items = items
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            overdue = item.overdue(self.today)
            cells = [
                day_label(item.due, year=True),
                item.patient_name,
                item.reason,
                item.type_name or "Any visit",
                item.doctor_name or "Any doctor",
                "overdue" if overdue else STATUS_WORDS.get(item.status, item.status),
            ]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if overdue and column in (0, 5):
                    cell.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, column, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        if items:
            self.table.selectRow(0)
        self.count_label.setText(f"{len(items)} recall{'s' if len(items) != 1 else ''}")
        self._enable()

    def selected(self) -> RecallItem | None:
        row = self.table.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _enable(self) -> None:
        item = self.selected()
        self.book_button.setEnabled(item is not None and item.status == "due")
        closable = item is not None and item.status in ("due", "booked")
        self.done_button.setEnabled(closable)
        self.cancel_button.setEnabled(closable)

    # Actions -----------------------------------------------------------------------------

    def book_selected(self) -> None:
        """Find the first free time for the recall's type (and doctor) near its due day, then
        ask for the booking dialog (the main window opens it with the patient chosen)."""
        item = self.selected()
        if item is None or item.status != "due":
            return
        type_name = item.type_name or (self.types[0].name if self.types else "")
        self._op(
            lambda: recalls.first_free_start(self.ctx, item, type_name),
            lambda start: self.book_wanted.emit(item, type_name, start),
        )

    def _close_selected(self, action: Callable[[ServiceContext, int], Any], words: str) -> None:
        item = self.selected()
        if item is None:
            return
        self._op(
            lambda: action(self.ctx, item.id),
            lambda _r: self._changed(f"Recall for {item.patient_name} marked {words}."),
        )

    def _find_patient(self) -> None:
        text = self.patient_search.text()
        self._op(lambda: patients.find_patients(self.ctx, text, limit=20), self._patients_found)

    def _patients_found(self, found: list[Any]) -> None:
        self.patient_box.clear()
        for record in found:
            self.patient_box.addItem(record.display_name, record.id)
        if not found:
            self._say("No patient found: check the spelling, phone or date of birth.", error=True)

    def add_recall(self) -> None:
        patient_id = self.patient_box.currentData()
        if patient_id is None:
            self._say("Find the patient first (type a name and press Enter).", error=True)
            return
        due: date = self.due_edit.date().toPython()  # type: ignore[assignment]
        reason, type_name = self.reason.text(), self.type_box.currentData()
        doctor_id = self.doctor_box.currentData()
        self._op(
            lambda: recalls.add_recall(
                self.ctx, patient_id, due, reason, type_name=type_name, doctor_id=doctor_id
            ),
            lambda item: self._added(item),
        )

    def _added(self, item: RecallItem) -> None:
        self.reason.clear()
        self._changed(
            f"Recall added for {item.patient_name}, due {day_label(item.due, year=True)}."
        )

    def _changed(self, note: str) -> None:
        self._say(note)
        self.load()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
        self.message.setText(text)

    def _op(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        run_op(self, work, done, lambda error: self._say(plain_words(error), error=True), self.busy)


def open_recalls(window: MainWindow) -> RecallsWindow | None:
    """Clinic → Recalls…: the window, wired to the main window's booking dialog."""
    if window.policy is None:
        return None
    zone = window.policy.timezone
    dialog = RecallsWindow(
        window.ctx, window.types, reference.doctors(window.ctx), zone, busy=window.busy,
        parent=window,
    )  # fmt: skip

    def book(item: RecallItem, type_name: str, start: datetime | None) -> None:
        if start is None:
            dialog._say(
                f"No free time for {type_name} from around {day_label(item.due)} within the "
                "booking horizon: book it from the week grid.",
                error=True,
            )
            return
        booking = window.open_booking(start, type_name)
        if booking is not None:
            if item.doctor_id is not None:  # kept when the doctor list comes (it is free then)
                booking.doctor_box.addItem(item.doctor_name or "", item.doctor_id)
                booking.doctor_box.setCurrentIndex(booking.doctor_box.count() - 1)
            booking.accepted.connect(dialog.load)
            run_op(
                booking,
                lambda: patients.patient_record(window.ctx, item.patient_id),
                booking.choose_patient,
                lambda error: booking.message.setText(plain_words(error)),
                window.busy,
            )

    dialog.book_wanted.connect(book)
    window.recalls_window = dialog  # type: ignore[attr-defined]
    dialog.show()
    return dialog
