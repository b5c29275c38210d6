"""Runs the HTTP API under uvicorn with the change feed that keeps its answers current."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.live import ChangeFeed

log = logging.getLogger("montu_desktop.api")

# SQLite has no notifications: poll often so a desk's booking reaches the website in well
# under a second (the poll reads one small fingerprint query).
SQLITE_POLL_SECONDS = 0.25


def check_can_listen(host: str, port: int) -> None:
    """Refuse plainly (before starting) when the address cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidRequest(
            "host", f"{host!r} is not an address of this machine ({exc})"
        ) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InvalidRequest(
                "port", f"cannot listen on {host}:{port}: {exc.strerror}"
            ) from None


def _ignore(_sig: int, _frame: object) -> None:
    """Stands in for the default handlers while uvicorn owns the shutdown."""


def serve(ctx: ServiceContext, host: str, port: int) -> None:
    """Serve until SIGTERM or Ctrl+C; the change feed drops cached answers as others book."""
    import uvicorn

    from montu_desktop.api.app import create_app

    check_can_listen(host, port)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(stream)
    log.setLevel(logging.INFO)
    # The benchmark sets 0 to measure answers computed on every request.
    keep = os.environ.get("MONTU_API_CACHE_SECONDS", "").strip() not in ("0", "0.0")
    app = create_app(ctx, keep_answers=keep)
    feed = ChangeFeed(ctx, poll_seconds=SQLITE_POLL_SECONDS)
    feed.start()
    try:
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, server_header=False
        )
        log.info("serving the online-booking API on http://%s:%s/v1/", host, port)
        # uvicorn shuts down gracefully on SIGTERM/SIGINT and then raises the signal again
        # under the handlers it found; quiet ones let this function finish and exit with 0.
        previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            uvicorn.Server(config).run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        feed.stop()
        log.info("stopped")
