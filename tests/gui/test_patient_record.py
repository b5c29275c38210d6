"""Saying who was booked, the cancel question, notes, the patient record, duplicates and merging."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.services import patients
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui.appointment_dialogs import OTHER_REASON
from montu_desktop.ui.booking_dialog import BookingDialog
from montu_desktop.ui.day_sheet import day_sheet_html
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.patient_merge import DuplicateWarning
from montu_desktop.ui.patient_panel import PatientPanel

ZONE = "Australia/Melbourne"
TUESDAY = date(2026, 11, 24)
MANAGER = StaffMember(1, "maria", "Maria", Role.MANAGER, True)


def _booking_dialog(window: MainWindow, row: int = 8) -> BookingDialog:
    grid = window.week.model.grid
    assert grid is not None
    for r in range(row, len(grid.times)):
        cell = grid.cell(r, 1)  # Tuesday
        if cell.bookable and cell.start is not None:
            window.week.select(r, 1)
            dialog = window.open_booking(cell.start, window.week.type_name)
            assert dialog is not None
            return dialog
    raise AssertionError("no free time on Tuesday")


def _when(start: object) -> str:
    local = to_local(start, ZONE)  # type: ignore[arg-type]
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def _find_and_pick(qtbot: QtBot, dialog: BookingDialog, text: str, patient_id: int) -> None:
    qtbot.keyClicks(dialog.search, text)
    qtbot.waitUntil(lambda: dialog.selected_patient_id() == patient_id, timeout=5_000)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)


def test_booking_says_patient_doctor_day_time_and_keeps_the_note(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    dialog = _booking_dialog(window)
    _find_and_pick(qtbot, dialog, "quimby", zelda.id)
    qtbot.keyClicks(dialog.note, "Sore knee after fall")
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.notice.text().startswith("Booked"), timeout=5_000)
    booked = dialog.booked
    assert booked is not None and booked.patient_id == zelda.id
    text = window.notice.text()
    assert text.startswith("Booked Zelda Quimby with Dr ")
    assert f"on {_when(booked.start)}, Standard (Any doctor: the fair choice took Dr " in text
    entry = next(e for e in day_book(demo_ctx, TUESDAY).appointments if e.id == booked.id)
    assert f"with {_doctor_name(window, entry.doctor_id)} on" in text
    qtbot.waitUntil(
        lambda: window.day.details.entry is not None and window.day.details.entry.id == booked.id,
        timeout=5_000,
    )
    assert window.day.details.fields["note"].text() == "Sore knee after fall"
    assert entry.note == "Sore knee after fall"
    assert "Sore knee after fall" in day_sheet_html(day_book(demo_ctx, TUESDAY))

    # The note can be corrected later from the day book's details.
    note_dialog = window.edit_note(window.day.details.entry)
    note_dialog.editor.setPlainText("Knee review")
    note_dialog.accept()
    qtbot.waitUntil(
        lambda: window.day.details.fields["note"].text() == "Knee review", timeout=5_000
    )
    assert window.notice.text().startswith("Note saved for Zelda Quimby with ")


def _doctor_name(window: MainWindow, doctor_id: int) -> str:
    book = window.day.model.book
    assert book is not None
    return next(d.name for d in book.doctors if d.id == doctor_id)


def test_a_note_over_500_characters_is_refused_by_name(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    dialog = _booking_dialog(window)
    _find_and_pick(qtbot, dialog, "quimby", zelda.id)
    dialog.note.setText("x" * 501)  # shown whole (nothing cut), counted, refused
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.message.text().startswith("Note: must be at most 500 characters")
    assert dialog.focusWidget() is dialog.note
    assert dialog.booked is None


def test_cancel_names_patient_day_and_time_and_keeps_the_reason(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    window.load_day(TUESDAY)
    qtbot.waitUntil(lambda: window.day.day == TUESDAY, timeout=5_000)
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    assert window.day.select_entry(entry.id)
    qtbot.mouseClick(window.day.details.cancel_button, Qt.MouseButton.LeftButton)
    dialog = window.cancel_dialog
    assert dialog is not None and dialog.isVisible()
    question = dialog.findChild(type(window.notice), "cancelQuestion").text()
    assert entry.patient_name in question and _when(entry.start) in question

    dialog.reason_box.setCurrentText(OTHER_REASON)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.message.text().startswith("Reason:")  # empty Other
    qtbot.keyClicks(dialog.other, "Car broke down")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice.text().startswith("Cancelled"), timeout=5_000)
    assert window.notice.text().startswith(f"Cancelled {entry.patient_name} with Dr ")
    assert f"on {_when(entry.start)} (reason: Car broke down)." in window.notice.text()
    record = patients.patient_record(demo_ctx, entry.patient_id)
    cancelled = next(a for a in record.past if a.id == entry.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancel_reason == "Car broke down"


def test_keeping_the_appointment_changes_nothing(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    window.load_day(TUESDAY)
    qtbot.waitUntil(lambda: window.day.select_entry(entry.id), timeout=5_000)
    window.cancel_appointment(entry.id)
    assert window.cancel_dialog is not None
    qtbot.mouseClick(window.cancel_dialog.keep_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert any(e.id == entry.id for e in day_book(demo_ctx, TUESDAY).appointments)


def _open_panel(qtbot: QtBot, window: MainWindow, patient_id: int | None) -> PatientPanel:
    panel = window.open_patient(patient_id)
    assert panel is not None
    if patient_id is not None:
        qtbot.waitUntil(lambda: panel.record is not None, timeout=5_000)
    return panel


def test_patient_panel_corrects_details_and_names_a_bad_field(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    panel = _open_panel(qtbot, window, entry.patient_id)
    assert panel.upcoming.rowCount() >= 1
    before = patients.get_patient(demo_ctx, entry.patient_id).details

    panel.phone.setText("12")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.details_message.text() != "", timeout=5_000)
    assert panel.details_message.text().startswith("Phone: ")
    assert panel.phone.hasFocus() or not panel.isActiveWindow()
    phone_error = panel.patient_form.errors["phone"]  # said beneath the field too
    assert phone_error.isVisibleTo(panel) and "not a valid phone" in phone_error.text()
    assert patients.get_patient(demo_ctx, entry.patient_id).details == before

    panel.phone.setText("0412 555 666")
    panel.email.setText("not an email")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.details_message.text().startswith("Email: "), timeout=5_000)
    assert patients.get_patient(demo_ctx, entry.patient_id).details == before

    panel.birth.setText("31/02/1990")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.details_message.text().startswith("Date of birth: ")

    panel.birth.setText("02/03/1981")
    panel.email.setText("new.address@example.com")
    panel.sms.setChecked(False)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.details_message.text().startswith("Saved"), timeout=5_000)
    after = patients.get_patient(demo_ctx, entry.patient_id).details
    assert after.phone == "+61412555666" and after.email == "new.address@example.com"
    assert after.date_of_birth == date(1981, 3, 2) and not after.sms_reminders


def test_patient_panel_names_every_wrong_contact_field_at_once(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    # Found in the trial: three wrong fields took three Saves, one named at a time.
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    panel = _open_panel(qtbot, window, entry.patient_id)
    before = patients.get_patient(demo_ctx, entry.patient_id).details
    panel.birth.setText("31/02/2012")
    panel.phone.setText("12")
    panel.email.setText("bad@")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    said = panel.details_message.text()
    assert said.startswith("Date of birth: ") and "Phone: " in said and "Email: " in said
    for field in ("date_of_birth", "phone", "email"):
        assert panel.patient_form.errors[field].isVisibleTo(panel), field
    assert panel.birth.hasFocus() or not panel.isActiveWindow()
    assert panel.save_button.isEnabled()
    qtbot.wait(100)
    assert patients.get_patient(demo_ctx, entry.patient_id).details == before


def test_patient_panel_cancels_and_reschedules_an_upcoming_appointment(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    panel = _open_panel(qtbot, window, entry.patient_id)
    row = next(i for i, a in enumerate(panel.upcoming.items) if a.id == entry.id)
    panel.upcoming.selectRow(row)
    assert panel.cancel_button.isEnabled() and panel.reschedule_button.isEnabled()
    assert panel.upcoming.item(row, 1).text() == _doctor_for(demo_ctx, entry.doctor_id)

    qtbot.mouseClick(panel.reschedule_button, Qt.MouseButton.LeftButton)
    move = window.reschedule_dialog
    assert move is not None and move.isVisible()
    move.reject()

    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    cancel = window.cancel_dialog
    assert (
        cancel is not None
        and entry.patient_name in cancel.findChild(type(window.notice), "cancelQuestion").text()
    )
    cancel.reason_box.setCurrentIndex(0)
    qtbot.mouseClick(cancel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(a.id == entry.id for a in panel.past.items), timeout=5_000)
    assert not any(a.id == entry.id for a in panel.upcoming.items)
    past_row = next(i for i, a in enumerate(panel.past.items) if a.id == entry.id)
    assert panel.past.item(past_row, 3).text().startswith("cancelled (")


def _doctor_for(ctx: ServiceContext, doctor_id: int) -> str:
    from montu_desktop.services.reference import doctors

    return next(d.name for d in doctors(ctx) if d.id == doctor_id)


def test_ctrl_f_on_the_day_book_opens_the_patient_finder_with_next_appointments(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    family = entry.patient_name.split()[-1]
    window.show_tab(window.day)
    qtbot.keyClick(window.day.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    panel = window.patient_panel
    assert panel is not None and panel.isVisible()
    qtbot.keyClicks(panel.search, family)
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=5_000)
    lines = [panel.results.item(i).text() for i in range(panel.results.count())]
    assert any("next " in line for line in lines)
    mine = next(
        i
        for i in range(panel.results.count())
        if panel.results.item(i).data(Qt.ItemDataRole.UserRole) == entry.patient_id
    )
    panel.results.setCurrentRow(mine)
    qtbot.waitUntil(
        lambda: panel.record is not None and panel.record.id == entry.patient_id, timeout=5_000
    )


def test_booking_a_patient_already_booked_that_day_warns_first(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    first = _booking_dialog(window)
    other_start = first.start
    first.reject()
    # Zelda is already booked on Tuesday at another time.
    grid = window.week.model.grid
    assert grid is not None
    earlier = next(
        grid.cell(r, 1).start
        for r in range(len(grid.times))
        if grid.cell(r, 1).bookable and grid.cell(r, 1).start != other_start
    )
    book_appointment(demo_ctx, BookingRequest("Standard", earlier, zelda.id))  # type: ignore[arg-type]

    dialog = _booking_dialog(window)
    _find_and_pick(qtbot, dialog, "zelda quimby", zelda.id)
    assert "next " in dialog.results.currentItem().text()
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.same_day_question is not None, timeout=5_000)
    question = dialog.same_day_question
    assert question is not None and "Zelda Quimby already has an appointment" in question.text()
    assert f"{to_local(earlier, ZONE):%H:%M}" in question.text()  # type: ignore[arg-type]
    question.defaultButton().click()  # "Don't book" is the default
    assert dialog.booked is None and "Nothing was booked" in dialog.message.text()

    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.same_day_question is not question, timeout=5_000)
    second = dialog.same_day_question
    assert second is not None
    next(b for b in second.buttons() if "another" in b.text()).click()
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=5_000)
    assert dialog.booked is not None and dialog.booked.patient_id == zelda.id


@pytest.fixture
def existing(demo_ctx: ServiceContext) -> patients.PatientRecord:
    return patients.add_patient(
        demo_ctx, PatientDetails("Mere", "Ōtene", date(1975, 5, 6), "0412 777 888")
    )


def _new_patient_booking(qtbot: QtBot, window: MainWindow) -> BookingDialog:
    dialog = _booking_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    dialog.new_patient_box.setChecked(True)
    for field, text in (
        (dialog.given, "mere"),
        (dialog.family, "OTENE"),
        (dialog.birth, "06/05/1975"),
    ):
        field.clear()
        qtbot.keyClicks(field, text)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.duplicate_warning is not None, timeout=5_000)
    return dialog


def test_a_likely_duplicate_is_shown_and_the_existing_record_is_the_default(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, existing: patients.PatientRecord
) -> None:
    dialog = _new_patient_booking(qtbot, window)
    warning = dialog.duplicate_warning
    assert isinstance(warning, DuplicateWarning) and warning.isVisible()
    assert warning.records.count() == 1
    assert f"(patient {existing.id})" in warning.records.item(0).text()
    assert "born 06/05/1975" in warning.records.item(0).text()
    assert warning.use_button.isDefault() and not warning.create_button.isDefault()
    assert dialog.booked is None
    qtbot.keyClick(warning.records, Qt.Key.Key_Return)  # Enter takes the safe choice
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=5_000)
    assert dialog.booked is not None and dialog.booked.patient_id == existing.id
    assert len(patients.find_patients(demo_ctx, "mere")) == 1


def test_creating_anyway_is_a_deliberate_second_choice(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, existing: patients.PatientRecord
) -> None:
    dialog = _new_patient_booking(qtbot, window)
    warning = dialog.duplicate_warning
    assert isinstance(warning, DuplicateWarning)
    qtbot.mouseClick(warning.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=5_000)
    assert dialog.booked is not None and dialog.booked.patient_id != existing.id
    assert len(patients.find_patients(demo_ctx, "mere")) == 2


def test_merge_is_for_managers_and_previews_what_moves(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, existing: patients.PatientRecord
) -> None:
    twin = patients.add_patient(
        demo_ctx, PatientDetails("Mere", "Otene", date(1975, 5, 6)), allow_duplicate=True
    )
    grid = window.week.model.grid
    assert grid is not None
    start = next(
        grid.cell(r, 1).start for r in range(8, len(grid.times)) if grid.cell(r, 1).bookable
    )
    moved = book_appointment(demo_ctx, BookingRequest("Standard", start, twin.id))  # type: ignore[arg-type]

    panel = _open_panel(qtbot, window, existing.id)
    assert not panel.merge_button.isVisible()  # nobody signed in as a manager
    panel.close()
    window.signed_in(MANAGER)
    panel = _open_panel(qtbot, window, existing.id)
    assert panel.merge_button.isVisible() and panel.merge_button.isEnabled()
    qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    merge = window.merge_dialog
    assert merge is not None and merge.isVisible()
    qtbot.waitUntil(lambda: merge.candidates.count() == 1, timeout=5_000)
    assert f"(patient {twin.id})" in merge.candidates.item(0).text()
    merge.candidates.setCurrentRow(0)
    qtbot.waitUntil(lambda: merge.preview is not None, timeout=5_000)
    assert "1 appointment and 0 messages" in merge.summary.text()
    assert merge.moving.count() == 1 and _when(moved.start).split(" at ")[0] in (
        merge.moving.item(0).text()
    )
    assert merge.merge_button.isEnabled() and merge.refusal.text() == ""

    qtbot.mouseClick(merge.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: merge.result is not None, timeout=5_000)
    assert patients.patient_record(demo_ctx, twin.id).merged_into == existing.id
    assert any(a.id == moved.id for a in patients.patient_record(demo_ctx, existing.id).upcoming)
    assert window.notice.text().startswith(f"Merged patient {twin.id} into Mere Ōtene")


def test_a_merge_that_would_overlap_is_refused_naming_them(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, existing: patients.PatientRecord
) -> None:
    twin = patients.add_patient(
        demo_ctx, PatientDetails("Mere", "Otene", date(1975, 5, 6)), allow_duplicate=True
    )
    grid = window.week.model.grid
    assert grid is not None
    start = next(
        grid.cell(r, 1).start
        for r in range(8, len(grid.times))
        if grid.cell(r, 1).bookable and grid.cell(r, 1).free >= 2
    )
    mine = book_appointment(demo_ctx, BookingRequest("Standard", start, existing.id))  # type: ignore[arg-type]
    theirs = book_appointment(demo_ctx, BookingRequest("Standard", start, twin.id))  # type: ignore[arg-type]
    window.signed_in(MANAGER)
    panel = _open_panel(qtbot, window, existing.id)
    merge = window.open_merge(panel.record)  # type: ignore[arg-type]
    assert merge is not None
    merge.show_preview(twin.id)
    qtbot.waitUntil(lambda: merge.preview is not None, timeout=5_000)
    assert not merge.merge_button.isEnabled()
    assert f"{mine.id} and {theirs.id}" in merge.refusal.text()
    assert "⚠" in merge.moving.item(0).text()
    assert patients.patient_record(demo_ctx, twin.id).merged_into is None


def test_the_record_opens_from_the_booking_dialog_and_the_day_book(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    dialog = _booking_dialog(window)
    _find_and_pick(qtbot, dialog, "quimby", zelda.id)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    panel = window.patient_panel
    assert panel is not None and panel.isVisible() and panel.parent() is dialog
    qtbot.waitUntil(lambda: panel.record is not None and panel.record.id == zelda.id, timeout=5_000)
    assert panel.given.text() == "Zelda" and panel.family.text() == "Quimby"
    panel.close()
    dialog.reject()

    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    window.load_day(TUESDAY)
    qtbot.waitUntil(lambda: window.day.select_entry(entry.id), timeout=5_000)
    qtbot.mouseClick(window.day.details.patient_button, Qt.MouseButton.LeftButton)
    panel = window.patient_panel
    assert panel is not None and panel.isVisible()
    qtbot.waitUntil(
        lambda: panel.record is not None and panel.record.id == entry.patient_id, timeout=5_000
    )
    assert any(a.id == entry.id for a in panel.upcoming.items)


def test_a_move_says_who_went_where_and_selects_it(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    window.load_day(TUESDAY)
    qtbot.waitUntil(lambda: window.day.select_entry(entry.id), timeout=5_000)
    qtbot.mouseClick(window.day.details.reschedule_button, Qt.MouseButton.LeftButton)
    move = window.reschedule_dialog
    assert move is not None and move.isVisible()
    qtbot.waitUntil(lambda: move.times.count() > 1, timeout=5_000)
    move.times.setCurrentRow(move.times.count() - 1)
    new_start = move.times.currentItem().data(Qt.ItemDataRole.UserRole).start
    qtbot.keyClick(move.times, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.notice.text().startswith("Moved"), timeout=5_000)
    assert window.notice.text().startswith(f"Moved {entry.patient_name} with Dr ")
    said = f"on {_when(new_start)} (from {_when(entry.start)}), {entry.type_name}."
    assert said in window.notice.text()
    qtbot.waitUntil(
        lambda: (
            window.day.details.entry is not None
            and window.day.details.entry.id == entry.id
            and window.day.details.entry.start == new_start
        ),
        timeout=5_000,
    )


def test_enter_in_the_record_saves_and_never_closes_it(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    panel = _open_panel(qtbot, window, None)
    qtbot.keyClicks(panel.search, "quimby")
    qtbot.waitUntil(lambda: panel.results.count() == 1, timeout=5_000)
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.record is not None and panel.record.id == zelda.id, timeout=5_000)
    panel.phone.setFocus()
    qtbot.keyClicks(panel.phone, "0412 321 987")
    qtbot.keyClick(panel.phone, Qt.Key.Key_Return)
    assert panel.isVisible()
    qtbot.waitUntil(lambda: panel.details_message.text().startswith("Saved"), timeout=5_000)
    assert patients.get_patient(demo_ctx, zelda.id).details.phone == "+61412321987"


def test_the_past_tab_shows_the_whole_status_column_at_1366_by_768(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics

    from montu_desktop.services.booking import cancel_appointment, set_note

    window.resize(1366, 768)
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    set_note(demo_ctx, entry.id, "Asked for a longer visit next time, with the interpreter")
    cancel_appointment(demo_ctx, entry.id, "Moved interstate, will see a GP closer to home")
    panel = _open_panel(qtbot, window, entry.patient_id)
    assert panel.width() <= 1366 and panel.height() <= 768
    panel.appointment_tabs.setCurrentWidget(panel.past)
    table = panel.past
    qtbot.waitUntil(lambda: table.isVisible() and table.rowCount() >= 1, timeout=5_000)
    qtbot.wait(50)  # let the layout settle

    header = table.horizontalHeader()
    status = 3
    left, width = header.sectionViewportPosition(status), header.sectionSize(status)
    assert left >= 0 and left + width <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()
    text = table.item(0, status).text()
    assert text == "cancelled (Moved interstate, will see a GP closer to home)"
    wrapped = QFontMetrics(table.font()).boundingRect(
        QRect(0, 0, width - 8, 0), Qt.TextFlag.TextWordWrap, text
    )
    assert wrapped.width() <= width - 8 and wrapped.height() <= table.rowHeight(0)


def test_the_desk_refuses_control_characters_and_limits_search_and_dates(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    """The service's refusal reaches the desk in its words; the desk cannot type past limits."""
    from PySide6.QtCore import QDate

    from montu_desktop.domain.clinic_time import FIRST_DAY, LAST_DAY
    from montu_desktop.domain.patients import SEARCH_MAX_CHARS

    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    panel = _open_panel(qtbot, window, entry.patient_id)
    before = patients.get_patient(demo_ctx, entry.patient_id).details
    panel.family.setText("Lee\u202eeeL")  # pasted with a right-to-left override
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.details_message.text() != "", timeout=5_000)
    assert "must not contain control characters (U+202E found)" in panel.details_message.text()
    assert patients.get_patient(demo_ctx, entry.patient_id).details == before

    assert panel.search.maxLength() == SEARCH_MAX_CHARS
    panel.search.setText("a" * 100_000)
    assert len(panel.search.text()) == SEARCH_MAX_CHARS
    for edit in (window.day.date_edit, window.week.date_edit):
        assert (edit.minimumDate(), edit.maximumDate()) == (QDate(FIRST_DAY), QDate(LAST_DAY))
