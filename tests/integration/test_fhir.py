"""FHIR R4 reads (issue 27 item 6), in-process on SQLite and PostgreSQL: every answer is
`application/fhir+json` and validates with the `fhir.resources` models (R4B: R4's shapes of
these resources); searches are `searchset` Bundles, slots are the product's own
availability, and refusals are OperationOutcomes (404, 400, 401, 403)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from montu_desktop.api.app import create_app
from montu_desktop.domain.clinic_time import local_day_bounds, to_local
from montu_desktop.domain.model import from_epoch
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import booking, online
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient, merge_patients
from tests.support.clinic import at, tiny_clinic

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

ZONE = "Australia/Melbourne"
FHIR_JSON = "application/fhir+json"
# R4's required value sets for the codes these resources carry (the models check shapes only).
APPOINTMENT_CODES = {
    "proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow",
    "entered-in-error", "checked-in", "waitlist",
}  # fmt: skip
PARTICIPATION_CODES = {"accepted", "declined", "tentative", "needs-action"}
SLOT_CODES = {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
ISSUE_CODES = {"invalid", "login", "forbidden", "not-found", "throttled", "exception"}


def _valid(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    """`resource` is a `kind` the fhir.resources model accepts (and its codes are R4's)."""
    assert resource["resourceType"] == kind
    get_fhir_model_class(kind).model_validate(resource)
    if kind == "Bundle":
        assert resource["type"] == "searchset" and resource["total"] == len(resource["entry"])
        for entry in resource["entry"]:
            inner = entry["resource"]
            assert entry["fullUrl"].endswith(f"/fhir/{inner['resourceType']}/{inner['id']}")
            _valid(inner, inner["resourceType"])
    if kind == "Appointment":
        assert resource["status"] in APPOINTMENT_CODES
        assert {p["status"] for p in resource["participant"]} <= PARTICIPATION_CODES
    if kind == "Slot":
        assert resource["status"] in SLOT_CODES
    if kind == "OperationOutcome":
        assert {i["code"] for i in resource["issue"]} <= ISSUE_CODES
    return resource


class Clinic:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.doctors = tiny_clinic(ctx)
        today = to_local(ctx.clock(), ZONE).date()
        self.day = today + timedelta(days=2 if today.weekday() != 4 else 3)  # an open day
        self.patient = add_patient(
            ctx,
            PatientDetails(
                "Mary Jane",
                "Citizen",
                date(1980, 2, 3),
                "0412 345 678",
                "mj@example.com",
                address="1 Main St, Carlton VIC 3053",
            ),
        ).id
        self.booked = booking.book_appointment(
            ctx,
            BookingRequest("Standard", at(self.day, 9), self.patient, doctor_id=self.doctors[0]),
        ).id
        self.cancelled = booking.book_appointment(
            ctx, BookingRequest("Long", at(self.day, 10), self.patient, doctor_id=self.doctors[0])
        ).id
        booking.cancel_appointment(ctx, self.cancelled)


@pytest.fixture
def clinic(ctx: ServiceContext) -> Clinic:
    return Clinic(ctx)


@pytest.fixture
def api(clinic: Clinic) -> Iterator[TestClient]:
    token = online.create_api_key(clinic.ctx, "records", "fhir", rate="10000/min")[1]
    with TestClient(create_app(clinic.ctx), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _get(api: TestClient, path: str, kind: str, expect: int = 200, **params: Any) -> dict[str, Any]:
    answer = api.get(path, params=params)
    assert answer.status_code == expect, answer.text[:300]
    assert answer.headers["content-type"] == FHIR_JSON
    return _valid(answer.json(), kind)


def test_patient_practitioner_and_schedule_validate(
    clinic: Clinic, api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="montu_desktop"):
        patient = _get(api, f"/fhir/Patient/{clinic.patient}", "Patient")
    assert f"/fhir/Patient/{clinic.patient}" in caplog.text  # the request log: the path only
    assert not any(x in caplog.text for x in ("Citizen", "Mary", "1980", "412345678", "mj@"))
    assert patient["name"] == [{"use": "official", "family": "Citizen", "given": ["Mary", "Jane"]}]
    assert patient["birthDate"] == "1980-02-03"
    assert {"system": "phone", "value": "+61412345678"} in patient["telecom"]
    assert {"system": "email", "value": "mj@example.com"} in patient["telecom"]

    copy = add_patient(clinic.ctx, PatientDetails("Mary", "Citizen"), allow_duplicate=True).id
    merge_patients(clinic.ctx, clinic.patient, copy)
    retired = _get(api, f"/fhir/Patient/{copy}", "Patient")
    assert retired["active"] is False
    assert retired["link"] == [
        {"other": {"reference": f"Patient/{clinic.patient}"}, "type": "replaced-by"}
    ]

    found = _get(api, "/fhir/Practitioner", "Bundle")
    assert [e["resource"]["id"] for e in found["entry"]] == [str(d) for d in clinic.doctors]
    one = _get(api, f"/fhir/Practitioner/{clinic.doctors[1]}", "Practitioner")
    assert one["name"] == [{"text": "Dr B"}] and one["active"] is True

    schedules = _get(api, "/fhir/Schedule", "Bundle")
    assert len(schedules["entry"]) == len(clinic.doctors)
    mine = _get(api, "/fhir/Schedule", "Bundle", actor=f"Practitioner/{clinic.doctors[0]}")
    [entry] = mine["entry"]
    assert entry["resource"]["actor"][0]["reference"] == f"Practitioner/{clinic.doctors[0]}"
    _get(api, f"/fhir/Schedule/{clinic.doctors[0]}", "Schedule")


def test_appointments_read_and_search(clinic: Clinic, api: TestClient) -> None:
    one = _get(api, f"/fhir/Appointment/{clinic.booked}", "Appointment")
    assert one["status"] == "booked" and one["minutesDuration"] == 15
    assert one["start"] == to_local(at(clinic.day, 9), ZONE).isoformat()
    assert {p["actor"]["reference"] for p in one["participant"]} == {
        f"Patient/{clinic.patient}",
        f"Practitioner/{clinic.doctors[0]}",
    }
    assert _get(api, f"/fhir/Appointment/{clinic.cancelled}", "Appointment")["status"] == (
        "cancelled"
    )
    day, after = clinic.day.isoformat(), (clinic.day + timedelta(days=1)).isoformat()
    for practitioner in (f"Practitioner/{clinic.doctors[0]}", str(clinic.doctors[0])):
        found = _get(
            api,
            "/fhir/Appointment",
            "Bundle",
            date=[f"ge{day}", f"lt{after}"],
            practitioner=practitioner,
        )
        assert [e["resource"]["id"] for e in found["entry"]] == [
            str(clinic.booked),
            str(clinic.cancelled),
        ]
    other = _get(
        api,
        "/fhir/Appointment",
        "Bundle",
        date=[f"ge{day}", f"lt{after}"],
        practitioner=str(clinic.doctors[1]),
    )
    assert other["entry"] == []
    # An offset in the query (a '+' sent unescaped arrives as a space) and a time of day.
    nine = to_local(at(clinic.day, 9), ZONE).isoformat()
    found = api.get(f"/fhir/Appointment?date=gt{nine}&date=lt{after}".replace("+", " "))
    assert [e["resource"]["id"] for e in found.json()["entry"]] == [str(clinic.cancelled)]


def _free_starts(clinic: Clinic, doctor: int, first: date, last: date) -> list[datetime]:
    """Free starts of Standard for the doctor, as the desk's week grid computes them."""
    starts = []
    low, high = local_day_bounds(first, ZONE)[0], local_day_bounds(last, ZONE)[0]
    for monday in {first - timedelta(days=first.weekday()), last - timedelta(days=last.weekday())}:
        week = week_availability(clinic.ctx, "Standard", monday, doctor_id=doctor)
        starts += [s.starts_at for d in week.days for s in d.slots if s.free_doctors > 0]
    return sorted(s for s in starts if low <= s < high)


def test_free_slots_are_the_products_availability(clinic: Clinic, api: TestClient) -> None:
    first, last = clinic.day - timedelta(days=1), clinic.day + timedelta(days=3)
    doctor = clinic.doctors[0]
    for schedule in (f"Schedule/{doctor}", str(doctor)):
        found = _get(
            api,
            "/fhir/Slot",
            "Bundle",
            schedule=schedule,
            start=[f"ge{first.isoformat()}", f"lt{last.isoformat()}"],
            status="free",
        )
        starts = [datetime.fromisoformat(e["resource"]["start"]) for e in found["entry"]]
        assert starts == _free_starts(clinic, doctor, first, last)
        assert starts and at(clinic.day, 9) not in starts  # booked
        assert at(clinic.day, 10) in starts  # cancelled: free again
        assert {e["resource"]["status"] for e in found["entry"]} == {"free"}
        doctor_id, _type, start = found["entry"][0]["resource"]["id"].split("-")
        assert int(doctor_id) == doctor and from_epoch(int(start)) == starts[0]
        assert {e["resource"]["schedule"]["reference"] for e in found["entry"]} == {
            f"Schedule/{doctor}"
        }
    busy = _get(
        api,
        "/fhir/Slot",
        "Bundle",
        schedule=f"Schedule/{doctor}",
        start=[f"ge{clinic.day.isoformat()}", f"lt{(clinic.day + timedelta(days=1)).isoformat()}"],
        status="busy",
    )
    assert [e["resource"]["start"] for e in busy["entry"]] == [
        to_local(at(clinic.day, 9), ZONE).isoformat()
    ]
    longer = _get(
        api,
        "/fhir/Slot",
        "Bundle",
        schedule=str(doctor),
        start=[f"ge{clinic.day.isoformat()}", f"lt{(clinic.day + timedelta(days=1)).isoformat()}"],
        **{"service-type": "Long", "status": "free"},
    )
    for entry in longer["entry"]:
        slot = entry["resource"]
        length = datetime.fromisoformat(slot["end"]) - datetime.fromisoformat(slot["start"])
        assert length == timedelta(minutes=30) and slot["serviceType"] == [{"text": "Long"}]


REFUSALS = [
    ("/fhir/Patient/999999", 404, "not-found"),
    ("/fhir/Patient/abc", 404, "not-found"),
    ("/fhir/Appointment/999999", 404, "not-found"),
    ("/fhir/Practitioner/999999", 404, "not-found"),
    ("/fhir/Nothing", 404, "not-found"),
    ("/fhir/Slot?schedule=1&start=ge2026-13-40&start=lt2027-01-01", 400, "invalid"),
    (
        "/fhir/Slot?schedule=Practitioner/1&start=ge2027-01-01&start=lt2027-01-02",
        400,
        "invalid",
    ),
    ("/fhir/Slot?schedule=1&start=ge2027-01-01", 400, "invalid"),
    (
        "/fhir/Slot?schedule=1&start=ge2027-01-01&start=lt2027-01-02&status=maybe",
        400,
        "invalid",
    ),
    ("/fhir/Slot?start=ge2027-01-01&start=lt2027-01-02", 400, "invalid"),
    ("/fhir/Appointment?date=ge2027-01-01&date=lt2028-01-01", 400, "invalid"),
    ("/fhir/Appointment?date=soon", 400, "invalid"),
]
"""(path, status, OperationOutcome issue code) of requests refused."""


def test_refusals_are_operation_outcomes(api: TestClient) -> None:
    for path, status, code in REFUSALS:
        found = _get(api, path, "OperationOutcome", status)
        assert found["issue"][0]["code"] == code and found["issue"][0]["diagnostics"], path


def test_a_key_is_needed_and_it_needs_the_fhir_scope(clinic: Clinic, api: TestClient) -> None:
    path = f"/fhir/Patient/{clinic.patient}"
    del api.headers["Authorization"]
    assert _get(api, path, "OperationOutcome", 401)["issue"][0]["code"] == "login"
    booking_key = online.create_api_key(clinic.ctx, "website", "availability,book")[1]
    api.headers["Authorization"] = f"Bearer {booking_key}"
    refused = _get(api, path, "OperationOutcome", 403)
    assert refused["issue"][0]["code"] == "forbidden"
    assert "fhir scope" in refused["issue"][0]["diagnostics"]
    # The website's own endpoints still answer in their own shape.
    assert api.get("/v1/types").status_code == 200
