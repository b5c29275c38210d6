"""The patient's own doors: the clinic's booking page and "manage my booking" links.

The booking page books through `online.book_online` under a key of its own (named
`booking page`, made on first use; a manager who revokes it turns the page off). A manage
link is the online booking's cancel token: it finds the booking by the token's hash, cancels
through `online.cancel_online` (the clinic's cancellation notice) and moves through
`booking.reschedule_appointment`, inside the same notice.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime

from montu_desktop.domain import online as rules
from montu_desktop.domain.errors import InvalidRequest, MontuError, NotFound
from montu_desktop.domain.model import AppointmentStatus, epoch
from montu_desktop.persistence import online_rows
from montu_desktop.persistence.errors import DatabaseError
from montu_desktop.services import availability, booking, online
from montu_desktop.services.admin.clinic import clinic_details
from montu_desktop.services.clinic_settings import get_setting, set_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, doctors
from montu_desktop.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PAGE_KEY_NAME = "booking page"
LINK_ACTOR = "manage link"
MAX_TOKEN = 200


class PageOff(InvalidRequest):
    """The booking page's key was revoked: the clinic has turned the page off."""


class LinkUsed(InvalidRequest):
    """The manage link's booking is cancelled already, or its time has passed."""


class TooLate(InvalidRequest):
    """Inside the clinic's cancellation notice: the patient must phone the clinic."""


@dataclass(frozen=True, slots=True)
class Clinic:
    name: str
    address: str
    phone: str


@dataclass(frozen=True, slots=True)
class ManagedBooking:
    """A booking as its manage link shows it."""

    appointment_id: int
    start: datetime
    end: datetime
    type_name: str
    doctor_name: str
    status: str
    key: online.ApiKeyInfo | None
    """The API key of the booking's cancel token; None for a link from a message."""
    changeable: bool
    """False inside the clinic's cancellation notice."""


def clinic(ctx: ServiceContext) -> Clinic:
    found = clinic_details(ctx)
    return Clinic("", "", "") if found is None else Clinic(found.name, found.address, found.phone)


def public_url(ctx: ServiceContext) -> str:
    """`online.public_url` without a trailing slash ('' when not set)."""
    return get_setting(ctx, "online.public_url").value.strip().rstrip("/")


def manage_link(ctx: ServiceContext, token: str) -> str:
    """The absolute manage link when `online.public_url` is set, else the path alone."""
    return f"{public_url(ctx)}/manage/{token}"


def embed_snippet(address: str) -> str:
    """The HTML a clinic pastes into its website to show the booking page ('' without an
    address: the page must be reachable from the internet first)."""
    if not address:
        return ""
    return (
        f'<iframe src="{address}/book?embed=1" title="Book an appointment" '
        'style="width:100%;min-height:900px;border:0" loading="lazy"></iframe>'
    )


def set_public_url(ctx: ServiceContext, address: str) -> str:
    """Save `online.public_url` (checked like `config set`); the snippet for it."""
    set_setting(ctx, "online.public_url", address.strip().rstrip("/"))
    return embed_snippet(public_url(ctx))


def page_key(ctx: ServiceContext) -> online.ApiKeyInfo:
    """The booking page's own key (made on first use; its token is thrown away)."""
    for _attempt in range(3):
        found = next((k for k in online.list_api_keys(ctx) if k.name == PAGE_KEY_NAME), None)
        if found is not None:
            if not found.active:
                raise PageOff("page", "online booking is turned off; please phone the clinic")
            return found
        try:
            online.create_api_key(ctx, PAGE_KEY_NAME, "availability,book")
        except (MontuError, DatabaseError):
            # Either another request made it at the same moment (read it again), or, on
            # PostgreSQL, only a manager may add keys: `serve` under a reception login needs
            # the key made once by a manager (`api-keys create "booking page" ...`).
            continue
    log.warning("the booking page key could not be created")
    raise PageOff("page", "online booking is not available; please phone the clinic")


def free_starts(ctx: ServiceContext, type_name: str, day: date) -> availability.WeekAvailability:
    """The week (of `day`) of a type bookable online."""
    return online.week_for_website(ctx, type_name, day)


def is_free(ctx: ServiceContext, type_name: str, start: datetime) -> bool:
    week = free_starts(ctx, type_name, start.date())
    wanted = epoch(start)
    return any(s.start == wanted and s.free_doctors > 0 for d in week.days for s in d.slots)


def find(ctx: ServiceContext, token: str) -> ManagedBooking:
    """The booking behind a manage link; NotFound for a token that matches none."""
    if not token or len(token) > MAX_TOKEN:
        raise NotFound("token", "this link is not valid")
    with UnitOfWork(ctx) as uow:
        row = online_rows.booking_with_token(uow.session, rules.token_hash(token))
    if row is None:
        raise NotFound("token", "this link is not valid")
    key_id, appointment_id, start, end = row.api_key_id, row.appointment_id, row.start, row.end
    type_id, doctor_id, status = row.type_id, row.doctor_id, row.status
    key = next((k for k in online.list_api_keys(ctx) if k.id == key_id), None)
    kinds = {k.id: k.name for k in appointment_types(ctx)}
    doctor = next((d.name for d in doctors(ctx) if d.id == doctor_id), "")
    changeable = start - ctx.clock() >= online.cancel_notice(ctx)
    return ManagedBooking(
        appointment_id, start, end, kinds.get(type_id, ""), doctor, status, key, changeable
    )


def live(ctx: ServiceContext, token: str) -> ManagedBooking:
    """The booking when its link may still act on it: LinkUsed when cancelled or past."""
    found = find(ctx, token)
    if found.status == AppointmentStatus.CANCELLED.value:
        raise LinkUsed("token", "this booking has been cancelled; the link is used")
    if found.status != AppointmentStatus.BOOKED.value or found.start <= ctx.clock():
        raise LinkUsed("token", "this appointment has passed; the link has expired")
    return found


def _too_late() -> TooLate:
    return TooLate("start", "is too close to change online; please phone the clinic")


def cancel(ctx: ServiceContext, token: str) -> ManagedBooking:
    """Cancel through the online cancel rule (the clinic's notice)."""
    found = live(ctx, token)
    if found.key is None:  # a link from a message: the same notice, then the desk's cancel
        if not found.changeable:
            raise _too_late()
        booking.cancel_appointment(
            dataclasses.replace(ctx, actor=LINK_ACTOR), found.appointment_id, "Patient cancelled"
        )
        return found
    try:
        online.cancel_online(ctx, found.key, found.appointment_id, token)
    except online.CancelRefused:
        raise _too_late() from None
    return found


def move(ctx: ServiceContext, token: str, new_start: datetime) -> booking.BookedAppointment:
    """Move to another free start of the same type, outside the notice, by the reschedule
    service (same doctor when free, else a fair choice)."""
    found = live(ctx, token)
    if not found.changeable:
        raise _too_late()
    if new_start.tzinfo is None:
        raise InvalidRequest("start", "must say which time zone it is in")
    if epoch(new_start) == epoch(found.start):
        raise InvalidRequest("start", "is the time already booked")
    online.online_type(ctx, found.type_name)
    as_key = dataclasses.replace(ctx, actor=found.key.name if found.key else LINK_ACTOR)
    return booking.reschedule_appointment(as_key, found.appointment_id, new_start)
