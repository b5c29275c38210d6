"""Cached scheduling rules: the types each doctor skips, time held for urgent patients, closures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from montu_desktop.domain.holds import HeldRule, held_times
from montu_desktop.domain.model import ClinicDay, Roster, epoch
from montu_desktop.notifications.settings import SPECS, parse_hold_release
from montu_desktop.persistence import core_rows
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import week_reference
from montu_desktop.services.unit_of_work import UnitOfWork

RELEASE_KEY = "holds.release_before"


@dataclass(frozen=True, slots=True)
class HoldPolicy:
    """The held-time rules and how long before its start held time is released."""

    rules: tuple[HeldRule, ...]
    release_seconds: int


def skipped_types(ctx: ServiceContext) -> dict[int, frozenset[int]]:
    """Doctor id → ids of the appointment types that doctor does not perform."""

    def load() -> dict[int, frozenset[int]]:
        found: dict[int, set[int]] = {}
        with UnitOfWork(ctx) as uow:
            for doctor_id, type_id in core_rows.skipped_type_pairs(uow.session):
                found.setdefault(doctor_id, set()).add(type_id)
        return {d: frozenset(k) for d, k in found.items()}

    return ctx.cache.get("skipped_types", load)


def performers(ctx: ServiceContext, roster: Roster, type_id: int) -> Roster:
    """The roster cut down to the doctors who perform the type."""
    skips = skipped_types(ctx)
    return roster.only(d for d in roster.doctors() if type_id not in skips.get(d, ()))


def hold_policy(ctx: ServiceContext) -> HoldPolicy:
    def load() -> HoldPolicy:
        with UnitOfWork(ctx) as uow:
            rules = core_rows.held_rules(uow.session)
            stored = core_rows.setting_value(uow.session, RELEASE_KEY)
        try:
            release = parse_hold_release(
                stored if stored is not None else SPECS[RELEASE_KEY].default
            )
        except ValueError:
            release = parse_hold_release(SPECS[RELEASE_KEY].default)
        return HoldPolicy(rules, int(release.total_seconds()))

    return ctx.cache.get("holds", load)


def held_now(
    ctx: ServiceContext, first: date, last: date, zone: str
) -> dict[int, list[tuple[int, int]]]:
    """Per doctor, the held ranges between first and last (inclusive) not yet released."""
    policy = hold_policy(ctx)
    if not policy.rules:
        return {}
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return held_times(policy.rules, days, zone, epoch(ctx.clock()), policy.release_seconds)


def rostered_minutes_on(ctx: ServiceContext, day: ClinicDay) -> dict[int, int]:
    """Minutes each bookable doctor is rostered on an open clinic day (from the cached week
    roster: the fair choice's denominator costs the booking no extra query)."""
    if day.opens is None or day.closes is None:
        return {}
    opens, closes = epoch(day.opens), epoch(day.closes)

    def load() -> dict[int, int]:
        roster = week_reference(ctx, day.day).roster
        return {
            d: sum(min(e, closes) - max(s, opens) for s, e in blocks if s < closes and e > opens)
            // 60
            for d, blocks in roster.blocks.items()
        }

    return ctx.cache.get(("rostered", day.day, opens, closes), load)


def closure_reasons(ctx: ServiceContext, first: date, last: date) -> dict[date, str]:
    """Why the clinic is closed on each closure day between first and last (e.g. the holiday)."""

    def load() -> dict[date, str]:
        with UnitOfWork(ctx) as uow:
            return core_rows.closure_reasons(uow.session, first, last)

    return ctx.cache.get(("closures", first, last), load)
