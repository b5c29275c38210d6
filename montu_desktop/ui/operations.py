"""Small background operations: run service calls off the GUI thread, report back on it.

In the manner of Anki's ops: `run_op(parent, work, on_done)` starts `work()` on Qt's
thread pool; `on_done(result)` or `on_failed(error)` then runs on the GUI thread. The
`BusyTracker` counts operations in flight so the window can show a busy indicator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class BusyTracker(QObject):
    """Counts background operations; `busy_changed(True)` when the first starts."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.running = 0

    def started(self) -> None:
        self.running += 1
        if self.running == 1:
            self.busy_changed.emit(True)

    def finished(self) -> None:
        self.running -= 1
        if self.running == 0:
            self.busy_changed.emit(False)


class _Relay(QObject):
    """Lives on the GUI thread; its payload-free signal wakes it there (queued) to deliver.

    The worker stores the outcome on this object and emits a signal that carries nothing,
    so no Python object goes through Qt's queued cross-thread marshalling.
    """

    finished = Signal()

    def __init__(
        self,
        parent: QObject,
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        busy: BusyTracker | None,
    ) -> None:
        # Owned by the application, not the window: the relay must outlive a window closed
        # while its job still runs (the job emits on it). Qt deletes it (deleteLater) once
        # it has delivered; Python never owns it, so it is never deleted inside its own slot.
        super().__init__(QCoreApplication.instance())
        self._owner = parent
        self._on_done, self._on_failed, self._busy = on_done, on_failed, busy
        self.outcome: tuple[bool, Any] | None = None
        # A bound method of this QObject: Qt delivers it on this object's (the GUI) thread.
        self.finished.connect(self._deliver)

    def _deliver(self) -> None:
        _in_flight.discard(self)
        self.deleteLater()
        assert self.outcome is not None
        ok, value = self.outcome
        self.outcome = None
        if not shiboken6.isValid(self._owner):
            return  # the window that asked was closed meanwhile: nobody to tell
        if self._busy is not None and shiboken6.isValid(self._busy):
            self._busy.finished()
        if ok:
            self._on_done(value)
        else:
            self._on_failed(value)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            self._relay.outcome = (True, self._work())
        except Exception as exc:  # reported to the person by on_failed, in plain words
            log.debug("background operation failed: %s", type(exc).__name__)
            self._relay.outcome = (False, exc)
        self._relay.finished.emit()


_in_flight: set[_Relay] = set()


def run_op(
    parent: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
    busy: BusyTracker | None = None,
) -> None:
    """Run `work()` on the thread pool; then `on_done` or `on_failed` on the GUI thread."""
    relay = _Relay(parent, on_done, on_failed, busy)
    _in_flight.add(relay)
    if busy is not None:
        busy.started()
    QThreadPool.globalInstance().start(_Job(work, relay))


def wait_for_operations(timeout_ms: int = 10_000) -> bool:
    """Block until the pool is idle (used at shutdown and by tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
