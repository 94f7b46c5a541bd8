"""A total deadline for the HTTP requests made outside the crawl (re-checks, probes, the
repost watch, webhooks): `with total_deadline(seconds): ...`.

WHY: httpx's timeouts apply to each connect, read and write. A server that answers one byte
per second never lets a read time out, so a request to it never ends (the dashboard's
"re-check now" was held for as long as the remote server liked). Inside a `total_deadline`
block every network operation of `crawler.probe.http_client`'s clients gets at most the
time that is left, and none may start once it is over: the connect, the TLS handshake, the
status line and headers, and every read of the body all count against one budget, so the
block's requests end (httpx.ConnectTimeout / ReadTimeout / WriteTimeout) by the deadline,
within the scheduler's resolution.

How: `DeadlineBackend` wraps httpcore's synchronous network backend and clamps each
operation's timeout to the deadline of the calling context (a ContextVar, so each thread,
and each block nested in another, has its own; a nested block never extends the outer one).
Outside any block it changes nothing. `install(transport)` puts it under an
httpx.HTTPTransport.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from ssl import SSLContext
from typing import Any

import httpcore
import httpx

__all__ = ["DeadlineBackend", "install", "remaining", "total_deadline"]

_DEADLINE: ContextVar[float | None] = ContextVar("govwatch_http_deadline", default=None)


@contextmanager
def total_deadline(seconds: float) -> Iterator[float]:
    """Every request made through a deadline-aware client in this block ends within
    `seconds` from now (or the enclosing block's deadline, if sooner). Yields the deadline
    (time.monotonic())."""
    deadline = time.monotonic() + seconds
    outer = _DEADLINE.get()
    if outer is not None:
        deadline = min(deadline, outer)
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (may be <= 0), or None outside a block."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def _clamp(timeout: float | None, exc: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise exc("total deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      _clamp(timeout, httpcore.ConnectTimeout))
        return _Stream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every timeout clamped to the current deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(
            host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address,
            socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        left = remaining()
        self._inner.sleep(seconds if left is None else max(0.0, min(seconds, left)))


def install(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """Put a DeadlineBackend under `transport`'s connection pool (direct or through a proxy).

    WHY reach into the pool: httpx.HTTPTransport takes no network backend, while the
    httpcore pool it builds does (`network_backend=`, stored as `_network_backend`). The
    check below makes an httpcore that renamed it fail loudly rather than lose the deadline.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        raise RuntimeError("httpx/httpcore internals changed: cannot install the deadline")
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport
