"""Two desks on one PostgreSQL database: this process listens, a second process books.

The second desk is the real `montu-desktop` command in its own process, so the booking
crosses a process boundary exactly as it does between two reception PCs.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import from_epoch
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.live import ChangeFeed, FeedState
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.integration.test_live import Heard, wait_state
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ZONE = "Australia/Melbourne"


def other_desk(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `montu-desktop` command against `url` in a separate process."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args, "--database", url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def free_slots(ctx: ServiceContext, count: int) -> list[datetime]:
    """Free Standard starts next week, seen by this desk."""
    week = week_availability(ctx, "Standard", ctx.clock().date() + timedelta(days=7))
    found = [from_epoch(s.start) for d in week.days for s in d.slots if s.free_doctors > 0]
    assert len(found) >= count
    return found[:count]


def free_at(ctx: ServiceContext, start: datetime) -> int:
    slot = week_availability(ctx, "Standard", to_local(start, ZONE).date()).slot_at(start)
    assert slot is not None
    return slot.free_doctors


@pytest.fixture
def desk(pg_db: Database) -> ServiceContext:
    """This desk, on the real clock (the other process has no fixed clock)."""
    ctx = ServiceContext(pg_db, rng=random.Random(2), actor="front")
    create_demo_clinic(ctx, doctors=3, weeks=2, fill=0.0, patients=20)
    return ctx


def local_text(start: datetime) -> str:
    return to_local(start, ZONE).replace(tzinfo=None).isoformat(timespec="minutes")


def test_a_booking_made_on_another_pc_shows_here_within_two_seconds(
    desk: ServiceContext, pg_server_url: str
) -> None:
    start = free_slots(desk, 1)[0]
    free_before = free_at(desk, start)
    heard = Heard(desk)
    with ChangeFeed(desk) as feed:
        wait_state(feed, FeedState.LISTENING)
        done = other_desk(
            pg_server_url, "book", "--type", "Standard", "--start", local_text(start),
            "--patient", "3", "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        booked_id = json.loads(done.stdout)["id"]
        assert heard.wait_for("appointments") < 2.0
    assert free_at(desk, start) == free_before - 1
    done = other_desk(pg_server_url, "cancel", str(booked_id))
    assert done.returncode == 0, done.stderr
    assert free_at(desk, start) == free_before


def test_the_server_going_away_mid_use_loses_nothing_and_both_desks_recover(
    desk: ServiceContext, pg_server_url: str
) -> None:
    first, during, after = free_slots(desk, 3)
    with TcpProxy("127.0.0.1", 5432) as proxy:
        via_proxy = make_url(pg_server_url).set(port=proxy.port)
        away_db = Database(via_proxy)
        away = ServiceContext(away_db, rng=random.Random(4), actor="back")
        heard = Heard(away)
        try:
            with ChangeFeed(away, retry_seconds=0.2) as feed:
                wait_state(feed, FeedState.LISTENING)
                text_url = via_proxy.render_as_string(hide_password=False)
                made = other_desk(text_url, "book", "--type", "Standard",
                                  "--start", local_text(first), "--patient", "4")  # fmt: skip
                assert made.returncode == 0, made.stderr
                heard.wait_for("appointments")

                proxy.cut()
                refused = other_desk(text_url, "book", "--type", "Standard",
                                     "--start", local_text(during), "--patient", "5")  # fmt: skip
                assert refused.returncode == 4
                assert "database unavailable" in refused.stderr
                wait_state(feed, FeedState.OFFLINE)

                proxy.restore()
                wait_state(feed, FeedState.LISTENING)
                heard.clear()
                made_again = other_desk(text_url, "book", "--type", "Standard",
                                        "--start", local_text(after), "--patient", "6")  # fmt: skip
                assert made_again.returncode == 0, made_again.stderr
                deadline = time.monotonic() + 2.0
                heard.wait_for("appointments", timeout=max(0.1, deadline - time.monotonic()))
        finally:
            away_db.dispose()
    # Seen from the desk that never lost the server: the two committed bookings, only.
    with UnitOfWork(desk) as uow:
        starts = sorted(uow.session.scalars(select(t.Appointment.start_at)))
    assert starts == [first, after]
