"""The week availability use case: for a type and a week, how many doctors are free at each slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from montu_desktop.domain import availability as rules
from montu_desktop.domain.clinic_time import check_day, local_day_bounds
from montu_desktop.domain.errors import NoSchedule
from montu_desktop.domain.holds import with_held
from montu_desktop.domain.model import (
    AppointmentType,
    ClinicDay,
    ClinicPolicy,
    epoch,
    week_days,
    week_start,
)
from montu_desktop.domain.wording import day_label
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import (
    WeekReference,
    clinic_policy,
    find_type,
    week_reference,
)
from montu_desktop.services.scheduling_reference import closure_reasons, held_now, performers


@dataclass(frozen=True, slots=True)
class WeekAvailability:
    """What the week grid shows: per day, per slot start, the number of free doctors."""

    appointment_type: AppointmentType
    timezone: str
    slot_minutes: int
    monday: date
    days: tuple[rules.DayAvailability, ...]
    closed_reasons: dict[date, str] = field(default_factory=dict)
    """Why each closed day is closed (a holiday's name, 'closed' on a day it never opens)."""

    def slot_at(self, moment: datetime) -> rules.Slot | None:
        target = epoch(moment)
        for day in self.days:
            for slot in day.slots:
                if slot.start == target:
                    return slot
        return None


def _week_frame(
    ctx: ServiceContext,
    reference: WeekReference,
    kind: AppointmentType,
    slot_minutes: int,
    doctor_id: int | None,
) -> rules.WeekFrame:
    """The week's roster-only counts for the type, kept with the reference data (and
    dropped with it on any edit): only the appointments are read per request."""

    def load() -> rules.WeekFrame:
        roster = performers(ctx, reference.roster, kind.id)
        if doctor_id is not None:
            roster = roster.only([doctor_id])
        days = [reference.days.get(d) or ClinicDay.closed(d) for d in week_days(reference.monday)]
        return rules.WeekFrame.of(days, roster, kind.length_minutes, slot_minutes)

    key = ("week-frame", reference.monday, kind.id, kind.length_minutes, slot_minutes, doctor_id)
    return ctx.cache.get(key, load)


def booking_window(policy: ClinicPolicy, now: datetime) -> rules.BookingWindow:
    """The clinic's booking window now (the rule is the domain's BookingWindow.at)."""
    return rules.BookingWindow.at(now, policy)


def week_availability(
    ctx: ServiceContext,
    type_name: str,
    day: date,
    *,
    urgent: bool = False,
    doctor_id: int | None = None,
) -> WeekAvailability:
    """Availability of `type_name` in the Monday-to-Sunday week that holds `day`, counting
    only the doctors who perform it; time held for urgent patients is offered only when
    `urgent` (otherwise its slots say HELD); with `doctor_id`, that doctor's slots only."""
    check_day(day, "week")
    policy = clinic_policy(ctx)
    kind = find_type(ctx, type_name)
    monday = week_start(day)
    reference = week_reference(ctx, monday)
    if not reference.days:
        raise NoSchedule(
            "week",
            f"the week of {day_label(monday, year=True)} has no clinic schedule "
            "(the clinic is not set up for it, or it is beyond the booking horizon)",
        )
    start = local_day_bounds(monday, policy.timezone)[0]
    end = local_day_bounds(monday + timedelta(days=6), policy.timezone)[1]
    with ctx.database.reading() as connection:
        busy = repo.busy_pairs_by_doctor(connection, start, end)
    frame = _week_frame(ctx, reference, kind, policy.slot_minutes, doctor_id)
    window = booking_window(policy, ctx.clock())
    sunday = monday + timedelta(days=6)
    computed = frame.availability(busy, window)
    held = {} if urgent else held_now(ctx, monday, sunday, policy.timezone)
    if held:
        computed = rules.mark_held(computed, frame.availability(with_held(busy, held), window))
    closures = closure_reasons(ctx, monday, sunday)
    closed = {
        d.day: closures.get(d.day, "closed" if d.day in reference.days else "no schedule")
        for d in computed
        if not d.open
    }
    return WeekAvailability(
        kind, policy.timezone, policy.slot_minutes, monday, tuple(computed), closed
    )
