"""The egress policy (crawler.egress_policy) inside Scrapy: a downloader middleware and a resolver.

- `EgressMiddleware` refuses, before anything is sent, a request whose URL names a forbidden
  address literally (`127.1`, `0x7f000001`, `[::1]`, `localhost`, …): every request the
  spider makes passes it, redirect hops and robots.txt included.
- `EgressResolver` (TWISTED_DNS_RESOLVER) is the resolver every connection uses: it resolves
  a name once (getaddrinfo: IPv4 and IPv6, cached like Scrapy's resolver) and hands the
  connection only the addresses the policy allows, so the address connected to is the
  address checked. A name whose addresses are all forbidden resolves to nothing; the refusal
  is remembered (`refusal_for`) so that the spider records `private_address` rather than a
  DNS failure, and the middleware refuses retries of it up front.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer, provider

from core.settings import CrawlerSettings
from crawler.egress_policy import EgressPolicy, EgressRefused, normalise_host

# host -> why its resolution was refused (this process runs one crawl).
_REFUSED: OrderedDict[str, EgressRefused] = OrderedDict()
_REFUSED_MAX = 10_000


def refusal_for(url: str) -> EgressRefused | None:
    """The remembered refusal of `url`'s host, if its resolution was refused."""
    try:
        host = normalise_host(urlsplit(url).hostname or "")
    except ValueError:
        return None
    return _REFUSED.get(host)


def _remember(host: str, refused: EgressRefused) -> None:
    _REFUSED[normalise_host(host)] = refused
    while len(_REFUSED) > _REFUSED_MAX:
        _REFUSED.popitem(last=False)


def policy_of(settings: Any) -> EgressPolicy:
    """The run's policy (GOVWATCH_EGRESS, built by crawler.run), else one from the crawler
    settings alone (connect_to, proxy and the allowlist)."""
    policy = settings.get("GOVWATCH_EGRESS")
    if isinstance(policy, EgressPolicy):
        return policy
    gw: CrawlerSettings = settings["GOVWATCH_CRAWLER"]
    return EgressPolicy.build(connect_to=gw.connect_to, proxy=gw.proxy, allow=gw.egress_allow)


class EgressMiddleware:
    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressMiddleware:
        return cls(policy_of(crawler.settings))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        self.policy.check_url(request.url)
        refused = refusal_for(request.url)
        if refused is not None:
            raise refused


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels these
        pass


@provider(IResolutionReceiver)
class _Collector:
    """Receives the original resolver's answer, then filters and forwards it."""

    def __init__(self, owner: EgressResolver, receiver: Any, host: str,
                 port: int) -> None:
        self.owner, self.receiver, self.host, self.port = owner, receiver, host, port
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        if self.addresses:
            self.owner.remember(self.host, self.addresses)
        self.owner.deliver(self.receiver, self.host, self.port, self.addresses)


@implementer(IHostnameResolver)
class EgressResolver:
    def __init__(self, reactor: Any, policy: EgressPolicy, cache_size: int) -> None:
        self.reactor = reactor
        # zope interfaces: typed as Any (their methods lack `self` for mypy)
        self.original: Any = reactor.nameResolver
        self.policy = policy
        self.cache_size = cache_size
        self.cache: OrderedDict[str, list[IAddress]] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> EgressResolver:
        settings = crawler.settings
        size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, policy_of(settings), size)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def remember(self, host: str, addresses: list[IAddress]) -> None:
        if self.cache_size:
            self.cache[host] = addresses
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)

    def deliver(self, receiver: Any, host: str, port: int,
                addresses: Sequence[IAddress]) -> None:
        texts = [getattr(a, "host", "") for a in addresses]
        try:
            allowed = set(self.policy.allowed_addresses(host, port, texts))
        except EgressRefused as refused:
            _remember(host, refused)
            allowed = set()
        for address in addresses:
            if getattr(address, "host", None) in allowed:
                if isinstance(address, IPv4Address | IPv6Address) and address.port != port:
                    address = type(address)(address.type, address.host, port)
                receiver.addressResolved(address)
        receiver.resolutionComplete()

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        cached = self.cache.get(hostName)
        if cached is None:
            return self.original.resolveHostName(
                _Collector(self, resolutionReceiver, hostName, portNumber), hostName,
                portNumber, addressTypes, transportSemantics)
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        if addressTypes:
            cached = [a for a in cached if any(isinstance(a, t) for t in addressTypes)]
        self.deliver(resolutionReceiver, hostName, portNumber, cached)
        return resolution
