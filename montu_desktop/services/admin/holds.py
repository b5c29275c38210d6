"""Time held back for urgent patients: a manager's rules per doctor and weekday."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.holds import HeldRule
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork


def list_holds(ctx: ServiceContext) -> list[HeldRule]:
    with UnitOfWork(ctx) as uow:
        rows = uow.session.scalars(
            select(st.HeldTime).order_by(
                st.HeldTime.doctor_id, st.HeldTime.weekday, st.HeldTime.starts
            )
        )
        return [HeldRule(r.id, r.doctor_id, r.weekday, r.starts, r.ends) for r in rows]


def add_hold(ctx: ServiceContext, doctor_id: int, weekday: int, starts: time, ends: time) -> int:
    """Hold [starts, ends) of the doctor's `weekday` (0 = Monday) for urgent patients."""
    if not 0 <= weekday <= 6:
        raise InvalidRequest("weekday", "must be 0 (Monday) to 6 (Sunday)")
    if ends <= starts:
        raise InvalidRequest("ends", "must be after the start")
    slot = clinic_policy(ctx).slot_minutes
    if starts.minute % slot or ends.minute % slot or starts.second or ends.second:
        raise InvalidRequest("starts", f"held time must fall on {slot}-minute slot boundaries")
    with UnitOfWork(ctx, write=True) as uow:
        doctor = uow.session.get(t.Doctor, doctor_id)
        if doctor is None or doctor.removed_at is not None:
            raise NotFound("doctor", f"no doctor with id {doctor_id}")
        row = st.HeldTime(doctor_id=doctor_id, weekday=weekday, starts=starts, ends=ends)
        uow.session.add(row)
        uow.session.flush()
        uow.audit(
            "settings.hold.added",
            f"doctor {doctor_id}",
            weekday=weekday,
            starts=f"{starts:%H:%M}",
            ends=f"{ends:%H:%M}",
        )
        uow.touches("reference")
        uow.commit()
        return row.id


def remove_hold(ctx: ServiceContext, hold_id: int) -> None:
    with UnitOfWork(ctx, write=True) as uow:
        row = uow.session.get(st.HeldTime, hold_id)
        if row is None:
            raise NotFound("hold", f"no held time with id {hold_id}")
        uow.session.delete(row)
        uow.audit("settings.hold.removed", f"doctor {row.doctor_id}", hold_id=hold_id)
        uow.touches("reference")
        uow.commit()
