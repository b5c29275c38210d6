"""`montu-desktop --self-test`: proves an installed build works, without touching the clinic's data.

On a throw-away SQLite database it migrates the schema, creates the demo clinic, computes
a week's availability, books and cancels one appointment through the services, and opens
the main window offscreen. It prints one line per step; exit status 0 when all pass, 1 with
a line naming the failed step and the reason otherwise.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from montu_desktop import APP_NAME, __version__
from montu_desktop.domain.availability import Slot
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import sqlite_url
from montu_desktop.services import availability, booking, demo_data, patients, reference
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.runtime import open_database

EXIT_OK, EXIT_FAILED = 0, 1
TYPE_NAME = "Standard"

WindowCheck = Callable[[ServiceContext], str | None]
"""Opens the main window on the context offscreen, lets it settle, closes it: a problem or None."""

log = logging.getLogger(__name__)


class SelfTestFailed(Exception):
    """One step did not do what it should; the message says what was seen."""


@dataclass
class _Run:
    ctx: ServiceContext
    slot: Slot | None = None
    week_of: date | None = None
    free_before: int = 0
    appointment_id: int | None = None


def run(window_check: WindowCheck, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run every step on a temporary database; 0 when all pass, 1 at the first failure."""
    out, err = out or sys.stdout, err or sys.stderr
    print(f"self-test: {APP_NAME} {__version__}", file=out)
    with tempfile.TemporaryDirectory(prefix="montu-self-test-") as folder:
        database_path = Path(folder) / "self-test.sqlite3"
        step = "migrate a new SQLite database"
        database = None
        try:
            started = time.perf_counter()
            database = open_database(sqlite_url(database_path).render_as_string())
            state = migrate.schema_state(database)
            if state is not migrate.SchemaState.CURRENT:
                raise SelfTestFailed(f"the schema is {state.value} after migrating")
            _passed(out, step, started)
            state_of_run = _Run(ServiceContext(database, actor="self-test"))
            steps: list[tuple[str, Callable[[_Run], None]]] = [
                ("create the demo clinic", _create_clinic),
                ("compute availability", _compute_availability),
                ("book an appointment", _book),
                ("cancel it", _cancel),
                ("open the main window offscreen", lambda r: _open_window(r, window_check)),
            ]
            for step, action in steps:
                started = time.perf_counter()
                action(state_of_run)
                _passed(out, step, started)
        except Exception as exc:  # every failure becomes one clear line and exit status 1
            log.exception("self-test failed at: %s", step)
            reason = str(exc).splitlines()[0] if str(exc) else ""
            print(f"self-test: FAILED at '{step}': {type(exc).__name__}: {reason}", file=err)
            return EXIT_FAILED
        finally:
            if database is not None:
                database.dispose()
    print("self-test: ok", file=out)
    return EXIT_OK


def _passed(out: TextIO, step: str, started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"self-test: {step}: ok ({elapsed_ms:.0f} ms)", file=out)


def _create_clinic(run: _Run) -> None:
    summary = demo_data.create_demo_clinic(run.ctx, doctors=3, weeks=2, seed=7, patients=20)
    if summary.doctors != 3 or summary.patients != 20:
        raise SelfTestFailed(f"asked for 3 doctors and 20 patients, got {summary}")


def _free_doctors(run: _Run, slot: Slot, week_of: date) -> int:
    found = availability.week_availability(run.ctx, TYPE_NAME, week_of).slot_at(slot.starts_at)
    return found.free_doctors if found else 0


def _compute_availability(run: _Run) -> None:
    earliest = run.ctx.clock() + timedelta(hours=1)  # far enough ahead not to pass meanwhile
    today = reference.clinic_today(run.ctx)
    for week_of in (today, today + timedelta(weeks=1)):
        week = availability.week_availability(run.ctx, TYPE_NAME, week_of)
        free = [
            slot
            for day in week.days
            for slot in day.slots
            if slot.available and slot.starts_at >= earliest
        ]
        if free:
            run.slot, run.week_of, run.free_before = free[0], week_of, free[0].free_doctors
            return
    raise SelfTestFailed("no free Standard slot this week or next in the demo clinic")


def _chosen(run: _Run) -> tuple[Slot, date]:
    if run.slot is None or run.week_of is None:
        raise SelfTestFailed("no slot was chosen")
    return run.slot, run.week_of


def _book(run: _Run) -> None:
    slot, week_of = _chosen(run)
    patient = patients.add_patient(run.ctx, PatientDetails(given_name="Self", family_name="Test"))
    booked = booking.book_appointment(
        run.ctx, booking.BookingRequest(TYPE_NAME, slot.starts_at, patient.id)
    )
    run.appointment_id = booked.id
    now_free = _free_doctors(run, slot, week_of)
    if now_free != run.free_before - 1:
        raise SelfTestFailed(
            f"booking left {now_free} doctors free at the slot (expected {run.free_before - 1})"
        )


def _cancel(run: _Run) -> None:
    slot, week_of = _chosen(run)
    if run.appointment_id is None:
        raise SelfTestFailed("nothing was booked")
    cancelled = booking.cancel_appointment(run.ctx, run.appointment_id)
    if cancelled.status != "cancelled":
        raise SelfTestFailed(f"the appointment is {cancelled.status} after cancelling")
    now_free = _free_doctors(run, slot, week_of)
    if now_free != run.free_before:
        raise SelfTestFailed(
            f"cancelling left {now_free} doctors free at the slot (expected {run.free_before})"
        )


def _open_window(run: _Run, window_check: WindowCheck) -> None:
    problem = window_check(run.ctx)
    if problem:
        raise SelfTestFailed(problem)
