"""The API keys a server has just checked, so a website's repeat request reads no database.

A key is kept by its token's hash (never the token) for at most RECHECK_SECONDS after it was
read live, then read again: a key revoked by another process (`api-keys revoke`, a manager's
desk) is refused within that bound. No change feed hears of key changes (the api_key table
has no notify trigger), so the bound is the guarantee. Every call of `ctx.drop_cached` (this
process's commits, what the change feed hears, a reconnection) drops the keys at once too.

Only live keys are kept: a wrong or revoked token is read from the database every time (the
wrong-key limiter bounds how often), and a new key works from its first request. The origins
of live keys (the websites a browser may call from) are kept the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from montu_desktop.services import online
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.dropped_on_change import DroppedOnChange

RECHECK_SECONDS = 1.0
"""How long a checked key is trusted without the database: one read a second per key costs
nothing, and a revocation typed at a terminal takes effect before the next request is typed."""


class KeyCache(DroppedOnChange):
    """Live keys by token hash and the live keys' origins; thread-safe, one per server."""

    def __init__(
        self,
        ctx: ServiceContext,
        clock: Callable[[], float] = time.monotonic,
        seconds: float = RECHECK_SECONDS,
    ) -> None:
        self._clock = clock
        self._seconds = seconds
        self._keys: dict[str, tuple[float, online.ApiKeyInfo]] = {}
        self._origins: tuple[float, frozenset[str]] | None = None
        super().__init__(ctx)

    def _forget(self) -> None:
        self._keys.clear()
        self._origins = None

    def kept(self, digest: str) -> online.ApiKeyInfo | None:
        """The live key with this token hash if it was read within the bound; never blocks."""
        now = self._clock()
        with self._lock:
            entry = self._keys.get(digest)
        if entry is None or now - entry[0] >= self._seconds:
            return None
        return entry[1]

    def check(self, token: str, digest: str) -> online.ApiKeyInfo | None:
        """The live key of `token` (hashing to `digest`), read from the database now."""
        with self._lock:
            generation = self._generation
        read_at = self._clock()
        key = online.authenticate(self._ctx, token)
        if key is not None:
            with self._lock:
                # A read that overlapped a drop may predate the change that caused it.
                if generation == self._generation:
                    self._keys = {
                        d: e for d, e in self._keys.items() if read_at - e[0] < self._seconds
                    }
                    self._keys[digest] = (read_at, key)
        return key

    def kept_origins(self) -> frozenset[str] | None:
        """The live keys' origins if read within the bound, else None; never blocks."""
        now = self._clock()
        with self._lock:
            entry = self._origins
        if entry is None or now - entry[0] >= self._seconds:
            return None
        return entry[1]

    def origins(self) -> frozenset[str]:
        """The live keys' origins, kept or read now."""
        kept = self.kept_origins()
        if kept is not None:
            return kept
        with self._lock:
            generation = self._generation
        read_at = self._clock()
        found = frozenset(online.allowed_origins(self._ctx))
        with self._lock:
            if generation == self._generation:
                self._origins = (read_at, found)
        return found
