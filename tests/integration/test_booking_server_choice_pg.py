"""PostgreSQL's booking function (montu_book, migration 0024_perf_booking) chooses the doctor
as the domain's pick_doctor does, on random small rosters and loads: the same free doctors
with the same booked and rostered minutes, the least loaded (one of the tied, when tied),
the one asked for, or the same refusal in the same words."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from montu_desktop.domain import booking as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import Roster, epoch
from montu_desktop.persistence import booking_rows as rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import ZONE
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import FixedClock

pytestmark = pytest.mark.postgres
DOCTORS = 4
SLOTS = 12  # 09:00 to 12:00 in 15 minutes
TYPES = {"Standard": 15, "Long": 30}

blocks = st.lists(
    st.tuples(st.integers(-2, SLOTS), st.integers(1, 8)), max_size=2
)  # (first slot, slots long); may start before opening or run past closing
examples = st.fixed_dictionaries(
    {
        "blocks": st.lists(blocks, min_size=DOCTORS, max_size=DOCTORS),
        "booked": st.lists(
            st.lists(st.integers(0, SLOTS - 1), max_size=4, unique=True),
            min_size=DOCTORS,
            max_size=DOCTORS,
        ),
        "skipped": st.sets(st.integers(0, DOCTORS - 1), max_size=2),
        "held": st.sets(st.integers(0, DOCTORS - 1), max_size=2),
        "requested": st.none() | st.integers(0, DOCTORS - 1),
        "start": st.integers(0, SLOTS - 2),
        "type": st.sampled_from(sorted(TYPES)),
        "pick": st.floats(0, 1, exclude_max=True),
    }
)


@pytest.fixture
def clinic(pg_db: Database, clock: FixedClock) -> tuple[ServiceContext, list[int], list[int]]:
    ctx = ServiceContext(pg_db, clock=clock, rng=random.Random(5), actor="test")
    doctors = tiny_clinic(ctx, doctors=DOCTORS)
    return ctx, doctors, new_patients(ctx, 1 + DOCTORS * 4)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(example=examples)
def test_the_server_chooses_as_the_domain_does(clinic, example) -> None:  # type: ignore[no-untyped-def]
    ctx, doctors, patients = clinic
    day = to_local(ctx.clock(), ZONE).date() + timedelta(days=1)
    if day.weekday() == 6:  # the tiny clinic opens Monday to Saturday
        day += timedelta(days=1)
    opens = at(day, 9)
    slot = timedelta(minutes=15)
    minutes = TYPES[example["type"]]
    start = opens + example["start"] * slot
    end = start + timedelta(minutes=minutes)
    with ctx.database.session(write=True) as session:  # rolled back: every example starts alike
        type_id = session.execute(
            text("SELECT id FROM appointment_type WHERE name = :n"), {"n": example["type"]}
        ).scalar_one()
        session.execute(text("DELETE FROM doctor_schedule WHERE day = :day"), {"day": day})
        others = iter(patients[1:])
        for doctor, doctor_blocks, booked in zip(
            doctors, example["blocks"], example["booked"], strict=True
        ):
            for first, length in doctor_blocks:
                session.execute(
                    text(
                        "INSERT INTO doctor_schedule (doctor_id, day, start_at, end_at, source)"
                        " VALUES (:d, :day, :s, :e, 'template')"
                    ),
                    {
                        "d": doctor,
                        "day": day,
                        "s": opens + first * slot,
                        "e": opens + (first + length) * slot,
                    },
                )
            for index in booked:
                session.execute(
                    text(
                        "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at,"
                        " status, created_by, created_at, updated_at) VALUES"
                        " (:d, :p, :t, :s, :e, 'booked', 'test', :now, :now)"
                    ),
                    {
                        "d": doctor,
                        "p": next(others),
                        "t": type_id,
                        "s": opens + index * slot,
                        "e": opens + (index + 1) * slot,
                        "now": ctx.clock(),
                    },
                )
        for index in example["skipped"]:
            session.execute(
                text("INSERT INTO doctor_type_skipped (doctor_id, type_id) VALUES (:d, :t)"),
                {"d": doctors[index], "t": type_id},
            )
        held = sorted(doctors[i] for i in example["held"])
        requested = None if example["requested"] is None else doctors[example["requested"]]
        expected = _domain_choice(session, day, start, end, type_id, held, requested)
        answer = rows.book_on_server(
            session,
            patient_id=patients[0],
            type_id=type_id,
            length_minutes=minutes,
            start=epoch(start),
            day=day,
            doctor_id=requested,
            note=None,
            urgent=False,
            held=held,
            slot_minutes=15,
            earliest=0,
            latest=epoch(start) + 86400,
            now=ctx.clock(),
            actor="test",
            type_name=example["type"],
            zone=ZONE,
            lock_timeout_seconds=5,
            pick=example["pick"],
        )
        if isinstance(expected, InvalidRequest):
            assert answer.appointment_id is None
            assert str(rules.pick_refusal(answer.outcome)) == str(expected)
            assert type(rules.pick_refusal(answer.outcome)) is type(expected)
            return
        assert answer.outcome == ("requested" if expected.requested else "booked")
        got = tuple(
            rules.Candidate(*c)
            for c in zip(
                answer.candidate_ids,
                answer.candidate_booked,
                answer.candidate_rostered,
                strict=True,
            )
        )
        assert got == expected.candidates
        least = min(c.load for c in expected.candidates)
        tied = [c.doctor_id for c in expected.candidates if c.load == least]
        assert answer.doctor_id in ([requested] if expected.requested else tied)
        assert answer.doctor_id == tied[min(int(example["pick"] * len(tied)), len(tied) - 1)] or (
            expected.requested
        )


def _domain_choice(session, day, start, end, type_id, held, requested):  # type: ignore[no-untyped-def]
    """What the Python path decides (services/booking.py _pick_doctor) on the same rows:
    the doctors statement, and the rostered minutes as rostered_minutes_on counts them."""
    clinic_day = repo.clinic_days(session, day, day)[day]
    around = rows.doctors_around(session, clinic_day, start, end, type_id=type_id)
    opens, closes = epoch(clinic_day.opens), epoch(clinic_day.closes)
    week = Roster.from_blocks(repo.roster_blocks(session, day, day))
    cached = {
        d: sum(min(e, closes) - max(s, opens) for s, e in blocks if s < closes and e > opens) // 60
        for d, blocks in week.blocks.items()
    }
    touching = rules.rostered_minutes(around.roster)
    try:
        return rules.pick_doctor(
            around.roster,
            rules.TimeRange(epoch(start), epoch(end)),
            random.Random(1),
            taken=around.clashing,
            booked=around.booked_minutes,
            rostered={d: max(cached.get(d, 0), m) for d, m in touching.items()},
            skipped=around.skipped,
            held=set(held),
            requested=requested,
        )
    except InvalidRequest as refusal:
        return refusal
