"""SMS providers: the interface the dispatcher uses, and Twilio's REST API over httpx."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import httpx

from montu_desktop.notifications.model import DeliveryError, OutgoingMessage


class SmsProvider(Protocol):
    """What any SMS provider must do; `find_sent` lets an interrupted send be checked."""

    def send(self, message: OutgoingMessage) -> str:
        """Hand the message over; return the provider's id for it. Raises DeliveryError."""
        ...

    def find_sent(self, message: OutgoingMessage, since: datetime) -> str | None:
        """The provider's id of this very message if it was accepted since `since`, else None."""
        ...


class TwilioSms:
    """Twilio's Messages resource: POST /2010-04-01/Accounts/{sid}/Messages.json (form fields)."""

    def __init__(
        self,
        base_url: str,
        account: str,
        token: str | None,
        sender: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        status_callback: str = "",
    ) -> None:
        self.account, self.sender = account, sender
        # Where the provider posts delivery receipts (`serve`'s /v1/sms/status), if published.
        self.status_callback = status_callback
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=(account, token or ""),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "montu-desktop"},
        )

    @property
    def _path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account}/Messages.json"

    def send(self, message: OutgoingMessage) -> str:
        data = {"To": message.to, "From": self.sender, "Body": message.body}
        if self.status_callback:
            data["StatusCallback"] = self.status_callback
        try:
            response = self._client.post(self._path, data=data)
        except httpx.TimeoutException as exc:
            raise DeliveryError("the SMS provider did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"the SMS provider cannot be reached: {exc}") from exc
        if response.status_code in (200, 201):
            return str(_json(response).get("sid", ""))
        reason = _error(response)
        # 429 and 5xx are worth another try; other 4xx (bad number, bad login) are not.
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise DeliveryError(
            f"SMS provider said {response.status_code}: {reason}", permanent=permanent
        )

    def find_sent(self, message: OutgoingMessage, since: datetime) -> str | None:
        params = {"To": message.to, "DateSent>": (since - timedelta(days=1)).date().isoformat()}
        try:
            response = self._client.get(self._path, params=params)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"cannot ask the SMS provider what it sent: {exc}") from exc
        if response.status_code != 200:
            raise DeliveryError(f"cannot ask the SMS provider what it sent: {response.status_code}")
        for item in _json(response).get("messages", []):
            if item.get("body") == message.body and item.get("from") in (self.sender, None):
                return str(item.get("sid", ""))
        return None

    def close(self) -> None:
        self._client.close()


def _json(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(response: httpx.Response) -> str:
    data = _json(response)
    text = data.get("message") or response.text.strip().splitlines()[:1] or [response.reason_phrase]
    return text if isinstance(text, str) else text[0]
