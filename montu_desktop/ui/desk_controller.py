"""What the desk does to appointments and patients, behind the reception window's buttons:
book (from the grid, a booked-out time, the waitlist), cancel, move, mark a status, edit a
note, open the patient record and merge, print a day sheet or a card. Each action says
what was done to whom in the window's notice and selects what changed in the day book.

The window keeps the views and their refreshes; this keeps the dialogs an action opens
(one of each at a time) and runs the action's work off the GUI thread through the window.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.wording import day_label
from montu_desktop.services import booking, patients, reference, series, waitlist
from montu_desktop.services.appointment_view import AppointmentView, from_day_book, view_of
from montu_desktop.services.cards import AppointmentCard, appointment_card
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.ui.appointment_card import offer_card
from montu_desktop.ui.appointment_dialogs import CancelDialog, NoteDialog
from montu_desktop.ui.booked_out import BookedOutDialog
from montu_desktop.ui.booking_dialog import BookingDialog
from montu_desktop.ui.day_sheet import print_day_sheet, save_day_sheet_pdf
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.patient_merge import MergeDialog
from montu_desktop.ui.patient_panel import PatientPanel
from montu_desktop.ui.reschedule_dialog import RescheduleDialog
from montu_desktop.ui.waitlist_dialog import WaitlistDialog
from montu_desktop.ui.wording import said, when_words

if TYPE_CHECKING:
    from montu_desktop.ui.main_window import MainWindow

STATUS_SAID = {
    AppointmentStatus.ARRIVED: "Marked arrived:",
    AppointmentStatus.CALLED_IN: "Called in:",
    AppointmentStatus.IN_CONSULTATION: "In consultation:",
    AppointmentStatus.DID_NOT_WAIT: "Did not wait:",
    AppointmentStatus.COMPLETED: "Marked completed:",
    AppointmentStatus.NO_SHOW: "Marked no-show:",
    AppointmentStatus.BOOKED: "Undone, back to booked:",
}


def shown(window: QWidget | None) -> bool:
    """True when `window` is still there and on screen."""
    return window is not None and shiboken6.isValid(window) and window.isVisible()


class DeskController:
    """The desk's actions on appointments and patients, for one reception window."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.ctx = window.ctx
        self.booking_dialog: BookingDialog | None = None
        self.booked_out_dialog: BookedOutDialog | None = None
        self.waitlist_dialog: WaitlistDialog | None = None
        self.patient_panel: PatientPanel | None = None
        self.cancel_dialog: CancelDialog | None = None
        self.note_dialog: NoteDialog | None = None
        self.merge_dialog: MergeDialog | None = None
        self.reschedule_dialog: RescheduleDialog | None = None
        self.ask_following = self._ask_following
        """Asks whether a series' later visits go too; tests answer for the person."""

    def connect_views(self) -> None:
        """The week grid's, day book's and waiting room's requests come here."""
        week, day, details = self.window.week, self.window.day, self.window.day.details
        week.book_wanted.connect(self.open_booking)
        week.booked_out.connect(self.offer_booked_out)
        day.print_wanted.connect(self.print_day_sheet)
        day.pdf_wanted.connect(self.save_day_sheet)
        details.status_wanted.connect(self.set_status)
        details.cancel_wanted.connect(self.cancel_appointment)
        details.reschedule_wanted.connect(self.reschedule)
        self.window.waiting.status_wanted.connect(self.set_status)
        details.note_wanted.connect(self.edit_note)
        details.patient_wanted.connect(self.open_patient)
        details.card_wanted.connect(self.appointment_card)

    def _zone(self) -> str:
        policy = self.window.policy
        return policy.timezone if policy else "UTC"

    def top_parent(self) -> QWidget:
        """The window a new dialog belongs on: the open patient record or booking, else the
        reception window."""
        for window in (self.patient_panel, self.booking_dialog):
            if window is not None and shown(window):
                return window
        return self.window

    # Booking -----------------------------------------------------------------------------------

    def find_patient(self) -> None:
        """Ctrl+F: on a free time in the week, book it starting with the patient search;
        anywhere else, open the patient record with its search."""
        if self.booking_dialog is not None and self.booking_dialog.isVisible():
            self.booking_dialog.search.setFocus()
            return
        week = self.window.week
        cell = week.selected_cell()
        on_week = self.window.tabs.currentWidget() is week
        if (
            on_week
            and cell is not None
            and (cell.bookable or cell.urgent_only)
            and cell.start is not None
        ):
            self.open_booking(cell.start, week.type_name)
        else:
            self.open_patient(None)

    def open_booking(
        self, start: datetime, type_name: str, *, work_in: bool = False
    ) -> BookingDialog | None:
        window = self.window
        if window.policy is None:
            return None
        dialog = BookingDialog(
            self.ctx,
            window.types,
            type_name,
            start,
            window.policy.timezone,
            window.busy,
            window,
            work_in=work_in,
        )
        if self._held_at(start) and not work_in:
            dialog.urgent.setChecked(True)
        dialog.accepted.connect(lambda: self._booked(dialog))
        dialog.patient_wanted.connect(self.open_patient)
        dialog.finished.connect(lambda _r: self._back_to_grid())
        self.booking_dialog = dialog
        dialog.open()
        return dialog

    def offer_booked_out(self, start: datetime, type_name: str) -> BookedOutDialog | None:
        """Enter on a booked-out time: the nearest free times, or the waitlist for it."""
        window = self.window
        if window.policy is None:
            return None
        dialog = BookedOutDialog(
            self.ctx, type_name, start, window.policy.timezone, window.busy, window
        )
        dialog.book_wanted.connect(self.open_booking)
        dialog.waitlist_wanted.connect(self._waitlist_for)
        dialog.work_in_wanted.connect(lambda at, kind: self.open_booking(at, kind, work_in=True))
        self.booked_out_dialog = dialog
        dialog.open()
        return dialog

    def _waitlist_for(self, type_name: str, wanted: datetime) -> None:
        waiting = self.open_waitlist(None)
        if waiting is not None:
            waiting.prefill(type_name, wanted)

    def _held_at(self, start: datetime) -> bool:
        """True when the week grid shows `start` as held for urgent patients."""
        grid = self.window.week.model.grid
        where = grid.position_of(start) if grid is not None else None
        return where is not None and grid is not None and grid.cell(*where).urgent_only

    def _back_to_grid(self) -> None:
        self.window.activateWindow()
        self.window.week.table.setFocus()

    def _booked(self, dialog: BookingDialog | WaitlistDialog) -> None:
        booked = dialog.booked
        window = self.window
        if booked is None or window.policy is None:
            return
        # The booking itself says whether a doctor was asked for (the waitlist asks for the
        # entry's doctor without a doctor list of its own).
        choice = booked.choice
        fair = (
            not choice.requested
            if choice is not None
            else getattr(dialog, "requested_doctor", None) is None
        )
        local = to_local(booked.start, window.policy.timezone)
        # The booking's change notice reloads the shown views (and selects the booking);
        # only a booking on another day than the day book shows moves the day book there.
        window.select_after = booked.id
        if local.date() != window.day_wanted():
            window.load_day(local.date())
        elif window.day.select_entry(booked.id):
            window.select_after = None
        made = getattr(dialog, "series_result", None)
        if made is not None:
            doctors = {a.doctor_id for a in made.appointments}

            def series_said(view: AppointmentView) -> None:
                shared = f" with {view.doctor_name}" if len(doctors) == 1 else ""
                window.say(
                    f"Booked a series of {len(made.appointments)} {booked.type_name} "
                    f"appointments for {view.patient_name}{shared}, the first on "
                    f"{when_words(booked.start, self._zone())}."
                )

            def series_unnamed(error: BaseException) -> None:
                window.say(
                    f"Booked a series of {len(made.appointments)} {booked.type_name} "
                    f"appointments (patient {booked.patient_id}), the first on "
                    f"{when_words(booked.start, self._zone())}."
                )

            window.op(lambda: view_of(self.ctx, booked), series_said, series_unnamed)
            return
        why_text = getattr(dialog, "why_text", None)
        why = why_text(booked) if why_text and booked.choice is not None else ""

        def done(view: AppointmentView) -> None:
            # `why` names the doctor itself: "Dr Chen: 2 h of 7 h booked, the least of 3 free".
            took = why or view.doctor_name
            extra = f" (Any doctor: the fair choice took {took})" if fair else ""
            if view.work_in_reason:
                extra = f" (a work-in with {view.doctor_name}: {view.work_in_reason})"
            window.say(said("Booked", view, self._zone(), f", {view.type_name}{extra}"))
            window.show_changed(view.id, view.start)

        def names_failed(error: BaseException) -> None:
            # Booked all the same: say what is known, and why the names are missing.
            window.say(
                f"Booked {booked.type_name} on {when_words(booked.start, self._zone())} "
                f"(patient {booked.patient_id}); the names could not be read: {plain_words(error)}"
            )

        # The dialog's booking came back without names: one read of its view names it.
        window.op(lambda: view_of(self.ctx, booked), done, names_failed)

    # Status, cancel, note ----------------------------------------------------------------------

    def set_status(self, appointment_id: int, status: AppointmentStatus) -> None:
        window = self.window
        window.select_after = appointment_id

        def work() -> AppointmentView:
            return view_of(self.ctx, booking.mark_status(self.ctx, appointment_id, status))

        def done(view: AppointmentView) -> None:
            window.say(said(STATUS_SAID[status], view, self._zone()))
            window.show_changed(view.id, view.start)

        window.op(work, done, window.action_failed)

    def cancel_appointment(self, appointment_id: int) -> None:
        """The day book's Cancel: name the patient, day and time, and ask for a reason."""
        book = self.window.day.model.book
        entry = (
            next((e for e in book.appointments if e.id == appointment_id), None) if book else None
        )
        if entry is None or book is None:
            return
        doctor = next((d.name for d in book.doctors if d.id == entry.doctor_id), "the doctor")
        self.ask_cancel(from_day_book(entry, doctor))

    def ask_cancel(self, view: AppointmentView) -> CancelDialog:
        dialog = CancelDialog(view, self._zone(), self.top_parent())
        dialog.accepted.connect(lambda: self._cancel_confirmed(view, dialog.reason()))
        self.cancel_dialog = dialog
        dialog.open()
        return dialog

    def _cancel_confirmed(self, view: AppointmentView, reason: str | None) -> None:
        window = self.window

        def done(_cancelled: object) -> None:
            window.say(said("Cancelled", view, self._zone(), f" (reason: {reason})"))
            if window.policy is not None:
                window.load_day(to_local(view.start, window.policy.timezone).date())
            self.offer_freed_time(view.type_name, view.start)

        def go(series_ids: list[int]) -> None:
            later = len(series_ids) - 1
            if later > 0 and self.ask_following(later):
                window.op(
                    lambda: series.cancel_following(self.ctx, view.id),
                    done,
                    window.action_failed,
                )
                return
            window.op(
                lambda: booking.cancel_appointment(self.ctx, view.id, reason=reason),
                done,
                window.action_failed,
            )

        window.op(lambda: series.following_ids(self.ctx, view.id), go, window.action_failed)

    def _ask_following(self, later: int) -> bool:
        """A visit of a series: cancel its later visits too?"""
        answer = QMessageBox.question(
            self.top_parent(),
            "Cancel the series too?",
            f"This visit is part of a series with {later} later visit(s). Cancel those as well?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def edit_note(self, entry: DayBookEntry) -> NoteDialog:
        title = f"Note for {entry.patient_name}, {when_words(entry.start, self._zone())}:"
        dialog = NoteDialog(title, entry.note, self.window)
        dialog.accepted.connect(lambda: self._save_note(entry, dialog.note()))
        self.note_dialog = dialog
        dialog.open()
        return dialog

    def _save_note(self, entry: DayBookEntry, note: str) -> None:
        window = self.window

        def work() -> AppointmentView:
            return view_of(self.ctx, booking.set_note(self.ctx, entry.id, note or None))

        def done(view: AppointmentView) -> None:
            window.say(said("Note saved for", view, self._zone()))
            window.show_changed(view.id, view.start)

        window.op(work, done, window.action_failed)

    # Moving and the waitlist -------------------------------------------------------------------

    def offer_freed_time(self, type_name: str, start: datetime) -> None:
        """Time was freed: if anyone on the waitlist fits it, show them (oldest first)."""
        if start <= self.ctx.clock():
            return

        def found(matches: list[Any]) -> None:
            if matches:
                self.window.statusBar().showMessage(
                    f"{len(matches)} waiting patient(s) fit the freed time.", 8000
                )
                self.open_waitlist((type_name, start))

        self.window.op(
            lambda: waitlist.waitlist_matches(self.ctx, type_name, start),
            found,
            lambda _e: None,  # only an offer: a failure here must not disturb the desk
        )

    def open_waitlist(self, freed: tuple[str, datetime] | None) -> WaitlistDialog | None:
        window = self.window
        if window.policy is None:
            return None
        dialog = WaitlistDialog(
            self.ctx,
            window.types,
            reference.doctors(self.ctx),
            window.policy.timezone,
            freed=freed,
            busy=window.busy,
            parent=window,
        )
        dialog.accepted.connect(lambda: self._booked(dialog))  # type: ignore[arg-type]
        self.waitlist_dialog = dialog
        dialog.open()
        return dialog

    def reschedule(self, entry: DayBookEntry) -> None:
        window = self.window
        if window.policy is None:
            return
        book = window.day.model.book
        doctor = next((d.name for d in book.doctors if d.id == entry.doctor_id), "") if book else ""
        dialog = RescheduleDialog(
            self.ctx,
            entry,
            window.policy.timezone,
            window.busy,
            self.top_parent(),
            doctor_name=doctor,
        )
        dialog.accepted.connect(lambda: self._moved(dialog))
        self.reschedule_dialog = dialog
        dialog.open()

    def _moved(self, dialog: RescheduleDialog) -> None:
        moved, window = dialog.moved, self.window
        if moved is not None and window.policy is not None:
            window.select_after = moved.id
            moved_to = to_local(moved.start, window.policy.timezone).date()
            if moved_to != window.day_wanted():
                window.load_day(moved_to)

            def done(view: AppointmentView) -> None:
                origin = f" (from {when_words(dialog.entry.start, self._zone())})"
                window.say(said("Moved", view, self._zone(), f"{origin}, {view.type_name}"))
                window.show_changed(view.id, view.start)
                if not dialog.following.isChecked():
                    window.drops.offer_undo(dialog.entry, moved)

            window.op(lambda: view_of(self.ctx, moved), done, window.background_failed)
            if moved.start != dialog.entry.start:
                self.offer_freed_time(dialog.entry.type_name, dialog.entry.start)

    # Patients ----------------------------------------------------------------------------------

    def open_patient(self, patient_id: int | None) -> PatientPanel | None:
        """The patient record (from Ctrl+F, the booking dialog or the day book's details)."""
        window = self.window
        if window.policy is None:
            return None
        if self.patient_panel is not None and self.patient_panel.isVisible():
            self.patient_panel.close()
        can_merge = window.member is not None and window.member.role.can_manage
        parent = self.booking_dialog if shown(self.booking_dialog) else window
        panel = PatientPanel(
            self.ctx, window.policy.timezone, patient_id, window.busy, can_merge, parent
        )
        panel.cancel_wanted.connect(self.ask_cancel)
        panel.reschedule_wanted.connect(self.reschedule)
        panel.merge_wanted.connect(self.open_merge)
        self.patient_panel = panel
        panel.open()
        return panel

    def open_merge(self, keep: patients.PatientRecord) -> MergeDialog | None:
        """Managers only: merge a duplicate into `keep`, after a preview of what moves."""
        window = self.window
        if window.policy is None or window.member is None or not window.member.role.can_manage:
            window.statusBar().showMessage("Only a manager can merge patient records.", 8000)
            return None
        parent = self.patient_panel if self.patient_panel is not None else window
        dialog = MergeDialog(self.ctx, keep, window.policy.timezone, window.busy, parent)
        dialog.merged.connect(lambda result: self._merged(keep, result))
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _merged(self, keep: patients.PatientRecord, result: patients.MergeResult) -> None:
        moved = len(result.appointment_ids)
        self.window.say(
            f"Merged patient {result.duplicate_id} into {keep.details.given_name} "
            f"{keep.details.family_name} (patient {keep.id}): {moved} appointment"
            f"{'s' if moved != 1 else ''} and {result.notifications} message"
            f"{'s' if result.notifications != 1 else ''} moved."
        )
        if self.patient_panel is not None and self.patient_panel.isVisible():
            self.patient_panel.load(keep.id)

    # Printing ----------------------------------------------------------------------------------

    def print_day_sheet(self, doctor_id: int | None) -> None:
        book = self.window.day.model.book
        if book is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self.window).exec() == QPrintDialog.DialogCode.Accepted:
            print_day_sheet(book, printer, doctor_id)
            sheet = f"Day sheet for {day_label(book.day)}"
            if printer.outputFileName():
                self.window.say(f"{sheet} printed to the file {printer.outputFileName()}")
            else:
                name = printer.printerName() or "(default)"
                self.window.say(f"{sheet} sent to the printer {name}.")

    def appointment_card(self, appointment_id: int) -> None:
        """Print or save as PDF the patient's card for this appointment (never its note)."""

        def offer(card: AppointmentCard) -> None:
            if done := offer_card(self.window, card):
                self.window.say(done)

        self.window.op(
            lambda: appointment_card(self.ctx, appointment_id), offer, self.window.action_failed
        )

    def save_day_sheet(self, doctor_id: int | None) -> None:
        book = self.window.day.model.book
        if book is None:
            return
        suggested = str(Path.home() / f"day-sheet-{book.day.isoformat()}.pdf")
        path, _filter = QFileDialog.getSaveFileName(
            self.window, "Save day sheet as PDF", suggested, "PDF files (*.pdf)"
        )
        if path:
            save_day_sheet_pdf(book, Path(path), doctor_id)
            self.window.say(f"Day sheet for {day_label(book.day)} saved as PDF: {path}")
