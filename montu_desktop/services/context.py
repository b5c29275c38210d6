"""Everything a use case needs from its surroundings: the database, the cache, a clock, chance."""

from __future__ import annotations

import contextlib
import getpass
import logging
import random
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from montu_desktop.config.clock import utc_now
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.op_changes import LOCAL, ChangeKind, Initiator, OpChanges
from montu_desktop.domain.staff import Role
from montu_desktop.persistence.engine import Database
from montu_desktop.services.reference_cache import ReferenceCache

log = logging.getLogger(__name__)

_origin: ContextVar[Initiator | None] = ContextVar("montu_change_origin", default=None)


@contextlib.contextmanager
def started_by(origin: Initiator) -> Iterator[None]:
    """Commits made inside carry `origin` (e.g. the screen whose background operation runs)."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> Initiator:
    """Who started the running operation: the screen set by `started_by`, else this desk."""
    origin = _origin.get()
    return origin if origin is not None else LOCAL


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


EVERYTHING = OpChanges(frozenset(ChangeKind))
"""Every kind at once: whatever was kept may be stale."""


@dataclass
class ServiceContext:
    """The wiring one desk (or one CLI call) runs its use cases with."""

    database: Database
    cache: ReferenceCache = field(default_factory=ReferenceCache)
    clock: Callable[[], datetime] = utc_now
    rng: random.Random = field(default_factory=random.SystemRandom)
    actor: str = field(default_factory=_default_actor)
    role: Role | None = None
    """The signed-in staff member's role; None for IT's headless commands (on PostgreSQL the
    server's grants still decide what those may do)."""
    before_commit: list[Callable[[Any, OpChanges], Callable[[bool], None] | None]] = field(
        default_factory=list
    )
    """Called with the session just before a change is committed (the change feed notes its
    own commits there, to tell them from other desks'); may return a callable that is then
    called with whether the commit went through."""
    caches: list[Callable[[OpChanges], None]] = field(default_factory=list)
    """The drop of every store kept from the database besides `cache` (the desk's warm
    weeks, the API's answers): `drop_cached` calls each with what changed, before any
    `on_change` listener hears of it, so a screen that reloads on a notice reads fresh."""
    on_change: list[Callable[[OpChanges], None]] = field(default_factory=list)
    """Called once per committed operation (here or heard from another desk) with what changed.

    Listeners run on the committing thread (or the change feed's): a Qt listener hops to the
    GUI thread itself (see ui/operations.py's ChangeBridge)."""

    def changed(self, what: OpChanges | ChangeKind | str) -> OpChanges:
        """Tell every listener; one that raises is logged and cannot undo or fail the commit."""
        changes = what if isinstance(what, OpChanges) else OpChanges.of(what, origin=LOCAL)
        self.drop_cached(changes)
        for listener in list(self.on_change):
            try:
                listener(changes)
            except Exception:
                log.exception("a change listener failed (the change itself is saved)")
        return changes

    def drop_cached(self, changes: OpChanges = EVERYTHING) -> None:
        """The one way any cached answer is dropped: this desk's commits and what the change
        feed hears reach it through `changed`; a caller that cannot know what changed (a new
        sign-in, the daily roll-forward) passes nothing and every layer goes."""
        if ChangeKind.REFERENCE in changes.kinds:
            self.cache.invalidate()
        for drop in list(self.caches):
            try:
                drop(changes)
            except Exception:
                log.exception("a cache failed to drop (the change itself is saved)")


class NotAllowed(InvalidRequest):
    """The signed-in person's role may not do this (refused before anything is changed)."""


def require_manager(ctx: ServiceContext, what: str) -> None:
    """Refuse a receptionist a manager's use case, even when called directly."""
    if ctx.role is Role.RECEPTIONIST:
        raise NotAllowed("role", f"only a manager can {what}; {ctx.actor} is a receptionist")
