"""The online-booking API under a website's load: 16 concurrent clients against `serve`.

Measures requests per second and p50/p99 for availability answered from the cache, for
availability computed afresh on every request (the server started with
MONTU_API_CACHE_SECONDS=0), and for bookings spread over the benchmark week. Only
127.0.0.1 is ever contacted, and every loop is bounded in time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.dataset import DATA_DIR, Clinic
from montu_desktop.services import online
from montu_desktop.services.availability import week_availability

CLIENTS = 16


@dataclass
class Load:
    seconds: list[float] = field(default_factory=list)
    codes: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.seconds) / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(
        self, url: str, cache_seconds: float | None = None, floor_body: Path | None = None
    ) -> None:
        self.port = _port()
        # In the environment, not on the command line: a password there is refused.
        env = {**os.environ, "MONTU_DATABASE_URL": url}
        if cache_seconds is not None:
            env["MONTU_API_CACHE_SECONDS"] = str(cache_seconds)
        command = [sys.executable, "-m", "montu_desktop", "serve", "--port", str(self.port)]
        if floor_body is not None:
            command = [
                sys.executable,
                "-m",
                "bench.api_floor",
                "--port",
                str(self.port),
                "--body",
                str(floor_body),
            ]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the API server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


def _drive(
    base: str,
    token: str,
    seconds: float,
    request: Callable[[httpx.Client, int, int], httpx.Response],
) -> Load:
    load = Load()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(number: int) -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            start.wait()
            stop_at = time.monotonic() + seconds
            count = 0
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                answer = request(http, number, count)
                took = time.perf_counter() - began
                count += 1
                with lock:
                    load.seconds.append(took)
                    load.codes[answer.status_code] = load.codes.get(answer.status_code, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(seconds + 60)
    load.wall = time.monotonic() - began
    return load


def measure_api(clinic: Clinic, seconds: float) -> dict[str, Load]:
    """Cached and uncached availability and bookings, each with 16 clients for `seconds`."""
    ctx = clinic.context()
    _key, token = online.create_api_key(
        ctx, f"bench-{time.time_ns()}", "availability,book", rate="100000/min"
    )
    week = clinic.monday.isoformat()
    kinds = [k.name for k in online.online_types(ctx)]
    free = [
        (kind, slot.starts_at)
        for kind in ("Standard",)
        for day in week_availability(ctx, kind, clinic.monday).days
        for slot in day.slots
        if slot.free_doctors > 0
    ]

    def availability(http: httpx.Client, _n: int, i: int) -> httpx.Response:
        return http.get("/v1/availability", params={"type": kinds[i % len(kinds)], "week": week})

    def book(http: httpx.Client, n: int, i: int) -> httpx.Response:
        kind, start = free[(n * 7919 + i * CLIENTS) % len(free)]
        body = {
            "type": kind,
            "start": start.isoformat(),
            "patient": {
                "given": "Bench",
                "family": f"Web{n}x{i}",
                "dob": "1980-01-01",
                "email": f"bench{n}x{i}@example.com",
            },
        }
        return http.post("/v1/appointments", json=body)

    figures: dict[str, Load] = {}
    server = _Server(clinic.url)
    floor = None
    try:
        answers = [
            httpx.get(  # fills the cache first
                server.base + "/v1/availability",
                params={"type": kind, "week": week},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            for kind in kinds
        ]
        body = DATA_DIR / "api-floor-answer.json"
        body.write_bytes(answers[0].content)
        floor = _Server(clinic.url, floor_body=body)
        # Interleaved, half the time each twice: the floor and the product in the same minutes.
        halves = {"floor": Load(), "cached": Load()}
        for _ in range(2):
            for name, base in (("floor", floor.base), ("cached", server.base)):
                part = _drive(base, token, seconds / 2, availability)
                halves[name].seconds += part.seconds
                halves[name].wall += part.wall
                for code, n in part.codes.items():
                    halves[name].codes[code] = halves[name].codes.get(code, 0) + n
        figures["floor: bare FastAPI, same bytes"] = halves["floor"]
        figures["availability, cached"] = halves["cached"]
    finally:
        server.stop()
        if floor is not None:
            floor.stop()
    server = _Server(clinic.url, cache_seconds=0)
    try:
        figures["availability, computed each time"] = _drive(
            server.base, token, seconds, availability
        )
        figures["bookings (a week of free slots)"] = _drive(server.base, token, seconds, book)
    finally:
        server.stop()
    return figures
