"""The HTTP JSON API for a clinic's website or kiosk: types, availability, booking, cancelling.

Every request runs the same services as the desks (same rules, same database guard, same
outbox). FastAPI checks the request bodies and writes the OpenAPI document; errors always
come back as {"error": {"field": ..., "reason": ...}}.
"""

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from montu_desktop.api import fhir
from montu_desktop.api.calendar import calendar_router
from montu_desktop.api.edge import Edge
from montu_desktop.api.pages import install_pages
from montu_desktop.api.sms import sms_router
from montu_desktop.domain import online as rules
from montu_desktop.domain.clinic_time import parse_day, to_local
from montu_desktop.domain.errors import (
    DatabaseUnavailable,
    InvalidRequest,
    MontuError,
    NotFound,
    PatientDoubleBooked,
    SlotTaken,
)
from montu_desktop.domain.model import week_start
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import online
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.key_cache import KeyCache
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.warm_weeks import WarmWeeks
from montu_desktop.services.week_json import week_document

log = logging.getLogger("montu_desktop.api")

API_VERSION = "1.0"
KEPT_WEEKS = 64
"""Weeks of availability kept answered (per type): a website pages a few months ahead."""
WRITERS = 4
"""Bookings and cancellations in progress at once. A writing transaction may need a second
pooled connection (a reference load inside it); with every pooled connection held by
writers waiting their turn, that one would wait for the pool until it timed out."""
NOT_FREE = "is no longer free; choose another time"


class ApiError(Exception):
    """An answer other than success: status, the field at fault and the reason."""

    def __init__(
        self,
        status: int,
        field: str,
        reason: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, object]:
        return {"error": {"field": self.field, "reason": self.reason}, **self.extra}


class TypeOut(BaseModel):
    name: str
    minutes: int


class PatientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    given: str = Field(max_length=100)
    family: str = Field(max_length=100)
    dob: date
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(max_length=100)
    start: datetime = Field(description="ISO-8601 with an offset, e.g. 2026-12-01T10:00:00+11:00")
    patient: PatientIn
    note: str | None = Field(default=None, max_length=rules.MAX_NOTE)


class DoctorOut(BaseModel):
    name: str


class BookingOut(BaseModel):
    id: int
    start: datetime
    end: datetime
    type: str
    doctor: DoctorOut
    cancel_token: str


def _field(location: tuple[object, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "header", "path")]
    return ".".join(parts) or "body"


def create_app(
    ctx: ServiceContext,
    *,
    clock: Callable[[], float] = time.monotonic,
    keep_answers: bool = True,
) -> FastAPI:
    """The API over one database; availability answers are kept for as long as a fresh one
    would agree (services/warm_weeks.py: dropped on every change heard, and by the clock)."""
    app = FastAPI(
        title="Montu Desktop online booking",
        version=API_VERSION,
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        # A redirect would be built from the request's Host header, which a client forges
        # (Location: http://evil.example/...); "/v1/types/" is answered as "/v1/types" instead.
        redirect_slashes=False,
    )
    answers = WarmWeeks(ctx, capacity=KEPT_WEEKS)
    keys = KeyCache(ctx, clock)
    answers.enabled = keep_answers
    writing = threading.BoundedSemaphore(WRITERS)
    limiter = rules.RateLimiter(clock)
    wrong_keys = rules.WrongKeyLimiter(clock)

    install_pages(app, ctx, limiter)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if fhir.is_fhir(request.url.path):
            return fhir.outcome(exc.status, f"{exc.field}: {exc.reason}", headers=exc.headers)
        return JSONResponse(exc.body(), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "is not valid"}
        reason = str(first.get("msg", "is not valid"))
        if fhir.is_fhir(request.url.path):
            where = _field(tuple(first.get("loc", ())))
            return fhir.outcome(400, f"{where}: {reason.lower()}", expression=where)
        if first.get("type") == "json_invalid":
            return JSONResponse({"error": {"field": "body", "reason": "is not valid JSON"}}, 422)
        return JSONResponse(
            {"error": {"field": _field(tuple(first.get("loc", ()))), "reason": reason}}, 422
        )

    @app.exception_handler(DatabaseUnavailable)
    async def _unreachable(request: Request, _exc: DatabaseUnavailable) -> JSONResponse:
        if fhir.is_fhir(request.url.path):
            return fhir.outcome(
                503, "the clinic's database is unreachable", headers={"Retry-After": "10"}
            )
        return JSONResponse(
            {"error": {"field": "database", "reason": "the clinic's database is unreachable"}},
            503,
            headers={"Retry-After": "10"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Unknown paths and methods answer in the same shape as every other refusal.
        if fhir.is_fhir(request.url.path):
            return fhir.outcome(
                exc.status_code,
                f"path: {str(exc.detail).lower()}",
                headers=getattr(exc, "headers", None),
            )
        return JSONResponse(
            {"error": {"field": "path", "reason": str(exc.detail).lower()}},
            exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The exception's text may quote a patient's details: log its kind only.
        log.error("request failed: %s", type(exc).__name__)
        if fhir.is_fhir(request.url.path):
            return fhir.outcome(500, "the request could not be completed")
        return JSONResponse(
            {"error": {"field": "server", "reason": "the request could not be completed"}}, 500
        )

    async def live_origins() -> frozenset[str]:
        kept = keys.kept_origins()
        return kept if kept is not None else await run_in_threadpool(keys.origins)

    app.add_middleware(Edge, origins=live_origins)

    def key_with(scope: str) -> Callable[..., Awaitable[online.ApiKeyInfo]]:
        # On the event loop: a key checked within the last second costs no thread and no
        # database read (services/key_cache.py says how soon a revocation is seen).
        async def check(
            request: Request,
            authorization: Annotated[str | None, Header()] = None,
            origin: Annotated[str | None, Header()] = None,
        ) -> online.ApiKeyInfo:
            token = ""
            if authorization and authorization[:7].lower() == "bearer ":
                token = authorization[7:].strip()
            address = request.client.host if request.client else "unknown"
            digest = rules.token_hash(token)
            wait = wrong_keys.retry_after(address, digest)
            if wait:
                raise ApiError(
                    429,
                    "Authorization",
                    f"more than {wrong_keys.per_minute} wrong API keys a minute from this address",
                    headers={"Retry-After": str(wait)},
                )
            key = keys.kept(digest)
            if key is None:
                key = await run_in_threadpool(keys.check, token, digest)
            if key is None:
                wrong_keys.failed(address, digest)
                raise ApiError(
                    401,
                    "Authorization",
                    "missing or wrong API key",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            wrong_keys.succeeded(digest)
            wait = limiter.retry_after(key.id, key.rate_per_minute)
            if wait:
                raise ApiError(
                    429,
                    "Authorization",
                    f"more than {key.rate_per_minute} requests a minute with this key",
                    headers={"Retry-After": str(wait)},
                )
            if scope not in key.scopes:
                raise ApiError(
                    403, "Authorization", f"this API key does not have the {scope} scope"
                )
            if origin and origin != key.origin:
                raise ApiError(403, "Origin", "this API key is not for this website")
            return key

        return check

    def local(moment: datetime) -> str:
        return to_local(moment, clinic_policy(ctx).timezone).isoformat()

    @app.get("/v1/health", summary="Is the API up and its database reachable?")
    def health() -> dict[str, str]:
        try:
            ctx.database.ping()
        except Exception:
            raise ApiError(503, "database", "the clinic's database is unreachable") from None
        return {"status": "ok"}

    @app.get("/v1/types", response_model=list[TypeOut], summary="Types a website may book")
    def types(
        _key: Annotated[online.ApiKeyInfo, Depends(key_with("availability"))],
    ) -> list[TypeOut]:
        return [TypeOut(name=k.name, minutes=k.length_minutes) for k in online.online_types(ctx)]

    @app.get(
        "/v1/availability",
        summary="Free doctors per slot start of a week",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}}},
    )
    async def week(
        _key: Annotated[online.ApiKeyInfo, Depends(key_with("availability"))],
        type: Annotated[str, Query(max_length=100)],
        week: Annotated[str, Query(max_length=10, description="any day of the week, YYYY-MM-DD")],
    ) -> Response:
        try:
            monday = week_start(parse_day(week, "week"))
            # A kept answer is sent from memory on the event loop; anything that would read
            # the database (the types, the week itself) runs on a worker thread.
            kind = online.kept_online_type(ctx, type)
            body = None if kind is None else answers.kept_rendered(kind.name, monday)
            if body is None:
                body = await run_in_threadpool(week_body, type, monday)
        except InvalidRequest as exc:
            raise ApiError(422, exc.field, exc.reason) from None
        return Response(body, media_type="application/json")

    def week_body(type_name: str, monday: date) -> bytes:
        kind = online.online_type(ctx, type_name)
        # Kept as the bytes sent: a cached answer costs no serialising.
        return answers.rendered(
            kind.name,
            monday,
            lambda found: json.dumps(week_document(found), separators=(",", ":")).encode(),
        )

    @app.post(
        "/v1/appointments",
        status_code=201,
        response_model=BookingOut,
        responses={409: {"description": "the slot was just taken; nearest free starts given"}},
        summary="Book an appointment",
    )
    def book(
        body: BookingIn,
        key: Annotated[online.ApiKeyInfo, Depends(key_with("book"))],
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        if idempotency_key is None:
            status, answer = _book(body, key)
            return JSONResponse(answer, status)
        try:
            claimed = online.claim_request(
                ctx, key, idempotency_key, rules.body_hash(body.model_dump(mode="json"))
            )
        except InvalidRequest as exc:
            raise ApiError(422, exc.field, exc.reason) from None
        if isinstance(claimed, online.FirstAnswer):
            if not claimed.same_body:
                raise ApiError(422, "Idempotency-Key", "was already used with a different request")
            if claimed.status_code is None or claimed.response is None:
                raise ApiError(
                    409, "Idempotency-Key", "the first request with this key is still running"
                )
            return JSONResponse(claimed.response, claimed.status_code)
        try:
            status, answer = _book(body, key, claimed)
        except online.ClaimLost as exc:
            raise ApiError(409, exc.field, exc.reason) from None
        except BaseException:
            online.release_request(ctx, claimed)
            raise
        if status != 201:  # a booking's answer was kept in its own transaction
            online.record_answer(ctx, claimed, status, answer)
        return JSONResponse(answer, status)

    def _book(
        body: BookingIn, key: online.ApiKeyInfo, claim: online.Claim | None = None
    ) -> tuple[int, dict[str, object]]:
        details = PatientDetails(
            body.patient.given,
            body.patient.family,
            body.patient.dob,
            body.patient.phone or None,
            body.patient.email or None,
        )
        try:
            with writing:
                made = online.book_online(
                    ctx, key, body.type, body.start, details, body.note, claim=claim
                )
        except (SlotTaken, PatientDoubleBooked):
            # Only that the time is not free: never why, nor whose appointment is there.
            return 409, ApiError(
                409, "start", NOT_FREE, extra={"nearest_free_starts": _nearest(body)}
            ).body()
        except online.ClaimLost:
            raise
        except InvalidRequest as exc:
            return 422, ApiError(422, exc.field, exc.reason).body()
        return 201, online.booked_answer(made, clinic_policy(ctx).timezone)

    def _nearest(body: BookingIn) -> list[str]:
        try:
            found = online.nearest_free_starts(ctx, body.type, body.start)
        except MontuError:
            return []
        return [local(s) for s in found]

    @app.delete("/v1/appointments/{appointment_id}", status_code=204, summary="Cancel a booking")
    def cancel(
        appointment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
        key: Annotated[online.ApiKeyInfo, Depends(key_with("book"))],
        x_cancel_token: Annotated[str | None, Header()] = None,
    ) -> Response:
        try:
            with writing:
                online.cancel_online(ctx, key, appointment_id, x_cancel_token or "")
        except online.CancelRefused as exc:
            raise ApiError(403, exc.field, exc.reason) from None
        except NotFound as exc:
            raise ApiError(404, exc.field, exc.reason) from None
        except InvalidRequest as exc:
            raise ApiError(404, "id", "no booking matches this id and cancel token") from exc
        return Response(status_code=204)

    app.include_router(sms_router(ctx, writing))
    app.include_router(calendar_router(ctx, clock))
    app.include_router(fhir.fhir_router(ctx, key_with("fhir")))
    return app
