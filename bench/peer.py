"""django-appointment (from PyPI) loaded with the same clinic, answering the same question.

Each Montu doctor becomes a staff member whose working hours are the first to last roster
block of each weekday; the breaks between blocks become that date's unavailabilities; every
live appointment becomes an appointment request plus its appointment. The peer is then asked,
as its booking page asks, for one doctor's free starts on one day, for every doctor and day,
and the answers are added up per slot.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.availability import TYPE_MINUTES, Counts
from bench.dataset import DATA_DIR, Clinic
from montu_desktop.services.demo_data import ZONE

_configured = False


def _setup_django(path: Path) -> None:
    global _configured
    if _configured:
        return
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "phonenumber_field",
            "appointment",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}},
        USE_TZ=True,
        TIME_ZONE=ZONE,
        SECRET_KEY="benchmark-only",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        APPOINTMENT_SLOT_DURATION=15,
        APPOINTMENT_BUFFER_TIME=0,
        APPOINTMENT_LEAD_TIME=(8, 0),
        APPOINTMENT_FINISH_TIME=(18, 0),
        LOGGING_CONFIG=None,
    )
    django.setup()
    _configured = True


def _local(stored: str) -> datetime:
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None)


def _django_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7  # the peer counts Sunday as 0


def load_peer(clinic: Clinic, *, log=print) -> Callable[[], Counts]:  # type: ignore[no-untyped-def]
    """A function that asks the peer for the whole week, on a copy of `clinic`'s data."""
    path = DATA_DIR / f"peer-{Path(str(clinic.sqlite_path)).stem}.sqlite3"
    fresh = not path.exists()
    _setup_django(path)
    from appointment.models import Service, StaffMember
    from django.core.management import call_command

    if fresh:
        log(f"  loading the peer's database ({path.name})")
        call_command("migrate", run_syncdb=True, verbosity=0)
        try:
            _load(clinic)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    from appointment.services import get_available_slots_for_staff

    service = Service.objects.get(name="Procedure")
    staff = list(StaffMember.objects.order_by("id"))
    days = [clinic.monday + timedelta(days=i) for i in range(7)]

    def run() -> Counts:
        counts: Counts = defaultdict(int)
        for day in days:
            for member in staff:
                for start in get_available_slots_for_staff(
                    day, member, _django_weekday(day), service=service
                ):
                    counts[start] += 1
        return dict(counts)

    return run


def _load(clinic: Clinic) -> None:
    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        Service,
        StaffMember,
        Unavailability,
        WorkingHours,
    )
    from django.contrib.auth import get_user_model
    from django.db import transaction

    source = sqlite3.connect(str(clinic.sqlite_path))
    user_model = get_user_model()
    first, last = clinic.monday, clinic.monday + timedelta(days=6)
    with transaction.atomic():
        Config.objects.create(
            slot_duration=15,
            lead_time="08:00",
            finish_time="18:00",
            appointment_buffer_time=0,
            default_to_service_duration=True,
            slot_gap_time=0,
        )
        service = Service.objects.create(
            name="Procedure", duration=timedelta(minutes=TYPE_MINUTES), price=0
        )
        staff_by_doctor = {}
        for (doctor_id,) in source.execute("SELECT id FROM doctor ORDER BY id"):
            user = user_model.objects.create(username=f"doctor{doctor_id}")
            member = StaffMember.objects.create(
                user=user, slot_duration=15, appointment_buffer_time=0, slot_gap_time=0
            )
            member.services_offered.add(service)
            staff_by_doctor[doctor_id] = member
        blocks: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        for doctor_id, start, end in source.execute(
            "SELECT doctor_id, start_at, end_at FROM doctor_schedule "
            "WHERE day BETWEEN ? AND ? ORDER BY start_at",
            (first.isoformat(), last.isoformat()),
        ):
            local_start = _local(start)
            blocks[(doctor_id, local_start.date())].append((local_start, _local(end)))
        for (doctor_id, day), pairs in blocks.items():
            member = staff_by_doctor[doctor_id]
            WorkingHours.objects.create(
                staff_member=member,
                day_of_week=_django_weekday(day),
                start_time=pairs[0][0].time(),
                end_time=pairs[-1][1].time(),
            )
            for (_, gap_start), (gap_end, _) in itertools.pairwise(pairs):
                if gap_start < gap_end:
                    Unavailability.objects.create(
                        staff_member=member,
                        date=day,
                        start_time=gap_start.time(),
                        end_time=gap_end.time(),
                    )
        patients = {
            pid: user_model(username=f"patient{pid}")
            for (pid,) in source.execute("SELECT id FROM patient")
        }
        user_model.objects.bulk_create(patients.values(), batch_size=2000)
        requests, appointments = [], []
        for doctor_id, patient_id, start, end in source.execute(
            "SELECT doctor_id, patient_id, start_at, end_at FROM appointment "
            "WHERE status <> 'cancelled' ORDER BY id"
        ):
            local_start, local_end = _local(start), _local(end)
            request = AppointmentRequest(
                date=local_start.date(),
                start_time=local_start.time(),
                end_time=local_end.time(),
                service=service,
                staff_member=staff_by_doctor[doctor_id],
            )
            requests.append(request)
            appointments.append(
                Appointment(client=patients[patient_id], appointment_request=request)
            )
        AppointmentRequest.objects.bulk_create(requests, batch_size=2000)
        Appointment.objects.bulk_create(appointments, batch_size=2000)
    source.close()
