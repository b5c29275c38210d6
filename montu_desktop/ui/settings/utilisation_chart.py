"""Booked versus rostered hours per doctor for a week, painted as paired horizontal bars."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from montu_desktop.domain.booking import hours_text
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import week_start
from montu_desktop.domain.wording import day_label
from montu_desktop.services.admin.utilisation import DoctorWeek, week_utilisation
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.date_range import in_window
from montu_desktop.ui.operations import run_and_wait

ROSTERED = QColor("#c9d6e8")
BOOKED = QColor("#3b7dd8")
ROW_HEIGHT = 34


class UtilisationBars(QWidget):
    """One row per doctor: the rostered hours as a pale bar, the booked hours over it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DoctorWeek] = []
        self.setMinimumHeight(120)

    def set_rows(self, rows: list[DoctorWeek]) -> None:
        self.rows = rows
        self.setMinimumHeight(max(120, 40 + ROW_HEIGHT * len(rows)))
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        if not self.rows:
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "No one is rostered this week."
            )
            return
        name_width = max(metrics.horizontalAdvance(r.name) for r in self.rows) + 16
        label_width = metrics.horizontalAdvance("000 h 00 min / 000 h 00 min (100%)") + 16
        bar_width = max(40, self.width() - name_width - label_width - 16)
        most = max(r.rostered_minutes for r in self.rows) or 1
        for index, row in enumerate(self.rows):
            top = 8 + index * ROW_HEIGHT
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(8, top, name_width, ROW_HEIGHT - 8),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                row.name,
            )
            x = 8 + name_width
            rostered = bar_width * row.rostered_minutes / most
            booked = bar_width * min(row.booked_minutes, row.rostered_minutes) / most
            painter.fillRect(QRectF(x, top + 4, rostered, ROW_HEIGHT - 16), ROSTERED)
            painter.fillRect(QRectF(x, top + 4, booked, ROW_HEIGHT - 16), BOOKED)
            painter.drawText(
                QRectF(x + bar_width + 8, top, label_width, ROW_HEIGHT - 8),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                self.row_text(row),
            )

    @staticmethod
    def row_text(row: DoctorWeek) -> str:
        """'7 h 30 min / 35 h (21%)': booked against rostered, as the desk says lengths of time."""
        return (
            f"{hours_text(row.booked_minutes)} / {hours_text(row.rostered_minutes)} "
            f"({row.share:.0%})"
        )


class UtilisationPage(QWidget):
    """Choose a week; see booked against rostered hours for each doctor."""

    def __init__(self, ctx: ServiceContext, zone: str) -> None:
        super().__init__()
        self._ctx = ctx
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Any day in the week"))
        self.week = in_window(QDateEdit())
        self.week.setCalendarPopup(True)
        self.week.setDisplayFormat("ddd d MMM yyyy")
        today = to_local(ctx.clock(), zone).date()
        self.week.setDate(QDate(today.year, today.month, today.day))
        self.week.dateChanged.connect(lambda _d: self.load())
        top.addWidget(self.week)
        self.week_label = QLabel()  # "Week of Mon 23 Nov 2026": the Monday, whatever day is picked
        top.addWidget(self.week_label)
        self.legend = QLabel(
            f"<span style='color:{BOOKED.name()}'>■</span> booked &nbsp; "
            f"<span style='color:{ROSTERED.name()}'>■</span> rostered"
        )
        top.addWidget(self.legend)
        top.addStretch(1)
        layout.addLayout(top)
        self.bars = UtilisationBars()
        layout.addWidget(self.bars, 1)
        self.load()

    def monday(self) -> date:
        return week_start(self.week.date().toPython())

    def load(self) -> None:
        monday = self.monday()
        self.bars.set_rows(run_and_wait(self, lambda: week_utilisation(self._ctx, monday)))
        sunday = monday + timedelta(days=6)
        self.week_label.setText(f"Week of {day_label(monday, year=True)}")
        self.setToolTip(f"{day_label(monday)} to {day_label(sunday, year=True)}")
