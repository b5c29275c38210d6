"""Recalls: patients due back for a follow-up; added, listed and closed by the desk, closed by
a booking of their type (inside the booking's own transaction: see close_recalls_for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from montu_desktop.domain import recalls as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.events import RecallAdded
from montu_desktop.domain.model import week_start
from montu_desktop.domain.recalls import RecallStatus
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.recall_tables import Recall
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, find_type
from montu_desktop.services.scheduling_reference import skipped_types
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class RecallItem:
    """A recall as the desk lists it."""

    id: int
    patient_id: int
    patient_name: str
    due: date
    reason: str
    type_name: str | None
    doctor_id: int | None
    doctor_name: str | None
    status: str
    appointment_id: int | None
    created_at: datetime

    def overdue(self, today: date) -> bool:
        return self.status == RecallStatus.DUE.value and self.due < today


def today(ctx: ServiceContext) -> date:
    """The clinic-local day now."""
    return to_local(ctx.clock(), clinic_policy(ctx).timezone).date()


def add_recall(
    ctx: ServiceContext,
    patient_id: int,
    due: date,
    reason: str,
    *,
    type_name: str | None = None,
    doctor_id: int | None = None,
) -> RecallItem:
    """Record that a patient is due back by `due` (for `reason`, maybe a type and a doctor)."""
    reason = rules.clean_reason(reason)
    rules.check_due(due)
    kind = find_type(ctx, type_name) if type_name is not None else None
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        patient = session.get(t.Patient, patient_id)
        if patient is None:
            raise NotFound("patient", f"no patient with id {patient_id}")
        if patient.merged_into_id is not None:
            raise InvalidRequest(
                "patient", f"patient {patient_id} was merged into patient {patient.merged_into_id}"
            )
        if doctor_id is not None:
            doctor = session.get(t.Doctor, doctor_id)
            if doctor is None or doctor.removed_at is not None:
                raise NotFound("doctor", f"no doctor with id {doctor_id}")
            if kind is not None and kind.id in skipped_types(ctx).get(doctor_id, ()):
                raise InvalidRequest("doctor", f"{doctor.name} does not perform {kind.name}")
        row = Recall(
            patient_id=patient_id,
            type_id=kind.id if kind else None,
            doctor_id=doctor_id,
            due_day=due,
            reason=reason,
            status=RecallStatus.DUE.value,
            created_by=ctx.actor,
            created_at=ctx.clock(),
        )
        session.add(row)
        session.flush()
        # Its reminder is planned by the dispatcher (notifications/planning.py for_recall).
        uow.emit(RecallAdded(row.id, patient_id, due.isoformat()))
        # Ids only: the reason is health data and stays out of the audit log.
        uow.audit("recall.added", f"patient {patient_id}", recall_id=row.id, due=due.isoformat())
        uow.touches("patients", patient_id)
        uow.commit()
    return get_recall(ctx, row.id)


def get_recall(ctx: ServiceContext, recall_id: int) -> RecallItem:
    found = _listed(ctx, [Recall.id == recall_id])
    if not found:
        raise NotFound("id", f"no recall with id {recall_id}")
    return found[0]


def list_recalls(
    ctx: ServiceContext,
    *,
    due_before: date | None = None,
    overdue: bool = False,
    include_closed: bool = False,
    patient_id: int | None = None,
    doctor_id: int | None = None,
) -> list[RecallItem]:
    """Recalls by due day (soonest first): open ones, or all with `include_closed`.

    `due_before`: due strictly before that day; `overdue`: still due and the day has passed."""
    r = Recall
    where = []
    if not include_closed:
        where.append(r.status == RecallStatus.DUE.value)
    if due_before is not None:
        where.append(r.due_day < due_before)
    if overdue:
        where += [r.status == RecallStatus.DUE.value, r.due_day < today(ctx)]
    if patient_id is not None:
        where.append(r.patient_id == patient_id)
    if doctor_id is not None:
        where.append(r.doctor_id == doctor_id)
    return _listed(ctx, where)


def _listed(ctx: ServiceContext, where: list) -> list[RecallItem]:  # type: ignore[type-arg]
    r, p, d = Recall, t.Patient, t.Doctor
    names = {k.id: k.name for k in appointment_types(ctx)}
    query = (
        select(r, p.given_name + " " + p.family_name, d.name)
        .join(p, p.id == r.patient_id)
        .outerjoin(d, d.id == r.doctor_id)
        .where(*where)
        .order_by(r.due_day, r.id)
    )
    with UnitOfWork(ctx) as uow:
        return [
            RecallItem(
                row.id,
                row.patient_id,
                name,
                row.due_day,
                row.reason,
                names.get(row.type_id) if row.type_id is not None else None,
                row.doctor_id,
                doctor,
                row.status,
                row.appointment_id,
                row.created_at,
            )
            for row, name, doctor in uow.session.execute(query)
        ]


def mark_done(ctx: ServiceContext, recall_id: int) -> RecallItem:
    """The patient came back for it: closed as done."""
    return _close(ctx, recall_id, RecallStatus.DONE)


def cancel_recall(ctx: ServiceContext, recall_id: int) -> RecallItem:
    """No longer wanted: closed as cancelled (kept for the record)."""
    return _close(ctx, recall_id, RecallStatus.CANCELLED)


def _close(ctx: ServiceContext, recall_id: int, wanted: RecallStatus) -> RecallItem:
    with UnitOfWork(ctx, write=True) as uow:
        row = uow.session.get(Recall, recall_id, with_for_update=True)
        if row is None:
            raise NotFound("id", f"no recall with id {recall_id}")
        rules.check_closable(recall_id, row.status, wanted)
        row.status = wanted.value
        row.closed_at = ctx.clock()
        uow.audit(f"recall.{wanted.value}", f"patient {row.patient_id}", recall_id=recall_id)
        uow.touches("patients", row.patient_id)
        uow.commit()
    return get_recall(ctx, recall_id)


EARLY_DAYS = 14
"""Book… looks for a free time from this many days before the due day (or from today)."""


def first_free_start(ctx: ServiceContext, item: RecallItem, type_name: str) -> datetime | None:
    """The first free start of `type_name` (with the recall's doctor, if it names one) from a
    little before its due day (or today, when that is later) to the booking horizon."""
    policy = clinic_policy(ctx)
    now = today(ctx)
    first = max(now, item.due - timedelta(days=EARLY_DAYS))
    horizon = now + timedelta(weeks=policy.horizon_weeks)
    monday = week_start(first)
    while monday <= horizon:
        try:
            week = week_availability(ctx, type_name, monday, doctor_id=item.doctor_id)
        except InvalidRequest:  # no schedule that far ahead, or a type no longer offered
            return None
        for found in week.days:
            for slot in found.slots:
                local_day = to_local(slot.starts_at, policy.timezone).date()
                if slot.available and local_day >= first and slot.starts_at > ctx.clock():
                    return slot.starts_at
        monday += timedelta(weeks=1)
    return None


def close_recalls_for(
    uow: UnitOfWork,
    patient_id: int,
    type_id: int,
    appointment_id: int,
    start: datetime,
    zone: str,
    now: datetime,
) -> list[int]:
    """Inside a booking's writing transaction: close (as `booked`, with the appointment) the
    patient's open recalls that this booking answers (domain rule: its type, or no type, made
    on or before the appointment's day). Returns the recall ids closed."""
    session = uow.session
    rows = list(
        session.scalars(
            select(Recall)
            .where(Recall.patient_id == patient_id, Recall.status == RecallStatus.DUE.value)
            .with_for_update()
        )
    )
    if not rows:
        return []
    open_ones = [
        rules.OpenRecall(r.id, r.type_id, to_local(r.created_at, zone).date()) for r in rows
    ]
    closing = set(rules.closed_by_booking(open_ones, type_id, to_local(start, zone).date()))
    for row in rows:
        if row.id in closing:
            row.status = RecallStatus.BOOKED.value
            row.appointment_id = appointment_id
            row.closed_at = now
            uow.audit(
                "recall.booked",
                f"patient {patient_id}",
                recall_id=row.id,
                appointment_id=appointment_id,
            )
    if closing:
        session.flush()
        uow.touches("patients", patient_id)
    return sorted(closing)


def reopen_recalls_for(uow: UnitOfWork, appointment_id: int) -> list[int]:
    """Inside a cancellation's writing transaction: the recalls that booking had closed are
    due again (the patient still needs the visit). Returns the recall ids reopened."""
    rows = list(
        uow.session.scalars(
            select(Recall)
            .where(
                Recall.appointment_id == appointment_id,
                Recall.status == RecallStatus.BOOKED.value,
            )
            .with_for_update()
        )
    )
    for row in rows:
        row.status, row.appointment_id, row.closed_at = RecallStatus.DUE.value, None, None
        uow.audit("recall.reopened", f"patient {row.patient_id}", recall_id=row.id)
        uow.touches("patients", row.patient_id)
    if rows:
        uow.session.flush()
    return [r.id for r in rows]


def move_recalls(uow: UnitOfWork, duplicate_id: int, keep_id: int) -> None:
    """Inside a patient merge: the duplicate's recalls become the kept record's."""
    uow.session.execute(
        update(Recall).where(Recall.patient_id == duplicate_id).values(patient_id=keep_id)
    )
