"""The flow board with the real widgets at 1366×768 (issue 28, feature 17): the waiting room
shows each stage with its minutes, its buttons and Enter move a patient on or back one stage
through the domain's rules, and the day book's doctor column says who is in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.model import AppointmentStatus as S
from montu_desktop.domain.visits import EARLY_ARRIVAL
from montu_desktop.services import booking
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations
from tests.support.clock import FixedClock

SHOTS = Path(os.environ.get("MONTU_SCREENSHOTS", "/tmp/montu-screenshots"))


@pytest.fixture
def desk(qtbot: QtBot, sqlite_ctx: ServiceContext) -> Iterator[MainWindow]:
    create_demo_clinic(sqlite_ctx, doctors=4, weeks=1, seed=2)
    win = MainWindow(sqlite_ctx)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=10_000):
        win.start()
    qtbot.waitUntil(lambda: win.day.model.book is not None, timeout=10_000)
    yield win
    wait_for_operations()


def _stage(desk: MainWindow, appointment_id: int) -> str:
    model = desk.waiting.waiting_model
    column = model.columns.index("Stage")
    for row, visit in enumerate(model.visits):
        if visit.appointment_id == appointment_id:
            return str(model.data(model.index(row, column)))
    return ""


def _select(desk: MainWindow, appointment_id: int) -> None:
    model = desk.waiting.waiting_model
    row = next(r for r, v in enumerate(model.visits) if v.appointment_id == appointment_id)
    desk.waiting.waiting.setFocus()
    desk.waiting.waiting.selectRow(row)


def test_the_waiting_room_moves_patients_through_every_stage(
    qtbot: QtBot, desk: MainWindow, sqlite_ctx: ServiceContext, clock: FixedClock
) -> None:
    today = desk.today()
    clock.advance(hours=2, minutes=30)  # 09:30: patients due by 10:30 may be marked arrived
    soon = [
        e
        for e in day_book(sqlite_ctx, today).appointments
        if e.status is S.BOOKED and e.start <= clock() + EARLY_ARRIVAL
    ]
    waiting, called, inside, gone = sorted(soon, key=lambda e: (e.start, e.id))[:4]
    for entry in (waiting, called, inside, gone):
        booking.set_status(sqlite_ctx, entry.id, S.ARRIVED)
    clock.advance(minutes=5)
    booking.set_status(sqlite_ctx, called.id, S.CALLED_IN)
    booking.set_status(sqlite_ctx, inside.id, S.CALLED_IN)
    clock.advance(minutes=1)
    booking.set_status(sqlite_ctx, inside.id, S.IN_CONSULTATION)
    booking.set_status(sqlite_ctx, gone.id, S.DID_NOT_WAIT)
    clock.advance(minutes=9)
    with qtbot.waitSignal(desk.refreshed, timeout=10_000):
        desk.refresh()
    desk.show_tab(desk.waiting)
    panel = desk.waiting
    qtbot.waitUntil(lambda: panel.waiting_model.rowCount() >= 3, timeout=10_000)
    assert _stage(desk, waiting.id) == "Waiting 15 min (amber at 15)"
    assert _stage(desk, called.id) == "Called in 10 min"
    assert _stage(desk, inside.id) == "In consultation 9 min"
    assert _stage(desk, gone.id) == ""  # left: not in the building, not still to come
    assert gone.id not in {v.appointment_id for v in panel.expected_model.visits}
    assert "1 called in, 1 in consultation" in panel.summary.text()

    # The day book's column of the doctor with a patient in says who.
    def header_of_inside_doctor() -> str:
        book = desk.day.model.book
        assert book is not None
        column = next(i for i, d in enumerate(book.doctors) if d.id == inside.doctor_id)
        return str(desk.day.model.headerData(column, Qt.Orientation.Horizontal))

    # The day book reloads after the waiting room: wait for its answer, then read it.
    qtbot.waitUntil(
        lambda: header_of_inside_doctor().replace("\n", " ").endswith(f"in: {inside.patient_name}"),
        timeout=10_000,
    )
    book = desk.day.model.book
    assert book is not None
    other = next(i for i, d in enumerate(book.doctors) if d.id != inside.doctor_id)
    assert "in:" not in desk.day.model.headerData(other, Qt.Orientation.Horizontal)

    SHOTS.mkdir(parents=True, exist_ok=True)
    assert desk.grab().save(str(SHOTS / "flow_board_waiting_room.png"))
    desk.show_tab(desk.day)
    qtbot.wait(50)
    assert desk.grab().save(str(SHOTS / "flow_board_day_book.png"))
    desk.show_tab(desk.waiting)

    # The buttons offer what the domain allows the selected patient now.
    _select(desk, inside.id)
    assert panel.seen_button.isEnabled() and panel.back_button.isEnabled()
    assert not panel.did_not_wait_button.isEnabled()
    assert panel.did_not_wait_button.toolTip() == (
        "Not now: an appointment that is in consultation cannot become a did-not-wait"
    )
    _select(desk, waiting.id)
    assert panel.call_in_button.isEnabled() and panel.did_not_wait_button.isEnabled()
    with qtbot.waitSignal(desk.refreshed, timeout=10_000):
        qtbot.mouseClick(panel.call_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage(desk, waiting.id) == "Called in 0 min", timeout=10_000)
    # Enter steps on: called in → in consultation.
    _select(desk, waiting.id)
    with qtbot.waitSignal(desk.refreshed, timeout=10_000):
        qtbot.keyClick(panel.waiting, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _stage(desk, waiting.id) == "In consultation 0 min", timeout=10_000)
    # Back a stage undoes the last step only.
    _select(desk, waiting.id)
    with qtbot.waitSignal(desk.refreshed, timeout=10_000):
        qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage(desk, waiting.id) == "Called in 0 min", timeout=10_000)
    # The patient called in leaves unseen.
    _select(desk, called.id)
    with qtbot.waitSignal(desk.refreshed, timeout=10_000):
        qtbot.mouseClick(panel.did_not_wait_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage(desk, called.id) == "", timeout=10_000)
    statuses = {e.id: e.status for e in day_book(sqlite_ctx, today).appointments}
    assert (statuses[waiting.id], statuses[called.id]) == (S.CALLED_IN, S.DID_NOT_WAIT)
    assert (statuses[inside.id], statuses[gone.id]) == (S.IN_CONSULTATION, S.DID_NOT_WAIT)


def test_arrived_in_the_waiting_room_is_disabled_too_early_and_says_why(
    qtbot: QtBot, desk: MainWindow, clock: FixedClock
) -> None:
    # Found in the trial: at 06:55 the waiting room's Arrived button was enabled for an 08:00
    # patient and answered with a warning box; the day book's says why before it is pressed.
    desk.show_tab(desk.waiting)
    panel = desk.waiting
    qtbot.waitUntil(lambda: panel.expected_model.rowCount() > 0, timeout=10_000)
    assert not panel.arrived_button.isEnabled()  # nobody selected yet
    first = panel.expected_model.visit(0)
    assert first is not None and clock() < first.starts_at - EARLY_ARRIVAL
    panel.expected.selectRow(0)
    assert not panel.arrived_button.isEnabled()
    assert panel.arrived_button.toolTip().startswith("Not now: ")
    assert "an hour before" in panel.arrived_button.toolTip()

    clock.now = first.starts_at - EARLY_ARRIVAL
    panel.tick()
    assert panel.arrived_button.isEnabled()
    assert panel.arrived_button.toolTip() == f"{first.patient_name} is here (Enter)"
