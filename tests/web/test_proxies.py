"""The login throttle and X-Forwarded-For: the header is believed only from addresses named
in `[web] trusted_proxies` (default none), through the same uvicorn configuration as
`govwatch serve`."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.requests import Request

from core.settings import Settings, SettingsError, apply_mapping
from web.app import create_app
from web.auth import client_address, trusted_networks

from .conftest import Target, build_world
from .live import serve

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _attempt(client: httpx.Client, forwarded: str | None) -> int:
    token = CSRF.search(client.get("/login").text)
    assert token
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post("/login", headers=headers, data={
        "name": "alice", "password": "wrong-password-1", "csrf": token.group(1), "next": "/",
    }).status_code


def test_a_forwarded_for_header_from_loopback_does_not_reset_the_throttle(
        sqlite_url: str, target: Target) -> None:
    world = build_world(sqlite_url, target, login_attempts=3)
    with serve(create_app(world.settings)) as base, \
            httpx.Client(base_url=base, timeout=10) as client:
        codes = [_attempt(client, f"198.51.100.{i}") for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    world.factory.kw["bind"].dispose()


def test_a_trusted_proxy_names_the_client(sqlite_url: str, target: Target) -> None:
    world = build_world(sqlite_url, target, login_attempts=3,
                        trusted_proxies=("127.0.0.0/8",))
    with serve(create_app(world.settings)) as base, \
            httpx.Client(base_url=base, timeout=10) as client:
        codes = [_attempt(client, "203.0.113.7") for _ in range(3)]
        # A forged left part does not help: the proxy's own (rightmost) entry counts.
        codes.append(_attempt(client, "192.0.2.1, 203.0.113.7"))
        # Another client behind the same proxy is not locked out by the first.
        codes.append(_attempt(client, "203.0.113.8"))
    assert codes == [401, 401, 401, 429, 401]
    world.factory.kw["bind"].dispose()


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                    "client": (peer, 40000)})


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not a trusted proxy: header ignored
    ("10.0.0.2", None, "10.0.0.2"),  # a proxy that says nothing
    ("10.0.0.2", "203.0.113.7", "203.0.113.7"),
    ("10.0.0.2", "192.0.2.1, 203.0.113.7", "203.0.113.7"),  # forged left part skipped
    ("10.0.0.2", "203.0.113.7, 10.0.0.3", "203.0.113.7"),  # a chain of trusted proxies
    ("10.0.0.2", "10.0.0.4, 10.0.0.3", "10.0.0.4"),  # only proxies: the farthest one
    ("10.0.0.2", "203.0.113.7, not-an-address", "10.0.0.2"),  # malformed: stop at the peer
    ("::1", "2001:db8::7", "2001:db8::7"),
])
def test_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    trusted = trusted_networks(["10.0.0.0/8", "::1"])
    assert client_address(_request(peer, forwarded), trusted) == expected
    assert client_address(_request(peer, forwarded), ()) == peer  # the default: no proxy


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    settings = apply_mapping(Settings(), {"web": {"trusted_proxies": ["127.0.0.1",
                                                                      "10.0.0.0/8"]}}, "s")
    assert settings.web.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    with pytest.raises(SettingsError, match=r"^s: web.trusted_proxies 中的 'proxy.local' "
                                            r"不是 IP 地址或网段$"):
        apply_mapping(Settings(), {"web": {"trusted_proxies": ["proxy.local"]}}, "s")
