"""Two-way SMS: patients' replies (C cancels, Y confirms, STOP opts out), the Replies list
the desk works through, and the provider's delivery receipts.

Every door (the API's webhooks, `montu-desktop replies`, the desk's Replies dialog) calls
these. A reply acts only on a patient the number identifies without doubt (exactly one
live patient with that phone in E.164); anything else is listed for the desk. The reply is
stored before it acts, so a webhook the provider sends again (same MessageSid) never acts
twice (e.g. cancelling the next appointment after the one already cancelled).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from montu_desktop.config import secrets
from montu_desktop.config.settings_registry import typed_value
from montu_desktop.domain import sms_replies as rules
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.events import Event
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import normalise_phone
from montu_desktop.domain.sms_replies import Ask, Outcome
from montu_desktop.persistence import message_rows, settings_rows
from montu_desktop.services import booking, online
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

INBOUND_PATH = "/v1/sms/inbound"
STATUS_PATH = "/v1/sms/status"
ACTOR = "sms-reply"
"""Who the audit log names for what a patient's reply did."""
RECEIVED = "received"
"""A reply stored but not acted on yet (a crash there leaves it for the desk)."""


def _setting(uow: UnitOfWork, key: str) -> object:
    return typed_value(key, settings_rows.stored_values(uow.session, [key]))


class SignatureRefused(InvalidRequest):
    """The webhook's X-Twilio-Signature is missing or wrong (or cannot be checked)."""


@dataclass(frozen=True, slots=True)
class LateCancel(Event):
    """Ask the dispatcher for one SMS: the appointment is too close to cancel by SMS."""

    name: ClassVar[str] = "sms.late_cancel"
    appointment_id: int
    patient_id: int
    start: str


@dataclass(frozen=True, slots=True)
class ReplyView(message_rows.ReplyRow):
    """One reply as the Replies list shows it (the stored reply, and what the desk makes of it)."""

    @property
    def needs_the_desk(self) -> bool:
        return self.outcome in {o.value for o in rules.FOR_THE_DESK} or self.outcome == RECEIVED

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "from": self.from_number,
            "body": self.body,
            "outcome": self.outcome,
            "needs_the_desk": self.needs_the_desk,
            "patient": (
                {"id": self.patient_id, "name": self.patient_name}
                if self.patient_id is not None
                else None
            ),
            "appointment_id": self.appointment_id,
            "read": self.read_at is not None,
            "read_at": self.read_at.isoformat() if self.read_at else None,
        }


# -- the webhooks' signature ---------------------------------------------------------------


def check_signature(
    ctx: ServiceContext,
    path: str,
    fields: Sequence[tuple[str, str]],
    given: str | None,
    secret: Callable[[str], str | None] = secrets.get_secret,
) -> None:
    """Refuse (SignatureRefused) unless `given` signs these fields over online.public_url + path
    with the SMS account's auth token (the keyring's `sms.token`)."""
    with UnitOfWork(ctx) as uow:
        public_url = str(_setting(uow, "online.public_url"))
    if not given:
        raise SignatureRefused("X-Twilio-Signature", "is missing")
    if not public_url:
        raise SignatureRefused("online.public_url", "is not set, so no signature can be checked")
    token = secret("sms.token")
    if not token:
        raise SignatureRefused("sms.token", "is not in the keyring, so no signature can be checked")
    if not rules.signature_ok(token, public_url + path, fields, given):
        raise SignatureRefused("X-Twilio-Signature", "does not match this request")


# -- inbound replies ------------------------------------------------------------------------


def _field(fields: Sequence[tuple[str, str]], name: str, longest: int) -> str:
    value = next((v for k, v in fields if k == name), "").strip()
    if not value:
        raise InvalidRequest(name, "is missing")
    if len(value) > longest:
        raise InvalidRequest(name, f"must be at most {longest} characters")
    return value


def receive_reply(ctx: ServiceContext, fields: Sequence[tuple[str, str]]) -> ReplyView:
    """Store a (signed) inbound SMS, then act on it if it is a one-word answer from a number
    that identifies one patient; returns the reply with what was done."""
    sid = _field(fields, "MessageSid", 64)
    sender = _field(fields, "From", 40)
    to = _field(fields, "To", 40)
    body = next((v for k, v in fields if k == "Body"), "")[: rules.MAX_BODY]
    # A short code or a sender name is kept as sent: it matches no patient.
    with contextlib.suppress(InvalidRequest):
        sender = normalise_phone(sender)
    now = ctx.clock()
    with UnitOfWork(ctx, write=True) as uow:
        two_way = _setting(uow, "sms.two_way") == "on"
        existing = message_rows.reply_with_sid(uow.session, sid)
        if existing is not None:
            return _view(existing)
        matches = message_rows.live_patients_with_phone(uow.session, sender, limit=2)
        patient_id = matches[0] if len(matches) == 1 else None
        reply_id = message_rows.add_reply(
            uow.session,
            message_sid=sid,
            from_number=sender,
            to_number=to,
            body=body,
            received_at=now,
            patient_id=patient_id,
            outcome=RECEIVED,
        )
        if reply_id is None:  # the same webhook racing itself: the first one acts
            return _by_sid(ctx, sid)
        ask = rules.read_reply(body)
        if not two_way:
            first = Outcome.TWO_WAY_OFF
        elif not matches:
            first = Outcome.UNKNOWN_NUMBER
        elif len(matches) > 1:
            first = Outcome.SHARED_NUMBER
        elif ask is Ask.OTHER:
            first = Outcome.FOR_THE_DESK
        else:
            first = None
        if first is not None:
            message_rows.settle_reply(uow.session, reply_id, first.value)
        uow.audit("sms.reply_received", f"sms reply {reply_id}", ask=ask.value)
        uow.touches("notifications")
        uow.commit()
    if first is None:
        assert patient_id is not None
        _act(ctx, reply_id, patient_id, ask)
    return _by_id(ctx, reply_id)


def _settle(uow: UnitOfWork, reply_id: int, outcome: Outcome, appointment_id: int | None) -> None:
    message_rows.settle_reply(uow.session, reply_id, outcome.value, appointment_id)
    uow.audit("sms.reply_handled", f"sms reply {reply_id}", outcome=outcome.value)


def _act(ctx: ServiceContext, reply_id: int, patient_id: int, ask: Ask) -> None:
    as_reply = dataclasses.replace(ctx, actor=ACTOR)
    now = ctx.clock()
    if ask is Ask.STOP:
        with UnitOfWork(as_reply, write=True) as uow:
            message_rows.opt_out_of_reminders(uow.session, patient_id, now)
            uow.audit("patient.reminders_opted_out", f"patient {patient_id}", by="sms")
            _settle(uow, reply_id, Outcome.OPTED_OUT, None)
            uow.touches("patients", patient_id)
            uow.commit()
        return
    with UnitOfWork(as_reply, write=True) as uow:
        upcoming = message_rows.next_booked(
            uow.session, patient_id, now, AppointmentStatus.BOOKED.value
        )
        if upcoming is None:
            _settle(uow, reply_id, Outcome.NO_APPOINTMENT, None)
            uow.commit()
            return
        appointment_id, start = upcoming
        if ask is Ask.CONFIRM:
            message_rows.confirm_appointment(uow.session, appointment_id, now)
            uow.audit("appointment.confirmed", f"appointment {appointment_id}", by="sms")
            _settle(uow, reply_id, Outcome.CONFIRMED, appointment_id)
            uow.touches("appointments", appointment_id)
            uow.commit()
            return
        if online.too_close_to_cancel(as_reply, start):
            uow.emit(LateCancel(appointment_id, patient_id, start.isoformat()))
            _settle(uow, reply_id, Outcome.TOO_LATE, appointment_id)
            uow.touches("notifications")
            uow.commit()
            return
    # Cancelled by the desks' own use case (its outbox event sends the cancellation SMS).
    try:
        booking.cancel_appointment(as_reply, appointment_id, "cancelled by the patient by SMS")
    except (InvalidRequest, NotFound):
        outcome = Outcome.NO_APPOINTMENT  # cancelled meanwhile at a desk
    else:
        outcome = Outcome.CANCELLED
    with UnitOfWork(as_reply, write=True) as uow:
        _settle(uow, reply_id, outcome, appointment_id)
        uow.touches("notifications")
        uow.commit()


# -- the Replies list -----------------------------------------------------------------------


def _view(row: message_rows.ReplyRow) -> ReplyView:
    return ReplyView(**{f.name: getattr(row, f.name) for f in dataclasses.fields(row)})


def _by_id(ctx: ServiceContext, reply_id: int) -> ReplyView:
    with UnitOfWork(ctx) as uow:
        row = message_rows.reply(uow.session, reply_id)
        if row is None:
            raise NotFound("id", f"no reply with id {reply_id}")
        return _view(row)


def _by_sid(ctx: ServiceContext, sid: str) -> ReplyView:
    with UnitOfWork(ctx) as uow:
        row = message_rows.reply_with_sid(uow.session, sid)
        assert row is not None  # only asked for a reply known to be stored
        return _view(row)


def list_replies(
    ctx: ServiceContext, *, unread_only: bool = False, limit: int = 500
) -> list[ReplyView]:
    """The newest replies first, with the patient's name when the number identified one."""
    with UnitOfWork(ctx) as uow:
        return [
            _view(row)
            for row in message_rows.replies(uow.session, unread_only=unread_only, limit=limit)
        ]


def unread_count(ctx: ServiceContext) -> int:
    with UnitOfWork(ctx) as uow:
        return message_rows.unread_count(uow.session)


def mark_read(ctx: ServiceContext, reply_id: int) -> ReplyView:
    """The desk has read (and dealt with) this reply."""
    with UnitOfWork(ctx, write=True) as uow:
        row = message_rows.reply(uow.session, reply_id)
        if row is None:
            raise NotFound("id", f"no reply with id {reply_id}")
        if row.read_at is None:
            row = message_rows.mark_reply_read(uow.session, reply_id, ctx.clock(), ctx.actor[:100])
            uow.audit("sms.reply_read", f"sms reply {reply_id}")
            uow.touches("notifications")
        view = _view(row)
        uow.commit()
        return view


# -- delivery receipts ----------------------------------------------------------------------


def record_receipt(ctx: ServiceContext, fields: Sequence[tuple[str, str]]) -> str | None:
    """Record a (signed) delivery receipt on the message it is about; returns the delivery
    state now held, or None when no message of ours has that MessageSid."""
    sid = _field(fields, "MessageSid", 64)
    status = _field(fields, "MessageStatus", 20).lower()
    new = rules.PROVIDER_STATUS.get(status)
    if new is None:
        known = ", ".join(rules.PROVIDER_STATUS)
        raise InvalidRequest("MessageStatus", f"{status!r} is not a message status ({known})")
    error = next((v for k, v in fields if k == "ErrorCode"), "")
    with UnitOfWork(ctx, write=True) as uow:
        found = message_rows.delivery_of(uow.session, sid)
        if found is None:
            log.info("a delivery receipt for a message this clinic did not send was ignored")
            return None
        notification_id, state = found
        if rules.moves_forward(state, new):
            message_rows.set_delivery(
                uow.session,
                notification_id,
                new.value,
                rules.delivery_reason(error)[:200] if new is rules.Delivery.UNDELIVERED else None,
                ctx.clock(),
            )
            uow.audit(
                "notification.delivery", f"notification {notification_id}", delivery=new.value
            )
            uow.touches("notifications")
            state = new.value
        uow.commit()
        return state
