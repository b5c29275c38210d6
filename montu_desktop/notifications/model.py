"""The words of the notification side: channels, kinds of message, statuses, a message to send."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Kind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    REMINDER = "reminder"
    CANCELLATION = "cancellation"
    CHANGE = "change"
    RECALL = "recall"
    """A recall reminder: the patient is due back (says when they are due, never what for)."""
    LATE_CANCEL = "late_cancel"  # an SMS reply asked to cancel inside the cancellation notice


class Status(enum.StrEnum):
    """Where a message is: waiting, being sent, done, or set aside."""

    PENDING = "pending"
    WAITING = "waiting"  # its channel (email or SMS) is not set up: goes once it is, no try used
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # the last try failed; another is scheduled
    DEAD = "dead"  # out of tries (or refused for good): a manager decides
    DISMISSED = "dismissed"  # a dead letter a manager chose not to retry
    WITHDRAWN = "withdrawn"  # the appointment was cancelled or moved
    SKIPPED = "skipped"  # too late to be useful (the appointment had begun)


QUEUED = (Status.PENDING, Status.FAILED)
"""To be tried when due."""
OUTSTANDING = (Status.PENDING, Status.FAILED, Status.WAITING)
"""Not gone yet and may still go: withdrawn when the appointment is cancelled or moved."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered message for one address; `key` is its idempotency key."""

    key: str
    channel: Channel
    to: str
    body: str
    subject: str = ""


class DeliveryError(Exception):
    """A channel could not deliver; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
