"""The demo sites served over HTTPS: certificates of the demo CA, CONNECT tunnels, the probe.

Real TLS over loopback: httpx (what the probe uses) goes through the demo server as its proxy,
which answers CONNECT for the HTTPS hosts and presents each host's certificate.
"""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from govwatch.demo.oracle import https_missing
from govwatch.demo.server import DemoServer
from govwatch.demo.sites import SITES
from govwatch.demo.tls import EXPIRING_DAYS, WRONG_HOST_NAME, make_certificates
from govwatch.demo.world import AS_OF, World

TLS = {spec.host: spec.tls for spec in SITES if spec.tls}


def client(server: DemoServer) -> httpx.Client:
    assert server.ca_file is not None
    context = ssl.create_default_context(cafile=str(server.ca_file))
    return httpx.Client(proxy=f"http://127.0.0.1:{server.port}", verify=context, timeout=10)


def peer_not_after(response: httpx.Response) -> datetime:
    cert = response.extensions["network_stream"].get_extra_info("ssl_object").getpeercert()
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)


def test_the_world_mixes_https_set_ups_with_plain_http() -> None:
    assert sorted(TLS.values()) == ["expiring", "valid", "valid", "wrong-host"]
    plain = [s for s in SITES if not s.tls]
    assert plain and all(s.url.startswith("http://") for s in plain)
    assert all(s.url.startswith("https://") for s in SITES if s.tls)
    # positives: plain, expiring, wrong host; near misses: the valid ones
    assert [https_missing(s.tls) for s in SITES].count(False) == 2


def test_valid_and_expiring_hosts_verify_against_the_demo_ca(server: DemoServer) -> None:
    as_of = datetime.fromisoformat(AS_OF)
    with client(server) as http:
        for host, mode in TLS.items():
            if mode == "wrong-host":
                continue
            response = http.get(f"https://{host}/")
            assert response.status_code == 200 and b"<html" in response.content.lower()
            left = peer_not_after(response) - as_of
            if mode == "expiring":
                assert left == timedelta(days=EXPIRING_DAYS) and left < timedelta(days=30)
            else:
                assert left > timedelta(days=300)
        # inside the tunnel, the host's own redirects keep https
        response = http.get(f"https://{next(h for h, m in TLS.items() if m == 'valid')}/news",
                            follow_redirects=False)
        if response.status_code == 301:
            assert response.headers["location"].startswith("https://")


def test_the_wrong_host_certificate_fails_verification_but_not_an_unverified_client(
    server: DemoServer,
) -> None:
    host = next(h for h, m in TLS.items() if m == "wrong-host")
    with client(server) as http, pytest.raises(httpx.ConnectError, match=r"(?i)hostname"):
        http.get(f"https://{host}/")
    # the crawler does not verify certificates: the site is still crawlable
    with httpx.Client(proxy=f"http://127.0.0.1:{server.port}", verify=False) as http:
        assert http.get(f"https://{host}/").status_code == 200


def test_hosts_without_https_refuse_the_tunnel(server: DemoServer) -> None:
    plain = next(s.host for s in SITES if not s.tls)
    with client(server) as http, pytest.raises(httpx.ProxyError):
        http.get(f"https://{plain}/")
    # and the HTTPS hosts still answer plain http:// (old links keep working)
    with httpx.Client(proxy=f"http://127.0.0.1:{server.port}") as http:
        assert http.get(f"http://{next(iter(TLS))}/").status_code == 200


def test_a_client_that_hangs_up_mid_handshake_leaves_the_server_serving(
    server: DemoServer,
) -> None:
    host = next(iter(TLS))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        sock.sendall(b"\x16\x03\x01 garbage, not a ClientHello")
    with client(server) as http:
        assert http.get(f"https://{host}/").status_code == 200


def test_certificate_windows_cover_the_world_instant_and_the_real_clock(tmp_path: Path) -> None:
    as_of = datetime.fromisoformat(AS_OF)
    later = as_of + timedelta(days=400)  # the demo run long after its instant
    made = make_certificates(tmp_path, {"a.example": "valid", "b.example": "expiring",
                                        "c.example": "wrong-host"}, as_of, now=later)
    assert made.ca_file.is_file() and set(made.contexts) == {"a.example", "b.example",
                                                             "c.example"}
    certs = {h: x509.load_pem_x509_certificates((tmp_path / f"{h}.pem").read_bytes())[0]
             for h in made.contexts}
    valid = certs["a.example"]
    assert valid.not_valid_before_utc < as_of and valid.not_valid_after_utc > later
    assert certs["b.example"].not_valid_after_utc == as_of + timedelta(days=EXPIRING_DAYS)
    names = certs["c.example"].extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert names.value.get_values_for_type(x509.DNSName) == [WRONG_HOST_NAME]


def test_the_ca_file_is_written_where_the_demo_settings_name_it(
    world: World, server: DemoServer,
) -> None:
    from govwatch.demo.run import demo_settings_text

    assert server.ca_file == world.root / "tls" / "ca.pem"
    text = demo_settings_text(world, server.port, "sqlite:///x.db")
    assert f'ca_file = "{server.ca_file}"' in text
