"""Runs the dispatcher every few seconds on an APScheduler background thread (no Qt)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.notifications.dispatcher import Dispatcher

log = logging.getLogger(__name__)
JOB_ID = "notifications-dispatch"


class DispatchSchedule:
    """Starts and stops the periodic dispatch job; `nudge` runs it now (e.g. after a booking)."""

    def __init__(self, dispatcher: Dispatcher, interval_seconds: float = 10.0) -> None:
        self.dispatcher = dispatcher
        self.interval = interval_seconds
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._again = threading.Event()

    def _run(self) -> None:
        while True:
            self._again.clear()
            try:
                self.dispatcher.run_once()
            except DatabaseUnavailable as exc:
                # The connection monitor tells people; here one line is enough.
                log.warning("notification dispatch pass skipped: %s", exc)
            except Exception:
                # The schedule lives in the database: the next pass picks up where this stopped.
                log.exception("notification dispatch pass failed; will try again")
            if not self._again.is_set():  # woken while busy: go round once more
                return

    def start(self) -> None:
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=self.interval,
            id=JOB_ID,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()

    def nudge(self) -> None:
        """Run a pass as soon as the current one (if any) ends."""
        self._again.set()
        if self._scheduler.running:
            self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
