"""UI figures, measured in a fresh process: start to main window shown, next-week repaint, memory.

The parent passes its wall-clock instant just before starting the child, so 'start' includes
the interpreter, imports, opening (and checking) the database and building the window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench.dataset import Clinic

WEEKS_BROWSED = 12


def measure_ui(clinic: Clinic) -> dict[str, float | list[float] | str]:
    """Run the probe below in its own process on `clinic` and return what it measured."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(root)
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "bench.ui", clinic.url, clinic.monday.isoformat(), repr(started)],
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

    app = QApplication(sys.argv[:1])
    database = open_database(url)
    ctx = ServiceContext(database, clock=clinic_clock(monday))
    window = MainWindow(ctx)
    window.show()
    window.start()
    shown: list[float] = []
    QTimer.singleShot(0, lambda: shown.append(time.time()))

    def wait_for_refresh(timeout_ms: int = 10_000) -> bool:
        loop = QEventLoop()
        window.refreshed.connect(loop.quit)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(timeout_ms)
        loop.exec()
        window.refreshed.disconnect(loop.quit)
        return timer.isActive()

    first_grid = wait_for_refresh()
    first_grid_at = time.time()
    table = window.week.table
    table.setFocus()
    repaints = []
    for _ in range(WEEKS_BROWSED):
        began = time.perf_counter()
        QTest.keyClick(table, Qt.Key.Key_PageDown)
        if not wait_for_refresh():
            break
        table.viewport().repaint()
        repaints.append(time.perf_counter() - began)
    peak_kib = _peak_rss_kib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    window.close()
    app.processEvents()
    database.dispose()
    del app
    return {
        "window_shown_s": shown[0] - started if shown else float("nan"),
        "first_grid_s": first_grid_at - started if first_grid else float("nan"),
        "repaints_s": repaints,
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
