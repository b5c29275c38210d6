"""After an edit at another desk, every cache this desk keeps answers fresh by the time it acts.

A desk keeps reference data (ReferenceCache, the week frames inside it), the weeks it shows
(WarmWeeks) and, when it serves the API, the website's answers (a WarmWeeks store with the
bytes sent). Another desk edits what each is computed from: held time, the types a doctor
performs, a booking. The moment this desk's change feed announces it (where a screen reloads
or the next request is answered), every cache answers as a new context computing afresh
does: `ServiceContext.drop_cached` drops them all before any listener hears (bench/FRESHNESS.md).
"""

from __future__ import annotations

import json
import random
import threading
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from datetime import time as clock_time

import pytest

from montu_desktop.api.app import create_app
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.persistence.engine import Database
from montu_desktop.services import online
from montu_desktop.services.admin import doctor_types, holds
from montu_desktop.services.availability import WeekAvailability, week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.live import ChangeFeed, FeedState
from montu_desktop.services.scheduling_reference import hold_policy, skipped_types
from montu_desktop.services.warm_weeks import WarmWeeks
from montu_desktop.services.week_json import week_document
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import FixedClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient


class Desk:
    """What this desk's caches answer at the instant a change notice reaches its listeners."""

    def __init__(self, ctx: ServiceContext, day: date) -> None:
        self.ctx, self.day = ctx, day
        self.store = WarmWeeks(ctx)
        self.seen: list[tuple[WeekAvailability, object, object]] = []
        self._heard = threading.Condition()
        # Listening before the store exists, as the desk's screens do (MainWindow's change
        # bridge is attached before its warm weeks): caches still drop first.
        ctx.on_change.insert(0, self._hear)

    def _hear(self, changes: OpChanges) -> None:  # the feed's thread, as a screen's bridge
        seen = (
            self.store.week("Standard", self.day),
            hold_policy(self.ctx),
            skipped_types(self.ctx),
        )
        with self._heard:
            self.seen.append(seen)
            self._heard.notify_all()

    def after(self, edit: Callable[[], object]) -> tuple[WeekAvailability, object, object]:
        with self._heard:
            count = len(self.seen)
        edit()
        with self._heard:
            assert self._heard.wait_for(lambda: len(self.seen) > count, 5.0), "edit not heard"
            return self.seen[-1]


def test_every_kept_cache_answers_fresh_when_another_desks_edit_is_heard(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    first, second = tiny_clinic(ctx, doctors=2)
    (patient,) = new_patients(ctx, 1)
    day = to_local(clock(), "Australia/Melbourne").date() + timedelta(days=1)
    _key, token = online.create_api_key(ctx, "site", "availability", rate="10000/min")
    other_db = Database(ctx.database.url)
    other = ServiceContext(other_db, clock=clock, rng=random.Random(3), actor="other")
    desk = Desk(ctx, day)
    store = desk.store

    def fresh() -> tuple[WeekAvailability, object, object]:
        new = ServiceContext(ctx.database, clock=clock)  # a cache of its own, empty
        return week_availability(new, "Standard", day), hold_policy(new), skipped_types(new)

    try:
        with (
            ChangeFeed(ctx, poll_seconds=0.1) as feed,
            TestClient(create_app(ctx)) as api,
        ):
            _wait_heard_from_start(feed)
            api.headers["Authorization"] = f"Bearer {token}"

            def website() -> object:
                answer = api.get("/v1/availability", params={"type": "Standard", "week": day})
                assert answer.status_code == 200, answer.text
                return answer.json()

            edits: list[Callable[[], object]] = [
                lambda: holds.add_hold(other, first, day.weekday(), clock_time(10), clock_time(11)),
                lambda: doctor_types.set_doctor_types(other, second, ["Long", "Procedure"]),
                lambda: book_appointment(other, BookingRequest("Standard", at(day, 9), patient)),
            ]
            for edit in edits:
                before = (store.week("Standard", day), website())
                hold_policy(ctx), skipped_types(ctx)  # all warm before the edit
                at_notice = desk.after(edit)
                expected = fresh()
                assert expected[0] != before[0], "each edit changes the week"
                assert at_notice == expected
                assert website() == json.loads(json.dumps(week_document(expected[0])))
    finally:
        other_db.dispose()
        store.close()


def _wait_heard_from_start(feed: ChangeFeed) -> None:
    deadline = time.monotonic() + 10
    while feed.state not in (FeedState.LISTENING, FeedState.POLLING):
        if time.monotonic() > deadline:
            pytest.fail(f"feed stayed {feed.state}")
        time.sleep(0.02)
    time.sleep(0.3)  # a poll or two to learn the starting point
