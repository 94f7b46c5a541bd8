"""https.missing end to end: probes of loopback TLS servers whose certificates a test CA issued
(trusted through `[probe] ca_file`), stored, loaded back as a snapshot's probes and judged.

Four sites: a certificate valid for a year, one expiring in 10 days, one that has expired, and
plain HTTP. The probe must record the expiry and issuer of the verified certificates, fail the
expired one on TLS, and the check must give one notice per faulty site and none for the good.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from checks import items
from checks.base import Context, SiteSnapshot
from checks.catalogue import load_catalogue, resolve_options
from core.settings import Settings, apply_mapping
from core.site import SiteEntry
from crawler.probe import probe_sites
from store import repo

pytest.importorskip("cryptography")

HOME = "<html><head><title>测试站</title></head><body><p>首页</p></body></html>".encode()


def _ca(tmp: Path) -> tuple[Any, Any, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govwatch Test CA"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "govwatch Test Root")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=400)).not_valid_after(now + timedelta(days=800))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    path = tmp / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key, path


def _leaf(tmp: Path, ca: tuple[Any, Any, Path], name: str, not_after: datetime
          ) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that the test CA issued, valid until
    `not_after`."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert, ca_key, _ = ca
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_after - timedelta(days=365)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Home(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(HOME)))
        self.end_headers()
        self.wfile.write(HOME)


@contextmanager
def _server(cert: tuple[Path, Path] | None) -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Home)
    httpd.daemon_threads = True
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*cert)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_probe_records_certificates_and_https_missing_judges_them(
        tmp_path: Path, factory: sessionmaker[Session]) -> None:
    ca = _ca(tmp_path)
    now = datetime.now(UTC)
    expiry = {"valid": now + timedelta(days=365), "soon": now + timedelta(days=10),
              "expired": now - timedelta(days=2)}
    with ExitStack() as stack:
        urls = {}
        for name, when in expiry.items():
            port = stack.enter_context(_server(_leaf(tmp_path, ca, name, when)))
            urls[name] = f"https://127.0.0.1:{port}/"
        urls["plain"] = f"http://127.0.0.1:{stack.enter_context(_server(None))}/"
        entries = {name: SiteEntry.from_dict({"id": name, "name": f"{name}站", "level": "city",
                                              "url": url}) for name, url in urls.items()}
        with factory.begin() as s:
            repo.upsert_sites(s, list(entries.values()))
        settings = apply_mapping(Settings(), {"probe": {"timeout": 5.0,
                                                        "ca_file": str(ca[2])}}, "test")
        outcomes = {o.site_id: o for o in probe_sites(factory, settings)}

    # What the probe saw: the verified certificates' expiry and issuer; the expired one fails.
    for name in ("valid", "soon"):
        o = outcomes[name]
        assert o.ok and o.tls_not_after is not None, o
        assert abs(o.tls_not_after - expiry[name]) < timedelta(seconds=2)
        assert o.tls_issuer is not None and "govwatch Test CA" in o.tls_issuer
    assert not outcomes["expired"].ok and outcomes["expired"].error_kind == "tls"
    assert "expired" in (outcomes["expired"].error or "")
    assert outcomes["plain"].ok and outcomes["plain"].tls_not_after is None

    # Stored and read back as the check pass does, then judged.
    spec = load_catalogue(include_plugins=False)["https.missing"]
    options = resolve_options(spec.rule, {})
    judged = datetime.now(UTC) + timedelta(seconds=1)
    problems = {}
    with factory() as s:
        for name, entry in entries.items():
            probes = items.load_probes(s, name, judged)
            assert len(probes) == 1
            snapshot = SiteSnapshot(site=entry, crawl_run_id=1, home=None, pages=(), links=(),
                                    results={}, probes=probes)
            findings = list(spec.check(snapshot, Context(now=judged, site=entry,
                                                         options=options)))
            problems[name] = [f.evidence["problem"] for f in findings]
    assert problems == {"valid": [], "soon": ["expiring"], "expired": ["invalid"],
                        "plain": ["no-https"]}


def test_without_the_test_ca_the_certificate_is_invalid(tmp_path: Path) -> None:
    """The same server probed without `ca_file`: nothing vouches for the certificate."""
    from crawler.probe import http_client, probe_url

    ca = _ca(tmp_path)
    with _server(_leaf(tmp_path, ca, "valid", datetime.now(UTC) + timedelta(days=90))) as port:
        url = f"https://127.0.0.1:{port}/"
        site = SiteEntry(id="x", name="证书站", url=url, level="county")
        with http_client(Settings(), 5.0, keepalive=False, sites=[site]) as client:
            outcome = probe_url(client, "x", url, 5.0)
    assert not outcome.ok and outcome.error_kind == "tls" and outcome.tls_not_after is None


def test_a_missing_ca_file_is_a_one_line_settings_error(tmp_path: Path) -> None:
    from core.settings import SettingsError

    with pytest.raises(SettingsError, match=r"probe\.ca_file 指向的文件不存在"):
        apply_mapping(Settings(), {"probe": {"ca_file": str(tmp_path / "none.pem")}}, "t.toml")
