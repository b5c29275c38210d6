"""The week grid shows exactly what the availability service computes, and moves by keyboard."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.op_changes import ChangeKind
from montu_desktop.domain.settings_rules import ClinicDetails
from montu_desktop.services.admin import clinic, types
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.layout import CellKind
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations
from tests.integration.test_admin_settings import WEEKDAYS_9_TO_5, ZONE

MONDAY = date(2026, 11, 23)


def _assert_grid_matches_service(window: MainWindow, ctx: ServiceContext, monday: date) -> None:
    model = window.week.model
    computed = week_availability(ctx, window.week.type_name, monday)
    assert model.grid is not None and model.grid.days[0] == monday
    shown = 0
    for column, day in enumerate(computed.days):
        assert model.headerData(column, Qt.Orientation.Horizontal).startswith(f"{day.day:%a}")
        slots = {to_local(s.starts_at, computed.timezone).time(): s for s in day.slots}
        for row, wall in enumerate(model.grid.times):
            cell = model.cell(model.index(row, column))
            assert cell is not None
            slot = slots.get(wall)
            text = model.data(model.index(row, column))
            if slot is None:
                assert cell.kind is CellKind.CLOSED, (day.day, wall)
                continue
            shown += 1
            assert cell.start == slot.starts_at
            if slot.unavailable is None:
                assert cell.kind is CellKind.AVAILABLE and text == f"{slot.free_doctors} free"
            elif slot.unavailable is Unavailable.PAST:
                assert cell.kind is CellKind.PAST
            else:
                assert cell.kind is CellKind.UNAVAILABLE and text
                tip = model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole)
                assert slot.unavailable.value in tip
    assert shown == sum(len(d.slots) for d in computed.days)


def test_grid_shows_exactly_the_computed_availability(
    window: MainWindow, demo_ctx: ServiceContext
) -> None:
    _assert_grid_matches_service(window, demo_ctx, MONDAY)
    sunday = window.week.model.grid.days[6]  # type: ignore[union-attr]
    assert all(c.kind is CellKind.CLOSED for c in (r[6] for r in window.week.model.grid.cells))  # type: ignore[union-attr]
    assert sunday == MONDAY + timedelta(days=6)


def test_page_down_and_type_change_repaint_the_matching_week(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    window.week.table.setFocus()
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        qtbot.keyClick(window.week.table, Qt.Key.Key_PageDown)
    assert window.week.monday == MONDAY + timedelta(weeks=1)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.week.type_box.setCurrentIndex(window.week.type_box.findData("Procedure"))
    _assert_grid_matches_service(window, demo_ctx, MONDAY + timedelta(weeks=1))
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        qtbot.keyClick(window.week.table, Qt.Key.Key_T)
    assert window.week.monday == MONDAY


def test_arrow_keys_move_the_selection(qtbot: QtBot, window: MainWindow) -> None:
    window.week.select(2, 1)
    window.week.table.setFocus()
    qtbot.keyClick(window.week.table, Qt.Key.Key_Down)
    qtbot.keyClick(window.week.table, Qt.Key.Key_Right)
    current = window.week.table.currentIndex()
    assert (current.row(), current.column()) == (3, 2)


def test_models_follow_the_qt_model_contract(qtmodeltester, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(window.week.model)
    qtmodeltester.check(window.day.model)


def test_a_clinic_with_no_appointment_type_yet_says_where_to_add_one(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    # Found in the trial: after "Set up my clinic" saved only the details and hours, the
    # week grid stayed blank with an empty Type box and nothing said why.
    clinic.save_clinic(sqlite_ctx, ClinicDetails("Northside Clinic", timezone=ZONE))
    clinic.set_opening_hours(sqlite_ctx, WEEKDAYS_9_TO_5)
    window = MainWindow(sqlite_ctx)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.policy is not None, timeout=5_000)
    assert window.week.title.isVisible()
    assert "No appointment types yet" in window.week.title.text()
    assert "Settings… → Appointment types" in window.week.title.text()

    types.add_type(sqlite_ctx, "Standard", 15, "#3b7dd8")
    window.refresh(ChangeKind.REFERENCE)
    qtbot.waitUntil(lambda: window.week.model.grid is not None, timeout=5_000)
    assert window.week.title.text().startswith("Week of ")
    wait_for_operations()
