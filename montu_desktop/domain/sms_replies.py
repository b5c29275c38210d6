"""Two-way SMS rules: the provider's webhook signature, what a reply asks for, receipts.

The signature is Twilio's documented scheme, implemented here with the standard library (no
`twilio` package): HMAC-SHA1, keyed with the account's auth token, over the full public URL
the provider posted to followed by every form field's name and value, sorted by name (a
repeated field's distinct values sorted too);
the digest in base64 is the `X-Twilio-Signature` header.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
from collections.abc import Iterable

MAX_BODY = 1600
"""Longest inbound text kept (a concatenated SMS is at most 1600 characters at Twilio)."""


def signature(token: str, url: str, fields: Iterable[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature for a form POST of `fields` to `url`."""
    # As Twilio's own validator: names sorted, each name's distinct values sorted.
    data = url + "".join(name + value for name, value in sorted(set(fields)))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_ok(token: str, url: str, fields: Iterable[tuple[str, str]], given: str) -> bool:
    """Whether `given` is the signature of this request (compared in constant time)."""
    if not token or not url or not given:
        return False
    return hmac.compare_digest(signature(token, url, fields).encode(), given.strip().encode())


class Ask(enum.StrEnum):
    """What a patient's reply asks for."""

    CANCEL = "cancel"
    CONFIRM = "confirm"
    STOP = "stop"
    OTHER = "other"


_WORDS = {
    "C": Ask.CANCEL,
    "CANCEL": Ask.CANCEL,
    "Y": Ask.CONFIRM,
    "YES": Ask.CONFIRM,
    "STOP": Ask.STOP,
}


def read_reply(body: str) -> Ask:
    """The one-word answers a reminder invites (any case, surrounding spaces and a final full
    stop or exclamation mark ignored); anything else is for the desk to read."""
    word = re.sub(r"[.!]+$", "", body.strip()).strip().upper()
    return _WORDS.get(word, Ask.OTHER)


class Outcome(enum.StrEnum):
    """What was done with a reply (kept with it, shown in the Replies list)."""

    CANCELLED = "cancelled"
    TOO_LATE = "too late to cancel"
    CONFIRMED = "confirmed"
    OPTED_OUT = "opted out"
    NO_APPOINTMENT = "no appointment"
    UNKNOWN_NUMBER = "unknown number"
    SHARED_NUMBER = "shared number"
    FOR_THE_DESK = "for the desk"
    TWO_WAY_OFF = "two-way SMS off"


FOR_THE_DESK = {
    Outcome.NO_APPOINTMENT,
    Outcome.UNKNOWN_NUMBER,
    Outcome.SHARED_NUMBER,
    Outcome.FOR_THE_DESK,
    Outcome.TWO_WAY_OFF,
}
"""Outcomes the desk must act on by hand (the others were handled automatically)."""


class Delivery(enum.StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


PROVIDER_STATUS = {
    "accepted": Delivery.SENT,
    "queued": Delivery.SENT,
    "sending": Delivery.SENT,
    "sent": Delivery.SENT,
    "delivered": Delivery.DELIVERED,
    "undelivered": Delivery.UNDELIVERED,
    "failed": Delivery.UNDELIVERED,
}

_RANK = {None: 0, Delivery.SENT: 1, Delivery.DELIVERED: 2, Delivery.UNDELIVERED: 2}


def moves_forward(current: str | None, new: Delivery) -> bool:
    """Receipts may arrive out of order: a late "sent" never hides "delivered"."""
    known = Delivery(current) if current in set(Delivery) else None
    return _RANK[new] >= _RANK[known] and new != known


ERROR_WORDS = {
    "30003": "phone unreachable or switched off",
    "30004": "message blocked by the recipient",
    "30005": "unknown number or no longer in service",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier",
    "30008": "unknown error at the carrier",
    "21610": "the patient replied STOP to the provider",
}


def delivery_reason(error_code: str) -> str:
    """The provider's error code in a few plain words (the code kept for IT)."""
    code = error_code.strip()[:10]
    if not code:
        return "no reason given"
    words = ERROR_WORDS.get(code)
    return f"{words} (error {code})" if words else f"error {code}"
