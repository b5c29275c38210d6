"""The front desk's day at 1366×768: every doctor visible, the waiting room, now-line, cell looks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.services import booking
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.ui.day_book_view import DayBookPanel
from montu_desktop.ui.layout import CellKind, WeekCell
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations
from montu_desktop.ui.reschedule_dialog import RescheduleDialog
from montu_desktop.ui.week_delegate import LegendSwatch, paint_background
from montu_desktop.ui.week_model import cell_explanation
from tests.support.clock import FixedClock

WEDNESDAY = date(2026, 11, 25)
"""Every one of the demo clinic's rota patterns works on Wednesdays: all 8 doctors are in."""


@pytest.fixture
def eight_doctors(sqlite_ctx: ServiceContext) -> ServiceContext:
    create_demo_clinic(sqlite_ctx, doctors=8, weeks=3, seed=2)
    return sqlite_ctx


@pytest.fixture
def desk(qtbot: QtBot, eight_doctors: ServiceContext) -> Iterator[MainWindow]:
    win = MainWindow(eight_doctors)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=10_000):
        win.start()
    qtbot.waitUntil(lambda: win.day.model.book is not None, timeout=10_000)
    yield win
    wait_for_operations()


def _show_day(qtbot: QtBot, window: MainWindow, day: date) -> None:
    window.load_day(day)
    qtbot.waitUntil(lambda: window.day.day == day, timeout=10_000)
    window.show_tab(window.day)
    qtbot.wait(50)


def test_every_rostered_doctor_is_fully_visible_at_1366x768(
    qtbot: QtBot, desk: MainWindow
) -> None:
    _show_day(qtbot, desk, WEDNESDAY)
    assert desk.width() <= 1366
    book = desk.day.model.book
    assert book is not None and len(book.doctors) == 8
    table = desk.day.table
    width = table.viewport().width()
    for column in range(8):
        left = table.columnViewportPosition(column)
        assert left >= 0 and left + table.columnWidth(column) <= width, column
    assert desk.day.doctors_off_screen() == []
    assert not desk.day.more_note.isVisible()
    header = desk.day.model.headerData(0, Qt.Orientation.Horizontal)
    assert header.replace("\n", " ") == book.doctors[0].name


def test_doctors_left_out_on_this_pc_are_remembered_and_counted(
    qtbot: QtBot, desk: MainWindow
) -> None:
    _show_day(qtbot, desk, WEDNESDAY)
    book = desk.day.model.book
    assert book is not None
    left_out = book.doctors[2].id
    desk.day._toggle_doctor(left_out, False)
    assert left_out not in desk.day.shown_doctors()
    assert desk.day.more_note.isVisible()
    assert desk.day.more_note.text() == "1 more doctor (not shown on this PC)"
    again = DayBookPanel()
    qtbot.addWidget(again)
    again.show_book(book, WEDNESDAY)
    assert left_out not in again.shown_doctors() and len(again.shown_doctors()) == 7
    desk.day._set_hidden(set())
    assert len(desk.day.shown_doctors()) == 8 and not desk.day.more_note.isVisible()


def test_waiting_room_orders_by_arrival_and_counts_minutes_with_the_clock(
    qtbot: QtBot, desk: MainWindow, eight_doctors: ServiceContext, clock: FixedClock
) -> None:
    today = desk.today()
    entries = [e for e in day_book(eight_doctors, today).appointments][:3]
    assert len(entries) == 3
    clock.advance(hours=2)  # 09:00 local
    for entry in reversed(entries):  # the latest appointment's patient comes in first
        booking.set_status(eight_doctors, entry.id, AppointmentStatus.ARRIVED)
        clock.advance(minutes=10)
    desk.load_waiting_room()
    panel = desk.waiting
    qtbot.waitUntil(lambda: panel.waiting_model.rowCount() == 3, timeout=10_000)
    model = panel.waiting_model
    column = model.columns.index("Stage")
    assert [model.visit(r).appointment_id for r in range(3)] == [e.id for e in reversed(entries)]
    assert [model.data(model.index(r, column)) for r in range(3)] == [
        "Waiting 30 min (red at 30)",
        "Waiting 20 min (amber at 15)",
        "Waiting 10 min",
    ]
    assert model.data(model.index(0, column), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(2, column), Qt.ItemDataRole.BackgroundRole) is None
    clock.advance(minutes=5)
    panel.tick()
    assert model.data(model.index(0, column)) == "Waiting 35 min (red at 30)"
    assert "3 patients waiting; longest 35 min" in panel.summary.text()
    first_expected = panel.expected_model.visit(0)
    assert first_expected is not None
    panel.expected.selectRow(0)
    with qtbot.waitSignal(desk.refreshed, timeout=10_000):
        qtbot.mouseClick(panel.arrived_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.rowCount() == 4, timeout=10_000)
    assert model.visit(3).appointment_id == first_expected.appointment_id


def _grey(cell: WeekCell) -> float:
    image = QImage(60, 24, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    paint_background(painter, QRect(0, 0, 60, 24), cell)
    painter.end()
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    values = [QColor(grey.pixel(x, y)).value() for x in range(60) for y in range(24)]
    return sum(values) / len(values)


def test_no_doctor_and_booked_out_look_different_also_in_greyscale(qapp: object) -> None:
    booked_out = WeekCell(CellKind.UNAVAILABLE, reason=Unavailable.ALL_BUSY.value)
    no_doctor = WeekCell(CellKind.UNAVAILABLE, reason=Unavailable.NOBODY_ROSTERED.value)
    closed = WeekCell(CellKind.CLOSED)
    greys = [_grey(c) for c in (booked_out, no_doctor, closed)]
    assert greys[1] - greys[0] > 40, greys
    assert abs(greys[2] - greys[1]) > 8, greys
    assert cell_explanation(booked_out) != cell_explanation(no_doctor)


def test_the_legend_names_booked_out_and_no_doctor_apart(desk: MainWindow) -> None:
    names = [s.text() for s in desk.week.findChildren(LegendSwatch)]
    assert "Booked out" in names and "No doctor" in names
    assert not any("/" in n for n in names)


def test_plural_of_rostered_doctors(qapp: object) -> None:
    cell = WeekCell(CellKind.AVAILABLE, free=1, rostered=3)
    assert cell_explanation(cell) == "Available: 1 of 3 rostered doctors free"
    one = WeekCell(CellKind.AVAILABLE, free=1, rostered=1)
    assert cell_explanation(one) == "Available: 1 of 1 rostered doctor free"


def test_now_line_follows_the_clock_on_today_only(
    qtbot: QtBot, desk: MainWindow, clock: FixedClock
) -> None:
    clock.now = datetime(2026, 11, 22, 23, 10, tzinfo=UTC)  # Monday 10:10 local
    _show_day(qtbot, desk, desk.today())
    model, line = desk.day.model, desk.day.table.now_line
    row = model.times.index(datetime(2026, 1, 1, 10, 0).time())
    y = line.y(model.times, 15)
    top = desk.day.table.rowViewportPosition(row)
    assert y == top + round(desk.day.table.rowHeight(row) * 10 / 15)
    clock.advance(minutes=30)
    assert line.y(model.times, 15) == desk.day.table.rowViewportPosition(row + 2) + round(
        desk.day.table.rowHeight(row + 2) * 10 / 15
    )
    grid = desk.week.model.grid
    assert grid is not None
    today_column = grid.days.index(desk.today())
    header = desk.week.model.headerData(today_column, Qt.Orientation.Horizontal)
    assert header.endswith("Today")


def test_reschedule_lists_times_with_doctors_over_fourteen_days(
    qtbot: QtBot, desk: MainWindow, eight_doctors: ServiceContext
) -> None:
    entry = next(
        e
        for e in day_book(eight_doctors, WEDNESDAY).appointments
        if e.status is AppointmentStatus.BOOKED
    )
    dialog = RescheduleDialog(eight_doctors, entry, "Australia/Melbourne", parent=desk)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.options), timeout=20_000)
    for label in dialog.findChildren(QLabel):
        shown = label.text().replace("&&", "")
        assert "&" not in shown or label.buddy() is not None, label.text()
    days = {o.start.date() for o in dialog.options}
    assert max(days) - min(days) >= timedelta(days=7)
    texts = [dialog.times.item(i).text() for i in range(dialog.times.count())]
    assert any("Dr " in t for t in texts) and any(t.startswith("Wed 25 Nov") for t in texts)
    option = dialog.selected_option()
    assert option is not None and option.doctors
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog._move()
    assert dialog.moved is not None and dialog.moved.start == option.start
    assert dialog.summary().startswith(f"Moved {entry.patient_name} from Wed 25 Nov")


def test_the_window_opens_maximised_first_then_as_this_pc_left_it(
    qtbot: QtBot, eight_doctors: ServiceContext
) -> None:
    from PySide6.QtCore import QSettings

    from montu_desktop.ui.main_window import GEOMETRY_KEY

    QSettings().remove(GEOMETRY_KEY)  # Qt keeps one settings file per process: start afresh
    first = MainWindow(eight_doctors)
    qtbot.addWidget(first)
    first.show_as_last_time()
    assert first.isMaximized()
    first.showNormal()
    first.setGeometry(20, 30, 980, 620)
    qtbot.wait(20)
    left_at = first.size()
    assert not first.isMaximized()
    first.close()
    wait_for_operations()
    again = MainWindow(eight_doctors)
    qtbot.addWidget(again)
    again.show_as_last_time()
    assert not again.isMaximized()
    # The offscreen screen is 800 px wide: the width is clamped to it, the height is not.
    assert again.height() == left_at.height() == 620
    again.close()
    wait_for_operations()


def test_every_block_shows_its_status_and_hover_tells_all(
    qtbot: QtBot, desk: MainWindow, eight_doctors: ServiceContext, clock: FixedClock
) -> None:
    from montu_desktop.ui.day_book_model import STATUS_MARKS

    first, second, third = day_book(eight_doctors, WEDNESDAY).appointments[:3]
    clock.now = first.start  # arrivals are marked on the appointment's own day
    booking.set_status(eight_doctors, first.id, AppointmentStatus.ARRIVED)
    booking.set_status(eight_doctors, second.id, AppointmentStatus.ARRIVED)
    booking.set_status(eight_doctors, second.id, AppointmentStatus.COMPLETED)
    clock.now = max(first.start, third.start)  # a no-show once the visit has started
    booking.set_status(eight_doctors, third.id, AppointmentStatus.NO_SHOW)
    _show_day(qtbot, desk, WEDNESDAY)
    model = desk.day.model
    book = model.book
    assert book is not None
    statuses = {e.status for e in book.appointments}
    assert {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW} <= statuses
    assert len({STATUS_MARKS[s] for s in statuses}) == len(statuses)  # one mark per status
    entry = next(e for e in book.appointments if e.patient_phone)
    tip = model.data(model.index_of_entry(entry.id), Qt.ItemDataRole.ToolTipRole)
    lines = tip.splitlines()
    assert lines[0] == entry.patient_name and lines[1].startswith("04")  # national format
    assert lines[3].startswith("Status: ")
    # The selected appointment's whole block is framed, not only the row clicked.
    assert desk.day.select_entry(entry.id)
    image = desk.day.table.viewport().grab().toImage()
    index = model.index_of_entry(entry.id)
    rect = desk.day.table.visualRect(index)
    frame = QColor(image.pixel(rect.left() + 3, rect.center().y())).name()
    assert frame == "#0b57d0"


def test_type_box_shows_the_whole_type_name(desk: MainWindow) -> None:
    box = desk.week.type_box
    longest = max(box.itemText(i) for i in range(box.count()))
    assert box.width() >= box.fontMetrics().horizontalAdvance(longest) + 20


def test_the_audit_log_exports_what_it_shows(
    qtbot: QtBot, eight_doctors: ServiceContext, tmp_path
) -> None:
    from montu_desktop.domain.staff import Role
    from montu_desktop.ui.settings.settings_dialog import SettingsDialog

    entry = next(
        e
        for e in day_book(eight_doctors, WEDNESDAY + timedelta(days=1)).appointments
        if e.status is AppointmentStatus.BOOKED
    )
    booking.cancel_appointment(eight_doctors, entry.id)
    window = SettingsDialog(eight_doctors, Role.MANAGER)
    qtbot.addWidget(window)
    page = window.audit_page
    page.load()
    assert page.table.item(0, 2).text().startswith(f"test cancelled {entry.patient_name}'s")
    assert page.table.item(0, 2).toolTip().startswith(page.table.item(0, 0).text())
    saved = page.export(str(tmp_path / "audit.csv"))
    assert saved is not None
    text = saved.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "When,Who,What happened,Action,Username"
    assert page.table.item(0, 2).text() in text
    assert len(text.splitlines()) == page.table.rowCount() + 1


def test_a_change_heard_mid_navigation_does_not_drag_the_day_book_back(
    qtbot: QtBot, desk: MainWindow
) -> None:
    assert desk.day.day != WEDNESDAY
    desk.load_day(WEDNESDAY)
    desk.reload()  # a change notice arrives while Wednesday is still loading
    qtbot.waitUntil(lambda: desk.day.day == WEDNESDAY, timeout=10_000)
    wait_for_operations()
    qtbot.wait(100)
    assert desk.day.day == WEDNESDAY
