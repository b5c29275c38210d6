"""What one operation changed (kinds of data plus ids) and who started it, as Anki's OpChanges."""

from __future__ import annotations

import enum
import itertools
import threading
import weakref
from dataclasses import dataclass, field


class ChangeKind(enum.StrEnum):
    """The kinds of data a screen may show; a change notice names the kinds it touched."""

    APPOINTMENTS = "appointments"
    PATIENTS = "patients"
    REFERENCE = "reference"
    """Clinic hours, closures, doctors, rosters, schedules, appointment types."""
    SETTINGS = "settings"
    """Clinic-wide settings (reminders, SMTP, SMS, templates)."""
    NOTIFICATIONS = "notifications"
    """The reminder queue (retried or dismissed messages)."""
    WAITLIST = "waitlist"
    """Patients waiting for a time to come free."""


@dataclass(frozen=True, slots=True)
class Initiator:
    """Who started an operation on this desk: a screen's identity, never the screen itself
    (a notice travels through worker threads, which must hold no reference to a widget)."""

    key: int
    name: str

    @classmethod
    def of(cls, thing: object) -> Initiator:
        """The screen's own key, never handed on: `id()` is reused as soon as a closed screen
        is freed, and a new screen could then take the old one's notices for its own."""
        with _keys_lock:
            try:
                key = _keys.get(thing)
                if key is None:
                    key = _keys[thing] = next(_next_key)
            except TypeError:  # neither weakly referable nor hashable: keep the key on it
                key = getattr(thing, "_montu_initiator_key", None)
                if key is None:
                    key = next(_next_key)
                    object.__setattr__(thing, "_montu_initiator_key", key)
        return cls(key, type(thing).__name__)


_next_key = itertools.count(1)
_keys: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
_keys_lock = threading.Lock()


LOCAL = Initiator(0, "this desk")
"""The origin of a commit made here outside any screen's operation (CLI, scheduler, tests)."""


@dataclass(frozen=True, slots=True)
class OpChanges:
    """The kinds (and, where known, the ids) one committed operation changed.

    `origin` is whoever started the operation on this desk (screens compare it with
    `Initiator.of(self)`); it is None for a change heard from another desk.
    """

    kinds: frozenset[ChangeKind]
    ids: frozenset[tuple[ChangeKind, int]] = frozenset()
    origin: Initiator | None = field(default=None, compare=False)

    @classmethod
    def of(cls, *kinds: ChangeKind | str, origin: Initiator | None = None) -> OpChanges:
        return cls(frozenset(ChangeKind(k) for k in kinds), origin=origin)

    def started_by(self, thing: object) -> bool:
        return self.origin == Initiator.of(thing)

    @property
    def remote(self) -> bool:
        """Heard from another desk (or another program) rather than done here."""
        return self.origin is None

    def touches(self, *kinds: ChangeKind | str) -> bool:
        return any(ChangeKind(k) in self.kinds for k in kinds)

    def ids_of(self, kind: ChangeKind | str) -> list[int]:
        wanted = ChangeKind(kind)
        return sorted(i for k, i in self.ids if k is wanted)

    def __bool__(self) -> bool:
        return bool(self.kinds)
