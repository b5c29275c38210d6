"""PostgreSQL with staff logins: a manager's own login imports patients and appointments, the
server's appointment guard (outbox event, rostered time) is met row by row, and a row it
refuses is named by its line with nothing written."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from montu_desktop.services import imports
from montu_desktop.services.context import NotAllowed
from tests.integration.test_security_pg import TUESDAY, Clinic, clinic, scram  # noqa: F401
from tests.support.clinic import appointment_count

pytestmark = pytest.mark.postgres


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_manager_imports_and_the_server_guard_names_the_line(
    clinic: Clinic,  # noqa: F811
    tmp_path: Path,
) -> None:
    manager = clinic.manager
    people = _write(
        tmp_path / "people.csv",
        [["First Name", "Surname", "DOB"], ["Mei", "Ahmed", "01/02/1990"], ["Tom", "Ng", ""]],
    )
    with pytest.raises(NotAllowed):
        imports.import_patients(clinic.reception, people)
    assert imports.import_patients(manager, people).added == 2
    past = TUESDAY - timedelta(days=3)
    header = ["given_name", "family_name", "date_of_birth", "doctor", "type", "start", "status"]
    rows = [
        ["Mei", "Ahmed", "1990-02-01", "Dr A", "Standard", f"{TUESDAY} 09:00", "booked"],
        ["Tom", "Ng", "", "Dr B", "Long", f"{TUESDAY} 10:00", "booked"],
        ["Tom", "Ng", "", "Dr B", "Standard", f"{TUESDAY} 11:00", "cancelled"],
    ]
    visits = _write(tmp_path / "visits.csv", [header, *rows])
    done = imports.import_appointments(manager, visits)
    assert (done.added, done.refused) == (3, [])
    assert appointment_count(manager) == 2

    # History outside any rostered time: the server's guard holds staff logins to the
    # rosters, and says so for that line (IT's own login may bring such history in).
    history = [
        [*header[:5], "start", "status"],
        ["Mei", "Ahmed", "1990-02-01", "Dr A", "Standard", f"{TUESDAY} 11:30", "booked"],
        ["Tom", "Ng", "", "Dr A", "Standard", f"{past} 07:00", "completed"],
    ]
    result = imports.import_appointments(
        manager, _write(tmp_path / "history.csv", history), outside_roster=True
    )
    assert [(r.line, r.field) for r in result.refused] == [(3, "start")]
    assert "rostered time" in result.refused[0].reason
    assert appointment_count(manager) == 2
    assert date(2026, 11, 24) == TUESDAY
