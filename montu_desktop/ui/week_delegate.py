"""Paints week grid cells: free (light, with a count), unavailable (dark, striped), closed, past."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from montu_desktop.ui import palette
from montu_desktop.ui.layout import CellKind, WeekCell
from montu_desktop.ui.week_model import CELL_ROLE

_FILLS = {
    CellKind.AVAILABLE: (palette.AVAILABLE_FILL, palette.AVAILABLE_TEXT),
    CellKind.UNAVAILABLE: (palette.UNAVAILABLE_FILL, palette.UNAVAILABLE_TEXT),
    CellKind.CLOSED: (palette.CLOSED_FILL, palette.CLOSED_TEXT),
    CellKind.PAST: (palette.PAST_FILL, palette.PAST_TEXT),
    CellKind.HELD: (palette.HELD_FILL, palette.HELD_TEXT),
}


class WeekCellDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        cell: WeekCell | None = index.data(CELL_ROLE)
        if cell is None:
            return
        rect: QRect = option.rect  # type: ignore[attr-defined]
        fill, text_colour = _FILLS[cell.kind]
        painter.save()
        painter.fillRect(rect, fill)
        if cell.kind is CellKind.UNAVAILABLE:
            painter.fillRect(rect, palette.hatch(palette.UNAVAILABLE_HATCH))
        if cell.kind is CellKind.HELD:  # crossed, unlike the single stripes of unavailable
            painter.fillRect(rect, QBrush(palette.HELD_HATCH, Qt.BrushStyle.DiagCrossPattern))
        painter.setPen(QPen(palette.GRID_LINE, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            font = QFont(option.font)  # type: ignore[attr-defined]
            font.setBold(cell.kind is CellKind.AVAILABLE)
            painter.setFont(font)
            painter.setPen(text_colour)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.setPen(QPen(palette.SELECTION, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        painter.restore()
