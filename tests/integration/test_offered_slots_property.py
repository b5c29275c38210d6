"""Property: any slot availability offers can be booked, and what it refuses cannot."""

from __future__ import annotations

import random
from datetime import date, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import new_patients, overlapping_pairs, tiny_clinic

TUESDAY = date(2026, 11, 24)
KINDS = ("Standard", "Long", "Procedure")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_offered_slots_book_and_unavailable_ones_refuse(sqlite_db_factory, clock, data) -> None:
    ctx = ServiceContext(
        sqlite_db_factory(), clock=clock, rng=random.Random(data.draw(st.integers(0, 99)))
    )
    tiny_clinic(ctx, doctors=data.draw(st.integers(1, 3)), hours=(time(9), time(11)))
    patients = iter(new_patients(ctx, 40))
    for _ in range(data.draw(st.integers(1, 12))):
        kind = data.draw(st.sampled_from(KINDS))
        week = week_availability(ctx, kind, TUESDAY)
        slots = [s for d in week.days for s in d.slots]
        slot = data.draw(st.sampled_from(slots))
        request = BookingRequest(kind, slot.starts_at, next(patients))
        if slot.free_doctors > 0:
            book_appointment(ctx, request)
        else:
            try:
                book_appointment(ctx, request)
            except InvalidRequest:
                pass
            else:
                raise AssertionError(f"booked a slot availability called {slot.unavailable}")
    assert overlapping_pairs(ctx) == 0
