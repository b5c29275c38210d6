"""What each freshness layer saves: the operation it serves, timed with the layer on and bypassed.

Run: `python -m bench.freshness [sqlite|postgresql|api|ui ...]` (all four by default). Every
pair is measured interleaved in one process (the machine is shared), and the load average
is printed beside the figures. bench/FRESHNESS.md quotes the output.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Hashable
from datetime import date
from typing import TypeVar

from bench import availability as av
from bench.dataset import Clinic, benchmark_monday, build_clinic
from bench.measure import interleaved_medians
from montu_desktop.services.availability import week_availability
from montu_desktop.services.reference_cache import ReferenceCache
from montu_desktop.services.warm_weeks import WarmWeeks

T = TypeVar("T")
DOCTORS = 50
HISTORY = 13


class _NoWeekFrames(ReferenceCache):
    """The reference cache, but the week frames inside it are recomputed on every request."""

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        if isinstance(key, tuple) and key and key[0] == "week-frame":
            return load()
        return super().get(key, load)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def availability(clinic: Clinic, rounds: int = 30) -> None:
    """Week availability at 50 doctors: the floor, then the product with each layer off."""
    print(
        f"\n## availability, {clinic.backend}, {clinic.doctors} doctors "
        f"({clinic.week_rows} rows), load before {_load()}"
    )
    database = clinic.database()
    full = clinic.context(database)
    frames_off = clinic.context(database)
    frames_off.cache = _NoWeekFrames()
    cache_off = clinic.context(database)
    cache_off.cache = ReferenceCache(ttl_seconds=0.0)
    warm_ctx = clinic.context(database)
    warm = WarmWeeks(warm_ctx)
    floor, conn = (
        av.sqlite_floor(clinic) if clinic.backend == "sqlite" else av.postgres_floor(clinic)
    )
    calls: dict[str, Callable[[], object]] = {
        "floor": floor,
        "all caches": lambda: week_availability(full, av.TYPE_NAME, clinic.monday),
        "week frames off": lambda: week_availability(frames_off, av.TYPE_NAME, clinic.monday),
        "reference cache off": lambda: week_availability(cache_off, av.TYPE_NAME, clinic.monday),
        "WarmWeeks hit": lambda: warm.week(av.TYPE_NAME, clinic.monday),
    }
    assert av.counts_of(calls["all caches"]()) == av.counts_of(calls["reference cache off"]())  # type: ignore[arg-type]
    assert av.counts_of(calls["week frames off"]()) == av.counts_of(
        warm.week(av.TYPE_NAME, clinic.monday)
    )  # type: ignore[arg-type]
    try:
        medians = interleaved_medians(calls, rounds=rounds)
    finally:
        conn.close()
        warm.close()
        database.dispose()
    for name, seconds in medians.items():
        print(f"  {name:22} {seconds * 1e6:9.1f} µs   {seconds / medians['floor']:.3f}× floor")
    print(f"  load after {_load()}")


def api(clinic: Clinic, seconds: float = 3.0) -> None:
    """16 clients against `serve`: availability cached, computed each time, and a bare floor."""
    from bench.api import CLIENTS, _drive, _Server
    from montu_desktop.services import online

    print(f"\n## API availability, {CLIENTS} clients, {seconds:.0f} s each, load {_load()}")
    ctx = clinic.context()
    _key, token = online.create_api_key(
        ctx, f"fresh-{time.time_ns()}", "availability", rate="100000/min"
    )
    kinds = [k.name for k in online.online_types(ctx)]
    week = clinic.monday.isoformat()

    def ask(http, _n: int, i: int):  # type: ignore[no-untyped-def]
        return http.get("/v1/availability", params={"type": kinds[i % len(kinds)], "week": week})

    results: dict[str, list[float]] = {}
    bodies: dict[str, bytes] = {}
    for round_ in range(2):  # interleaved: cached, computed, floor, twice
        for name, cache_seconds in (("cached (kept weeks)", None), ("computed (cache 0 s)", 0.0)):
            server = _Server(clinic.url, cache_seconds=cache_seconds)
            try:
                if round_ == 0 and name.startswith("cached"):
                    import httpx

                    for kind in kinds:
                        bodies[kind] = httpx.get(
                            server.base + "/v1/availability",
                            params={"type": kind, "week": week},
                            headers={"Authorization": f"Bearer {token}"},
                        ).content
                load = _drive(server.base, token, seconds, ask)
            finally:
                server.stop()
            results.setdefault(name, []).append(load.per_second)
            print(
                f"  {name:22} {load.per_second:7.0f}/s  p50 {_ms(load.percentile(0.5))}"
                f"  p99 {_ms(load.percentile(0.99))}  {dict(load.codes)}  load {_load()}"
            )
        load = _bare_floor(bodies, seconds, ask, token)
        results.setdefault("bare FastAPI floor", []).append(load.per_second)
        print(
            f"  {'bare FastAPI floor':22} {load.per_second:7.0f}/s  p50 "
            f"{_ms(load.percentile(0.5))}  p99 {_ms(load.percentile(0.99))}  load {_load()}"
        )
    floor = statistics.mean(results["bare FastAPI floor"])
    for name, rates in results.items():
        print(
            f"  mean {name:22} {statistics.mean(rates):7.0f}/s  {statistics.mean(rates) / floor:.2f}× floor"
        )


def _bare_floor(bodies: dict[str, bytes], seconds: float, ask, token: str):  # type: ignore[no-untyped-def]
    """A bare FastAPI app under uvicorn answering the same bytes per type (the floor)."""
    from bench.api import _drive, _port

    port = _port()
    code = (
        "import sys, json, uvicorn\n"
        "from fastapi import FastAPI, Query\n"
        "from fastapi.responses import Response\n"
        "bodies = {k: v.encode('latin-1') for k, v in json.loads(sys.stdin.read()).items()}\n"
        "app = FastAPI()\n"
        "@app.get('/v1/health')\n"
        "def health(): return {'status': 'ok'}\n"
        "@app.get('/v1/availability')\n"
        "def week(type: str = Query(), week: str = Query()):\n"
        "    return Response(bodies[type], media_type='application/json')\n"
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_config=None, access_log=False)\n"
    )
    import json

    import httpx

    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps({k: v.decode("latin-1") for k, v in bodies.items()}).encode())
    process.stdin.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        return _drive(base, token, seconds, ask)
    finally:
        process.terminate()
        process.wait(20)


def ui(clinic: Clinic) -> None:
    from bench.ui import measure_ui

    print(f"\n## desk next-week repaint, {clinic.doctors} doctors, load before {_load()}")
    figures = measure_ui(clinic)
    for key in ("repaints_cold_s", "repaints_warm_s"):
        values = sorted(figures.get(key, []))  # type: ignore[arg-type]
        if values:
            print(
                f"  {key:18} median {_ms(values[len(values) // 2])}  worst {_ms(values[-1])}"
                f"  (n={len(values)})"
            )
    if "error" in figures:
        print(f"  error: {figures['error']}")
    print(f"  load after {_load()}")


def main(argv: list[str]) -> None:
    wanted = set(argv) or {"sqlite", "postgresql", "api", "ui"}
    monday: date = benchmark_monday()
    quiet = lambda *_a: None  # noqa: E731
    if "sqlite" in wanted or "ui" in wanted:
        sqlite = build_clinic("sqlite", DOCTORS, HISTORY, monday, log=quiet)
    if "sqlite" in wanted:
        availability(sqlite)
    if "postgresql" in wanted:
        availability(build_clinic("postgresql", DOCTORS, HISTORY, monday, log=quiet))
    if "api" in wanted:
        api(build_clinic("sqlite", DOCTORS, HISTORY, monday, label="fresh-api", log=quiet))
    if "ui" in wanted:
        ui(sqlite)


if __name__ == "__main__":
    main(sys.argv[1:])
