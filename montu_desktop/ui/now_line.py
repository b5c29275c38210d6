"""The line at the current time across the day book and the week grid, moving with the clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QTableView

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.ui.layout import now_position

NOW_LINE = QColor("#d93025")
REPAINT_MS = 30_000


class NowLine:
    """Knows the time (from the injected clock) and repaints its view every half minute."""

    def __init__(self, view: QTableView) -> None:
        self.view = view
        self.clock: Callable[[], datetime] | None = None
        self.timezone = "UTC"
        self.timer = QTimer(view)
        self.timer.setInterval(REPAINT_MS)
        self.timer.timeout.connect(view.viewport().update)
        self.timer.start()

    def set_clock(self, clock: Callable[[], datetime], timezone: str) -> None:
        self.clock, self.timezone = clock, timezone
        self.view.viewport().update()

    def local_now(self) -> datetime | None:
        return to_local(self.clock(), self.timezone) if self.clock is not None else None

    def y(self, times: Sequence[time], slot_minutes: int) -> int | None:
        """Where the line goes in viewport pixels, or None when now is not on the grid."""
        now = self.local_now()
        if now is None or not times:
            return None
        found = now_position(times, now.time(), slot_minutes)
        if found is None:
            return None
        row, fraction = found
        return self.view.rowViewportPosition(row) + round(fraction * self.view.rowHeight(row))

    def paint(self, y: int, first_column: int, last_column: int) -> None:
        view = self.view
        left = view.columnViewportPosition(first_column)
        right = view.columnViewportPosition(last_column) + view.columnWidth(last_column) - 1
        painter = QPainter(view.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(NOW_LINE, 2))
        painter.drawLine(left, y, right, y)
        painter.setBrush(NOW_LINE)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QPoint(left + 4, y), 4, 4)
        painter.end()
