"""Keeps slow-changing reference data (types, doctors, rosters, opening days) for ten minutes.

Anything this app edits drops the whole cache at once; other PCs' edits reach it through
`invalidate` too (called by the live-refresh listener) or, at worst, after the time-to-live.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
DEFAULT_TTL_SECONDS = 600.0


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
        self.loads = 0

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value for `key`, loading it when missing, stale or invalidated."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            generation = self._generation
            if entry is not None and entry[1] == generation and now - entry[0] < self._ttl:
                return entry[2]  # type: ignore[return-value]
        value = load()
        with self._lock:
            self.loads += 1
            # A value loaded across an invalidation may already be stale: don't keep it.
            if generation == self._generation:
                self._entries[key] = (now, generation, value)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
