"""Everything a use case needs from its surroundings: the database, the cache, a clock, chance."""

from __future__ import annotations

import getpass
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
    on_change: list[Callable[[str], None]] = field(default_factory=list)
    """Called after a commit with what changed ("appointments", "reference"), e.g. to repaint."""

    def changed(self, what: str) -> None:
        if what == "reference":
            self.cache.invalidate()
        for listener in list(self.on_change):
            listener(what)
