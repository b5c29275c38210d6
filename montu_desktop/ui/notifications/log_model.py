"""The table model of the notifications log: one row per message, times in clinic-local time."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.notifications import NotificationView
from montu_desktop.ui.notifications.rows_model import AnyIndex, RowsModel

COLUMNS = ("ID", "Appointment", "Channel", "Kind", "Status", "Tries", "Due", "Last error")
STATUS_COLOURS = {
    "sent": "#146c2e",
    "pending": "#1a4f8b",
    "failed": "#8a4b00",
    "dead": "#a50e0e",
}
CHANNEL_WORDS = {"email": "Email", "sms": "SMS"}
KIND_WORDS = {
    "confirmation": "Confirmation",
    "reminder": "Reminder",
    "cancellation": "Cancellation",
    "change": "Change notice",
}


class NotificationLogModel(RowsModel[NotificationView]):
    """Read-only rows of `list_notifications`; `UserRole` on any cell gives the message."""

    columns = COLUMNS

    def __init__(self, zone: str = "UTC") -> None:
        super().__init__()
        self.zone = zone
        self.rows: list[NotificationView] = []

    def set_rows(self, rows: list[NotificationView], zone: str) -> None:
        self.beginResetModel()
        self.rows, self.zone = list(rows), zone
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == COLUMNS.index("Last error"):
            return row.last_error or None
        if role == Qt.ItemDataRole.ForegroundRole and column == COLUMNS.index("Status"):
            colour = STATUS_COLOURS.get(row.status)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def text(self, row: NotificationView, column: int) -> str:
        if column == 0:
            return str(row.id)
        if column == 1:
            starts = to_local(row.appointment_start, self.zone)
            return f"#{row.appointment_id}, {starts:%a %d %b %H:%M}"
        if column == 2:
            return CHANNEL_WORDS.get(row.channel, row.channel)
        if column == 3:
            return KIND_WORDS.get(row.kind, row.kind)
        if column == 4:
            return row.status
        if column == 5:
            return str(row.attempts)
        if column == 6:
            return f"{to_local(row.due_at, self.zone):%a %d %b %H:%M}"
        return _one_line(row.last_error or "")

    def message(self, row: int) -> NotificationView | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
