"""The week grid panel: appointment type, week navigation, the grid itself and its legend."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QItemSelectionModel, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.model import AppointmentType, week_start
from montu_desktop.domain.wording import day_label
from montu_desktop.ui.date_range import DateField, in_window
from montu_desktop.ui.elided_label import ElidedLabel
from montu_desktop.ui.layout import CellKind, WeekCell, WeekGrid, now_position
from montu_desktop.ui.now_line import NowLine
from montu_desktop.ui.week_delegate import LegendSwatch, WeekCellDelegate, paint_selection
from montu_desktop.ui.week_model import WeekModel, cell_explanation

ROW_HEIGHT = 26
"""Rows shrink from this towards the font's height so the clinic's whole day fits."""
NO_TYPES = (
    "No appointment types yet: a manager adds them in Clinic → Settings… → Appointment types."
)
"""What the week grid says on a clinic with no active appointment type."""


class WeekDateEdit(DateField):
    """The "Go to date" field: one Tab leaves it for the grid (see DateField)."""


class WeekTable(QTableView):
    """The grid: arrows move, Enter books, Page Up/Down change week, T jumps to today."""

    book_pressed = Signal()
    week_step = Signal(int)
    today_pressed = Signal()
    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.now_line = NowLine(self)

    def paintEvent(self, event: QPaintEvent) -> None:
        grid: WeekGrid | None = getattr(self.model(), "grid", None)
        delegate = self.itemDelegate()
        if grid is not None and isinstance(delegate, WeekCellDelegate):
            self._paint_cells(grid, delegate, event.rect())
        else:
            super().paintEvent(event)
        now = self.now_line.local_now()
        if grid is None or now is None or now.date() not in grid.days or not grid.times:
            return
        column = grid.days.index(now.date())
        y = self.now_line.y(grid.times, _slot_minutes(grid))
        if y is not None:
            self.now_line.paint(y, column, column)

    def _paint_cells(self, grid: WeekGrid, delegate: WeekCellDelegate, area: QRect) -> None:
        """The cells in `area` as QTableView paints them through the delegate, in one pass:
        the table asked Python for each cell's flags, data and paint (about 280 cells at 50
        doctors), which was most of a week's repaint."""
        top, left = self.rowAt(area.top()), self.columnAt(area.left())
        if top < 0 or left < 0:
            return  # only the empty space past the last row or column
        bottom, right = self.rowAt(area.bottom()), self.columnAt(area.right())
        rows = range(top, (bottom if bottom >= 0 else len(grid.times) - 1) + 1)
        columns = range(left, (right if right >= 0 else len(grid.days) - 1) + 1)
        heights = [(self.rowViewportPosition(row), self.rowHeight(row)) for row in rows]
        widths = [(self.columnViewportPosition(col), self.columnWidth(col)) for col in columns]
        font, ratio, look = self.font(), self.viewport().devicePixelRatioF(), delegate.look
        painter = QPainter(self.viewport())
        for row, (y, height) in zip(rows, heights, strict=True):
            line = grid.cells[row]
            for column, (x, width) in zip(columns, widths, strict=True):
                rect = QRect(x, y, width, height)
                painter.drawPixmap(x, y, look(line[column], rect, font, ratio))
        for index in self.selectionModel().selectedIndexes():
            frame = self.visualRect(index)
            if frame.intersects(area):
                paint_selection(painter, frame)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

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


def _slot_minutes(grid: WeekGrid) -> int:
    if len(grid.times) < 2:
        return 15
    first, second = grid.times[0], grid.times[1]
    return (second.hour * 60 + second.minute) - (first.hour * 60 + first.minute)


LEGEND = (
    ("3 free", WeekCell(CellKind.AVAILABLE, free=3, rostered=4)),
    ("2 free, 1 held", WeekCell(CellKind.AVAILABLE, free=2, rostered=3, held=1)),
    ("Booked out", WeekCell(CellKind.UNAVAILABLE, reason=Unavailable.ALL_BUSY.value)),
    ("No doctor", WeekCell(CellKind.UNAVAILABLE, reason=Unavailable.NOBODY_ROSTERED.value)),
    ("Held: urgent", WeekCell(CellKind.HELD, reason=Unavailable.HELD.value)),
    ("Not open yet", WeekCell(CellKind.NOT_OPEN, reason=Unavailable.BEYOND_HORIZON.value)),
    ("Closed", WeekCell(CellKind.CLOSED)),
    ("Past", WeekCell(CellKind.PAST)),
)
"""Legend entries: (words, a cell painted like the ones they explain)."""


class WeekPanel(QWidget):
    """Shows one week for one appointment type; asks its controller for data and bookings."""

    week_wanted = Signal(object, str)
    """(a day in the wanted week, appointment type name)."""
    book_wanted = Signal(object, str)
    """(UTC start of a free cell, appointment type name)."""
    cell_selected = Signal(object)
    """The selected WeekCell (its day drives the day book)."""
    booked_out = Signal(object, str)
    """Enter on a booked-out cell: (UTC start, appointment type name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.monday: date | None = None
        self._quiet = False
        self.today: date | None = None
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Appointment type")
        self.type_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.previous_button = QPushButton("◀ Previous week")
        self.today_button = QPushButton("This week")
        self.next_button = QPushButton("Next week ▶")
        self.date_edit = in_window(WeekDateEdit())
        self.date_edit.setAccessibleName("Go to date")
        self.date_edit.setToolTip("A day in the week to show (the grid moves to its week)")
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
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.hint = ElidedLabel()
        self.hint.setObjectName("cellHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
        self.legend = [LegendSwatch(text, cell) for text, cell in LEGEND]
        for swatch in self.legend:
            legend.addWidget(swatch)
        legend.addSpacing(12)
        legend.addWidget(self.hint, 1)
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
        self.table.resized.connect(lambda: self._fit_rows())

    # What the controller calls -------------------------------------------------------

    def set_types(self, types: list[AppointmentType]) -> None:
        current = self.type_name
        self.type_box.blockSignals(True)
        self.type_box.clear()
        for kind in types:
            if kind.active:
                self.type_box.addItem(f"{kind.name} ({kind.length_minutes} min)", kind.name)
        # The first time: the first type, the one booked most (the list comes by use).
        self.type_box.setCurrentIndex(max(self.type_box.findData(current), 0))
        self.type_box.blockSignals(False)
        if not self.type_box.count():
            # Nothing to show a week of: say what the blank grid waits for and where it is set.
            self.model.set_grid(None)
            self.title.setText(NO_TYPES)
        elif self.title.text() == NO_TYPES:
            self.title.clear()

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
        self._fit_rows()
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
        if not same_week:
            self.scroll_to_start()

    def set_clock(self, clock, timezone: str) -> None:  # type: ignore[no-untyped-def]
        """The clock the now-line follows (the service context's, so tests can fix it)."""
        self.table.now_line.set_clock(clock, timezone)

    def _fit_rows(self) -> None:
        """Compact rows so the whole open day fits when it can (never below the text height)."""
        rows = self.model.rowCount()
        if not rows:
            return
        smallest = self.table.fontMetrics().height() + 3
        room = self.table.viewport().height()
        height = max(smallest, min(ROW_HEIGHT, room // rows))
        if self.table.verticalHeader().defaultSectionSize() != height:
            self.table.verticalHeader().setDefaultSectionSize(height)

    def day_fits(self) -> bool:
        rows = self.model.rowCount()
        return rows * self.table.verticalHeader().defaultSectionSize() <= (
            self.table.viewport().height()
        )

    def scroll_to_start(self) -> None:
        """When the day does not fit: today's week starts at now, another at its first free slot."""
        grid = self.model.grid
        if grid is None or not grid.times:
            return
        now = self.table.now_line.local_now()
        row = None
        if now is not None and now.date() in grid.days:
            found = now_position(grid.times, now.time(), _slot_minutes(grid))
            if found is not None:
                row = max(found[0] - 1, 0)
        if row is None:
            first = self._first_bookable()
            row = first[0] if first else 0
        # Once laid out, so the scroll range is known (the first show happens before layout).
        QTimer.singleShot(0, lambda: self._scroll_row_to_top(row))

    def _scroll_row_to_top(self, row: int) -> None:
        if row < self.model.rowCount():
            self.table.scrollTo(
                self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop
            )

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
        elif cell.reason == Unavailable.ALL_BUSY.value and cell.start is not None:
            self._explain(cell)
            self.booked_out.emit(cell.start, self.type_name)
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
        """The date field always names a day of the week shown: the day picked there when
        it is in that week, else the Monday."""
        if self.monday is None:
            return
        picked = self.date_edit.date().toPython()
        if week_start(picked) == self.monday:
            return
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.monday))
        self.date_edit.blockSignals(False)

    def week_refused(self, why: str) -> None:
        """The week asked for cannot be shown: the date field goes back to the week shown."""
        self._sync_date_edit()
        self.hint.setText(why)

    def _title(self) -> str:
        if self.monday is None:
            return ""
        sunday = self.monday + timedelta(days=6)
        return f"Week of {day_label(self.monday)} – {day_label(sunday, year=True)}"

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
    return f"{day_label(day)} {wall:%H:%M}"
