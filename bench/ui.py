"""UI figures, measured in a fresh process: start to main window shown, next-week repaint, memory.

The next-week repaint is measured twice over the same weeks: cold (the desk's warm store
off, so each Page Down computes its week) and then warm (each Page Down pressed once the desk
has prefetched the next week, as it does in the background after showing a week).

The parent passes its wall-clock instant just before starting the child, so 'start' includes
the interpreter, imports, opening (and checking) the database and building the window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from bench.dataset import Clinic

WEEKS_BROWSED = 12


def measure_ui(clinic: Clinic) -> dict[str, float | list[float] | str]:
    """Run the probe below in its own process on `clinic` and return what it measured."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(root)
    # One untimed run first, as bench/startup.py does: what a first start after an update
    # pays once (compiling changed modules, reading the libraries from disk) is not the
    # start a desk sees every morning.
    for _ in range(2):
        started = time.time()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.ui",
                clinic.url,
                clinic.monday.isoformat(),
                repr(started),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=300,
            check=False,
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def _probe(url: str, monday: date, started: float) -> dict[str, float | list[float]]:
    import resource

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from bench.dataset import clinic_clock
    from montu_desktop.services.context import ServiceContext
    from montu_desktop.services.runtime import open_database
    from montu_desktop.ui.main_window import MainWindow
    from montu_desktop.ui.operations import wait_for_operations

    app = QApplication(sys.argv[:1])
    database = open_database(url)
    ctx = ServiceContext(database, clock=clinic_clock(monday))
    window = MainWindow(ctx)
    window.show()
    shown: list[float] = []
    QTimer.singleShot(0, lambda: shown.append(time.time()))

    def wait_for_refresh(
        action: Callable[[], None] = lambda: None, timeout_ms: int = 10_000
    ) -> bool:
        """Do `action` and wait until the grid is refreshed (a warm week is shown at once,
        inside `action`)."""
        loop = QEventLoop()
        refreshed: list[bool] = []

        def heard() -> None:
            refreshed.append(True)
            loop.quit()

        window.refreshed.connect(heard)
        action()
        if not refreshed:
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(loop.quit)
            timer.start(timeout_ms)
            loop.exec()
        window.refreshed.disconnect(heard)
        return bool(refreshed)

    def wait_until(ready: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if time.monotonic() > deadline:
                return False
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        return True

    first_grid = wait_for_refresh(window.start)
    first_grid_at = time.time()
    table = window.week.table
    table.setFocus()
    start_monday, type_name = window.week.monday, window.week.type_name

    def browse(warm: bool) -> list[float]:
        repaints = []
        for _ in range(WEEKS_BROWSED):
            shown = window.week.monday
            if shown is None:
                break
            following = shown + timedelta(weeks=1)
            if warm and not wait_until(lambda w=following: window.warm.is_warm(type_name, w)):
                break
            wait_for_operations()  # nothing else of the last week still running
            QApplication.processEvents()
            began = time.perf_counter()
            if not wait_for_refresh(lambda: QTest.keyClick(table, Qt.Key.Key_PageDown)):
                break
            table.viewport().repaint()
            repaints.append(time.perf_counter() - began)
        return repaints

    window.warm.enabled = False
    cold = browse(warm=False)
    window.warm.enabled = True
    if start_monday is not None:
        wait_for_refresh(lambda: window.load_week(start_monday, type_name))
    warm = browse(warm=True)
    peak_kib = _peak_rss_kib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    window.close()
    app.processEvents()
    database.dispose()
    del app
    return {
        "window_shown_s": shown[0] - started if shown else float("nan"),
        "first_grid_s": first_grid_at - started if first_grid else float("nan"),
        "repaints_cold_s": cold,
        "repaints_warm_s": warm,
        "peak_rss_mib": peak_kib / 1024,
    }


def _peak_rss_kib(maxrss_kib: int) -> int:
    """This process's own peak resident set (VmHWM). Linux keeps ru_maxrss across exec, so
    it also counts the benchmark parent this process was forked from (~290 MiB with the
    peer's Django loaded) rather than the app alone."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return maxrss_kib


if __name__ == "__main__":
    figures = _probe(sys.argv[1], date.fromisoformat(sys.argv[2]), float(sys.argv[3]))
    print(json.dumps(figures), flush=True)
    os._exit(0)  # the figures are out; Qt's teardown at exit has nothing left to tell
