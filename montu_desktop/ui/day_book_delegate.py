"""Paints the day book: off hours shaded, appointments as blocks in their type's colour."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.ui import palette
from montu_desktop.ui.day_book_model import SLOT_ROLE, STATUS_MARKS, DayCell, block_text
from montu_desktop.ui.layout import Block

STATUS_EDGES = {
    AppointmentStatus.BOOKED: None,
    AppointmentStatus.ARRIVED: QColor("#188038"),
    AppointmentStatus.CALLED_IN: QColor("#1a73e8"),
    AppointmentStatus.IN_CONSULTATION: QColor("#8430ce"),
    AppointmentStatus.DID_NOT_WAIT: QColor("#e37400"),
    AppointmentStatus.COMPLETED: QColor("#5f6368"),
    AppointmentStatus.NO_SHOW: QColor("#c5221f"),
}
"""A status bar on the right edge of every block; the mark beside the name says it in greyscale."""
ALERT_FILL = QColor("#c5221f")
ALERT_MARK_SIZE = 14
"""The alert mark: a red square with a white "!" before the name on the block's first row
(the tooltip and the accessible text name the alerts)."""


def alert_mark_rect(area: QRect) -> QRect:
    """Where the alert mark goes in a block's first-row area."""
    size = min(ALERT_MARK_SIZE, max(area.height() - 4, 6))
    return QRect(area.left() + 9, area.top() + (area.height() - size) // 2, size, size)


class DayBookDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        cell: DayCell | None = index.data(SLOT_ROLE)
        if cell is None:
            return
        rect: QRect = option.rect  # type: ignore[attr-defined]
        painter.save()
        if cell.rostered:
            painter.fillRect(rect, palette.ROSTERED_FILL)
        else:
            painter.fillRect(rect, palette.OFF_HOURS_FILL)
            painter.fillRect(rect, palette.hatch(palette.CLOSED_FILL))
        on_the_hour = cell.start.minute == 0 and cell.start.second == 0
        painter.setPen(QPen(palette.HOUR_LINE if on_the_hour else palette.GRID_LINE, 1))
        painter.drawLine(rect.topLeft(), rect.topRight())
        painter.setPen(QPen(palette.GRID_LINE, 1))
        painter.drawLine(rect.topRight(), rect.bottomRight())
        if cell.entry is not None and cell.block is not None:
            text = index.data(Qt.ItemDataRole.DisplayRole)
            self._paint_block(painter, option, index.row(), cell.entry, cell.block, rect, text)
            for other, block in cell.beside:
                other_text = block_text(other, block, index.row())
                self._paint_block(painter, option, index.row(), other, block, rect, other_text)
        elif option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.setPen(QPen(palette.SELECTION, 3))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        painter.restore()

    def _paint_block(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        row: int,
        entry: DayBookEntry,
        block: Block,
        rect: QRect,
        text: str,
    ) -> None:
        left, width = block_span(rect, block)
        top = rect.top() + (2 if row == block.first_row else 0)
        bottom = rect.bottom() - (2 if row == block.first_row + block.rows - 1 else -1)
        area = QRect(left, top, width, bottom - top + 1)
        dimmed = entry.status in (
            AppointmentStatus.COMPLETED,
            AppointmentStatus.NO_SHOW,
            AppointmentStatus.DID_NOT_WAIT,
        )
        fill = palette.pastel(entry.colour)
        if dimmed:
            fill = fill.lighter(108)
        if _selected_entry(option) == entry.id:
            fill = fill.darker(118)
        painter.fillRect(area, fill)
        painter.fillRect(QRect(left, top, 5, area.height()), QColor(entry.colour))
        pen = QPen(QColor(entry.colour).darker(130), 1)
        painter.setPen(pen)
        painter.drawLine(area.topLeft(), area.bottomLeft())
        painter.drawLine(area.topRight(), area.bottomRight())
        if row == block.first_row:
            painter.drawLine(area.topLeft(), area.topRight())
        if row == block.first_row + block.rows - 1:
            painter.drawLine(area.bottomLeft(), area.bottomRight())
        edge = STATUS_EDGES.get(entry.status)
        if edge is not None:
            painter.fillRect(QRect(area.right() - 4, top, 5, area.height()), edge)
        if _selected_entry(option) == entry.id:
            # The whole block, every row of it, framed thick: unmistakable even at a glance.
            painter.setPen(QPen(palette.SELECTION, 3))
            painter.drawLine(area.topLeft() + _x(1), area.bottomLeft() + _x(1))
            painter.drawLine(area.topRight() - _x(1), area.bottomRight() - _x(1))
            if row == block.first_row:
                painter.drawLine(area.topLeft() + _y(1), area.topRight() + _y(1))
            if row == block.first_row + block.rows - 1:
                painter.drawLine(area.bottomLeft() - _y(1), area.bottomRight() - _y(1))
        if entry.work_in_reason:  # a work-in: a dashed edge, beside the booking it joins
            painter.setPen(QPen(QColor(entry.colour).darker(150), 1, Qt.PenStyle.DashLine))
            painter.drawRect(area.adjusted(1, 0, -1, -1))
        mark = STATUS_MARKS.get(entry.status, "") if row == block.first_row else ""
        font = QFont(option.font)  # type: ignore[attr-defined]
        font.setBold(row == block.first_row)
        painter.setFont(font)
        mark_width = painter.fontMetrics().horizontalAdvance(mark) + 6 if mark else 0
        if mark:
            painter.setPen(edge or QColor("#1f1f1f"))
            painter.drawText(
                area.adjusted(0, 0, -9, 0),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                mark,
            )
        alert_width = 0
        if row == block.first_row and entry.patient_alerts:
            mark_rect = alert_mark_rect(area)
            painter.fillRect(mark_rect, ALERT_FILL)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(mark_rect, Qt.AlignmentFlag.AlignCenter, "!")
            alert_width = mark_rect.width() + 4
        if text:
            font.setStrikeOut(entry.status is AppointmentStatus.NO_SHOW)
            painter.setFont(font)
            painter.setPen(QColor("#5f6368") if dimmed else QColor("#1f1f1f"))
            room = width - 18 - mark_width - alert_width
            painter.drawText(
                area.adjusted(10 + alert_width, 0, -8 - mark_width, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room),
            )


def block_span(rect: QRect, block: Block) -> tuple[int, int]:
    """(left, width) of a block's lane in a cell: a work-in's lane is narrower."""
    inner = rect.width() - 4
    left = rect.left() + 2 + round(inner * block.offset)
    return left, max(round(inner * block.share), 1)


def _x(pixels: int) -> QPoint:
    return QPoint(pixels, 0)


def _y(pixels: int) -> QPoint:
    return QPoint(0, pixels)


def _selected_entry(option: QStyleOptionViewItem) -> int | None:
    """The appointment selected in the view, so every row of its block is framed."""
    view = getattr(option, "widget", None)
    selection = view.selectionModel() if view is not None else None
    if selection is None:
        return None
    current = selection.currentIndex()
    if not current.isValid() or not selection.isSelected(current):
        return None
    cell = current.data(SLOT_ROLE)
    return cell.entry.id if cell is not None and cell.entry is not None else None
