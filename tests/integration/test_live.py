"""The change feed: one desk's bookings and roster edits reach another desk within 2 seconds."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import date
from datetime import time as clock_time

import pytest
from sqlalchemy import select, text

from montu_desktop.domain.clinic_time import local_instant
from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database
from montu_desktop.services import live, reference
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.live import ChangeFeed, FeedState
from montu_desktop.services.schedules import regenerate_schedules
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clock import FixedClock

TUESDAY = date(2026, 11, 24)


class Heard:
    """Collects what a desk's context announces, from any thread."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.kinds: list[str] = []
        self.notices: list[OpChanges] = []
        self._event = threading.Condition()
        ctx.on_change.append(self._hear)

    def _hear(self, changes: OpChanges) -> None:
        with self._event:
            self.notices.append(changes)
            self.kinds.extend(sorted(changes.kinds))
            self._event.notify_all()

    def clear(self) -> None:
        with self._event:
            self.kinds.clear()
            self.notices.clear()

    def wait_for(self, what: str, timeout: float = 2.0) -> float:
        """Seconds until `what` was heard; fails the test after `timeout`."""
        started = time.monotonic()
        with self._event:
            if not self._event.wait_for(lambda: what in self.kinds, timeout):
                pytest.fail(f"{what!r} not heard within {timeout} s (heard {self.kinds})")
        return time.monotonic() - started


def wait_state(feed: ChangeFeed, state: FeedState, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while feed.state is not state:
        if time.monotonic() > deadline:
            pytest.fail(f"feed stayed {feed.state}, expected {state}")
        time.sleep(0.02)


def desk(db: Database, clock: FixedClock) -> ServiceContext:
    return ServiceContext(db, clock=clock, rng=random.Random(3), actor="desk")


def book_at(ctx: ServiceContext, hour: int, minute: int = 0, patient: int = 1) -> int:
    start = local_instant(TUESDAY, clock_time(hour, minute), "Australia/Melbourne")
    return book_appointment(ctx, BookingRequest("Standard", start, patient)).id


def shorten_first_roster(ctx: ServiceContext) -> None:
    """A roster edit: the first template block now ends at noon; schedules are regenerated."""
    with UnitOfWork(ctx, write=True) as uow:
        block = uow.session.scalars(select(t.RosterTemplate).order_by(t.RosterTemplate.id)).first()
        assert block is not None
        block.ends = clock_time(12)
        uow.touches("reference")
        uow.commit()
    regenerate_schedules(ctx)


@pytest.fixture
def two_pg_desks(
    pg_db: Database, pg_server_url: str, clock: FixedClock
) -> Iterator[tuple[ServiceContext, ServiceContext]]:
    first = desk(pg_db, clock)
    create_demo_clinic(first, doctors=3, weeks=1, fill=0.0, patients=20)
    other_db = Database(pg_server_url)
    yield first, desk(other_db, clock)
    other_db.dispose()


@pytest.fixture
def two_sqlite_desks(
    sqlite_db: Database, clock: FixedClock
) -> Iterator[tuple[ServiceContext, ServiceContext]]:
    first = desk(sqlite_db, clock)
    create_demo_clinic(first, doctors=3, weeks=1, fill=0.0, patients=20)
    other_db = Database(sqlite_db.url)
    yield first, desk(other_db, clock)
    other_db.dispose()


@pytest.mark.postgres
def test_a_booking_at_one_desk_is_heard_at_the_other_within_two_seconds(two_pg_desks) -> None:
    booking_desk, watching_desk = two_pg_desks
    heard = Heard(watching_desk)
    with ChangeFeed(watching_desk) as feed:
        wait_state(feed, FeedState.LISTENING)
        appointment = book_at(booking_desk, 10)
        assert heard.wait_for("appointments") < 2.0
        assert "reference" not in heard.kinds

        heard.clear()
        cancel_appointment(booking_desk, appointment)
        assert heard.wait_for("appointments") < 2.0


@pytest.mark.postgres
def test_a_roster_edit_drops_the_other_desks_reference_cache(two_pg_desks) -> None:
    editing_desk, watching_desk = two_pg_desks
    reference.doctors(watching_desk)
    loads = watching_desk.cache.loads
    reference.doctors(watching_desk)
    assert watching_desk.cache.loads == loads, "second read should come from the cache"
    heard = Heard(watching_desk)
    with ChangeFeed(watching_desk) as feed:
        wait_state(feed, FeedState.LISTENING)
        shorten_first_roster(editing_desk)
        heard.wait_for("reference")
    reference.doctors(watching_desk)
    assert watching_desk.cache.loads == loads + 1


@pytest.mark.postgres
def test_changes_made_by_other_tools_are_heard_too(two_pg_desks) -> None:
    """The triggers live in the database, so a change from psql or a script is announced."""
    _, watching_desk = two_pg_desks
    heard = Heard(watching_desk)
    with ChangeFeed(watching_desk) as feed:
        wait_state(feed, FeedState.LISTENING)
        with watching_desk.database.engine.begin() as conn:
            conn.execute(text("UPDATE appointment_type SET colour = '#000000' WHERE id = 1"))
            conn.execute(text("UPDATE patient SET phone = NULL WHERE id = 1"))
        heard.wait_for("reference")
        heard.wait_for("patients")


@pytest.mark.postgres
def test_nothing_is_announced_for_a_transaction_that_rolls_back(two_pg_desks) -> None:
    _, watching_desk = two_pg_desks
    heard = Heard(watching_desk)
    with ChangeFeed(watching_desk) as feed:
        wait_state(feed, FeedState.LISTENING)
        with watching_desk.database.engine.connect() as conn:
            conn.execute(text("UPDATE appointment_type SET colour = '#000000' WHERE id = 1"))
            conn.rollback()
        time.sleep(0.5)
    assert heard.kinds == []


@pytest.mark.postgres
def test_polling_fallback_on_postgresql(two_pg_desks) -> None:
    booking_desk, watching_desk = two_pg_desks
    heard = Heard(watching_desk)
    with ChangeFeed(watching_desk, listen=False, poll_seconds=0.2) as feed:
        wait_state(feed, FeedState.POLLING)
        book_at(booking_desk, 11)
        assert heard.wait_for("appointments") < 2.0
        assert "reference" not in heard.kinds


def test_polling_on_sqlite_hears_bookings_and_roster_edits(two_sqlite_desks) -> None:
    booking_desk, watching_desk = two_sqlite_desks
    heard = Heard(watching_desk)
    with ChangeFeed(watching_desk, poll_seconds=0.2) as feed:
        wait_state(feed, FeedState.POLLING)
        time.sleep(0.3)  # one poll to learn the starting point
        appointment = book_at(booking_desk, 10)
        assert heard.wait_for("appointments") < 2.0
        assert heard.kinds == ["appointments"]

        heard.clear()
        cancel_appointment(booking_desk, appointment)
        heard.wait_for("appointments")

        heard.clear()
        shorten_first_roster(booking_desk)
        heard.wait_for("reference")


def test_a_quiet_sqlite_file_is_not_fingerprinted_on_every_poll_yet_a_commit_is_heard(
    two_sqlite_desks, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking_desk, watching_desk = two_sqlite_desks
    heard = Heard(watching_desk)
    reads: list[int] = []
    real = live.fingerprint

    def counted(ctx: ServiceContext, kinds: set | None = None):  # type: ignore[no-untyped-def]
        reads.append(1)
        return real(ctx, kinds)

    monkeypatch.setattr(live, "fingerprint", counted)
    with ChangeFeed(watching_desk, poll_seconds=0.05) as feed:
        wait_state(feed, FeedState.POLLING)
        time.sleep(0.5)  # about ten polls of a file nobody writes: data_version stands still
        assert len(reads) <= 2
        book_at(booking_desk, 10)
        assert heard.wait_for("appointments") < 2.0
        assert heard.kinds == ["appointments"]


def test_a_stopped_feed_says_so_and_hears_nothing(two_sqlite_desks) -> None:
    booking_desk, watching_desk = two_sqlite_desks
    heard = Heard(watching_desk)
    feed = ChangeFeed(watching_desk, poll_seconds=0.1)
    feed.start()
    wait_state(feed, FeedState.POLLING)
    feed.stop()
    assert feed.state is FeedState.STOPPED
    book_at(booking_desk, 10)
    time.sleep(0.3)
    assert heard.kinds == []


@pytest.mark.postgres
def test_the_booking_desk_does_not_hear_its_own_booking_back_on_postgresql(two_pg_desks) -> None:
    booking_desk, watching_desk = two_pg_desks
    own_ear, other_ear = Heard(booking_desk), Heard(watching_desk)
    with ChangeFeed(booking_desk) as own_feed, ChangeFeed(watching_desk) as other_feed:
        wait_state(own_feed, FeedState.LISTENING)
        wait_state(other_feed, FeedState.LISTENING)
        appointment = book_at(booking_desk, 10)
        other_ear.wait_for("appointments")
        time.sleep(0.5)  # time enough for the echo to arrive, were it not dropped
    assert len(own_ear.notices) == 1, own_ear.notices  # the commit's own notice, nothing more
    notice = own_ear.notices[0]
    assert not notice.remote and notice.ids_of("appointments") == [appointment]
    assert [n.remote for n in other_ear.notices] == [True]
    assert own_feed.echoes_dropped >= 1


def test_the_booking_desk_does_not_hear_its_own_booking_back_on_sqlite(two_sqlite_desks) -> None:
    booking_desk, watching_desk = two_sqlite_desks
    own_ear, other_ear = Heard(booking_desk), Heard(watching_desk)
    with (
        ChangeFeed(booking_desk, poll_seconds=0.1) as own_feed,
        ChangeFeed(watching_desk, poll_seconds=0.1) as other_feed,
    ):
        wait_state(own_feed, FeedState.POLLING)
        wait_state(other_feed, FeedState.POLLING)
        time.sleep(0.3)  # one poll each to learn the starting point
        book_at(booking_desk, 10)
        other_ear.wait_for("appointments")
        time.sleep(0.4)
        assert len(own_ear.notices) == 1, own_ear.notices
        assert own_feed.echoes_dropped == 1

        assert not own_ear.notices[0].remote

        # A change by the other desk right after is still heard (not mistaken for an echo).
        own_ear.clear()
        book_at(watching_desk, 11, patient=2)
        own_ear.wait_for("appointments")
    assert [n.remote for n in own_ear.notices] == [True]


def test_a_listener_that_raises_after_the_commit_does_not_fail_the_booking(
    two_sqlite_desks,
) -> None:
    booking_desk, _ = two_sqlite_desks

    def broken(_changes: OpChanges) -> None:
        raise RuntimeError("a screen went wrong")

    booking_desk.on_change.append(broken)
    appointment = book_at(booking_desk, 10)
    with booking_desk.database.session() as session:
        assert session.get(t.Appointment, appointment) is not None


@pytest.mark.postgres
def test_postgresql_triggers_watch_the_tables_sqlite_desks_poll(pg_db: Database) -> None:
    from montu_desktop.persistence.watched import WATCHED_TABLES

    with pg_db.engine.connect() as conn:
        triggers = dict(
            conn.execute(
                text(
                    "SELECT c.relname, tg.tgname FROM pg_trigger tg "
                    "JOIN pg_class c ON c.oid = tg.tgrelid WHERE tg.tgname LIKE 'montu_live_%'"
                )
            ).all()
        )
        args = {
            row[0]: bytes(row[1]).split(b"\x00")[0].decode()
            for row in conn.execute(
                text(
                    "SELECT c.relname, tg.tgargs FROM pg_trigger tg "
                    "JOIN pg_class c ON c.oid = tg.tgrelid WHERE tg.tgname LIKE 'montu_live_%'"
                )
            )
        }
    assert set(triggers) == set(WATCHED_TABLES)
    assert args == {name: kind.value for name, kind in WATCHED_TABLES.items()}
