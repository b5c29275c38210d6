"""Cached reference data: the clinic's rules, appointment types, doctors, and each week's roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NoSchedule, NotFound
from montu_desktop.domain.model import (
    AppointmentType,
    ClinicDay,
    ClinicPolicy,
    Doctor,
    Roster,
    week_start,
)
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class WeekReference:
    """What availability needs besides appointments, for one Monday-to-Sunday week."""

    monday: date
    days: dict[date, ClinicDay]
    roster: Roster


def clinic_policy(ctx: ServiceContext) -> ClinicPolicy:
    """The clinic's rules, or a refusal when no clinic has been set up in this database."""

    def load() -> ClinicPolicy | None:
        with UnitOfWork(ctx) as uow:
            return repo.policy(uow.session)

    found = ctx.cache.get("policy", load)
    if found is None:
        raise NoSchedule("clinic", "no clinic is set up in this database yet")
    return found


def clinic_today(ctx: ServiceContext) -> date:
    """Today in the clinic's own time zone (a UTC machine's date is a day off for hours)."""
    return to_local(ctx.clock(), clinic_policy(ctx).timezone).date()


def appointment_types(ctx: ServiceContext) -> list[AppointmentType]:
    def load() -> list[AppointmentType]:
        with UnitOfWork(ctx) as uow:
            return repo.appointment_types(uow.session)

    return ctx.cache.get("types", load)


def doctors(ctx: ServiceContext) -> list[Doctor]:
    def load() -> list[Doctor]:
        with UnitOfWork(ctx) as uow:
            return repo.doctors(uow.session)

    return ctx.cache.get("doctors", load)


def find_type(ctx: ServiceContext, name: str, *, field: str = "type") -> AppointmentType:
    """The appointment type called `name` (any case) or with that id; must be offered."""
    wanted = name.strip().casefold()
    for kind in appointment_types(ctx):
        if kind.name.casefold() == wanted or str(kind.id) == wanted:
            if not kind.active:
                raise InvalidRequest(field, f"{kind.name!r} is no longer offered")
            return kind
    raise NotFound(field, f"no appointment type called {name!r}")


def week_reference(ctx: ServiceContext, day: date) -> WeekReference:
    """The clinic days and roster of the week holding `day` (cached)."""
    monday = week_start(day)

    def load() -> WeekReference:
        sunday = monday + timedelta(days=6)
        with UnitOfWork(ctx) as uow:
            days = repo.clinic_days(uow.session, monday, sunday)
            roster = Roster.from_blocks(repo.roster_blocks(uow.session, monday, sunday))
        return WeekReference(monday, days, roster)

    return ctx.cache.get(("week", monday), load)
