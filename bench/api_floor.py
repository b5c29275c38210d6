"""The API's floor: a bare FastAPI endpoint under uvicorn that returns fixed bytes.

Started the way `montu-desktop serve` starts (one uvicorn process, the same Config: no log
config, no access log, no server header, uvicorn's default event loop and HTTP parser), it
answers GET /v1/availability with the bytes of a cached availability answer and does
nothing else (no key check, no database): what a cached answer could cost at best here.

    python -m bench.api_floor --port 8471 --body answer.json
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True)
    args = parser.parse_args(argv)
    import uvicorn
    from fastapi import FastAPI, Response

    body = args.body.read_bytes()
    app = FastAPI()

    @app.get("/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/availability")
    async def availability() -> Response:
        return Response(content=body, media_type="application/json")

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
