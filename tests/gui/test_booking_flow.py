"""Booking from the week grid with the keyboard alone, and losing a race without losing input."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.booking_view import free_doctors_at
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.patients import add_patient, find_patients
from montu_desktop.ui.layout import CellKind
from montu_desktop.ui.main_window import MainWindow

ZONE = "Australia/Melbourne"


def _select_free_cell(window: MainWindow, row: int, column: int) -> None:
    grid = window.week.model.grid
    assert grid is not None
    for r in range(row, len(grid.times)):
        if grid.cell(r, column).bookable:
            window.week.select(r, column)
            return
    raise AssertionError("no free cell in that column")


def test_keyboard_only_booking_shows_in_grid_and_day_book(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    patient = add_patient(demo_ctx, PatientDetails("Zelda", "Quimby", phone="0412 345 678"))
    _select_free_cell(window, 8, 1)  # Tuesday from 10:00
    cell = window.week.selected_cell()
    assert cell is not None and cell.start is not None
    free_before = cell.free
    window.week.table.setFocus()

    qtbot.keyClick(window.week.table, Qt.Key.Key_Return)
    dialog = window.booking_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.search.hasFocus, timeout=3_000)
    qtbot.keyClicks(dialog.search, "quimby")
    qtbot.waitUntil(lambda: dialog.selected_patient_id() == patient.id, timeout=5_000)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.booked is not None and not dialog.isVisible()

    booked = dialog.booked
    assert booked.patient_id == patient.id and booked.start == cell.start
    row, column = window.week.model.grid.position_of(cell.start)  # type: ignore[union-attr,misc]
    after = window.week.model.cell(window.week.model.index(row, column))
    assert after is not None
    if free_before == 1:
        assert after.kind is CellKind.UNAVAILABLE
    else:
        assert after.free == free_before - 1
    qtbot.waitUntil(lambda: window.day.model.index_of_entry(booked.id).isValid(), timeout=5_000)
    index = window.day.model.index_of_entry(booked.id)
    assert window.day.model.data(index) == "Zelda Quimby"
    assert window.day.model.times[index.row()] == to_local(booked.start, ZONE).time()
    assert window.day.details.entry is not None and window.day.details.entry.id == booked.id


def test_losing_the_race_keeps_the_input_and_offers_nearest_free_times(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    _select_free_cell(window, 4, 2)  # Wednesday from 09:00
    cell = window.week.selected_cell()
    assert cell is not None and cell.start is not None
    dialog = window.open_booking(cell.start, window.week.type_name)
    assert dialog is not None
    dialog.new_patient_box.setChecked(True)
    typed = {
        dialog.given: "Ignatius",
        dialog.family: "Racer",
        dialog.birth: "02/03/1981",
        dialog.phone: "0412 999 888",
        dialog.email: "ig@example.com",
    }
    for field, text in typed.items():
        field.clear()
        qtbot.keyClicks(field, text)

    # Another desk books every free doctor at that time first.
    other = find_patients(demo_ctx, "Nguyen") or find_patients(demo_ctx, "Smith")
    for doctor, patient in zip(
        free_doctors_at(demo_ctx, "Standard", cell.start), other, strict=False
    ):
        book_appointment(demo_ctx, BookingRequest("Standard", cell.start, patient.id, doctor.id))
    assert not free_doctors_at(demo_ctx, "Standard", cell.start)

    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.alternatives.count() > 0, timeout=10_000)
    assert dialog.isVisible() and dialog.booked is None
    assert "just booked" in dialog.message.text()
    assert {field: field.text() for field in typed} == typed
    assert dialog.new_patient_box.isChecked()
    first_choice = dialog.alternatives.item(0).data(Qt.ItemDataRole.UserRole)
    assert first_choice != cell.start and free_doctors_at(demo_ctx, "Standard", first_choice)

    dialog.alternatives.setCurrentRow(0)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=10_000)
    assert dialog.booked.start == first_choice  # type: ignore[union-attr]
    assert len(find_patients(demo_ctx, "Racer")) == 1  # the patient was added once only


def test_bad_new_patient_input_is_named_and_nothing_is_booked(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    _select_free_cell(window, 4, 1)
    cell = window.week.selected_cell()
    assert cell is not None and cell.start is not None
    dialog = window.open_booking(cell.start, window.week.type_name)
    assert dialog is not None
    dialog.new_patient_box.setChecked(True)
    qtbot.keyClicks(dialog.given, "Nobody")
    qtbot.keyClicks(dialog.birth, "31/02/1990")
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    # Both wrong fields at once (the family name was left empty), the cursor in the first.
    assert dialog.message.text().startswith("Nothing was booked: correct Family name, Date of")
    assert dialog.field_errors["family_name"].text() == "Must not be empty"
    assert "not a date like" in dialog.field_errors["date_of_birth"].text()
    assert dialog.focusWidget() is dialog.family
    assert dialog.isVisible() and dialog.booked is None
    day = to_local(cell.start, ZONE).date()
    assert all(e.patient_name != "Nobody" for e in day_book(demo_ctx, day).appointments)
    _ = date, datetime, UTC
