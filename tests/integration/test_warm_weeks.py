"""The desk's warm weeks answer exactly as a fresh computation would, on SQLite and PostgreSQL:
after a booking here, one heard from another desk, a roster or type edit, and as the clock
passes a slot start inside the minimum notice or a hold's release instant."""

from __future__ import annotations

import random
import threading
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, update

from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import Database
from montu_desktop.services import warm_weeks
from montu_desktop.services.admin import holds, types
from montu_desktop.services.availability import WeekAvailability, week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.live import ChangeFeed
from montu_desktop.services.reference_cache import ReferenceCache
from montu_desktop.services.schedules import regenerate_schedules
from montu_desktop.services.unit_of_work import UnitOfWork
from montu_desktop.services.warm_weeks import WarmWeeks
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import FixedClock

TUESDAY = date(2026, 11, 24)


def kept_then(
    store: WarmWeeks, ctx: ServiceContext, type_name: str = "Standard"
) -> WeekAvailability:
    """Warm the week and check it is answered from the store (the premise of every test)."""
    before = store.week(type_name, TUESDAY)
    hits = store.hits
    assert store.week(type_name, TUESDAY) is before and store.hits == hits + 1
    return before


def assert_fresh(store: WarmWeeks, ctx: ServiceContext, before: WeekAvailability) -> None:
    fresh = week_availability(ctx, "Standard", TUESDAY)
    assert fresh != before, "the change under test should change the week"
    assert store.week("Standard", TUESDAY) == fresh


def test_a_booking_at_this_desk_drops_the_week(ctx: ServiceContext) -> None:
    tiny_clinic(ctx, doctors=1)
    (patient,) = new_patients(ctx, 1)
    store = WarmWeeks(ctx)
    before = kept_then(store, ctx)
    book_appointment(ctx, BookingRequest("Standard", at(TUESDAY, 10), patient))
    assert_fresh(store, ctx, before)


def test_a_booking_heard_from_another_desk_drops_the_week(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    tiny_clinic(ctx, doctors=1)
    (patient,) = new_patients(ctx, 1)
    other_db = Database(ctx.database.url)
    other = ServiceContext(other_db, clock=clock, rng=random.Random(3), actor="other")
    store = WarmWeeks(ctx)
    heard = threading.Event()

    def listen(changes: OpChanges) -> None:
        if changes.touches("appointments"):
            heard.set()

    try:
        with ChangeFeed(ctx, poll_seconds=0.1) as feed:
            _wait_listening(feed)
            before = kept_then(store, ctx)
            ctx.on_change.append(listen)  # caches are dropped before any listener hears
            book_appointment(other, BookingRequest("Standard", at(TUESDAY, 10), patient))
            assert heard.wait(5.0), "the feed did not hear the other desk's booking"
            assert_fresh(store, ctx, before)
    finally:
        other_db.dispose()


def _wait_listening(feed: ChangeFeed) -> None:
    import time as clock_time

    from montu_desktop.services.live import FeedState

    deadline = clock_time.monotonic() + 10
    while feed.state not in (FeedState.LISTENING, FeedState.POLLING):
        assert clock_time.monotonic() < deadline, f"feed stayed {feed.state}"
        clock_time.sleep(0.02)
    clock_time.sleep(0.3)  # a poll or two to learn the starting point


def test_a_roster_edit_drops_the_week(ctx: ServiceContext) -> None:
    tiny_clinic(ctx, doctors=2)
    store = WarmWeeks(ctx)
    before = kept_then(store, ctx)
    with UnitOfWork(ctx, write=True) as uow:
        block = uow.session.scalars(select(t.RosterTemplate).order_by(t.RosterTemplate.id)).first()
        assert block is not None
        block.ends = time(10)
        uow.touches("reference")
        uow.commit()
    regenerate_schedules(ctx)
    assert_fresh(store, ctx, before)


def test_a_type_edit_drops_the_week(ctx: ServiceContext) -> None:
    tiny_clinic(ctx, doctors=1)
    store = WarmWeeks(ctx)
    kind = next(k for k in types.list_types(ctx) if k.name == "Standard")
    before = kept_then(store, ctx)
    types.edit_type(ctx, kind.id, "Standard", 45, kind.colour, True)
    assert_fresh(store, ctx, before)


def test_the_clock_passing_a_slot_start_inside_the_notice_drops_the_week(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    tiny_clinic(ctx, doctors=1)
    with UnitOfWork(ctx, write=True) as uow:
        uow.session.execute(update(t.Clinic).values(min_notice_minutes=60))
        uow.touches("reference")
        uow.commit()
    clock.now = at(TUESDAY, 9) - timedelta(minutes=60)  # 09:00 is just bookable
    store = WarmWeeks(ctx)
    before = kept_then(store, ctx)
    clock.advance(seconds=1)  # 09:00 is now inside the hour's notice
    assert_fresh(store, ctx, before)
    slot = store.week("Standard", TUESDAY).slot_at(at(TUESDAY, 9))
    assert slot is not None and slot.free_doctors == 0


def test_a_hold_releasing_itself_drops_the_week(ctx: ServiceContext, clock: FixedClock) -> None:
    (a,) = tiny_clinic(ctx, doctors=1)
    holds.add_hold(ctx, a, TUESDAY.weekday(), time(11), time(11, 30))
    clock.now = at(TUESDAY, 9) - timedelta(seconds=1)  # released two hours before 11:00
    store = WarmWeeks(ctx)
    before = kept_then(store, ctx)
    clock.advance(seconds=1)
    assert_fresh(store, ctx, before)
    slot = store.week("Standard", TUESDAY).slot_at(at(TUESDAY, 11))
    assert slot is not None and slot.free_doctors == 1


def test_a_week_computed_across_a_change_is_not_kept(
    sqlite_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_clinic(sqlite_ctx, doctors=1)
    store = WarmWeeks(sqlite_ctx)
    compute = warm_weeks.week_availability

    def computed_while_someone_books(*args: object, **kwargs: object) -> WeekAvailability:
        week = compute(*args, **kwargs)  # type: ignore[arg-type]
        sqlite_ctx.changed("appointments")
        return week

    monkeypatch.setattr(warm_weeks, "week_availability", computed_while_someone_books)
    store.week("Standard", TUESDAY)
    assert not store.is_warm("Standard", TUESDAY)


def test_the_store_keeps_a_handful_of_weeks_and_follows_the_reference_cache(
    sqlite_db: Database, clock: FixedClock
) -> None:
    ticks = [0.0]
    ctx = ServiceContext(sqlite_db, cache=ReferenceCache(clock=lambda: ticks[0]), clock=clock)
    tiny_clinic(ctx, doctors=1)
    store = WarmWeeks(ctx, capacity=2)
    for weeks in range(3):
        store.week("Standard", TUESDAY + timedelta(weeks=weeks))
    assert not store.is_warm("Standard", TUESDAY)
    assert store.is_warm("standard", TUESDAY + timedelta(weeks=2))
    ticks[0] = ctx.cache.ttl  # what the week was computed from would be reloaded now
    assert not store.is_warm("Standard", TUESDAY + timedelta(weeks=2))
    store.week("Standard", TUESDAY)
    ctx.cache.invalidate()
    assert not store.is_warm("Standard", TUESDAY)


def test_notification_queue_changes_keep_the_week_and_a_closed_store_listens_no_more(
    sqlite_ctx: ServiceContext,
) -> None:
    tiny_clinic(sqlite_ctx, doctors=1)
    store = WarmWeeks(sqlite_ctx)
    store.week("Standard", TUESDAY)
    sqlite_ctx.changed("notifications")
    assert store.is_warm("Standard", TUESDAY)
    sqlite_ctx.changed("waitlist")
    assert not store.is_warm("Standard", TUESDAY)
    store.close()
    assert store._heard not in sqlite_ctx.caches


def test_dropping_without_a_change_drops_every_layer(sqlite_ctx: ServiceContext) -> None:
    """Sign-in and the daily roll-forward cannot say what changed: every layer goes."""
    tiny_clinic(sqlite_ctx, doctors=1)
    store = WarmWeeks(sqlite_ctx)
    store.week("Standard", TUESDAY)
    generation = sqlite_ctx.cache.generation
    sqlite_ctx.drop_cached()
    assert sqlite_ctx.cache.generation == generation + 1
    assert not store.is_warm("Standard", TUESDAY)
