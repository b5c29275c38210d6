"""Control characters, the date window and the search limit, refused alike at every door.

The service refuses them (so the desk, the command line and the API alike), naming the field;
what the command line prints from older rows is escaped. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import SEARCH_MAX_CHARS, PatientDetails
from montu_desktop.services import booking, patients, waitlist
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.cli_runner import Run, in_process_cli
from tests.support.clinic import at, tiny_clinic

TUESDAY = date(2026, 11, 24)
ESCAPES = "A\x01\x07\x1b[31mB"


@pytest.fixture
def cli(ctx, clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:  # type: ignore[no-untyped-def]
    return in_process_cli(ctx, clock, monkeypatch, capsys)


def _snapshot(ctx: ServiceContext) -> tuple[object, ...]:
    with UnitOfWork(ctx) as uow:
        s = uow.session
        return (
            s.execute(text("SELECT id, given_name, family_name FROM patient ORDER BY id")).all(),
            s.execute(text("SELECT id, note, status, cancel_reason FROM appointment")).all(),
        )


@pytest.mark.parametrize(
    "bad", ["A\x00B", ESCAPES, "A\x85B", "A\u202eB", "A\x7fB", "A\x0bB", "A\u2028B"]
)
def test_the_service_refuses_control_characters_in_names_notes_and_reasons(
    ctx: ServiceContext, clock, bad: str
) -> None:
    tiny_clinic(ctx)
    ava = patients.add_patient(ctx, PatientDetails("Ava", "Singh"))
    booked = booking.book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), ava.id))
    before = _snapshot(ctx)
    for attempt, field in (
        (lambda: patients.add_patient(ctx, PatientDetails(bad, "Lee")), "given_name"),
        (lambda: patients.add_patient(ctx, PatientDetails("Bo", bad)), "family_name"),
        (lambda: patients.edit_patient(ctx, ava.id, family_name=bad), "family_name"),
        (
            lambda: booking.book_appointment(
                ctx, BookingRequest("Long", at(TUESDAY, 10), ava.id, note=bad)
            ),
            "note",
        ),
        (lambda: booking.set_note(ctx, booked.id, bad), "note"),
        (lambda: booking.cancel_appointment(ctx, booked.id, bad), "reason"),
        (lambda: waitlist.add_to_waitlist(ctx, ava.id, "Long", note=bad), "note"),
        (lambda: patients.find_patients(ctx, bad), "search"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            attempt()
        assert refused.value.field == field
        assert refused.value.reason == (
            f"must not contain control characters (U+{ord(bad[1]):04X} found)"
        )
    assert _snapshot(ctx) == before


def test_line_breaks_stay_in_notes_and_fold_away_in_names_and_reasons(ctx: ServiceContext) -> None:
    tiny_clinic(ctx)
    ava = patients.add_patient(ctx, PatientDetails("Ava\tMaria", "Singh\n"))
    assert (ava.details.given_name, ava.details.family_name) == ("Ava Maria", "Singh")
    booked = booking.book_appointment(ctx, BookingRequest("Long", at(TUESDAY, 9), ava.id))
    assert booking.set_note(ctx, booked.id, "knee\r\nleft").note == "knee\r\nleft"
    with pytest.raises(InvalidRequest) as tab:
        booking.set_note(ctx, booked.id, "knee\tleft")
    assert tab.value.field == "note"
    cancelled = booking.cancel_appointment(ctx, booked.id, "Patient\nunwell")
    assert cancelled.cancel_reason == "Patient unwell"


def test_the_cli_refuses_control_characters_in_one_line_naming_the_field(
    ctx: ServiceContext, cli: Run
) -> None:
    tiny_clinic(ctx)
    code, out, err = cli("patients", "add", "--given", ESCAPES, "--family", "Lee")
    assert (code, out) == (3, "")
    assert err == ("refused: given_name: must not contain control characters (U+0001 found)\n")
    code, out, err = cli("patients", "add", "--given", "Bo", "--family", "A\u202eB")
    assert code == 3 and err.count("\n") == 1 and "\u202e" not in err
    assert err.startswith("refused: family_name: must not contain control characters (U+202E")
    assert patients.find_patients(ctx, "Lee") == []


def test_patients_show_prints_an_old_rows_control_characters_escaped(
    ctx: ServiceContext, cli: Run
) -> None:
    tiny_clinic(ctx)
    ava = patients.add_patient(ctx, PatientDetails("Ava", "Singh", phone="0412 345 678"))
    with UnitOfWork(ctx, write=True) as uow:  # stored before the rule, as an old row would be
        uow.session.execute(
            text("UPDATE patient SET given_name = :g, family_name = :f WHERE id = :i"),
            {"g": ESCAPES, "f": "Si\u202engh\x9b", "i": ava.id},
        )
        uow.commit()
    code, out, err = cli("patients", "show", str(ava.id))
    assert code == 0, err
    assert "\x1b" not in out and "\x01" not in out and "\x07" not in out
    assert "\u202e" not in out and "\x9b" not in out
    assert "A\\x01\\x07\\x1b[31mB" in out and "Si\\u202engh\\x9b" in out
    code, out, err = cli("patients", "find", "0412 345 678")
    assert code == 0 and "\x1b" not in out and "A\\x01\\x07\\x1b[31mB" in out
    code, out, _ = cli("patients", "show", str(ava.id), "--json")
    assert code == 0 and "\x1b" not in out and "\\u001b" in out


def test_a_search_past_the_limit_is_refused_in_one_line_at_every_door(
    ctx: ServiceContext, cli: Run
) -> None:
    tiny_clinic(ctx)
    patients.add_patient(ctx, PatientDetails("Ava", "Singh"))
    code, out, err = cli("patients", "find", "a" * 100_000)
    assert (code, out) == (3, "")
    assert err == f"refused: search: must be at most {SEARCH_MAX_CHARS} characters\n"
    with pytest.raises(InvalidRequest) as refused:
        patients.find_patients(ctx, "Singh " * 20)
    assert refused.value.field == "search"
    assert [p.details.family_name for p in patients.find_patients(ctx, " Singh" + " " * 200)] == [
        "Singh"
    ]
    assert len(patients.find_patients(ctx, "s" * SEARCH_MAX_CHARS)) == 0


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_the_date_window_is_the_same_for_the_cli_and_the_service(
    ctx: ServiceContext, cli: Run, start: str
) -> None:
    from datetime import datetime

    tiny_clinic(ctx)
    ava = patients.add_patient(ctx, PatientDetails("Ava", "Singh"))
    code, _, err = cli("book", "--type", "Long", "--start", start, "--patient", str(ava.id))
    assert (code, err) == (3, "refused: start: must be between 1900-01-01 and 2199-12-31\n")
    with pytest.raises(InvalidRequest) as refused:
        booking.book_appointment(ctx, BookingRequest("Long", datetime.fromisoformat(start), ava.id))
    assert (refused.value.field, refused.value.reason) == (
        "start",
        "must be between 1900-01-01 and 2199-12-31",
    )
    code, _, err = cli("availability", "--type", "Long", "--week", "9999-12-31")
    assert (code, err) == (3, "refused: week: must be between 1900-01-01 and 2199-12-31\n")
