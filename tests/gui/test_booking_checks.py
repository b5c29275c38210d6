"""The booking dialog says every wrong field at once and counts the note (issue 28, 2 and 3)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.visits import NOTE_MAX_CHARS
from montu_desktop.services import patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui import booking_dialog
from montu_desktop.ui.appointment_dialogs import NoteCounter
from montu_desktop.ui.main_window import MainWindow
from tests.gui.test_patient_record import TUESDAY, _booking_dialog, _find_and_pick


def test_every_wrong_field_is_said_at_once_and_the_cursor_goes_to_the_first(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    dialog = _booking_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    dialog.new_patient_box.setChecked(True)
    qtbot.keyClicks(dialog.family, "Quimby")
    qtbot.keyClicks(dialog.birth, "31/02/1980")
    qtbot.keyClicks(dialog.phone, "12")
    qtbot.keyClicks(dialog.email, "zelda@")
    qtbot.keyClick(dialog.email, Qt.Key.Key_Return)  # Enter in Email books

    assert dialog.booked is None
    assert dialog.message.text() == (
        "Nothing was booked: correct Given name, Date of birth, Phone, Email (see beside each)."
    )
    shown = {f for f, label in dialog.field_errors.items() if label.isVisibleTo(dialog)}
    assert shown == {"given_name", "date_of_birth", "phone", "email"}
    assert dialog.field_errors["given_name"].text() == "Must not be empty"
    assert "not a date like 31/12/1980" in dialog.field_errors["date_of_birth"].text()
    assert dialog.focusWidget() is dialog.given  # the first wrong field, not where Enter was

    # Corrected one by one: each line goes as its field is typed in; the next wrong field
    # is the one the cursor goes to.
    qtbot.keyClicks(dialog.given, "Zelda")
    assert not dialog.field_errors["given_name"].isVisibleTo(dialog)
    qtbot.keyClick(dialog.given, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.birth and dialog.birth.selectedText() == "31/02/1980"
    qtbot.keyClicks(dialog.birth, "28/02/1980")  # typed over the selected wrong date
    assert dialog.birth.text() == "28/02/1980"
    dialog.phone.clear()
    dialog.email.clear()
    qtbot.keyClick(dialog.email, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=10_000)
    added = patients.patient_record(demo_ctx, dialog.booked.patient_id)  # type: ignore[union-attr]
    assert (added.details.given_name, added.details.family_name) == ("Zelda", "Quimby")
    assert added.details.date_of_birth is not None and added.details.date_of_birth.day == 28


def test_a_birth_date_in_the_future_is_caught_before_booking(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = _booking_dialog(window)
    dialog.new_patient_box.setChecked(True)
    qtbot.keyClicks(dialog.given, "Zelda")
    qtbot.keyClicks(dialog.family, "Quimby")
    # Next year, by the desk's own clock (a date past 2199 is refused for its range instead).
    next_year = window.ctx.clock().year + 1
    qtbot.keyClicks(dialog.birth, f"01/01/{next_year}")
    qtbot.keyClicks(dialog.email, "zelda@example.com")
    qtbot.keyClick(dialog.email, Qt.Key.Key_Return)
    assert dialog.message.text() == "Date of birth: is in the future."
    assert dialog.field_errors["date_of_birth"].isVisibleTo(dialog)
    assert dialog.focusWidget() is dialog.birth
    assert dialog.booked is None


def test_the_note_is_counted_never_cut_and_500_fits_but_501_does_not(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    dialog = _booking_dialog(window)
    _find_and_pick(qtbot, dialog, "quimby", zelda.id)
    assert isinstance(dialog.note_counter, NoteCounter)
    assert dialog.note_counter.text() == f"0 of {NOTE_MAX_CHARS} characters"

    dialog.note.setFocus()
    dialog.note.insert("y" * 600)  # as a paste: all of it is kept in the field
    assert len(dialog.note.text()) == 600
    assert dialog.note_counter.text() == "600 of 500 characters"
    assert not dialog.book_button.isEnabled()
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)  # Enter does not get round the limit
    assert dialog.booked is None and dialog.message.text().startswith("Note: must be at most 500")
    assert dialog.field_errors["note"].isVisibleTo(dialog)

    dialog.note.setText("y" * 501)
    assert dialog.note_counter.text() == "501 of 500 characters"
    assert not dialog.book_button.isEnabled()
    note = "Sore knee " + "z" * 490  # exactly 500
    dialog.note.setText(note + "   ")  # trailing spaces are not kept, so not counted
    assert dialog.note_counter.text() == "500 of 500 characters"
    assert dialog.book_button.isEnabled()
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=10_000)
    stored = next(e for e in day_book(demo_ctx, TUESDAY).appointments if e.id == dialog.booked.id)  # type: ignore[union-attr]
    assert stored.note == note and len(stored.note) == 500

    # "Edit note…" uses the same counter and the same limit.
    qtbot.waitUntil(lambda: window.day.select_entry(stored.id), timeout=5_000)
    editor = window.edit_note(stored)
    save = editor.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert isinstance(editor.count, NoteCounter)
    assert editor.count.text() == "500 of 500 characters" and save.isEnabled()
    editor.editor.setPlainText(note + "abcd")
    assert editor.count.text() == "504 of 500 characters" and not save.isEnabled()
    editor.editor.setPlainText(note + "a")
    assert not save.isEnabled()
    editor.editor.setPlainText(note[:-1] + "!")
    assert save.isEnabled()
    editor.reject()


def test_the_whole_form_fits_a_1366_by_768_screen_without_scrolling(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in the trial: at 768 px high the form scrolled before Repeat (and with a new
    # patient, before Doctor). 720 px are free above the taskbar; the title bar takes ~30.
    # (The offscreen screen is 800x800: the dialog is told the trial's screen.)
    monkeypatch.setattr(booking_dialog, "screen_room", lambda _widget: QRect(0, 0, 1366, 720))
    window.resize(1366, 768)
    dialog = _booking_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    series = dialog.series_box

    def fits(state: str) -> None:
        qtbot.wait(50)  # the dialog fits itself to its contents once they are laid out
        assert dialog.width() <= 1366 and dialog.height() <= 690, (state, dialog.size())
        assert dialog.body.verticalScrollBar().maximum() == 0, state
        for widget in (dialog.search, dialog.doctor_box, dialog.urgent, series.repeat_box):
            assert not widget.visibleRegion().isEmpty(), (state, widget)

    fits("a patient found")
    dialog.new_patient_box.setChecked(True)
    fits("a new patient")
    series.repeat_box.setCurrentIndex(1)  # weekly
    series.preview_button.click()
    qtbot.waitUntil(lambda: series.table.rowCount() > 0, timeout=5_000)
    fits("a new patient and a weekly series previewed")
    assert not series.table.visibleRegion().isEmpty()
    dialog.reject()
