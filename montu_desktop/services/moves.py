"""A moved appointment is recorded in one place: the rescheduled event, the audit row, the notice."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from montu_desktop.domain.events import AppointmentRescheduled
from montu_desktop.domain.op_changes import ChangeKind
from montu_desktop.services.unit_of_work import UnitOfWork


class MovedAppointment(Protocol):
    """What a move is recorded with: the appointment as it now stands."""

    @property
    def id(self) -> int: ...
    @property
    def doctor_id(self) -> int: ...
    @property
    def patient_id(self) -> int: ...
    @property
    def start_at(self) -> datetime: ...
    @property
    def end_at(self) -> datetime: ...


def record_move(
    uow: UnitOfWork,
    row: MovedAppointment,
    *,
    old_start: datetime,
    old_doctor_id: int,
    action: str = "appointment.rescheduled",
) -> None:
    """`row` now has its new doctor and times: tell the patient (outbox), the audit log and
    the screens. `action` names why (a desk's reschedule, or a roster change's reassignment)."""
    uow.emit(
        AppointmentRescheduled(
            row.id,
            row.doctor_id,
            row.patient_id,
            old_start.isoformat(),
            row.start_at.isoformat(),
            row.end_at.isoformat(),
        )
    )
    details: dict[str, object] = {"doctor_id": row.doctor_id, "start": row.start_at.isoformat()}
    if old_doctor_id != row.doctor_id:
        details["was_doctor_id"] = old_doctor_id
    if old_start != row.start_at:
        details["old_start"] = old_start.isoformat()
    uow.audit(action, f"appointment {row.id}", **details)
    uow.touches(ChangeKind.APPOINTMENTS, row.id)
