"""The one reader of who is free for a type over some days (domain/who_is_free.py decides).

It reads, in the caller's unit of work, the days' opening hours, the bookable doctors'
roster blocks and the live appointments (less the one being moved), and takes the cached
rules: who does not perform the type, and the time held for urgent patients that is not
yet released (left out for an urgent booking).
"""

from __future__ import annotations

from datetime import date

from montu_desktop.domain.clinic_time import local_day_bounds
from montu_desktop.domain.model import AppointmentType, Roster, busy_by_doctor
from montu_desktop.domain.who_is_free import WhoIsFree
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.scheduling_reference import held_now, performers
from montu_desktop.services.unit_of_work import UnitOfWork


def read_who_is_free(
    ctx: ServiceContext,
    uow: UnitOfWork,
    kind: AppointmentType,
    first_day: date,
    last_day: date,
    *,
    exclude_id: int | None = None,
    urgent: bool = False,
    patient_id: int | None = None,
) -> WhoIsFree:
    """What decides who is free for `kind` from `first_day` to `last_day` (clinic days,
    inclusive): `exclude_id` is an appointment being moved (its own time is not in the way),
    `patient_id` the patient whose other appointments rule a time out."""
    zone = clinic_policy(ctx).timezone
    held = {} if urgent else held_now(ctx, first_day, last_day, zone)
    session = uow.session
    days = repo.clinic_days(session, first_day, last_day)
    roster = Roster.from_blocks(repo.roster_blocks(session, first_day, last_day))
    start, end = local_day_bounds(first_day, zone)[0], local_day_bounds(last_day, zone)[1]
    busy = repo.busy_times(session, start, end, exclude_id=exclude_id)
    performing = performers(ctx, roster, kind.id)  # as the week grid counts them
    skipped = frozenset(roster.doctors()) - frozenset(performing.doctors())
    mine = sorted(
        (b.start, b.end) for b in busy if patient_id is not None and b.patient_id == patient_id
    )
    return WhoIsFree.of(
        days,
        performing,
        skipped,
        busy_by_doctor(busy),
        held,
        mine,
    )
