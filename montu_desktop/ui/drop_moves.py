"""A block dropped in the day book moves through the Reschedule door, then says so with Undo.

The drop calls `booking.reschedule_appointment` (the service the Reschedule dialog calls)
on a worker with the column's doctor; its checks are the only ones. A move is confirmed
on the desk's notice line in the Reschedule dialog's words, with an "Undo move" button
that puts the appointment back (the same service again); a refused drop or undo says the
service's words on that line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import shiboken6
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton

from montu_desktop.domain.errors import SlotTaken
from montu_desktop.domain.wording import sentence
from montu_desktop.services import booking
from montu_desktop.services.booking import BookedAppointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.ui.appointment_dialogs import when_words
from montu_desktop.ui.day_book_drag import DragMove
from montu_desktop.ui.day_book_view import DayBookPanel
from montu_desktop.ui.errors import field_label, plain_words
from montu_desktop.ui.operations import BusyTracker, run_op

NOTICE_REFUSED = (
    "QLabel#actionNotice { background: #fce8e6; color: #8c1d18; padding: 6px 10px;"
    " border: 1px solid #f4b7b2; border-radius: 4px; font-weight: bold; }"
)


@dataclass(frozen=True, slots=True)
class MoveBack:
    """What Undo puts back: the appointment's start and doctor before the move."""

    appointment_id: int
    patient_name: str
    start: datetime
    doctor_id: int
    doctor_name: str


def refusal_words(error: BaseException) -> str:
    """The service's reason. A drop on a booked time is refused as a taken slot: the desk's
    usual "someone else has just booked this time" would be wrong, the time showed booked."""
    if isinstance(error, SlotTaken):
        return sentence(f"{field_label(error.field)}: {error.reason}")
    return plain_words(error)


class UndoButton(QObject):
    """'Undo move' at the right end of the notice while it shows that move's confirmation;
    any later notice takes it away."""

    def __init__(self, notice: QLabel) -> None:
        super().__init__(notice)
        self.notice = notice
        self.button = QPushButton("Undo move", notice)
        self.button.setObjectName("undoMove")
        self.button.setShortcut(QKeySequence.StandardKey.Undo)
        self.button.setToolTip("Put the appointment back where it was (Ctrl+Z)")
        self.button.hide()
        self.shown_with = ""
        self.back: MoveBack | None = None
        notice.installEventFilter(self)

    def offer(self, back: MoveBack) -> None:
        self.back, self.shown_with = back, self.notice.text()
        self.button.adjustSize()
        self.notice.setContentsMargins(0, 0, self.button.width() + 8, 0)
        self._place()
        self.button.show()

    def withdraw(self) -> None:
        if self.back is None:
            return
        self.back, self.shown_with = None, ""
        self.button.hide()
        self.notice.setContentsMargins(0, 0, 0, 0)

    def _place(self) -> None:
        size = self.button.sizeHint()
        self.button.setGeometry(
            self.notice.width() - size.width() - 6,
            (self.notice.height() - size.height()) // 2,
            size.width(),
            size.height(),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.back is not None and event.type() in (QEvent.Type.Paint, QEvent.Type.Resize):
            if self.notice.text() != self.shown_with:
                self.withdraw()  # something else was done since: this move is not "the last"
            elif event.type() == QEvent.Type.Resize:
                self._place()
        return False


class DropMoves(QObject):
    """Moves the day book's dropped blocks and offers Undo for them and for Reschedule's."""

    freed = Signal(str, object)
    """A move freed (type name, start): the waitlist may have someone for it."""

    def __init__(
        self,
        window: QMainWindow,
        ctx: ServiceContext,
        panel: DayBookPanel,
        notice: QLabel,
        busy: BusyTracker | None,
        say: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.window, self.ctx, self.panel, self.notice = window, ctx, panel, notice
        self.busy, self.say = busy, say
        self.undo = UndoButton(notice)
        self.undo.button.clicked.connect(self.put_back)
        panel.drag.dropped.connect(self.move)

    def _zone(self) -> str:
        book = self.panel.model.book
        return book.timezone if book is not None else "UTC"

    def _doctor_name(self, doctor_id: int) -> str:
        book = self.panel.model.book
        doctors = book.doctors if book is not None else ()
        return next((d.name for d in doctors if d.id == doctor_id), f"doctor {doctor_id}")

    def move(self, drop: DragMove) -> None:
        """The drop's move, by the Reschedule service, with the column's doctor."""
        entry, ctx = drop.entry, self.ctx
        run_op(
            self.window,
            lambda: booking.reschedule_appointment(ctx, entry.id, drop.start, drop.doctor_id),
            lambda moved: self.moved(entry, moved),
            lambda error: self.refused("Not moved", error),
            self.busy,
        )

    def moved(self, entry: DayBookEntry, moved: BookedAppointment) -> None:
        """Say the move as Reschedule does and offer to put it back."""
        zone = self._zone()
        doctor = self._doctor_name(moved.doctor_id)
        self.say(
            f"Moved {entry.patient_name} with {doctor} on {when_words(moved.start, zone)}"
            f" (from {when_words(entry.start, zone)}), {moved.type_name}."
        )
        self.offer_undo(entry, moved)
        if moved.start != entry.start:
            self.freed.emit(entry.type_name, entry.start)

    def offer_undo(self, entry: DayBookEntry, moved: BookedAppointment) -> None:
        """Undo for the move the notice has just confirmed (a drop's or Reschedule's)."""
        if moved.start == entry.start and moved.doctor_id == entry.doctor_id:
            return
        self.undo.offer(
            MoveBack(
                entry.id,
                entry.patient_name,
                entry.start,
                entry.doctor_id,
                self._doctor_name(entry.doctor_id),
            )
        )

    def put_back(self) -> None:
        """Undo: the appointment goes back to its start and doctor, by the same service."""
        back, ctx = self.undo.back, self.ctx
        shown = self.notice.text() == self.undo.shown_with
        self.undo.withdraw()
        if back is None or not shown:  # Ctrl+Z after something else was done: not this move
            return

        def done(_moved: BookedAppointment) -> None:
            when = when_words(back.start, self._zone())
            self.say(f"Move undone: {back.patient_name} is back with {back.doctor_name} on {when}.")

        run_op(
            self.window,
            lambda: booking.reschedule_appointment(
                ctx, back.appointment_id, back.start, back.doctor_id
            ),
            done,
            lambda error: self.refused("Not undone", error),
            self.busy,
        )

    def refused(self, what: str, error: BaseException) -> None:
        """One line in the service's words; the block stays where it was."""
        if not shiboken6.isValid(self.notice):
            return
        line = f"{what}: {refusal_words(error)}"
        self.notice.setText(line)
        self.notice.setStyleSheet(NOTICE_REFUSED)
        self.window.statusBar().showMessage(line, 15_000)
