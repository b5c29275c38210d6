"""The one time-of-day field of the desk (rosters, opening hours, held time, reminders).

Qt's QTimeEdit refuses a digit typed over a selection spanning both sections: with
"18:00" all selected, typing "22:00" left it at 18:00 and "23:45" gave 18:45 (only the
minutes took). Here a digit typed over such a selection starts again at the hours, so
select-all then "22:00", "2200" or "9:30" all read as typed.
"""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QTimeEdit, QWidget

TIME_FORMAT = "HH:mm"


class TimeField(QTimeEdit):
    """A 24-hour "HH:mm" time that takes over-typing of a whole selection."""

    def __init__(self, time: QTime | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(TIME_FORMAT)
        if time is not None:
            self.setTime(time)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typed = event.text()
        if typed.isdigit() and self._selection_spans_sections():
            # Type into the first section, as if it alone were selected.
            self.setSelectedSection(self.sectionAt(0))
        super().keyPressEvent(event)

    def _selection_spans_sections(self) -> bool:
        selected = self.lineEdit().selectedText()
        return len(selected) > len(self.sectionText(self.currentSection()))
