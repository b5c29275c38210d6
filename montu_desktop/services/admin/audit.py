"""Reads the audit log for managers: newest first, filtered by person, action or dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence.security import ChainBreak, chain_breaks
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, object]


def audit_log(
    ctx: ServiceContext,
    *,
    actor: str = "",
    action: str = "",
    first: date | None = None,
    last: date | None = None,
    zone: str = "UTC",
    limit: int = 500,
) -> list[AuditRecord]:
    """Entries matching every filter given (action matches as a prefix, e.g. "appointment").

    Without an action, the entries the database writes for every row change ("row.…") are
    left out: they repeat the app's own entries in table terms.
    """
    e = at.AuditEntry
    query = select(e).order_by(e.at.desc(), e.id.desc()).limit(limit)
    if actor.strip():
        query = query.where(e.actor == actor.strip().lower())
    if action.strip():
        query = query.where(e.action.startswith(action.strip()))
    else:  # the database's own row-by-row entries are asked for by name ("row.")
        query = query.where(e.action.not_like("row.%"))
    if first is not None:
        query = query.where(e.at >= local_instant(first, time(0), zone))
    if last is not None:
        query = query.where(e.at < local_instant(last + timedelta(days=1), time(0), zone))
    with UnitOfWork(ctx) as uow:
        return [
            AuditRecord(r.at, r.actor, r.action, r.subject, dict(r.details))
            for r in uow.session.scalars(query)
        ]


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What `audit verify` found: how many entries hold together, or the first broken link."""

    entries: int
    broken: ChainBreak | None = None
    last_hash: str = ""
    """Write it down now and then: removing the newest entries leaves no broken link."""

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify_chain(ctx: ServiceContext) -> ChainCheck:
    """Recompute every audit entry's hash link in order; stop at the first that does not hold."""
    with UnitOfWork(ctx) as uow:
        for found in chain_breaks(uow.session.connection()):
            if isinstance(found, ChainBreak):
                return ChainCheck(found.chain_seq or 0, found)
            return ChainCheck(found[0], None, found[1])
    return ChainCheck(0)
