"""The booking dialog's Repeat box: a recurring series previewed occurrence by occurrence,
each clash settled (a nearby free time, or skipped) before the series is booked at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.series import Repeat
from montu_desktop.domain.wording import day_label
from montu_desktop.services import series
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import doctors
from montu_desktop.services.series import Occurrence

SKIP = "Skip this one"


class SeriesBox(QGroupBox):
    """Repeat: none, weekly, fortnightly, monthly or every N weeks, N times; with a preview."""

    preview_wanted = Signal()
    grown = Signal()
    """The box was shown or hidden: the dialog should fit its contents again."""

    def __init__(self, timezone: str) -> None:
        super().__init__("Repeat")
        self.timezone = timezone
        self.occurrences: list[Occurrence] = []
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.repeat_box = QComboBox()
        for label, value in (
            ("Does not repeat", ""),
            ("Weekly", "weekly"),
            ("Fortnightly", "fortnightly"),
            ("Monthly (same weekday)", "monthly"),
            ("Every N weeks", "every"),
        ):
            self.repeat_box.addItem(label, value)
        self.weeks = QSpinBox()
        self.weeks.setRange(3, 52)
        self.weeks.setPrefix("every ")
        self.weeks.setSuffix(" weeks")
        self.count = QSpinBox()
        self.count.setRange(2, 52)
        self.count.setValue(6)
        self.count.setSuffix(" appointments")
        self.preview_button = QPushButton("&Preview series")
        for widget in (self.repeat_box, self.weeks, self.count, self.preview_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["When", "Doctor, or why not", "Instead"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Series preview")
        self.table.setMinimumHeight(170)
        layout.addWidget(self.table)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.repeat_box.currentIndexChanged.connect(lambda _i: self._changed())
        self.weeks.valueChanged.connect(lambda _v: self._changed())
        self.count.valueChanged.connect(lambda _v: self._changed())
        self.preview_button.clicked.connect(self.preview_wanted.emit)
        self._changed()

    def tab_order(self) -> list[QWidget]:
        """The box's fields in the order Tab visits them."""
        return [self.repeat_box, self.weeks, self.count, self.preview_button, self.table]

    def rule(self) -> Repeat | None:
        value = str(self.repeat_box.currentData() or "")
        if not value:
            return None
        if value == "every":
            return Repeat(self.weeks.value())
        return Repeat.parse(value)

    def _changed(self) -> None:
        on = self.rule() is not None
        self.weeks.setVisible(self.repeat_box.currentData() == "every")
        for widget in (self.count, self.preview_button, self.table, self.summary):
            widget.setVisible(on)
        self.occurrences = []
        self.table.setRowCount(0)
        self.summary.clear()
        self.grown.emit()

    @property
    def previewed(self) -> bool:
        return bool(self.occurrences)

    def preview_work(
        self, ctx: ServiceContext, request: BookingRequest
    ) -> Callable[[], tuple[list[Occurrence], dict[int, str]]]:
        rule, count = self.rule(), self.count.value()
        assert rule is not None

        def work() -> tuple[list[Occurrence], dict[int, str]]:
            starts = series.series_starts(ctx, request.start, rule, count=count)
            names = {d.id: d.name for d in doctors(ctx)}
            return series.preview_series(ctx, request, starts), names

        return work

    def show_preview(self, found: tuple[list[Occurrence], dict[int, str]]) -> None:
        occurrences, names = found
        self.occurrences = occurrences
        self.table.setRowCount(len(occurrences))
        for row, item in enumerate(occurrences):
            self.table.setItem(row, 0, QTableWidgetItem(self._when(item.start)))
            if item.free:
                text = names.get(item.doctor_id or 0, "free")
                if item.other_doctor_because:  # the series' own doctor is not free then
                    usual = next((o.doctor_id for o in occurrences if o.free), None)
                    who = names.get(usual or 0, "the series' doctor")
                    text += f" ({who} not free then: {_why_other(item.other_doctor_because)})"
                self.table.setItem(row, 1, QTableWidgetItem(text))
                self.table.setItem(row, 2, QTableWidgetItem(""))
                continue
            self.table.setItem(row, 1, QTableWidgetItem(f"Clash: {_reason(item.clash)}"))
            choice = QComboBox()
            for start in item.alternatives:
                choice.addItem(self._when(start), start)
            choice.addItem(SKIP, None)
            self.table.setCellWidget(row, 2, choice)
        self.table.resizeColumnToContents(0)
        self.table.setColumnWidth(2, 165)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        clashes = sum(1 for o in occurrences if not o.free)
        self.summary.setText(
            f"{len(occurrences) - clashes} of {len(occurrences)} free."
            + (" For each clash choose a nearby time or skip it, then Book." if clashes else "")
        )

    def chosen_starts(self) -> list[datetime]:
        """The starts to book: free occurrences as they are, clashes as settled (skips left out)."""
        starts = []
        for row, item in enumerate(self.occurrences):
            if item.free:
                starts.append(item.start)
                continue
            choice: Any = self.table.cellWidget(row, 2)
            if choice is not None and choice.currentData() is not None:
                starts.append(choice.currentData())
        return starts

    def _when(self, start: datetime) -> str:
        local = to_local(start, self.timezone)
        return f"{day_label(local.date(), year=True)}, {local:%H:%M}"


def _reason(text: str) -> str:
    """The refusal in a few words: 'start: the clinic is closed on 2026-12-25 (Christmas Day)'
    → 'clinic closed (Christmas Day)'."""
    reason = text.split(": ", 1)[1] if ": " in text else text
    holiday = reason[reason.index("(") :] if "(" in reason else ""
    for words, short in (
        ("is closed", "clinic closed"),
        ("no doctor is free", "no doctor free"),
        ("already has an appointment", "patient already booked"),
        ("no clinic schedule", "not open for booking yet"),
        ("already booked", "doctor booked"),
    ):
        if words in reason:
            return f"{short} {holiday}".strip()
    return reason


def _why_other(reason: str) -> str:
    """The domain's refusal of the series' own doctor, in the preview's few words."""
    for words, short in (
        ("already booked", "booked"),
        ("not rostered", "not rostered"),
        ("held for urgent", "time held for urgent patients"),
        ("does not perform", "does not do this type"),
    ):
        if words in reason:
            return short
    return reason
