"""The egress policy (crawler.egress_policy), the crawler's resolver (crawler.egress) and the HTTP
client's pinned connections (crawler.probe): issue 11's SSRF guard, in isolation."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpx
import pytest
from twisted.internet.address import IPv4Address, IPv6Address

from core.settings import Settings, SettingsError, apply_mapping
from core.site import SiteEntry
from crawler.egress import EgressResolver, refusal_for
from crawler.egress_policy import EgressPolicy, EgressRefused, forbidden_reason, literal_address
from crawler.probe import classify_error, http_client
from tests.crawler.hostile import CanaryServer

LOOPBACK_SPELLINGS = ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "017700000001",
                      "0177.0.0.1", "0x7f.1", "127.000.000.001", "[::1]", "::1",
                      "::ffff:127.0.0.1", "0:0:0:0:0:ffff:7f00:1", "::ffff:7f00:1",
                      "64:ff9b::7f00:1", "2002:7f00:1::"]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_loopback(host: str) -> None:
    ip = literal_address(host)
    assert ip is not None and forbidden_reason(ip) == "loopback"


@pytest.mark.parametrize("address,why", [
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("100.64.1.1", "shared"),
    ("224.0.0.251", "multicast"), ("255.255.255.255", "reserved"), ("fe80::1", "link-local"),
    ("fd12:3456::1", "private"), ("ff02::1", "multicast"), ("::", "unspecified"),
    ("2001:db8::1", "documentation"), ("::ffff:10.0.0.1", "private"),
])
def test_internal_and_reserved_ranges_are_forbidden(address: str, why: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == why


@pytest.mark.parametrize("address", ["8.8.8.8", "1.2.3.4", "2400:3200::1", "223.5.5.5",
                                     "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"])
def test_public_addresses_are_not_forbidden(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["www.gov.cn", "12306.cn", "1e100.net", "localhost.gov.cn",
                                  "0x.gov.cn", ""])
def test_names_are_not_literals(host: str) -> None:
    assert literal_address(host) is None


def policy() -> EgressPolicy:
    return EgressPolicy.build(
        site_urls=["http://127.0.0.1:8080/", "http://www.intranet.gov.cn/"],
        site_hosts=[("127.0.0.1", "http://127.0.0.1:8080/"),
                    ("www.intranet.gov.cn", "http://www.intranet.gov.cn/")],
        connect_to={"www.demo.gov.cn": "127.0.0.1:9000", "*.mapped.gov.cn": "127.0.0.1:9001"},
        allow=["10.20.0.0/16", "*.corp.gov.cn", "wiki.local"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8081/", "http://127.0.0.1/", "http://127.1:8080/x",  # not the same origin
    "http://localhost:8080/", "http://LOCALHOST./", "http://a.localhost/", "http://[::1]:8080/",
    "http://2130706433:9000/", "http://0x7f000001/", "http://10.0.0.1/", "http://10.21.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1%25eth0]/",
    "https://user:pw@192.168.1.1:8443/admin",
])
def test_check_url_refuses_forbidden_literals(url: str) -> None:
    with pytest.raises(EgressRefused):
        policy().check_url(url)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/a.html",  # a registered site's own origin
    "http://www.demo.gov.cn/", "http://x.mapped.gov.cn:81/",  # connect_to keys
    "http://10.20.3.4/", "http://a.corp.gov.cn/",  # the allowlist
    "http://8.8.8.8/", "http://[2400:3200::1]/", "http://www.gov.cn/",  # public
    "http://[not-an-ip/", "mailto:x@y",  # not for the policy to judge
])
def test_check_url_lets_allowed_and_public_destinations_pass(url: str) -> None:
    policy().check_url(url)


def test_names_are_judged_by_what_they_resolve_to() -> None:
    p = policy()
    with pytest.raises(EgressRefused) as refused:
        p.allowed_addresses("rebind.example", 80, ["127.0.0.1"])
    assert refused.value.why == "loopback"
    # a name answering public and private addresses at once keeps only the public ones
    assert p.allowed_addresses("mixed.example", 80, ["10.0.0.1", "1.2.3.4"]) == ["1.2.3.4"]
    # a registered host name may resolve inside (an intranet site), at any usual port
    assert p.allowed_addresses("www.intranet.gov.cn", 443, ["10.9.9.9"]) == ["10.9.9.9"]
    assert p.allowed_addresses("wiki.local", 8080, ["192.168.3.3"]) == ["192.168.3.3"]
    # the proxy hop of a connect_to mapping (resolved without a port)
    assert p.allowed_addresses("127.0.0.1", 0, ["127.0.0.1"]) == ["127.0.0.1"]


def test_the_allowlist_is_validated_with_one_line_errors() -> None:
    with pytest.raises(SettingsError, match="egress_allow"):
        apply_mapping(Settings(), {"crawler": {"egress_allow": ["10.0.0.0/33"]}}, "t.toml")
    with pytest.raises(SettingsError, match="egress_allow"):
        apply_mapping(Settings(), {"crawler": {"egress_allow": [""]}}, "t.toml")
    ok = apply_mapping(Settings(), {"crawler": {"egress_allow": ["fd00::/8", "*.x.cn"]}}, "t")
    assert ok.crawler.egress_allow == ("fd00::/8", "*.x.cn")


# -- the crawler's resolver: what a connection is given ---------------------------------------


class _Original:
    """A stand-in for the reactor's resolver: fixed answers by name."""

    def __init__(self, answers: dict[str, list[Any]]) -> None:
        self.answers = answers
        self.calls = 0

    def resolveHostName(self, receiver: Any, name: str, port: int = 0, *args: Any) -> Any:
        self.calls += 1
        receiver.resolutionBegan(object())
        for address in self.answers.get(name, []):
            receiver.addressResolved(address)
        receiver.resolutionComplete()
        return receiver


class _Reactor:
    def __init__(self, original: _Original) -> None:
        self.nameResolver = original


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.done = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.done = True


def test_the_resolver_hands_connections_only_checked_addresses() -> None:
    original = _Original({
        "rebind.example": [IPv4Address("TCP", "127.0.0.1", 0)],
        "mixed.example": [IPv4Address("TCP", "10.0.0.7", 0), IPv4Address("TCP", "1.2.3.4", 0),
                          IPv6Address("TCP", "::1", 0)],
        "www.intranet.gov.cn": [IPv4Address("TCP", "10.9.9.9", 0)],
    })
    resolver = EgressResolver(_Reactor(original), policy(), cache_size=100)
    for _ in range(2):  # the second time from the cache, filtered all the same
        receiver = _Receiver()
        resolver.resolveHostName(receiver, "rebind.example", 80)
        assert receiver.done and receiver.addresses == []
        receiver = _Receiver()
        resolver.resolveHostName(receiver, "mixed.example", 443)
        assert [a.host for a in receiver.addresses] == ["1.2.3.4"]
        assert receiver.addresses[0].port == 443
        receiver = _Receiver()
        resolver.resolveHostName(receiver, "www.intranet.gov.cn", 80)
        assert [a.host for a in receiver.addresses] == ["10.9.9.9"]
    assert original.calls == 3
    # the refusal is remembered, so the crawl records private_address, not a DNS failure
    refused = refusal_for("http://rebind.example/page.html")
    assert refused is not None and refused.why == "loopback"
    assert refusal_for("http://mixed.example/") is None


# -- govwatch's own HTTP client (probes, re-checks, repost watch, webhooks) -------------------


def test_the_http_client_connects_to_the_address_it_checked(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """A name that resolves to loopback is refused before any connection (DNS rebinding:
    the client resolves once, in the pinned backend); an allowed name is connected to at
    the address the policy saw."""
    real = socket.getaddrinfo
    answers = {"rebind.example": "127.0.0.1", "allowed.corp.gov.cn": "127.0.0.1"}

    def fake(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host in answers:
            return real(answers[host], port, *args, **kw)
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with CanaryServer() as canary:
        settings = apply_mapping(Settings(), {"crawler": {
            "egress_allow": ["*.corp.gov.cn"]}}, "t")
        with http_client(settings, 5.0) as client:
            for url in [f"http://rebind.example:{canary.port}/", *canary.ssrf_urls()]:
                try:
                    client.get(url)
                except httpx.InvalidURL:
                    continue  # httpx will not even parse this spelling
                except httpx.HTTPError as exc:
                    assert classify_error(exc) == "private_address", url
                else:
                    raise AssertionError(f"{url} was requested")
            assert canary.hits == 0
            client.get(f"http://allowed.corp.gov.cn:{canary.port}/")
            assert canary.hits == 1
        # a registered site on loopback is allowed at its own origin only
        site = SiteEntry(id="s", name="站", url=f"http://127.0.0.1:{canary.port}/",
                         level="county")
        with http_client(Settings(), 5.0, sites=[site]) as client:
            client.get(f"http://127.0.0.1:{canary.port}/x")
            assert canary.hits == 2
            with pytest.raises(httpx.ConnectError):
                client.get(f"http://localhost:{canary.port}/")
        assert canary.hits == 2
