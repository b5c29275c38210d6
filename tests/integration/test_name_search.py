"""Name search and the duplicate check fold names one way (domain.names), on both databases,
through the service and the CLI; the search is an index lookup; merged records drop out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import event, select, text

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import migrate
from montu_desktop.persistence import tables as t
from montu_desktop.services import patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.cli_runner import Run, in_process_cli
from tests.support.clinic import tiny_clinic

ROOT = Path(__file__).resolve().parents[2]
ZOE_BORN = date(1988, 5, 17)

PEOPLE = {
    "liam": ("Liam", "O'Connor", None, None),
    "fitz": ("Fitz", "D'Arcy", None, None),
    "zoe": ("Zoë", "O'Connor-Núñez", ZOE_BORN, "0412 345 678"),
    "ann": ("Ann", "McDonald", None, None),
    "ava": ("Ava", "Singh", None, None),
}

SPELLINGS = [
    ("o connor", {"liam", "zoe"}),
    ("oconnor", {"liam", "zoe"}),
    ("o'connor", {"liam", "zoe"}),
    ("O’CONNOR", {"liam", "zoe"}),
    ("d arcy", {"fitz"}),
    ("darcy", {"fitz"}),
    ("d'arcy", {"fitz"}),
    ("nunez", {"zoe"}),
    ("Núñez", {"zoe"}),
    ("zoe o'connor", {"zoe"}),
    ("zoe", {"zoe"}),
    ("Zoë", {"zoe"}),
    ("O'Connor-Nunez", {"zoe"}),
    ("mc donald", {"ann"}),
    ("connor, liam", {"liam"}),
    ("zoe smith", set()),
    ("%", set()),
    ("_", set()),
    ("o%", set()),
]


def _people(ctx: ServiceContext) -> dict[str, int]:
    tiny_clinic(ctx)
    return {
        key: patients.add_patient(ctx, PatientDetails(g, f, born, phone)).id
        for key, (g, f, born, phone) in PEOPLE.items()
    }


def _found(ctx: ServiceContext, typed: str, ids: dict[str, int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[p.id] for p in patients.find_patients(ctx, typed)}


def test_every_spelling_finds_its_patient_through_the_service(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    for typed, expected in SPELLINGS:
        assert _found(ctx, typed, ids) == expected, typed


def test_phone_and_date_of_birth_search_work_as_before(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    assert _found(ctx, "0412 345 678", ids) == {"zoe"}
    assert _found(ctx, "345678", ids) == {"zoe"}
    assert _found(ctx, "17/05/1988", ids) == {"zoe"}
    assert _found(ctx, "1988-05-17", ids) == {"zoe"}
    assert _found(ctx, "18/05/1988", ids) == set()


def test_a_renamed_patient_is_found_by_the_new_name_only(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    patients.edit_patient(ctx, ids["ava"], family_name="O'Brien-Smith")
    assert _found(ctx, "obrien", ids) == {"ava"}
    assert _found(ctx, "smith", ids) == {"ava"}
    assert _found(ctx, "singh", ids) == set()
    patients.edit_patient(ctx, ids["ava"], phone="0400 111 222")  # names unchanged
    assert _found(ctx, "o brien ava", ids) == {"ava"}


def test_a_merged_record_leaves_every_search(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    twin = patients.add_patient(
        ctx,
        PatientDetails("Zoe", "Oconnor-Nunez", ZOE_BORN, "0412 345 678"),
        allow_duplicate=True,
    ).id
    ids["twin"] = twin
    assert _found(ctx, "nunez", ids) == {"zoe", "twin"}
    patients.merge_patients(ctx, ids["zoe"], twin)
    for typed in ("nunez", "zoe o'connor", "0412345678", "17/05/1988"):
        assert _found(ctx, typed, ids) == {"zoe"}, typed
    with UnitOfWork(ctx) as uow:
        kept_parts = uow.session.scalars(
            select(t.PatientNamePart.part).where(t.PatientNamePart.patient_id == twin)
        ).all()
    assert kept_parts == []


# --- the duplicate check ------------------------------------------------------------------------


def test_the_duplicate_check_folds_names_as_search_does(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    typed = PatientDetails("Zoe", "Oconnor-Nunez", ZOE_BORN)
    assert patients.likely_duplicate_ids(ctx, typed) == [ids["zoe"]]
    with pytest.raises(patients.DuplicatePatient) as refused:
        patients.add_patient(ctx, typed)
    assert refused.value.ids == [ids["zoe"]]
    for family in ("O Connor Nunez", "o'connor-núñez", "OCONNORNUNEZ"):
        assert patients.likely_duplicate_ids(ctx, PatientDetails("Z", family, ZOE_BORN)) == [
            ids["zoe"]
        ]
    # Another family name, or another birth date, is someone else.
    assert patients.likely_duplicate_ids(ctx, PatientDetails("Zoe", "Oconnor", ZOE_BORN)) == []
    assert (
        patients.likely_duplicate_ids(
            ctx, PatientDetails("Zoe", "Oconnor-Nunez", date(1988, 5, 18))
        )
        == []
    )
    with UnitOfWork(ctx) as uow:
        count = len(uow.session.scalars(select(t.Patient.id)).all())
    assert count == len(PEOPLE)


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli(ctx, clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:  # type: ignore[no-untyped-def]
    return in_process_cli(ctx, clock, monkeypatch, capsys)


def test_every_spelling_finds_its_patient_through_the_cli(ctx: ServiceContext, cli: Run) -> None:
    ids = _people(ctx)
    by_id = {v: k for k, v in ids.items()}
    for typed, expected in SPELLINGS:
        code, out, err = cli("patients", "find", typed, "--json")
        assert code == 0, err
        assert {by_id[p["id"]] for p in json.loads(out)} == expected, typed
    code, out, err = cli("patients", "add", "--given", "Zoe", "--family", "Oconnor-Nunez",
                         "--dob", ZOE_BORN.isoformat())  # fmt: skip
    assert code == 3 and err.startswith("refused: patient:") and str(ids["zoe"]) in err


def test_the_cli_leaves_a_merged_record_out(ctx: ServiceContext, cli: Run) -> None:
    ids = _people(ctx)
    twin = patients.add_patient(
        ctx, PatientDetails("Zoe", "Oconnor-Nunez", ZOE_BORN), allow_duplicate=True
    ).id
    patients.merge_patients(ctx, ids["zoe"], twin)
    for typed in ("nunez", "17/05/1988"):
        code, out, err = cli("patients", "find", typed, "--json")
        assert code == 0, err
        assert [p["id"] for p in json.loads(out)] == [ids["zoe"]]


def test_montu_desktop_patients_find_as_a_real_process(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    url = ctx.database.url.render_as_string(hide_password=False)
    ctx.database.dispose()
    for typed, expected in (("zoe o'connor", {"zoe"}), ("d arcy", {"fitz"}), ("nunez", {"zoe"})):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "montu_desktop",
                "patients",
                "find",
                typed,
                "--json",
                "--database",
                url,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
        assert done.returncode == 0, done.stderr
        assert {p["id"] for p in json.loads(done.stdout)} == {ids[k] for k in expected}


# --- indexed, with a few thousand patients ------------------------------------------------------


def _statements(ctx: ServiceContext, typed: str) -> list[tuple[str, object]]:
    """The SQL the search runs (statement and parameters), as the driver got it."""
    seen: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "patient_name_part" in statement:
            seen.append((statement, parameters))

    event.listen(ctx.database.engine, "before_cursor_execute", note)
    try:
        patients.find_patients(ctx, typed)
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", note)
    return seen


def _plan(ctx: ServiceContext, statement: str, parameters: object) -> str:
    with ctx.database.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(str(r[-1]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(str(r[0]) for r in rows)


def test_name_search_is_an_index_lookup_with_thousands_of_patients(ctx: ServiceContext) -> None:
    create_demo_clinic(ctx, doctors=1, weeks=1, patients=3000, fill=0.0)
    zoe = patients.add_patient(ctx, PatientDetails("Zoë", "O'Connor-Núñez", ZOE_BORN)).id
    with ctx.database.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    for typed in ("nunez", "zoe o'connor"):
        (statement, parameters), *_ = _statements(ctx, typed)
        plan = _plan(ctx, statement, parameters)
        if ctx.database.engine.dialect.name == "sqlite":
            assert "USING COVERING INDEX sqlite_autoindex_patient_name_part_1" in plan, plan
            assert "SEARCH patient USING INTEGER PRIMARY KEY" in plan, plan
            assert not re.search(r"SCAN patient(_name_part)?\b", plan), plan  # no table walk
        else:
            assert "Index Only Scan using patient_name_part_pkey" in plan, plan
            assert "Index Scan using patient_pkey on patient" in plan, plan
            assert "Seq Scan" not in plan and "ix_patient_family_given" not in plan, plan
        started = time.perf_counter()
        found = patients.find_patients(ctx, typed)
        took = time.perf_counter() - started
        assert [p.id for p in found] == [zoe]
        print(f"{ctx.database.engine.dialect.name} {typed!r}: {took * 1000:.1f} ms\n{plan}")


# --- the migration fills the parts of patients already stored -----------------------------------


def _alembic(ctx: ServiceContext, target: str, *, up: bool) -> None:
    config = migrate._config()
    with ctx.database.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(config, target)


def test_the_migration_fills_the_parts_of_stored_patients(ctx: ServiceContext) -> None:
    ids = _people(ctx)
    twin = patients.add_patient(
        ctx, PatientDetails("Zoe", "Oconnor-Nunez", ZOE_BORN), allow_duplicate=True
    ).id
    patients.merge_patients(ctx, ids["zoe"], twin)
    ctx.database.dispose()
    _alembic(ctx, "0011", up=False)
    _alembic(ctx, "head", up=True)
    ctx.database.dispose()
    for typed, expected in SPELLINGS:
        assert _found(ctx, typed, ids) == expected, typed
    with UnitOfWork(ctx) as uow:
        owners = set(uow.session.scalars(select(t.PatientNamePart.patient_id)))
    assert owners == set(ids.values())  # not the retired record
