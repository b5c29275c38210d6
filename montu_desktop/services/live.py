"""Hears other desks' changes in a background thread and announces them through the context.

On PostgreSQL a dedicated connection LISTENs on the channel that migration 0004's triggers
notify; on SQLite (or when LISTEN is unavailable, e.g. behind a pooler) the feed polls a
cheap fingerprint of the same tables (persistence/watched.py) instead. Either way it calls
`ctx.changed(OpChanges)` once per batch heard, with no origin (another desk), from the
feed's own thread: a Qt listener must hop to the GUI thread itself.

The desk's own commits were announced when they were made, so the feed drops their echoes:
on PostgreSQL by the notifying backend's process id (noted just before each commit), on
SQLite by the fingerprint the committing transaction left behind.

A notification sent while this desk was cut off is lost, so after any outage the feed
announces every kind once: the screens reload and nothing stays stale.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.persistence import live_rows
from montu_desktop.persistence.watched import WATCHED_KINDS, watched_kind
from montu_desktop.services.context import ServiceContext

log = logging.getLogger(__name__)

CHANNEL = "montu_changes"
KINDS: tuple[str, ...] = tuple(k.value for k in WATCHED_KINDS)
OWN_PID_SECONDS = 30.0
"""How long after this desk committed on a server process its notifications count as echoes
(a process id is reused by the server only after the connection closes)."""


class FeedState(enum.StrEnum):
    STARTING = "starting"
    LISTENING = "listening"
    POLLING = "polling"
    OFFLINE = "offline"
    STOPPED = "stopped"


class ChangeFeed:
    """One desk's ear for changes made anywhere: start it once, stop it at shutdown."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        listen: bool = True,
        poll_seconds: float = 1.0,
        retry_seconds: float = 1.0,
        heartbeat_seconds: float = 5.0,
        batch_seconds: float = 0.1,
    ) -> None:
        self._ctx = ctx
        self._listen_wanted = listen and not ctx.database.is_sqlite
        self._poll_seconds = poll_seconds
        self._retry_seconds = retry_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._batch_seconds = batch_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = FeedState.STOPPED
        self._ever_connected = False
        self._own_lock = threading.Lock()
        self._own_pids: dict[int, float] = {}
        self._own_prints: dict[ChangeKind, Hashable] = {}
        self._own_pending = 0
        self.echoes_dropped = 0
        """How many of this desk's own changes the feed heard back and did not announce."""
        self.on_state: list[Callable[[FeedState], None]] = []
        """Called (from the feed's thread) whenever the state changes."""

    @property
    def state(self) -> FeedState:
        return self._state

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._ctx.before_commit.append(self._note_own_commit)
        self._set_state(FeedState.STARTING)
        self._thread = threading.Thread(target=self._run, name="montu-change-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._note_own_commit in self._ctx.before_commit:
            self._ctx.before_commit.remove(self._note_own_commit)
        self._set_state(FeedState.STOPPED)

    def __enter__(self) -> ChangeFeed:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._listen_wanted:
                self._poll()
                continue
            try:
                self._listen()
            except live_rows.ListenRefused as exc:
                log.warning("LISTEN is not available (%s); polling for changes instead", exc)
                self._listen_wanted = False
            except (live_rows.ListenLost, OSError) as exc:
                log.info("change feed lost the database: %s", str(exc).splitlines()[:1])
                self._set_state(FeedState.OFFLINE)
                self._stop.wait(self._retry_seconds)
            except Exception:
                log.exception("change feed failed; retrying")
                self._set_state(FeedState.OFFLINE)
                self._stop.wait(self._retry_seconds)

    def _connected(self, state: FeedState) -> None:
        """Now (re)connected: after an outage, tell everyone to reload everything."""
        resync = self._ever_connected and self._state is FeedState.OFFLINE
        self._ever_connected = True
        self._set_state(state)
        if resync:
            self._announce(set(WATCHED_KINDS))

    def _listen(self) -> None:
        with live_rows.listening(self._ctx.database, CHANNEL, "montu-desktop-live") as link:
            self._connected(FeedState.LISTENING)
            last_beat = time.monotonic()
            while not self._stop.is_set():
                heard = {
                    ChangeKind(payload)
                    for pid, payload in link.heard(self._batch_seconds)
                    if payload in KINDS and not self._is_echo(pid)
                }
                if heard:
                    self._announce(heard)
                if time.monotonic() - last_beat >= self._heartbeat_seconds:
                    # A silent channel says nothing about the link: ask the server.
                    link.ping()
                    last_beat = time.monotonic()

    def _poll(self) -> None:
        previous: dict[str, Hashable] | None = None
        # On SQLite a fingerprint reads every watched table (tens of ms on a clinic with a
        # few years of appointments, four times a second); the file's data_version says for
        # almost nothing whether anyone has committed since.
        version = (
            live_rows.DataVersion(self._ctx.database) if self._ctx.database.is_sqlite else None
        )
        seen: int | None = None
        try:
            while not self._stop.is_set():
                now_seen = version.read() if version is not None else None
                if previous is not None and now_seen is not None and now_seen == seen:
                    self._stop.wait(self._poll_seconds)
                    continue
                try:
                    current = fingerprint(self._ctx)
                except DatabaseUnavailable:
                    self._set_state(FeedState.OFFLINE)
                    previous = None
                else:
                    if self._state is not FeedState.POLLING:
                        self._connected(FeedState.POLLING)
                    if previous is None:
                        previous, seen = current, now_seen
                    elif not self._own_commit_under_way():
                        self._announce(self._news(previous, current))
                        previous, seen = current, now_seen
                self._stop.wait(self._poll_seconds)
        finally:
            if version is not None:
                version.close()

    def _news(
        self, previous: dict[ChangeKind, Hashable], current: dict[ChangeKind, Hashable]
    ) -> set[ChangeKind]:
        """The kinds that changed since the last poll, less those this desk's commit explains."""
        news = set()
        with self._own_lock:
            for kind in WATCHED_KINDS:
                if current[kind] == previous[kind]:
                    continue
                if self._own_prints.pop(kind, None) == current[kind]:
                    self.echoes_dropped += 1
                else:
                    news.add(kind)
        return news

    def _own_commit_under_way(self) -> bool:
        with self._own_lock:
            return self._own_pending > 0

    def _is_echo(self, pid: int) -> bool:
        with self._own_lock:
            until = self._own_pids.get(pid)
            if until is not None and until >= time.monotonic():
                self.echoes_dropped += 1
                return True
        return False

    def _note_own_commit(self, session: Any, changes: OpChanges) -> Callable[[bool], None] | None:
        """Just before this desk commits: note how its echo will look (on the commit's thread)."""
        kinds = {k for k in map(watched_kind, changes.kinds) if k is not None}
        if not kinds or self._thread is None:
            return None
        if not self._ctx.database.is_sqlite:
            pid = live_rows.backend_pid(session)
            with self._own_lock:
                now = time.monotonic()
                self._own_pids = {p: u for p, u in self._own_pids.items() if u >= now}
                self._own_pids[pid] = now + OWN_PID_SECONDS
            return None
        # SQLite: the poller holds its judgement until the commit is over and this desk has
        # fingerprinted the result (outside the write lock). Whatever that fingerprint holds,
        # this desk's own reload (announced after it) reads too; anything later differs.
        with self._own_lock:
            self._own_pending += 1

        def after(committed: bool) -> None:
            try:
                prints = fingerprint(self._ctx, kinds) if committed else {}
            finally:
                with self._own_lock:
                    self._own_prints.update(prints)
                    self._own_pending -= 1

        return after

    def _announce(self, kinds: set[ChangeKind]) -> None:
        if kinds:
            self._ctx.changed(OpChanges(frozenset(kinds)))

    def _set_state(self, state: FeedState) -> None:
        if state is self._state:
            return
        self._state = state
        for listener in list(self.on_state):
            try:
                listener(state)
            except Exception:
                log.exception("a feed state listener failed")


def fingerprint(
    ctx: ServiceContext, kinds: set[ChangeKind] | None = None
) -> dict[ChangeKind, Hashable]:
    """A cheap summary per kind that changes whenever that kind's rows change (for polling)."""
    return live_rows.fingerprint(ctx.database, kinds or set(WATCHED_KINDS))
