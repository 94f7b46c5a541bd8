"""The egress policy: which destinations govwatch may send a request to.

Crawled pages are hostile input. A page (or a redirect) naming `http://127.0.0.1:…`,
`http://169.254.169.254/` or a host that resolves to an address inside the monitoring
server's network must not make govwatch request it: the status that comes back would be
reported to whoever controls the page (a blind SSRF with a status oracle). So a destination
whose address is loopback, private, link-local, shared (CGN), multicast, unspecified,
documentation or otherwise reserved — IPv4 or IPv6, in any spelling (`127.1`, `2130706433`,
`0x7f000001`, `017700000001`, `::ffff:127.0.0.1`, `[::1]`, `localhost`, or a name that
DNS-resolves there) — is refused, unless it is one the operator named:

- a registered site's host, at the site's own port (or 80/443 for a host name);
- a host mapped by `crawler.connect_to` (its traffic goes to the operator's address anyway),
  and the `address:port` targets of that mapping and of `crawler.proxy`;
- the notice webhooks: the supervisors' (`[notify] supervisors`, `notify.webhook_url`) and
  those of the registered sites' contacts (registry `contacts`), when notices are sent;
- an entry of `crawler.egress_allow`: a host name, an fnmatch pattern ("*.corp.gov.cn") or
  a network ("10.0.0.0/8", "fd00::/8"), for intranet deployments.

The check applies to every request, every redirect hop, and to the address actually
connected to: the crawler's resolver (crawler.egress.EgressResolver) and the HTTP client's
connection backend (crawler.probe) resolve a name once, drop the forbidden addresses and
connect to an address that passed, so a name cannot answer "public" to the check and
"private" to the connection (DNS rebinding). With `crawler.proxy` set the proxy resolves
names; govwatch then checks the names it can see (literals, its own resolution) only.

A refused link is recorded with error kind `private_address` (内网地址，公众无法访问): a dead
link for the public, never fetched.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "EgressPolicy",
    "EgressRefused",
    "forbidden_reason",
    "literal_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IANA special-purpose ranges that the public cannot reach (or that must never be asked).
_V4 = {
    "0.0.0.0/8": "unspecified",
    "10.0.0.0/8": "private",
    "100.64.0.0/10": "shared",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local",
    "172.16.0.0/12": "private",
    "192.0.0.0/24": "reserved",
    "192.0.2.0/24": "documentation",
    "192.88.99.0/24": "reserved",
    "192.168.0.0/16": "private",
    "198.18.0.0/15": "benchmarking",
    "198.51.100.0/24": "documentation",
    "203.0.113.0/24": "documentation",
    "224.0.0.0/4": "multicast",
    "240.0.0.0/4": "reserved",
}
_V6 = {
    "::/128": "unspecified",
    "::1/128": "loopback",
    "100::/64": "reserved",
    "2001::/23": "reserved",
    "2001:db8::/32": "documentation",
    "fc00::/7": "private",
    "fe80::/10": "link-local",
    "fec0::/10": "reserved",
    "ff00::/8": "multicast",
}
_FORBIDDEN: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(net), why) for table in (_V4, _V6) for net, why in table.items()
)
# IPv6 forms that carry an IPv4 address: IPv4-mapped, IPv4-compatible, NAT64, 6to4.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPAT = ipaddress.ip_network("::/96")
# Names that are loopback by definition (RFC 6761), whatever a resolver says.
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class EgressRefused(Exception):
    """A request to a destination the egress policy forbids (see the module docstring)."""

    def __init__(self, host: str, address: str, why: str) -> None:
        super().__init__(f"{host} -> {address} ({why})")
        self.host, self.address, self.why = host, address, why


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why `ip` is not a public destination ("loopback", "private", …), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link-local"
        inner = _embedded_v4(ip)
        if inner is not None:
            return forbidden_reason(inner)
    for net, why in _FORBIDDEN:
        if ip.version == net.version and ip in net:
            return why
    return None


def normalise_host(host: str) -> str:
    """Lower case, brackets and one trailing dot removed ("[::1]" -> "::1")."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") else host


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without DNS, in any spelling a resolver accepts:
    dotted quads, the short and numeric forms of inet_aton (`127.1`, `2130706433`,
    `0x7f000001`, `017700000001`) and IPv6 (with or without brackets or a zone)."""
    host = normalise_host(host)
    if not host:
        return None
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    if host.replace(".", "").replace("x", "").isalnum() and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


def _split_target(target: str) -> tuple[str, int] | None:
    """("127.0.0.1", 8080) from "127.0.0.1:8080" or "http://127.0.0.1:8080"."""
    if "://" not in target:
        target = f"http://{target}"
    try:
        parts = urlsplit(target)
        port = _port(parts.scheme, parts.port)
    except ValueError:
        return None
    return (normalise_host(parts.hostname or ""), port) if parts.hostname else None


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """Who may be asked; build with `EgressPolicy.build` (see the module docstring)."""

    # (host, port) pairs allowed whatever they resolve to: registered sites' origins,
    # connect_to and proxy targets, the webhook.
    origins: frozenset[tuple[str, int]] = frozenset()
    # Host names allowed at any port (connect_to keys, allowlist names).
    names: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()
    # Hosts the operator's own connections go to (proxy, connect_to targets); the crawler's
    # resolver is asked for these without a port when it connects to a proxy.
    relays: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        site_urls: Iterable[str] = (),
        site_hosts: Iterable[tuple[str, str]] = (),
        connect_to: dict[str, str] | None = None,
        proxy: str = "",
        allow: Iterable[str] = (),
        extra_urls: Iterable[str] = (),
    ) -> EgressPolicy:
        """`site_urls`: registered sites' home URLs; `site_hosts`: (extra host, home URL)
        pairs of their other hosts; `allow`: `crawler.egress_allow` entries; `extra_urls`:
        other operator-given destinations (the webhook)."""
        origins: set[tuple[str, int]] = set()
        pairs = [(urlsplit(url).hostname or "", url) for url in (*site_urls, *extra_urls)]
        for host, url in (*pairs, *site_hosts):
            if not host:
                continue
            parts = urlsplit(url)
            host = normalise_host(host)
            origins.add((host, _port(parts.scheme, parts.port)))
            # A site's name is allowed on both usual ports (http -> https); an address
            # literal or loopback name only at the registered port.
            if literal_address(host) is None and host not in _LOOPBACK_NAMES:
                origins.update({(host, 80), (host, 443)})
        names: set[str] = set()
        patterns: list[str] = []
        relays: set[str] = set()
        for key, target in (connect_to or {}).items():
            key = normalise_host(key)
            (patterns.append(key) if "*" in key else names.add(key))
            split = _split_target(target)
            if split is not None:
                origins.add(split)
                relays.add(split[0])
        if proxy:
            split = _split_target(proxy)
            if split is not None:
                origins.add(split)
                relays.add(split[0])
        networks: list[IPNetwork] = []
        for entry in allow:
            entry = entry.strip()
            if "/" in entry:
                networks.append(ipaddress.ip_network(entry, strict=False))
            elif "*" in entry:
                patterns.append(normalise_host(entry))
            elif literal_address(entry) is not None:
                address = literal_address(entry)
                assert address is not None
                networks.append(ipaddress.ip_network(address))
            else:
                names.add(normalise_host(entry))
        return cls(frozenset(origins), frozenset(names), tuple(patterns), tuple(networks),
                   frozenset(relays))

    # -- decisions ---------------------------------------------------------------------

    def host_allowed(self, host: str, port: int | None) -> bool:
        """Is this host exempt from the address check (the operator named it)?"""
        host = normalise_host(host)
        if host in self.names or any(fnmatch.fnmatchcase(host, p) for p in self.patterns):
            return True
        if port is None or port == 0:
            return host in self.relays
        return (host, port) in self.origins

    def refusal(self, host: str, port: int | None, ip: IPAddress) -> EgressRefused | None:
        """Why connecting to `ip` for `host` is refused, or None when it is allowed."""
        why = forbidden_reason(ip)
        if why is None or self.host_allowed(host, port):
            return None
        if any(ip.version == net.version and ip in net for net in self.networks):
            return None
        return EgressRefused(host, str(ip), why)

    def check_url(self, url: str) -> None:
        """Raise EgressRefused when `url` names a forbidden destination without DNS (an
        address literal in any spelling, or a loopback name). Names that need resolving
        are checked where they are resolved (`allowed_addresses`)."""
        try:
            parts = urlsplit(url)
            port = _port(parts.scheme, parts.port)
        except ValueError:
            return  # not a URL the HTTP layer will accept either; it fails there
        host = normalise_host(parts.hostname or "")
        if not host:
            return
        ip = literal_address(host)
        if ip is None and (host in _LOOPBACK_NAMES or host.endswith(".localhost")):
            ip = ipaddress.IPv4Address("127.0.0.1")
        if ip is not None:
            refused = self.refusal(host, port, ip)
            if refused is not None:
                raise refused

    def allowed_addresses(self, host: str, port: int | None, addresses: Iterable[str]
                          ) -> list[str]:
        """The resolved `addresses` of `host` that may be connected to, in order; raises
        EgressRefused when every one of them is forbidden. (A name resolving to public and
        private addresses at once loses the private ones.)"""
        allowed: list[str] = []
        first: EgressRefused | None = None
        for address in addresses:
            try:
                ip = ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError:
                continue
            refused = self.refusal(host, port, ip)
            if refused is None:
                allowed.append(address)
            elif first is None:
                first = refused
        if not allowed and first is not None:
            raise first
        return allowed

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve `host` (blocking getaddrinfo) to the addresses that may be connected
        to; raises EgressRefused, or OSError when the name does not resolve."""
        host = normalise_host(host)
        literal = literal_address(host)
        if literal is not None:
            return self.allowed_addresses(host, port, [str(literal)])
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        return self.allowed_addresses(host, port, addresses)
