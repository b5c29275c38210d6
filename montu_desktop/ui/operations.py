"""Small background operations: run service calls off the GUI thread, report back on it.

In the manner of Anki's ops: `run_op(parent, work, on_done)` starts `work()` on a
background thread; `on_done(result)` or `on_failed(error)` then runs on the GUI thread. What the
work committed reaches the screens once, on the GUI thread, through the application's one
`GuiBridge` (`ChangeBridge` subscribes screens to change notices, with who started them).
The `BusyTracker` counts operations in flight so the window can show a busy indicator.

No Qt signal here carries a payload across threads and no thread other than the GUI thread
touches a QObject's state: other threads only append to a locked queue and emit a
payload-free signal of an object that lives as long as the application.
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QWidget

from montu_desktop.domain.op_changes import Initiator, OpChanges
from montu_desktop.services.context import ServiceContext, started_by

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


@dataclass(eq=False)
class _Ticket:
    """One operation's GUI-side state; only the GUI thread creates, reads callbacks or drops it.

    The worker thread sees `work` only while it runs it and leaves the outcome here, so
    every Python reference to a widget is let go on the GUI thread: a QObject whose last
    reference died on a worker thread would be destroyed there, which Qt does not allow.
    """

    owner: QObject
    work: Callable[[], Any] | None
    on_done: Callable[[Any], None]
    on_failed: Callable[[BaseException], None]
    busy: BusyTracker | None
    origin: Initiator
    outcome: tuple[bool, Any] | None = None


class _Workers:
    """The background threads: plain Python threads that never create, emit on or free a
    QObject; they hand each outcome to the GUI thread through the application's GuiBridge."""

    def __init__(self, threads: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="montu-op")
        self._lock = threading.Condition()
        self._tickets: dict[int, _Ticket] = {}
        self._next = 0
        self._unfinished = 0

    def start(self, ticket: _Ticket) -> None:  # the GUI thread
        bridge = gui_bridge()
        with self._lock:
            self._next += 1
            number = self._next
            self._tickets[number] = ticket
            self._unfinished += 1
        self._executor.submit(self._run, number, bridge)

    def _run(self, number: int, bridge: GuiBridge) -> None:  # a worker thread
        with self._lock:
            ticket = self._tickets[number]
            work, origin = ticket.work, ticket.origin
        del ticket
        assert work is not None
        try:
            with started_by(origin):
                outcome: tuple[bool, Any] = (True, work())
        except Exception as exc:  # reported to the person by on_failed, in plain words
            log.debug("background operation failed: %s", type(exc).__name__)
            outcome = (False, exc.with_traceback(None))
        del work
        with self._lock:
            self._tickets[number].outcome = outcome
            self._unfinished -= 1
            self._lock.notify_all()
        del outcome
        bridge.call_soon(functools.partial(self._deliver, number))

    def _deliver(self, number: int) -> None:  # the GUI thread
        with self._lock:
            ticket = self._tickets.pop(number)
        assert ticket.outcome is not None
        ok, value = ticket.outcome
        ticket.work = ticket.outcome = None
        if ticket.busy is not None and shiboken6.isValid(ticket.busy):
            ticket.busy.finished()
        if not shiboken6.isValid(ticket.owner):
            return  # the window that asked was closed meanwhile: nobody to tell
        if ok:
            ticket.on_done(value)
        else:
            ticket.on_failed(value)

    def wait(self, timeout_s: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._unfinished == 0, timeout_s)


_workers = _Workers()


def run_op(
    parent: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
    busy: BusyTracker | None = None,
    origin: object | None = None,
) -> None:
    """Run `work()` on a background thread; then `on_done` or `on_failed` on the GUI thread.

    What `work()` commits is announced with `origin` (by default `parent`) as who started it.
    """
    if busy is not None:
        busy.started()
    initiator = Initiator.of(origin if origin is not None else parent)
    _workers.start(_Ticket(parent, work, on_done, on_failed, busy, initiator))


T = TypeVar("T")

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.Wheel,
        QEvent.Type.ShortcutOverride,
        QEvent.Type.Shortcut,
        QEvent.Type.Close,
    }
)


class _HoldInput(QObject):
    """While a form waits for its save, its window ignores clicks and keys (it still repaints)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__()
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS and isinstance(watched, QWidget):
            return shiboken6.isValid(self._window) and watched.window() is self._window
        return False


def run_and_wait(parent: QWidget, work: Callable[[], T], busy: BusyTracker | None = None) -> T:
    """Run `work()` as a background operation and return its result (or raise its error).

    For forms whose steps follow one another (preview, ask, save, reload): the database work
    runs on the thread pool like every other operation while the GUI thread keeps turning its
    event loop, so every window repaints and hears changes; input to `parent`'s window is
    held until the answer is back, so the form cannot be changed or closed under the wait.
    """
    loop = QEventLoop()
    outcome: list[tuple[bool, Any]] = []

    def finish(ok: bool, value: Any) -> None:
        outcome.append((ok, value))
        loop.quit()

    app = QCoreApplication.instance()
    hold = _HoldInput(parent.window())
    assert app is not None
    app.installEventFilter(hold)
    try:
        # The loop owns the relay's delivery: it lives until the answer is in, whatever
        # happens to `parent` meanwhile.
        run_op(
            loop,
            work,
            lambda value: finish(True, value),
            lambda error: finish(False, error),
            busy,
            origin=parent,
        )
        if not outcome:
            loop.exec()
    finally:
        app.removeEventFilter(hold)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def wait_for_operations(timeout_ms: int = 10_000) -> bool:
    """Block until no operation is running (used at shutdown and by tests); their results
    are delivered when the event loop next turns."""
    return _workers.wait(timeout_ms / 1000)


class GuiBridge(QObject):
    """The application's one way from any thread to the GUI thread; lives as long as the app.

    `call_soon(fn)` may be called from any thread; `fn()` runs later on the GUI thread.
    """

    _wake = Signal()

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._lock = threading.Lock()
        self._queue: deque[Callable[[], None]] = deque()
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def call_soon(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._queue.append(fn)
            first = len(self._queue) == 1
        if first:  # one wake-up per burst: the drain takes everything queued by then
            self._wake.emit()

    def _drain(self) -> None:
        # One callback per wake-up, and a new wake-up first while more wait: a callback that
        # opens a modal dialog (a nested event loop) must not hold back the ones behind it.
        with self._lock:
            if not self._queue:
                return
            fn = self._queue.popleft()
            more = bool(self._queue)
        if more:
            self._wake.emit()
        try:
            fn()
        except Exception:
            log.exception("a GUI-thread callback failed")


_bridge: GuiBridge | None = None


def gui_bridge() -> GuiBridge:
    """The application's bridge (made on first use, on the GUI thread)."""
    global _bridge
    app = QCoreApplication.instance()
    assert app is not None, "a QApplication must exist before the GUI bridge"
    if _bridge is None or not shiboken6.isValid(_bridge) or _bridge.parent() is not app:
        _bridge = GuiBridge(app)
    return _bridge


class ChangeBridge:
    """Hands one context's change notices to GUI-thread subscribers, once per burst.

    Attach it to the context for as long as the screens are open; `detach()` at shutdown.
    A subscriber is called as `callback(changes)` with the burst's notices (in order) and
    is dropped once its owner widget is deleted.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._gui = gui_bridge()
        self._lock = threading.Lock()
        self._pending: list[OpChanges] = []
        # Weak: the context (held by worker threads) must not keep a window alive, or the
        # window's last reference could go on a worker thread and Qt would free it there.
        self._subscribers: list[weakref.WeakMethod[Callable[[list[OpChanges]], None]]] = []
        ctx.on_change.append(self._heard)

    def subscribe(self, callback: Callable[[list[OpChanges]], None]) -> None:
        """`callback` is a bound method of a widget; it is dropped once the widget is gone."""
        self._subscribers.append(weakref.WeakMethod(callback))  # type: ignore[arg-type]

    def detach(self) -> None:
        if self._heard in self._ctx.on_change:
            self._ctx.on_change.remove(self._heard)
        self._subscribers = []

    def _heard(self, changes: OpChanges) -> None:  # any thread
        with self._lock:
            self._pending.append(changes)
            first = len(self._pending) == 1
        if first:
            self._gui.call_soon(self._deliver)

    def _deliver(self) -> None:  # the GUI thread
        with self._lock:
            burst, self._pending = self._pending, []
        for ref in list(self._subscribers):
            callback = ref()
            owner = getattr(callback, "__self__", None)
            if callback is None or (isinstance(owner, QObject) and not shiboken6.isValid(owner)):
                self._subscribers.remove(ref)
                continue
            try:
                callback(burst)
            except Exception:
                log.exception("a screen failed to take a change notice")


class GuiThreadCollector(QObject):
    """Python's cycle collector, run on the GUI thread only (as Anki and calibre do).

    Left automatic, the collector runs in whichever thread happens to allocate: the change
    feed's, a worker's, the dispatcher's. Collecting a cycle that holds a Qt object there
    destroys the object off its thread, which crashes Qt now and then.
    """

    def __init__(self, app: QCoreApplication, interval_ms: int = 500) -> None:
        super().__init__(app)
        gc.disable()
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> None:
        young, middle, old = gc.get_count()
        if young > self._thresholds[0]:
            generation = 0
            if middle > self._thresholds[1]:
                generation = 2 if old > self._thresholds[2] else 1
            gc.collect(generation)


_collector: GuiThreadCollector | None = None


def collect_garbage_on_gui_thread() -> GuiThreadCollector:
    """Install the GUI-thread collector once per application (call on the GUI thread)."""
    global _collector
    app = QCoreApplication.instance()
    assert app is not None
    if _collector is None or not shiboken6.isValid(_collector):
        _collector = GuiThreadCollector(app)
    return _collector
