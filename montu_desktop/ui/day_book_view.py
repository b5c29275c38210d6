"""The day book panel: one day, a column per doctor, and the selected appointment's actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontMetrics, QMouseEvent, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.config.clock import utc_now
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.visits import allowed_moves, status_refusal
from montu_desktop.domain.wording import day_label, long_day_label, plural
from montu_desktop.services.day_book import DayBook, DayBookEntry
from montu_desktop.ui.date_range import in_window
from montu_desktop.ui.day_book_delegate import DayBookDelegate, block_span
from montu_desktop.ui.day_book_drag import DayBookDragger
from montu_desktop.ui.day_book_model import SLOT_ROLE, DayBookModel
from montu_desktop.ui.elided_label import ElidedLabel
from montu_desktop.ui.layout import now_position
from montu_desktop.ui.now_line import NowLine
from montu_desktop.ui.wording import STATUS_WORDS, alert_words, format_phone

HIDDEN_DOCTORS_KEY = "day_book/hidden_doctors"
"""This PC's choice of doctors left out of the day book (QSettings, per PC)."""
MIN_COLUMN_WIDTH = 84
DETAILS_WIDTH = 290
"""The appointment details panel's width, whatever it shows."""
FIELD_LINES = {"note": 2}
"""Lines each detail may take (the rest ends in "…", the whole text in its tooltip)."""
ALERT_STYLE = "color: #a50e0e; font-weight: bold;"
"""The patient's alerts, when there are any."""


class AppointmentPanel(QGroupBox):
    """Details of the selected appointment and what the desk can do with it."""

    status_wanted = Signal(int, object)
    cancel_wanted = Signal(int)
    reschedule_wanted = Signal(object)
    note_wanted = Signal(object)
    """The DayBookEntry whose note the desk wants to edit."""
    patient_wanted = Signal(int)
    """Open the patient record of this patient id."""
    card_wanted = Signal(int)
    """Print or save an appointment card for this appointment id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Appointment", parent)
        self.entry: DayBookEntry | None = None
        self.clock: Callable[[], datetime] = utc_now
        """What time it is (the window sets the clinic's clock): Arrived fits only its day."""
        self.timezone = "UTC"
        # Fixed lines and a fixed width: the buttons below never move whatever is shown
        # (a wrapping "When" used to widen the panel and push the buttons under the mouse).
        self.fields = {
            name: ElidedLabel(lines=FIELD_LINES.get(name, 1))
            for name in ("patient", "alerts", "phone", "when", "doctor", "type", "status", "note")
        }
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for name, label in self.fields.items():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name.capitalize()}:", label)
        self.fields["note"].setObjectName("appointmentNote")
        self.fields["alerts"].setObjectName("appointmentAlerts")
        self.arrived_button = QPushButton("&Arrived")
        self.completed_button = QPushButton("Co&mpleted")
        self.no_show_button = QPushButton("&No-show")
        self.undo_button = QPushButton("&Undo: back to booked")
        self.reschedule_button = QPushButton("&Reschedule…")
        self.cancel_button = QPushButton("Cance&l appointment…")
        self.note_button = QPushButton("&Edit note…")
        self.patient_button = QPushButton("Pa&tient record…")
        self.card_button = QPushButton("Appointment card…")
        self.card_button.setToolTip("Print the patient's appointment card, or save it as PDF")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for button in (
            self.arrived_button,
            self.completed_button,
            self.no_show_button,
            self.undo_button,
            self.reschedule_button,
            self.cancel_button,
            self.note_button,
            self.patient_button,
            self.card_button,
        ):
            layout.addWidget(button)
        layout.addStretch(1)
        self.arrived_button.clicked.connect(lambda: self._status(AppointmentStatus.ARRIVED))
        self.completed_button.clicked.connect(lambda: self._status(AppointmentStatus.COMPLETED))
        self.no_show_button.clicked.connect(lambda: self._status(AppointmentStatus.NO_SHOW))
        self.undo_button.clicked.connect(lambda: self._status(AppointmentStatus.BOOKED))
        self.cancel_button.clicked.connect(
            lambda: self.entry and self.cancel_wanted.emit(self.entry.id)
        )
        self.reschedule_button.clicked.connect(
            lambda: self.entry and self.reschedule_wanted.emit(self.entry)
        )
        self.note_button.clicked.connect(lambda: self.entry and self.note_wanted.emit(self.entry))
        self.patient_button.clicked.connect(
            lambda: self.entry and self.patient_wanted.emit(self.entry.patient_id)
        )
        self.card_button.clicked.connect(
            lambda: self.entry and self.card_wanted.emit(self.entry.id)
        )
        self.setFixedWidth(DETAILS_WIDTH)
        self.show_entry(None, "", "UTC")

    def _status(self, status: AppointmentStatus) -> None:
        if self.entry is not None:
            self.status_wanted.emit(self.entry.id, status)

    def show_entry(self, entry: DayBookEntry | None, doctor: str, timezone: str) -> None:
        self.entry = entry
        self.timezone = timezone
        if entry is None:
            for label in self.fields.values():
                label.setText("")
            self.fields["patient"].setText("None: select one in the day book.")
        else:
            start, end = to_local(entry.start, timezone), to_local(entry.end, timezone)
            self.fields["patient"].setText(entry.patient_name)
            words = alert_words(entry.patient_alerts)
            # Red only for a real alert: "—" (none) reads like the other details.
            self.fields["alerts"].setStyleSheet(ALERT_STYLE if words else "")
            self.fields["alerts"].setText(words or "—")
            self.fields["phone"].setText(
                format_phone(entry.patient_phone) if entry.patient_phone else "—"
            )
            self.fields["when"].setText(f"{day_label(start.date())} {start:%H:%M}–{end:%H:%M}")
            self.fields["doctor"].setText(doctor)
            kind = f"{entry.type_name} ({entry.minutes} min)"
            if entry.work_in_reason:
                kind += f", a work-in: {entry.work_in_reason}"
            self.fields["type"].setText(kind)
            status = STATUS_WORDS[entry.status]
            if entry.confirmed_at is not None:
                confirmed = to_local(entry.confirmed_at, timezone)
                status += (
                    f", ✓ confirmed by the patient by SMS ({day_label(confirmed.date())}"
                    f" {confirmed:%H:%M})"
                )
            self.fields["status"].setText(status)
            self.fields["note"].setText(entry.note or "—")
        self._enable_status_buttons()
        booked = entry is not None and entry.status is AppointmentStatus.BOOKED
        self.reschedule_button.setEnabled(booked)
        self.cancel_button.setEnabled(booked)
        self.note_button.setEnabled(entry is not None)
        self.patient_button.setEnabled(entry is not None)
        self.card_button.setEnabled(entry is not None)

    def recheck_status_buttons(self) -> None:
        """Time moved on (the now-line's tick): a visit that has started may now be a no-show."""
        self._enable_status_buttons()

    def _enable_status_buttons(self) -> None:
        """The domain's moves for now: Arrived on its day, No-show once started, Undo to booked."""
        entry, now = self.entry, self.clock()
        allowed = (
            allowed_moves(entry.status, start=entry.start, now=now, timezone=self.timezone)
            if entry
            else frozenset()
        )
        for button, status in (
            (self.arrived_button, AppointmentStatus.ARRIVED),
            (self.completed_button, AppointmentStatus.COMPLETED),
            (self.no_show_button, AppointmentStatus.NO_SHOW),
            (self.undo_button, AppointmentStatus.BOOKED),
        ):
            button.setEnabled(status in allowed)
            why = (
                status_refusal(
                    entry.status, status, start=entry.start, now=now, timezone=self.timezone
                )
                if entry and status not in allowed and entry.status is not status
                else None
            )
            button.setToolTip(f"Not now: {why}." if why else "")


class DayBookTable(QTableView):
    """The day's grid, with the line at the current time when it shows today."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.now_line = NowLine(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # Two blocks share a slot (a work-in beside a booking): the one clicked is the one
        # the desk acts on, before the click selects the slot.
        index = self.indexAt(event.position().toPoint())
        cell = index.data(SLOT_ROLE) if index.isValid() else None
        if cell is not None and cell.beside:
            x = event.position().toPoint().x()
            rect = self.visualRect(index)
            for entry, block in ((cell.entry, cell.block), *cell.beside):
                left, width = block_span(rect, block)
                if left <= x < left + width:
                    self.model().bring_to_front(entry.id)  # type: ignore[attr-defined]
                    break
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        book = getattr(model, "book", None)
        now = self.now_line.local_now()
        if book is None or now is None or now.date() != book.day or not model.columnCount():
            return
        y = self.now_line.y(model.times, book.slot_minutes)
        if y is not None:
            self.now_line.paint(y, 0, model.columnCount() - 1)


def _load_hidden() -> set[int]:
    stored = QSettings().value(HIDDEN_DOCTORS_KEY, [])
    if isinstance(stored, str):
        stored = [stored]
    hidden = set()
    for value in stored or []:
        try:
            hidden.add(int(value))
        except (TypeError, ValueError):
            continue
    return hidden


class DayBookPanel(QWidget):
    """Shows one DayBook; asks its controller for other days, printing and changes."""

    day_wanted = Signal(object)
    print_wanted = Signal(object)
    """The doctor id to print, or None for all doctors."""
    pdf_wanted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.day: date | None = None
        self.today: date | None = None
        self.previous_button = QPushButton("◀ Previous day")
        self.today_button = QPushButton("Today")
        self.next_button = QPushButton("Next day ▶")
        self.date_edit = in_window(QDateEdit(QDate.currentDate()))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.date_edit.setAccessibleName("Day")
        self.title = QLabel()
        self.title.setObjectName("dayTitle")
        self.sheet_box = QComboBox()
        self.sheet_box.setAccessibleName("Day sheet for")
        self.sheet_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.print_button = QPushButton("&Print…")
        self.pdf_button = QPushButton("Save as PD&F…")
        self.table = DayBookTable()
        self.model = DayBookModel()
        self.table.setModel(self.model)
        self.table.setItemDelegate(DayBookDelegate(self.table))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAccessibleName("Day book")
        self.table.setMouseTracking(True)
        self.drag = DayBookDragger(self.table)
        """Drag a block to another time or doctor: `drag.dropped` asks for the move."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(MIN_COLUMN_WIDTH)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.sectionResized.connect(lambda *_a: self._fit_headers())
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalScrollBar().valueChanged.connect(lambda _v: self._update_more())
        self.table.horizontalScrollBar().rangeChanged.connect(lambda *_a: self._update_more())
        self.hidden_doctors = _load_hidden()
        self.doctors_button = QToolButton()
        self.doctors_button.setText("D&octors shown ▾")
        self.doctors_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.doctors_button.setToolTip("Choose which doctors this PC shows in the day book")
        self.doctors_menu = QMenu(self.doctors_button)
        self.doctors_button.setMenu(self.doctors_menu)
        self.more_note = QLabel()
        self.more_note.setObjectName("moreDoctors")
        self.more_note.setStyleSheet(
            "QLabel { background: #fff4ce; color: #3d2c00; padding: 2px 8px;"
            " border: 1px solid #c8a200; font-weight: bold; }"
        )
        self.more_note.setVisible(False)
        self.details = AppointmentPanel()
        self.table.now_line.timer.timeout.connect(self.details.recheck_status_buttons)
        self.empty_note = QLabel()
        self.empty_note.setObjectName("dayNote")
        self._build_layout()
        self.previous_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(1))
        self.today_button.clicked.connect(lambda: self.today and self.day_wanted.emit(self.today))
        self.date_edit.dateChanged.connect(self._picked)
        self.print_button.clicked.connect(
            lambda: self.print_wanted.emit(self.sheet_box.currentData())
        )
        self.pdf_button.clicked.connect(lambda: self.pdf_wanted.emit(self.sheet_box.currentData()))
        self.model.front_changed.connect(lambda: self._selected(self.table.currentIndex()))
        self.table.selectionModel().currentChanged.connect(
            lambda current, _p: self._selected(current)
        )
        # The whole block of the selected appointment is framed, not only the clicked cell.
        self.table.selectionModel().selectionChanged.connect(
            lambda *_a: self.table.viewport().update()
        )

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        for widget in (self.previous_button, self.today_button, self.next_button, self.date_edit):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.more_note)
        bar.addWidget(self.doctors_button)
        sheet_label = QLabel("Day &sheet:")
        sheet_label.setBuddy(self.sheet_box)
        bar.addWidget(sheet_label)
        bar.addWidget(self.sheet_box)
        bar.addWidget(self.print_button)
        bar.addWidget(self.pdf_button)
        body = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.empty_note)
        left.addWidget(self.table, 1)
        body.addLayout(left, 1)
        # The details scroll on a short screen (1024x600) instead of making the window taller
        # than the screen; the panel keeps its fixed width so its buttons never move.
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidget(self.details)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll.setFixedWidth(
            DETAILS_WIDTH + self.details_scroll.verticalScrollBar().sizeHint().width()
        )
        self.details_scroll.setMinimumHeight(160)
        body.addWidget(self.details_scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addLayout(body, 1)

    def show_book(self, book: DayBook, today: date) -> None:
        """Show a day, keeping the selected appointment selected when it is still there."""
        kept = self.details.entry.id if self.details.entry else None
        new_day = book.day != self.day
        self.day, self.today = book.day, today
        self.model.set_book(book)
        title = long_day_label(book.day)
        self.title.setText(f"{title} · Today" if book.day == today else title)
        self.title.setStyleSheet(
            "QLabel { font-weight: bold; color: #0b57d0; }" if book.day == today else ""
        )
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(book.day))
        self.date_edit.blockSignals(False)
        current = self.sheet_box.currentData()
        self.sheet_box.clear()
        self.sheet_box.addItem("All doctors", None)
        for doctor in book.doctors:
            self.sheet_box.addItem(doctor.name, doctor.id)
        self.sheet_box.setCurrentIndex(max(self.sheet_box.findData(current), 0))
        if not book.clinic_day.is_open:
            self.empty_note.setText("The clinic is closed on this day.")
        elif not book.doctors:
            self.empty_note.setText("No doctor is rostered on this day.")
        else:
            self.empty_note.setText("")
        self.empty_note.setVisible(bool(self.empty_note.text()))
        self._build_doctors_menu(book)
        self._apply_hidden()
        self.details.show_entry(None, "", book.timezone)
        if new_day:
            QTimer.singleShot(0, self, self._scroll_to_now)  # dropped if the view is gone
        if kept is not None:
            self.select_entry(kept)

    def _scroll_to_now(self) -> None:
        """Today opens at the current time (an hour of context above it); other days at the top."""
        book = self.model.book
        now = self.table.now_line.local_now()
        if book is None or not self.model.rowCount():
            return
        row = 0
        if now is not None and now.date() == book.day:
            found = now_position(self.model.times, now.time(), book.slot_minutes)
            if found is not None:
                row = max(found[0] - 60 // max(book.slot_minutes, 1), 0)
        self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)

    def set_clock(self, clock, timezone: str) -> None:  # type: ignore[no-untyped-def]
        """The clock the now-line follows (the service context's, so tests can fix it)."""
        self.table.now_line.set_clock(clock, timezone)

    # Which doctors show, and the cue when some do not -------------------------------------

    def _build_doctors_menu(self, book: DayBook) -> None:
        # Refreshes come every few seconds: leave an open menu alone when nothing changed.
        shape = (book.doctors, frozenset(self.hidden_doctors))
        if shape == getattr(self, "_menu_shape", None):
            return
        self._menu_shape = shape
        self.doctors_menu.clear()
        show_all = QAction("Show all doctors", self.doctors_menu)
        show_all.triggered.connect(lambda: self._set_hidden(set()))
        self.doctors_menu.addAction(show_all)
        self.doctors_menu.addSeparator()
        for doctor in book.doctors:
            action = QAction(doctor.name, self.doctors_menu)
            action.setCheckable(True)
            action.setChecked(doctor.id not in self.hidden_doctors)
            action.toggled.connect(lambda on, d=doctor.id: self._toggle_doctor(d, on))
            self.doctors_menu.addAction(action)

    def _toggle_doctor(self, doctor_id: int, shown: bool) -> None:
        hidden = set(self.hidden_doctors)
        if shown:
            hidden.discard(doctor_id)
        else:
            hidden.add(doctor_id)
        self._set_hidden(hidden)

    def _set_hidden(self, hidden: set[int]) -> None:
        self.hidden_doctors = hidden
        QSettings().setValue(HIDDEN_DOCTORS_KEY, sorted(hidden))
        if self.model.book is not None:
            self._build_doctors_menu(self.model.book)
        self._apply_hidden()

    def _apply_hidden(self) -> None:
        book = self.model.book
        doctors = book.doctors if book is not None else ()
        for column, doctor in enumerate(doctors):
            self.table.setColumnHidden(column, doctor.id in self.hidden_doctors)
        self._fit_headers()
        self._update_more()

    def shown_doctors(self) -> list[int]:
        book = self.model.book
        if book is None:
            return []
        return [
            d.id for column, d in enumerate(book.doctors) if not self.table.isColumnHidden(column)
        ]

    def doctors_off_screen(self) -> list[int]:
        """Doctors of the day not fully visible right now: left out by choice or scrolled off."""
        book = self.model.book
        if book is None or not self.model.columnCount():
            return []
        width = self.table.viewport().width()
        off = []
        for column, doctor in enumerate(book.doctors):
            left = self.table.columnViewportPosition(column)
            if (
                self.table.isColumnHidden(column)
                or left < 0
                or left + self.table.columnWidth(column) > width
            ):
                off.append(doctor.id)
        return off

    def _update_more(self) -> None:
        off = self.doctors_off_screen()
        hidden = [d for d in off if d in self.hidden_doctors]
        text = ""
        if off:
            text = plural(len(off), "more doctor") + (
                " (not shown on this PC)" if len(hidden) == len(off) else " → scroll"
            )
        self.more_note.setText(text)
        self.more_note.setVisible(bool(text))

    def _fit_headers(self) -> None:
        """Names on two lines when the columns are too narrow for them on one."""
        book = self.model.book
        if book is None or not book.doctors:
            return
        font = QFont(self.table.horizontalHeader().font())
        font.setBold(True)
        metrics = QFontMetrics(font)
        widest = max(metrics.horizontalAdvance(d.name) for d in book.doctors) + 16
        columns = [c for c in range(len(book.doctors)) if not self.table.isColumnHidden(c)]
        narrowest = min((self.table.columnWidth(c) for c in columns), default=widest)
        self.model.set_compact_headers(narrowest < widest)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # The header resizes its sections after this event: look once it has.
        QTimer.singleShot(0, self._after_resize)

    def _after_resize(self) -> None:
        self._fit_headers()
        self._update_more()

    def select_entry(self, entry_id: int) -> bool:
        self.model.bring_to_front(entry_id)
        index = self.model.index_of_entry(entry_id)
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.table.scrollTo(index)
        # currentChanged stays silent when the index is already current (a refresh of the
        # same day), so the details are shown here too, from the freshly loaded entry.
        self._selected(index)
        return True

    def _selected(self, index) -> None:  # type: ignore[no-untyped-def]
        cell = self.model.cell(index)
        book = self.model.book
        if book is None:
            return
        entry = cell.entry if cell else None
        doctor = next((d.name for d in book.doctors if entry and d.id == entry.doctor_id), "")
        self.details.show_entry(entry, doctor, book.timezone)

    def _step(self, days: int) -> None:
        if self.day is not None:
            self.day_wanted.emit(self.day + timedelta(days=days))

    def _picked(self, picked: QDate) -> None:
        day = picked.toPython()
        if day != self.day:
            self.day_wanted.emit(day)
