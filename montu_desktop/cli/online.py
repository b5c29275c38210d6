"""The online-booking commands: `serve` (the HTTP API) and `api-keys create/list/revoke`."""

from __future__ import annotations

import argparse

from montu_desktop.cli import EXIT_OK, emit
from montu_desktop.services import online
from montu_desktop.services.context import ServiceContext

SUBCOMMANDS = ("api_keys_command",)
DEFAULT_PORT = 8470


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError("must be a port number from 1 to 65535")
    return int(text)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    serve = commands.add_parser("serve", parents=[common], help="serve the online-booking HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )

    keys = commands.add_parser("api-keys", help="keys of websites and kiosks").add_subparsers(
        dest="api_keys_command", required=True
    )
    create = keys.add_parser("create", parents=[common], help="create a key (token shown once)")
    create.add_argument("name")
    create.add_argument(
        "--scopes", required=True, metavar="availability,book", help="what the key may do"
    )
    create.add_argument("--rate", metavar="N/min", help="requests a minute (default 60/min)")
    create.add_argument(
        "--origin", metavar="URL", help="the website allowed to call from a browser"
    )
    create.add_argument("--json", action="store_true")
    listing = keys.add_parser("list", parents=[common], help="list keys")
    listing.add_argument("--json", action="store_true")
    revoke = keys.add_parser("revoke", parents=[common], help="revoke a key at once")
    revoke.add_argument("name")


def _key_data(key: online.ApiKeyInfo) -> dict[str, object]:
    return {
        "name": key.name,
        "scopes": sorted(key.scopes),
        "rate_per_minute": key.rate_per_minute,
        "origin": key.origin,
        "created_at": key.created_at.isoformat(),
        "revoked": key.revoked_at is not None,
    }


def _serve(ctx: ServiceContext, args: argparse.Namespace) -> int:
    from montu_desktop.api.server import serve

    serve(ctx, args.host, args.port)
    return EXIT_OK


def _create(ctx: ServiceContext, args: argparse.Namespace) -> int:
    key, token = online.create_api_key(
        ctx, args.name, args.scopes, rate=args.rate, origin=args.origin
    )
    emit(
        args,
        {**_key_data(key), "token": token},
        f"API key {key.name} created. Its token (shown only now):\n{token}",
    )
    return EXIT_OK


def _list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    keys = online.list_api_keys(ctx)
    emit(
        args,
        [_key_data(k) for k in keys],
        "\n".join(
            f"{k.name}  {','.join(sorted(k.scopes))}  {k.rate_per_minute}/min  "
            f"{k.origin or '-'}{'  (revoked)' if k.revoked_at else ''}"
            for k in keys
        )
        or "no API keys",
    )
    return EXIT_OK


def _revoke(ctx: ServiceContext, args: argparse.Namespace) -> int:
    key = online.revoke_api_key(ctx, args.name)
    print(f"API key {key.name} revoked")
    return EXIT_OK


COMMANDS = {
    "serve": _serve,
    "api-keys create": _create,
    "api-keys list": _list,
    "api-keys revoke": _revoke,
}
