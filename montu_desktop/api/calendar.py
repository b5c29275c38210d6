"""`GET /v1/calendar/{doctor_id}.ics?token=…`: a doctor's appointments as an iCalendar feed.

The token in the address is the only credential (calendar apps send no headers). A wrong,
revoked or missing token gets 404, the same as an unknown doctor, so the answer never tells
which doctors have a feed; an address sending many wrong tokens is slowed down (429). The
token is never logged (the request log has the path only).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from montu_desktop.domain import online as rules
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.services import calendar_feed
from montu_desktop.services.context import ServiceContext

NOT_FOUND = "no calendar feed matches this address"


def _not_found() -> JSONResponse:
    return JSONResponse({"error": {"field": "path", "reason": NOT_FOUND}}, 404)


def calendar_router(ctx: ServiceContext, clock: Callable[[], float] = time.monotonic) -> APIRouter:
    router = APIRouter()
    wrong_tokens = rules.WrongKeyLimiter(clock)

    @router.get(
        "/v1/calendar/{doctor_id}.ics",
        summary="A doctor's appointments as an iCalendar (RFC 5545) feed",
        response_class=Response,
        responses={200: {"content": {"text/calendar": {}}}, 404: {"description": NOT_FOUND}},
    )
    def feed(
        request: Request,
        doctor_id: str,
        token: Annotated[str, Query(max_length=200)] = "",
    ) -> Response:
        address = request.client.host if request.client else "unknown"
        digest = rules.token_hash(token)
        wait = wrong_tokens.retry_after(address, digest)
        if wait:
            return JSONResponse(
                {"error": {"field": "token", "reason": "too many wrong calendar addresses"}},
                429,
                headers={"Retry-After": str(wait)},
            )
        if not (doctor_id.isascii() and doctor_id.isdigit() and len(doctor_id) <= 9):
            wrong_tokens.failed(address, digest)
            return _not_found()
        try:
            body = calendar_feed.calendar(ctx, int(doctor_id), token)
        except NotFound:
            wrong_tokens.failed(address, digest)
            return _not_found()
        except InvalidRequest:  # a live token, but no clinic set up to read the times in
            return _not_found()
        wrong_tokens.succeeded(digest)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={
                "Cache-Control": "private, no-cache",
                "Content-Disposition": f'inline; filename="doctor-{int(doctor_id)}.ics"',
            },
        )

    return router
