"""Notification use cases for managers, the front desk and scripts: log, retry, preview, test."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from montu_desktop.domain.clinic_time import local_day_bounds, to_local
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.logging_setup import mask_contact_details
from montu_desktop.notifications.channels import ChannelFactory, build_channels
from montu_desktop.notifications.dispatcher import Dispatcher
from montu_desktop.notifications.model import (
    OUTSTANDING,
    Channel,
    DeliveryError,
    Kind,
    OutgoingMessage,
    Status,
)
from montu_desktop.notifications.planning import Reach
from montu_desktop.notifications.scheduler import DispatchSchedule
from montu_desktop.notifications.store import load_settings
from montu_desktop.notifications.templates import MessageFacts, render
from montu_desktop.persistence import message_rows
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork

RETRYABLE = (Status.DEAD, Status.DISMISSED, Status.FAILED)


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One message as the log shows it (no address, no text)."""

    id: int
    appointment_id: int | None
    """None for a recall reminder."""
    channel: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    due_at: datetime
    sent_at: datetime | None
    appointment_start: datetime
    patient_name: str = ""
    """Empty for staff not allowed to see who the patient is."""
    doctor_name: str = ""
    delivery_state: str | None = None
    """The provider's delivery receipt (sent, delivered, undelivered); None: none came."""
    delivery_error: str | None = None

    @property
    def delivery(self) -> str | None:
        """sent, delivered or undelivered; a sent message without a receipt counts as sent."""
        if self.delivery_state:
            return self.delivery_state
        return "sent" if self.status == Status.SENT.value else None

    @property
    def delivery_words(self) -> str:
        """What the log shows: delivered, not delivered (reason), or nothing yet."""
        if self.delivery_state == "delivered":
            return "delivered"
        if self.delivery_state == "undelivered":
            return f"not delivered ({self.delivery_error or 'no reason given'})"
        return ""

    @property
    def not_set_up(self) -> bool:
        """It waits because its channel (email or SMS) is not set up; it goes once it is."""
        return self.status == Status.WAITING.value

    @property
    def state(self) -> str:
        """The status in plain words; a channel that is not set up is not a failure."""
        if self.not_set_up:
            return f"not sent: {'email' if self.channel == 'email' else 'SMS'} not set up"
        return STATE_WORDS.get(self.status, self.status)


STATE_WORDS = {
    Status.PENDING.value: "queued to go",
    Status.WAITING.value: "not sent: channel not set up",
    Status.SENDING.value: "being sent",
    Status.SENT.value: "sent",
    Status.FAILED.value: "failed, will retry",
    Status.DEAD.value: "failed (dead letter)",
    Status.DISMISSED.value: "dismissed",
    Status.WITHDRAWN.value: "withdrawn",
    Status.SKIPPED.value: "skipped (too late)",
}


def _view(row: message_rows.MessageRow, patient: str = "", doctor: str = "") -> NotificationView:
    return NotificationView(
        row.id,
        row.appointment_id,
        row.channel,
        row.kind,
        row.status,
        row.attempts,
        mask_contact_details(row.last_error) if row.last_error else row.last_error,
        row.due_at,
        row.sent_at,
        row.appointment_start,
        patient,
        doctor,
        row.delivery,
        row.delivery_error,
    )


def _status(text: str) -> Status:
    try:
        return Status(text.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InvalidRequest("status", f"{text!r} is not a status ({known})") from None


def list_notifications(
    ctx: ServiceContext, status: str | None = None, limit: int = 500, *, names: bool = False
) -> list[NotificationView]:
    """The newest messages first (by due time), optionally of one status.

    `names` adds the patient's and the doctor's names, for staff allowed to see them.
    """
    wanted = _status(status).value if status else None
    with UnitOfWork(ctx) as uow:
        rows = message_rows.messages(uow.session, wanted, limit)
        if not names:
            return [_view(r) for r in rows]
        found = message_rows.appointment_names(
            uow.session, {r.appointment_id for r in rows if r.appointment_id is not None}
        )
        recall_names = message_rows.patient_names(
            uow.session, {r.patient_id for r in rows if r.appointment_id is None}
        )
        return [
            _view(r, *found.get(r.appointment_id, ("", "")))
            if r.appointment_id is not None
            else _view(r, recall_names.get(r.patient_id, ""), "")
            for r in rows
        ]


def channels_set_up(ctx: ServiceContext) -> dict[str, bool]:
    """Which channels can send at all: {'email': …, 'sms': …}."""
    with UnitOfWork(ctx) as uow:
        settings, _custom = load_settings(uow.session)
    return {"email": settings.email_configured, "sms": settings.sms_configured}


NOT_SET_UP_COUNT = "not set up"


def status_counts(ctx: ServiceContext) -> Counter[str]:
    """Messages by status; those waiting for their channel to be set up count as "not set up"."""
    counts: Counter[str] = Counter()
    with UnitOfWork(ctx) as uow:
        for status, count in message_rows.count_by_status(uow.session):
            counts[NOT_SET_UP_COUNT if status == Status.WAITING.value else status] += count
    return counts


def _row(uow: UnitOfWork, notification_id: int) -> message_rows.MessageRow:
    row = message_rows.message(uow.session, notification_id)
    if row is None:
        raise NotFound("id", f"no notification with id {notification_id}")
    return row


def retry_notification(ctx: ServiceContext, notification_id: int) -> NotificationView:
    """Put a dead (or dismissed, or failed) message back in the queue, due now, with fresh tries."""
    require_manager(ctx, "retry notifications")
    with UnitOfWork(ctx, write=True) as uow:
        row = _row(uow, notification_id)
        if Status(row.status) not in RETRYABLE:
            raise InvalidRequest(
                "id", f"notification {notification_id} is {row.status}; only dead ones are retried"
            )
        row = message_rows.requeue(uow.session, row.id, Status.PENDING.value, ctx.clock())
        uow.audit("notification.retried", f"notification {row.id}")
        view = _view(row)
        uow.touches("notifications")
        uow.commit()
        return view


def dismiss_notification(ctx: ServiceContext, notification_id: int) -> NotificationView:
    """Set a dead message aside for good (it stays in the log as dismissed)."""
    require_manager(ctx, "dismiss notifications")
    with UnitOfWork(ctx, write=True) as uow:
        row = _row(uow, notification_id)
        if row.status != Status.DEAD.value:
            raise InvalidRequest(
                "id",
                f"notification {notification_id} is {row.status}; only dead ones are dismissed",
            )
        row = message_rows.set_status(uow.session, row.id, Status.DISMISSED.value, ctx.clock())
        uow.audit("notification.dismissed", f"notification {row.id}")
        view = _view(row)
        uow.touches("notifications")
        uow.commit()
        return view


def make_dispatcher(ctx: ServiceContext, channels: ChannelFactory = build_channels) -> Dispatcher:
    return Dispatcher(ctx.database, clock=ctx.clock, channels=channels)


def poll_seconds(ctx: ServiceContext) -> float:
    with UnitOfWork(ctx) as uow:
        return load_settings(uow.session)[0].poll_seconds


def can_dispatch(ctx: ServiceContext) -> bool:
    """Whether this login may plan and send notifications (on a server: the dispatcher's
    grants; reception logins leave sending to `montu-desktop worker`)."""
    if ctx.database.is_sqlite:
        return True
    with UnitOfWork(ctx) as uow:
        return message_rows.may_write_notifications(uow.session)


@contextlib.contextmanager
def running_dispatcher(
    ctx: ServiceContext, channels: ChannelFactory = build_channels
) -> Iterator[DispatchSchedule]:
    """The dispatcher on its background schedule while the app runs; a booking here wakes it."""
    try:
        interval = poll_seconds(ctx)
    except DatabaseUnavailable:
        interval = 10.0
    schedule = DispatchSchedule(make_dispatcher(ctx, channels), interval)

    def wake(changes: OpChanges) -> None:
        # New bookings, retried messages, or new channel settings: send what is due now.
        if changes.touches(ChangeKind.APPOINTMENTS, ChangeKind.NOTIFICATIONS, ChangeKind.SETTINGS):
            schedule.nudge()

    ctx.on_change.append(wake)
    schedule.start()
    try:
        yield schedule
    finally:
        ctx.on_change.remove(wake)
        schedule.stop()


def dispatch_now(ctx: ServiceContext, channels: ChannelFactory = build_channels) -> Counter[str]:
    """Plan new events and send everything due now (what `worker --once` does)."""
    return make_dispatcher(ctx, channels).run_once()


@dataclass(frozen=True, slots=True)
class ReminderPreview:
    """One of tomorrow's appointments as the front desk checks it: will the patient hear of it?"""

    appointment_id: int
    start_local: datetime
    patient_name: str
    channels: tuple[str, ...]
    pending: int
    reachable: bool
    why_not: str
    phone: str | None = None
    doctor_name: str = ""
    delivery: str = ""
    """The last reminder SMS's receipt in words: delivered, not delivered (reason), or ""."""
    call_needed: bool = False
    """A reminder SMS was not delivered: the desk should phone the patient."""


def _why_unreachable(patient: message_rows.ReminderTarget) -> str:
    if patient.reminders_opt_out:
        return "opted out of reminders"
    if not patient.phone and not patient.email:
        return "no phone or email"
    return "SMS and email reminders turned off or no matching contact"


def tomorrows_reminders(ctx: ServiceContext) -> list[ReminderPreview]:
    """Tomorrow's live appointments with the channels their patients can be reminded on."""
    zone = clinic_policy(ctx).timezone
    tomorrow = to_local(ctx.clock(), zone).date() + timedelta(days=1)
    start, end = local_day_bounds(tomorrow, zone)
    with UnitOfWork(ctx) as uow:
        rows = message_rows.booked_between(uow.session, start, end, AppointmentStatus.BOOKED.value)
        ids = [r.appointment_id for r in rows]
        pending = Counter(
            message_rows.count_for_appointments(
                uow.session,
                ids,
                kind=Kind.REMINDER.value,
                statuses=[s.value for s in OUTSTANDING],
            )
        )
        receipts: dict[int, NotificationView] = {}
        for row in message_rows.with_receipts(
            uow.session,
            ids,
            kind=Kind.REMINDER.value,
            channel=Channel.SMS.value,
            status=Status.SENT.value,
        ):
            assert row.appointment_id is not None
            receipts[row.appointment_id] = _view(row)  # the latest one wins
        found = []
        for patient in rows:
            appointment_id, starts, doctor = (
                patient.appointment_id,
                patient.start,
                patient.doctor_name,
            )
            receipt = receipts.get(appointment_id)
            reach = Reach.of(
                patient.email,
                patient.phone,
                patient.email_reminders,
                patient.sms_reminders,
                patient.reminders_opt_out,
            )
            channels = tuple(c.value for c in reach.channels(Kind.REMINDER))
            found.append(
                ReminderPreview(
                    appointment_id,
                    to_local(starts, zone),
                    f"{patient.family_name}, {patient.given_name}",
                    channels,
                    pending[appointment_id],
                    bool(channels),
                    "" if channels else _why_unreachable(patient),
                    patient.phone,
                    doctor,
                    receipt.delivery_words if receipt else "",
                    bool(receipt and receipt.delivery == "undelivered"),
                )
            )
        return found


def send_test_message(
    ctx: ServiceContext, channel: str, to: str, channels: ChannelFactory = build_channels
) -> str:
    """Send a sample reminder now with the saved settings; returns the provider's reference."""
    try:
        chosen = Channel(channel)
    except ValueError:
        raise InvalidRequest("channel", "must be email or sms") from None
    if not to.strip():
        raise InvalidRequest("to", "must say where to send the test message")
    with UnitOfWork(ctx) as uow:
        settings, custom = load_settings(uow.session)
        clinic = message_rows.clinic_contact(uow.session)
        zone = clinic.timezone if clinic else "UTC"
        where = (clinic.name, clinic.address, clinic.phone) if clinic else ("Montu", "", "")
    tomorrow = to_local(ctx.clock() + timedelta(days=1), zone)
    facts = MessageFacts("Test", tomorrow.replace(minute=0, second=0, microsecond=0), *where)
    subject, body = render(Kind.REMINDER, chosen, facts, custom)
    key = f"test:{int(ctx.clock().timestamp())}:{chosen.value}"
    built = channels(settings)
    try:
        return built.send(OutgoingMessage(key, chosen, to.strip(), "[TEST] " + body, subject))
    except DeliveryError as exc:
        raise InvalidRequest(chosen.value, exc.reason) from None
    finally:
        built.close()
