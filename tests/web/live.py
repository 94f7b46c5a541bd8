"""The dashboard served by uvicorn on a loopback port in a thread (configured as `govwatch
serve` configures it), for browser and load tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from govwatch.serve import uvicorn_config


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run `app` on 127.0.0.1 (a free port) until the block ends; yields the base URL."""
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
