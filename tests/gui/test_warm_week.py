"""Page Down repaints from the desk's warm store: once a week is shown the next one is computed
in the background, and the key shows it with no computation and no database call on the GUI
thread; a change drops the store and the next week is warmed again."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from montu_desktop.services import warm_weeks
from montu_desktop.services.availability import WeekAvailability, week_availability
from montu_desktop.ui.layout import week_grid
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations
from tests.gui.test_gui_thread_db import GuiThreadStatements


def test_page_down_shows_the_prefetched_week_without_computing_it(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    type_name, monday = window.week.type_name, window.week.monday
    assert monday is not None
    following = monday + timedelta(weeks=1)
    qtbot.waitUntil(lambda: window.warm.is_warm(type_name, following), timeout=10_000)
    wait_for_operations()
    computed: list[tuple[date, str]] = []
    compute = warm_weeks.week_availability

    def noting(ctx, name, day, **kwargs) -> WeekAvailability:  # type: ignore[no-untyped-def]
        computed.append((day, threading.current_thread().name))
        return compute(ctx, name, day, **kwargs)

    monkeypatch.setattr(warm_weeks, "week_availability", noting)
    watch = GuiThreadStatements(window.ctx.database)
    try:
        with qtbot.waitSignal(window.refreshed, timeout=10_000):
            QTest.keyClick(window.week.table, Qt.Key.Key_PageDown)
        assert window.week.monday == following  # shown within the key press: no waiting
        after = following + timedelta(weeks=1)
        qtbot.waitUntil(lambda: window.warm.is_warm(type_name, after), timeout=10_000)
        wait_for_operations()
    finally:
        watch.close()
    assert watch.seen == []
    assert following not in [day for day, _thread in computed]
    # Only the week after it was computed (the new prefetch), off the GUI thread.
    assert [day for day, _ in computed] == [after]
    assert all(thread != threading.main_thread().name for _, thread in computed)
    policy = window.policy
    assert policy is not None
    fresh = week_availability(window.ctx, type_name, following)
    shown = window.week.model.grid
    assert shown == week_grid(
        fresh.days,
        policy.timezone,
        policy.slot_minutes,
        window.ctx.clock(),
        fresh.closed_reasons,
    )


def test_a_change_drops_the_warm_week_and_the_desk_warms_it_again(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_name, monday = window.week.type_name, window.week.monday
    assert monday is not None
    following = monday + timedelta(weeks=1)
    qtbot.waitUntil(lambda: window.warm.is_warm(type_name, following), timeout=10_000)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.ctx.changed("appointments")
        assert not window.warm.is_warm(type_name, following)
    qtbot.waitUntil(lambda: window.warm.is_warm(type_name, following), timeout=10_000)
