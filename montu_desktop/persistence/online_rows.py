"""The statements of online booking and of patients' own doors: API keys, the types a website
may offer, online bookings' cancel tokens, manage links and the first answers kept for retries.

Every function runs in the caller's session (its unit of work's transaction) and returns
plain values or small frozen rows, never an ORM object for a service to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, literal, select, update
from sqlalchemy.orm import Session

from montu_desktop.persistence import tables as t
from montu_desktop.persistence.manage_tables import ManageLink
from montu_desktop.persistence.online_tables import ApiKey, ApiRequest, OnlineBooking


@dataclass(frozen=True, slots=True)
class KeyRow:
    """An API key as stored, without its token hash."""

    id: int
    name: str
    scopes: str
    """Comma-separated, as stored."""
    rate_per_minute: int
    origin: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A request kept under its Idempotency-Key."""

    id: int
    body_hash: str
    status_code: int | None
    response: dict[str, object] | None
    created_at: datetime
    claimed_by: str | None


@dataclass(frozen=True, slots=True)
class LinkedBooking:
    """The appointment a cancel token or manage link names."""

    api_key_id: int | None
    """The key of an online booking's cancel token; None for a manage link from a message."""
    appointment_id: int
    start: datetime
    end: datetime
    type_id: int
    doctor_id: int
    status: str


# What staff logins may read of a key on PostgreSQL: never its token hash (the server's own
# login reads that, to check a token).
_VISIBLE = (
    ApiKey.id,
    ApiKey.name,
    ApiKey.scopes,
    ApiKey.rate_per_minute,
    ApiKey.origin,
    ApiKey.created_at,
    ApiKey.revoked_at,
)


def _key(row: ApiKey | Row[Any]) -> KeyRow:
    return KeyRow(
        row.id,
        row.name,
        row.scopes,
        row.rate_per_minute,
        row.origin,
        row.created_at,
        row.revoked_at,
    )


# -- API keys -------------------------------------------------------------------------------


def key_name_taken(session: Session, name: str) -> bool:
    return session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None


def add_key(
    session: Session,
    *,
    name: str,
    token_hash: str,
    scopes: str,
    rate_per_minute: int,
    origin: str | None,
    created_at: datetime,
) -> KeyRow:
    row = ApiKey(
        name=name,
        token_hash=token_hash,
        scopes=scopes,
        rate_per_minute=rate_per_minute,
        origin=origin,
        created_at=created_at,
    )
    session.add(row)
    session.flush()
    return _key(row)


def keys(session: Session) -> list[KeyRow]:
    """Every key, by name."""
    return [_key(r) for r in session.execute(select(*_VISIBLE).order_by(ApiKey.name))]


def key_named(session: Session, name: str) -> KeyRow | None:
    row = session.execute(select(*_VISIBLE).where(ApiKey.name == name)).first()
    return None if row is None else _key(row)


def revoke_key(session: Session, key_id: int, at: datetime) -> KeyRow:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=at))
    return _key(session.execute(select(*_VISIBLE).where(ApiKey.id == key_id)).one())


def live_key_with_token(session: Session, token_hash: str) -> KeyRow | None:
    """The unrevoked key whose token has this hash (read by the server's own login)."""
    row = session.scalar(
        select(ApiKey).where(ApiKey.token_hash == token_hash, ApiKey.revoked_at.is_(None))
    )
    return None if row is None else _key(row)


def live_origins(session: Session) -> set[str]:
    found = session.scalars(
        select(ApiKey.origin).where(ApiKey.revoked_at.is_(None), ApiKey.origin.is_not(None))
    )
    return {o for o in found if o}


# -- the types a website may offer ----------------------------------------------------------


def bookable_online_type_ids(session: Session) -> set[int]:
    return set(
        session.scalars(
            select(t.AppointmentType.id).where(t.AppointmentType.bookable_online.is_(True))
        )
    )


def set_bookable_online(session: Session, type_id: int, bookable: bool) -> None:
    session.execute(
        update(t.AppointmentType)
        .where(t.AppointmentType.id == type_id)
        .values(bookable_online=bookable)
    )


# -- online bookings and manage links -------------------------------------------------------


def add_online_booking(
    session: Session, appointment_id: int, api_key_id: int, cancel_token_hash: str
) -> None:
    session.add(
        OnlineBooking(
            appointment_id=appointment_id,
            api_key_id=api_key_id,
            cancel_token_hash=cancel_token_hash,
        )
    )


def cancel_token_of(session: Session, appointment_id: int) -> tuple[str, datetime, str] | None:
    """An online booking's cancel token hash, start and status (None: not booked online)."""
    found = session.execute(
        select(OnlineBooking.cancel_token_hash, t.Appointment.start_at, t.Appointment.status)
        .join(t.Appointment, t.Appointment.id == OnlineBooking.appointment_id)
        .where(OnlineBooking.appointment_id == appointment_id)
    ).first()
    return None if found is None else (found[0], found[1], found[2])


def booking_with_token(session: Session, token_hash: str) -> LinkedBooking | None:
    """The appointment of an online booking's cancel token, else of a message's manage link."""
    a = t.Appointment
    columns = (a.id, a.start_at, a.end_at, a.type_id, a.doctor_id, a.status)
    row = session.execute(
        select(OnlineBooking.api_key_id, *columns)
        .join(a, a.id == OnlineBooking.appointment_id)
        .where(OnlineBooking.cancel_token_hash == token_hash)
    ).first()
    if row is None:  # a link from a message
        row = session.execute(
            select(literal(None), *columns)
            .join(ManageLink, a.id == ManageLink.appointment_id)
            .where(ManageLink.token_hash == token_hash)
        ).first()
    return None if row is None else LinkedBooking(*row)


# -- requests kept under their Idempotency-Key ----------------------------------------------


def forget_requests_before(session: Session, before: datetime) -> None:
    session.execute(delete(ApiRequest).where(ApiRequest.created_at < before))


def add_request(
    session: Session,
    *,
    api_key_id: int,
    idempotency_key: str,
    body_hash: str,
    created_at: datetime,
    claimed_by: str,
) -> None:
    """Claim the key (refused with IntegrityError at the flush or commit when already kept)."""
    session.add(
        ApiRequest(
            api_key_id=api_key_id,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            created_at=created_at,
            claimed_by=claimed_by,
        )
    )


def request_of(session: Session, api_key_id: int, idempotency_key: str) -> RequestRow | None:
    row = session.scalar(
        select(ApiRequest).where(
            ApiRequest.api_key_id == api_key_id, ApiRequest.idempotency_key == idempotency_key
        )
    )
    if row is None:
        return None
    return RequestRow(
        row.id, row.body_hash, row.status_code, row.response, row.created_at, row.claimed_by
    )


def take_over_request(
    session: Session, request_id: int, claimed_by: str | None, owner: str, at: datetime
) -> bool:
    """Move an unanswered request still claimed by `claimed_by` to `owner`; False if it moved
    or was answered meanwhile."""
    same_owner = (
        ApiRequest.claimed_by.is_(None)
        if claimed_by is None
        else ApiRequest.claimed_by == claimed_by
    )
    taken = session.execute(
        update(ApiRequest)
        .where(ApiRequest.id == request_id, same_owner, ApiRequest.status_code.is_(None))
        .values(claimed_by=owner, created_at=at)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1  # type: ignore[attr-defined]


def store_answer(
    session: Session,
    api_key_id: int,
    idempotency_key: str,
    owner: str,
    status_code: int,
    response: dict[str, object],
) -> bool:
    """Store the answer if the request is still unanswered and claimed by `owner`."""
    done = session.execute(
        update(ApiRequest)
        .where(
            ApiRequest.api_key_id == api_key_id,
            ApiRequest.idempotency_key == idempotency_key,
            ApiRequest.claimed_by == owner,
            ApiRequest.status_code.is_(None),
        )
        .values(status_code=status_code, response=response)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


def release_request(session: Session, api_key_id: int, idempotency_key: str, owner: str) -> None:
    session.execute(
        delete(ApiRequest).where(
            ApiRequest.api_key_id == api_key_id,
            ApiRequest.idempotency_key == idempotency_key,
            ApiRequest.claimed_by == owner,
            ApiRequest.status_code.is_(None),
        )
    )
