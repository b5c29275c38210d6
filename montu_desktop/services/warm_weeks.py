"""Keeps the weeks a desk or the API is asked for computed, while a fresh answer would agree.

A desk pages between its current week and the next (per appointment type); answers of
`availability.week_availability` are kept per (type, Monday, urgent, doctor), least recently
used first out. A kept week is never different from a fresh computation: it is dropped

- on every change notice that can touch availability: this desk's commits and what the change
  feed hears from other desks both reach `ctx.drop_cached`, the one path that drops every
  cache, before any screen hears of them (only the reminder queue is ignored);
- when the reference cache it was computed from is dropped, or when any entry it read from
  that cache expires (a recomputation would reload it);
- by the clock, at the next instant a fresh computation could answer differently: a slot
  start of the week entering the minimum notice, held time releasing itself, local midnight
  moving the booking horizon; and in any case one slot length after it was computed.

Opt-in: the desk's window keeps the weeks it shows, and the API the weeks websites ask for
(with the bytes it sent, `rendered`); one-shot callers (CLI, self-test, other services, the
benchmark's cold measurement) call `week_availability` and compute fresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.model import ClinicPolicy, epoch, week_days, week_start
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.services.availability import WeekAvailability, week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.dropped_on_change import DroppedOnChange
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.scheduling_reference import HoldPolicy, hold_policy

WeekKey = tuple[str, date, bool, int | None]
"""(type name as asked, casefolded; Monday; urgent; doctor id or None)."""

DEFAULT_CAPACITY = 6
"""The current, next and previous week of two types: more would be kept for nothing."""

HARMLESS = frozenset({ChangeKind.NOTIFICATIONS})
"""Change kinds that cannot alter availability (the reminder queue)."""


@dataclass(frozen=True, slots=True)
class _Kept:
    week: WeekAvailability
    stale_at: int
    """Epoch second of the context's clock from which a fresh answer may differ."""
    cache_generation: int
    cache_fresh_until: float
    """When (the reference cache's clock) the oldest cache entry it read expires."""
    rendered: bytes | None = None
    """The week as the API sent it (kept and dropped with the week)."""


class WarmWeeks(DroppedOnChange):
    """A desk's small store of computed weeks; thread-safe, attached to one context."""

    def __init__(self, ctx: ServiceContext, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._kept: OrderedDict[WeekKey, _Kept] = OrderedDict()
        self._running: dict[WeekKey, threading.Event] = {}
        self.enabled = True
        """Off: every call computes fresh and `warm` does nothing (the benchmark's cold row)."""
        self.hits = 0
        self.misses = 0
        super().__init__(ctx)

    def _forget(self) -> None:
        self._kept.clear()

    def week(
        self,
        type_name: str,
        day: date,
        *,
        urgent: bool = False,
        doctor_id: int | None = None,
    ) -> WeekAvailability:
        """The same answer as `week_availability(ctx, type_name, day, ...)`, kept or fresh."""
        if not self.enabled:
            return week_availability(self._ctx, type_name, day, urgent=urgent, doctor_id=doctor_id)
        key = _key(type_name, day, urgent, doctor_id)
        while True:
            with self._lock:
                found = self._fresh(key)
                if found is not None:
                    self.hits += 1
                    return found
                running = self._running.get(key)
                if running is None:
                    self.misses += 1
                    done = self._running[key] = threading.Event()
                    generation = self._generation
                    break
            # The same week is being computed (the desk's prefetch): its answer will do.
            running.wait()
        try:
            return self._compute(key, generation)
        finally:
            with self._lock:
                del self._running[key]
            done.set()

    def rendered(
        self, type_name: str, day: date, render: Callable[[WeekAvailability], bytes]
    ) -> bytes:
        """`render(self.week(type_name, day))`, kept with the week: a repeat costs neither
        the computation nor the rendering (the API's answers, sent as these bytes)."""
        week = self.week(type_name, day)
        key = _key(type_name, day, False, None)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept.week is week and kept.rendered is not None:
                return kept.rendered
        body = render(week)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept.week is week:
                self._kept[key] = replace(kept, rendered=body)
        return body

    def kept_rendered(self, type_name: str, day: date) -> bytes | None:
        """The bytes `rendered` kept with the week holding `day` while the week is still right,
        else None; never computes nor asks the database (the API's event loop asks first)."""
        key = _key(type_name, day, False, None)
        with self._lock:
            if not self.enabled or self._fresh(key) is None:
                return None
            body = self._kept[key].rendered
            if body is not None:
                self.hits += 1
            return body

    def warm(self, type_name: str, day: date) -> None:
        """Compute the week holding `day` now, if it is not kept already (for a prefetch)."""
        if self.enabled:
            self.week(type_name, day)

    def kept(
        self, type_name: str, day: date, *, urgent: bool = False, doctor_id: int | None = None
    ) -> WeekAvailability | None:
        """The week holding `day` if it is kept and still right, else None; never computes
        nor asks the database (safe on the GUI thread)."""
        key = _key(type_name, day, urgent, doctor_id)
        with self._lock:
            found = self._fresh(key) if self.enabled else None
            if found is not None:
                self.hits += 1
            return found

    def is_warm(
        self, type_name: str, day: date, *, urgent: bool = False, doctor_id: int | None = None
    ) -> bool:
        """True when the week holding `day` would be answered from the store now."""
        key = _key(type_name, day, urgent, doctor_id)
        with self._lock:
            return self.enabled and self._fresh(key, touch=False) is not None

    def _fresh(self, key: WeekKey, *, touch: bool = True) -> WeekAvailability | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        cache = self._ctx.cache
        if (
            epoch(self._ctx.clock()) >= kept.stale_at
            or cache.generation != kept.cache_generation
            or cache.now() >= kept.cache_fresh_until
        ):
            del self._kept[key]
            return None
        if touch:
            self._kept.move_to_end(key)
        return kept.week

    def _compute(self, key: WeekKey, generation: int) -> WeekAvailability:
        type_name, monday, urgent, doctor_id = key
        ctx = self._ctx
        now = ctx.clock()
        with ctx.cache.noting_reads() as reads:
            week = week_availability(ctx, type_name, monday, urgent=urgent, doctor_id=doctor_id)
            policy = clinic_policy(ctx)
            holds = None if urgent else hold_policy(ctx)
        kept = _Kept(
            week,
            stale_at(week, policy, holds, now),
            reads.generation,
            reads.oldest + ctx.cache.ttl,
        )
        with self._lock:
            if generation == self._generation:
                self._kept[key] = kept
                self._kept.move_to_end(key)
                while len(self._kept) > self._capacity:
                    self._kept.popitem(last=False)
        return week

    def _heard(self, changes: OpChanges) -> None:  # any thread, before any listener
        if not changes.kinds or changes.kinds - HARMLESS:
            self.drop()


def _key(type_name: str, day: date, urgent: bool, doctor_id: int | None) -> WeekKey:
    return (type_name.strip().casefold(), week_start(day), urgent, doctor_id)


def stale_at(
    week: WeekAvailability, policy: ClinicPolicy, holds: HoldPolicy | None, now: datetime
) -> int:
    """The first epoch second from which `week`, computed at `now`, may differ from a fresh
    computation (a second early at worst: `epoch` drops the fraction of `now`)."""
    at = epoch(now)
    notice = policy.min_notice_minutes * 60
    candidates = [at + policy.slot_minutes * 60]
    # A slot start s turns PAST once s < epoch(now) + notice, i.e. from s - notice + 1 on.
    candidates += [
        slot.start - notice + 1
        for day in week.days
        for slot in day.slots
        if slot.start - notice + 1 > at
    ]
    # The horizon is counted from the local date: it moves at local midnight.
    today = to_local(now, policy.timezone).date()
    candidates.append(epoch(local_instant(today + timedelta(days=1), time(0), policy.timezone)))
    if holds is not None:
        # Held time is held while now < start - release (domain/holds.held_times).
        for rule in holds.rules:
            for day in week_days(week.monday):
                if day.weekday() == rule.weekday:
                    release = (
                        epoch(local_instant(day, rule.starts, policy.timezone))
                        - holds.release_seconds
                    )
                    if release > at:
                        candidates.append(release)
    return min(candidates)
