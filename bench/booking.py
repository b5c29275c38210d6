"""Booking: one desk's latency, and many desks racing over the same week in separate processes."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bench.dataset import Clinic, clinic_clock
from bench.measure import percentile
from montu_desktop.domain.errors import PatientDoubleBooked, SlotTaken
from montu_desktop.persistence.engine import Database, overlap_refused
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.demo_data import ZONE
from montu_desktop.services.reference import clinic_policy, find_type

BOOK_TYPE = "Standard"  # 15 minutes: the most common booking
RACE_DAYS = 5
"""Racing desks book anywhere in one working week (every 15-minute start of 5 open weekdays):
a single hot morning filled up within a second and then capped bookings/s, not the product."""


@dataclass
class DeskResult:
    """What one desk (process) saw while booking."""

    latencies: list[float] = field(default_factory=list)
    booked: int = 0
    taken: int = 0
    races: int = 0
    cpu_seconds: float = 0.0
    """The desk process's own CPU time (user + system) while booking."""
    server_cpu_seconds: float | None = None
    """CPU time of the desk's own PostgreSQL backend(s) while booking (None on SQLite)."""
    machine_cpu_seconds: float | None = None
    """Busy CPU seconds of the whole machine (all desks, the server, anything else) from
    the start signal to this desk's end (racing desks only)."""
    errors: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return len(self.latencies)


def open_weekdays(clinic: Clinic, count: int) -> list[date]:
    """The first `count` open weekdays after the read week (holidays are skipped)."""
    database = clinic.database()
    first = clinic.monday + timedelta(days=7)
    try:
        with database.engine.connect() as conn:
            days = conn.execute(
                text("SELECT day FROM clinic_schedule WHERE active AND day >= :first ORDER BY day"),
                {"first": first},
            ).scalars()
            found = [d if isinstance(d, date) else date.fromisoformat(d) for d in days]
    finally:
        database.dispose()
    weekdays = [d for d in found if d.weekday() < 5]
    if len(weekdays) < count:
        raise RuntimeError(f"only {len(weekdays)} open weekdays are scheduled; {count} needed")
    return weekdays[:count]


def _slot_starts(day: date) -> list[datetime]:
    zone = ZoneInfo(ZONE)
    first = datetime.combine(day, datetime.min.time(), zone).replace(hour=8)
    return [first + timedelta(minutes=15 * i) for i in range(40)]  # 08:00 to 17:45


def _count_races(database: Database, result: DeskResult) -> None:
    """Count the conflicts the database itself settled (guard refusals, deadlocks, locks)."""

    @event.listens_for(database.engine, "handle_error")
    def _on_error(context) -> None:  # type: ignore[no-untyped-def]
        exc = context.sqlalchemy_exception
        if (isinstance(exc, IntegrityError) and overlap_refused(exc)) or (
            isinstance(exc, DBAPIError)
            and getattr(exc.orig, "sqlstate", None)
            in (
                "40P01",
                "40001",
            )
        ):
            result.races += 1


def _desk(
    clinic: Clinic,
    days: list[date],
    patients: list[int],
    seconds: float,
    seed: int,
    until: float,
    cycle_patients: bool = False,
) -> DeskResult:
    """Book random starts on `days` for `seconds` (or until the wall-clock `until`).

    With `cycle_patients` the desk reuses its patients until time is up (a patient busy at the
    chosen time is an ordinary refusal); otherwise it stops when each has booked once."""
    result = DeskResult()
    database = clinic.database()
    _count_races(database, result)
    ctx = clinic.context(database)
    ctx.rng = random.Random(seed)
    chooser = random.Random(seed * 7919)
    clinic_policy(ctx)
    find_type(ctx, BOOK_TYPE)
    starts = [start for day in days for start in _slot_starts(day)]
    deadline = min(time.perf_counter() + seconds, until)
    queue = itertools.cycle(patients) if cycle_patients else iter(patients)
    backends = _backend_pids(database)
    server_started = _cpu_of(backends)
    cpu_started = time.process_time()
    try:
        for patient in queue:
            if time.perf_counter() >= deadline:
                break
            request = BookingRequest(BOOK_TYPE, chooser.choice(starts), patient)
            began = time.perf_counter()
            try:
                book_appointment(ctx, request)
                result.booked += 1
            except (SlotTaken, PatientDoubleBooked):
                result.taken += 1
            except Exception as exc:  # the harness reports it rather than dying mid-run
                result.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            result.latencies.append(time.perf_counter() - began)
    finally:
        result.cpu_seconds = time.process_time() - cpu_started
        if backends:
            result.server_cpu_seconds = _cpu_of(backends) - server_started
        database.dispose()
    return result


def _backend_pids(database: Database) -> list[int]:
    """The PostgreSQL backend serving this desk (its pool keeps the one connection)."""
    if database.is_sqlite:
        return []
    with database.engine.connect() as conn:
        return [int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())]


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (/proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


STATEMENTS_ONLY = "MONTU_BENCH_STATEMENTS"
"""Set (to 1) in the environment, racing desks on PostgreSQL book through the Python path's
statements instead of montu_book: the comparison in the same minutes."""


def _desk_process(args: tuple) -> DeskResult:  # type: ignore[type-arg]
    clinic, days, warm_day, patients, seconds, seed, barrier = args
    if os.environ.get(STATEMENTS_ONLY) == "1":
        from montu_desktop.services import booking as service

        service._on_server = lambda *_args: False  # type: ignore[assignment]
        service._on_sqlite_fast_path = lambda *_args: False  # type: ignore[assignment]
    _warm_up(clinic, warm_day, patients[0], seed)
    barrier.wait()
    busy_before = machine_busy_seconds()
    until = time.perf_counter() + seconds
    result = _desk(clinic, days, patients[1:], seconds, seed, until, cycle_patients=True)
    result.machine_cpu_seconds = machine_busy_seconds() - busy_before
    return result


def _warm_up(clinic: Clinic, day: date, patient: int, seed: int) -> None:
    """One booking on another day, so imports, connections and compiled SQL are ready."""
    database = clinic.database()
    ctx = clinic.context(database)
    start = random.Random(seed).choice(_slot_starts(day))
    try:
        book_appointment(ctx, BookingRequest(BOOK_TYPE, start, patient))
    except (SlotTaken, PatientDoubleBooked):
        pass
    finally:
        database.dispose()


def patient_ids(clinic: Clinic) -> list[int]:
    database = clinic.database()
    try:
        with database.engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT id FROM patient ORDER BY id"))]
    finally:
        database.dispose()


def clear_bookings(clinic: Clinic) -> None:
    """Remove what earlier runs booked after the read week, so every run starts the same."""
    database = clinic.database()
    try:
        after = clinic_clock(clinic.monday)() + timedelta(days=7)
        with database.session(write=True) as session:
            session.execute(
                text("DELETE FROM appointment WHERE start_at >= :after"),
                {"after": _bind(database, after)},
            )
            session.execute(text("DELETE FROM outbox_event"))
            session.commit()
    finally:
        database.dispose()


def _bind(database: Database, moment: datetime) -> object:
    if database.is_sqlite:
        return (
            moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        )
    return moment


def single_desk(clinic: Clinic, day: date, count: int, statements: bool = False) -> DeskResult:
    """One desk booking `count` times in a row on an empty day (latency per booking), in a
    process of its own as a desk is: the benchmark's own process carries the peer's Django
    and every dataset, whose heap made each garbage collection (and so the desk's CPU per
    booking) about twice what a desk pays. `statements`: the path that reads first, in
    statements, instead of montu_book (PostgreSQL) or the one transaction (SQLite)."""
    patients = patient_ids(clinic)[:count]
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(_single_desk_process, ((clinic, day, patients, statements),))


def _single_desk_process(args: tuple) -> DeskResult:  # type: ignore[type-arg]
    clinic, day, patients, statements = args
    if statements:
        from montu_desktop.services import booking as service

        service._on_server = lambda *_args: False  # type: ignore[assignment]
        service._on_sqlite_fast_path = lambda *_args: False  # type: ignore[assignment]
    return _desk(clinic, [day], patients, seconds=600, seed=1, until=time.perf_counter() + 600)


def machine_busy_seconds() -> float:
    """CPU seconds all cores of this machine have spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def racing_desks(
    clinic: Clinic, days: list[date], warm_day: date, processes: int, seconds: float
) -> list[DeskResult]:
    """`processes` desks booking over `days` at once, each with its own patients."""
    patients = patient_ids(clinic)
    share = len(patients) // processes
    context = mp.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(processes)
        jobs = [
            (
                clinic,
                days,
                warm_day,
                patients[i * share : (i + 1) * share],
                seconds,
                100 + i,
                barrier,
            )
            for i in range(processes)
        ]
        with context.Pool(processes) as pool:
            return pool.map(_desk_process, jobs)


def overlaps_on(clinic: Clinic, days: list[date]) -> int:
    """Pairs of live appointments of one doctor that overlap on `days` (must be 0)."""
    database = clinic.database()
    zone = ZoneInfo(ZONE)
    start = datetime.combine(min(days), datetime.min.time(), zone)
    end = datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), zone)
    try:
        with database.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM appointment a JOIN appointment b "
                        "ON a.doctor_id = b.doctor_id AND a.id < b.id "
                        "AND a.start_at < b.end_at AND b.start_at < a.end_at "
                        "WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' "
                        "AND a.start_at >= :s AND a.start_at < :e"
                    ),
                    {"s": _bind(database, start), "e": _bind(database, end)},
                ).scalar_one()
            )
    finally:
        database.dispose()


def drop_overlap_guard(clinic: Clinic) -> None:
    """Remove the no-overlap guard (only ever on the benchmark's own 'no guard' database)."""
    assert "noguard" in clinic.url
    database = clinic.database()
    try:
        with database.engine.begin() as conn:
            for who in ("doctor", "patient"):
                conn.execute(
                    text(
                        f"ALTER TABLE appointment DROP CONSTRAINT IF EXISTS appointment_{who}_overlap"
                    )
                )
    finally:
        database.dispose()


@dataclass
class RaceFigures:
    processes: int
    seconds: float
    booked: int
    attempts: int
    p50: float
    p99: float
    worst: float
    races: int
    refused: int
    overlaps: int
    fewest_attempts: int
    mean_attempts: float
    errors: list[str]
    desk_cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None
    machine_cpu_seconds: float | None = None
    """Busy CPU seconds of the whole machine over the run (desks, server and anything else)."""

    @property
    def machine_cpu_per_booking(self) -> float | None:
        if not self.machine_cpu_seconds or not self.booked:
            return None
        return self.machine_cpu_seconds / self.booked

    @property
    def desk_cpu_per_booking(self) -> float | None:
        return self.desk_cpu_seconds / self.booked if self.booked else None

    @property
    def server_cpu_per_booking(self) -> float | None:
        if self.server_cpu_seconds is None or not self.booked:
            return None
        return self.server_cpu_seconds / self.booked

    @property
    def per_second(self) -> float:
        return self.booked / self.seconds

    @property
    def attempts_per_second(self) -> float:
        return self.attempts / self.seconds


def summarise(results: list[DeskResult], seconds: float, overlaps: int) -> RaceFigures:
    latencies = [x for r in results for x in r.latencies]
    attempts = [r.attempts for r in results]
    return RaceFigures(
        processes=len(results),
        seconds=seconds,
        booked=sum(r.booked for r in results),
        attempts=sum(attempts),
        p50=percentile(latencies, 0.5),
        p99=percentile(latencies, 0.99),
        worst=max(latencies, default=float("nan")),
        races=sum(r.races for r in results),
        refused=sum(r.taken for r in results),
        overlaps=overlaps,
        fewest_attempts=min(attempts),
        mean_attempts=sum(attempts) / len(attempts),
        errors=sorted({e for r in results for e in r.errors})[:5],
        desk_cpu_seconds=sum(r.cpu_seconds for r in results),
        server_cpu_seconds=(
            None
            if any(r.server_cpu_seconds is None for r in results)
            else sum(r.server_cpu_seconds or 0.0 for r in results)
        ),
        machine_cpu_seconds=results[0].machine_cpu_seconds if results else None,
    )


def server_vs_statements(
    clinic: Clinic, day: date, rounds: int = 4, count: int = 100
) -> dict[str, RaceFigures]:
    """One desk on PostgreSQL, booking through montu_book (one round trip) and through the
    Python path's statements (what SQLite runs), in alternating batches on the same day:
    the ratio holds even when the machine's load moves between batches."""
    batches: dict[str, list[DeskResult]] = {"server": [], "statements": []}
    for _ in range(rounds):
        for mode in batches:
            clear_bookings(clinic)
            batches[mode].append(single_desk(clinic, day, count, statements=mode == "statements"))
    return {mode: summarise(results, 1.0, 0) for mode, results in batches.items()}
