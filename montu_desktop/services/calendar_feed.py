"""Doctors' calendar feeds (issue 27 item 5): one secret token per doctor, and the doctor's
appointments as an iCalendar (RFC 5545) feed a phone or calendar service subscribes to.

Only the SHA-256 of a token is kept (like API keys); a new token replaces the doctor's live
one, and a revoked token is refused at once (every request checks the database). Events
name the patient only when the clinic turns `calendar.patient_names` on; they never carry
the appointment's note (the reason for the visit) or a cancel reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

from montu_desktop.domain import online as rules
from montu_desktop.domain.availability import BookingWindow
from montu_desktop.domain.clinic_time import clinic_zone, local_day_bounds, to_local
from montu_desktop.domain.errors import NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import feed_rows
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork

DAYS_BACK = 7
"""The feed starts this many clinic-local days before today (and ends at the horizon)."""
NAMES_SETTING = "calendar.patient_names"
LOCAL_SERVE = "http://127.0.0.1:8470"
"""Where `serve` answers by default, for the feed's address when no public address is set."""
REFRESH = timedelta(minutes=15)
STATUS_WORDS = {
    AppointmentStatus.BOOKED: "Booked",
    AppointmentStatus.ARRIVED: "Arrived",
    AppointmentStatus.CALLED_IN: "Called in",
    AppointmentStatus.IN_CONSULTATION: "In consultation",
    AppointmentStatus.DID_NOT_WAIT: "Did not wait",
    AppointmentStatus.COMPLETED: "Completed",
    AppointmentStatus.NO_SHOW: "No-show",
}


@dataclass(frozen=True, slots=True)
class FeedToken:
    """A doctor's calendar token as staff see it (never the token or its hash)."""

    doctor_id: int
    doctor_name: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewFeedToken:
    """A token just made: shown this once, with the feed's address."""

    token: str
    url: str
    info: FeedToken
    replaced: bool
    """The doctor had a live token, now revoked."""


def _token(row: feed_rows.FeedRow) -> FeedToken:
    return FeedToken(row.doctor_id, row.doctor_name, row.created_at, row.created_by, row.revoked_at)


def feed_url(ctx: ServiceContext, doctor_id: int, token: str) -> str:
    """The feed's address: under `online.public_url`, or `serve`'s own default address."""
    base = get_setting(ctx, "online.public_url").value.strip().rstrip("/") or LOCAL_SERVE
    return f"{base}/v1/calendar/{doctor_id}.ics?token={token}"


def create_token(ctx: ServiceContext, doctor_id: int) -> NewFeedToken:
    """A new secret token for the doctor's feed (replacing a live one); only its hash is kept."""
    require_manager(ctx, "make calendar feed tokens")
    token = rules.new_token()
    with UnitOfWork(ctx, write=True) as uow:
        name = feed_rows.doctor_name(uow.session, doctor_id)
        if name is None:
            raise NotFound("doctor", f"no doctor with id {doctor_id}")
        made, old = feed_rows.add_feed(
            uow.session, doctor_id, rules.token_hash(token), ctx.clock(), ctx.actor
        )
        if old is not None:
            uow.audit("calendar_token.revoked", f"doctor {doctor_id}", feed_id=old)
        uow.audit("calendar_token.created", f"doctor {doctor_id}", feed_id=made)
        uow.commit()
    info = FeedToken(doctor_id, name, ctx.clock(), ctx.actor, None)
    return NewFeedToken(token, feed_url(ctx, doctor_id, token), info, old is not None)


def list_tokens(ctx: ServiceContext) -> list[FeedToken]:
    """Each doctor's newest token (live, or revoked when none is live), by doctor name."""
    with UnitOfWork(ctx) as uow:
        rows = feed_rows.feeds(uow.session)
    newest: dict[int, feed_rows.FeedRow] = {}
    for row in rows:
        kept = newest.get(row.doctor_id)
        if kept is None or (kept.revoked_at is not None and row.revoked_at is None):
            newest[row.doctor_id] = row
    return [_token(r) for r in newest.values()]


def revoke_token(ctx: ServiceContext, doctor_id: int) -> None:
    """Revoke the doctor's token at once: its feed answers 404 from the next request."""
    require_manager(ctx, "revoke calendar feed tokens")
    with UnitOfWork(ctx, write=True) as uow:
        if feed_rows.doctor_name(uow.session, doctor_id, removed_too=True) is None:
            raise NotFound("doctor", f"no doctor with id {doctor_id}")
        revoked = feed_rows.revoke_feed(uow.session, doctor_id, ctx.clock())
        if revoked is None:
            raise NotFound("doctor", f"doctor {doctor_id} has no live calendar feed token")
        uow.audit("calendar_token.revoked", f"doctor {doctor_id}", feed_id=revoked)
        uow.commit()


def feed_doctor(ctx: ServiceContext, doctor_id: int, token: str) -> bool:
    """Whether `token` is the live token of this doctor's feed."""
    if not token or len(token) > 200:
        return False
    with UnitOfWork(ctx) as uow:
        return feed_rows.feed_doctor(uow.session, rules.token_hash(token)) == doctor_id


def names_shown(ctx: ServiceContext) -> bool:
    return get_setting(ctx, NAMES_SETTING).value == "on"


def summary(row: feed_rows.AppointmentRow, *, with_name: bool) -> str:
    """`Booked — Standard, 15 min` (and `— Given Family` when the clinic allows names)."""
    minutes = int((row.end - row.start).total_seconds() // 60)
    status = STATUS_WORDS.get(AppointmentStatus(row.status), row.status)
    text = f"{status} — {row.type_name}, {minutes} min"
    if with_name:
        text += f" — {row.given_name} {row.family_name}"
    return text


def calendar(ctx: ServiceContext, doctor_id: int, token: str) -> bytes:
    """The doctor's feed: live appointments from DAYS_BACK days ago up to the booking horizon,
    in the clinic's time zone (with its VTIMEZONE). A wrong or revoked token, or a token of
    another doctor, is NotFound, like an unknown doctor."""
    if not feed_doctor(ctx, doctor_id, token):
        raise NotFound("token", "no calendar feed matches this address")
    policy = clinic_policy(ctx)
    zone_name = policy.timezone
    zone = clinic_zone(zone_name)
    now = ctx.clock()
    today = to_local(now, zone_name).date()
    first = today - timedelta(days=DAYS_BACK)
    start = local_day_bounds(first, zone_name)[0]
    end = datetime.fromtimestamp(BookingWindow.at(now, policy).latest, zone)
    with_name = names_shown(ctx)
    with UnitOfWork(ctx) as uow:
        doctor = feed_rows.doctor_name(uow.session, doctor_id, removed_too=True) or ""
        clinic = feed_rows.clinic_name(uow.session)
        rows = feed_rows.appointments(uow.session, start, end, doctor_id=doctor_id, live_only=True)

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Montu Desktop//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{doctor} — {clinic}" if clinic else doctor)
    cal.add("x-wr-timezone", zone_name)
    cal.add("refresh-interval", icalendar.vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    # A year either side: the zone's rules around the feed, with both of its offsets.
    cal.add_component(
        icalendar.Timezone.from_tzinfo(
            zone, zone_name, first - timedelta(days=366), end.date() + timedelta(days=366)
        )
    )
    stamp = now.astimezone(UTC)
    for row in rows:
        event = icalendar.Event()
        event.add("uid", f"montu-appointment-{row.id}@{doctor_id}.calendar")
        event.add("dtstamp", stamp)
        event.add("last-modified", row.updated_at.astimezone(UTC))
        event.add("dtstart", row.start.astimezone(zone))
        event.add("dtend", row.end.astimezone(zone))
        event.add("summary", summary(row, with_name=with_name))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
