"""The SMS provider's webhooks: patients' replies and delivery receipts (Twilio's shape).

Both are form posts signed with X-Twilio-Signature over `online.public_url` + the path; an
unsigned or wrongly signed post is refused with 403 before anything is stored. The answer
to a reply is empty TwiML: any SMS back goes through the clinic's outbox instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services import sms_replies
from montu_desktop.services.context import ServiceContext

log = logging.getLogger("montu_desktop.api")

MAX_FORM_BYTES = 16_384
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

Fields = list[tuple[str, str]]


def _refusal(status: int, field: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": {"field": field, "reason": reason}}, status)


def sms_router(ctx: ServiceContext, writing: threading.BoundedSemaphore) -> APIRouter:
    """The two webhook endpoints over `ctx`; `writing` bounds concurrent writers as the API's."""
    router = APIRouter()

    async def _handle(request: Request, path: str, act: Callable[[Fields], Response]) -> Response:
        raw = await request.body()
        if len(raw) > MAX_FORM_BYTES:
            return _refusal(413, "body", f"must be at most {MAX_FORM_BYTES} bytes")
        try:
            fields = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return _refusal(422, "body", "is not UTF-8 form data")
        signature = request.headers.get("x-twilio-signature")

        def run() -> Response:
            try:
                sms_replies.check_signature(ctx, path, fields, signature)
            except sms_replies.SignatureRefused as exc:
                log.warning("SMS webhook %s refused: %s %s", path, exc.field, exc.reason)
                return _refusal(403, exc.field, exc.reason)
            try:
                with writing:
                    return act(fields)
            except InvalidRequest as exc:
                return _refusal(422, exc.field, exc.reason)

        # The services block on the database: off the event loop, as FastAPI runs plain defs.
        return await run_in_threadpool(run)

    def _reply(fields: Fields) -> Response:
        sms_replies.receive_reply(ctx, fields)
        return Response(EMPTY_TWIML, media_type="application/xml")

    def _receipt(fields: Fields) -> Response:
        sms_replies.record_receipt(ctx, fields)
        return Response(status_code=204)

    @router.post(sms_replies.INBOUND_PATH, summary="The SMS provider posts a patient's reply")
    async def inbound(request: Request) -> Response:
        return await _handle(request, sms_replies.INBOUND_PATH, _reply)

    @router.post(sms_replies.STATUS_PATH, summary="The SMS provider posts a delivery receipt")
    async def status(request: Request) -> Response:
        return await _handle(request, sms_replies.STATUS_PATH, _receipt)

    return router
