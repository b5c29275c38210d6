"""Decides which messages an appointment event calls for, on which channels, and when.

Pure rules: a confirmation, cancellation or change notice is due at once; reminders at
the configured offsets before the start (not those already past when it was booked);
SMS never falls in quiet hours; nothing is worth sending once the appointment has begun.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from montu_desktop.config.settings_registry import QuietHours, format_offset
from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.notifications.model import Channel, Kind, Status


@dataclass(frozen=True, slots=True)
class Reach:
    """How a patient can be reached: an address on a channel they have not turned off."""

    email: bool
    sms: bool
    reminders_opt_out: bool

    @classmethod
    def of(
        cls,
        email: str | None,
        phone: str | None,
        email_on: bool,
        sms_on: bool,
        opted_out: bool,
    ) -> Reach:
        return cls(bool(email) and email_on, bool(phone) and sms_on, opted_out)

    def channels(self, kind: Kind) -> tuple[Channel, ...]:
        if kind in (Kind.REMINDER, Kind.RECALL) and self.reminders_opt_out:
            return ()
        found = []
        if self.email:
            found.append(Channel.EMAIL)
        if self.sms:
            found.append(Channel.SMS)
        return tuple(found)

    @property
    def reachable(self) -> bool:
        return bool(self.channels(Kind.REMINDER))


@dataclass(frozen=True, slots=True)
class Planned:
    """A message to record: its idempotency key, kind, channel, due time and first status."""

    key: str
    kind: Kind
    channel: Channel
    due_at: datetime
    appointment_start: datetime
    status: Status = Status.PENDING
    note: str = ""


def after_quiet_hours(moment: datetime, quiet: QuietHours | None, zone: str) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (clinic-local)."""
    if quiet is None:
        return moment
    local = to_local(moment, zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return moment
    day = local.date()
    if local.time().replace(tzinfo=None) >= quiet.ends:
        day += timedelta(days=1)
    return local_instant(day, quiet.ends, zone)


def message_key(
    appointment_id: int, kind: Kind, channel: Channel, start: datetime, extra: str = ""
) -> str:
    parts = [f"a{appointment_id}", kind.value, str(int(start.timestamp()))]
    if extra:
        parts.append(extra)
    parts.append(channel.value)
    return ":".join(parts)


def _at_once(
    appointment_id: int,
    kind: Kind,
    channels: Sequence[Channel],
    start: datetime,
    when: datetime,
    quiet: QuietHours | None,
    zone: str,
    extra: str = "",
) -> list[Planned]:
    planned = []
    for channel in channels:
        due = after_quiet_hours(when, quiet, zone) if channel is Channel.SMS else when
        key = message_key(appointment_id, kind, channel, start, extra)
        planned.append(_unless_too_late(Planned(key, kind, channel, due, start)))
    return planned


def _unless_too_late(planned: Planned) -> Planned:
    if planned.due_at < planned.appointment_start:
        return planned
    return Planned(
        planned.key,
        planned.kind,
        planned.channel,
        planned.due_at,
        planned.appointment_start,
        Status.SKIPPED,
        "would go after the appointment began (quiet hours)",
    )


def reminders(
    appointment_id: int,
    reach: Reach,
    start: datetime,
    booked_at: datetime,
    offsets: Sequence[timedelta],
    quiet: QuietHours | None,
    zone: str,
) -> list[Planned]:
    """One reminder per offset and channel, except offsets already past when it was booked."""
    planned = []
    for offset in offsets:
        due = start - offset
        if due <= booked_at:
            continue
        for channel in reach.channels(Kind.REMINDER):
            when = after_quiet_hours(due, quiet, zone) if channel is Channel.SMS else due
            key = message_key(appointment_id, Kind.REMINDER, channel, start, format_offset(offset))
            planned.append(_unless_too_late(Planned(key, Kind.REMINDER, channel, when, start)))
    return planned


def for_booking(
    appointment_id: int,
    reach: Reach,
    start: datetime,
    booked_at: datetime,
    offsets: Sequence[timedelta],
    quiet: QuietHours | None,
    zone: str,
) -> list[Planned]:
    """A confirmation now and the reminders before `start`."""
    if start <= booked_at:
        return []
    confirmation = _at_once(
        appointment_id,
        Kind.CONFIRMATION,
        reach.channels(Kind.CONFIRMATION),
        start,
        booked_at,
        quiet,
        zone,
    )
    return confirmation + reminders(appointment_id, reach, start, booked_at, offsets, quiet, zone)


def for_cancellation(
    appointment_id: int,
    reach: Reach,
    start: datetime,
    cancelled_at: datetime,
    quiet: QuietHours | None,
    zone: str,
) -> list[Planned]:
    """A cancellation notice now, unless the appointment was already due to have begun."""
    if start <= cancelled_at:
        return []
    return _at_once(
        appointment_id,
        Kind.CANCELLATION,
        reach.channels(Kind.CANCELLATION),
        start,
        cancelled_at,
        quiet,
        zone,
    )


def for_move(
    appointment_id: int,
    event_id: int,
    reach: Reach,
    start: datetime,
    moved_at: datetime,
    offsets: Sequence[timedelta],
    quiet: QuietHours | None,
    zone: str,
    unconfirmed: Sequence[Channel] = (),
) -> list[Planned]:
    """A change notice (or, where the confirmation had not gone yet, a confirmation) and new reminders.

    `unconfirmed` are the channels whose confirmation was still waiting when it moved.
    """
    if start <= moved_at:
        return []
    channels = reach.channels(Kind.CHANGE)
    confirm = [c for c in channels if c in unconfirmed]
    notify = [c for c in channels if c not in unconfirmed]
    planned = _at_once(appointment_id, Kind.CONFIRMATION, confirm, start, moved_at, quiet, zone)
    planned += _at_once(
        appointment_id, Kind.CHANGE, notify, start, moved_at, quiet, zone, extra=f"e{event_id}"
    )
    return planned + reminders(appointment_id, reach, start, moved_at, offsets, quiet, zone)


RECALL_HOUR = time(10, 0)
"""Recall reminders are due at this clinic-local hour (SMS still waits out quiet hours)."""


def recall_key(recall_id: int, due: date, channel: Channel) -> str:
    return f"r{recall_id}:{Kind.RECALL.value}:{due.isoformat()}:{channel.value}"


def for_recall(
    recall_id: int,
    reach: Reach,
    due: date,
    made_at: datetime,
    days_before: int,
    quiet: QuietHours | None,
    zone: str,
) -> list[Planned]:
    """A recall reminder per channel `days_before` days before the due day, at RECALL_HOUR;
    none when reminders are off (0 days), the patient opted out, or that moment had passed
    when the recall was made (the patient was just told in person).

    `appointment_start` of a recall reminder is the end of its due day: past that it is
    not worth sending (the same rule as an appointment that has begun)."""
    if days_before <= 0:
        return []
    when = local_instant(due - timedelta(days=days_before), RECALL_HOUR, zone)
    if when <= made_at:
        return []
    deadline = local_instant(due + timedelta(days=1), time(0, 0), zone)
    planned = []
    for channel in reach.channels(Kind.RECALL):
        due_at = after_quiet_hours(when, quiet, zone) if channel is Channel.SMS else when
        key = recall_key(recall_id, due, channel)
        planned.append(_unless_too_late(Planned(key, Kind.RECALL, channel, due_at, deadline)))
    return planned
