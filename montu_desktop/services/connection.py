"""Watches whether the clinic database can be reached, for the status bar and reconnecting.

A background thread pings the database every few seconds (sooner when asked, e.g. after
an action failed with DatabaseUnavailable) and tells listeners when it goes away and
when it is back. Reconnecting needs nothing more: the engine tests pooled connections
before use (pre-ping) and opens fresh ones, and the change feed reconnects on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reachability:
    """What the status bar shows: reachable or not, since when, and why not."""

    reachable: bool
    since: datetime
    problem: str = ""

    def describe(self, where: str) -> str:
        if self.reachable:
            return f"Connected to {where}"
        return f"Database unreachable since {self.since:%H:%M:%S} UTC: reconnecting…"


class ConnectionMonitor:
    """Pings one database in the background; `status` is the latest answer."""

    def __init__(
        self,
        database: Database,
        *,
        interval_seconds: float = 3.0,
        retry_seconds: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self._interval = interval_seconds
        self._retry = retry_seconds
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = Reachability(True, clock())
        self.on_status: list[Callable[[Reachability], None]] = []
        """Called (from the monitor's thread) when the database goes away or comes back."""

    @property
    def status(self) -> Reachability:
        return self._status

    @property
    def running(self) -> bool:
        """Whether the background thread is watching (else nobody checks unless asked)."""
        return self._thread is not None

    def check_now(self) -> Reachability:
        """Ping once, here and now, and report (listeners hear of a change)."""
        try:
            self._database.ping()
        except DatabaseUnavailable as exc:
            self._update(False, str(exc))
        else:
            self._update(True, "")
        return self._status

    def action_failed(self) -> None:
        """An action just met DatabaseUnavailable: check at once rather than at the next tick."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="montu-db-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> ConnectionMonitor:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check_now()
            # While the server is away, look more often so the desk is back promptly.
            self._wake.wait(self._interval if self._status.reachable else self._retry)
            self._wake.clear()

    def _update(self, reachable: bool, problem: str) -> None:
        if reachable == self._status.reachable:
            return
        self._status = Reachability(reachable, self._clock(), problem)
        if reachable:
            log.info("the database is reachable again")
        else:
            log.warning("the database is unreachable: %s", problem)
        for listener in list(self.on_status):
            try:
                listener(self._status)
            except Exception:
                log.exception("a connection listener failed")
