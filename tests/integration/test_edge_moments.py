"""The product at the edges of the calendar and the clock, in the clinic's own time zone.

Each moment is pinned (a FixedClock in-process, MONTU_NOW for the processes started here):
late on a Sunday and just after midnight on a Monday (a UTC machine is still on Sunday then),
the last night of daylight saving in Melbourne and the first, New Year's Eve, and 29 February.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from montu_desktop.config.clock import pinned
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.engine import Database
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.patients import add_patient
from montu_desktop.services.reference import clinic_today
from tests.support.clock import FixedClock

ZONE = "Australia/Melbourne"
EDGES = {
    "sunday-23:30": datetime.fromisoformat("2027-03-07T23:30:00+11:00"),
    "monday-00:05": datetime.fromisoformat("2027-03-08T00:05:00+11:00"),
    "last-night-of-daylight-saving": datetime.fromisoformat("2027-04-04T01:30:00+11:00"),
    "first-night-of-daylight-saving": datetime.fromisoformat("2027-10-03T01:30:00+10:00"),
    "new-years-eve": datetime.fromisoformat("2027-12-31T23:30:00+11:00"),
    "29-february": datetime.fromisoformat("2028-02-29T00:05:00+11:00"),
}
ROOT = Path(__file__).resolve().parents[2]


def _clinic_at(database: Database, moment: datetime) -> ServiceContext:
    import random

    ctx = ServiceContext(database, clock=FixedClock(moment), rng=random.Random(5), actor="edge")
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=2, fill=0.0, seed=5)
    return ctx


@pytest.mark.parametrize("moment", EDGES.values(), ids=EDGES.keys())
def test_the_clinics_today_week_and_first_free_time(any_db: Database, moment: datetime) -> None:
    ctx = _clinic_at(any_db, moment)
    today = clinic_today(ctx)
    assert today == moment.date()  # the clinic's date, whatever the machine's (UTC) date is
    now = ctx.clock()
    free = []
    for week_of in (today, today + timedelta(weeks=1)):
        week = week_availability(ctx, "Standard", week_of)
        assert week.monday == week_of - timedelta(days=week_of.weekday())
        for day in week.days:
            locals_ = [to_local(s.starts_at, ZONE) for s in day.slots]
            # Every start sits on the clinic's own wall-clock grid, across a change of offset too.
            assert all(t.minute % 15 == 0 and t.second == 0 for t in locals_), day.day
            assert all(t.date() == day.day for t in locals_), day.day
            assert len(set(locals_)) == len(locals_)
            for slot, local in zip(day.slots, locals_, strict=True):
                if local < to_local(now, ZONE):
                    assert not slot.available, (day.day, local)
                elif slot.available:
                    free.append(local)
    assert free, "no free time this week or next"
    patient = add_patient(ctx, PatientDetails("Eddie", "Edge", phone="0412 555 010"))
    booked = book_appointment(ctx, BookingRequest("Standard", free[0], patient.id))
    assert to_local(booked.start, ZONE) == free[0]


CLI_EDGES = ("monday-00:05", "last-night-of-daylight-saving")


@pytest.mark.slow
@pytest.mark.parametrize("moment", [EDGES[k] for k in CLI_EDGES], ids=CLI_EDGES)
def test_the_command_line_books_at_the_moment(tmp_path: Path, moment: datetime) -> None:
    url = f"sqlite:///{tmp_path / 'edge.sqlite3'}"
    env = {**os.environ, "MONTU_NOW": pinned(moment), "MONTU_DATABASE_URL": url}

    def montu(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "montu_desktop", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    montu("db", "upgrade")
    montu("demo-data", "--doctors", "2", "--weeks", "2", "--seed", "5")
    week = json.loads(
        montu("availability", "--type", "Standard", "--week", moment.date().isoformat(), "--json")
    )
    later = [
        s["start"]
        for day in week["days"]
        for s in day["slots"]
        if s["free_doctors"] > 0 and datetime.fromisoformat(s["start"]) > moment
    ]
    patient = json.loads(montu("patients", "add", "--given", "Cli", "--family", "Edge", "--json"))
    if later:  # late on a Sunday nothing is left of the week: next week's first time instead
        first = later[0]
    else:
        nxt = (moment.date() + timedelta(weeks=1)).isoformat()
        week = json.loads(montu("availability", "--type", "Standard", "--week", nxt, "--json"))
        first = next(s["start"] for d in week["days"] for s in d["slots"] if s["free_doctors"])
    booked = json.loads(
        montu(
            "book",
            "--type",
            "Standard",
            "--start",
            first,
            "--patient",
            str(patient["id"]),
            "--json",
        )
    )
    assert datetime.fromisoformat(booked["start"]) == datetime.fromisoformat(first)


@pytest.mark.slow
@pytest.mark.parametrize(
    "moment", [EDGES["sunday-23:30"], EDGES["monday-00:05"]], ids=["sunday-23:30", "monday-00:05"]
)
def test_the_self_test_passes_late_on_sunday_and_just_after_midnight(moment: datetime) -> None:
    """The installed build's self-test once asked for the machine's week (UTC), not the
    clinic's: it failed every Sunday from 13:00 UTC, and the build refused to make a bundle."""
    done = subprocess.run(
        [sys.executable, "-m", "montu_desktop", "--self-test"],
        capture_output=True,
        text=True,
        env={**os.environ, "MONTU_NOW": pinned(moment)},
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "self-test: ok"
