"""Background operations report back on the GUI thread, and never to a window already closed."""

from __future__ import annotations

import threading
from typing import ClassVar

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget

from montu_desktop.domain.op_changes import Initiator
from montu_desktop.ui.operations import BusyTracker, run_op, wait_for_operations


def test_results_and_errors_arrive_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    busy = BusyTracker(window)
    seen: list[tuple[str, object, bool]] = []
    gui = QThread.currentThread()
    on_gui = lambda: QThread.currentThread() is gui  # noqa: E731
    run_op(
        window,
        lambda: 41 + 1,
        lambda r: seen.append(("done", r, on_gui())),
        lambda e: seen.append(("failed", e, on_gui())),
        busy,
    )
    run_op(
        window,
        lambda: 1 / 0,
        lambda r: seen.append(("done", r, on_gui())),
        lambda e: seen.append(("failed", type(e).__name__, on_gui())),
        busy,
    )
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    assert sorted(seen, key=str) == [("done", 42, True), ("failed", "ZeroDivisionError", True)]
    assert busy.running == 0


def test_a_window_closed_before_its_operation_ends_is_not_called_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    busy = BusyTracker(window)
    gate = threading.Event()
    called: list[object] = []
    run_op(window, lambda: gate.wait(5), called.append, called.append, busy)
    window.deleteLater()
    qtbot.wait(50)
    gate.set()
    assert wait_for_operations(5_000)
    qtbot.wait(100)
    assert called == []


class _Noted(QWidget):
    """A widget that notes on which thread Python let go of it."""

    freed_on: ClassVar[list[str]] = []

    def __del__(self) -> None:
        _Noted.freed_on.append(threading.current_thread().name)


def test_a_window_whose_last_reference_is_its_running_operation_is_freed_on_the_gui_thread(
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    """Qt objects must be destroyed on their own thread, even when a job held the last
    reference to a closed window."""
    _Noted.freed_on.clear()
    gate = threading.Event()
    for _ in range(3):
        window = _Noted()
        run_op(window, lambda w=window: (gate.wait(5), w.objectName()), print, print)
        del window
    gate.set()
    assert wait_for_operations(5_000)
    qtbot.wait(100)
    assert _Noted.freed_on == ["MainThread"] * 3


def test_change_notices_hold_no_widget(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Who started an operation travels as a token: a notice kept by a worker keeps no window."""
    from montu_desktop.services.context import current_origin

    window = QWidget()
    qtbot.addWidget(window)
    seen: list[object] = []
    run_op(window, current_origin, seen.append, seen.append)
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    origin = seen[0]
    assert not isinstance(origin, QWidget)
    assert origin == Initiator.of(window) and origin != Initiator.of(QWidget())


def test_a_modal_dialog_opened_by_one_result_does_not_hold_back_the_others(qtbot) -> None:  # type: ignore[no-untyped-def]
    """An error box (a nested event loop) shown for one operation's outcome: the results of
    other operations still arrive while it is open."""
    from PySide6.QtCore import QEventLoop, QTimer

    window = QWidget()
    qtbot.addWidget(window)
    later: list[int] = []
    nested_saw: list[list[int]] = []

    def show_box(_result: object) -> None:  # stands in for QMessageBox.exec()
        loop = QEventLoop()
        QTimer.singleShot(1_000, loop.quit)
        run_op(window, lambda: 2, later.append, print)
        run_op(window, lambda: 3, later.append, print)
        QTimer.singleShot(500, lambda: nested_saw.append(list(later)))
        loop.exec()

    run_op(window, lambda: 1, show_box, print)
    run_op(window, lambda: 4, later.append, print)
    qtbot.waitUntil(lambda: bool(nested_saw), timeout=5_000)
    assert sorted(nested_saw[0]) == [2, 3, 4]
