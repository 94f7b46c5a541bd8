"""Loopback servers the service tests start themselves: a web site with every way a home page
can fail, a webhook receiver, and a tiny SMTP server (no third-party package needed)."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HOME = "<html><head><title>测试站</title></head><body><p>首页</p></body></html>".encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SiteServer:
    """Answers by host name (absolute-form proxy requests, as connect_to sends them):

    ok.probe.gov.cn / -> 200 page; slow.probe.gov.cn -> headers and half the body, then
    stalls until released; hang.probe.gov.cn -> accepts and never answers until released;
    error.probe.gov.cn -> 500; empty.probe.gov.cn -> 200 with an empty body;
    moved.probe.gov.cn -> 302 to ok; loop.probe.gov.cn -> redirects to itself via /a and /b.
    """

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests: list[tuple[str, str, str]] = []  # (host, path, user agent)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                host = (parts.hostname or self.headers.get("Host", "")).split(":")[0]
                path = parts.path or "/"
                outer.requests.append((host, path, self.headers.get("User-Agent", "")))
                name = host.split(".")[0]
                if name == "ok":
                    self._send(200, HOME)
                elif name == "error":
                    self._send(500, "服务器错误".encode())
                elif name == "empty":
                    self._send(200, b"")
                elif name == "moved":
                    self._send(302, b"", location="http://ok.probe.gov.cn/")
                elif name == "loop":
                    target = "/b" if path == "/a" else "/a"
                    self._send(302, b"", location=f"http://loop.probe.gov.cn{target}")
                elif name == "slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(HOME)))
                    self.end_headers()
                    self.wfile.write(HOME[: len(HOME) // 2])
                    self.wfile.flush()
                    outer.release.wait(30)
                    self.wfile.write(HOME[len(HOME) // 2:])
                elif name == "hang":
                    outer.release.wait(30)
                    self._send(200, HOME)
                else:
                    self._send(404, b"not found")

            def _send(self, status: int, body: bytes, location: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookServer:
    """Records JSON POSTs (and each request's Host header and path); answers with the
    statuses in `statuses` in turn, then 200, with `answer` as its JSON body when set (a
    robot's {"errcode": 0, ...}); with `redirect`, a 307 there instead."""

    def __init__(self, statuses: list[int] | None = None,
                 answer: dict[str, Any] | None = None, redirect: str = "") -> None:
        self.received: list[dict[str, Any]] = []
        self.redirect = redirect  # answer every POST with a 307 to this URL
        self.requests: list[tuple[str, str]] = []  # (Host header, request target)
        self.statuses = list(statuses or [])
        self.answer = answer
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                with outer.lock:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.requests.append((self.headers.get("Host", ""), self.path))
                    if status < 300:
                        outer.received.append(body)
                reply = json.dumps(outer.answer).encode() if outer.answer is not None else b""
                if outer.redirect:
                    self.send_response(307)
                    self.send_header("Location", outer.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                if reply:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SMTPServer:
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
    QUIT. `reject_data` answers 554 to the end of DATA (a refused message)."""

    def __init__(self, reject_data: bool = False, reject_once: bool = False) -> None:
        self.messages: list[dict[str, Any]] = []
        self.reject_data = reject_data
        self.reject_once = reject_once  # 554 to the next message only
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode("ascii") + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                self.reply("220 test ESMTP")
                sender, rcpts = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    command = raw.decode("utf-8", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                        self.wfile.flush()
                    elif verb == "HELO" or verb in ("NOOP", "RSET"):
                        if verb == "RSET":
                            sender, rcpts = "", []
                        self.reply("250 OK")
                    elif verb == "MAIL":
                        sender = command.split(":", 1)[1].split()[0].strip("<>")
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(command.split(":", 1)[1].split()[0].strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while True:
                            line = self.rfile.readline()
                            if line in (b".\r\n", b".\n", b""):
                                break
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        if outer.reject_data or outer.reject_once:
                            outer.reject_once = False
                            self.reply("554 Transaction failed")
                        else:
                            outer.messages.append({"from": sender, "to": list(rcpts),
                                                   "data": b"".join(lines)})
                            self.reply("250 OK queued")
                        sender, rcpts = "", []
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed(tmp: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` that no CA vouches for (a TLS failure to a verifying client)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def tls_site(tmp: Path, host: str) -> Iterator[int]:
    """An HTTPS server with a self-signed certificate for `host`; yields its port."""
    cert, key = self_signed(tmp, host)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(HOME)))
            self.end_headers()
            self.wfile.write(HOME)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
