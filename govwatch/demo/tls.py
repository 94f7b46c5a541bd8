"""Certificates for the demo sites served over HTTPS, from a demo CA made when the server starts.

The demo world declares, per host, how its HTTPS is set up (`SiteSpec.tls`, copied into
behaviours.json as the host's "tls"): "valid" (a certificate for the host from the demo CA,
valid long before and after the demo's instant), "expiring" (the same, but expiring
`EXPIRING_DAYS` days after the demo's instant: https.missing's positive for a certificate about
to expire), or "wrong-host" (a valid certificate of the demo CA for another name, as a site
left on its hosting provider's default certificate gets: the probe's host-name check fails).
A host without "tls" has no HTTPS at all.

The CA and its certificates are made afresh whenever a DemoServer is created (EC P-256 keys: a
few milliseconds) and written under DIR/tls/ of the world: `ca.pem` is what the probe is told to
trust (`[probe] ca_file`), the per-host PEM files are what the server presents. Nothing here is
a secret worth keeping: the keys protect nothing but loopback demo traffic.

Why validity windows are computed from both the demo's instant and the real clock: the
checks judge the certificate as of `--as-of` (the world's instant), while the TLS handshake
verifies it against the real clock. "valid" covers both instants with a wide margin; "expiring"
ends `EXPIRING_DAYS` after the world's instant, so once the real clock passes that day the
probe's handshake fails as expired, which https.missing reports too (as an invalid certificate).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

TLS_MODES = ("valid", "expiring", "wrong-host")
EXPIRING_DAYS = 25  # within https.missing's 30 days
WRONG_HOST_NAME = "default.cdn-hosting-demo.com"  # whose certificate a "wrong-host" site shows
_CA_NAME = "govwatch demo CA"


@dataclass(frozen=True, slots=True)
class DemoCertificates:
    ca_file: Path  # the demo CA's certificate (PEM): what a client trusts
    contexts: dict[str, ssl.SSLContext]  # host -> the server-side context presenting its cert


def _name(common_name: str) -> object:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govwatch demo"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path, hosts: dict[str, str], as_of: datetime,
                      now: datetime | None = None) -> DemoCertificates:
    """A demo CA and one certificate per host of `hosts` (host -> TLS mode), written under
    `directory`; `as_of` is the world's instant, `now` the real clock (tests may pin it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = now or datetime.now(UTC)
    earliest, latest = min(now, as_of), max(now, as_of)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(_CA_NAME)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)  # type: ignore[arg-type]
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(earliest - timedelta(days=400))
        .not_valid_after(latest + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_pem)
    contexts: dict[str, ssl.SSLContext] = {}
    for host, mode in sorted(hosts.items()):
        if mode not in TLS_MODES:
            raise ValueError(f"unknown TLS mode {mode!r} for {host}")
        name = WRONG_HOST_NAME if mode == "wrong-host" else host
        not_after = (as_of + timedelta(days=EXPIRING_DAYS) if mode == "expiring"
                     else latest + timedelta(days=365))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(ca_name)  # type: ignore[arg-type]
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(earliest - timedelta(days=90))
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = directory / f"{host}.pem"
        pem.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pem)
        contexts[host] = context
    return DemoCertificates(ca_file, contexts)
