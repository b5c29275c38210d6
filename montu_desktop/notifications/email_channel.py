"""Sends email through the clinic's SMTP server (plain, STARTTLS or SSL)."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from montu_desktop.notifications.model import DeliveryError, OutgoingMessage


class SmtpChannel:
    """One SMTP connection per message: simple, and a clinic sends a few hundred a day."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        sender: str,
        username: str = "",
        password: str | None = None,
        timeout: float = 20.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.sender, self.username, self.password = sender, username, password
        self.timeout = timeout
        self._ssl = ssl_context or ssl.create_default_context()

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id(message.key, self.sender)
        email["X-Montu-Key"] = message.key
        email.set_content(message.body)
        return email

    def send(self, message: OutgoingMessage) -> str:
        """Deliver to the server; returns the Message-ID. Raises DeliveryError."""
        email = self.build(message)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"the mail server refused the address: {_why(exc)}", permanent=True
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"the mail server refused the login: {_why(exc)}", permanent=True
            ) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"mail server said {exc.smtp_code}: {_why(exc)}", permanent=permanent
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"mail server {self.host}:{self.port} unreachable: {_why(exc)}"
            ) from exc
        return str(email["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._ssl)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=self._ssl)
        except Exception:
            smtp.close()
            raise
        return smtp


def message_id(key: str, sender: str) -> str:
    """The Message-ID of a message: derived from its idempotency key alone, so every copy of
    one message (resent after a dispatcher stopped mid-send) carries the same one and mail
    systems can drop the duplicate. The sender's address is mixed in (hashed) so two clinics
    mailing from one provider's domain never share an id."""
    local = re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+", ".", key).strip(".") or "message"
    address = sender[sender.find("<") + 1 : sender.rfind(">")] if "<" in sender else sender
    clinic = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:10]
    domain = address.rsplit("@", 1)[-1].strip() if "@" in address else ""
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", domain):
        domain = "montu.invalid"
    return f"<montu.{local}.{clinic}@{domain}>"


def _why(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return text.strip().splitlines()[0] if text.strip() else str(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values()
        )
    return str(exc) or type(exc).__name__
