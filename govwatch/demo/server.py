"""A loopback HTTP server for the demo world: every demo host on one port, routed by host.

The crawler reaches the demo hosts through its `connect_to` setting, which sends requests in
HTTP proxy form (`GET http://www.x.gov.cn/path HTTP/1.1`); browsers and tests may also send
origin form (`GET /path` with a Host header). Both are accepted: the host comes from the
absolute URL, else from the Host header (port stripped).

What a host answers is, in order: a planted behaviour for the path (behaviours.json: redirects,
errors, the hang, 429-once, HEAD refusals), else a static file (with ETag and Last-Modified,
and 304 for matching conditional requests), else "/dir" -> 301 "/dir/" when that is a
directory, else the host's answer to unknown paths (a real 404, or 200 soft-404 pages).

Why threads and not asyncio: the standard library's ThreadingHTTPServer is enough for the
crawler's few dozen concurrent connections, and a blocked "hang" handler then costs one
sleeping thread, released promptly by `stop()`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import select
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from govwatch.demo.world import World

__all__ = ["DemoServer"]

_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".js": "application/javascript", ".png": "image/png", ".jpg": "image/jpeg",
    ".gif": "image/gif", ".pdf": "application/pdf", ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel", ".txt": "text/plain", ".json": "application/json",
}  # fmt: skip
_TEXT_TYPES = frozenset({"text/html", "text/css", "application/javascript", "text/plain"})
_CHARSET_NAMES = {"utf-8": "utf-8", "gbk": "GBK"}
_IDLE_TIMEOUT = 30.0  # seconds a keep-alive connection may sit idle


@dataclass(frozen=True, slots=True)
class _File:
    body: bytes
    content_type: str
    etag: str
    path: Path | None = None  # where it was read from, to notice edits
    mtime_ns: int = 0
    last_modified: str | None = None  # set once the file was edited after the server started


def _read(path: Path, content_type: str, last_modified: str | None = None) -> _File:
    body = path.read_bytes()
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    return _File(body, content_type, etag, path, path.stat().st_mtime_ns, last_modified)


def _content_type(name: str, charset: str) -> str:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > name.rfind("/") else ""
    ctype = _TYPES.get(ext, "text/html")  # extensionless paths (/sitename) are pages
    if ctype in _TEXT_TYPES:
        encoding = _CHARSET_NAMES[charset] if ctype == "text/html" else "utf-8"
        return f"{ctype}; charset={encoding}"
    return ctype


def _load_files(root: Path, hosts: dict[str, Any]) -> dict[str, dict[str, _File]]:
    """Every file under www/<host>/, keyed by the URL paths that reach it."""
    index: dict[str, dict[str, _File]] = {}
    for host, spec in hosts.items():
        files: dict[str, _File] = {}
        base = root / "www" / host
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            relative = path.relative_to(base).as_posix()
            entry = _read(path, _content_type(relative, spec["charset"]))
            files["/" + relative] = entry
            if relative == "index.html" or relative.endswith("/index.html"):
                files["/" + relative[: -len("index.html")]] = entry
        index[host] = files
    return index


def _strip_port(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for keep-alive or hanging handlers
    allow_reuse_address = True
    request_queue_size = 128  # the crawler opens several connections per host at once
    demo: DemoServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-answer is routine here: no traceback on stderr."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Not HTTP/0.9: error answers to unparsable request lines still get a status line.
    default_request_version = "HTTP/1.0"
    server_version = "nginx"
    sys_version = ""
    timeout = _IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.demo._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.demo._track(self.connection, add=False)
            if self.tls_host is not None:  # the TLS socket the tunnel made is ours to close
                with contextlib.suppress(OSError):
                    self.connection.close()

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ValueError):
            self.close_connection = True

    tls_host: str | None = None  # set once a CONNECT tunnel to this host went TLS

    def do_CONNECT(self) -> None:
        self.server.demo._connect(self)

    def do_GET(self) -> None:
        self.server.demo._serve(self, head=False)

    def do_HEAD(self) -> None:
        self.server.demo._serve(self, head=True)

    def _not_allowed(self) -> None:
        # The body (if any) is not read: close rather than misparse it as the next request.
        self.close_connection = True
        body = b"405 Method Not Allowed\n"
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: `DemoServer.request_log` records every request instead."""


class DemoServer:
    """Serves a built World on loopback. Use as a context manager, or start()/stop()."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        self.request_log: list[tuple[str, str, str]] = []
        self._address = (host, port)
        table = json.loads((Path(world.root) / "behaviours.json").read_text("utf-8"))
        self._hosts: dict[str, Any] = table["hosts"]
        self._last_modified: str = table["last_modified"]
        self._modified_at = parsedate_to_datetime(self._last_modified)
        self._files = _load_files(Path(world.root), self._hosts)
        self._bodies: dict[str, bytes] = {}
        for spec in self._hosts.values():
            names = [spec["unknown"].get("body")]
            names += [b.get("body") for b in spec["paths"].values()]
            for name in names:
                if name and name not in self._bodies:
                    self._bodies[name] = (Path(world.root) / "errors" / name).read_bytes()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._rate_limited: set[tuple[str, str]] = set()
        self._httpd: _Server | None = None
        tls_hosts = {h: spec["tls"] for h, spec in self._hosts.items() if spec.get("tls")}
        self._tls: dict[str, ssl.SSLContext] = {}
        self.ca_file: Path | None = None
        if tls_hosts:
            from govwatch.demo.tls import make_certificates

            certificates = make_certificates(Path(world.root) / "tls", tls_hosts,
                                             datetime.fromisoformat(table["as_of"]))
            self._tls, self.ca_file = certificates.contexts, certificates.ca_file
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Bind, serve in a daemon thread, and return the bound port."""
        if self._httpd is not None:
            return self.port
        self._stopping.clear()
        with self._lock:
            self._rate_limited.clear()  # "the first time" is per server start
        httpd = _Server(self._address, _Handler)
        httpd.demo = self
        self._httpd = httpd
        self.port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"demo-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self.port

    def stop(self) -> None:
        """Stop accepting, wake hanging handlers and close every open connection."""
        httpd, self._httpd = self._httpd, None
        self._stopping.set()
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # -- requests --------------------------------------------------------------------------

    def _connect(self, handler: _Handler) -> None:
        """A CONNECT tunnel (how proxied clients reach https:// URLs): for a host served
        over HTTPS, answer 200 and speak TLS with the host's certificate on the same
        connection, then HTTP in origin form; any other target is refused (502), like a host
        with nothing listening on port 443."""
        handler.close_connection = True
        host, _, port = handler.path.rpartition(":")
        host = host.strip("[]").lower().rstrip(".")
        context = self._tls.get(host)
        with self._lock:
            self.request_log.append(("CONNECT", host, handler.path))
        if context is None or port != "443" or handler.tls_host is not None:
            self._plain(handler, 502, f"no HTTPS at {handler.path}\n", False,
                        [("Connection", "close")])
            return
        handler.send_response(200, "Connection established")
        handler.end_headers()
        handler.wfile.flush()
        try:
            tls = context.wrap_socket(handler.connection, server_side=True)
        except (OSError, ValueError):
            return  # the client refused our certificate (the wrong-host site) or went away
        self._track(handler.connection, add=False)
        self._track(tls, add=True)
        handler.connection = handler.request = tls
        handler.rfile = tls.makefile("rb")
        handler.wfile = socketserver._SocketWriter(tls)  # type: ignore[attr-defined]
        handler.tls_host = host
        handler.close_connection = False

    def _route(self, handler: _Handler) -> tuple[str, str, str] | None:
        """(host, path, query) of the request, or None when it names no host."""
        target = handler.path
        if handler.tls_host is not None:  # inside a tunnel: the tunnel's host, origin form
            if not target.startswith("/"):
                return None
            path, _, query = target.split("#", 1)[0].partition("?")
            return handler.tls_host, path, query
        if target.lower().startswith(("http://", "https://")):
            try:
                parts = urlsplit(target)
            except ValueError:
                return None
            host = (parts.hostname or "").rstrip(".")
            return (host, parts.path or "/", parts.query) if host else None
        if not target.startswith("/"):
            return None
        path, _, query = target.split("#", 1)[0].partition("?")
        host = _strip_port(handler.headers.get("Host", "")).rstrip(".")
        return (host, path, query) if host else None

    def _serve(self, handler: _Handler, *, head: bool) -> None:
        route = self._route(handler)
        if route is None:
            handler.close_connection = True  # a client this confused gets no second request
            self._plain(
                handler,
                400,
                "bad request target or missing Host\n",
                head,
                [("Connection", "close")],
            )
            return
        host, raw_path, query = route
        with self._lock:
            self.request_log.append(
                (handler.command, host, raw_path + (f"?{query}" if query else ""))
            )
        spec = self._hosts.get(host)
        if spec is None:
            self._plain(handler, 404, f"unknown host {host}\n", head)
            return
        path = unquote(raw_path)
        behaviour = spec["paths"].get(path)
        if behaviour is not None and self._behave(handler, host, path, behaviour, head):
            return
        files = self._files[host]
        found = files.get(path)
        if found is not None:
            found = files[path] = self._fresh(found)
            self._send_file(handler, found, head)
            return
        if not path.endswith("/") and path + "/" in files:
            scheme = "https" if handler.tls_host is not None else "http"
            location = f"{scheme}://{host}{raw_path}/" + (f"?{query}" if query else "")
            self._redirect(handler, 301, location, head)
            return
        unknown = spec["unknown"]
        self._send(
            handler,
            unknown["status"],
            self._bodies[unknown["body"]],
            _content_type(".html", spec["charset"]),
            head,
        )

    def _behave(
        self, handler: _Handler, host: str, path: str, behaviour: dict[str, Any], head: bool
    ) -> bool:
        """Answer as planted; False when the request falls through to the file."""
        kind = behaviour["type"]
        charset = self._hosts[host]["charset"]
        if kind == "redirect":
            self._redirect(handler, behaviour["status"], behaviour["location"], head)
            return True
        if kind == "status":
            body = self._bodies[behaviour["body"]]
            self._send(handler, behaviour["status"], body, _content_type(".html", charset), head)
            return True
        if kind == "hang":
            self._hang(handler, float(behaviour["seconds"]))
            return True
        if kind == "rate-limit-once":
            with self._lock:
                first = (host, path) not in self._rate_limited
                self._rate_limited.add((host, path))
            if first:
                body = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
                self._send(
                    handler,
                    429,
                    body,
                    _content_type(".html", charset),
                    head,
                    [("Retry-After", str(behaviour["retry_after"]))],
                )
                return True
            return False
        if kind == "head-status":
            if not head:
                return False
            body = self._bodies.get(behaviour.get("body") or "", b"")
            extra = [("Allow", "GET")] if behaviour["status"] == 405 else []
            self._send(
                handler, behaviour["status"], body, _content_type(".html", charset), head, extra
            )
            return True
        raise ValueError(f"unknown behaviour {kind!r} for {host}{path}")

    def _hang(self, handler: _Handler, seconds: float) -> None:
        """Accept and never answer: until `seconds` pass, the client leaves, or stop()."""
        handler.close_connection = True
        deadline = time.monotonic() + seconds
        sock = handler.connection
        while not self._stopping.wait(0.2):
            if time.monotonic() >= deadline:
                return
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable and not sock.recv(1, socket.MSG_PEEK):
                    return  # the client gave up
            except (OSError, ValueError):
                return

    @staticmethod
    def _fresh(found: _File) -> _File:
        """The file as it is on disk now: a page of the world edited while the server runs
        (to try a fix, see README) is served as edited, with its own Last-Modified."""
        if found.path is None:
            return found
        try:
            mtime = found.path.stat().st_mtime_ns
            if mtime == found.mtime_ns:
                return found
            return _read(found.path, found.content_type, formatdate(mtime / 1e9, usegmt=True))
        except OSError:
            return found  # removed while serving: keep answering what was there

    def _send_file(self, handler: _Handler, found: _File, head: bool) -> None:
        modified = found.last_modified or self._last_modified
        validators = [("ETag", found.etag), ("Last-Modified", modified)]
        if self._not_modified(handler, found.etag, parsedate_to_datetime(modified)):
            handler.send_response(304)
            for name, value in validators:
                handler.send_header(name, value)
            handler.end_headers()
            return
        self._send(handler, 200, found.body, found.content_type, head, validators)

    def _not_modified(self, handler: _Handler, etag: str, modified_at: datetime) -> bool:
        if_none_match = handler.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        if_modified_since = handler.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError, IndexError):
                return False
            if since.tzinfo is None:
                return False
            return modified_at <= since
        return False

    def _redirect(self, handler: _Handler, status: int, location: str, head: bool) -> None:
        body = f'<html><body>Moved: <a href="{location}">{location}</a></body></html>'.encode()
        self._send(
            handler, status, body, "text/html; charset=utf-8", head, [("Location", location)]
        )

    def _plain(
        self,
        handler: _Handler,
        status: int,
        text: str,
        head: bool,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._send(handler, status, text.encode(), "text/plain; charset=utf-8", head, headers)

    def _send(
        self,
        handler: _Handler,
        status: int,
        body: bytes,
        content_type: str,
        head: bool,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        if not head:
            handler.wfile.write(body)
