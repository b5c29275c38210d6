"""Loads what the schedules are planned from, plans them, and writes them (with roster exceptions).

Settings changes plan twice: once with the change applied in memory to preview what it would
strand, then for real in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

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
from montu_desktop.persistence import admin_rows, roster_rows
from montu_desktop.persistence import repositories as repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

GENERATED_UNTIL = "schedules.generated_until"
"""Setting key: the last day whose clinic and doctor schedules have been generated."""


@dataclass(frozen=True)
class PlanInputs:
    """Everything the dated schedules are generated from, as plain values."""

    policy: ClinicPolicy
    hours: tuple[WeeklyHours, ...]
    closures: frozenset[date]
    templates: tuple[RosterTemplate, ...]
    exceptions: tuple[RosterException, ...]
    bookable: frozenset[int]
    skipped: frozenset[tuple[int, int]] = frozenset()
    """(doctor id, type id): the types each doctor does not perform."""

    def skipped_by_doctor(self) -> dict[int, frozenset[int]]:
        found: dict[int, set[int]] = {}
        for doctor_id, type_id in self.skipped:
            found.setdefault(doctor_id, set()).add(type_id)
        return {d: frozenset(types) for d, types in found.items()}

    def but(self, **changes: object) -> PlanInputs:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_inputs(session: Session) -> PlanInputs:
    policy = repo.policy(session)
    if policy is None:
        raise NoSchedule("clinic", "no clinic is set up in this database yet")
    return PlanInputs(
        policy=policy,
        hours=admin_rows.opening_hours(session),
        closures=frozenset(admin_rows.closed_days(session)),
        templates=roster_rows.templates(session),
        exceptions=roster_rows.exceptions(session),
        bookable=admin_rows.bookable_doctor_ids(session),
        skipped=admin_rows.skipped_pairs(session),
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


def generated_until(session: Session) -> date | None:
    value = admin_rows.setting(session, GENERATED_UNTIL)
    return date.fromisoformat(value) if value is not None else None


def write_schedules(session: Session, inputs: PlanInputs, first: date, last: date) -> None:
    """Replace generated clinic days and roster blocks in [first, last] and move the stamp on."""
    if last < first:
        return
    clinic_days, blocks, extras = plan(inputs, first, last)
    repo.replace_schedules(session, first, last, clinic_days, blocks)
    zone = inputs.policy.timezone
    roster_rows.replace_extra_sessions(
        session,
        first,
        last,
        [(b.doctor_id, to_local(b.start, zone).date(), b.start, b.end) for b in extras],
    )
    stamp = generated_until(session)
    if stamp is None or stamp < last:
        admin_rows.put_setting(session, GENERATED_UNTIL, last.isoformat())


def future_range(session: Session, inputs: PlanInputs, today: date) -> tuple[date, date]:
    """From today to the horizon (or further, if schedules were already generated further)."""
    last = today + timedelta(weeks=inputs.policy.horizon_weeks)
    already = generated_until(session)
    return today, max(last, already) if already else last
