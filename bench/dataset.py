"""Builds (and keeps, between runs) the synthetic clinics the benchmarks read and write.

The current week is filled by the product's own demo data (Melbourne clinic, types of 15,
30, 45 and 60 minutes, varied rosters with breaks). History is that week's rows copied back
week by week in one SQL statement (as completed, no-show or cancelled), so a clinic with
four years of history builds in seconds instead of minutes. The history only has to be
there, in the index, for the week's query to step over.
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import create_engine, text

from montu_desktop.persistence import migrate
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import ZONE, create_demo_clinic
from montu_desktop.services.unit_of_work import UnitOfWork

DATA_DIR = Path(__file__).resolve().parent / ".data"
PG_ADMIN_URL = os.environ.get(
    "MONTU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FORMAT_VERSION = "5"  # 5: schema with montu_book (0024_perf_booking) after 0023_fresh
SEED = 7


class FixedClock:
    """'Now' for the product during the benchmark: 07:00 on the benchmark week's Monday."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def benchmark_monday(today: date | None = None) -> date:
    """The first Monday at least two weeks ahead with no Victorian holiday and no clock change.

    It lies in the real future because the peer (django-appointment) hides slots before the
    real 'now', and it avoids holidays and daylight-saving jumps so both sides see the
    same plain week.
    """
    today = today or datetime.now(UTC).date()
    monday = today + timedelta(days=14 - today.weekday() + 7)
    zone = ZoneInfo(ZONE)
    while True:
        days = [monday + timedelta(days=i) for i in range(7)]
        offsets = {datetime.combine(d, time(12), zone).utcoffset() for d in days}
        closed = holidays.country_holidays("AU", subdiv="VIC", years={d.year for d in days})
        if len(offsets) == 1 and not any(d in closed for d in days):
            return monday
        monday += timedelta(days=7)


def clinic_clock(monday: date) -> FixedClock:
    return FixedClock(datetime.combine(monday, time(7), ZoneInfo(ZONE)).astimezone(UTC))


@dataclass(frozen=True)
class Clinic:
    """One built clinic database and what is in it."""

    backend: str
    doctors: int
    history_weeks: int
    monday: date
    url: str
    week_rows: int
    total_rows: int

    def database(self) -> Database:
        return Database(self.url)

    def context(self, database: Database | None = None) -> ServiceContext:
        return ServiceContext(
            database or self.database(),
            clock=clinic_clock(self.monday),
            rng=random.Random(SEED),
            actor="bench",
        )

    @property
    def sqlite_path(self) -> Path | None:
        return (
            Path(self.url.removeprefix("sqlite+pysqlite:///")) if self.backend == "sqlite" else None
        )


def _key(doctors: int, history_weeks: int, monday: date, label: str) -> str:
    return f"v{FORMAT_VERSION}-{label}-d{doctors}-h{history_weeks}-{monday.isoformat()}"


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def pg_available() -> str | None:
    """None when the PostgreSQL server answers, else the reason it does not."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


def _recreate_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _stored_key(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT value FROM setting WHERE key = 'bench.dataset'")
            ).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def build_clinic(
    backend: str,
    doctors: int,
    history_weeks: int,
    monday: date,
    *,
    label: str = "read",
    fresh: bool = False,
    log=print,  # type: ignore[no-untyped-def]
) -> Clinic:
    """The clinic with these sizes on this backend, built unless an identical one is kept."""
    key = _key(doctors, history_weeks, monday, label)
    if backend == "sqlite":
        DATA_DIR.mkdir(exist_ok=True)
        path = DATA_DIR / f"{key}.sqlite3"
        url = str(sqlite_url(path))
        if fresh or _stored_key(url) != key:
            for stale in DATA_DIR.glob(f"{key}.sqlite3*"):
                # The app's "in use" marker is a folder beside the file.
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            _populate(url, doctors, history_weeks, monday, key, log)
    else:
        name = f"montu_bench_{label}_d{doctors}_h{history_weeks}"
        url = _pg_url(name)
        if fresh or _stored_key(url) != key:
            _recreate_pg_database(name)
            _populate(url, doctors, history_weeks, monday, key, log)
    week_rows, total_rows = _row_counts(url, monday)
    return Clinic(backend, doctors, history_weeks, monday, url, week_rows, total_rows)


def _populate(url: str, doctors: int, history_weeks: int, monday: date, key: str, log) -> None:  # type: ignore[no-untyped-def]
    log(f"  building {key} ({url.split('/')[-1]})")
    database = Database(url)
    try:
        migrate.upgrade(database)
        ctx = ServiceContext(
            database, clock=clinic_clock(monday), rng=random.Random(SEED), actor="bench"
        )
        create_demo_clinic(ctx, doctors=doctors, weeks=1, seed=SEED, history_weeks=0)
        _copy_history(database, monday, history_weeks)
        with UnitOfWork(ctx, write=True) as uow:
            uow.session.add(t.Setting(key="bench.dataset", value=key))
            uow.commit()
        if not database.is_sqlite:
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
    finally:
        database.dispose()


def _week_bounds(monday: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(ZONE)
    start = datetime.combine(monday, time(0), zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone).astimezone(UTC)
    return start, end


_SQLITE_HISTORY = """
INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at, status,
                         created_by, created_at, updated_at)
WITH RECURSIVE back(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM back WHERE n < :weeks)
SELECT a.doctor_id, a.patient_id, a.type_id,
       strftime('%Y-%m-%d %H:%M:%S', a.start_at, '-' || (7 * back.n) || ' days') || '.000000',
       strftime('%Y-%m-%d %H:%M:%S', a.end_at, '-' || (7 * back.n) || ' days') || '.000000',
       CASE WHEN (a.id + back.n) % 20 = 0 THEN 'cancelled'
            WHEN (a.id + back.n) % 33 = 0 THEN 'no_show' ELSE 'completed' END,
       'bench', a.created_at, a.updated_at
FROM appointment AS a, back
WHERE a.start_at >= :start AND a.start_at < :end
"""

_PG_HISTORY = """
INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at, status,
                         created_by, created_at, updated_at)
SELECT a.doctor_id, a.patient_id, a.type_id,
       a.start_at - make_interval(days => 7 * back.n),
       a.end_at - make_interval(days => 7 * back.n),
       CASE WHEN (a.id + back.n) % 20 = 0 THEN 'cancelled'
            WHEN (a.id + back.n) % 33 = 0 THEN 'no_show' ELSE 'completed' END,
       'bench', a.created_at, a.updated_at
FROM appointment AS a CROSS JOIN generate_series(1, :weeks) AS back(n)
WHERE a.start_at >= :start AND a.start_at < :end
"""


def _copy_history(database: Database, monday: date, weeks: int) -> None:
    if weeks <= 0:
        return
    start, end = _week_bounds(monday)
    if database.is_sqlite:
        params = {"weeks": weeks, "start": _sqlite_text(start), "end": _sqlite_text(end)}
        statement = _SQLITE_HISTORY
    else:
        params = {"weeks": weeks, "start": start, "end": end}
        statement = _PG_HISTORY
    with database.session(write=True) as session:
        if not database.is_sqlite:
            # Copied history is not anyone's change: skip the per-row audit triggers
            # (superuser only; SQLite writes one audit entry per copied row).
            session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(text(statement), params)
        session.commit()


def _sqlite_text(moment: datetime) -> str:
    """An instant as the product stores it in SQLite (naive UTC text)."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def week_bounds_params(backend: str, monday: date) -> tuple[object, object]:
    start, end = _week_bounds(monday)
    if backend == "sqlite":
        return _sqlite_text(start), _sqlite_text(end)
    return start, end


def _row_counts(url: str, monday: date) -> tuple[int, int]:
    start, end = _week_bounds(monday)
    database = Database(url)
    if database.is_sqlite:
        start, end = _sqlite_text(start), _sqlite_text(end)  # type: ignore[assignment]
    try:
        with database.engine.connect() as conn:
            week = conn.execute(
                text(
                    "SELECT count(*) FROM appointment WHERE start_at >= :s AND start_at < :e "
                    "AND status <> 'cancelled'"
                ),
                {"s": start, "e": end},
            ).scalar_one()
            total = conn.execute(text("SELECT count(*) FROM appointment")).scalar_one()
        return int(week), int(total)
    finally:
        database.dispose()
