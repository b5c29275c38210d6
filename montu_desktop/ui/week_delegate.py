"""Paints week grid cells: free (light, with a count), booked out (dark, striped), no doctor
(light, cross-hatched), closed (plain grey) and past (faint); and the legend that explains them."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from montu_desktop.domain.availability import Unavailable
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


def is_no_doctor(cell: WeekCell) -> bool:
    return cell.kind is CellKind.UNAVAILABLE and cell.reason == Unavailable.NOBODY_ROSTERED.value


def cell_look(cell: WeekCell) -> tuple[QColor, QColor]:
    """(fill, text colour) of a cell."""
    if is_no_doctor(cell):
        return palette.NO_DOCTOR_FILL, palette.NO_DOCTOR_TEXT
    return _FILLS[cell.kind]


def paint_background(painter: QPainter, rect: QRect, cell: WeekCell) -> None:
    """Fill and pattern: booked out dark with diagonal stripes, no doctor light cross-hatched,
    held time amber and dotted (each tells apart in greyscale too)."""
    painter.fillRect(rect, cell_look(cell)[0])
    if is_no_doctor(cell):
        painter.fillRect(rect, palette.cross_hatch(palette.NO_DOCTOR_HATCH))
    elif cell.kind is CellKind.UNAVAILABLE:
        painter.fillRect(rect, palette.hatch(palette.UNAVAILABLE_HATCH))
    elif cell.kind is CellKind.HELD:
        painter.fillRect(rect, QBrush(palette.HELD_HATCH, Qt.BrushStyle.Dense6Pattern))


def draw_label(painter: QPainter, rect: QRect, cell: WeekCell, text: str, colour: QColor) -> None:
    """The cell's words; on the cross-hatch they sit on a plain patch so they stay readable."""
    if is_no_doctor(cell):
        metrics = painter.fontMetrics()
        width = min(metrics.horizontalAdvance(text) + 8, rect.width() - 2)
        height = min(metrics.height(), rect.height() - 2)
        patch = QRect(0, 0, width, height)
        patch.moveCenter(rect.center())
        painter.fillRect(patch, palette.NO_DOCTOR_FILL)
    painter.setPen(colour)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class LegendSwatch(QLabel):
    """A legend entry painted exactly like the cells it explains."""

    def __init__(self, text: str, cell: WeekCell, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.cell = cell
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccessibleName(f"Legend: {text}")

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width() + 36, hint.height() + 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.rect()
        paint_background(painter, rect, self.cell)
        painter.setPen(QPen(palette.HOUR_LINE, 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        font = QFont(self.font())
        font.setBold(self.cell.kind is CellKind.AVAILABLE)
        painter.setFont(font)
        draw_label(painter, rect, self.cell, self.text(), cell_look(self.cell)[1])
        painter.end()


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
        text_colour = cell_look(cell)[1]
        painter.save()
        paint_background(painter, rect, cell)
        painter.setPen(QPen(palette.GRID_LINE, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text:
            font = QFont(option.font)  # type: ignore[attr-defined]
            font.setBold(cell.kind is CellKind.AVAILABLE)
            painter.setFont(font)
            draw_label(painter, rect, cell, text, text_colour)
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.setPen(QPen(palette.SELECTION, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        painter.restore()
