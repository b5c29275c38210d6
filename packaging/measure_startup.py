"""Measures start-up to the first shown window: the installed build against running from source.

Each run is a fresh process on the same demo clinic database (private user folders) under a real
X server; the clock stops when the process has a visible window (xdotool), which is the sign-in
window (the main window follows it once someone signs in). Prints min / median / max per
variant, and the very first start apart.

    xvfb-run -a .venv/bin/python packaging/measure_startup.py [--bundle dist/montu-desktop] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(
        QT_QPA_PLATFORM="xcb",
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    return env


def _has_window(pid: int, env: dict[str, str]) -> bool:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
        env=env,
        capture_output=True,
    )
    return found.returncode == 0


def _time_to_window(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not _has_window(process.pid, env):
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited early: {process.stderr.read().decode()}")
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"{command[0]} showed no window within 60 s")
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "montu-desktop")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    frozen = args.bundle / "montu-desktop"
    if not os.environ.get("DISPLAY") or shutil.which("xdotool") is None:
        print("needs an X display and xdotool: xvfb-run -a .venv/bin/python ...", file=sys.stderr)
        return 1
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
        subprocess.run(
            [sys.executable, "-m", "montu_desktop", "demo-data", "--doctors", "8", "--weeks", "4"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results: dict[str, list[float]] = {name: [] for name in variants}
        first = {name: _time_to_window(cmd, env) for name, cmd in variants.items()}
        for _ in range(args.runs):
            for name, command in variants.items():
                results[name].append(_time_to_window(command, env))
    for name, times in results.items():
        print(
            f"{name:16} median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs; "
            f"first start {first[name]:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
