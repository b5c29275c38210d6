"""Demo data is all or nothing within its stated bounds; patient search takes % and _ literally."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import tables as t
from montu_desktop.services import patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic


def _add(ctx: ServiceContext, given: str, family: str) -> int:
    return patients.add_patient(ctx, PatientDetails(given, family, None, None, None)).id


def _found(ctx: ServiceContext, text: str) -> set[str]:
    return {p.details.family_name for p in patients.find_patients(ctx, text)}


def test_search_treats_percent_and_underscore_as_ordinary_characters(ctx: ServiceContext) -> None:
    create_demo_clinic(ctx, doctors=1, weeks=1, patients=60, fill=0.0)
    _add(ctx, "Ann", "Smith")
    _add(ctx, "Bo", "100%_Club")
    assert _found(ctx, "%") == set()
    assert _found(ctx, "_") == set()
    assert _found(ctx, "_mith") == set()
    assert _found(ctx, "100%_") == {"100%_Club"}
    assert "Smith" in _found(ctx, "smi")


def test_the_documented_maximum_of_weeks_builds_a_clinic(ctx: ServiceContext) -> None:
    summary = create_demo_clinic(ctx, doctors=1, weeks=104, patients=10, fill=0.05)
    assert (summary.last_day - summary.first_day).days == 104 * 7 - 1
    with ctx.database.session() as session:
        assert session.scalar(select(t.Clinic.horizon_weeks)) == 104
        last_block = session.scalar(select(func.max(t.DoctorSchedule.day)))
    assert last_block >= summary.last_day


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("weeks", {"weeks": 105}),
        ("doctors", {"doctors": 0}),
        ("history_weeks", {"history_weeks": -100}),
        ("history_weeks", {"history_weeks": 521}),
    ],
)
def test_demo_data_outside_its_bounds_is_refused_and_writes_nothing(
    sqlite_ctx: ServiceContext, field: str, kwargs: dict[str, int]
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        create_demo_clinic(sqlite_ctx, **kwargs)
    assert refused.value.field == field
    with sqlite_ctx.database.session() as session:
        assert session.scalar(select(func.count()).select_from(t.Clinic)) == 0


def test_a_failure_half_way_leaves_nothing(
    sqlite_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from montu_desktop.services import demo_data

    def broken(*_args: object) -> int:
        raise RuntimeError("stopped while filling appointments")

    monkeypatch.setattr(demo_data, "_fill_appointments", broken)
    with pytest.raises(RuntimeError):
        create_demo_clinic(sqlite_ctx, doctors=2, weeks=1)
    with sqlite_ctx.database.session() as session:
        for table in (t.Clinic, t.Doctor, t.Patient, t.DoctorSchedule, t.AppointmentType):
            assert session.scalar(select(func.count()).select_from(table)) == 0, table
    monkeypatch.undo()
    assert create_demo_clinic(sqlite_ctx, doctors=2, weeks=1).doctors == 2
