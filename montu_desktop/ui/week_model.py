"""The week grid's table model: rows are slot times, columns the days, cells what is free."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.wording import day_label
from montu_desktop.ui import palette
from montu_desktop.ui.layout import CellKind, WeekCell, WeekGrid

CELL_ROLE = Qt.ItemDataRole.UserRole + 1
"""The WeekCell behind an index."""

_SHORT = {
    Unavailable.ALL_BUSY.value: "Booked out",
    Unavailable.NOBODY_ROSTERED.value: "No doctor",
    Unavailable.TOO_CLOSE_TO_CLOSING.value: "Too late",
    Unavailable.BEYOND_HORIZON.value: "Not open yet",
}

Index = QModelIndex | QPersistentModelIndex


def cell_text(cell: WeekCell) -> str:
    """The words in a cell: free count, short reason, or nothing for closed and past."""
    if cell.kind is CellKind.AVAILABLE:
        return f"{cell.free} free"
    if cell.kind is CellKind.UNAVAILABLE:
        return _SHORT.get(cell.reason, "Unavailable")
    if cell.kind is CellKind.PAST:
        return "past"
    if cell.kind is CellKind.HELD:
        return "Held: urgent"
    if cell.kind is CellKind.NOT_OPEN:
        return "Not open yet"
    if cell.kind is CellKind.CLOSED and cell.reason != "clinic closed":
        return cell.reason  # the public holiday (or closure) by name
    return ""


def cell_explanation(cell: WeekCell) -> str:
    """The full sentence shown on hover and in the status line."""
    if cell.kind is CellKind.AVAILABLE:
        doctors = "doctor" if cell.rostered == 1 else "doctors"
        said = f"Available: {cell.free} of {cell.rostered} rostered {doctors} free"
        if cell.held:
            said += f"; {cell.held} more held for urgent patients (tick Urgent to use it)"
        return said
    if cell.kind is CellKind.CLOSED:
        return (
            "Clinic closed" if cell.reason == "clinic closed" else f"Clinic closed: {cell.reason}"
        )
    if cell.kind is CellKind.HELD:
        return "Held for urgent patients: press Enter to book an urgent patient"
    if cell.kind is CellKind.PAST:
        return "Past: this time has gone"
    if cell.kind is CellKind.NOT_OPEN:
        return "Not open for booking yet: beyond the booking horizon"
    if cell.reason in (Unavailable.NOBODY_ROSTERED.value, Unavailable.ALL_BUSY.value):
        return f"{_SHORT[cell.reason]}: {cell.reason}"
    return f"Not available: {cell.reason}"


_LABEL_ROLES = frozenset((Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole))

_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
"""Made once: the view asks for every cell's flags on every paint."""


class WeekModel(QAbstractTableModel):
    """Read-only view of a WeekGrid; replaced whole on each refresh."""

    def __init__(self, today: date | None = None) -> None:
        super().__init__()
        self.grid: WeekGrid | None = None
        self.today = today
        self._labelled: WeekGrid | None = None
        self._labels: tuple[list[str], list[str]] = ([], [])

    def set_grid(self, grid: WeekGrid | None, today: date | None = None) -> None:
        self.beginResetModel()
        self.grid = grid
        if today is not None:
            self.today = today
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.grid is None else len(self.grid.times)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.grid is None else len(self.grid.days)

    def cell(self, index: Index) -> WeekCell | None:
        if not index.isValid() or self.grid is None:
            return None
        return self.grid.cell(index.row(), index.column())

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(cell)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell_explanation(cell)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == CELL_ROLE:
            return cell
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _CELL_FLAGS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        grid = self.grid
        if grid is None:
            return None
        days, times = self._header_labels(grid)
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(days):
                return None
            is_today = grid.days[section] == self.today
            if role in _LABEL_ROLES:
                return f"{days[section]} · Today" if is_today else days[section]
            if role == Qt.ItemDataRole.ForegroundRole and is_today:
                return palette.TODAY_HEADER
            if role == Qt.ItemDataRole.FontRole and is_today:
                font = QFont()
                font.setBold(True)
                font.setUnderline(True)
                return font
            return None
        if role in _LABEL_ROLES and 0 <= section < len(times):
            return times[section]
        return None

    def _header_labels(self, grid: WeekGrid) -> tuple[list[str], list[str]]:
        """The day and time labels of `grid`, made once a grid: the headers ask for them a few
        hundred times each time they lay themselves out or paint."""
        if self._labelled is not grid:
            self._labels = (
                [day_label(day) for day in grid.days],
                [wall.strftime("%H:%M") for wall in grid.times],
            )
            self._labelled = grid
        return self._labels
