"""The week availability use case: for a type and a week, how many doctors are free at each slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from montu_desktop.domain import availability as rules
from montu_desktop.domain.clinic_time import local_day_bounds
from montu_desktop.domain.errors import NoSchedule
from montu_desktop.domain.model import (
    AppointmentType,
    ClinicDay,
    ClinicPolicy,
    epoch,
    week_days,
    week_start,
)
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy, find_type, week_reference
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class WeekAvailability:
    """What the week grid shows: per day, per slot start, the number of free doctors."""

    appointment_type: AppointmentType
    timezone: str
    slot_minutes: int
    monday: date
    days: tuple[rules.DayAvailability, ...]

    def slot_at(self, moment: datetime) -> rules.Slot | None:
        target = epoch(moment)
        for day in self.days:
            for slot in day.slots:
                if slot.start == target:
                    return slot
        return None


def booking_window(policy: ClinicPolicy, now: datetime) -> rules.BookingWindow:
    """The clinic's booking window now (the rule is the domain's BookingWindow.at)."""
    return rules.BookingWindow.at(now, policy)


def week_availability(ctx: ServiceContext, type_name: str, day: date) -> WeekAvailability:
    """Availability of `type_name` in the Monday-to-Sunday week that holds `day`."""
    policy = clinic_policy(ctx)
    kind = find_type(ctx, type_name)
    monday = week_start(day)
    reference = week_reference(ctx, monday)
    if not reference.days:
        raise NoSchedule(
            "week",
            f"the week of {monday.isoformat()} has no clinic schedule "
            "(the clinic is not set up for it, or it is beyond the booking horizon)",
        )
    days = [reference.days.get(d) or ClinicDay.closed(d) for d in week_days(monday)]
    start = local_day_bounds(monday, policy.timezone)[0]
    end = local_day_bounds(monday + timedelta(days=6), policy.timezone)[1]
    with UnitOfWork(ctx) as uow:
        busy = repo.busy_pairs_by_doctor(uow.session, start, end)
    computed = rules.week_availability(
        days,
        reference.roster,
        busy,
        kind.length_minutes,
        policy.slot_minutes,
        booking_window(policy, ctx.clock()),
    )
    return WeekAvailability(kind, policy.timezone, policy.slot_minutes, monday, tuple(computed))
