"""Keeps slow-changing reference data (types, doctors, rosters, opening days) for ten minutes.

Dropped whole by `ServiceContext.drop_cached` (the one path every cache is dropped by): on
this desk's reference edits and on those the change feed hears from other PCs. The
time-to-live is the fallback of a process that runs no change feed (the worker).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
DEFAULT_TTL_SECONDS = 600.0


@dataclass
class Reads:
    """What one thread read from the cache inside `ReferenceCache.noting_reads`: the
    generation it started in and the earliest load time of any entry it used."""

    generation: int
    oldest: float = float("inf")


class ReferenceCache:
    """A small thread-safe cache of loaded values, dropped by age or on demand."""

    def __init__(
        self, ttl_seconds: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, int, object]] = {}
        self._generation = 0
        self._reads = threading.local()
        self.loads = 0

    @property
    def generation(self) -> int:
        """Goes up on every `invalidate` (a value read before may since have changed)."""
        return self._generation

    def now(self) -> float:
        return self._clock()

    @property
    def ttl(self) -> float:
        return self._ttl

    @contextlib.contextmanager
    def noting_reads(self) -> Iterator[Reads]:
        """Note (on this thread) how old the entries read inside are: what was computed from
        them may differ from a recomputation once the oldest expires or the cache is dropped."""
        reads = Reads(self._generation)
        outer = getattr(self._reads, "current", None)
        self._reads.current = reads
        try:
            yield reads
        finally:
            self._reads.current = outer
            if outer is not None:
                outer.oldest = min(outer.oldest, reads.oldest)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value for `key`, loading it when missing, stale or invalidated."""
        now = self._clock()
        with self._lock:
            generation = self._generation
            entry = self._fresh(key, now)
            if entry is not None:
                return entry[2]  # type: ignore[return-value]
        self._noted(now)
        value = load()
        with self._lock:
            self.loads += 1
            # A value loaded across an invalidation may already be stale: don't keep it.
            if generation == self._generation:
                self._entries[key] = (now, generation, value)
        return value

    def peek(self, key: Hashable) -> object | None:
        """The value `get` would return without loading, or None when it would load (so a
        caller on an event loop can answer from memory and leave the database to a thread)."""
        with self._lock:
            entry = self._fresh(key, self._clock())
        return None if entry is None else entry[2]

    def _fresh(self, key: Hashable, now: float) -> tuple[float, int, object] | None:
        """The entry for `key` if loaded in this generation within the TTL (noted as read);
        called under the lock."""
        entry = self._entries.get(key)
        if entry is None or entry[1] != self._generation or now - entry[0] >= self._ttl:
            return None
        self._noted(entry[0])
        return entry

    def _noted(self, loaded_at: float) -> None:
        reads: Reads | None = getattr(self._reads, "current", None)
        if reads is not None:
            reads.oldest = min(reads.oldest, loaded_at)

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
