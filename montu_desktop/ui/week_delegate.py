"""Paints week grid cells: free (light, with a count; a corner mark when some of the time is
held), booked out (dark, striped), no doctor (light, cross-hatched), held (amber, dotted), not
open yet (white, lined), closed (plain grey) and past (faint); and the legend explaining them."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygon,
)
from PySide6.QtWidgets import QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from montu_desktop.domain.availability import Unavailable
from montu_desktop.ui import palette
from montu_desktop.ui.layout import CellKind, WeekCell
from montu_desktop.ui.week_model import CELL_ROLE, cell_explanation, cell_text

_FILLS = {
    CellKind.AVAILABLE: (palette.AVAILABLE_FILL, palette.AVAILABLE_TEXT),
    CellKind.UNAVAILABLE: (palette.UNAVAILABLE_FILL, palette.UNAVAILABLE_TEXT),
    CellKind.CLOSED: (palette.CLOSED_FILL, palette.CLOSED_TEXT),
    CellKind.PAST: (palette.PAST_FILL, palette.PAST_TEXT),
    CellKind.HELD: (palette.HELD_FILL, palette.HELD_TEXT),
    CellKind.NOT_OPEN: (palette.NOT_OPEN_FILL, palette.NOT_OPEN_TEXT),
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
    elif cell.kind is CellKind.NOT_OPEN:
        painter.fillRect(rect, QBrush(palette.NOT_OPEN_LINES, Qt.BrushStyle.HorPattern))
    if cell.held and cell.kind is CellKind.AVAILABLE:
        paint_held_mark(painter, rect)


HELD_MARK_SIZE = 12
"""The side of the corner triangle marking held time in a cell where others are free."""


def paint_held_mark(painter: QPainter, rect: QRect) -> None:
    """An amber triangle with a dark edge in the top-right corner (seen in greyscale too)."""
    right, top = rect.right(), rect.top()
    size = min(HELD_MARK_SIZE, rect.height() - 2, rect.width() - 2)
    triangle = QPolygon([QPoint(right - size, top), QPoint(right, top), QPoint(right, top + size)])
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setBrush(palette.HELD_HATCH)
    painter.setPen(QPen(palette.HELD_MARK_EDGE, 1))
    painter.drawPolygon(triangle)
    painter.restore()


def draw_label(painter: QPainter, rect: QRect, cell: WeekCell, text: str, colour: QColor) -> None:
    """The cell's words; on the cross-hatch they sit on a plain patch so they stay readable."""
    if is_no_doctor(cell) or cell.kind is CellKind.NOT_OPEN:
        metrics = painter.fontMetrics()
        width = min(metrics.horizontalAdvance(text) + 8, rect.width() - 2)
        height = min(metrics.height(), rect.height() - 2)
        patch = QRect(0, 0, width, height)
        patch.moveCenter(rect.center())
        painter.fillRect(patch, cell_look(cell)[0])
    painter.setPen(colour)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class LegendSwatch(QLabel):
    """A legend entry painted exactly like the cells it explains."""

    def __init__(self, text: str, cell: WeekCell, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.cell = cell
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccessibleName(f"Legend: {text}")
        self.setToolTip(cell_explanation(cell))

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
    """Paints each cell from a small cache of painted cells: a week holds only a few dozen
    distinct looks, and painting every cell afresh cost most of a week's repaint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painted: dict[tuple[object, ...], QPixmap] = {}
        self._font = QFont()
        self._font_key = self._font.key()

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
        ratio = painter.device().devicePixelRatioF()
        painter.drawPixmap(rect.topLeft(), self.look(cell, rect, option.font, ratio))  # type: ignore[attr-defined]
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            paint_selection(painter, rect)

    def look(self, cell: WeekCell, rect: QRect, font: QFont, ratio: float) -> QPixmap:
        """`cell` painted unselected to fill `rect` (viewport coordinates), from the cache."""
        if font != self._font:
            self._font, self._font_key = QFont(font), font.key()
        # Patterns line up across cells as when painted in place: the key keeps the phase.
        x, y, width, height = rect.getRect()
        phase = (x % PATTERN_SIZE, y % PATTERN_SIZE)
        key = (
            cell.kind,
            cell.reason,
            cell.free,
            cell.held > 0,
            width,
            height,
            phase,
            self._font_key,
            ratio,
        )
        pixmap = self._painted.get(key)
        if pixmap is None:
            if len(self._painted) > CACHED_LOOKS:
                self._painted.clear()
            pixmap = self._painted[key] = _painted_cell(cell, rect, font, phase, ratio)
        return pixmap


def paint_selection(painter: QPainter, rect: QRect) -> None:
    """The selected cell's frame, drawn over its look."""
    painter.save()
    painter.setPen(QPen(palette.SELECTION, 3))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect.adjusted(1, 1, -2, -2))
    painter.restore()


PATTERN_SIZE = 8
"""Qt's hatch patterns repeat every 8 pixels."""
CACHED_LOOKS = 512


def _painted_cell(
    cell: WeekCell, rect: QRect, font: QFont, phase: tuple[int, int], ratio: float
) -> QPixmap:
    """One cell as the grid shows it (fill, pattern, grid lines, words), unselected."""
    pixmap = QPixmap(rect.size() * ratio)
    pixmap.setDevicePixelRatio(ratio)
    painter = QPainter(pixmap)
    painter.setBrushOrigin(-phase[0], -phase[1])
    local = QRect(0, 0, rect.width(), rect.height())
    paint_background(painter, local, cell)
    painter.setPen(QPen(palette.GRID_LINE, 1))
    painter.drawLine(local.bottomLeft(), local.bottomRight())
    painter.drawLine(local.topRight(), local.bottomRight())
    text = cell_text(cell)
    if text:
        bold = QFont(font)
        bold.setBold(cell.kind is CellKind.AVAILABLE)
        painter.setFont(bold)
        draw_label(painter, local, cell, text, cell_look(cell)[1])
    painter.end()
    return pixmap
