"""Week availability: the bare-fetch floor, the product's service, and a naive per-slot baseline."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import event

from bench.dataset import Clinic, week_bounds_params
from bench.measure import StatementCounter, interleaved_medians
from montu_desktop.domain.model import MAX_APPOINTMENT_MINUTES, from_epoch
from montu_desktop.persistence.engine import Database
from montu_desktop.services.availability import WeekAvailability, week_availability
from montu_desktop.services.demo_data import ZONE
from montu_desktop.services.reference import week_reference

TYPE_NAME = "Procedure"  # the 60-minute type
TYPE_MINUTES = 60
Counts = dict[datetime, int]
"""Free doctors per slot start (clinic-local, naive), slots with nobody free left out."""

_FLOOR_SQL = (
    "SELECT doctor_id, start_at, end_at FROM appointment {hint}"
    "WHERE start_at < {p} AND start_at > {p} AND end_at > {p} AND status <> 'cancelled'"
)


def _floor_params(backend: str, monday: date) -> tuple[object, object, object]:
    start, end = week_bounds_params(backend, monday)
    if backend == "sqlite":
        lower = datetime.fromisoformat(str(start)) - timedelta(minutes=MAX_APPOINTMENT_MINUTES)
        return end, lower.strftime("%Y-%m-%d %H:%M:%S.%f"), start
    return end, start - timedelta(minutes=MAX_APPOINTMENT_MINUTES), start  # type: ignore[operator]


def sqlite_floor(clinic: Clinic) -> tuple[Callable[[], list], sqlite3.Connection]:
    """Plain sqlite3 fetching the week's live rows through ix_appointment_week."""
    conn = sqlite3.connect(str(clinic.sqlite_path))
    sql = _FLOOR_SQL.format(hint="INDEXED BY ix_appointment_week ", p="?")
    params = _floor_params("sqlite", clinic.monday)
    return (lambda: conn.execute(sql, params).fetchall()), conn


def postgres_floor(clinic: Clinic) -> tuple[Callable[[], list], psycopg.Connection]:
    """Plain psycopg fetching the same rows from the same index on PostgreSQL."""
    url = clinic.url.replace("postgresql+psycopg://", "postgresql://")
    conn = psycopg.connect(url, autocommit=True)
    sql = _FLOOR_SQL.format(hint="", p="%s")
    params = _floor_params("postgresql", clinic.monday)
    return (lambda: conn.execute(sql, params).fetchall()), conn


def product_call(clinic: Clinic, database: Database) -> Callable[[], WeekAvailability]:
    ctx = clinic.context(database)
    return lambda: week_availability(ctx, TYPE_NAME, clinic.monday)


def counts_of(week: WeekAvailability) -> Counts:
    zone = ZoneInfo(week.timezone)
    return {
        from_epoch(slot.start).astimezone(zone).replace(tzinfo=None): slot.free_doctors
        for day in week.days
        for slot in day.slots
        if slot.free_doctors
    }


@dataclass
class AvailabilityFigures:
    clinic: Clinic
    median_s: float
    floor_s: float
    floor_kind: str
    statements: int
    transaction_ends: int
    first_statements: int


def measure_product(clinic: Clinic, *, rounds: int) -> AvailabilityFigures:
    """The product's week availability against the floor of its own backend, interleaved."""
    database = clinic.database()
    counter = StatementCounter().attach(database.engine)
    ends = StatementCounter()
    event.listen(database.engine, "rollback", ends._on_execute)
    event.listen(database.engine, "commit", ends._on_execute)
    call = product_call(clinic, database)
    with counter.counting():
        call()  # the first request also loads the reference data into the cache
    first = counter.count
    with counter.counting(), ends.counting():
        call()
    statements, transaction_ends = counter.count, ends.count
    floor, conn = sqlite_floor(clinic) if clinic.backend == "sqlite" else postgres_floor(clinic)
    try:
        medians = interleaved_medians({"floor": floor, "product": call}, rounds=rounds)
    finally:
        conn.close()
        database.dispose()
    kind = "sqlite3" if clinic.backend == "sqlite" else "psycopg"
    return AvailabilityFigures(
        clinic, medians["product"], medians["floor"], kind, statements, transaction_ends, first
    )


def naive_counts(clinic: Clinic, database: Database) -> Callable[[], Counts]:
    """One overlap query per slot per rostered doctor, with no lower bound on start_at.

    The literal reading of 'a doctor is free at a slot when no live appointment of theirs
    overlaps it', asked of the database slot by slot.
    """
    ctx = clinic.context(database)
    reference = week_reference(ctx, clinic.monday)
    conn = sqlite3.connect(str(clinic.sqlite_path))
    zone = ZoneInfo(ZONE)
    length = TYPE_MINUTES * 60
    sql = (
        "SELECT 1 FROM appointment WHERE doctor_id = ? AND status <> 'cancelled' "
        "AND start_at < ? AND end_at > ? LIMIT 1"
    )

    def stored(seconds: int) -> str:
        return from_epoch(seconds).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def run() -> Counts:
        counts: Counts = {}
        for day in reference.days.values():
            if not day.is_open:
                continue
            opens, closes = int(day.opens.timestamp()), int(day.closes.timestamp())  # type: ignore[union-attr]
            for start in range(opens, closes - length + 1, 15 * 60):
                end = start + length
                free = 0
                for doctor, blocks in reference.roster.blocks.items():
                    if not any(s <= start and end <= e for s, e in blocks):
                        continue
                    if conn.execute(sql, (doctor, stored(end), stored(start))).fetchone() is None:
                        free += 1
                if free:
                    local = from_epoch(start).astimezone(zone).replace(tzinfo=None)
                    counts[local] = free
        return counts

    return run
