"""Checkpoints the embedded database's WAL beside the desk's writes, not inside them.

SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages:
a booking writes ~13, so every ~78th booking waited 4-8 ms for it (the one desk's p99).
Here a daemon thread runs a PASSIVE checkpoint (it never blocks a reader or the writer) a
moment after this process has committed, on its own short-lived connection opened through
SQLite; the automatic checkpoint stays as a safety net at a larger size (engine.py). A
checkpoint does the same fsyncs wherever it runs (the WAL, then the database file), so
nothing is less durable than before.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

CHECKPOINT_DELAY_SECONDS = 0.25
"""How long after a commit the thread checkpoints (a burst of writes shares one)."""


class WalCheckpointer:
    """One database file's background checkpoints, started by the first commit."""

    def __init__(self, path: Path, delay_seconds: float = CHECKPOINT_DELAY_SECONDS) -> None:
        self._uri = f"{path.resolve().as_uri()}?mode=rw"  # never creates the file
        self._delay = delay_seconds
        self._wrote = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        """Held during a checkpoint, and while paused."""
        self._thread: threading.Thread | None = None

    def wrote(self) -> None:
        """This process committed: checkpoint soon."""
        if self._thread is None:
            self._start()
        self._wrote.set()

    def stop(self) -> None:
        """Stop the thread (its connection is closed between checkpoints)."""
        with self._lock:
            self._stop.set()
            self._wrote.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No checkpoint opens the file inside the block (a restore replacing it); one
        under way is waited for."""
        with self._busy:
            yield

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="montu-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wrote.wait()
            if self._stop.wait(self._delay):
                return
            self._wrote.clear()
            self.checkpoint()

    def checkpoint(self) -> None:
        """One PASSIVE checkpoint; busy (another connection checkpointing) or a file not
        there (yet) is left for the next time."""
        with self._busy:
            try:
                connection = sqlite3.connect(self._uri, uri=True, timeout=0, isolation_level=None)
            except sqlite3.Error:
                return
            try:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                connection.close()
