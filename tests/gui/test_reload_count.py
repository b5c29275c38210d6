"""One booking reloads each visible view exactly once, on the booking desk and on another desk,
with the live feeds and reminder dispatchers running as in the app."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.live import ChangeFeed, FeedState
from montu_desktop.services.notifications import running_dispatcher
from montu_desktop.services.patients import add_patient
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations
from tests.support.clock import FixedClock


def _open_desk(qtbot: QtBot, ctx: ServiceContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.refreshed, timeout=15_000):
        window.start()
    qtbot.waitUntil(lambda: window.day.model.book is not None, timeout=10_000)
    return window


def _wait_feed(feed: ChangeFeed) -> None:
    deadline = time.monotonic() + 10
    while feed.state not in (FeedState.LISTENING, FeedState.POLLING):
        assert time.monotonic() < deadline, f"feed stayed {feed.state}"
        time.sleep(0.02)


@pytest.fixture
def two_desks(
    ctx: ServiceContext, clock: FixedClock
) -> Iterator[tuple[ServiceContext, ServiceContext]]:
    create_demo_clinic(ctx, doctors=3, weeks=2, seed=5, patients=20)
    other_db = Database(ctx.database.url)
    other = ServiceContext(other_db, clock=clock, rng=random.Random(9), actor="other")
    yield ctx, other
    wait_for_operations()
    other_db.dispose()


def test_one_booking_reloads_each_view_once_here_and_once_at_another_desk(
    qtbot: QtBot, two_desks: tuple[ServiceContext, ServiceContext]
) -> None:
    booking_ctx, other_ctx = two_desks
    patient = add_patient(booking_ctx, PatientDetails("Zelda", "Quimby", phone="0412 345 678"))
    here, there = _open_desk(qtbot, booking_ctx), _open_desk(qtbot, other_ctx)
    with (
        ChangeFeed(booking_ctx, poll_seconds=0.1) as feed_here,
        ChangeFeed(other_ctx, poll_seconds=0.1) as feed_there,
        running_dispatcher(booking_ctx),  # its bookkeeping after the booking is no reason to reload
        running_dispatcher(other_ctx),
    ):
        _wait_feed(feed_here)
        _wait_feed(feed_there)
        qtbot.wait(400)  # the pollers learn their starting point; the patient was heard
        here.loads.clear()
        there.loads.clear()

        grid = here.week.model.grid
        assert grid is not None
        row, column = next(
            (r, c)
            for c in range(1, len(grid.days))
            for r in range(8, len(grid.times))
            if grid.cell(r, c).bookable
        )
        here.week.select(row, column)
        here.week.table.setFocus()
        qtbot.keyClick(here.week.table, Qt.Key.Key_Return)
        dialog = here.booking_dialog
        assert dialog is not None
        qtbot.waitUntil(dialog.search.hasFocus, timeout=3_000)
        qtbot.keyClicks(dialog.search, "quimby")
        qtbot.waitUntil(lambda: dialog.selected_patient_id() == patient.id, timeout=5_000)
        here.loads.clear()  # the cell selection may have moved the day book: not a reload
        qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.booked is not None, timeout=10_000)
        qtbot.waitUntil(lambda: there.loads["week"] >= 1, timeout=5_000)
        qtbot.wait(1_000)  # long enough for any echo or second reload to show up
        wait_for_operations()
        qtbot.wait(100)
    assert dict(here.loads) == {"week": 1, "day": 1}
    assert dict(there.loads) == {"week": 1, "day": 1}
    booked = dialog.booked
    assert booked is not None
    assert here.day.details.entry is not None and here.day.details.entry.id == booked.id
