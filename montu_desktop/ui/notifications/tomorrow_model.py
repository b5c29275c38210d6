"""The table model of tomorrow's reminders: who will hear of their appointment, and who will not."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from montu_desktop.services.notifications import ReminderPreview
from montu_desktop.ui.notifications.rows_model import AnyIndex, RowsModel
from montu_desktop.ui.wording import format_phone

COLUMNS = (
    "Time",
    "Patient",
    "Phone",
    "Doctor",
    "Reminded by",
    "Reminders queued",
    "Delivery",
    "Note",
)
UNREACHABLE_BACKGROUND = "#fde7e9"
UNREACHABLE_TEXT = "#8c1d18"
CHANNEL_WORDS = {"email": "email", "sms": "SMS"}


def reach_words(preview: ReminderPreview, set_up: dict[str, bool] | None = None) -> str:
    """How the patient will be reminded; a channel the clinic has not set up says so."""
    if not preview.channels:
        return "nobody can be reached"
    set_up = set_up or {}
    going = [c for c in preview.channels if set_up.get(c, True)]
    held = [c for c in preview.channels if not set_up.get(c, True)]
    words = " and ".join(CHANNEL_WORDS.get(c, c) for c in going) or "nothing"
    if held:
        words += " (" + " and ".join(CHANNEL_WORDS.get(c, c) for c in held) + " not set up)"
    return words[0].upper() + words[1:]


class TomorrowModel(RowsModel[ReminderPreview]):
    """Rows of `tomorrows_reminders`; unreachable patients are tinted and bold."""

    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ReminderPreview] = []
        self.set_up: dict[str, bool] = {}

    def set_rows(self, rows: list[ReminderPreview], set_up: dict[str, bool] | None = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.set_up = dict(set_up or {})
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.text(row, index.column()) or None
        if role == Qt.ItemDataRole.UserRole:
            return row
        if row.reachable and not row.call_needed:
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(UNREACHABLE_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(UNREACHABLE_TEXT)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            if row.call_needed:
                return f"reminder SMS {row.delivery}: call the patient"
            return f"cannot be reminded: {row.why_not}"
        return None

    def text(self, row: ReminderPreview, column: int) -> str:
        name = COLUMNS[column]
        if name == "Time":
            return f"{row.start_local:%H:%M}"
        if name == "Patient":
            return row.patient_name
        if name == "Phone":
            return format_phone(row.phone) if row.phone else "—"
        if name == "Doctor":
            return row.doctor_name
        if name == "Reminded by":
            return reach_words(row, self.set_up)
        if name == "Reminders queued":
            return str(row.pending)
        if name == "Delivery":
            return row.delivery
        if row.call_needed:
            return f"☎ reminder SMS {row.delivery}: please call the patient"
        if row.reachable:
            return ""
        return f"⚠ {row.why_not}: please call the patient"

    def unreachable(self) -> int:
        return sum(1 for row in self.rows if not row.reachable)

    def to_call(self) -> int:
        """Reminders that did not arrive: the desk phones these patients."""
        return sum(1 for row in self.rows if row.call_needed)
