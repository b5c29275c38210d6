"""Reading other systems' CSV files: headers by their common names, lines as a person counts
them, the export's formula apostrophe undone, dates, times and statuses as written elsewhere."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from montu_desktop.domain import csv_import as ci
from montu_desktop.domain.errors import InvalidRequest


def test_headers_by_their_common_names_and_the_likeliest_column_first() -> None:
    data = (
        "\ufeffFirst_Name;SURNAME;D.O.B.;Home Phone;Mobile;Notes\r\n"
        "Ivy;Stone;17/05/1980;03 9000 0000;0412 345 678;x\r\n"
        "Sam;Lee;;03 9123 4567;;\r\n"
    ).encode()
    table = ci.read_table(data, ci.PATIENTS)
    assert table.ignored == ("Notes",)
    assert [r.cells for r in table.rows] == [
        {"given_name": "Ivy", "family_name": "Stone", "date_of_birth": "17/05/1980",
         "phone": "0412 345 678"},
        {"given_name": "Sam", "family_name": "Lee", "phone": "03 9123 4567"},
    ]  # fmt: skip


def test_lines_count_as_the_file_shows_them() -> None:
    data = (
        'given_name,family_name,email\r\n'
        '\r\n'
        'Ivy,Stone,\r\n'
        '"Zo\u00eb","O\'Connor\r\nNg",z@example.com\r\n'
        'Sam,Lee,\r\n'
    ).encode()  # fmt: skip
    rows = ci.read_table(data, ci.PATIENTS).rows
    assert [r.line for r in rows] == [3, 4, 6]  # a blank line skipped, a quoted line break kept


def test_the_exports_formula_apostrophe_comes_off_once() -> None:
    assert ci.undo_formula_guard("'=Ngô") == "=Ngô"
    assert ci.undo_formula_guard("'@SUM(1+1) knee") == "@SUM(1+1) knee"
    assert ci.undo_formula_guard("''=x") == "''=x"
    assert ci.undo_formula_guard("O'Connor") == "O'Connor"
    assert ci.undo_formula_guard("'Brien") == "'Brien"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\xff\xfeg\x00", "is not UTF-8 text"),
        (b"", "has no header line"),
        (b"a,b\x00\r\n", "NUL"),
        (b"id,phone\r\n1,0412\r\n", "has no column for the given name"),
        (b'given_name,family_name\r\n"Ivy,Stone\r\n', "cannot be read as CSV"),
    ],
)
def test_an_unreadable_file_is_refused_naming_the_file(data: bytes, said: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        ci.read_table(data, ci.PATIENTS)
    assert refused.value.field == "file" and said in refused.value.reason


def test_appointments_need_a_patient_doctor_type_and_start() -> None:
    with pytest.raises(InvalidRequest, match="patient id"):
        ci.read_table(b"doctor,type,start\r\n", ci.APPOINTMENTS)
    table = ci.read_table(
        b"Surname,Practitioner,Appointment Type,Date,Time\r\nStone,Dr A,Long,24/11/2026,9:15 AM\r\n",
        ci.APPOINTMENTS,
    )
    assert ci.start_text(table.rows[0]) == "24/11/2026 9:15 AM"


def test_dates_and_times_as_other_systems_write_them() -> None:
    assert ci.wall_time("24/11/2026 9:15 AM") == datetime(2026, 11, 24, 9, 15)
    assert ci.wall_time("24/11/2026 14:30") == datetime(2026, 11, 24, 14, 30)
    assert ci.wall_time("2026-11-24 09:00") == datetime(2026, 11, 24, 9)
    aware = ci.wall_time("2026-11-24T09:00:00+11:00")
    assert aware.utcoffset() == timedelta(hours=11) and aware.time() == time(9)
    with pytest.raises(InvalidRequest) as refused:
        ci.wall_time("tomorrow morning")
    assert refused.value.field == "start"


def test_statuses_by_other_names() -> None:
    assert [ci.status_value(s) for s in ("", "Attended", "DNA", "No-Show", "Canceled", "did_not_wait")] == [
        "booked", "completed", "no_show", "no_show", "cancelled", "did_not_wait",
    ]  # fmt: skip
    with pytest.raises(InvalidRequest) as refused:
        ci.status_value("maybe")
    assert refused.value.field == "status"
    assert ci.yes_no("", "sms_reminders", True) is True
    assert ci.yes_no("No", "sms_reminders", True) is False
    with pytest.raises(InvalidRequest):
        ci.yes_no("perhaps", "sms_reminders", True)
