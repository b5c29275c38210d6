"""Fixtures for the reception window: a demo clinic on SQLite and the window over it."""

from __future__ import annotations

import contextlib
import gc
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import collect_garbage_on_gui_thread, wait_for_operations


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """As in the app: Python's cycle collector runs on the GUI thread only (see operations.py)."""
    collect_garbage_on_gui_thread()
    yield
    gc.collect()


@pytest.fixture(scope="session")
def _demo_clinic_files() -> dict[datetime, Path]:
    """The demo clinic as first made at each fixture moment, for later tests to copy."""
    return {}


@pytest.fixture
def demo_ctx(
    sqlite_ctx: ServiceContext,
    _demo_clinic_files: dict[datetime, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> ServiceContext:
    """A small demo clinic; 'now' is Monday 23 November 2026, 07:00 in Melbourne.

    create_demo_clinic is deterministic (its own seeded rng, the fixture's clock) and leaves
    nothing but rows behind, so after the first test at a moment the others get a copy of
    that database through SQLite's backup API (the same rows) instead of making it again."""
    moment = sqlite_ctx.clock()
    made = _demo_clinic_files.get(moment)
    if made is None:
        create_demo_clinic(sqlite_ctx, doctors=4, weeks=2, seed=5)
        made = tmp_path_factory.mktemp("demo") / "clinic.sqlite3"
    raw = sqlite_ctx.database.engine.raw_connection()
    try:
        with contextlib.closing(sqlite3.connect(made)) as copy:
            if moment in _demo_clinic_files:
                copy.backup(raw.driver_connection)
            else:
                raw.driver_connection.backup(copy)
                _demo_clinic_files[moment] = made
    finally:
        raw.close()
    return sqlite_ctx


@pytest.fixture
def window(qtbot: QtBot, demo_ctx: ServiceContext) -> Iterator[MainWindow]:
    win = MainWindow(demo_ctx)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=10_000):
        win.start()
    qtbot.waitUntil(lambda: win.day.model.book is not None, timeout=10_000)
    yield win
    wait_for_operations()
