"""Measures start-up to a shown main window: the installed build against running from source.

Each run is a fresh process on the same demo clinic database (offscreen, private user folders);
the clock stops when the app logs "main window shown", i.e. once its event loop has started with
the window on screen. Prints min / median / max per variant, and the very first start apart
(the program's files not yet in the disk cache).

    .venv/bin/python packaging/measure_startup.py [--bundle dist/montu-desktop] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOWN = "main window shown"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    return env


def _time_to_window(command: list[str], env: dict[str, str], log_file: Path) -> float:
    seen_before = log_file.read_text(encoding="utf-8").count(SHOWN) if log_file.exists() else 0
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if (
                log_file.exists()
                and log_file.read_text(encoding="utf-8").count(SHOWN) > seen_before
            ):
                return time.perf_counter() - started
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited early: {process.stderr.read().decode()}")
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"{command[0]} showed no window within 60 s")
            time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "montu-desktop")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    frozen = args.bundle / "montu-desktop"
    if not frozen.exists():
        print(f"no bundle at {frozen}: run packaging/build.sh first", file=sys.stderr)
        return 1
    variants = {
        "installed build": [str(frozen)],
        "from source": [sys.executable, "-m", "montu_desktop"],
    }
    with tempfile.TemporaryDirectory(prefix="montu-startup-") as folder:
        home = Path(folder)
        env = _env(home)
        log_file = home / "state" / "MontuDesktop" / "log" / "montu-desktop.log"
        subprocess.run(
            [sys.executable, "-m", "montu_desktop", "demo-data", "--doctors", "8", "--weeks", "4"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results: dict[str, list[float]] = {name: [] for name in variants}
        first = {name: _time_to_window(cmd, env, log_file) for name, cmd in variants.items()}
        for _ in range(args.runs):
            for name, command in variants.items():
                results[name].append(_time_to_window(command, env, log_file))
    for name, times in results.items():
        print(
            f"{name:16} median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs; "
            f"first start {first[name]:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
