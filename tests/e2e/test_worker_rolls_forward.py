"""`montu-desktop worker` rolls the schedules forward on start and when the clinic's day begins,
once per day across processes, and on PostgreSQL as the dispatcher login with only its grants."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from datetime import time as wall
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from montu_desktop.config import clock as product_clock
from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.conftest import PG_ADMIN_URL
from tests.support import pg_logins
from tests.support.clock import FixedClock

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ZONE = "Australia/Melbourne"  # the demo clinic's
HORIZON = timedelta(weeks=12)  # the demo clinic's for one week of bookings
PASSWORD = "a long pass phrase"


class Worker:
    """A `montu-desktop worker` process; its output lines are collected as they come."""

    def __init__(self, url: str, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "montu_desktop", "worker"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # The URL (it may hold a login's password) never on the command line.
            env={**os.environ, "PYTHONPATH": str(ROOT), "MONTU_DATABASE_URL": url, **env},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def rolled(self, count: int = 1, timeout: float = 60) -> list[str]:
        """The first `count` lines saying what the roll-forward did (waits for them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if line.startswith("schedules ")]
            if len(found) >= count:
                return found[:count]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"the worker did not report {count} roll-forward(s): {self.lines}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        self._reader.join(5)
        return code


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)


def clinic_today() -> date:
    return to_local(product_clock.utc_now(), ZONE).date()


def behind_clinic(database: Database) -> date:
    """A demo clinic whose schedules were last rolled forward ten days ago; returns that stamp."""
    ten_days_ago = FixedClock(product_clock.utc_now() - timedelta(days=10))
    ctx = ServiceContext(database, clock=ten_days_ago, rng=random.Random(4), actor="test")
    create_demo_clinic(ctx, doctors=2, weeks=1, patients=3, fill=0.0)
    stamp = generated_until(database)
    assert stamp == to_local(ten_days_ago(), ZONE).date() + HORIZON
    return stamp


def generated_until(database: Database) -> date:
    with database.engine.connect() as conn:
        value = conn.execute(
            text("SELECT value FROM setting WHERE key = 'schedules.generated_until'")
        ).scalar_one()
    return date.fromisoformat(value)


def rolls(database: Database) -> list[str]:
    """The roll-forwards the audit log holds, oldest first (their ranges)."""
    with database.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT subject FROM audit_entry WHERE action = 'schedules.rolled_forward'"
                    " ORDER BY id"
                )
            ).scalars()
        )


def no_duplicate_schedules(database: Database) -> None:
    with database.engine.connect() as conn:
        days = conn.execute(
            text("SELECT count(*), count(DISTINCT day) FROM clinic_schedule")
        ).one()
        blocks = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT doctor_id, start_at FROM doctor_schedule"
                " GROUP BY doctor_id, start_at HAVING count(*) > 1) d"
            )
        ).scalar_one()
    assert days[0] == days[1] and blocks == 0


def url_of(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def test_a_worker_started_rolls_the_horizon_forward(
    any_db: Database, workers: list[Worker]
) -> None:
    before = behind_clinic(any_db)
    workers.append(Worker(url_of(any_db)))
    target = clinic_today() + HORIZON
    [said] = workers[0].rolled()
    assert said == f"schedules generated from {before + timedelta(days=1)} to {target}"
    assert generated_until(any_db) == target
    assert rolls(any_db) == [f"{before + timedelta(days=1)}..{target}"]
    with any_db.engine.connect() as conn:
        last_day = conn.execute(text("SELECT max(day) FROM clinic_schedule")).scalar_one()
    assert str(last_day)[:10] == target.isoformat()
    assert workers[0].stop() == 0


def test_two_workers_started_together_roll_it_once(
    any_db: Database, workers: list[Worker]
) -> None:
    behind_clinic(any_db)
    workers.extend([Worker(url_of(any_db)), Worker(url_of(any_db))])
    said = sorted(w.rolled()[0] for w in workers)
    target = clinic_today() + HORIZON
    assert said[0] == "schedules are already generated to the booking horizon"
    assert said[1].startswith("schedules generated from ") and said[1].endswith(str(target))
    assert len(rolls(any_db)) == 1
    assert generated_until(any_db) == target
    no_duplicate_schedules(any_db)
    assert [w.stop() for w in workers] == [0, 0]


def test_a_worker_rolls_forward_again_when_the_clinics_day_begins(
    any_db: Database, workers: list[Worker]
) -> None:
    before = behind_clinic(any_db)
    today = clinic_today()
    # The worker's clock reads 23:59:45 in the clinic, fifteen seconds before tomorrow begins
    # (time enough for the process to start and roll forward once).
    moment = local_instant(today + timedelta(days=1), wall(0, 0), ZONE) - timedelta(seconds=15)
    workers.append(Worker(url_of(any_db), MONTU_NOW=product_clock.pinned(moment)))
    first, nightly = workers[0].rolled(2, timeout=90)
    assert first == f"schedules generated from {before + timedelta(days=1)} to {today + HORIZON}"
    tomorrow = today + timedelta(days=1)
    assert nightly == f"schedules generated from {tomorrow + HORIZON} to {tomorrow + HORIZON}"
    assert generated_until(any_db) == tomorrow + HORIZON
    assert len(rolls(any_db)) == 2
    no_duplicate_schedules(any_db)
    assert workers[0].stop() == 0


@pytest.fixture
def dispatcher_login(pg_db: Database) -> Iterator[str]:
    """A login in montu_dispatcher (checked by password, as on a real server): its URL."""
    try:
        pg_logins.ensure_scram_rule(PG_ADMIN_URL)
    except (OSError, RuntimeError) as exc:
        pytest.fail(f"cannot require passwords for staff logins on this server: {exc}")
    name = pg_logins.unique_name(f"worker{random.randrange(10**6)}")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}' IN ROLE montu_dispatcher")
        )
    admin.dispose()
    yield make_url(url_of(pg_db)).set(username=name, password=PASSWORD).render_as_string(
        hide_password=False
    )
    pg_logins.drop_session_logins(PG_ADMIN_URL)


def _refused(url: str, sql: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            try:
                conn.execute(text(sql))
                conn.commit()
            except DBAPIError as exc:
                return f"{getattr(exc.orig, 'sqlstate', None)} {str(exc.orig).splitlines()[0]}"
    finally:
        engine.dispose()
    pytest.fail(f"the server accepted: {sql}")


@pytest.mark.postgres
def test_on_postgresql_the_dispatcher_login_rolls_forward_and_nothing_more(
    pg_db: Database, dispatcher_login: str, workers: list[Worker]
) -> None:
    before = behind_clinic(pg_db)
    name = make_url(dispatcher_login).username
    workers.extend([Worker(dispatcher_login), Worker(dispatcher_login)])
    said = sorted(w.rolled()[0] for w in workers)
    target = clinic_today() + HORIZON
    assert said == [
        "schedules are already generated to the booking horizon",
        f"schedules generated from {before + timedelta(days=1)} to {target}",
    ]
    assert generated_until(pg_db) == target
    no_duplicate_schedules(pg_db)
    with pg_db.engine.connect() as conn:
        actor = conn.execute(
            text("SELECT actor FROM audit_entry WHERE action = 'schedules.rolled_forward'")
        ).scalar_one()
    assert actor == name
    assert [w.stop() for w in workers] == [0, 0]

    with pg_db.engine.begin() as conn:  # IT's login: a setting to try to change
        conn.execute(text("INSERT INTO setting (key, value) VALUES ('smtp.host', 'mail.example')"))
    today = clinic_today().isoformat()
    for sql in (
        "UPDATE setting SET value = 'evil' WHERE key = 'smtp.host'",
        "INSERT INTO setting (key, value) VALUES ('smtp.host', 'evil')",
        f"UPDATE setting SET value = '{today}' WHERE key = 'schedules.generated_until'",
        "UPDATE setting SET value = '2999-01-01' WHERE key = 'schedules.generated_until'",
        "DELETE FROM setting",
        f"DELETE FROM clinic_schedule WHERE day >= '{today}'",
        f"DELETE FROM doctor_schedule WHERE day >= '{today}'",
        f"INSERT INTO clinic_schedule (day, active) VALUES ('{today}', false)",
        "UPDATE clinic_schedule SET active = false",
        "UPDATE doctor_schedule SET end_at = start_at",
        "DELETE FROM closure",
        "UPDATE closure SET reason = 'x'",
        "DELETE FROM roster_template",
        "UPDATE clinic SET horizon_weeks = 1",
    ):
        assert _refused(dispatcher_login, sql).startswith("42501 "), sql
    assert generated_until(pg_db) == target
