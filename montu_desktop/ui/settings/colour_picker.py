"""Picks an appointment type's colour from a palette of swatches (no hex to type)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QHBoxLayout, QPushButton, QToolButton, QWidget

PALETTE = (
    ("Blue", "#3b7dd8"),
    ("Green", "#2e9e5b"),
    ("Teal", "#1a9e9e"),
    ("Purple", "#8e5bc8"),
    ("Pink", "#d0508a"),
    ("Red", "#d64541"),
    ("Orange", "#e07b24"),
    ("Amber", "#c99a06"),
    ("Brown", "#8d6e4c"),
    ("Grey", "#6b7280"),
)
"""Distinct in hue and (mostly) in lightness, dark enough for the block's edge bar."""


class ColourPicker(QWidget):
    """A row of colour swatches plus 'Other…'; `text()` is the chosen colour as #rrggbb."""

    changed = Signal(str)

    def __init__(self, colour: str = PALETTE[0][1], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour = QColor(colour).name()
        self.swatches: dict[str, QToolButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(3)
        for name, value in PALETTE:
            swatch = QToolButton()
            swatch.setCheckable(True)
            swatch.setToolTip(name)
            swatch.setAccessibleName(f"Colour {name}")
            swatch.setFixedSize(QSize(24, 24))
            swatch.clicked.connect(lambda _c=False, v=value: self.setText(v))
            self.swatches[value] = swatch
            row.addWidget(swatch)
        self.other = QPushButton("Other…")
        self.other.clicked.connect(self._other)
        row.addWidget(self.other)
        row.addStretch(1)
        self._paint()

    def text(self) -> str:
        return self._colour

    def setText(self, colour: str) -> None:
        self._colour = shown_colour(colour)
        self._paint()
        self.changed.emit(self._colour)

    def _other(self) -> None:
        chosen = QColorDialog.getColor(QColor(self._colour), self, "Colour of the type")
        if chosen.isValid():
            self.setText(chosen.name())

    def _paint(self) -> None:
        for value, swatch in self.swatches.items():
            chosen = value == self._colour
            swatch.setChecked(chosen)
            border = "3px solid #1f1f1f" if chosen else "1px solid #9aa0a6"
            swatch.setStyleSheet(f"QToolButton {{ background: {value}; border: {border}; }}")
        custom = self._colour not in self.swatches
        self.other.setStyleSheet(
            f"QPushButton {{ border-left: 12px solid {self._colour}; }}" if custom else ""
        )


def shown_colour(colour: str) -> str:
    """The colour as the picker holds it: #rrggbb, or the text as it is when not a colour."""
    parsed = QColor(colour)
    return parsed.name() if parsed.isValid() else colour
