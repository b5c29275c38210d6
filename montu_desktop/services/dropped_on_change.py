"""The shape every in-memory cache of a context shares: dropped by the one drop path.

A cache registers with `ctx.caches`, so `ctx.drop_cached` (this process's commits, what the
change feed hears, a reconnection) empties it; each drop counts a generation, so a read
that overlapped a drop is not kept (it may predate the change that caused the drop).
"""

from __future__ import annotations

import threading

from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.services.context import ServiceContext


class DroppedOnChange:
    """Base of a context's caches: `_forget` empties the subclass's store under the lock."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._generation = 0
        ctx.caches.append(self._heard)

    def close(self) -> None:
        """Stop listening to the context and forget everything."""
        if self._heard in self._ctx.caches:
            self._ctx.caches.remove(self._heard)
        self.drop()

    def drop(self) -> None:
        """Forget everything kept; a read running now is not kept either."""
        with self._lock:
            self._generation += 1
            self._forget()

    def _forget(self) -> None:
        raise NotImplementedError

    def _heard(self, _changes: OpChanges) -> None:  # any thread
        self.drop()
