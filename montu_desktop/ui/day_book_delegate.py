"""Paints the day book: off hours shaded, appointments as blocks in their type's colour."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.ui import palette
from montu_desktop.ui.day_book_model import SLOT_ROLE, DayCell


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
            self._paint_block(painter, option, index, cell, rect)
        elif option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.setPen(QPen(palette.SELECTION, 3))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        painter.restore()

    def _paint_block(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        cell: DayCell,
        rect: QRect,
    ) -> None:
        assert cell.entry is not None and cell.block is not None
        block, entry = cell.block, cell.entry
        width = (rect.width() - 4) // block.lanes
        left = rect.left() + 2 + block.lane * width
        row = index.row()
        top = rect.top() + (2 if row == block.first_row else 0)
        bottom = rect.bottom() - (2 if row == block.first_row + block.rows - 1 else -1)
        area = QRect(left, top, width, bottom - top + 1)
        dimmed = entry.status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
        fill = palette.pastel(entry.colour)
        if dimmed:
            fill = fill.lighter(108)
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
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.setPen(QPen(palette.SELECTION, 3))
            painter.drawLine(area.topLeft(), area.bottomLeft())
            painter.drawLine(area.topRight(), area.bottomRight())
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            font = QFont(option.font)  # type: ignore[attr-defined]
            font.setBold(row == block.first_row)
            font.setStrikeOut(entry.status is AppointmentStatus.NO_SHOW)
            painter.setFont(font)
            painter.setPen(QColor("#5f6368") if dimmed else QColor("#1f1f1f"))
            painter.drawText(
                area.adjusted(10, 0, -4, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width - 14),
            )
