"""Online booking use cases: API keys, the types and times a website may offer, booking and
cancelling through a cancel token, and the first answer kept for idempotent retries.

An online booking goes through the same `book_appointment` as a desk's, so the same rules,
the same database guard and the same outbox apply; the booking is audited under the key's name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from montu_desktop.domain import online as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus, AppointmentType, epoch
from montu_desktop.domain.patients import PatientDetails, check_patient
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.online_tables import ApiKey, ApiRequest, OnlineBooking
from montu_desktop.services import availability, booking, patients
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy, doctors
from montu_desktop.services.unit_of_work import UnitOfWork

NEAREST_FREE = 3
# A kept first answer holds the booking's cancel token, so it is kept no longer than a
# website would sensibly retry.
KEEP_ANSWERS = timedelta(hours=24)


class CancelRefused(InvalidRequest):
    """An online cancellation that is too late: the patient must phone the clinic."""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """An API key as managers see it (never its token)."""

    id: int
    name: str
    scopes: frozenset[str]
    rate_per_minute: int
    origin: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class OnlineBooked:
    """What the website is told about a booking it made."""

    id: int
    start: datetime
    end: datetime
    type_name: str
    doctor_name: str
    cancel_token: str


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        row.id,
        row.name,
        frozenset(row.scopes.split(",")),
        row.rate_per_minute,
        row.origin,
        row.created_at,
        row.revoked_at,
    )


def create_api_key(
    ctx: ServiceContext,
    name: str,
    scopes: str,
    *,
    rate: str | None = None,
    origin: str | None = None,
) -> tuple[ApiKeyInfo, str]:
    """A new key and its token; the token is shown this once and only its hash is kept."""
    name = rules.check_key_name(name)
    wanted = rules.parse_scopes(scopes)
    per_minute = rules.parse_rate(rate) if rate is not None else rules.DEFAULT_RATE_PER_MINUTE
    site = rules.parse_origin(origin) if origin else None
    token = rules.new_token()
    with UnitOfWork(ctx, write=True) as uow:
        if uow.session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
            raise InvalidRequest("name", f"an API key named {name!r} already exists")
        row = ApiKey(
            name=name,
            token_hash=rules.token_hash(token),
            scopes=rules.scopes_text(wanted),
            rate_per_minute=per_minute,
            origin=site,
            created_at=ctx.clock(),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit("api_key.created", f"api key {row.id}", name=name, scopes=row.scopes)
        info = _info(row)
        uow.commit()
    return info, token


def list_api_keys(ctx: ServiceContext) -> list[ApiKeyInfo]:
    with UnitOfWork(ctx) as uow:
        return [_info(r) for r in uow.session.scalars(select(ApiKey).order_by(ApiKey.name))]


def revoke_api_key(ctx: ServiceContext, name: str) -> ApiKeyInfo:
    """Revoke at once: every server checks the key against the database on each request."""
    with UnitOfWork(ctx, write=True) as uow:
        row = uow.session.scalar(select(ApiKey).where(ApiKey.name == name))
        if row is None:
            raise NotFound("name", f"no API key named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = ctx.clock()
            uow.audit("api_key.revoked", f"api key {row.id}", name=name)
        uow.session.flush()
        info = _info(row)
        uow.commit()
    return info


def authenticate(ctx: ServiceContext, token: str) -> ApiKeyInfo | None:
    """The live key this token belongs to, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    with UnitOfWork(ctx) as uow:
        row = uow.session.scalar(
            select(ApiKey).where(
                ApiKey.token_hash == rules.token_hash(token), ApiKey.revoked_at.is_(None)
            )
        )
        return None if row is None else _info(row)


def allowed_origins(ctx: ServiceContext) -> set[str]:
    """Websites that live keys name: the only origins a browser may call the API from."""
    with UnitOfWork(ctx) as uow:
        found = uow.session.scalars(
            select(ApiKey.origin).where(ApiKey.revoked_at.is_(None), ApiKey.origin.is_not(None))
        )
        return {o for o in found if o}


def _bookable_online_ids(ctx: ServiceContext) -> set[int]:
    with UnitOfWork(ctx) as uow:
        return set(
            uow.session.scalars(
                select(t.AppointmentType.id).where(t.AppointmentType.bookable_online.is_(True))
            )
        )


def online_types(ctx: ServiceContext) -> list[AppointmentType]:
    """Active types a website may offer."""
    allowed = _bookable_online_ids(ctx)
    return [k for k in appointment_types(ctx) if k.active and k.id in allowed]


def online_type(ctx: ServiceContext, name: str) -> AppointmentType:
    for kind in online_types(ctx):
        if kind.name.casefold() == name.strip().casefold():
            return kind
    raise NotFound("type", f"no appointment type {name!r} can be booked online")


def set_bookable_online(ctx: ServiceContext, type_name: str, bookable: bool) -> None:
    kind = next(
        (k for k in appointment_types(ctx) if k.name.casefold() == type_name.casefold()), None
    )
    if kind is None:
        raise NotFound("type", f"no appointment type named {type_name!r}")
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(
            update(t.AppointmentType)
            .where(t.AppointmentType.id == kind.id)
            .values(bookable_online=bookable)
        )
        uow.audit("type.bookable_online", f"type {kind.id}", bookable=bookable)
        uow.touches("reference")
        uow.commit()


def week_for_website(
    ctx: ServiceContext, type_name: str, day: date
) -> availability.WeekAvailability:
    """The week's availability of a type that may be booked online."""
    kind = online_type(ctx, type_name)
    return availability.week_availability(ctx, kind.name, day)


def nearest_free_starts(
    ctx: ServiceContext, type_name: str, wanted: datetime, count: int = NEAREST_FREE
) -> list[datetime]:
    """Up to `count` free starts of the type closest to `wanted` (its week and the next)."""
    zone = clinic_policy(ctx).timezone
    day = to_local(wanted, zone).date()
    starts: list[int] = []
    for week in (day, day + timedelta(days=7)):
        try:
            found = availability.week_availability(ctx, type_name, week)
        except InvalidRequest:
            continue
        starts += [s.start for d in found.days for s in d.slots if s.free_doctors > 0]
    target = epoch(wanted)
    nearest = sorted(starts, key=lambda s: (abs(s - target), s))[:count]
    return [datetime.fromtimestamp(s, tz=wanted.tzinfo) for s in sorted(nearest)]


def _as_patient_field(exc: InvalidRequest) -> InvalidRequest:
    return InvalidRequest(f"patient.{exc.field}", exc.reason)


def book_online(
    ctx: ServiceContext,
    key: ApiKeyInfo,
    type_name: str,
    start: datetime,
    details: PatientDetails,
    note: str | None = None,
) -> OnlineBooked:
    """Book for a patient found by the duplicate rule (or added, marked as booked online)."""
    kind = online_type(ctx, type_name)
    if note is not None and len(note) > rules.MAX_NOTE:
        raise InvalidRequest("note", f"must be at most {rules.MAX_NOTE} characters")
    if details.date_of_birth is None:
        raise InvalidRequest("patient.dob", "is required")
    if not details.phone and not details.email:
        raise InvalidRequest("patient.phone", "give a phone number or an email address")
    try:
        clean = check_patient(details, to_local(ctx.clock(), clinic_policy(ctx).timezone).date())
    except InvalidRequest as exc:
        raise _as_patient_field(exc) from None
    as_key = dataclasses.replace(ctx, actor=key.name)
    known = patients.likely_duplicate_ids(ctx, clean)
    if known:
        patient_id = known[0]
    else:
        patient_id = patients.add_patient(as_key, clean).id
        with UnitOfWork(as_key, write=True) as uow:
            uow.session.execute(
                update(t.Patient).where(t.Patient.id == patient_id).values(booked_online=True)
            )
            uow.commit()
    booked = booking.book_appointment(
        as_key, BookingRequest(kind.name, start, patient_id, note=note)
    )
    token = rules.new_token()
    with UnitOfWork(as_key, write=True) as uow:
        uow.session.add(
            OnlineBooking(
                appointment_id=booked.id,
                api_key_id=key.id,
                cancel_token_hash=rules.token_hash(token),
            )
        )
        uow.commit()
    doctor = next((d.name for d in doctors(ctx) if d.id == booked.doctor_id), "")
    return OnlineBooked(booked.id, booked.start, booked.end, kind.name, doctor, token)


def cancel_notice(ctx: ServiceContext) -> timedelta:
    return timedelta(hours=int(get_setting(ctx, "online.cancel_notice_hours").value))


def too_close_to_cancel(ctx: ServiceContext, start: datetime) -> bool:
    """The clinic's cancellation-notice rule for patients cancelling themselves (online, or
    by SMS reply): inside `online.cancel_notice_hours` of the start they must phone."""
    return start - ctx.clock() < cancel_notice(ctx)


def cancel_online(ctx: ServiceContext, key: ApiKeyInfo, appointment_id: int, token: str) -> None:
    """Cancel an online booking with its token, up to the clinic's cancellation notice.

    A wrong token and an unknown appointment are refused alike (NotFound), so the answer
    never tells a stranger which appointments exist.
    """
    unknown = NotFound("id", "no booking matches this id and cancel token")
    with UnitOfWork(ctx) as uow:
        found = uow.session.execute(
            select(OnlineBooking.cancel_token_hash, t.Appointment.start_at, t.Appointment.status)
            .join(t.Appointment, t.Appointment.id == OnlineBooking.appointment_id)
            .where(OnlineBooking.appointment_id == appointment_id)
        ).first()
    if found is None or not token or found[0] != rules.token_hash(token):
        raise unknown
    if found[2] != AppointmentStatus.BOOKED.value:
        raise unknown
    if too_close_to_cancel(ctx, found[1]):
        raise CancelRefused(
            "start", "is too close to cancel online; please phone the clinic to cancel"
        )
    booking.cancel_appointment(dataclasses.replace(ctx, actor=key.name), appointment_id)


@dataclass(frozen=True, slots=True)
class FirstAnswer:
    """The answer already given to a request with the same Idempotency-Key."""

    same_body: bool
    status_code: int | None
    response: dict[str, object] | None


def claim_request(
    ctx: ServiceContext, key: ApiKeyInfo, idempotency_key: str, body_hash: str
) -> FirstAnswer | None:
    """None when this key is new (now claimed by this request), else what came of the first."""
    if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
        raise InvalidRequest("Idempotency-Key", "must be 1 to 200 printable characters")
    try:
        with UnitOfWork(ctx, write=True) as uow:
            uow.session.execute(
                delete(ApiRequest).where(ApiRequest.created_at < ctx.clock() - KEEP_ANSWERS)
            )
            uow.session.add(
                ApiRequest(
                    api_key_id=key.id,
                    idempotency_key=idempotency_key,
                    body_hash=body_hash,
                    created_at=ctx.clock(),
                )
            )
            uow.commit()
            return None
    except IntegrityError:
        pass
    with UnitOfWork(ctx) as uow:
        row = uow.session.scalar(
            select(ApiRequest).where(
                ApiRequest.api_key_id == key.id, ApiRequest.idempotency_key == idempotency_key
            )
        )
        assert row is not None
        return FirstAnswer(row.body_hash == body_hash, row.status_code, row.response)


def record_answer(
    ctx: ServiceContext,
    key: ApiKeyInfo,
    idempotency_key: str,
    status_code: int,
    response: dict[str, object],
) -> None:
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(
            update(ApiRequest)
            .where(ApiRequest.api_key_id == key.id, ApiRequest.idempotency_key == idempotency_key)
            .values(status_code=status_code, response=response)
        )
        uow.commit()


def release_request(ctx: ServiceContext, key: ApiKeyInfo, idempotency_key: str) -> None:
    """Forget a claim whose request failed for a reason of the server's (a retry may go again)."""
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(
            delete(ApiRequest).where(
                ApiRequest.api_key_id == key.id,
                ApiRequest.idempotency_key == idempotency_key,
                ApiRequest.status_code.is_(None),
            )
        )
        uow.commit()
