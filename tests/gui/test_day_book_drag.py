"""Moving an appointment by dragging its block in the day book (issue 28, item 19).

Real mouse presses, moves and releases on the day book's grid at coordinates taken from
its geometry; the move goes through the Reschedule service, so its refusals are its own.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import patients
from montu_desktop.services.booking import BookingRequest, book_appointment, reschedule_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBookEntry, day_book
from montu_desktop.services.move_options import move_options
from montu_desktop.ui.appointment_dialogs import when_words
from montu_desktop.ui.day_book_delegate import block_span
from montu_desktop.ui.drop_moves import refusal_words
from montu_desktop.ui.main_window import MainWindow

ZONE = "Australia/Melbourne"


def _tomorrow(ctx: ServiceContext) -> date:
    return to_local(ctx.clock(), ZONE).date() + timedelta(days=1)


def _show_day(qtbot: QtBot, window: MainWindow, day: date) -> None:
    window.resize(1366, 768)
    window.show_tab(window.day)
    window.load_day(day)
    qtbot.waitUntil(lambda: window.day.day == day, timeout=10_000)


def _centre(window: MainWindow, index: QModelIndex) -> QPoint:
    """Where `index` is on screen (scrolled into view first), in the grid's coordinates."""
    table = window.day.table
    table.scrollTo(index)
    return table.visualRect(index).center()


def _press_block(window: MainWindow, entry: DayBookEntry) -> QPoint:
    at = _centre(window, window.day.model.index_of_entry(entry.id))
    viewport = window.day.table.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QTest.mouseMove(viewport, at + QPoint(0, 12))  # past the drag distance: a drag begins
    assert window.day.drag.dragging
    return at


def _drag_to(window: MainWindow, row: int, column: int) -> QPoint:
    at = _centre(window, window.day.model.index(row, column))
    QTest.mouseMove(window.day.table.viewport(), at)
    return at


def _drop(window: MainWindow, at: QPoint) -> None:
    viewport = window.day.table.viewport()
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)


def _where(ctx: ServiceContext, entry_id: int) -> tuple[object, int]:
    moved = next(e for e in day_book(ctx, _tomorrow(ctx)).appointments if e.id == entry_id)
    return moved.start, moved.doctor_id


def _booked(window: MainWindow) -> list[DayBookEntry]:
    book = window.day.model.book
    assert book is not None
    return [e for e in book.appointments if e.status is AppointmentStatus.BOOKED]


def test_a_block_dragged_to_another_doctors_free_time_moves_and_undo_puts_it_back(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    day = _tomorrow(demo_ctx)
    _show_day(qtbot, window, day)
    model, book = window.day.model, window.day.model.book
    assert book is not None
    # A free time of another doctor that day, as the Reschedule dialog would list it.
    entry, option, doctor = next(
        (e, o, d)
        for e in _booked(window)
        for o in move_options(demo_ctx, e.id, day, 1)
        for d in o.doctors
        if d.id != e.doctor_id
    )
    row = next(
        r for r in range(model.rowCount()) if model.cell(model.index(r, 0)).start == option.start
    )
    column = [d.id for d in book.doctors].index(doctor.id)

    _press_block(window, entry)
    at = _drag_to(window, row, column)
    # While dragging, the drop indicator says the time and the doctor where it would land.
    indicator = window.day.drag.indicator
    local = to_local(option.start, ZONE)
    assert indicator.isVisible()
    assert indicator.words.startswith(f"Move to {local:%H:%M}–")
    assert indicator.words.endswith(f"with {doctor.name}")
    assert window.day.drag.target is not None and window.day.drag.target.doctor_id == doctor.id
    _drop(window, at)
    assert not indicator.isVisible()

    moved_line = (
        f"Moved {entry.patient_name} with {doctor.name} on {when_words(option.start, ZONE)}"
        f" (from {when_words(entry.start, ZONE)}), {entry.type_name}."
    )
    qtbot.waitUntil(lambda: window.notice.text() == moved_line, timeout=10_000)
    assert _where(demo_ctx, entry.id) == (option.start, doctor.id)
    # The day book reloads with the block in its new column, selected.
    qtbot.waitUntil(
        lambda: (
            model.index_of_entry(entry.id).column() == column
            and model.index_of_entry(entry.id).row() == row
        ),
        timeout=10_000,
    )
    undo = window.drops.undo.button
    assert undo.isVisible() and undo.text() == "Undo move"

    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice.text().startswith("Move undone:"), timeout=10_000)
    assert _where(demo_ctx, entry.id) == (entry.start, entry.doctor_id)
    assert window.notice.text() == (
        f"Move undone: {entry.patient_name} is back with "
        f"{next(d.name for d in book.doctors if d.id == entry.doctor_id)}"
        f" on {when_words(entry.start, ZONE)}."
    )
    assert not undo.isVisible()  # once only: the notice now says something else


def test_a_drop_on_a_booked_time_is_refused_in_the_services_words(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    day = _tomorrow(demo_ctx)
    _show_day(qtbot, window, day)
    model = window.day.model
    booked = _booked(window)
    # Another doctor's appointment of another patient: its first row is booked.
    entry, other = next(
        (a, b)
        for a in booked
        for b in booked
        if a.doctor_id != b.doctor_id and a.patient_id != b.patient_id
    )
    target = model.index_of_entry(other.id)
    before = _where(demo_ctx, entry.id)
    home = model.index_of_entry(entry.id)
    with pytest.raises(MontuError) as refusal:  # what the service says to that move
        reschedule_appointment(demo_ctx, entry.id, other.start, other.doctor_id)
    notice_before = window.notice.text()

    _press_block(window, entry)
    at = _drag_to(window, target.row(), target.column())
    assert window.day.drag.target is not None and window.day.drag.target.start == other.start
    _drop(window, at)
    line = f"Not moved: {refusal_words(refusal.value)}"
    assert line == "Not moved: Time: the requested doctor is already booked at that time."
    qtbot.waitUntil(lambda: window.notice.text() == line, timeout=10_000)
    assert window.notice.text() != notice_before and "\n" not in line
    assert _where(demo_ctx, entry.id) == before
    assert model.index_of_entry(entry.id) == home  # the block stays where it was
    assert not window.drops.undo.button.isVisible()

    # Dropped where it was, or a drag cancelled with Escape: nothing is asked for.
    asked: list[object] = []
    window.day.drag.dropped.connect(asked.append)
    start = _press_block(window, entry)
    at = _drag_to(window, home.row(), home.column())
    assert window.day.drag.target is not None and window.day.drag.target.same_place
    assert window.day.drag.indicator.words.endswith("where it is now")
    _drop(window, at)
    _press_block(window, entry)
    _drag_to(window, target.row(), target.column())
    QTest.keyClick(window.day.table, Qt.Key.Key_Escape)
    assert not window.day.drag.dragging and not window.day.drag.indicator.isVisible()
    _drop(window, start)
    assert asked == []
    assert _where(demo_ctx, entry.id) == before


def test_a_move_by_reschedule_can_be_undone_from_the_keyboard_too(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    day = _tomorrow(demo_ctx)
    _show_day(qtbot, window, day)
    entry = _booked(window)[0]
    assert window.day.select_entry(entry.id)
    qtbot.mouseClick(window.day.details.reschedule_button, Qt.MouseButton.LeftButton)
    move = window.reschedule_dialog
    assert move is not None
    qtbot.waitUntil(lambda: move.times.count() > 1, timeout=10_000)
    move.times.setCurrentRow(1)
    new_start = move.times.currentItem().data(Qt.ItemDataRole.UserRole).start
    qtbot.keyClick(move.times, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.drops.undo.button.isVisible(), timeout=10_000)
    assert window.notice.text().startswith(f"Moved {entry.patient_name} with ")
    assert _where(demo_ctx, entry.id)[0] == new_start

    window.activateWindow()  # back at the desk from the dialog: Ctrl+Z puts it back
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    window.day.table.setFocus()
    qtbot.keyClick(window.day.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.notice.text().startswith("Move undone:"), timeout=10_000)
    assert _where(demo_ctx, entry.id) == (entry.start, entry.doctor_id)


def test_the_block_held_of_two_sharing_a_slot_is_the_one_that_moves(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    """A work-in beside a booking: pressed in its own narrower lane, it is what moves."""
    day = _tomorrow(demo_ctx)
    first = next(e for e in day_book(demo_ctx, day).appointments if e.minutes >= 15)
    squeezed = patients.add_patient(demo_ctx, PatientDetails("Sam", "Squeezed"))
    work_in = book_appointment(
        demo_ctx,
        BookingRequest(
            first.type_name, first.start, squeezed.id, first.doctor_id, work_in_reason="urgent"
        ),
    )
    _show_day(qtbot, window, day)
    model, table = window.day.model, window.day.table
    qtbot.waitUntil(lambda: model.blocks.get(work_in.id) is not None, timeout=10_000)
    option = next(
        o
        for o in move_options(demo_ctx, work_in.id, day, 1)
        if any(d.id == first.doctor_id for d in o.doctors)
    )
    row = next(
        r for r in range(model.rowCount()) if model.cell(model.index(r, 0)).start == option.start
    )
    column = model.index_of_entry(first.id).column()
    index = model.index_of_entry(first.id)
    table.scrollTo(index)
    rect = table.visualRect(index)
    left, width = block_span(rect, model.blocks[work_in.id])
    held = QPoint(left + width // 2, rect.center().y())
    viewport = table.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, held)
    QTest.mouseMove(viewport, held + QPoint(0, 12))
    target = window.day.drag.target
    assert target is not None and target.entry.id == work_in.id
    _drop(window, _drag_to(window, row, column))
    qtbot.waitUntil(lambda: window.notice.text().startswith("Moved Sam Squeezed"), timeout=10_000)
    assert _where(demo_ctx, work_in.id) == (option.start, first.doctor_id)
    assert _where(demo_ctx, first.id) == (first.start, first.doctor_id)
