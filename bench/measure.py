"""Timing helpers: repeated runs, medians and percentiles, and SQL statements counted per request."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, event


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` (0..1) of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def time_calls(call: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    """Seconds taken by each of `repeat` calls, after `warmup` untimed ones (no GC while timing)."""
    for _ in range(warmup):
        call()
    samples = []
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    finally:
        if gc_was_on:
            gc.enable()
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def interleaved_medians(
    calls: dict[str, Callable[[], object]], *, rounds: int, per_round: int = 5
) -> dict[str, float]:
    """Median seconds per call of each candidate, measured in alternating rounds.

    Alternating keeps a noisy neighbour on the shared machine from landing on one candidate only.
    """
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for name, call in calls.items():
        time_calls(call, repeat=1, warmup=2)
        del name
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].extend(time_calls(call, repeat=per_round, warmup=0))
    return {name: statistics.median(values) for name, values in samples.items()}


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine sends while `counting` is active."""

    count: int = 0
    active: bool = False

    def _on_execute(self, *_args: object) -> None:
        if self.active:
            self.count += 1

    def attach(self, engine: Engine) -> StatementCounter:
        event.listen(engine, "before_cursor_execute", self._on_execute)
        return self

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.count, self.active = 0, True
        try:
            yield self
        finally:
            self.active = False
