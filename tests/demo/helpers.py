"""Request and file helpers shared by the demo world tests."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

from govwatch.demo.world import World


def fetch(
    port: int,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    absolute: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    """One request in proxy form (absolute URL + Host), or origin form if not `absolute`."""
    parts = urlsplit(url)
    target = url if absolute else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, target, headers={"Host": parts.netloc, **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def page_file(world: World, url: str) -> Path:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name.endswith("/"):
        name += "index.html"
    return world.root / "www" / (parts.hostname or "") / name
