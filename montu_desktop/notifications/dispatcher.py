"""Delivers the outbox: plans each appointment event's messages, then claims and sends due ones.

Exactly one send across PCs: a message is claimed in its own short transaction (PostgreSQL:
SELECT … FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE, one writer at a time) and marked
"sending" with a lease before anything leaves the PC. A claim whose lease ran out (its PC
stopped mid-send) is in doubt: an SMS is first looked up at the provider and only sent
again if it never arrived; an email is sent again with the same Message-ID.

No message is stuck or lost: whatever goes wrong while one is rendered or sent (a template
that cannot be filled in, a header the mail library refuses, a bug) counts as a failed try
with its error; after `notifications.max_attempts` tries, or a claim abandoned that often by
dispatchers that stopped, it becomes a dead letter with the reason.

A channel that is not set up is not a failure: a message due on it waits (status `waiting`,
no try used) and goes on the first pass after the channel is set up, if it is still wanted
then (never once its appointment has begun, nor for a cancelled or moved one).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from montu_desktop.config.clock import utc_now
from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.online import new_token, token_hash
from montu_desktop.logging_setup import mask_contact_details
from montu_desktop.notifications import planning
from montu_desktop.notifications.channels import (
    NOT_SET_UP,
    ChannelFactory,
    ChannelSet,
    build_channels,
)
from montu_desktop.notifications.model import (
    OUTSTANDING,
    QUEUED,
    Channel,
    DeliveryError,
    Kind,
    OutgoingMessage,
    Status,
)
from montu_desktop.notifications.records import NotificationRow
from montu_desktop.notifications.settings import NotificationSettings
from montu_desktop.notifications.store import load_settings
from montu_desktop.notifications.templates import MessageFacts, render, uses
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database
from montu_desktop.persistence.manage_tables import ManageLink
from montu_desktop.persistence.recall_tables import Recall

log = logging.getLogger(__name__)

LATE_CANCEL_EVENT = "sms.late_cancel"
"""A patient replied C inside the cancellation notice: one SMS says it is still booked."""
EVENT_NAMES = (
    "appointment.booked",
    "appointment.cancelled",
    "appointment.rescheduled",
    "recall.added",
    LATE_CANCEL_EVENT,
)
LOCK_HOLD = 724136
"""PostgreSQL advisory lock: one dispatcher at a time moves messages in and out of waiting."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    in_doubt: bool
    attempts: int
    exhausted: bool = False
    """Abandoned mid-send by stopped dispatchers as often as it may be tried: no more tries."""


class MessageNotRenderable(Exception):
    """A stored template cannot be filled in (it was put in the database without the checks)."""


def masked_error(reason: str, address: str) -> str:
    """A send error as stored and shown: the patient's address (as in an SMTP "550 <addr>"
    reply) and any other email address or phone number replaced by a placeholder."""
    if address:
        reason = reason.replace(address, "<address>")
    return mask_contact_details(reason)


class Dispatcher:
    """One PC's dispatcher; several may share a database (each claims its own work)."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        worker_id: str | None = None,
        channels: ChannelFactory = build_channels,
    ) -> None:
        self.database = database
        self.clock = clock
        self.worker_id = worker_id or default_worker_id()
        self._channels = channels
        self._lock = threading.Lock()

    # -- the whole pass -------------------------------------------------------------------

    def run_once(self, limit: int = 1000) -> Counter[str]:
        """Plan new outbox events, then send everything due now; returns counts by outcome."""
        with self._lock:
            outcomes: Counter[str] = Counter()
            outcomes["planned"] = self.plan_outbox()
            with self.database.session() as session:
                settings, custom = load_settings(session)
            channels = self._channels(settings)
            try:
                ready = [c for c in Channel if channels.can_send(c)]
                outcomes["waiting"] = self.hold_for_channels(ready)
                for _ in range(limit):
                    claim = self._claim_next(settings, ready)
                    if claim is None:
                        break
                    outcomes[self._attempt(claim, settings, custom, channels)] += 1
            finally:
                channels.close()
            if outcomes.total() > outcomes["planned"] or outcomes["planned"]:
                log.info("dispatch pass: %s", dict(outcomes))
            return outcomes

    # -- channels not set up -------------------------------------------------------------

    def hold_for_channels(self, ready: list[Channel]) -> int:
        """Due messages on a channel that is not set up wait for it (no try used); those
        waiting on one that is set up now are due again; those whose appointment has begun
        will never go. Returns how many started waiting."""
        now = self.clock()
        n = NotificationRow
        held = 0
        missing = [c.value for c in Channel if c not in ready]
        waiting = n.status == Status.WAITING.value
        too_late = and_(waiting, n.appointment_start <= now)
        to_release = and_(waiting, n.channel.in_([c.value for c in ready]))
        to_hold = and_(
            n.status.in_([s.value for s in QUEUED]), n.channel.in_(missing), n.due_at <= now
        )
        with self.database.session() as session:
            # Most passes change nothing here: only then take the write lock (SQLite).
            found = select(n.id).where(or_(too_late, to_release, to_hold)).limit(1)
            if session.scalars(found).first() is None:
                return 0
        with self.database.session(write=True) as session:
            if not self.database.is_sqlite:
                # Two PCs' multi-row updates here could deadlock; one at a time instead.
                session.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_HOLD})"))
            for channel in missing:
                done = session.execute(
                    update(n)
                    .where(to_hold, n.channel == channel)
                    .values(
                        status=Status.WAITING.value,
                        last_error=NOT_SET_UP[channel],
                        updated_at=now,
                    )
                )
                held += done.rowcount  # type: ignore[attr-defined]
            session.execute(
                update(n)
                .where(too_late)
                .values(
                    status=Status.SKIPPED.value,
                    last_error="the appointment had begun",
                    updated_at=now,
                )
            )
            session.execute(
                update(n)
                .where(to_release)
                .values(status=Status.PENDING.value, last_error=None, updated_at=now)
            )
            session.commit()
        return held

    # -- planning -------------------------------------------------------------------------

    def plan_outbox(self, batch: int = 200) -> int:
        """Turn unprocessed appointment events into notification rows; returns events handled."""
        handled = 0
        unplannable: set[int] = set()
        while True:
            with self.database.session(write=True) as session:
                query = (
                    select(t.OutboxEvent)
                    .where(
                        t.OutboxEvent.processed_at.is_(None),
                        t.OutboxEvent.name.in_(EVENT_NAMES),
                        t.OutboxEvent.id.not_in(unplannable),
                    )
                    .order_by(t.OutboxEvent.id)
                    .limit(batch)
                )
                if not self.database.is_sqlite:
                    query = query.with_for_update(skip_locked=True)
                events = list(session.scalars(query))
                if not events:
                    return handled
                settings, _ = load_settings(session)
                clinic = session.scalars(select(t.Clinic).limit(1)).first()
                zone = clinic.timezone if clinic else "UTC"
                now = self.clock()
                for event in events:
                    try:
                        with session.begin_nested():
                            self._plan_event(session, event, settings, zone, now)
                            event.processed_at = now
                    except (KeyError, ValueError, TypeError) as exc:
                        # One malformed event must not hold up every other message: it stays
                        # unprocessed (and logged) for someone to look at, the rest go on.
                        log.error(
                            "outbox event %s cannot be planned (%s); skipped this pass",
                            event.id,
                            type(exc).__name__,
                        )
                        unplannable.add(event.id)
                        continue
                    handled += 1
                session.commit()

    def _plan_event(
        self,
        session: Session,
        event: t.OutboxEvent,
        settings: NotificationSettings,
        zone: str,
        now: datetime,
    ) -> None:
        data = event.payload
        if event.name == "recall.added":
            self._plan_recall(session, event, settings, zone, now)
            return
        appointment_id = int(data["appointment_id"])  # type: ignore[arg-type]
        patient = session.get(t.Patient, int(data["patient_id"]))  # type: ignore[arg-type]
        if patient is None:
            return
        reach = _reach(patient)
        start = datetime.fromisoformat(str(data["start"]))
        happened = event.created_at
        quiet, offsets = settings.quiet_hours, settings.reminder_offsets
        old_start = None
        if event.name == "appointment.booked":
            planned = planning.for_booking(
                appointment_id, reach, start, happened, offsets, quiet, zone
            )
        elif event.name == LATE_CANCEL_EVENT:
            # Answers a text the patient just sent: SMS only, whatever their reminder choices.
            key = planning.message_key(
                appointment_id, Kind.LATE_CANCEL, Channel.SMS, start, f"e{event.id}"
            )
            planned = (
                [planning.Planned(key, Kind.LATE_CANCEL, Channel.SMS, happened, start)]
                if patient.phone
                else []
            )
        elif event.name == "appointment.cancelled":
            self._withdraw(session, appointment_id, "the appointment was cancelled", now)
            planned = planning.for_cancellation(appointment_id, reach, start, happened, quiet, zone)
        else:
            old_start = datetime.fromisoformat(str(data["old_start"]))
            withdrawn = self._withdraw(session, appointment_id, "the appointment was moved", now)
            unconfirmed = [
                Channel(r.channel) for r in withdrawn if r.kind == Kind.CONFIRMATION.value
            ]
            planned = planning.for_move(
                appointment_id, event.id, reach, start, happened, offsets, quiet, zone, unconfirmed
            )
        self._record(session, planned, appointment_id, patient.id, event.id, old_start, now)

    def _plan_recall(
        self,
        session: Session,
        event: t.OutboxEvent,
        settings: NotificationSettings,
        zone: str,
        now: datetime,
    ) -> None:
        """A recall reminder, planned like an appointment reminder (planning.for_recall)."""
        data = event.payload
        recall_id = int(data["recall_id"])  # type: ignore[arg-type]
        patient = session.get(t.Patient, int(data["patient_id"]))  # type: ignore[arg-type]
        recall = session.get(Recall, recall_id)
        # Only for a recall of that patient (a staff login could write a made-up event).
        if patient is None or recall is None or recall.patient_id != patient.id:
            return
        planned = planning.for_recall(
            recall_id,
            _reach(patient),
            recall.due_day,
            event.created_at,
            settings.recall_days_before,
            settings.quiet_hours,
            zone,
        )
        self._record(session, planned, None, patient.id, event.id, None, now, recall_id=recall_id)

    def _withdraw(
        self, session: Session, appointment_id: int, why: str, now: datetime
    ) -> list[NotificationRow]:
        rows = list(
            session.scalars(
                select(NotificationRow).where(
                    NotificationRow.appointment_id == appointment_id,
                    NotificationRow.status.in_([s.value for s in OUTSTANDING]),
                )
            )
        )
        for row in rows:
            row.status, row.last_error, row.updated_at = Status.WITHDRAWN.value, why, now
        return rows

    def _record(
        self,
        session: Session,
        planned: list[planning.Planned],
        appointment_id: int | None,
        patient_id: int,
        event_id: int,
        old_start: datetime | None,
        now: datetime,
        *,
        recall_id: int | None = None,
    ) -> None:
        if not planned:
            return
        keys = [p.key for p in planned]
        existing = set(
            session.scalars(
                select(NotificationRow.idempotency_key).where(
                    NotificationRow.idempotency_key.in_(keys)
                )
            )
        )
        for p in planned:
            if p.key in existing:
                continue
            session.add(
                NotificationRow(
                    idempotency_key=p.key,
                    appointment_id=appointment_id,
                    recall_id=recall_id,
                    patient_id=patient_id,
                    event_id=event_id,
                    channel=p.channel.value,
                    kind=p.kind.value,
                    status=p.status.value,
                    due_at=p.due_at,
                    appointment_start=p.appointment_start,
                    old_start=old_start if p.kind is Kind.CHANGE else None,
                    attempts=0,
                    last_error=p.note or None,
                    created_at=now,
                    updated_at=now,
                )
            )

    # -- sending --------------------------------------------------------------------------

    def _lease(self, settings: NotificationSettings) -> timedelta:
        """Long enough for one send to finish or time out, with room to record the outcome."""
        return timedelta(seconds=2 * max(settings.smtp_timeout, settings.sms_timeout) + 2)

    def _claim_next(
        self, settings: NotificationSettings, ready: list[Channel] | None = None
    ) -> Claim | None:
        now = self.clock()
        n = NotificationRow
        channels = [c.value for c in (Channel if ready is None else ready)]
        with self.database.session(write=True) as session:
            query = (
                select(n)
                .where(
                    or_(
                        and_(
                            n.status.in_([s.value for s in QUEUED]),
                            n.channel.in_(channels),
                            n.due_at <= now,
                        ),
                        and_(n.status == Status.SENDING.value, n.claimed_until < now),
                    )
                )
                .order_by(n.due_at, n.id)
                .limit(1)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            row = session.scalars(query).first()
            if row is None:
                return None
            in_doubt = row.status == Status.SENDING.value
            exhausted = in_doubt and row.attempts >= settings.max_attempts
            row.status = Status.SENDING.value
            row.claimed_by = self.worker_id
            row.claimed_until = now + self._lease(settings)
            if not exhausted:
                row.attempts += 1
            row.updated_at = now
            claim = Claim(row.id, in_doubt, row.attempts, exhausted)
            session.commit()
            return claim

    def _attempt(
        self,
        claim: Claim,
        settings: NotificationSettings,
        custom: dict[str, str],
        channels: ChannelSet,
    ) -> str:
        """Deliver one claimed message; anything that goes wrong is a failed try, never a crash."""
        if claim.exhausted:
            return self._finish(
                claim,
                Status.DEAD,
                f"sending was interrupted {claim.attempts} times (the dispatcher stopped "
                "mid-send); it may have arrived",
            )
        try:
            return self._deliver(claim, settings, custom, channels)
        except MessageNotRenderable as exc:
            log.warning("notification %s: its template cannot be filled in", claim.id)
            return self._failed_try(claim, settings, str(exc))
        except (SQLAlchemyError, DatabaseUnavailable):
            # The outcome could not be read or recorded: the claim's lease runs out and the
            # message is retried in doubt (never recorded as failed after it may have gone).
            raise
        except Exception as exc:
            # Logged by type only: the text may hold an address or a name.
            log.warning("notification %s: sending raised %s", claim.id, type(exc).__name__)
            reason = f"could not be sent: {type(exc).__name__}: {exc}"
            return self._failed_try(claim, settings, reason[:500])

    def _failed_try(self, claim: Claim, settings: NotificationSettings, reason: str) -> str:
        if claim.attempts >= settings.max_attempts:
            return self._finish(claim, Status.DEAD, reason)
        retry_at = self.clock() + settings.retry_delay(claim.attempts)
        return self._finish(claim, Status.FAILED, reason, due_at=retry_at)

    def _deliver(
        self,
        claim: Claim,
        settings: NotificationSettings,
        custom: dict[str, str],
        channels: ChannelSet,
    ) -> str:
        now = self.clock()
        with self.database.session() as session:
            row = session.get(NotificationRow, claim.id)
            assert row is not None
            recall = session.get(Recall, row.recall_id) if row.recall_id is not None else None
            appointment = (
                session.get(t.Appointment, row.appointment_id)
                if row.appointment_id is not None
                else None
            )
            patient = session.get(t.Patient, row.patient_id)
            clinic = session.scalars(select(t.Clinic).limit(1)).first()
            verdict = (
                _recall_wanted(recall, row, now)
                if row.recall_id is not None
                else _still_wanted(row, appointment, now)
            ) or _held_for_the_desk(session, patient, Channel(row.channel))
            recall_due = recall.due_day if recall is not None else None
            superseded = row.kind == Kind.REMINDER.value and self._later_reminder_due(
                session, row, now
            )
            kind, channel = Kind(row.kind), Channel(row.channel)
            appointment_id = row.appointment_id
            key, start, old_start = row.idempotency_key, row.appointment_start, row.old_start
            claimed_at = row.updated_at
            address = _address_for(patient, channel, kind)
            first_name = patient.given_name if patient else ""
            zone = clinic.timezone if clinic else "UTC"
            where = (clinic.name, clinic.address, clinic.phone) if clinic else ("", "", "")
        if verdict is not None:
            return self._finish(claim, *verdict)
        if superseded:
            return self._finish(claim, Status.SKIPPED, "a later reminder goes instead")
        if channel is Channel.SMS and not claim.in_doubt:
            later = planning.after_quiet_hours(now, settings.quiet_hours, zone)
            if later != now:
                if later >= start:
                    return self._finish(claim, Status.SKIPPED, "quiet hours last until it begins")
                return self._finish(claim, Status.PENDING, None, due_at=later, undo_attempt=True)
        if address is None:
            return self._finish(claim, Status.SKIPPED, f"the patient has no {channel.value} now")
        if not channels.can_send(channel):
            # Taken back (e.g. claimed in doubt) after its channel stopped being set up.
            return self._finish(claim, Status.WAITING, NOT_SET_UP[channel.value], undo_attempt=True)
        # A recall reminder's {date} is the day the patient is due back (never what for).
        shown = (
            start if recall_due is None else local_instant(recall_due, planning.RECALL_HOUR, zone)
        )
        link = ""
        if (
            settings.public_url
            and appointment_id is not None
            and uses(kind, channel, custom, "manage_link")
        ):
            link = self._manage_link(appointment_id, settings.public_url)
        facts = MessageFacts(
            manage_link=link,
            first_name=first_name,
            start_local=to_local(shown, zone),
            clinic_name=where[0],
            clinic_address=where[1],
            clinic_phone=where[2],
            old_start_local=to_local(old_start, zone) if old_start else None,
        )
        try:
            subject, body = render(kind, channel, facts, custom, two_way=settings.sms_two_way)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
            raise MessageNotRenderable(
                f"the {kind.value} template for {channel.value} cannot be filled in "
                f"({type(exc).__name__}: {exc}); correct it in the notification settings"
            ) from exc
        message = OutgoingMessage(key, channel, address, body, subject)
        try:
            if claim.in_doubt and channel is Channel.SMS and channels.sms is not None:
                found = channels.sms.find_sent(message, claimed_at - timedelta(days=1))
                if found is not None:
                    return self._finish(claim, Status.SENT, None, ref=found, undo_attempt=True)
            ref = channels.send(message)
        except DeliveryError as exc:
            reason = masked_error(exc.reason, address)
            if exc.permanent:
                return self._finish(claim, Status.DEAD, reason)
            return self._failed_try(claim, settings, reason)
        return self._finish(claim, Status.SENT, None, ref=ref)

    def _later_reminder_due(self, session: Session, row: NotificationRow, now: datetime) -> bool:
        n = NotificationRow
        found = session.scalars(
            select(n.id)
            .where(
                n.appointment_id == row.appointment_id,
                n.channel == row.channel,
                n.kind == Kind.REMINDER.value,
                n.status.in_([s.value for s in QUEUED]),
                n.appointment_start == row.appointment_start,
                n.due_at > row.due_at,
                n.due_at <= now,
            )
            .limit(1)
        ).first()
        return found is not None

    def _manage_link(self, appointment_id: int, public_url: str) -> str:
        """A fresh manage link for this message; only its token's hash is stored."""
        token = new_token()
        with self.database.session(write=True) as session:
            session.add(
                ManageLink(
                    token_hash=token_hash(token),
                    appointment_id=appointment_id,
                    created_at=self.clock(),
                )
            )
            session.commit()
        return f"{public_url.rstrip('/')}/manage/{token}"

    def _finish(
        self,
        claim: Claim,
        status: Status,
        error: str | None,
        *,
        due_at: datetime | None = None,
        ref: str | None = None,
        undo_attempt: bool = False,
    ) -> str:
        """Record the outcome, but only if this PC still holds the claim."""
        now = self.clock()
        n = NotificationRow
        values: dict[str, object] = {
            "status": status.value,
            "claimed_by": None,
            "claimed_until": None,
            "updated_at": now,
        }
        if error is not None or status in (Status.SENT, Status.PENDING):
            values["last_error"] = error
        if due_at is not None:
            values["due_at"] = due_at
        if status is Status.SENT:
            values["sent_at"], values["provider_ref"] = now, (ref or "")[:100]
        if undo_attempt:
            values["attempts"] = n.attempts - 1
        with self.database.session(write=True) as session:
            done = session.execute(
                update(n)
                .where(
                    n.id == claim.id,
                    n.claimed_by == self.worker_id,
                    n.status == Status.SENDING.value,
                )
                .values(**values)
            )
            session.commit()
        if done.rowcount == 0:  # type: ignore[attr-defined]
            log.warning("notification %s was taken over by another PC", claim.id)
        log.info("notification %s: %s", claim.id, status.value)
        return status.value


def _still_wanted(
    row: NotificationRow, appointment: t.Appointment | None, now: datetime
) -> tuple[Status, str] | None:
    """Why this message should not go any more, or None when it should."""
    if appointment is None:
        return Status.WITHDRAWN, "the appointment no longer exists"
    if row.kind != Kind.CANCELLATION.value:
        if appointment.status == AppointmentStatus.CANCELLED.value:
            return Status.WITHDRAWN, "the appointment was cancelled"
        if appointment.start_at != row.appointment_start:
            return Status.WITHDRAWN, "the appointment was moved"
    if now >= row.appointment_start:
        return Status.SKIPPED, "the appointment had begun"
    return None


def _held_for_the_desk(
    session: Session, patient: t.Patient | None, channel: Channel
) -> tuple[Status, str] | None:
    """An online booking's new record, not yet checked by the desk, whose number or address is
    on another patient's record: nothing goes there (whoever booked may have typed somebody
    else's mobile); the desk sees the booking in Online bookings to check."""
    if patient is None or not patient.online_unchecked:
        return None
    column = t.Patient.email if channel is Channel.EMAIL else t.Patient.phone
    value = patient.email if channel is Channel.EMAIL else patient.phone
    if not value:
        return None
    other = session.scalar(
        select(t.Patient.id)
        .where(column == value, t.Patient.id != patient.id, t.Patient.merged_into_id.is_(None))
        .limit(1)
    )
    if other is None:
        return None
    return (
        Status.SKIPPED,
        f"held: this {'email address' if channel is Channel.EMAIL else 'number'} is on another "
        "patient's record; check the online booking",
    )


def _recall_wanted(
    recall: Recall | None, row: NotificationRow, now: datetime
) -> tuple[Status, str] | None:
    """Why a recall reminder should not go any more, or None when it should."""
    if recall is None or recall.status != "due":
        what = recall.status if recall is not None else "removed"
        return Status.WITHDRAWN, f"the recall is {what}"
    if now >= row.appointment_start:
        return Status.SKIPPED, "the recall's due day had passed"
    return None


def _reach(patient: t.Patient) -> planning.Reach:
    return planning.Reach.of(
        patient.email,
        patient.phone,
        patient.email_reminders,
        patient.sms_reminders,
        patient.reminders_opt_out,
    )


def _address(patient: t.Patient | None, channel: Channel) -> str | None:
    if patient is None:
        return None
    if channel is Channel.EMAIL:
        return patient.email if patient.email and patient.email_reminders else None
    return patient.phone if patient.phone and patient.sms_reminders else None


def _address_for(patient: t.Patient | None, channel: Channel, kind: Kind) -> str | None:
    """Where this message goes: an answer to the patient's own text goes to their phone."""
    if kind is Kind.LATE_CANCEL and patient is not None and channel is Channel.SMS:
        return patient.phone or None
    return _address(patient, channel)
