"""Dragging an appointment block in the day book to another time or doctor's column.

The gesture only says where the block would land (snapped to the day book's slots) and, on
the drop, asks for the move with `dropped`: whether the move may happen is the Reschedule
service's to say (ui/drop_moves.py runs it), never this view's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.ui import palette
from montu_desktop.ui.day_book_delegate import block_span
from montu_desktop.ui.day_book_model import DayBookModel

EDGE_SCROLL = 24
"""Dragging this close to an edge of the grid scrolls it (more hours, more doctors)."""


@dataclass(frozen=True, slots=True)
class DragMove:
    """Where a dropped block asks to go: a new start with the doctor of the column."""

    entry: DayBookEntry
    start: datetime
    doctor_id: int
    doctor_name: str
    same_place: bool = False
    """Dropped where it already is: nothing to do."""
    row: int = -1
    column: int = -1
    """The day book's row and column the block's top would take."""


@dataclass(slots=True)
class _Press:
    at: QPoint
    entry_id: int = 0
    """The block held: read once the drag starts, after the grid's own press has brought a
    clicked work-in (or the booking beside it) in front."""
    grab_offset: int = 0
    """Rows between the block's top and where it was held: it moves by where it was held."""
    dragging: bool = False


class DropIndicator(QWidget):
    """Over the grid while dragging: the frame where the block would land and a label with
    the time and the doctor (passes every mouse event through to the grid)."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAccessibleName("Drop here")
        self.target = QRect()
        self.origin = QRect()
        """The held block where it is now, veiled while it is dragged."""
        self.words = ""
        self.colour = QColor(palette.SELECTION)
        self.same_place = False
        self.hide()

    def show_at(
        self, target: QRect, origin: QRect, words: str, colour: str, same_place: bool
    ) -> None:
        self.target, self.origin, self.words = target, origin, words
        self.same_place = same_place
        self.colour = QColor(colour)
        self.setGeometry(self.parentWidget().rect())
        self.setAccessibleDescription(words)
        self.show()
        self.raise_()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self.same_place:
            painter.fillRect(self.origin, QColor(255, 255, 255, 150))
        frame = self.target.adjusted(2, 1, -3, -2)
        fill = palette.pastel(self.colour.name())
        fill.setAlpha(170)
        painter.fillRect(frame, fill)
        pen = QPen(palette.SELECTION, 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRect(frame)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = min(metrics.horizontalAdvance(self.words) + 16, self.width() - 4)
        height = metrics.height() + 6
        # The label sits in the frame's first row (over no other block), running past the
        # column when the column is narrow, yet inside the grid at its right end.
        left = max(2, min(frame.left() + 3, self.width() - width - 2))
        badge = QRect(left, frame.top() + 2, width, min(height, max(frame.height() - 4, 12)))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#5f6368") if self.same_place else palette.SELECTION)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(
            badge,
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(self.words, Qt.TextElideMode.ElideRight, width - 12),
        )


class DayBookDragger(QObject):
    """Press on a block, drag it, drop it: `dropped(DragMove)` unless it stayed in place.

    Escape cancels a drag; a drop outside the grid does nothing. Keyboard users keep
    the Reschedule button, which goes through the same service.
    """

    dropped = Signal(object)

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.indicator = DropIndicator(table.viewport())
        self.target: DragMove | None = None
        self._press: _Press | None = None
        table.viewport().installEventFilter(self)
        table.installEventFilter(self)

    @property
    def model(self) -> DayBookModel:
        model = self.table.model()
        assert isinstance(model, DayBookModel)
        return model

    @property
    def dragging(self) -> bool:
        return self._press is not None and self._press.dragging

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.table:
            if (
                kind == QEvent.Type.KeyPress
                and self.dragging
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape
            ):
                self.cancel()
                return True
            return False
        if not isinstance(event, QMouseEvent):
            return False
        if kind == QEvent.Type.MouseButtonPress:
            return self._pressed(event)
        if kind == QEvent.Type.MouseMove and self._press is not None:
            return self._moved(event)
        if kind == QEvent.Type.MouseButtonRelease and self._press is not None:
            return self._released(event)
        return False

    def _pressed(self, event: QMouseEvent) -> bool:
        self.cancel()
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        point = event.position().toPoint()
        cell = self.model.cell(self.table.indexAt(point))
        if cell is not None and cell.entry is not None:
            self._press = _Press(point)
        return False  # the grid still selects the block (its details show)

    def _moved(self, event: QMouseEvent) -> bool:
        press = self._press
        assert press is not None
        if not event.buttons() & Qt.MouseButton.LeftButton:
            self.cancel()
            return False
        point = event.position().toPoint()
        if not press.dragging:
            if (point - press.at).manhattanLength() < QApplication.startDragDistance():
                return True  # held still: no selection sweeping over other cells either
            cell = self.model.cell(self.table.indexAt(press.at))
            if cell is None or cell.entry is None or cell.block is None:
                self.cancel()
                return True
            press.entry_id = cell.entry.id
            press.grab_offset = self.table.rowAt(press.at.y()) - cell.block.first_row
            press.dragging = True
            self.table.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        self._scroll_near_edge(point)
        self.aim(point)
        return True

    def _released(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        dragging = self.dragging
        if dragging:
            self.aim(event.position().toPoint())
        target = self.target
        self.cancel()
        if not dragging:
            return False
        if target is not None and not target.same_place:
            self.dropped.emit(target)
        return True

    def cancel(self) -> None:
        """Forget the press and the drag; the block never moved."""
        if self.dragging:
            self.table.viewport().unsetCursor()
        self._press, self.target = None, None
        self.indicator.hide()

    def aim(self, point: QPoint) -> DragMove | None:
        """Where the held block would land with the mouse at `point` (viewport coordinates)."""
        self.target = self._target_at(point)
        if self.target is None:
            self.indicator.hide()
        else:
            target = self.target
            self.indicator.show_at(
                self._frame(target),
                self._origin(target),
                self._words(target),
                target.entry.colour,
                target.same_place,
            )
        return self.target

    def _target_at(self, point: QPoint) -> DragMove | None:
        press, model, book = self._press, self.model, self.model.book
        if press is None or book is None:
            return None
        block = model.blocks.get(press.entry_id)
        entry = next((e for e in book.appointments if e.id == press.entry_id), None)
        row, column = self.table.rowAt(point.y()), self.table.columnAt(point.x())
        if block is None or entry is None or row < 0 or column < 0:
            return None
        # The block keeps the row it was held by under the mouse, whole inside the day.
        first = row - press.grab_offset
        first = max(0, min(first, model.rowCount() - block.rows))
        cell = model.cell(model.index(first, column))
        if cell is None:
            return None
        doctor = book.doctors[column]
        same = first == block.first_row and column == block.column
        return DragMove(entry, cell.start, doctor.id, doctor.name, same, first, column)

    def _rows_rect(self, first: int, last: int, column: int) -> QRect:
        """Rows `first` to `last` of a doctor's column, in the viewport's coordinates."""
        top = self.table.rowViewportPosition(first)
        bottom = self.table.rowViewportPosition(last) + self.table.rowHeight(last)
        left = self.table.columnViewportPosition(column)
        return QRect(left, top, self.table.columnWidth(column), bottom - top)

    def _frame(self, target: DragMove) -> QRect:
        block = self.model.blocks[target.entry.id]
        last = min(target.row + block.rows, self.model.rowCount()) - 1
        return self._rows_rect(target.row, last, target.column)

    def _origin(self, target: DragMove) -> QRect:
        block = self.model.blocks[target.entry.id]
        cell = self._rows_rect(block.first_row, block.first_row + block.rows - 1, block.column)
        left, width = block_span(cell, block)
        return QRect(left, cell.top(), width, cell.height())

    def _words(self, target: DragMove) -> str:
        book = self.model.book
        assert book is not None
        start = to_local(target.start, book.timezone)
        end = to_local(target.start + (target.entry.end - target.entry.start), book.timezone)
        if target.same_place:
            return f"{start:%H:%M}–{end:%H:%M} {target.doctor_name}: where it is now"
        return f"Move to {start:%H:%M}–{end:%H:%M} with {target.doctor_name}"

    def _scroll_near_edge(self, point: QPoint) -> None:
        size = self.table.viewport().size()
        for bar, at, length in (
            (self.table.verticalScrollBar(), point.y(), size.height()),
            (self.table.horizontalScrollBar(), point.x(), size.width()),
        ):
            if at < EDGE_SCROLL:
                bar.setValue(bar.value() - bar.singleStep())
            elif at > length - EDGE_SCROLL:
                bar.setValue(bar.value() + bar.singleStep())
