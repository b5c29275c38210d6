"""Enter on a booked-out time: the nearest free times of that type to book instead, or the
waitlist for that type and time (the desk never just stays silent)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import when_label
from montu_desktop.services import booking, booking_view
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op

NEAREST = 6
"""How many of the nearest free times are offered."""


class BookedOutDialog(QDialog):
    """Says the time is booked out, lists the nearest free times of the type (Enter books the
    chosen one) and offers the waitlist for that type and time."""

    book_wanted = Signal(object, str)
    """(UTC start of a free time, appointment type name)."""
    waitlist_wanted = Signal(str, object)
    """(appointment type name, the booked-out UTC start the patient wanted)."""
    work_in_wanted = Signal(object, str)
    """(the booked-out UTC start, appointment type name): squeeze the patient in there."""

    def __init__(
        self,
        ctx: ServiceContext,
        type_name: str,
        start: datetime,
        timezone: str,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.type_name, self.start, self.timezone = ctx, type_name, start, timezone
        self.busy = busy
        self.setWindowTitle("Booked out")
        when = when_label(to_local(start, timezone))
        self.heading = QLabel(
            f"{type_name} on {when} is booked out: every rostered doctor is busy.\n"
            "Book one of the nearest free times, or put the patient on the waitlist."
        )
        self.heading.setWordWrap(True)
        self.times = QListWidget()
        self.times.setAccessibleName("Nearest free times")
        self.times.itemActivated.connect(lambda _item: self.book_chosen())
        self.status = QLabel("Looking for the nearest free times…")
        self.status.setWordWrap(True)
        self.book_button = QPushButton("&Book the chosen time")
        self.book_button.setEnabled(False)
        self.book_button.clicked.connect(self.book_chosen)
        self.waitlist_button = QPushButton("Put on the &waitlist…")
        self.waitlist_button.clicked.connect(self.to_waitlist)
        self.work_in_button = QPushButton("Work &in at this time…")
        self.work_in_button.setToolTip(
            "Squeeze the patient in beside a booked doctor (a work-in, with a reason)"
        )
        self.work_in_button.setVisible(False)  # shown once the desk knows it may
        self.work_in_button.clicked.connect(self.to_work_in)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for button in (self.book_button, self.waitlist_button, self.work_in_button, close):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.book_button)
        buttons.addWidget(self.waitlist_button)
        buttons.addWidget(self.work_in_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        nearest = QLabel("Nearest free times:")
        nearest.setBuddy(self.times)
        layout.addWidget(nearest)
        layout.addWidget(self.times, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.setMinimumWidth(440)
        self.waitlist_button.setFocus()

        def look() -> tuple[list[datetime], bool]:
            nearest = booking_view.nearest_free_slots(ctx, type_name, start, count=NEAREST)
            return nearest, booking.can_book_work_ins(ctx)

        run_op(
            self,
            look,
            self._show_answer,
            lambda error: self.status.setText(plain_words(error)),
            busy,
        )

    def _show_answer(self, answer: tuple[list[datetime], bool]) -> None:
        starts, may_work_in = answer
        self.work_in_button.setVisible(may_work_in)
        if may_work_in:  # offered in words only to a desk that has the button
            self.heading.setText(
                self.heading.text().removesuffix(".")
                + " (or, if they must be seen then, work them in)."
            )
        self._show_times(starts)

    def _show_times(self, starts: list[datetime]) -> None:
        self.times.clear()
        for start in starts:
            item = QListWidgetItem(when_label(to_local(start, self.timezone)))
            item.setData(Qt.ItemDataRole.UserRole, start)
            self.times.addItem(item)
        if starts:
            self.status.setText("Enter books the chosen time.")
            self.times.setCurrentRow(0)
            self.times.setFocus()
        else:
            self.status.setText(
                "No free time of this type in this week or the next: use the waitlist."
            )
        self.book_button.setEnabled(bool(starts))

    def chosen(self) -> datetime | None:
        item = self.times.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def book_chosen(self) -> None:
        start = self.chosen()
        if start is None:
            return
        self.accept()
        self.book_wanted.emit(start, self.type_name)

    def to_work_in(self) -> None:
        self.accept()
        self.work_in_wanted.emit(self.start, self.type_name)

    def to_waitlist(self) -> None:
        self.accept()
        self.waitlist_wanted.emit(self.type_name, self.start)
