"""Loads what the schedules are planned from, plans them, and writes them (with roster exceptions).

Settings changes plan twice: once with the change applied in memory to preview what it would
strand, then for real in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import NoSchedule
from montu_desktop.domain.model import (
    ClinicDay,
    ClinicPolicy,
    RosterBlock,
    RosterTemplate,
    WeeklyHours,
)
from montu_desktop.domain.roster_rules import RosterException, apply_exceptions
from montu_desktop.domain.schedule import plan_clinic_days, plan_roster
from montu_desktop.persistence.clinic_repository import ClinicRepository, DbSession


@dataclass(frozen=True)
class PlanInputs:
    """Everything the dated schedules are generated from, as plain values."""

    policy: ClinicPolicy
    hours: tuple[WeeklyHours, ...]
    closures: frozenset[date]
    templates: tuple[RosterTemplate, ...]
    exceptions: tuple[RosterException, ...]
    bookable: frozenset[int]

    def but(self, **changes: object) -> PlanInputs:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_inputs(session: DbSession) -> PlanInputs:
    clinic = ClinicRepository(session)
    policy = clinic.policy()
    if policy is None:
        raise NoSchedule("clinic", "no clinic is set up in this database yet")
    return PlanInputs(
        policy=policy,
        hours=clinic.opening_hours(),
        closures=clinic.closed_days(),
        templates=clinic.roster_templates(),
        exceptions=clinic.roster_exceptions(),
        bookable=clinic.bookable_doctors(),
    )


def plan(
    inputs: PlanInputs, first: date, last: date
) -> tuple[list[ClinicDay], list[RosterBlock], list[RosterBlock]]:
    """Clinic days, template blocks (leave cut out) and extra sessions for [first, last]."""
    zone = inputs.policy.timezone
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    clinic_days = plan_clinic_days(inputs.hours, inputs.closures, days, zone)
    blocks = plan_roster(inputs.templates, clinic_days, zone)
    in_range = [e for e in inputs.exceptions if first <= e.day <= last]
    kept, extras = apply_exceptions(blocks, in_range, clinic_days, zone)
    return clinic_days, kept, extras


def generated_until(session: DbSession) -> date | None:
    return ClinicRepository(session).generated_until()


def write_schedules(session: DbSession, inputs: PlanInputs, first: date, last: date) -> None:
    """Replace generated clinic days and roster blocks in [first, last] and move the stamp on."""
    if last < first:
        return
    clinic_days, blocks, extras = plan(inputs, first, last)
    zone = inputs.policy.timezone
    ClinicRepository(session).replace_schedules(
        first,
        last,
        clinic_days,
        blocks,
        [(b.doctor_id, to_local(b.start, zone).date(), b.start, b.end) for b in extras],
    )


def future_range(session: DbSession, inputs: PlanInputs, today: date) -> tuple[date, date]:
    """From today to the horizon (or further, if schedules were already generated further)."""
    last = today + timedelta(weeks=inputs.policy.horizon_weeks)
    already = generated_until(session)
    return today, max(last, already) if already else last
