"""Enter books only the patient shown for the text now typed, with the real debounce timer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import booking_view, patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import PatientRecord, add_patient, find_patients
from montu_desktop.ui.booking_dialog import BookingDialog
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.wording import SEARCH_DELAY_MS

SLOW_SEARCH_S = 0.4


def _slowed(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, seconds: float
) -> list[tuple[Any, ...]]:
    """Make a service call sleep first, like a busy server; returns the calls finished."""
    real: Callable[..., Any] = getattr(module, name)
    finished: list[tuple[Any, ...]] = []
    lock = threading.Lock()

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        result = real(*args, **kwargs)
        with lock:
            finished.append(args)
        return result

    monkeypatch.setattr(module, name, slow)
    return finished


def _open_dialog(
    window: MainWindow, also: Callable[[Any], bool] = lambda _start: True
) -> BookingDialog:
    grid = window.week.model.grid
    assert grid is not None
    for row in range(8, len(grid.times)):
        cell = grid.cell(row, 1)  # Tuesday, from 10:00
        if cell.bookable and cell.start is not None and also(cell.start):
            window.week.select(row, 1)
            dialog = window.open_booking(cell.start, window.week.type_name)
            assert dialog is not None
            return dialog
    raise AssertionError("no free time on Tuesday")


@pytest.fixture
def ava_singh(demo_ctx: ServiceContext) -> PatientRecord:
    # The demo clinic has Ava Anderson (first for "ava") and no Ava Singh.
    assert find_patients(demo_ctx, "ava")[0].display_name == "Anderson, Ava"
    return add_patient(demo_ctx, PatientDetails("Ava", "Singh", phone="0412 000 111"))


def test_the_trial_sequence_books_ava_singh_never_ava_anderson(
    qtbot: QtBot,
    window: MainWindow,
    demo_ctx: ServiceContext,
    ava_singh: PatientRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _slowed(monkeypatch, patients, "find_patients", SLOW_SEARCH_S)
    dialog = _open_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    qtbot.keyClicks(dialog.search, "ava")
    qtbot.wait(1_000)  # the pause: the list now shows the answer for "ava"
    assert dialog.search_settled()
    assert dialog.results.currentItem().text().startswith("Anderson, Ava")

    qtbot.keyClicks(dialog.search, " singh")
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)  # at once, before the new answer
    assert dialog.booked is None and dialog.isVisible()
    assert dialog.message.text().startswith("Searching…")
    assert dialog.selected_patient_id() is None  # the "ava" highlight no longer counts
    assert not dialog.results.isEnabled()  # greyed: it belongs to older text

    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=5_000)
    assert dialog.booked is not None and dialog.booked.patient_id == ava_singh.id
    anderson = find_patients(demo_ctx, "ava anderson")[0]
    assert dialog.booked.patient_id != anderson.id


def test_an_answer_for_older_text_is_thrown_away(
    qtbot: QtBot,
    window: MainWindow,
    ava_singh: PatientRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finished = _slowed(monkeypatch, patients, "find_patients", SLOW_SEARCH_S)
    dialog = _open_dialog(window)
    qtbot.keyClicks(dialog.search, "ava")
    # The debounce fires and the "ava" search starts; more is typed while it runs.
    qtbot.wait(SEARCH_DELAY_MS + 100)
    assert not finished
    qtbot.keyClicks(dialog.search, " singh")
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=5_000)
    qtbot.wait(50)  # let the "ava" answer reach the dialog
    assert dialog.matching_count() == 0 and dialog.selected_patient_id() is None
    assert dialog.search_state.text() == "Searching…"
    qtbot.waitUntil(dialog.search_settled, timeout=5_000)
    assert dialog.matching_count() == 1
    assert dialog.selected_patient_id() == ava_singh.id
    assert dialog.search_state.text() == ""


def test_enter_on_several_matches_waits_then_asks_to_look(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slowed(monkeypatch, patients, "find_patients", SLOW_SEARCH_S)
    dialog = _open_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    qtbot.keyClicks(dialog.search, "ava")
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text().startswith("Searching…")
    qtbot.waitUntil(dialog.search_settled, timeout=5_000)
    qtbot.wait(300)
    assert dialog.booked is None and dialog.isVisible()
    assert "patients match “ava”" in dialog.message.text()
    assert "press Enter again" in dialog.message.text()

    # Now that the receptionist has seen the list, Enter books the highlighted patient.
    chosen = dialog.selected_patient_id()
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=5_000)
    assert dialog.booked is not None and dialog.booked.patient_id == chosen


def test_book_waits_for_the_doctor_list_after_the_type_changes(
    qtbot: QtBot,
    window: MainWindow,
    demo_ctx: ServiceContext,
    ava_singh: PatientRecord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    types = [t.name for t in window.types if t.active and t.name != window.week.type_name]
    dialog = _open_dialog(
        window, lambda start: bool(booking_view.free_doctors_at(demo_ctx, types[0], start))
    )
    qtbot.keyClicks(dialog.search, "ava singh")
    qtbot.waitUntil(lambda: dialog.selected_patient_id() == ava_singh.id, timeout=5_000)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    other = dialog.type_box.findData(types[0])
    loaded = _slowed(monkeypatch, booking_view, "free_doctors_at", SLOW_SEARCH_S)
    dialog.type_box.setCurrentIndex(other)
    wanted_type = dialog.type_name
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert not dialog.doctors_settled() and not dialog.doctor_box.isEnabled()
    assert dialog.message.text().startswith("Searching… the booking waits for the doctors")
    assert dialog.booked is None
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=5_000)
    assert loaded, "the doctor list for the new type was loaded before booking"
    assert dialog.booked is not None and dialog.booked.type_name == wanted_type
    assert dialog.booked.patient_id == ava_singh.id


def test_a_doctor_no_longer_free_is_never_swapped_silently(
    qtbot: QtBot, window: MainWindow, ava_singh: PatientRecord
) -> None:
    dialog = _open_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    assert dialog.doctor_box.count() > 1
    dialog.doctor_box.setCurrentIndex(1)
    doctor_name = dialog.doctor_box.currentText()
    qtbot.keyClicks(dialog.search, "ava singh")
    qtbot.waitUntil(dialog.search_settled, timeout=5_000)
    # The doctor list comes back without the doctor chosen (as after a type change).
    dialog._book_when_ready = True
    dialog._show_doctors(dialog.type_name, dialog.start, [])
    assert dialog.booked is None
    assert dialog.message.text().startswith(f"{doctor_name} is not free")
    assert dialog.doctor_box.currentData() is None


def test_book_with_nothing_found_says_so_instead_of_waiting(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = _open_dialog(window)
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)  # nothing typed yet
    assert dialog.message.text() == "Patient: find the patient first, or tick New patient."
    qtbot.keyClicks(dialog.search, "zzzqqq")
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.search_settled, timeout=5_000)
    assert dialog.message.text() == "No patient matches “zzzqqq”: nothing was booked."
    assert dialog.booked is None and dialog.isVisible()


def test_an_open_dialog_follows_another_desks_booking_of_its_time(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, ava_singh: PatientRecord
) -> None:
    """The free doctors and the fair choice's words follow the change feed while the dialog
    is open: never "least booked of 2 free" once another desk took one of them."""
    from montu_desktop.domain.op_changes import ChangeKind
    from montu_desktop.persistence.engine import Database
    from montu_desktop.services.booking import BookingRequest, book_appointment

    dialog = _open_dialog(
        window,
        lambda start: len(booking_view.free_doctors_at(demo_ctx, "Standard", start)) >= 2,
    )
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    before = {dialog.doctor_box.itemData(i) for i in range(1, dialog.doctor_box.count())}
    assert len(before) >= 2
    taken = sorted(before)[0]
    other_desk = ServiceContext(Database(demo_ctx.database.url), clock=demo_ctx.clock)
    try:
        book_appointment(
            other_desk, BookingRequest(dialog.type_name, dialog.start, ava_singh.id, taken)
        )
    finally:
        other_desk.database.dispose()
    # What Book would wait for just after the dialog starts reloading its doctors (the
    # reload's answer can come back within one turn of the event loop, so it is read there).
    waited: list[str | None] = []
    reload_doctors = dialog.refresh_doctors

    def reloading() -> None:
        reload_doctors()
        waited.append(dialog.waiting_for())

    dialog.refresh_doctors = reloading  # type: ignore[method-assign]
    window.refresh(ChangeKind.APPOINTMENTS)  # as the live feed does on hearing it
    qtbot.waitUntil(lambda: bool(waited), timeout=5_000)
    assert waited[0] == "the doctors free at this time"  # Book waits meanwhile
    qtbot.waitUntil(dialog.doctors_settled, timeout=5_000)
    after = {dialog.doctor_box.itemData(i) for i in range(1, dialog.doctor_box.count())}
    assert after == before - {taken}
    assert f"{len(after)} free" in dialog.why_label.text() or len(after) == 1
