"""Real local servers for notification tests: an aiosmtpd SMTP server and a Twilio-shaped SMS API."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (aiosmtpd cannot be given port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds between receiving a message and answering "250"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1; `messages` are the parsed emails it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self._inbox = _Inbox()
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._inbox.lock:
            return list(self._inbox.messages)

    def answer_after(self, seconds: float) -> None:
        """Keep each message (as received) but answer only after `seconds`: a slow server."""
        self._inbox.delay = seconds

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class SmsRecord:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str = ""
    """Where the client asked for delivery receipts (Twilio's StatusCallback), if anywhere."""


@dataclass
class SmsBehaviour:
    """What the fake provider does: answer `status` (after `delay` seconds), or hang."""

    mode: str = "ok"  # ok, error, hang
    delay: float = 0.0
    script: list[str] = field(default_factory=list)  # one mode per request, before `mode`


class SmsServer:
    """A local HTTP server answering like Twilio's Messages resource."""

    def __init__(self, account: str = "AC123", token: str = "secret-token") -> None:
        self.account, self.token = account, token
        self.behaviour = SmsBehaviour()
        self.delivered: list[SmsRecord] = []
        self.requests = 0
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SmsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def bodies(self) -> list[str]:
        with self.lock:
            return [r.body for r in self.delivered]

    def _next_mode(self) -> str:
        with self.lock:
            self.requests += 1
            if self.behaviour.script:
                return self.behaviour.script.pop(0)
            return self.behaviour.mode

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self
        path = f"/2010-04-01/Accounts/{self.account}/Messages.json"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, data: dict) -> None:  # type: ignore[type-arg]
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                expected = base64.b64encode(f"{outer.account}:{outer.token}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self._reply(401, {"code": 20003, "message": "Authenticate"})
                    return False
                return True

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != path or not self._authorised():
                    return
                to = parse_qs(url.query).get("To", [None])[0]
                with outer.lock:
                    found = [
                        {"sid": r.sid, "to": r.to, "from": r.sender, "body": r.body}
                        for r in outer.delivered
                        if to is None or r.to == to
                    ]
                self._reply(200, {"messages": found})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path != path or not self._authorised():
                    return
                mode = outer._next_mode()
                if mode == "hang":
                    time.sleep(5)
                    return
                if mode == "error":
                    self._reply(500, {"code": 20500, "message": "Internal Server Error"})
                    return
                if mode == "bad-number":
                    self._reply(400, {"code": 21211, "message": "Invalid 'To' Phone Number"})
                    return
                record = SmsRecord(
                    "SM" + uuid.uuid4().hex,
                    form["To"],
                    form["From"],
                    form["Body"],
                    form.get("StatusCallback", ""),
                )
                # Accepted first, answered later: a client killed meanwhile leaves it in doubt.
                with outer.lock:
                    outer.delivered.append(record)
                if outer.behaviour.delay:
                    time.sleep(outer.behaviour.delay)
                self._reply(201, {"sid": record.sid, "status": "queued", "to": record.to})

        return Handler
