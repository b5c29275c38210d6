"""Which appointment types each doctor performs (default: all), with the impact of a change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentType, Doctor
from montu_desktop.persistence import admin_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class DoctorTypes:
    """A doctor and the offered appointment types, each marked performed or not."""

    doctor_id: int
    doctor_name: str
    performs: tuple[AppointmentType, ...]
    skips: tuple[AppointmentType, ...]


def doctor_types(ctx: ServiceContext, doctor_id: int) -> DoctorTypes:
    with UnitOfWork(ctx) as uow:
        session = uow.session
        name = _doctor(session, doctor_id).name
        skipped = admin_rows.skipped_types(session, doctor_id)
        kinds = [k for k in repo.appointment_types(session) if k.active]
    return DoctorTypes(
        doctor_id,
        name,
        tuple(k for k in kinds if k.id not in skipped),
        tuple(k for k in kinds if k.id in skipped),
    )


def _doctor(session: Session, doctor_id: int) -> Doctor:
    row = admin_rows.live_doctor(session, doctor_id)
    if row is None:
        raise NotFound("doctor", f"no doctor with id {doctor_id}")
    return row


def _type_ids(session: Session, names: Iterable[str]) -> set[int]:
    kinds = repo.appointment_types(session)
    wanted: set[int] = set()
    for name in names:
        key = name.strip().casefold()
        if not key:
            continue
        found = next((k for k in kinds if k.name.casefold() == key or str(k.id) == key), None)
        if found is None:
            raise NotFound("types", f"no appointment type called {name.strip()!r}")
        wanted.add(found.id)
    if not wanted:
        raise InvalidRequest("types", "name at least one type (or take the doctor off the books)")
    return wanted


def set_doctor_types(
    ctx: ServiceContext,
    doctor_id: int,
    type_names: Iterable[str],
    *,
    confirm: bool = True,
    reassign: bool = False,
) -> ChangeOutcome:
    """Make the doctor perform exactly these types. Future bookings of a type taken away are
    listed (with a doctor who performs it and is free) before anything changes, as for
    roster changes; with `reassign` they move to that doctor."""
    names = list(type_names)

    def mutate(session: Session) -> None:
        _doctor(session, doctor_id)
        performs = _type_ids(session, names)
        every = admin_rows.type_ids(session)
        admin_rows.replace_skipped_types(session, doctor_id, sorted(every - performs))

    return run_change(
        ctx,
        mutate,
        action="settings.doctor.types",
        subject=f"doctor {doctor_id}",
        confirm=confirm,
        reassign=reassign,
        details={"types": names},
    )
