"""Rules of online booking: API key scopes, rates and origins, tokens, and the per-key rate limit."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from montu_desktop.domain.errors import InvalidRequest

SCOPES = ("availability", "book", "fhir")
"""`fhir`: the read-only FHIR R4 endpoints (/fhir/…), which include patients' details."""
DEFAULT_RATE_PER_MINUTE = 60
MAX_RATE_PER_MINUTE = 100_000
MAX_KEY_NAME = 100
MAX_NOTE = 500


def parse_scopes(text: str) -> frozenset[str]:
    """`availability,book` → the set of scopes; unknown or no scope is refused."""
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise InvalidRequest("scopes", f"unknown scope {unknown[0]!r}; use {', '.join(SCOPES)}")
    if not wanted:
        raise InvalidRequest("scopes", f"name at least one of {', '.join(SCOPES)}")
    return frozenset(wanted)


def scopes_text(scopes: Iterable[str]) -> str:
    return ",".join(s for s in SCOPES if s in set(scopes))


def parse_rate(text: str) -> int:
    """`120/min` (or plain `120`) → requests allowed per minute."""
    number = text.strip().lower().removesuffix("/min").strip()
    if not number.isdigit() or not number.isascii():
        raise InvalidRequest("rate", "must be a whole number of requests per minute, e.g. 60/min")
    rate = int(number)
    if not 1 <= rate <= MAX_RATE_PER_MINUTE:
        raise InvalidRequest("rate", f"must be between 1 and {MAX_RATE_PER_MINUTE} per minute")
    return rate


def parse_origin(text: str) -> str:
    """A website origin such as `https://clinic.example` (scheme, host, optional port)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest("origin", "must be a website address such as https://clinic.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise InvalidRequest("origin", "must be the site's address only (no path, query or login)")
    try:
        port = parts.port
    except ValueError:
        raise InvalidRequest("origin", "has a port that is not a number") from None
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def check_key_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_KEY_NAME or not name.isprintable():
        raise InvalidRequest("name", f"must be 1 to {MAX_KEY_NAME} printable characters")
    return name


def new_token() -> str:
    """A fresh secret (256 bits) for an API key or a cancel link."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Tokens are long random secrets, so one SHA-256 is enough to keep them unreadable."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def body_hash(body: object) -> str:
    """A fingerprint of a JSON request body, the same for the same content in any key order."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Window:
    started: float
    count: int


class RateLimiter:
    """At most N requests per key in each rolling minute window (fixed windows of 60 s)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[int, _Window] = {}

    def retry_after(self, key_id: int, per_minute: int) -> int:
        """0 when this request may go ahead (and counts it); else seconds until it may."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(key_id)
            if window is None or now - window.started >= 60:
                self._windows[key_id] = _Window(now, 1)
                return 0
            if window.count < per_minute:
                window.count += 1
                return 0
            return max(1, int(60 - (now - window.started)) + 1)


WRONG_KEYS_PER_MINUTE = 20
"""Wrong or missing API keys one client address may send in a minute before it is refused
(429) without a database lookup."""
_MAX_ADDRESSES = 10_000
_MAX_GOOD = 1_000


class WrongKeyLimiter:
    """Counts wrong API keys per client address in fixed 60-second windows.

    Past the limit an address is refused before its key is looked up, except for a key this
    server has already seen succeed: a clinic's website behind the same proxy as a guesser
    keeps working, while the guesser's unknown keys cost nothing but this check.
    """

    def __init__(self, clock: Callable[[], float], per_minute: int = WRONG_KEYS_PER_MINUTE) -> None:
        self._clock = clock
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._good: set[str] = set()

    def retry_after(self, address: str, digest: str) -> int:
        """0 when a request from `address` with this token hash may be looked up; else the
        seconds until the address's window ends."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(address)
            if window is None or now - window.started >= 60 or digest in self._good:
                return 0
            if window.count < self.per_minute:
                return 0
            return max(1, int(60 - (now - window.started)) + 1)

    def failed(self, address: str, digest: str) -> None:
        """A wrong (or revoked, or missing) key from `address`."""
        now = self._clock()
        with self._lock:
            self._good.discard(digest)
            window = self._windows.get(address)
            if window is None or now - window.started >= 60:
                if len(self._windows) >= _MAX_ADDRESSES:
                    self._windows = {a: w for a, w in self._windows.items() if now - w.started < 60}
                self._windows[address] = _Window(now, 1)
            else:
                window.count += 1

    def succeeded(self, digest: str) -> None:
        """A key that authenticated: later requests with it are never refused for their address."""
        with self._lock:
            if len(self._good) >= _MAX_GOOD:
                self._good.clear()
            self._good.add(digest)
