"""The table model of the notifications log: one row per message, times in clinic-local time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import day_label, when_label
from montu_desktop.services.notifications import NotificationView
from montu_desktop.ui.notifications.rows_model import AnyIndex, RowsModel

COLUMNS = (
    "ID", "Patient", "Appointment", "Channel", "Kind", "Status", "Tries", "Due", "Last error",
)  # fmt: skip
STATUS_COLOURS = {
    "sent": "#146c2e",
    "pending": "#1a4f8b",
    "failed": "#8a4b00",
    "dead": "#a50e0e",
}
NOT_SET_UP_COLOUR = "#5f6368"
CHANNEL_WORDS = {"email": "Email", "sms": "SMS"}
KIND_WORDS = {
    "confirmation": "Confirmation",
    "reminder": "Reminder",
    "cancellation": "Cancellation",
    "change": "Change notice",
    "recall": "Recall reminder",
    "late_cancel": "Too late to cancel by SMS",
}
UNDELIVERED_COLOUR = "#a50e0e"


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
        if role == Qt.ItemDataRole.ToolTipRole and column == COLUMNS.index("Status"):
            if row.not_set_up:
                return (
                    "Set the channel up in Clinic → Notification settings: the message then "
                    "goes by itself (unless its appointment has begun)."
                )
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == COLUMNS.index("Status"):
            colour = NOT_SET_UP_COLOUR if row.not_set_up else STATUS_COLOURS.get(row.status)
            if row.delivery == "undelivered":
                colour = UNDELIVERED_COLOUR
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, COLUMNS.index("Tries")):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def text(self, row: NotificationView, column: int) -> str:
        name = COLUMNS[column]
        if name == "ID":
            return str(row.id)
        if name == "Patient":
            return row.patient_name or (
                f"appointment {row.appointment_id}" if row.appointment_id else "recall reminder"
            )
        if name == "Appointment":
            if row.appointment_id is None:  # a recall reminder: "start" is the due day's end
                due = to_local(row.appointment_start, self.zone) - timedelta(days=1)
                return f"recall due {day_label(due.date())}"
            starts = when_label(to_local(row.appointment_start, self.zone))
            return f"{starts}, {row.doctor_name}" if row.doctor_name else starts
        if name == "Channel":
            return CHANNEL_WORDS.get(row.channel, row.channel)
        if name == "Kind":
            return KIND_WORDS.get(row.kind, row.kind)
        if name == "Status":
            # The provider's receipt, when one came: "sent, delivered" or "sent, not delivered (…)".
            return f"{row.state}, {row.delivery_words}" if row.delivery_words else row.state
        if name == "Tries":
            return str(row.attempts)
        if name == "Due":
            return when_label(to_local(row.due_at, self.zone))
        if row.not_set_up:
            return ""
        return _one_line(row.last_error or "")

    def message(self, row: int) -> NotificationView | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
