"""Losing the PostgreSQL server mid-use (through a proxy we cut) loses and invents nothing."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date
from datetime import time as clock_time

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.domain.events import AppointmentBooked
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.connection import ConnectionMonitor
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.live import ChangeFeed, FeedState
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.integration.test_live import Heard, wait_state
from tests.support.clock import FixedClock
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres
TUESDAY = date(2026, 11, 24)


def at(hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
    return local_instant(TUESDAY, clock_time(hour, minute), "Australia/Melbourne")


def wait_until(condition, timeout: float = 5.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout} s")
        time.sleep(0.02)


@pytest.fixture
def direct(pg_db: Database, clock: FixedClock) -> ServiceContext:
    """A desk wired straight to the server (it never loses it): used to set up and to check."""
    ctx = ServiceContext(pg_db, clock=clock, rng=random.Random(5), actor="direct")
    create_demo_clinic(ctx, doctors=3, weeks=1, fill=0.0, patients=20)
    return ctx


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", 5432) as running:
        yield running


@pytest.fixture
def remote(
    direct: ServiceContext, proxy: TcpProxy, pg_server_url: str, clock: FixedClock
) -> Iterator[ServiceContext]:
    """A desk whose every connection goes through the proxy."""
    url = make_url(pg_server_url).set(host="127.0.0.1", port=proxy.port)
    db = Database(url)
    yield ServiceContext(db, clock=clock, rng=random.Random(6), actor="remote")
    db.dispose()


def appointment_starts(ctx: ServiceContext) -> list:  # type: ignore[type-arg]
    with UnitOfWork(ctx) as uow:
        return sorted(uow.session.scalars(select(t.Appointment.start_at)))


def booked_events(ctx: ServiceContext) -> int:
    with UnitOfWork(ctx) as uow:
        return uow.session.scalar(
            select(func.count()).where(t.OutboxEvent.name == AppointmentBooked.name)
        )


def test_a_booking_while_the_server_is_away_fails_and_is_never_made(
    direct: ServiceContext, remote: ServiceContext, proxy: TcpProxy
) -> None:
    before = book_appointment(remote, BookingRequest("Standard", at(10), 1))
    proxy.cut()
    with pytest.raises(DatabaseUnavailable):
        book_appointment(remote, BookingRequest("Standard", at(10, 30), 2))
    proxy.restore()
    # No reconnect call: the same desk simply works again.
    after = book_appointment(remote, BookingRequest("Standard", at(11), 3))

    assert appointment_starts(direct) == [before.start, after.start]
    assert booked_events(direct) == 2


def test_a_transaction_cut_before_its_commit_leaves_nothing_behind(
    direct: ServiceContext, remote: ServiceContext, proxy: TcpProxy
) -> None:
    with pytest.raises(DatabaseUnavailable), UnitOfWork(remote, write=True) as uow:
        uow.session.add(
            t.Patient(
                given_name="Cut",
                family_name="Off",
                created_at=remote.clock(),
                updated_at=remote.clock(),
            )
        )
        uow.session.flush()
        proxy.cut()
        uow.commit()
    proxy.restore()
    with UnitOfWork(direct) as uow:
        assert uow.session.scalar(select(func.count()).where(t.Patient.family_name == "Off")) == 0
    # And the desk's next transaction goes through on a fresh connection.
    from montu_desktop.services.patients import add_patient

    assert add_patient(remote, PatientDetails("Back", "Again")).id > 0


def test_the_monitor_sees_the_server_go_and_come_back(
    remote: ServiceContext, proxy: TcpProxy
) -> None:
    heard: list[bool] = []
    monitor = ConnectionMonitor(remote.database, interval_seconds=0.2, retry_seconds=0.2)
    monitor.on_status.append(lambda status: heard.append(status.reachable))
    with monitor:
        wait_until(lambda: monitor.status.reachable, what="first ping")
        proxy.cut()
        wait_until(lambda: not monitor.status.reachable, what="outage noticed")
        assert "cannot be reached" in monitor.status.problem
        proxy.restore()
        wait_until(lambda: monitor.status.reachable, what="recovery noticed")
    assert heard == [False, True]


def test_the_change_feed_reconnects_by_itself_and_resyncs(
    direct: ServiceContext, remote: ServiceContext, proxy: TcpProxy
) -> None:
    heard = Heard(remote)
    with ChangeFeed(remote, retry_seconds=0.2) as feed:
        wait_state(feed, FeedState.LISTENING)
        proxy.cut()
        wait_state(feed, FeedState.OFFLINE)
        # Booked while this desk is cut off: its notification never reaches the desk...
        book_appointment(direct, BookingRequest("Standard", at(9), 4))
        proxy.restore()
        wait_state(feed, FeedState.LISTENING)
        # ...so on reconnecting the feed tells every screen to reload.
        heard.wait_for("appointments")
        assert set(heard.kinds) == {"appointments", "patients", "reference"}

        heard.clear()
        book_appointment(direct, BookingRequest("Standard", at(9, 30), 5))
        assert heard.wait_for("appointments") < 2.0
