"""Fixtures for notification tests: local SMTP and SMS servers and a clinic wired to them.

Import the fixtures by name into a test module (`from tests.support.notif_fixtures import …`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import clinic_settings, patients
from montu_desktop.services.booking import BookedAppointment, BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.notif_servers import SmsServer, SmtpServer

MELBOURNE = ZoneInfo("Australia/Melbourne")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def sms_server() -> Iterator[SmsServer]:
    server = SmsServer().start()
    yield server
    server.stop()


def wire_settings(ctx: ServiceContext, smtp: SmtpServer, sms: SmsServer, **extra: str) -> None:
    """Point the clinic at the local servers, with short waits so retries are quick."""
    values = {
        "smtp.host": "127.0.0.1",
        "smtp.port": str(smtp.port),
        "smtp.security": "none",
        "smtp.sender": "Montu Demo Clinic <desk@clinic.example>",
        "smtp.timeout_seconds": "2",
        "sms.provider": "twilio",
        "sms.base_url": sms.base_url,
        "sms.account": sms.account,
        "sms.sender": "+61400000000",
        "sms.timeout_seconds": "0.5",
        "notifications.backoff_seconds": "0.05",
        "notifications.max_attempts": "3",
        "quiet_hours": "none",
    }
    values.update(extra)
    clinic_settings.set_settings(ctx, values)
    clinic_settings.store_secret("sms.token", sms.token)


@dataclass
class NotifClinic:
    ctx: ServiceContext
    smtp: SmtpServer
    sms: SmsServer

    def patient(
        self,
        given: str = "Ruby",
        phone: str | None = "0412 345 678",
        email: str | None = "ruby@example.com",
        **kw: bool,
    ) -> int:
        details = PatientDetails(given, "Nguyen", None, phone, email, **kw)
        return patients.add_patient(self.ctx, details, allow_duplicate=True).id

    def book(self, patient_id: int, local: datetime, type_name: str = "Long") -> BookedAppointment:
        start = local.replace(tzinfo=MELBOURNE)
        return book_appointment(self.ctx, BookingRequest(type_name, start, patient_id, None))


@pytest.fixture
def notif_clinic(
    ctx: ServiceContext, smtp_server: SmtpServer, sms_server: SmsServer
) -> NotifClinic:
    """A small demo clinic (no appointments) sending through the local servers."""
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=3, fill=0.0)
    wire_settings(ctx, smtp_server, sms_server)
    return NotifClinic(ctx, smtp_server, sms_server)
