"""The week grid panel: appointment type, week navigation, the grid itself and its legend."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.model import AppointmentType, week_start
from montu_desktop.ui import palette
from montu_desktop.ui.layout import WeekCell, WeekGrid
from montu_desktop.ui.week_delegate import WeekCellDelegate
from montu_desktop.ui.week_model import WeekModel, cell_explanation


class WeekTable(QTableView):
    """The grid: arrows move, Enter books, Page Up/Down change week, T jumps to today."""

    book_pressed = Signal()
    week_step = Signal(int)
    today_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            self.book_pressed.emit()
        elif key == Qt.Key.Key_PageUp:
            self.week_step.emit(-1)
        elif key == Qt.Key.Key_PageDown:
            self.week_step.emit(1)
        elif key == Qt.Key.Key_T and plain:
            self.today_pressed.emit()
        else:
            super().keyPressEvent(event)


def _legend_swatch(text: str, style: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"QLabel {{ {style} padding: 2px 8px; border: 1px solid #9aa0a6; }}")
    return label


class WeekPanel(QWidget):
    """Shows one week for one appointment type; asks its controller for data and bookings."""

    week_wanted = Signal(object, str)
    """(a day in the wanted week, appointment type name)."""
    book_wanted = Signal(object, str)
    """(UTC start of a free cell, appointment type name)."""
    cell_selected = Signal(object)
    """The selected WeekCell (its day drives the day book)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.monday: date | None = None
        self._quiet = False
        self.today: date | None = None
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Appointment type")
        self.type_box.setMinimumContentsLength(18)
        self.previous_button = QPushButton("◀ Previous week")
        self.today_button = QPushButton("This week")
        self.next_button = QPushButton("Next week ▶")
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.date_edit.setAccessibleName("Go to date")
        self.title = QLabel()
        self.title.setObjectName("weekTitle")
        self.table = WeekTable()
        self.model = WeekModel()
        self.table.setModel(self.model)
        self.table.setItemDelegate(WeekCellDelegate(self.table))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setMouseTracking(True)
        self.table.setAccessibleName("Week availability")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.hint = QLabel()
        self.hint.setObjectName("cellHint")
        self._build_layout()
        self._connect()

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        type_label = QLabel("&Type:")
        type_label.setBuddy(self.type_box)
        bar.addWidget(type_label)
        bar.addWidget(self.type_box)
        bar.addSpacing(12)
        for widget in (self.previous_button, self.today_button, self.next_button, self.date_edit):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.title, 1)
        legend = QHBoxLayout()
        legend.addWidget(QLabel("Legend:"))
        legend.addWidget(
            _legend_swatch(
                "3 free", f"background: {palette.AVAILABLE_FILL.name()};font-weight:bold;"
            )
        )
        legend.addWidget(
            _legend_swatch(
                "Booked out / no doctor",
                f"background: {palette.UNAVAILABLE_FILL.name()}; color: white;",
            )
        )
        legend.addWidget(_legend_swatch("Closed", f"background: {palette.CLOSED_FILL.name()};"))
        legend.addWidget(
            _legend_swatch(
                "Held: urgent",
                f"background: {palette.HELD_FILL.name()}; color: {palette.HELD_TEXT.name()};",
            )
        )
        legend.addWidget(
            _legend_swatch("Past", f"background: {palette.PAST_FILL.name()}; color: #a3a3a3;")
        )
        legend.addStretch(1)
        legend.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(legend)
        for first, second in (
            (self.type_box, self.previous_button),
            (self.previous_button, self.today_button),
            (self.today_button, self.next_button),
            (self.next_button, self.date_edit),
            (self.date_edit, self.table),
        ):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        self.previous_button.clicked.connect(lambda: self.step_week(-1))
        self.next_button.clicked.connect(lambda: self.step_week(1))
        self.today_button.clicked.connect(self.go_today)
        self.date_edit.dateChanged.connect(self._date_picked)
        self.type_box.currentIndexChanged.connect(lambda _i: self._want(self.monday))
        self.table.book_pressed.connect(self.book_selected)
        self.table.doubleClicked.connect(lambda _index: self.book_selected())
        self.table.week_step.connect(self.step_week)
        self.table.today_pressed.connect(self.go_today)
        self.table.entered.connect(lambda index: self._explain(self.model.cell(index)))
        self.table.selectionModel().currentChanged.connect(self._current_changed)

    # What the controller calls -------------------------------------------------------

    def set_types(self, types: list[AppointmentType]) -> None:
        current = self.type_name
        self.type_box.blockSignals(True)
        self.type_box.clear()
        for kind in types:
            if kind.active:
                self.type_box.addItem(f"{kind.name} ({kind.length_minutes} min)", kind.name)
        found = self.type_box.findData(current)
        if found < 0 and types:  # first time: the shortest type, the one booked most
            shortest = min((k for k in types if k.active), key=lambda k: k.length_minutes)
            found = self.type_box.findData(shortest.name)
        self.type_box.setCurrentIndex(max(found, 0))
        self.type_box.blockSignals(False)

    def show_week(self, grid: WeekGrid, today: date) -> None:
        """Show a computed week, keeping the selected slot (or the same cell) selected."""
        previous = self.selected_cell()
        row_col = self._current_position()
        # Repainting the same week (after a booking anywhere) must not pull the day book
        # back to the selected cell's day: only a person's move or a new week does that.
        same_week = previous is not None and bool(grid.days) and grid.days[0] == self.monday
        self.today = today
        self.monday = grid.days[0] if grid.days else self.monday
        self.model.set_grid(grid, today)
        self.title.setText(self._title())
        self._sync_date_edit()
        target = grid.position_of(previous.start) if previous and previous.start else None
        target = target or row_col or self._first_bookable()
        if target and self.model.rowCount() and self.model.columnCount():
            row = min(target[0], self.model.rowCount() - 1)
            column = min(target[1], self.model.columnCount() - 1)
            self._quiet = same_week
            try:
                self.select(row, column)
            finally:
                self._quiet = False

    def select(self, row: int, column: int) -> None:
        index = self.model.index(row, column)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.table.scrollTo(index)

    # What the person does -----------------------------------------------------------------

    @property
    def type_name(self) -> str:
        return str(self.type_box.currentData() or "")

    def selected_cell(self) -> WeekCell | None:
        selection = self.table.selectionModel()
        return self.model.cell(selection.currentIndex()) if selection else None

    def step_week(self, weeks: int) -> None:
        if self.monday is not None:
            self._want(self.monday + timedelta(weeks=weeks))

    def go_today(self) -> None:
        if self.today is not None:
            self._want(self.today)

    def book_selected(self) -> None:
        cell = self.selected_cell()
        if cell is None:
            return
        if (cell.bookable or cell.urgent_only) and cell.start is not None:
            self.book_wanted.emit(cell.start, self.type_name)
        else:
            self._explain(cell)

    def _want(self, day: date | None) -> None:
        if day is not None and self.type_name:
            self.week_wanted.emit(day, self.type_name)

    def _date_picked(self, picked: QDate) -> None:
        day = picked.toPython()
        if self.monday is None or week_start(day) != self.monday:
            self._want(day)

    def _sync_date_edit(self) -> None:
        if self.monday is None:
            return
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.monday))
        self.date_edit.blockSignals(False)

    def _title(self) -> str:
        if self.monday is None:
            return ""
        sunday = self.monday + timedelta(days=6)
        return f"Week of {self.monday.day} {self.monday:%b} – {sunday.day} {sunday:%b %Y}"

    def _current_position(self) -> tuple[int, int] | None:
        index = self.table.selectionModel().currentIndex()
        return (index.row(), index.column()) if index.isValid() else None

    def _first_bookable(self) -> tuple[int, int] | None:
        grid = self.model.grid
        if grid is None:
            return None
        for column in range(len(grid.days)):
            for row in range(len(grid.times)):
                if grid.cell(row, column).bookable:
                    return row, column
        return None

    def _explain(self, cell: WeekCell | None) -> None:
        if cell is None:
            self.hint.setText("")
            return
        when = ""
        if cell.start is not None and self.model.grid is not None:
            when = f"{_local_label(cell.start, self.model.grid)} — "
        self.hint.setText(when + cell_explanation(cell))

    def _current_changed(self, current, _previous) -> None:  # type: ignore[no-untyped-def]
        cell = self.model.cell(current)
        self._explain(cell)
        if cell is not None and not self._quiet:
            self.cell_selected.emit(cell)


def _local_label(start: datetime, grid: WeekGrid) -> str:
    position = grid.position_of(start)
    if position is None:
        return ""
    day, wall = grid.days[position[1]], grid.times[position[0]]
    return f"{day:%a} {day.day} {day:%b} {wall:%H:%M}"
