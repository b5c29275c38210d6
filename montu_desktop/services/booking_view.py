"""What the booking dialog needs to offer: who is free at a slot, and the nearest free slots."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from montu_desktop.domain import booking as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NoSchedule
from montu_desktop.domain.model import Doctor, epoch
from montu_desktop.domain.who_is_free import choose, free_at, work_in_at
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.free_doctors import read_who_is_free
from montu_desktop.services.reference import clinic_policy, doctors, find_type
from montu_desktop.services.unit_of_work import UnitOfWork


def free_doctors_at(
    ctx: ServiceContext, type_name: str, start: datetime, *, urgent: bool = False
) -> list[Doctor]:
    """Doctors who perform `type_name`, rostered and free for its whole length from `start`
    (time held for urgent patients counts as taken unless `urgent`), by name."""
    kind = find_type(ctx, type_name)
    day = to_local(start, clinic_policy(ctx).timezone).date()
    with UnitOfWork(ctx) as uow:
        who = read_who_is_free(ctx, uow, kind, day, day, urgent=urgent)
    free = set(free_at(who, _range(start, kind.length_minutes)))
    return [d for d in doctors(ctx) if d.id in free]


def work_in_doctors(ctx: ServiceContext, type_name: str, start: datetime) -> list[Doctor]:
    """Doctors who perform `type_name`, are rostered for its whole length from `start` and
    are already booked then: whom a work-in could squeeze the patient in with, by name."""
    kind = find_type(ctx, type_name)
    day = to_local(start, clinic_policy(ctx).timezone).date()
    with UnitOfWork(ctx) as uow:
        who = read_who_is_free(ctx, uow, kind, day, day, urgent=True)
    chosen = set(work_in_at(who, _range(start, kind.length_minutes)))
    return [d for d in doctors(ctx) if d.id in chosen]


def choice_preview(
    ctx: ServiceContext, type_name: str, start: datetime, *, urgent: bool = False
) -> rules.DoctorChoice | None:
    """The fair choice as it stands (who is free, booked and rostered minutes that day), for
    the booking dialog to show before booking; None when nobody is free or the day is closed."""
    kind = find_type(ctx, type_name)
    day = to_local(start, clinic_policy(ctx).timezone).date()
    with UnitOfWork(ctx) as uow:
        who = read_who_is_free(ctx, uow, kind, day, day, urgent=urgent)
    try:
        return choose(who, _range(start, kind.length_minutes), ctx.rng)
    except InvalidRequest:
        return None


def _range(start: datetime, minutes: int) -> rules.TimeRange:
    return rules.TimeRange(epoch(start), epoch(start) + minutes * 60)


def nearest_free_slots(
    ctx: ServiceContext, type_name: str, near: datetime, count: int = 4
) -> list[datetime]:
    """Up to `count` free starts closest in time to `near` (same week or the next), soonest first."""
    policy = clinic_policy(ctx)
    day = to_local(near, policy.timezone).date()
    starts: list[int] = []
    for week in (day - timedelta(weeks=1), day, day + timedelta(weeks=1)):
        starts.extend(_free_starts(ctx, type_name, week))
    target = epoch(near)
    closest = sorted((s for s in set(starts) if s != target), key=lambda s: (abs(s - target), s))
    return [datetime.fromtimestamp(s, near.tzinfo) for s in sorted(closest[:count])]


def _free_starts(ctx: ServiceContext, type_name: str, day: date) -> list[int]:
    try:
        week = week_availability(ctx, type_name, day)
    except NoSchedule:
        return []
    return [slot.start for d in week.days for slot in d.slots if slot.available]
