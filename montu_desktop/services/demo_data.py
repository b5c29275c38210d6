"""Builds a realistic demo clinic in Melbourne: hours, holidays, doctors with varied rosters,
appointment types, patients, and a plausible fill of appointments from the current week.

Everything is written in one transaction: a run that is stopped part-way leaves the
database as empty as it found it, so it can simply be run again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

import holidays

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus, epoch, from_epoch
from montu_desktop.domain.names import name_parts
from montu_desktop.persistence import demo_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin import planning
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ZONE = "Australia/Melbourne"
TYPES = (
    ("Standard", 15, "#3b7dd8", 45),
    ("Long", 30, "#8e5cc9", 30),
    ("Extended", 45, "#d9822b", 10),
    ("Procedure", 60, "#2e9d6a", 15),
)
"""(name, minutes, colour, share of bookings in percent)."""

GIVEN = [
    "Amelia",
    "Oliver",
    "Charlotte",
    "Jack",
    "Isla",
    "Noah",
    "Mia",
    "William",
    "Ava",
    "Leo",
    "Grace",
    "Henry",
    "Chloe",
    "Lucas",
    "Zoe",
    "Thomas",
    "Ruby",
    "Samuel",
    "Lily",
    "James",
    "Priya",
    "Arjun",
    "Mei",
    "Wei",
    "Fatima",
    "Omar",
    "Sofia",
    "Luca",
    "Aroha",
    "Tane",
]
FAMILY = [
    "Nguyen",
    "Smith",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Johnson",
    "White",
    "Martin",
    "Anderson",
    "Thompson",
    "Tran",
    "Walker",
    "Harris",
    "Lee",
    "Ryan",
    "Robinson",
    "Kelly",
    "King",
    "Patel",
    "Singh",
    "Chen",
    "Wang",
    "Kaur",
    "Ahmed",
    "Rossi",
    "Papadopoulos",
    "O'Brien",
    "Murphy",
    "Ngata",
]

_FULL = ((time(8), time(12, 30)), (time(13, 30), time(18)))
_MORNING = ((time(8), time(10, 30)), (time(11), time(13)))
_AFTERNOON = ((time(12), time(15)), (time(15, 30), time(18)))
_SATURDAY = ((time(9), time(13)),)
PATTERNS = (
    ("full time", (0, 1, 2, 3, 4), _FULL),
    ("mornings", (0, 1, 2, 3, 4), _MORNING),
    ("afternoons", (0, 1, 2, 3, 4), _AFTERNOON),
    ("three days", (0, 2, 4), _FULL),
    ("four days", (1, 2, 3, 4), _FULL),
)


MAX_DOCTORS, MAX_WEEKS, MAX_HISTORY_WEEKS = 500, 104, 520


@dataclass(frozen=True, slots=True)
class DemoSummary:
    doctors: int
    patients: int
    appointments: int
    first_day: date
    last_day: date


def create_demo_clinic(
    ctx: ServiceContext,
    *,
    doctors: int = 8,
    weeks: int = 4,
    seed: int = 1,
    history_weeks: int = 0,
    fill: float = 0.6,
    patients: int | None = None,
) -> DemoSummary:
    """Create the demo clinic in an empty database (refused if a clinic already exists)."""
    require_manager(ctx, "create the demo clinic")
    if ctx.role is not None and not ctx.database.is_sqlite:
        # Demo bookings send nothing (no outbox events), which the server allows IT only.
        raise InvalidRequest(
            "database", "on a server, IT creates the demo clinic: montu-desktop demo-data"
        )
    if not 1 <= doctors <= MAX_DOCTORS:
        raise InvalidRequest("doctors", f"must be between 1 and {MAX_DOCTORS}")
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidRequest("weeks", f"must be between 1 and {MAX_WEEKS}")
    if not 0 <= history_weeks <= MAX_HISTORY_WEEKS:
        raise InvalidRequest("history_weeks", f"must be between 0 and {MAX_HISTORY_WEEKS}")
    horizon = min(MAX_WEEKS, max(12, weeks + 1))
    rng = random.Random(seed)
    today = to_local(ctx.clock(), ZONE).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=history_weeks)
    last = monday + timedelta(weeks=weeks) - timedelta(days=1)
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if demo_rows.has_clinic(session):
            raise InvalidRequest("database", "already holds a clinic; demo data needs an empty one")
        demo_rows.add_clinic(
            session,
            name="Montu Demo Clinic",
            timezone=ZONE,
            region="AU",
            subdivision="VIC",
            address="12 Collins Street, Melbourne VIC 3000",
            phone="+61390000000",
            slot_minutes=15,
            horizon_weeks=horizon,
            min_notice_minutes=0,
        )
        for weekday in range(5):
            demo_rows.add_opening_hours(session, weekday, time(8), time(18))
        demo_rows.add_opening_hours(session, 5, time(9), time(13))
        years = range(first.year, last.year + 2)
        demo_rows.add_closures(
            session, sorted(holidays.country_holidays("AU", subdiv="VIC", years=years).items())
        )
        for name, minutes, colour, _share in TYPES:
            demo_rows.add_type(session, name, minutes, colour)
        now = ctx.clock()
        names = rng.sample([(g, f) for g in GIVEN for f in FAMILY], doctors)
        for index, (given, family) in enumerate(names):
            doctor_id = demo_rows.add_doctor(session, f"Dr {given} {family}", now)
            _, weekdays, blocks = PATTERNS[0] if index == 0 else rng.choice(PATTERNS)
            demo_rows.add_roster_templates(session, doctor_id, weekdays, blocks, first)
            if index in (1, 2) or rng.random() < 0.3:  # Saturdays are always covered
                demo_rows.add_roster_templates(session, doctor_id, (5,), _SATURDAY, first)
        demo_rows.flush(session)
        schedules_until = max(last, today + timedelta(weeks=horizon))
        planning.write_schedules(session, planning.load_inputs(session), first, schedules_until)
        patient_ids = _add_patients(ctx, session, rng, patients or max(200, doctors * 40))
        booked = _fill_appointments(ctx, session, rng, patient_ids, first, last, fill)
        uow.touches("reference")
        uow.touches("patients")
        uow.touches("appointments")
        uow.commit()
    return DemoSummary(doctors, len(patient_ids), booked, first, last)


def _add_patients(
    ctx: ServiceContext, session: Session, rng: random.Random, count: int
) -> list[int]:
    now = ctx.clock()
    rows = []
    for _ in range(count):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        mobile = f"+614{rng.randrange(10_000_000, 99_999_999)}"
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        email = f"{given}.{family}{rng.randrange(10, 99)}@example.com".lower().replace("'", "")
        rows.append(
            {
                "given_name": given,
                "family_name": family,
                "date_of_birth": born,
                "phone": mobile,
                "email": email,
                "sms_reminders": True,
                "email_reminders": rng.random() < 0.7,
                "reminders_opt_out": rng.random() < 0.05,
                "created_at": now,
                "updated_at": now,
            }
        )
    added = demo_rows.add_patients(session, rows)
    repo.add_name_parts(session, {i: name_parts(given, family) for i, given, family in added})
    return [i for i, _given, _family in added]


def _fill_appointments(
    ctx: ServiceContext,
    session: Session,
    rng: random.Random,
    patient_ids: list[int],
    first: date,
    last: date,
    fill: float,
) -> int:
    """Place appointments in a share `fill` of rostered time, walking each block slot by slot."""
    now = ctx.clock()
    now_s = epoch(now)
    types = demo_rows.type_lengths(session)
    weights = [share for *_, share in TYPES]
    blocks = demo_rows.schedule_blocks(session, first, last)
    patient_busy: dict[int, list[tuple[int, int]]] = {}
    rows = []
    for doctor_id, start_at, end_at in blocks:
        cursor, block_end = epoch(start_at), epoch(end_at)
        while cursor < block_end:
            type_id, minutes = rng.choices(types, weights)[0]
            end = cursor + minutes * 60
            if end > block_end or rng.random() > fill:
                cursor += 15 * 60
                continue
            patient = rng.choice(patient_ids)
            taken = patient_busy.setdefault(patient, [])
            if any(s < end and cursor < e for s, e in taken):
                cursor += 15 * 60
                continue
            taken.append((cursor, end))
            status = _past_status(rng) if end <= now_s else AppointmentStatus.BOOKED.value
            rows.append(
                {
                    "doctor_id": doctor_id,
                    "patient_id": patient,
                    "type_id": type_id,
                    "start_at": from_epoch(cursor),
                    "end_at": from_epoch(end),
                    "status": status,
                    "created_by": "demo",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            cursor = end
    demo_rows.add_appointments(session, rows)
    return len(rows)


def _past_status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return AppointmentStatus.NO_SHOW.value
    if roll < 0.08:
        return AppointmentStatus.CANCELLED.value
    return AppointmentStatus.COMPLETED.value
