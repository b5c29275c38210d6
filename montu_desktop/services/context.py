"""Everything a use case needs from its surroundings: the database, the cache, a clock, chance."""

from __future__ import annotations

import getpass
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.staff import Role
from montu_desktop.persistence.engine import Database
from montu_desktop.services.reference_cache import ReferenceCache


def utc_now() -> datetime:
    return datetime.now(UTC)


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


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
    on_change: list[Callable[[str], None]] = field(default_factory=list)
    """Called after a commit with what changed ("appointments", "reference"), e.g. to repaint."""

    def changed(self, what: str) -> None:
        if what == "reference":
            self.cache.invalidate()
        for listener in list(self.on_change):
            listener(what)


class NotAllowed(InvalidRequest):
    """The signed-in person's role may not do this (refused before anything is changed)."""


def require_manager(ctx: ServiceContext, what: str) -> None:
    """Refuse a receptionist a manager's use case, even when called directly."""
    if ctx.role is Role.RECEPTIONIST:
        raise NotAllowed("role", f"only a manager can {what}; {ctx.actor} is a receptionist")
