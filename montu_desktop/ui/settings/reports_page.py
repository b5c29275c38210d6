"""The Reports page: the attendance report of a range of days (the figures of
`montu-desktop reports attendance`), each doctor's appointments painted as a stacked bar,
and Export CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.booking import hours_text
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services import exports, reports
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.notifications.fields import DONE_STYLE, ERROR_STYLE
from montu_desktop.ui.operations import run_and_wait

COMPLETED = QColor("#1e7b34")
NO_SHOW = QColor("#b3261e")
OTHER_BOOKED = QColor("#3b7dd8")
DID_NOT_WAIT = QColor("#e8a33d")
CANCELLED = QColor("#b8bec6")
ROW_HEIGHT = 30
MIN_BAR = 80
COLUMNS = (
    "",
    "Booked",
    "Completed",
    "No-show",
    "Did not wait",
    "Cancelled",
    "Online",
    "Desk",
    "Work-ins",
    "Booked time",
    "Rostered",
    "Utilisation",
)


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


class AttendanceBars(QWidget):
    """One stacked bar per doctor: completed, no-show, the rest booked, then cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[reports.DoctorAttendance] = []
        self.setMinimumHeight(100)

    def set_rows(self, rows: list[reports.DoctorAttendance]) -> None:
        self.rows = rows
        self.setMinimumHeight(max(100, 16 + ROW_HEIGHT * len(rows)))
        self.update()

    @staticmethod
    def parts(counts: reports.AttendanceCounts) -> list[tuple[int, QColor]]:
        rest = counts.booked - counts.completed - counts.no_show - counts.did_not_wait
        return [
            (counts.completed, COMPLETED),
            (counts.no_show, NO_SHOW),
            (counts.did_not_wait, DID_NOT_WAIT),
            (rest, OTHER_BOOKED),
            (counts.cancelled, CANCELLED),
        ]

    @staticmethod
    def row_text(counts: reports.AttendanceCounts) -> str:
        """'12 booked · 2 no-show · 3 cancelled · 68% of rostered time'."""
        text = (
            f"{counts.booked} booked · {counts.no_show} no-show · "
            f"{counts.did_not_wait} did not wait · {counts.cancelled} cancelled"
        )
        return text + (
            f" · {_share(counts.utilisation)} of rostered time"
            if counts.utilisation is not None
            else ""
        )

    def columns(self) -> tuple[int, int, int]:
        """The widths of the names, the bars and the figures: the figures get the width of
        the widest line shown, and the bars what is left (at least MIN_BAR)."""
        metrics = self.fontMetrics()
        name_width = max((metrics.horizontalAdvance(r.name) for r in self.rows), default=0) + 16
        label_width = 4 + max(  # 4: the advances are rounded down, the elision is not
            (metrics.horizontalAdvance(self.row_text(r.counts)) for r in self.rows), default=0
        )
        bar_width = max(MIN_BAR, self.width() - name_width - label_width - 24)
        return name_width, bar_width, label_width

    def shown_text(self, index: int) -> str:
        """Row `index`'s figures as painted: whole, or ending in "…" (the whole in the
        tooltip) only when the page is too narrow for them beside the shortest bar."""
        name_width, bar_width, _label = self.columns()
        room = self.width() - (8 + name_width + bar_width + 8) - 8
        text = self.row_text(self.rows[index].counts)
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 0))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = (event.pos().y() - 8) // ROW_HEIGHT
            if 0 <= index < len(self.rows) and self.shown_text(index).endswith("…"):
                QToolTip.showText(event.globalPos(), self.row_text(self.rows[index].counts), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self.rows:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No doctors to show.")
            return
        name_width, bar_width, _label = self.columns()
        label_x = 8 + name_width + bar_width + 8
        most = max(r.counts.booked + r.counts.cancelled for r in self.rows) or 1
        for index, row in enumerate(self.rows):
            top = 8 + index * ROW_HEIGHT
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(8, top, name_width, ROW_HEIGHT - 6),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                row.name,
            )
            x = 8.0 + name_width
            for count, colour in self.parts(row.counts):
                width = bar_width * count / most
                painter.fillRect(QRectF(x, top + 4, width, ROW_HEIGHT - 14), colour)
                x += width
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(label_x, top, max(self.width() - label_x, 0), ROW_HEIGHT - 6),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                self.shown_text(index),
            )


class ReportsPage(QWidget):
    """Choose the first and last day; see the attendance figures; save them as CSV."""

    def __init__(self, ctx: ServiceContext, zone: str) -> None:
        super().__init__()
        self._ctx = ctx
        self.report: reports.AttendanceReport | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        today = to_local(ctx.clock(), zone).date()
        self.first = self._date_edit(today.replace(day=1))
        self.last = self._date_edit(today)
        top.addWidget(QLabel("From"))
        top.addWidget(self.first)
        top.addWidget(QLabel("to"))
        top.addWidget(self.last)
        show = QPushButton("Show")
        show.clicked.connect(self.load)
        top.addWidget(show)
        self.legend = QLabel(
            " &nbsp; ".join(
                f"<span style='color:{c.name()}'>■</span> {w}"
                for c, w in (
                    (COMPLETED, "completed"),
                    (NO_SHOW, "no-show"),
                    (DID_NOT_WAIT, "did not wait"),
                    (OTHER_BOOKED, "booked, not yet completed"),
                    (CANCELLED, "cancelled"),
                )
            )
        )
        top.addWidget(self.legend)
        top.addStretch(1)
        self.message = QLabel()
        top.addWidget(self.message)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip("Save these figures as a CSV file (opens in Excel)")
        self.export_button.clicked.connect(lambda: self.export())
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.bars = AttendanceBars()
        layout.addWidget(self.bars)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        layout.addWidget(self.table, 1)
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        layout.addWidget(self.reasons)
        self.load()

    @staticmethod
    def _date_edit(day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("ddd d MMM yyyy")
        return edit

    def load(self) -> None:
        first, last = self.first.date().toPython(), self.last.date().toPython()
        try:
            report = run_and_wait(self, lambda: reports.attendance_report(self._ctx, first, last))
        except InvalidRequest as error:
            self._say(plain_words(error), ERROR_STYLE)
            return
        self.report = report
        self._say("")
        self.bars.set_rows(report.doctors)
        lines: list[tuple[str, reports.AttendanceCounts | None]] = [("By doctor", None)]
        lines += [(d.name, d.counts) for d in report.doctors]
        lines.append(("By type", None))
        lines += [(k.name, k.counts) for k in report.types]
        lines.append(("Total", report.totals))
        self.table.setRowCount(len(lines))
        for row, (name, c) in enumerate(lines):
            if c is None:  # a section's title across the row
                title = QTableWidgetItem(name)
                font = title.font()
                font.setBold(True)
                title.setFont(font)
                self.table.setItem(row, 0, title)
                for column in range(1, len(COLUMNS)):
                    self.table.setItem(row, column, QTableWidgetItem(""))
                continue
            rostered = "" if c.rostered_minutes is None else hours_text(c.rostered_minutes)
            cells = (
                name,
                c.booked,
                c.completed,
                c.no_show,
                c.did_not_wait,
                c.cancelled,
                c.online,
                c.desk,
                c.work_ins,
                hours_text(c.booked_minutes),
                rostered,
                _share(c.utilisation),
            )
            for column, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        reasons = sorted(report.totals.cancel_reasons.items(), key=lambda i: (-i[1], i[0]))
        self.reasons.setText(
            "Cancelled, by reason: "
            + "; ".join(f"{reason or 'no reason given'} {n}" for reason, n in reasons)
            if reasons
            else "No cancellations in these days."
        )

    def export(self, path: str | None = None) -> Path | None:
        """Save the figures shown as a private CSV file (asks where when no path is given)."""
        report = self.report
        if report is None:
            return None
        if path is None:
            suggested = str(Path.home() / f"attendance-{report.first}-{report.last}.csv")
            path, _filter = QFileDialog.getSaveFileName(
                self, "Export the attendance report", suggested, "CSV files (*.csv)"
            )
            if not path:
                return None
        target = Path(path)
        try:
            done = run_and_wait(self, lambda: exports.export_attendance(self._ctx, report, target))
        except InvalidRequest as error:
            self._say(plain_words(error), ERROR_STYLE)
            return None
        self._say(f"Saved to {done.path.name}.")
        return done.path

    def _say(self, text: str, style: str = DONE_STYLE) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)
