"""Closes a waitlist entry inside the booking's own transaction (kept apart to avoid an import loop)."""

from __future__ import annotations

from datetime import datetime

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.persistence import waitlist_repo
from montu_desktop.services.unit_of_work import UnitOfWork


def requested_doctor(uow: UnitOfWork, entry_id: int) -> int | None:
    """The doctor a waitlist entry asked for (None: any doctor, or no such entry; closing
    the entry refuses an unknown one)."""
    entry = waitlist_repo.get(uow.session, entry_id)
    return entry.doctor_id if entry is not None else None


def close_entry(
    uow: UnitOfWork,
    entry_id: int,
    appointment_id: int,
    patient_id: int,
    type_id: int,
    now: datetime,
) -> None:
    """Close the open entry with the booking; refused (rolling the booking back) when the
    entry is unknown, already closed, or for another patient or type."""
    entry = waitlist_repo.get(uow.session, entry_id, lock=True)
    if entry is None:
        raise NotFound("waitlist", f"no waitlist entry with id {entry_id}")
    if entry.closed_at is not None:
        raise InvalidRequest("waitlist", f"entry {entry_id} is already closed")
    if entry.patient_id != patient_id:
        raise InvalidRequest("waitlist", f"entry {entry_id} is for another patient")
    if entry.type_id != type_id:
        raise InvalidRequest("waitlist", f"entry {entry_id} is for another appointment type")
    waitlist_repo.close(uow.session, entry_id, now, appointment_id)
    uow.audit("waitlist.closed", f"waitlist {entry_id}", appointment_id=appointment_id)
    uow.touches("waitlist")
