"""Builds the email and SMS channels from the clinic's settings and the keyring's secrets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from montu_desktop.config import secrets
from montu_desktop.notifications.email_channel import SmtpChannel
from montu_desktop.notifications.model import Channel, DeliveryError, OutgoingMessage
from montu_desktop.notifications.settings import NotificationSettings
from montu_desktop.notifications.sms import SmsProvider, TwilioSms

EMAIL_NOT_SET_UP = "email is not set up (config smtp.host and smtp.sender)"
SMS_NOT_SET_UP = "SMS is not set up (config sms.provider, sms.account, sms.sender)"
NOT_SET_UP = {"email": EMAIL_NOT_SET_UP, "sms": SMS_NOT_SET_UP}
"""The reason a message could not go because its channel is not configured, by channel."""


@dataclass
class ChannelSet:
    """The channels this run can use; a missing one explains itself when asked to send."""

    email: SmtpChannel | None
    sms: SmsProvider | None

    def can_send(self, channel: Channel) -> bool:
        """Whether `channel` is set up (a message for one that is not waits for it)."""
        return (self.email if channel is Channel.EMAIL else self.sms) is not None

    def send(self, message: OutgoingMessage) -> str:
        if message.channel is Channel.EMAIL:
            if self.email is None:
                raise DeliveryError(EMAIL_NOT_SET_UP)
            return self.email.send(message)
        if self.sms is None:
            raise DeliveryError(SMS_NOT_SET_UP)
        return self.sms.send(message)

    def close(self) -> None:
        close = getattr(self.sms, "close", None)
        if close is not None:
            close()


def build_channels(
    settings: NotificationSettings, secret: Callable[[str], str | None] = secrets.get_secret
) -> ChannelSet:
    email = None
    if settings.email_configured:
        email = SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_sender,
            settings.smtp_username,
            secret("smtp.password") if settings.smtp_username else None,
            settings.smtp_timeout,
        )
    sms = None
    if settings.sms_configured and settings.sms_provider == "twilio":
        sms = TwilioSms(
            settings.sms_base_url,
            settings.sms_account,
            secret("sms.token"),
            settings.sms_sender,
            settings.sms_timeout,
            status_callback=(settings.public_url + "/v1/sms/status" if settings.public_url else ""),
        )
    return ChannelSet(email, sms)


ChannelFactory = Callable[[NotificationSettings], ChannelSet]
