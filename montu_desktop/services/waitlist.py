"""The waitlist: patients waiting for a type (maybe a doctor, dates, part of day) and who fits freed time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from montu_desktop.domain import waitlist as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import week_start
from montu_desktop.domain.text import LINE_BREAKS, check_text
from montu_desktop.persistence import patient_rows, waitlist_repo
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking_view import free_doctors_at
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy, find_type
from montu_desktop.services.scheduling_reference import skipped_types
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class WaitlistItem:
    """An entry as the desk lists it."""

    id: int
    patient_id: int
    patient_name: str
    type_name: str
    doctor_id: int | None
    from_day: date | None
    until_day: date | None
    part: str
    note: str
    created_at: datetime
    closed: bool


def add_to_waitlist(
    ctx: ServiceContext,
    patient_id: int,
    type_name: str,
    *,
    doctor_id: int | None = None,
    from_day: date | None = None,
    until_day: date | None = None,
    part: str = "any",
    note: str = "",
) -> int:
    """Put a patient on the waitlist; returns the entry id."""
    kind = find_type(ctx, type_name)
    part_of_day = rules.PartOfDay.parse(part)
    rules.check_range(from_day, until_day)
    note = check_text(note, "note", LINE_BREAKS).strip()
    if len(note) > 400:
        raise InvalidRequest("note", "must be at most 400 characters")
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if patient_rows.get(session, patient_id) is None:
            raise NotFound("patient", f"no patient with id {patient_id}")
        if doctor_id is not None:
            doctor_name = waitlist_repo.bookable_doctor_name(session, doctor_id)
            if doctor_name is None:
                raise NotFound("doctor", f"no doctor with id {doctor_id}")
            if kind.id in skipped_types(ctx).get(doctor_id, ()):
                raise InvalidRequest("doctor", f"{doctor_name} does not perform {kind.name}")
        entry_id = waitlist_repo.add(
            session,
            patient_id=patient_id,
            type_id=kind.id,
            doctor_id=doctor_id,
            from_day=from_day,
            until_day=until_day,
            part=part_of_day.value,
            note=note,
            actor=ctx.actor,
            now=ctx.clock(),
        )
        uow.audit("waitlist.added", f"waitlist {entry_id}", type=kind.name)
        uow.touches("waitlist")
        uow.commit()
        return entry_id


def list_waitlist(ctx: ServiceContext, *, include_closed: bool = False) -> list[WaitlistItem]:
    """Open entries (or all), oldest first."""
    with UnitOfWork(ctx) as uow:
        found = waitlist_repo.listed(uow.session, include_closed=include_closed)
    return [
        WaitlistItem(
            r.id,
            r.patient_id,
            r.patient_name,
            r.type_name,
            r.doctor_id,
            r.from_day,
            r.until_day,
            r.part,
            r.note,
            r.created_at,
            r.closed_at is not None,
        )
        for r in found
    ]


def remove_from_waitlist(ctx: ServiceContext, entry_id: int) -> None:
    """Close an open entry without a booking (kept for the record)."""
    with UnitOfWork(ctx, write=True) as uow:
        row = waitlist_repo.get(uow.session, entry_id)
        if row is None:
            raise NotFound("waitlist", f"no waitlist entry with id {entry_id}")
        if row.closed_at is not None:
            raise InvalidRequest("waitlist", f"entry {entry_id} is already closed")
        waitlist_repo.close(uow.session, entry_id, ctx.clock())
        uow.audit("waitlist.removed", f"waitlist {entry_id}")
        uow.touches("waitlist")
        uow.commit()


def earliest_fits(
    ctx: ServiceContext, entries: list[WaitlistItem], *, weeks: int | None = None
) -> dict[int, datetime]:
    """For each entry, the earliest free start that fits it (its type, doctor, dates and part
    of day) within the booking horizon: what a roster or leave change may have opened up.
    One availability read per week and (type, doctor) asked about, shared by the entries."""
    policy = clinic_policy(ctx)
    today = to_local(ctx.clock(), policy.timezone).date()
    horizon = today + timedelta(weeks=weeks or policy.horizon_weeks)
    weeks_seen: dict[tuple[str, int | None, date], list[tuple[datetime, int]]] = {}
    found: dict[int, datetime] = {}
    for item in entries:
        first = max(today, item.from_day or today)
        last = min(horizon, item.until_day or horizon)
        part = rules.PartOfDay(item.part)
        monday = week_start(first)
        while monday <= last and item.id not in found:
            key = (item.type_name, item.doctor_id, monday)
            if key not in weeks_seen:
                weeks_seen[key] = _free_starts(ctx, item.type_name, monday, item.doctor_id)
            for start, _free in weeks_seen[key]:
                local = to_local(start, policy.timezone)
                if first <= local.date() <= last and part.holds(local.time()):
                    found[item.id] = start
                    break
            monday += timedelta(weeks=1)
    return found


def _free_starts(
    ctx: ServiceContext, type_name: str, monday: date, doctor_id: int | None
) -> list[tuple[datetime, int]]:
    try:
        week = week_availability(ctx, type_name, monday, doctor_id=doctor_id)
    except InvalidRequest:
        return []
    return [(s.starts_at, s.free_doctors) for d in week.days for s in d.slots if s.available]


def waitlist_matches(ctx: ServiceContext, type_name: str, start: datetime) -> list[WaitlistItem]:
    """The open entries that fit an appointment of `type_name` at `start`, oldest first: the
    type, the dates and part of day they asked for, and their doctor (if any) free then."""
    kind = find_type(ctx, type_name)
    zone = clinic_policy(ctx).timezone
    local = to_local(start, zone)
    free = [d.id for d in free_doctors_at(ctx, kind.name, start)]
    if not free:
        return []
    items = {i.id: i for i in list_waitlist(ctx)}
    entries = [
        rules.WaitingPatient(
            i.id,
            i.patient_id,
            kind.id if i.type_name == kind.name else -1,
            i.doctor_id,
            i.from_day,
            i.until_day,
            rules.PartOfDay(i.part),
            i.created_at,
        )
        for i in items.values()
    ]
    return [items[e.id] for e in rules.matching(entries, kind.id, local, free)]
