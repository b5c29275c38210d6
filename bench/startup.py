"""Start-up: process start to the sign-in window shown, the installed build beside running from source.

Uses packaging/measure_startup.py's clock (a fresh process per run, stopped when xdotool sees a
visible window of that process) under the display in $DISPLAY, or a private Xvfb on
:$MONTU_BENCH_DISPLAY (default :18). The bundle is the one packaging/build.sh leaves in dist/.
Runs alternate between the two variants so load drift hits both alike.

    bench/.venv/bin/python -m bench.startup [--runs 7] [--bundle dist/montu-desktop]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "dist" / "montu-desktop"


def _clock():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "measure_startup", ROOT / "packaging" / "measure_startup.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(clock, command: list[str], env: dict[str, str]) -> float:  # type: ignore[no-untyped-def]
    """One start, tried again when the X server refused the connection (it does, now and then,
    on a loaded machine while xdotool polls it): that is the display, not the app."""
    for attempt in range(3):
        try:
            return float(clock._time_to_window(command, env))
        except RuntimeError as exc:
            if "could not connect to display" not in str(exc) or attempt == 2:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure_startup(
    bundle: Path = DEFAULT_BUNDLE, runs: int = 7, python: str = sys.executable
) -> dict[str, object]:
    """Median, min and max seconds to the sign-in window per variant, with the load average."""
    if shutil.which("xdotool") is None or shutil.which("Xvfb") is None:
        return {"error": "needs Xvfb and xdotool"}
    clock = _clock()
    variants = {"from source": [python, "-m", "montu_desktop"]}
    frozen = bundle / "montu-desktop"
    if frozen.exists():
        variants = {"installed build": [str(frozen)], **variants}
    xvfb = None
    display = os.environ.get("DISPLAY")
    if not display or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        display = f":{os.environ.get('MONTU_BENCH_DISPLAY', '18')}"
    socket = Path(f"/tmp/.X11-unix/X{display.lstrip(':')}")
    if display != os.environ.get("DISPLAY") and not socket.exists():
        xvfb = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(400):  # the server is ready when its socket appears (slow under load)
            if socket.exists():
                break
            time.sleep(0.05)
        time.sleep(0.5)
    try:
        with tempfile.TemporaryDirectory(prefix="montu-bench-startup-") as folder:
            env = clock._env(Path(folder))
            env["DISPLAY"] = display
            env["PYTHONPATH"] = str(ROOT)
            subprocess.run(
                [python, "-m", "montu_desktop", "demo-data", "--doctors", "8", "--weeks", "4"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                cwd=ROOT,
            )
            load_before = load_average()
            first = {name: _timed(clock, cmd, env) for name, cmd in variants.items()}
            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(runs):
                for name, command in variants.items():
                    times[name].append(_timed(clock, command, env))
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    figures: dict[str, object] = {
        "load_before": load_before,
        "load_after": load_average(),
        "runs": runs,
        "bundle": str(frozen) if frozen.exists() else "",
    }
    for name, values in times.items():
        figures[name] = {
            "median_s": statistics.median(values),
            "min_s": min(values),
            "max_s": max(values),
            "first_s": first[name],
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    figures = measure_startup(args.bundle, args.runs)
    if "error" in figures:
        print(figures["error"], file=sys.stderr)
        return 1
    print(f"load average {figures['load_before']} before, {figures['load_after']} after")
    for name in ("installed build", "from source"):
        if name in figures:
            f = figures[name]
            print(
                f"{name:16} median {f['median_s']:.2f} s (min {f['min_s']:.2f}, "  # type: ignore[index]
                f"max {f['max_s']:.2f}, first start {f['first_s']:.2f} s, {args.runs} runs)"  # type: ignore[index]
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
