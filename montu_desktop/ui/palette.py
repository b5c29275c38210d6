"""The colours and fills cells are painted with, chosen to stay distinct also in greyscale."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

AVAILABLE_FILL = QColor("#e3f4e6")
AVAILABLE_TEXT = QColor("#14532d")
UNAVAILABLE_FILL = QColor("#59606b")
UNAVAILABLE_HATCH = QColor("#7d8591")
UNAVAILABLE_TEXT = QColor("#ffffff")
NO_DOCTOR_FILL = QColor("#bcc0c6")
NO_DOCTOR_HATCH = QColor("#6f7680")
NO_DOCTOR_TEXT = QColor("#202124")
CLOSED_FILL = QColor("#d5d7da")
CLOSED_TEXT = QColor("#5f6368")
PAST_FILL = QColor("#f6f6f6")
PAST_TEXT = QColor("#a3a3a3")
HELD_FILL = QColor("#fbe3a6")
HELD_HATCH = QColor("#d39b1f")
HELD_TEXT = QColor("#5c3b00")
HELD_MARK_EDGE = QColor("#3d2700")
NOT_OPEN_FILL = QColor("#fcfcfd")
NOT_OPEN_LINES = QColor("#c4c8ce")
NOT_OPEN_TEXT = QColor("#4a4f57")
GRID_LINE = QColor("#c9ccd1")
HOUR_LINE = QColor("#9aa0a6")
SELECTION = QColor("#0b57d0")
OFF_HOURS_FILL = QColor("#e6e7e9")
ROSTERED_FILL = QColor("#ffffff")
TODAY_HEADER = QColor("#0b57d0")


def hatch(colour: QColor) -> QBrush:
    """Diagonal stripes: 'not bookable' reads the same with or without colour."""
    return QBrush(colour, Qt.BrushStyle.BDiagPattern)


def pastel(colour: str) -> QColor:
    """A light tint of an appointment type's colour, for block backgrounds."""
    base = QColor(colour)
    return QColor.fromRgbF(
        0.78 + 0.22 * base.redF(), 0.78 + 0.22 * base.greenF(), 0.78 + 0.22 * base.blueF()
    )


def cross_hatch(colour: QColor) -> QBrush:
    """A fine cross-hatch: 'nobody works then', told apart from 'booked out' without colour."""
    return QBrush(colour, Qt.BrushStyle.DiagCrossPattern)
