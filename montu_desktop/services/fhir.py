"""FHIR R4 reads (issue 27 item 6): Patient, Practitioner, Schedule, Slot and Appointment
resources (as JSON-ready dicts) from the clinic's records, for other health software.

A doctor is a Practitioner with one Schedule (same id). Slots are the product's own
availability (services/availability.week_availability for that doctor and a type): never
recomputed here. Nothing is written and nothing about a patient is logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from montu_desktop.domain import fhir as rules
from montu_desktop.domain.availability import BookingWindow, Unavailable
from montu_desktop.domain.clinic_time import local_day_bounds, to_local
from montu_desktop.domain.errors import InvalidRequest, NoSchedule, NotFound
from montu_desktop.domain.model import (
    AppointmentStatus,
    AppointmentType,
    Doctor,
    from_epoch,
    week_start,
)
from montu_desktop.persistence import feed_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services import availability, patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, find_type
from montu_desktop.services.scheduling_reference import skipped_types
from montu_desktop.services.unit_of_work import UnitOfWork

Resource = dict[str, object]
MEDICARE = "http://ns.electronichealth.net.au/id/medicare-number"
DVA = "http://ns.electronichealth.net.au/id/dva"
_SLOT_STATUS = {Unavailable.ALL_BUSY: "busy", Unavailable.HELD: "busy-unavailable"}


def _zone(ctx: ServiceContext) -> str:
    return clinic_policy(ctx).timezone


def _instant(ctx: ServiceContext, moment: datetime) -> str:
    return to_local(moment, _zone(ctx)).isoformat()


def _not_found(kind: str, text: str) -> NotFound:
    return NotFound("id", f"no {kind} with id {text!r}")


# --- Patient ----------------------------------------------------------------------------------


def patient(ctx: ServiceContext, text_id: str) -> Resource:
    found = rules.resource_id(text_id)
    if found is None:
        raise _not_found("Patient", text_id)
    try:
        record = patients.get_patient(ctx, found)
    except NotFound:
        raise _not_found("Patient", text_id) from None
    d = record.details
    name: Resource = {"use": "official", "family": d.family_name}
    if d.given_name.split():
        name["given"] = d.given_name.split()
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(record.id),
        "active": not record.retired,
        "name": [name],
    }
    identifiers = []
    if d.medicare_number:
        value = d.medicare_number + (str(d.medicare_irn) if d.medicare_irn else "")
        identifiers.append({"system": MEDICARE, "value": value})
    if d.dva_number:
        identifiers.append({"system": DVA, "value": d.dva_number})
    if identifiers:
        resource["identifier"] = identifiers
    telecom = []
    if d.phone:
        telecom.append({"system": "phone", "value": d.phone})
    if d.email:
        telecom.append({"system": "email", "value": d.email})
    if telecom:
        resource["telecom"] = telecom
    if d.date_of_birth:
        resource["birthDate"] = d.date_of_birth.isoformat()
    if d.address:
        resource["address"] = [{"text": d.address}]
    if record.merged_into is not None:
        resource["link"] = [
            {"other": {"reference": f"Patient/{record.merged_into}"}, "type": "replaced-by"}
        ]
    return resource


# --- Practitioner and Schedule ----------------------------------------------------------------


def _all_doctors(ctx: ServiceContext) -> list[Doctor]:
    """Every doctor, removed ones too (their past appointments still name them)."""
    with UnitOfWork(ctx) as uow:
        return repo.doctors(uow.session, include_removed=True)


def _doctor(ctx: ServiceContext, text_id: str, kind: str) -> Doctor:
    wanted = rules.resource_id(text_id)
    found = next((d for d in _all_doctors(ctx) if d.id == wanted), None)
    if found is None:
        raise _not_found(kind, text_id)
    return found


def _practitioner(doctor: Doctor) -> Resource:
    return {
        "resourceType": "Practitioner",
        "id": str(doctor.id),
        "active": doctor.bookable,
        "name": [{"text": doctor.name}],
    }


def practitioner(ctx: ServiceContext, text_id: str) -> Resource:
    return _practitioner(_doctor(ctx, text_id, "Practitioner"))


def practitioners(ctx: ServiceContext) -> list[Resource]:
    return [_practitioner(d) for d in _all_doctors(ctx)]


def _performed(ctx: ServiceContext, doctor_id: int) -> list[AppointmentType]:
    skipped = skipped_types(ctx).get(doctor_id, frozenset())
    return [k for k in appointment_types(ctx) if k.active and k.id not in skipped]


def _schedule(ctx: ServiceContext, doctor: Doctor) -> Resource:
    policy = clinic_policy(ctx)
    now = ctx.clock()
    today = to_local(now, policy.timezone).date()
    horizon = from_epoch(BookingWindow.at(now, policy).latest)
    resource: Resource = {
        "resourceType": "Schedule",
        "id": str(doctor.id),
        "active": doctor.bookable,
        "actor": [{"reference": f"Practitioner/{doctor.id}", "display": doctor.name}],
        "planningHorizon": {
            "start": _instant(ctx, local_day_bounds(today, policy.timezone)[0]),
            "end": _instant(ctx, horizon),
        },
    }
    kinds = _performed(ctx, doctor.id)
    if kinds:
        resource["serviceType"] = [{"text": k.name} for k in kinds]
    return resource


def schedule(ctx: ServiceContext, text_id: str) -> Resource:
    return _schedule(ctx, _doctor(ctx, text_id, "Schedule"))


def schedules(ctx: ServiceContext, actor: str | None = None) -> list[Resource]:
    """Every doctor's schedule, or with `actor` (Practitioner/ID or ID) that doctor's."""
    found = _all_doctors(ctx)
    if actor is not None:
        wanted = rules.reference_id(actor, "Practitioner", "actor")
        found = [d for d in found if d.id == wanted]
    return [_schedule(ctx, d) for d in found]


# --- Slot -------------------------------------------------------------------------------------


def default_type(ctx: ServiceContext) -> AppointmentType:
    """The type slots are offered for unless `service-type` names one: the shortest offered."""
    offered = [k for k in appointment_types(ctx) if k.active]
    if not offered:
        raise NoSchedule("service-type", "the clinic offers no appointment type")
    return min(offered, key=lambda k: (k.length_minutes, k.name))


def slots(
    ctx: ServiceContext,
    schedule_ref: str,
    start: list[str],
    statuses: list[str],
    service_type: str | None = None,
) -> list[Resource]:
    """The doctor's slots starting in the range, as the week grid computes them: `free` where
    the doctor can take the type, `busy` where booked, `busy-unavailable` where held for
    urgent patients (past, closed and unrostered times are no slots)."""
    doctor_id = rules.reference_id(schedule_ref, "Schedule", "schedule")
    zone = _zone(ctx)
    span = rules.date_range(start, zone, "start")
    wanted = rules.slot_statuses(statuses)
    try:
        kind = find_type(ctx, service_type, field="service-type") if service_type else None
    except NotFound as exc:
        raise InvalidRequest(exc.field, exc.reason) from None
    kind = kind or default_type(ctx)
    doctor = next((d for d in _all_doctors(ctx) if d.id == doctor_id), None)
    if doctor is None:
        return []  # a search matching nothing is an empty Bundle, not an error
    low, high = int(span.start.timestamp()), int(span.end.timestamp())
    found: list[Resource] = []
    for monday in _mondays(span.start, span.end, zone):
        try:
            week = availability.week_availability(ctx, kind.name, monday, doctor_id=doctor.id)
        except NoSchedule:
            continue  # beyond the horizon, or never set up: no slots
        for day in week.days:
            for slot in day.slots:
                if not low <= slot.start < high:
                    continue
                status = "free" if slot.available else _SLOT_STATUS.get(slot.unavailable)  # type: ignore[arg-type]
                if status is None or status not in wanted:
                    continue
                found.append(_slot(ctx, doctor.id, kind, slot.starts_at, status))
    return found


def _mondays(start: datetime, end: datetime, zone: str) -> Iterator[date]:
    monday = week_start(to_local(start, zone).date())
    last = to_local(end - timedelta(seconds=1), zone).date()
    while monday <= last:
        yield monday
        monday += timedelta(days=7)


def _slot(
    ctx: ServiceContext, doctor_id: int, kind: AppointmentType, start: datetime, status: str
) -> Resource:
    return {
        "resourceType": "Slot",
        "id": f"{doctor_id}-{kind.id}-{int(start.timestamp())}",
        "schedule": {"reference": f"Schedule/{doctor_id}"},
        "serviceType": [{"text": kind.name}],
        "status": status,
        "start": _instant(ctx, start),
        "end": _instant(ctx, start + timedelta(minutes=kind.length_minutes)),
    }


# --- Appointment ------------------------------------------------------------------------------


def _appointment(
    ctx: ServiceContext, row: feed_rows.AppointmentRow, names: dict[int, str]
) -> Resource:
    status = rules.APPOINTMENT_STATUS[AppointmentStatus(row.status)]
    accepted = "declined" if status == "cancelled" else "accepted"
    return {
        "resourceType": "Appointment",
        "id": str(row.id),
        "status": status,
        "serviceType": [{"text": row.type_name}],
        "start": _instant(ctx, row.start),
        "end": _instant(ctx, row.end),
        "minutesDuration": int((row.end - row.start).total_seconds() // 60),
        "participant": [
            {"actor": {"reference": f"Patient/{row.patient_id}"}, "status": accepted},
            {
                "actor": {
                    "reference": f"Practitioner/{row.doctor_id}",
                    "display": names.get(row.doctor_id, ""),
                },
                "status": accepted,
            },
        ],
    }


def _doctor_names(ctx: ServiceContext) -> dict[int, str]:
    return {d.id: d.name for d in _all_doctors(ctx)}


def appointment(ctx: ServiceContext, text_id: str) -> Resource:
    wanted = rules.resource_id(text_id)
    row = None
    if wanted is not None:
        with UnitOfWork(ctx) as uow:
            row = feed_rows.appointment(uow.session, wanted)
    if row is None:
        raise _not_found("Appointment", text_id)
    return _appointment(ctx, row, _doctor_names(ctx))


def appointments(
    ctx: ServiceContext, dates: list[str], practitioner_ref: str | None = None
) -> list[Resource]:
    """Appointments (any status) starting in the range, of one practitioner or all."""
    span = rules.date_range(dates, _zone(ctx), "date")
    doctor_id = (
        rules.reference_id(practitioner_ref, "Practitioner", "practitioner")
        if practitioner_ref is not None
        else None
    )
    with UnitOfWork(ctx) as uow:
        rows = feed_rows.appointments(uow.session, span.start, span.end, doctor_id=doctor_id)
    names = _doctor_names(ctx)
    return [_appointment(ctx, r, names) for r in rows]


# --- Bundle -----------------------------------------------------------------------------------


def searchset(resources: list[Resource], base: str, self_url: str) -> Resource:
    """A `searchset` Bundle of `resources`; `base` is the FHIR base address (…/fhir)."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
