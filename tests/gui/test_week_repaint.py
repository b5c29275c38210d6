"""The week grid paints its cells in one pass (not through QTableView's per-cell delegate calls):
what it paints is what QTableView painted, for the week and data shown now, never an old one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPaintEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.booking_view import free_doctors_at
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.week_delegate import WeekCellDelegate
from montu_desktop.ui.week_view import WeekTable


def _shot(table: WeekTable) -> QImage:
    return table.viewport().grab().toImage()


def _painted_by_qt(table: WeekTable, monkeypatch: pytest.MonkeyPatch) -> QImage:
    """The grid as QTableView paints it, each cell through the delegate (as before)."""

    def per_cell(view: WeekTable, _grid: object, _delegate: object, area: QRect) -> None:
        QTableView.paintEvent(view, QPaintEvent(area))

    with monkeypatch.context() as patch:
        patch.setattr(WeekTable, "_paint_cells", per_cell)
        return _shot(table)


def _visible_cells(window: MainWindow) -> list[tuple[int, int]]:
    table, model = window.week.table, window.week.model
    room = table.viewport().rect()
    return [
        (row, column)
        for row in range(model.rowCount())
        for column in range(model.columnCount())
        if room.contains(table.visualRect(model.index(row, column)))
    ]


def test_page_down_paints_the_new_weeks_cells(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, model = window.week.table, window.week.model
    monday = window.week.monday
    assert monday is not None
    before = _shot(table)
    assert before == _painted_by_qt(table, monkeypatch)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        QTest.keyClick(table, Qt.Key.Key_PageDown)
    grid = model.grid
    assert grid is not None and grid.days[0] == monday + timedelta(weeks=1)
    after = _shot(table)
    assert after != before
    assert after == _painted_by_qt(table, monkeypatch)
    # Each visible cell, selected or not, shows the new week's cell.
    delegate = table.itemDelegate()
    assert isinstance(delegate, WeekCellDelegate)
    current = table.currentIndex()
    for row, column in _visible_cells(window):
        if (row, column) == (current.row(), current.column()):
            continue
        rect = table.visualRect(model.index(row, column))
        look = delegate.look(grid.cell(row, column), rect, table.font(), 1.0).toImage()
        assert after.copy(rect) == look.convertToFormat(after.format()), (row, column)


def test_a_booking_repaints_the_cell_it_changed(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, model, type_name = window.week.table, window.week.model, window.week.type_name
    grid = model.grid
    assert grid is not None
    current = table.currentIndex()
    row, column = next(
        (r, c)
        for r, c in _visible_cells(window)
        if grid.cell(r, c).bookable and (r, c) != (current.row(), current.column())
    )
    cell = grid.cell(row, column)
    assert cell.start is not None
    rect = table.visualRect(model.index(row, column))
    before = _shot(table)
    doctor = free_doctors_at(demo_ctx, type_name, cell.start)[0]
    patient = add_patient(demo_ctx, PatientDetails("Repaint", "Check", phone="0412345678"))
    book_appointment(demo_ctx, BookingRequest(type_name, cell.start, patient.id, doctor.id))
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        demo_ctx.changed("appointments")
    changed = model.grid
    assert changed is not None and changed.days == grid.days
    assert changed.cell(row, column) != cell  # one doctor fewer free
    after = _shot(table)
    assert after.copy(rect) != before.copy(rect)
    assert after == _painted_by_qt(table, monkeypatch)
