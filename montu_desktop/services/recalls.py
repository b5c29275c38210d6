"""Recalls: patients due back for a follow-up; added, listed and closed by the desk, closed by
a booking of their type (inside the booking's own transaction: see close_recalls_for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from montu_desktop.domain import recalls as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.events import RecallAdded
from montu_desktop.domain.model import week_start
from montu_desktop.domain.recalls import RecallStatus
from montu_desktop.persistence import patient_rows, recall_rows
from montu_desktop.persistence.recall_rows import RecallLine
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
        patient = patient_rows.get(session, patient_id)
        if patient is None:
            raise NotFound("patient", f"no patient with id {patient_id}")
        if patient.merged_into is not None:
            raise InvalidRequest(
                "patient", f"patient {patient_id} was merged into patient {patient.merged_into}"
            )
        if doctor_id is not None:
            doctor_name = recall_rows.bookable_doctor_name(session, doctor_id)
            if doctor_name is None:
                raise NotFound("doctor", f"no doctor with id {doctor_id}")
            if kind is not None and kind.id in skipped_types(ctx).get(doctor_id, ()):
                raise InvalidRequest("doctor", f"{doctor_name} does not perform {kind.name}")
        recall_id = recall_rows.add(
            session,
            patient_id=patient_id,
            type_id=kind.id if kind else None,
            doctor_id=doctor_id,
            due=due,
            reason=reason,
            actor=ctx.actor,
            now=ctx.clock(),
        )
        # Its reminder is planned by the dispatcher (notifications/planning.py for_recall).
        uow.emit(RecallAdded(recall_id, patient_id, due.isoformat()))
        # Ids only: the reason is health data and stays out of the audit log.
        uow.audit("recall.added", f"patient {patient_id}", recall_id=recall_id, due=due.isoformat())
        uow.touches("patients", patient_id)
        uow.commit()
    return get_recall(ctx, recall_id)


def get_recall(ctx: ServiceContext, recall_id: int) -> RecallItem:
    found = _listed(ctx, recall_id=recall_id)
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
    return _listed(
        ctx,
        due_only=not include_closed,
        due_before=due_before,
        overdue_before=today(ctx) if overdue else None,
        patient_id=patient_id,
        doctor_id=doctor_id,
    )


def _listed(
    ctx: ServiceContext,
    *,
    recall_id: int | None = None,
    due_only: bool = False,
    due_before: date | None = None,
    overdue_before: date | None = None,
    patient_id: int | None = None,
    doctor_id: int | None = None,
) -> list[RecallItem]:
    names = {k.id: k.name for k in appointment_types(ctx)}
    with UnitOfWork(ctx) as uow:
        found = recall_rows.listed(
            uow.session,
            recall_id=recall_id,
            due_only=due_only,
            due_before=due_before,
            overdue_before=overdue_before,
            patient_id=patient_id,
            doctor_id=doctor_id,
        )
    return [_item(line, names) for line in found]


def _item(line: RecallLine, type_names: dict[int, str]) -> RecallItem:
    return RecallItem(
        line.id,
        line.patient_id,
        line.patient_name,
        line.due,
        line.reason,
        type_names.get(line.type_id) if line.type_id is not None else None,
        line.doctor_id,
        line.doctor_name,
        line.status,
        line.appointment_id,
        line.created_at,
    )


def mark_done(ctx: ServiceContext, recall_id: int) -> RecallItem:
    """The patient came back for it: closed as done."""
    return _close(ctx, recall_id, RecallStatus.DONE)


def cancel_recall(ctx: ServiceContext, recall_id: int) -> RecallItem:
    """No longer wanted: closed as cancelled (kept for the record)."""
    return _close(ctx, recall_id, RecallStatus.CANCELLED)


def _close(ctx: ServiceContext, recall_id: int, wanted: RecallStatus) -> RecallItem:
    with UnitOfWork(ctx, write=True) as uow:
        row = recall_rows.lock(uow.session, recall_id)
        if row is None:
            raise NotFound("id", f"no recall with id {recall_id}")
        rules.check_closable(recall_id, row.status, wanted)
        recall_rows.close(uow.session, recall_id, wanted, ctx.clock())
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
    rows = recall_rows.lock_due_for_patient(uow.session, patient_id)
    if not rows:
        return []
    open_ones = [
        rules.OpenRecall(r.id, r.type_id, to_local(r.created_at, zone).date()) for r in rows
    ]
    closing = set(rules.closed_by_booking(open_ones, type_id, to_local(start, zone).date()))
    if closing:
        recall_rows.mark_booked(uow.session, sorted(closing), appointment_id, now)
    for row in rows:
        if row.id in closing:
            uow.audit(
                "recall.booked",
                f"patient {patient_id}",
                recall_id=row.id,
                appointment_id=appointment_id,
            )
    if closing:
        uow.touches("patients", patient_id)
    return sorted(closing)


def reopen_recalls_for(uow: UnitOfWork, appointment_id: int) -> list[int]:
    """Inside a cancellation's writing transaction: the recalls that booking had closed are
    due again (the patient still needs the visit). Returns the recall ids reopened."""
    rows = recall_rows.lock_booked_by(uow.session, appointment_id)
    if rows:
        recall_rows.reopen(uow.session, [r.id for r in rows])
    for row in rows:
        uow.audit("recall.reopened", f"patient {row.patient_id}", recall_id=row.id)
        uow.touches("patients", row.patient_id)
    return [r.id for r in rows]


def move_recalls(uow: UnitOfWork, duplicate_id: int, keep_id: int) -> None:
    """Inside a patient merge: the duplicate's recalls become the kept record's."""
    recall_rows.move(uow.session, duplicate_id, keep_id)
