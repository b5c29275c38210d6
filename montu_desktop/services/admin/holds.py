"""Time held back for urgent patients: a manager's rules per doctor and weekday."""

from __future__ import annotations

from datetime import time

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.holds import HeldRule
from montu_desktop.persistence import admin_rows
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork


def list_holds(ctx: ServiceContext) -> list[HeldRule]:
    with UnitOfWork(ctx) as uow:
        return admin_rows.holds(uow.session)


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
        if admin_rows.live_doctor(uow.session, doctor_id) is None:
            raise NotFound("doctor", f"no doctor with id {doctor_id}")
        hold_id = admin_rows.add_hold(uow.session, doctor_id, weekday, starts, ends)
        uow.audit(
            "settings.hold.added",
            f"doctor {doctor_id}",
            weekday=weekday,
            starts=f"{starts:%H:%M}",
            ends=f"{ends:%H:%M}",
        )
        uow.touches("reference")
        uow.commit()
        return hold_id


def remove_hold(ctx: ServiceContext, hold_id: int) -> None:
    with UnitOfWork(ctx, write=True) as uow:
        doctor_id = admin_rows.delete_hold(uow.session, hold_id)
        if doctor_id is None:
            raise NotFound("hold", f"no held time with id {hold_id}")
        uow.audit("settings.hold.removed", f"doctor {doctor_id}", hold_id=hold_id)
        uow.touches("reference")
        uow.commit()
