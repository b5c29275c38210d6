"""Load test for networked mode: many desks book, cancel and reschedule on one PostgreSQL database.

Headless and bounded in time. It creates a throw-away database on a server at 127.0.0.1
(never anywhere else), fills it with the demo clinic, starts N processes that each act as
a desk for a fixed number of seconds, then prints bookings per second and p50/p99 latency
and checks that no two live appointments overlap and that every committed change has its
outbox event. Exit status 0 when both checks hold, 1 otherwise.

    .venv/bin/python -m bench.load_test --processes 16 --seconds 10
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url

from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest
from montu_desktop.domain.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
)
from montu_desktop.persistence import migrate
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import TYPES, create_demo_clinic
from montu_desktop.services.unit_of_work import UnitOfWork

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class DeskResult:
    """What one desk process did, as it saw it."""

    ok: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    book_seconds: list[float] = field(default_factory=list)
    all_seconds: list[float] = field(default_factory=list)


def desk(url: str, starts: list[datetime], patients: int, seconds: float, seed: int) -> DeskResult:
    """One reception desk hammering the shared database until its time is up."""
    rng = random.Random(seed)
    database = Database(url, pool_size=1)
    ctx = ServiceContext(database, rng=rng, actor=f"desk-{seed}")
    result = DeskResult()
    mine: list[int] = []
    names = [name for name, *_ in TYPES]
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            roll = rng.random()
            action = "book" if roll < 0.6 or not mine else "cancel" if roll < 0.8 else "reschedule"
            began = time.perf_counter()
            try:
                if action == "book":
                    request = BookingRequest(
                        rng.choice(names), rng.choice(starts), rng.randint(1, patients)
                    )
                    mine.append(book_appointment(ctx, request).id)
                elif action == "cancel":
                    cancel_appointment(ctx, mine.pop(rng.randrange(len(mine))))
                else:
                    reschedule_appointment(ctx, rng.choice(mine), rng.choice(starts))
            except InvalidRequest as exc:
                result.refused[f"{action}: {type(exc).__name__}"] += 1
            except DatabaseUnavailable as exc:
                result.failed[f"{action}: {exc}"] += 1
            else:
                result.ok[action] += 1
            finally:
                elapsed = time.perf_counter() - began
                result.all_seconds.append(elapsed)
                if action == "book":
                    result.book_seconds.append(elapsed)
    finally:
        database.dispose()
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def slot_starts(ctx: ServiceContext, days: int) -> list[datetime]:
    """Every 15-minute start of the open clinic days from now on, for `days` days."""
    now = datetime.now(UTC)
    with UnitOfWork(ctx) as uow:
        rows = uow.session.execute(
            select(t.ClinicSchedule.start_at, t.ClinicSchedule.end_at).where(
                t.ClinicSchedule.active,
                t.ClinicSchedule.start_at > now,
                t.ClinicSchedule.start_at < now + timedelta(days=days),
            )
        ).all()
    starts = []
    for opens, closes in rows:
        moment = opens
        while moment < closes:
            starts.append(moment)
            moment += timedelta(minutes=15)
    return starts


def check(ctx: ServiceContext, first_id: int, results: list[DeskResult]) -> list[str]:
    """Problems found in the database after the run (empty when all is well)."""
    problems = []
    overlap_sql = text(
        """
        SELECT count(*) FROM appointment a JOIN appointment b
          ON a.id < b.id AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
         AND a.start_at < b.end_at AND b.start_at < a.end_at
        WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
        """
    )
    with UnitOfWork(ctx) as uow:
        session = uow.session
        overlaps = session.execute(overlap_sql).scalar_one()
        if overlaps:
            problems.append(f"{overlaps} overlapping pairs of live appointments")
        events = Counter(
            dict(
                session.execute(
                    select(t.OutboxEvent.name, func.count()).group_by(t.OutboxEvent.name)
                ).all()
            )
        )
        new_ids = set(session.scalars(select(t.Appointment.id).where(t.Appointment.id >= first_id)))
        booked_ids = {
            int(payload["appointment_id"])
            for payload in session.scalars(
                select(t.OutboxEvent.payload).where(t.OutboxEvent.name == AppointmentBooked.name)
            )
        }
    if missing := new_ids - booked_ids:
        problems.append(f"{len(missing)} new appointments have no booked event")
    reported = sum((r.ok for r in results), Counter())
    for action, name in (
        ("book", AppointmentBooked.name),
        ("cancel", AppointmentCancelled.name),
        ("reschedule", AppointmentRescheduled.name),
    ):
        if events[name] != reported[action]:
            problems.append(
                f"{reported[action]} {action} reported done but {events[name]} {name} events"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--doctors", type=int, default=8)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)
    admin_url = make_url(args.admin_url).set(drivername="postgresql+psycopg")
    if admin_url.host not in LOCAL_HOSTS:
        parser.error("the load test only runs against a server on 127.0.0.1")

    name = f"montu_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url: URL = admin_url.set(database=name)
    try:
        return _run(url, args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(url: URL, args: argparse.Namespace) -> int:
    database = Database(url)
    migrate.upgrade(database)
    ctx = ServiceContext(database, rng=random.Random(1))
    patients = args.doctors * 40
    create_demo_clinic(ctx, doctors=args.doctors, weeks=2, fill=0.3, patients=patients)
    starts = slot_starts(ctx, days=7)
    with UnitOfWork(ctx) as uow:
        first_id = (uow.session.scalar(select(func.max(t.Appointment.id))) or 0) + 1
        # The demo fill wrote events too; count only what the desks do.
        uow.session.execute(text("DELETE FROM outbox_event"))
        uow.commit()
    text_url = url.render_as_string(hide_password=False)
    jobs = [
        (text_url, starts, patients, args.seconds, seed) for seed in range(1, args.processes + 1)
    ]
    print(
        f"{args.processes} desks, {args.seconds:g} s, {args.doctors} doctors, "
        f"{len(starts)} slot starts over 7 days, on 127.0.0.1"
    )
    began = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.starmap(desk, jobs)
    wall = time.monotonic() - began

    ok = sum((r.ok for r in results), Counter())
    refused = sum((r.refused for r in results), Counter())
    failed = sum((r.failed for r in results), Counter())
    book = [s for r in results for s in r.book_seconds]
    every = [s for r in results for s in r.all_seconds]
    print(f"bookings made: {ok['book']} ({ok['book'] / args.seconds:.1f} per second)")
    print(f"cancelled: {ok['cancel']}, rescheduled: {ok['reschedule']}")
    print(f"refused (slot taken, patient busy…): {sum(refused.values())} {dict(refused)}")
    print(
        f"booking latency: p50 {percentile(book, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(book, 0.99) * 1000:.1f} ms ({len(book)} attempts)"
    )
    print(
        f"any action latency: p50 {percentile(every, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(every, 0.99) * 1000:.1f} ms; wall {wall:.1f} s incl. start-up"
    )
    problems = check(ctx, first_id, results)
    if failed:
        problems.append(f"actions failed: {dict(failed)}")
    database.dispose()
    print("overlaps: 0, missing outbox events: 0" if not problems else "PROBLEMS:")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
