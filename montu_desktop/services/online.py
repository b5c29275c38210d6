"""Online booking use cases: API keys, the types and times a website may offer, booking and
cancelling through a cancel token, and the first answer kept for idempotent retries.

An online booking goes through the same booking service as a desk's (booking.book_in), so
the same rules, the same database guard and the same outbox apply, in one transaction with
its patient, cancel token and kept answer; it is audited under the key's name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from montu_desktop.config import process_identity
from montu_desktop.domain import online as rules
from montu_desktop.domain import visits
from montu_desktop.domain.clinic_time import check_moment, to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus, AppointmentType, epoch
from montu_desktop.domain.patients import PatientDetails, check_patient
from montu_desktop.persistence import online_rows
from montu_desktop.persistence.errors import IntegrityError
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
REQUEST_TIME_LIMIT = timedelta(minutes=2)
"""A request still unanswered after this is taken to have died (its server is hung or on
another machine that cannot be asked): a retry takes its Idempotency-Key over."""


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


def _info(row: online_rows.KeyRow) -> ApiKeyInfo:
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
        if online_rows.key_name_taken(uow.session, name):
            raise InvalidRequest("name", f"an API key named {name!r} already exists")
        row = online_rows.add_key(
            uow.session,
            name=name,
            token_hash=rules.token_hash(token),
            scopes=rules.scopes_text(wanted),
            rate_per_minute=per_minute,
            origin=site,
            created_at=ctx.clock(),
        )
        uow.audit("api_key.created", f"api key {row.id}", name=name, scopes=row.scopes)
        info = _info(row)
        uow.commit()
    return info, token


def list_api_keys(ctx: ServiceContext) -> list[ApiKeyInfo]:
    with UnitOfWork(ctx) as uow:
        return [_info(r) for r in online_rows.keys(uow.session)]


def revoke_api_key(ctx: ServiceContext, name: str) -> ApiKeyInfo:
    """Revoke now: every server reads a key again at least once a second (key_cache.py)."""
    with UnitOfWork(ctx, write=True) as uow:
        row = online_rows.key_named(uow.session, name)
        if row is None:
            raise NotFound("name", f"no API key named {name!r}")
        if row.revoked_at is None:
            revoked = online_rows.revoke_key(uow.session, row.id, ctx.clock())
            uow.audit("api_key.revoked", f"api key {row.id}", name=name)
            row = revoked
        info = _info(row)
        uow.commit()
    return info


def authenticate(ctx: ServiceContext, token: str) -> ApiKeyInfo | None:
    """The live key this token belongs to, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    with UnitOfWork(ctx) as uow:
        row = online_rows.live_key_with_token(uow.session, rules.token_hash(token))
        return None if row is None else _info(row)


def allowed_origins(ctx: ServiceContext) -> set[str]:
    """Websites that live keys name: the only origins a browser may call the API from."""
    with UnitOfWork(ctx) as uow:
        return online_rows.live_origins(uow.session)


def _bookable_online_ids(ctx: ServiceContext) -> set[int]:
    with UnitOfWork(ctx) as uow:
        return online_rows.bookable_online_type_ids(uow.session)


ONLINE_TYPES = "online types"
"""The reference cache's entry of the types a website may offer."""


def online_types(ctx: ServiceContext) -> list[AppointmentType]:
    """Active types a website may offer, kept with the reference data: the flag is a column
    of appointment_type, whose every change reaches `ctx.drop_cached` (here or heard)."""

    def load() -> list[AppointmentType]:
        allowed = _bookable_online_ids(ctx)
        return [k for k in appointment_types(ctx) if k.active and k.id in allowed]

    return ctx.cache.get(ONLINE_TYPES, load)


def online_type(ctx: ServiceContext, name: str) -> AppointmentType:
    return _named(online_types(ctx), name)


def kept_online_type(ctx: ServiceContext, name: str) -> AppointmentType | None:
    """`online_type` answered from the reference cache alone, or None when that would read
    the database: never blocks (the API's event loop asks it first)."""
    kinds = ctx.cache.peek(ONLINE_TYPES)
    return None if kinds is None else _named(cast(list[AppointmentType], kinds), name)


def _named(kinds: list[AppointmentType], name: str) -> AppointmentType:
    wanted = name.strip().casefold()
    for kind in kinds:
        if kind.name.casefold() == wanted:
            return kind
    raise NotFound("type", f"no appointment type {name!r} can be booked online")


def set_bookable_online(ctx: ServiceContext, type_name: str, bookable: bool) -> None:
    kind = next(
        (k for k in appointment_types(ctx) if k.name.casefold() == type_name.casefold()), None
    )
    if kind is None:
        raise NotFound("type", f"no appointment type named {type_name!r}")
    with UnitOfWork(ctx, write=True) as uow:
        online_rows.set_bookable_online(uow.session, kind.id, bookable)
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
    # Never the time asked for: free for the doctors yet refused, it would tell the asker
    # that the patient named is booked then.
    starts = [s for s in starts if s != target]
    nearest = sorted(starts, key=lambda s: (abs(s - target), s))[:count]
    return [datetime.fromtimestamp(s, tz=wanted.tzinfo) for s in sorted(nearest)]


_BODY_FIELDS = {"given_name": "given", "family_name": "family", "date_of_birth": "dob"}
"""The service's patient fields as the API's request body names them."""


def _as_patient_field(exc: InvalidRequest) -> InvalidRequest:
    return InvalidRequest(f"patient.{_BODY_FIELDS.get(exc.field, exc.field)}", exc.reason)


@dataclass(frozen=True, slots=True)
class Claim:
    """This request's hold on its Idempotency-Key; its answer is stored under it."""

    api_key_id: int
    idempotency_key: str
    owner: str
    """The claiming server process (config.process_identity)."""


class ClaimLost(InvalidRequest):
    """A retry took this request's Idempotency-Key over (this request was thought dead):
    nothing of this request is kept."""

    def __init__(self) -> None:
        super().__init__("Idempotency-Key", "the first request with this key is still running")


def booked_answer(made: OnlineBooked, zone: str) -> dict[str, object]:
    """The website's answer to a booking (201), as sent and as replayed to a retry."""
    return {
        "id": made.id,
        "start": to_local(made.start, zone).isoformat(),
        "end": to_local(made.end, zone).isoformat(),
        "type": made.type_name,
        "doctor": {"name": made.doctor_name},
        "cancel_token": made.cancel_token,
    }


def book_online(
    ctx: ServiceContext,
    key: ApiKeyInfo,
    type_name: str,
    start: datetime,
    details: PatientDetails,
    note: str | None = None,
    *,
    claim: Claim | None = None,
) -> OnlineBooked:
    """Book for the patient the identity rule finds, or for a new record marked booked
    online and not yet checked, in ONE transaction: the patient, the appointment with its
    event and audit entries, the cancel token and (with `claim`) the answer a retry gets.

    The identity rule (domain.duplicates.same_person_online): given name, family name,
    date of birth and the phone or email all match. Anything refused leaves nothing.
    """
    kind = online_type(ctx, type_name)
    check_moment(start, "start")  # before a patient is added for it
    if note is not None and len(note) > rules.MAX_NOTE:
        raise InvalidRequest("note", f"must be at most {rules.MAX_NOTE} characters")
    note = visits.clean_note(note)
    if details.date_of_birth is None:
        raise InvalidRequest("patient.dob", "is required")
    if not details.phone and not details.email:
        raise InvalidRequest("patient.phone", "give a phone number or an email address")
    zone = clinic_policy(ctx).timezone
    try:
        clean = check_patient(details, to_local(ctx.clock(), zone).date())
    except InvalidRequest as exc:
        raise _as_patient_field(exc) from None
    request = booking.check_request(
        BookingRequest(kind.name, start, booking.NO_PATIENT_YET, note=note)
    )
    as_key = dataclasses.replace(ctx, actor=key.name)
    doctor_names = {d.id: d.name for d in doctors(ctx)}

    def in_one(uow: UnitOfWork) -> OnlineBooked:
        patient_id = patients.same_person_in(uow, clean)
        if patient_id is None:
            added = patients.add_in(as_key, uow, clean, allow_duplicate=True, online=True)
            patient_id = added.id
        booked = booking.book_in(as_key, uow, dataclasses.replace(request, patient_id=patient_id))
        token = rules.new_token()
        online_rows.add_online_booking(uow.session, booked.id, key.id, rules.token_hash(token))
        made = OnlineBooked(
            booked.id,
            booked.start,
            booked.end,
            kind.name,
            doctor_names.get(booked.doctor_id, ""),
            token,
        )
        if claim is not None and not _answer(uow, claim, 201, booked_answer(made, zone)):
            raise ClaimLost()
        return made

    return booking.in_one_transaction(as_key, in_one)


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
        found = online_rows.cancel_token_of(uow.session, appointment_id)
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


def _abandoned(ctx: ServiceContext, row: online_rows.RequestRow) -> bool:
    """Whether an unanswered claim's request no longer runs: its server process is gone
    (killed, restarted, the machine rebooted) or it has outlived any request's time limit."""
    if row.claimed_by and process_identity.is_gone(row.claimed_by):
        return True
    return ctx.clock() - row.created_at > REQUEST_TIME_LIMIT


def claim_request(
    ctx: ServiceContext, key: ApiKeyInfo, idempotency_key: str, body_hash: str
) -> Claim | FirstAnswer:
    """A Claim when this request is to run (a new key, or one whose first request died
    unanswered: taken over), else what came of the first request.

    A taken-over request books afresh; the first one can no longer commit (its booking's
    transaction stores the answer only under its own claim), so the key books at most once.
    """
    if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
        raise InvalidRequest("Idempotency-Key", "must be 1 to 200 printable characters")
    owner = process_identity.this_process()
    mine = Claim(key.id, idempotency_key, owner)
    try:
        with UnitOfWork(ctx, write=True) as uow:
            online_rows.forget_requests_before(uow.session, ctx.clock() - KEEP_ANSWERS)
            online_rows.add_request(
                uow.session,
                api_key_id=key.id,
                idempotency_key=idempotency_key,
                body_hash=body_hash,
                created_at=ctx.clock(),
                claimed_by=owner,
            )
            uow.commit()
            return mine
    except IntegrityError:
        pass
    with UnitOfWork(ctx, write=True) as uow:
        row = online_rows.request_of(uow.session, key.id, idempotency_key)
        if row is None:  # forgotten in between (older than a day): the key is new again
            raise InvalidRequest("Idempotency-Key", "was just released; send the request again")
        first = FirstAnswer(row.body_hash == body_hash, row.status_code, row.response)
        if (
            first.same_body
            and row.status_code is None
            and _abandoned(ctx, row)
            and online_rows.take_over_request(
                uow.session, row.id, row.claimed_by, owner, ctx.clock()
            )
        ):
            uow.commit()
            return mine
        return first


def _answer(uow: UnitOfWork, claim: Claim, status_code: int, response: dict[str, object]) -> bool:
    """Store the answer under the claim, if it is still this request's."""
    return online_rows.store_answer(
        uow.session,
        claim.api_key_id,
        claim.idempotency_key,
        claim.owner,
        status_code,
        response,
    )


def record_answer(
    ctx: ServiceContext, claim: Claim, status_code: int, response: dict[str, object]
) -> None:
    """Keep a refusal's answer for the retries (a booking's is kept in its own transaction)."""
    with UnitOfWork(ctx, write=True) as uow:
        _answer(uow, claim, status_code, response)
        uow.commit()


def release_request(ctx: ServiceContext, claim: Claim) -> None:
    """Forget a claim whose request failed for a reason of the server's (a retry may go again)."""
    with UnitOfWork(ctx, write=True) as uow:
        online_rows.release_request(
            uow.session, claim.api_key_id, claim.idempotency_key, claim.owner
        )
        uow.commit()
