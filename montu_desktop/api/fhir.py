"""FHIR R4, read only (issue 27 item 6): `/fhir/Patient/{id}`, `/fhir/Practitioner[/{id}]`,
`/fhir/Schedule[/{id}]`, `/fhir/Slot`, `/fhir/Appointment[/{id}]`, behind an API key with
the `fhir` scope. Answers are `application/fhir+json`; searches answer a `searchset`
Bundle and every refusal an OperationOutcome (app.py turns the key checks' refusals under
/fhir into one too). The request log has the path only: never a patient's details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.services import fhir
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext

FHIR_JSON = "application/fhir+json"
PREFIX = "/fhir"
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    422: "invalid",
    429: "throttled",
    503: "transient",
}


def is_fhir(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def outcome(
    status: int,
    diagnostics: str,
    *,
    expression: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An OperationOutcome with one error issue, answered with `status`."""
    issue: dict[str, object] = {
        "severity": "error",
        "code": ISSUE_CODES.get(status, "exception"),
        "diagnostics": diagnostics,
    }
    if expression:
        issue["expression"] = [expression]
    return JSONResponse(
        {"resourceType": "OperationOutcome", "issue": [issue]},
        status,
        headers=headers,
        media_type=FHIR_JSON,
    )


def _answer(resource: dict[str, object]) -> JSONResponse:
    return JSONResponse(resource, media_type=FHIR_JSON)


def _base(ctx: ServiceContext, request: Request) -> str:
    public = get_setting(ctx, "online.public_url").value.strip().rstrip("/")
    return (public or str(request.base_url).rstrip("/")) + PREFIX


def fhir_router(ctx: ServiceContext, key: Callable[..., Any]) -> APIRouter:
    """The FHIR routes over `ctx`; `key` is the dependency that checks the `fhir` scope."""
    router = APIRouter(prefix=PREFIX, tags=["FHIR R4"], dependencies=[Depends(key)])

    def read(make: Callable[[], dict[str, object]]) -> JSONResponse:
        try:
            return _answer(make())
        except NotFound as exc:
            return outcome(404, exc.reason)
        except InvalidRequest as exc:
            return outcome(400, f"{exc.field}: {exc.reason}", expression=exc.field)

    def search(request: Request, find: Callable[[], list[dict[str, object]]]) -> JSONResponse:
        return read(lambda: fhir.searchset(find(), _base(ctx, request), str(request.url)))

    @router.get("/Patient/{resource_id}", summary="A patient")
    def patient(resource_id: str) -> JSONResponse:
        return read(lambda: fhir.patient(ctx, resource_id))

    @router.get("/Practitioner", summary="Every doctor")
    def practitioners(request: Request) -> JSONResponse:
        return search(request, lambda: fhir.practitioners(ctx))

    @router.get("/Practitioner/{resource_id}", summary="A doctor")
    def practitioner(resource_id: str) -> JSONResponse:
        return read(lambda: fhir.practitioner(ctx, resource_id))

    @router.get("/Schedule", summary="Each doctor's schedule")
    def schedules(
        request: Request, actor: Annotated[str | None, Query(max_length=100)] = None
    ) -> JSONResponse:
        return search(request, lambda: fhir.schedules(ctx, actor))

    @router.get("/Schedule/{resource_id}", summary="A doctor's schedule")
    def schedule(resource_id: str) -> JSONResponse:
        return read(lambda: fhir.schedule(ctx, resource_id))

    @router.get("/Slot", summary="A schedule's slots (from the clinic's availability)")
    def slots(
        request: Request,
        schedule: Annotated[str, Query(max_length=100, description="Schedule/ID or ID")],
        start: Annotated[list[str], Query(description="ge… and lt… (or gt, le, eq)")],
        status: Annotated[list[str], Query(description="free, busy, busy-unavailable")] = [],  # noqa: B006
        service_type: Annotated[
            str | None, Query(alias="service-type", max_length=100, description="a type's name")
        ] = None,
    ) -> JSONResponse:
        return search(request, lambda: fhir.slots(ctx, schedule, start, status, service_type))

    @router.get("/Appointment/{resource_id}", summary="An appointment")
    def appointment(resource_id: str) -> JSONResponse:
        return read(lambda: fhir.appointment(ctx, resource_id))

    @router.get("/Appointment", summary="Appointments starting in a date range")
    def appointments(
        request: Request,
        date: Annotated[list[str], Query(description="ge… and lt… (or gt, le, eq)")],
        practitioner: Annotated[
            str | None, Query(max_length=100, description="Practitioner/ID or ID")
        ] = None,
    ) -> JSONResponse:
        return search(request, lambda: fhir.appointments(ctx, date, practitioner))

    return router
