"""The API's outer layer on every request: a trailing slash dropped, CORS, one log line.

A plain ASGI middleware: Starlette's `@app.middleware("http")` runs each request through a
task group and memory streams, which cost a cached availability answer more than the rest
of its work together (bench/NOTES.md, round three).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from montu_desktop.api.pages import loggable_path
from montu_desktop.domain.text import printable

log = logging.getLogger("montu_desktop.api")

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Cancel-Token"


class Edge:
    """Wraps the app: `origins()` names the websites a browser may call the API from."""

    def __init__(self, app: ASGIApp, origins: Callable[[], Awaitable[frozenset[str]]]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path = path.rstrip("/") or "/"
        origin = Headers(scope=scope).get("origin")
        if scope["method"] == "OPTIONS" and origin:
            response = await self._preflight(origin)
            await response(scope, receive, send)
            self._log(scope, response.status_code, started)
            return
        status = 500

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if origin and origin in await self.origins():
                    headers = MutableHeaders(scope=message)
                    headers["Access-Control-Allow-Origin"] = origin
                    headers["Vary"] = "Origin"
            await send(message)

        await self.app(scope, receive, sending)
        # Not reached when the request failed: the error handler logs that one's kind.
        self._log(scope, status, started)

    async def _preflight(self, origin: str) -> Response:
        if origin not in await self.origins():
            return Response(status_code=403)
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, POST, DELETE",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        # Method, path, status and time only: the query and body may hold patient details.
        log.info(
            "%s %s %s %.1f ms",
            scope["method"],
            printable(loggable_path(scope["path"])),  # never a token, never raw escapes
            status,
            (time.perf_counter() - started) * 1000,
        )
