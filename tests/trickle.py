"""A loopback server that answers one byte per second, for the total-deadline tests.

Every connection gets its request read, then an answer written a byte at a time with
`interval` seconds between bytes: from the status line on (`headers=True`, so even the
headers never finish in time), or after complete headers announcing a large body (the body
trickles). It stops writing when the client goes away (noticed at once: the socket is
watched between bytes) or the server is closed, and records how long each connection lived.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ANSWER_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
               b"Content-Length: 100000\r\n\r\n")
BODY = b"<html><body>" + b"x" * 99_988


class TrickleServer:
    def __init__(self, *, headers: bool = True, interval: float = 1.0) -> None:
        self.stop = threading.Event()
        self.connections = 0
        self.open = 0  # connections still being answered
        self.lifetimes: list[float] = []  # seconds from accept to the client's close
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                accepted = time.monotonic()
                with outer._lock:
                    outer.connections += 1
                    outer.open += 1
                try:
                    sock.settimeout(5)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = sock.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                    if not headers:
                        sock.sendall(ANSWER_HEAD)
                    payload = ANSWER_HEAD + BODY if headers else BODY
                    for i in range(len(payload)):
                        readable, _, _ = select.select([sock], [], [], interval)
                        if outer.stop.is_set() or (readable and not sock.recv(4096)):
                            return  # the client gave up: that is the point
                        sock.sendall(payload[i:i + 1])
                except OSError:
                    return
                finally:
                    with outer._lock:
                        outer.open -= 1
                        outer.lifetimes.append(time.monotonic() - accepted)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def trickle_server(*, headers: bool = True, interval: float = 1.0) -> Iterator[TrickleServer]:
    server = TrickleServer(headers=headers, interval=interval)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.server.shutdown()
        server.server.server_close()
