"""The desk's side of scheduling: held cells in the week grid, the urgent booking, why the
fair choice chose, and the waitlist offered when time is freed (screenshots kept in /tmp)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services import waitlist
from montu_desktop.services.admin import holds
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, doctors
from montu_desktop.ui.booking_dialog import BookingDialog
from montu_desktop.ui.layout import CellKind, week_grid
from montu_desktop.ui.operations import wait_for_operations
from montu_desktop.ui.waitlist_dialog import WaitlistDialog
from montu_desktop.ui.week_model import cell_explanation, cell_text
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic

SHOTS = Path(os.environ.get("MONTU_SHOTS", "/tmp"))


@pytest.fixture(autouse=True)
def _operations_finish(qtbot: QtBot) -> Iterator[None]:
    """Background reads still running must end before the test's database is closed."""
    yield
    wait_for_operations()
    qtbot.wait(10)


TUESDAY = date(2026, 11, 24)
ZONE = "Australia/Melbourne"


def test_held_time_is_its_own_kind_of_cell_and_an_urgent_booking_takes_it(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    (a,) = tiny_clinic(sqlite_ctx, doctors=1)
    holds.add_hold(sqlite_ctx, a, TUESDAY.weekday(), time(11), time(11, 30))
    week = week_availability(sqlite_ctx, "Standard", TUESDAY)
    grid = week_grid(week.days, ZONE, 15, closed_reasons=week.closed_reasons)
    row, column = grid.position_of(at(TUESDAY, 11))  # type: ignore[misc]
    held = grid.cell(row, column)
    assert held.kind is CellKind.HELD and held.urgent_only and not held.bookable
    assert cell_text(held) == "Held: urgent"
    assert "urgent" in cell_explanation(held)
    sunday = grid.cell(0, 6)
    assert sunday.kind is CellKind.CLOSED

    (p,) = new_patients(sqlite_ctx, 1)
    dialog = BookingDialog(
        sqlite_ctx, appointment_types(sqlite_ctx), "Standard", at(TUESDAY, 11), ZONE
    )
    qtbot.addWidget(dialog)
    qtbot.wait(300)
    assert dialog.doctor_box.count() == 1  # held: nobody to offer an ordinary booking
    dialog.urgent.setChecked(True)
    qtbot.waitUntil(lambda: dialog.doctor_box.count() == 2, timeout=3000)  # Dr A is offered
    assert dialog.why_label.text() == "Any doctor: the least booked of 1 free (Dr A 0 min of 3 h)"
    item = QListWidgetItem("Pat0 Tester")
    item.setData(Qt.ItemDataRole.UserRole, p)
    dialog.results.addItem(item)
    dialog.results.setCurrentRow(0)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.try_book()
    assert dialog.booked is not None and dialog.booked.doctor_id == a
    assert dialog.why_text(dialog.booked) == "Dr A: 0 min of 3 h booked, the only one free"


def test_a_cancellation_offers_the_waitlisted_patient_who_fits(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx, doctors=2)
    first, second, waiting = new_patients(sqlite_ctx, 3)
    booked = book_appointment(sqlite_ctx, BookingRequest("Long", at(TUESDAY, 10), first))
    book_appointment(sqlite_ctx, BookingRequest("Long", at(TUESDAY, 10), second))
    entry = waitlist.add_to_waitlist(
        sqlite_ctx, waiting, "Long", part="morning", note="can come at short notice"
    )
    cancel_appointment(sqlite_ctx, booked.id)
    dialog = WaitlistDialog(
        sqlite_ctx,
        [],
        doctors(sqlite_ctx),
        ZONE,
        freed=("Long", at(TUESDAY, 10)),
    )
    qtbot.addWidget(dialog)
    dialog.resize(1100, 640)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    assert [e.id for e in dialog.entries] == [entry]
    dialog.grab().save(str(SHOTS / "w15-waitlist.png"))
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.book_selected()
    assert dialog.booked is not None and dialog.booked.patient_id == waiting
    assert waitlist.list_waitlist(sqlite_ctx) == []
    dialog.deleteLater()  # through the event loop, not the garbage collector
    qtbot.wait(20)


def test_the_series_preview_settles_a_clash_before_booking_the_series(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx, doctors=1)
    mine, theirs = new_patients(sqlite_ctx, 2)
    middle = at(TUESDAY + timedelta(weeks=1), 10)
    book_appointment(sqlite_ctx, BookingRequest("Long", middle, theirs))
    dialog = BookingDialog(sqlite_ctx, appointment_types(sqlite_ctx), "Long", at(TUESDAY, 10), ZONE)
    qtbot.addWidget(dialog)
    dialog.resize(760, 740)
    dialog.show()
    item = QListWidgetItem("Pat0 Tester")
    item.setData(Qt.ItemDataRole.UserRole, mine)
    dialog.results.addItem(item)
    dialog.results.setCurrentRow(0)
    box = dialog.series_box
    box.repeat_box.setCurrentIndex(box.repeat_box.findData("weekly"))
    box.count.setValue(3)
    qtbot.waitUntil(lambda: dialog.waiting_for() is None, timeout=5000)
    dialog.try_book()  # not previewed yet: refused, nothing booked
    assert "preview" in dialog.message.text().lower() and appointment_count(sqlite_ctx) == 1
    dialog.preview_series()
    qtbot.waitUntil(lambda: box.table.rowCount() == 3, timeout=5000)
    assert [o.free for o in box.occurrences] == [True, False, True]
    assert box.table.item(1, 1).text().startswith("Clash: ")
    instead = box.table.cellWidget(1, 2)
    assert instead.count() >= 2  # nearby free times, then "Skip this one"
    alternative = instead.itemData(0)
    dialog.grab().save(str(SHOTS / "w15-series-preview.png"))
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.try_book()
    made = dialog.series_result
    assert made is not None and len(made.appointments) == 3
    assert [a.start for a in made.appointments] == [
        at(TUESDAY, 10),
        alternative,
        at(TUESDAY + timedelta(weeks=2), 10),
    ]
    assert appointment_count(sqlite_ctx) == 4


def test_the_waitlist_window_books_the_earliest_fit_of_a_waiting_patient(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx, doctors=1)
    (waiting,) = new_patients(sqlite_ctx, 1)
    wednesday = TUESDAY + timedelta(days=1)
    entry = waitlist.add_to_waitlist(sqlite_ctx, waiting, "Long", from_day=wednesday)
    dialog = WaitlistDialog(sqlite_ctx, appointment_types(sqlite_ctx), doctors(sqlite_ctx), ZONE)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.fits == {entry: at(wednesday, 9)}
    assert dialog.table.item(0, 6).text() == "Wed 25 Nov 09:00"
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.book_earliest_fit()
    assert dialog.booked is not None and dialog.booked.start == at(wednesday, 9)
    assert waitlist.list_waitlist(sqlite_ctx) == []
    dialog.deleteLater()  # through the event loop, not the garbage collector
    qtbot.wait(20)


def test_the_waitlist_dates_start_on_the_clinics_today(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    # Found in the trial: on a PC whose own date differs from the clinic's (a UTC machine early
    # on a Melbourne morning) "From" offered yesterday; the dates followed the PC, not the clinic.
    tiny_clinic(sqlite_ctx, doctors=1)
    dialog = WaitlistDialog(sqlite_ctx, appointment_types(sqlite_ctx), doctors(sqlite_ctx), ZONE)
    qtbot.addWidget(dialog)
    today = to_local(sqlite_ctx.clock(), ZONE).date()
    assert dialog.from_day.date().toPython() == today
    assert dialog.until_day.date().toPython() == today + timedelta(days=28)
    dialog.deleteLater()
    qtbot.wait(20)


def test_the_series_preview_says_why_a_visit_goes_to_another_doctor(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    """The series keeps its doctor when free; where it cannot, the preview says who and why."""
    first, second = tiny_clinic(sqlite_ctx, doctors=2)
    mine, theirs, other = new_patients(sqlite_ctx, 3)
    # Dr B is busy at the first visit, so the fair choice takes Dr A for the series; Dr A is
    # busy a week later.
    book_appointment(sqlite_ctx, BookingRequest("Long", at(TUESDAY, 10), other, second))
    middle = at(TUESDAY + timedelta(weeks=1), 10)
    book_appointment(sqlite_ctx, BookingRequest("Long", middle, theirs, first))
    dialog = BookingDialog(sqlite_ctx, appointment_types(sqlite_ctx), "Long", at(TUESDAY, 10), ZONE)
    qtbot.addWidget(dialog)
    dialog.resize(760, 740)
    dialog.show()
    item = QListWidgetItem("Pat0 Tester")
    item.setData(Qt.ItemDataRole.UserRole, mine)
    dialog.results.addItem(item)
    dialog.results.setCurrentRow(0)
    qtbot.waitUntil(lambda: dialog.waiting_for() is None, timeout=5000)
    box = dialog.series_box
    box.repeat_box.setCurrentIndex(box.repeat_box.findData("weekly"))
    box.count.setValue(3)
    dialog.preview_series()
    qtbot.waitUntil(lambda: box.table.rowCount() == 3, timeout=5000)
    assert [o.doctor_id for o in box.occurrences] == [first, second, first]
    assert [bool(o.other_doctor_because) for o in box.occurrences] == [False, True, False]
    assert box.table.item(0, 1).text() == "Dr A"
    assert box.table.item(1, 1).text() == "Dr B (Dr A not free then: booked)"
    dialog.reject()
    dialog.deleteLater()
    qtbot.wait(20)


def test_the_waitlist_asks_first_when_the_patient_is_already_booked_that_day(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    """The same question as the booking dialog: no one-click second visit the same day."""
    tiny_clinic(sqlite_ctx, doctors=2)
    (waiting,) = new_patients(sqlite_ctx, 1)
    wednesday = TUESDAY + timedelta(days=1)
    book_appointment(sqlite_ctx, BookingRequest("Standard", at(wednesday, 11, 15), waiting))
    entry = waitlist.add_to_waitlist(sqlite_ctx, waiting, "Long", from_day=wednesday)
    dialog = WaitlistDialog(sqlite_ctx, appointment_types(sqlite_ctx), doctors(sqlite_ctx), ZONE)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.fits == {entry: at(wednesday, 9)}
    dialog.book_earliest_fit()
    qtbot.waitUntil(lambda: dialog.same_day_question is not None, timeout=5000)
    question = dialog.same_day_question
    assert question is not None and "11:15" in question.text()
    no = next(b for b in question.buttons() if "Don" in b.text())
    no.click()
    qtbot.waitUntil(lambda: "already booked that day" in dialog.message.text(), timeout=5000)
    assert appointment_count(sqlite_ctx) == 1 and dialog.booked is None
    dialog.book_earliest_fit()
    qtbot.waitUntil(lambda: dialog.same_day_question is not question, timeout=5000)
    again = dialog.same_day_question
    assert again is not None
    another = next(b for b in again.buttons() if "another" in b.text())
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        another.click()
    assert dialog.booked is not None and dialog.booked.start == at(wednesday, 9)
    assert appointment_count(sqlite_ctx) == 2
    dialog.deleteLater()
    qtbot.wait(20)


def test_the_move_dialog_moves_this_and_the_following_visits(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    from montu_desktop.domain.series import Repeat
    from montu_desktop.services import series
    from montu_desktop.services.day_book import day_book
    from montu_desktop.ui.reschedule_dialog import RescheduleDialog

    tiny_clinic(sqlite_ctx, doctors=1)
    (mine,) = new_patients(sqlite_ctx, 1)
    starts = series.series_starts(sqlite_ctx, at(TUESDAY, 10), Repeat(1), count=3)
    made = series.book_series(
        sqlite_ctx, BookingRequest("Long", starts[0], mine), starts, Repeat(1)
    )
    second_day = TUESDAY + timedelta(weeks=1)
    entry = next(e for e in day_book(sqlite_ctx, second_day).appointments if e.patient_id == mine)
    dialog = RescheduleDialog(sqlite_ctx, entry, ZONE)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.following.isVisibleTo(dialog), timeout=5000)
    qtbot.waitUntil(lambda: dialog.times.count() > 0, timeout=5000)

    def at_eleven(i: int) -> bool:
        option = dialog.times.item(i).data(Qt.ItemDataRole.UserRole)
        return option is not None and option.start == at(second_day, 11)

    eleven = next(i for i in range(dialog.times.count()) if at_eleven(i))
    dialog.times.setCurrentRow(eleven)
    dialog.following.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog._move()
    after = {
        a.id: to_local(a.start, ZONE).strftime("%d %H:%M")
        for a in series.cancel_following(sqlite_ctx, made.appointments[1].id)
    }
    assert sorted(after.values()) == ["01 11:00", "08 11:00"]  # both later visits moved


def test_the_move_dialogs_from_field_is_left_with_one_tab_and_never_goes_into_the_past(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    # Found in the trial: Tab from "From" went to its month, and two Down presses then showed
    # free times "from Sat 17 Oct", weeks before today ("No free time in the 14 days").
    from montu_desktop.services.day_book import day_book
    from montu_desktop.ui.reschedule_dialog import RescheduleDialog

    tiny_clinic(sqlite_ctx, doctors=1)
    (mine,) = new_patients(sqlite_ctx, 1)
    book_appointment(sqlite_ctx, BookingRequest("Long", at(TUESDAY, 10), mine))
    entry = next(e for e in day_book(sqlite_ctx, TUESDAY).appointments if e.patient_id == mine)
    dialog = RescheduleDialog(sqlite_ctx, entry, ZONE)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.times.count() > 0, timeout=5000)
    today = to_local(sqlite_ctx.clock(), ZONE).date()
    assert dialog.date_edit.minimumDate().toPython() == today
    dialog.date_edit.setDate(dialog.date_edit.minimumDate().addDays(-30))
    assert dialog.date_edit.date().toPython() == today

    dialog.activateWindow()
    dialog.date_edit.setFocus()
    qtbot.waitUntil(dialog.date_edit.hasFocus, timeout=2000)
    qtbot.keyClick(dialog.date_edit, Qt.Key.Key_Tab)
    assert dialog.span.hasFocus()
    wait_for_operations()
