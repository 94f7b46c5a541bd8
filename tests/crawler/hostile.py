"""A small loopback server of hostile and awkward behaviours, for crawler tests.

It accepts proxy-form requests (what `connect_to` sends) and routes by host:
- www.hostile.gov.cn: a home page linking to everything below;
- www.unreachable.gov.cn is never served (tests map it to a closed port).

Given a `CanaryServer`, the home page also links to `/nasty.html`: SSRF links and redirects
to the canary in every spelling of a loopback address (it must never be asked), hanging and
trickling answers, redirect chains, a gzip bomb (10 MB on the wire, 10 GB inflated, made on
the fly), bad encodings and XSS / spreadsheet-formula payloads in titles and links.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import socketserver
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

HOME = """<html><head><meta charset="utf-8"><title>恶意测试站</title></head><body>
<div class="header">恶意测试站</div>
<a href="/binary.html">二进制</a>
<a href="/huge.html">超大页面</a>
<a href="/redirect/1">无限重定向</a>
<a href="/gbk.html">GBK页面</a>
<a href="/busy.html">繁忙</a>
<a href="/slow.html">慢页面</a>
<a href="/trap/a/b/">陷阱</a>
<a href="/shared.png">共享图片</a>
<a href="/a.html">A</a><a href="/b.html">B</a>
<a href="/flaky.html">偶发故障</a><a href="/private/secret.html">内部</a>
<a href="http://www.unreachable.gov.cn/">不可达站点</a>
<div class="footer">湘ICP备05009375号</div>
</body></html>"""

ARTICLE = """<html><head><meta charset="utf-8"><title>{name}</title></head><body>
<a href="/">首页</a><img src="/shared.png"><a href="/shared.png">图</a>
<p>{name}</p></body></html>"""

GBK_PAGE = "<html><head><title>国务院办公厅关于印发通知</title></head><body>" \
           "<p>政府网站发展指引</p><a href=\"/a.html\">链接</a></body></html>"


class CanaryServer:
    """Counts every connection it accepts, on 127.0.0.1 and on ::1 (the same port number is
    not guaranteed: `port` and `port6`). A crawl that respects the egress policy never
    connects to it."""

    def __init__(self) -> None:
        self.hits = 0
        self.lock = threading.Lock()
        canary = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with canary.lock:
                    canary.hits += 1
                try:
                    self.request.recv(4096)
                    self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
                                         b"Connection: close\r\n\r\nsecret")
                except OSError:
                    pass

        class V6Server(socketserver.ThreadingTCPServer):
            address_family = socket.AF_INET6

        self.servers: list[socketserver.ThreadingTCPServer] = [
            socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)]
        # Without an IPv6 loopback here the [::1] links are refused all the same.
        with contextlib.suppress(OSError):
            self.servers.append(V6Server(("::1", 0), Handler))
        for server in self.servers:
            server.daemon_threads = True
        self.port = self.servers[0].server_address[1]
        self.port6 = self.servers[-1].server_address[1] if len(self.servers) > 1 else self.port

    def __enter__(self) -> CanaryServer:
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def ssrf_urls(self) -> list[str]:
        """Links to the canary in the spellings of loopback a resolver accepts."""
        p, p6 = self.port, self.port6
        return [
            f"http://127.0.0.1:{p}/admin", f"http://localhost:{p}/", f"http://LOCALHOST.:{p}/x",
            f"http://127.1:{p}/", f"http://2130706433:{p}/", f"http://0x7f000001:{p}/",
            f"http://017700000001:{p}/", f"http://0177.0.0.1:{p}/", f"http://0.0.0.0:{p}/",
            f"http://[::1]:{p6}/", f"http://[::ffff:127.0.0.1]:{p}/",
            f"http://[0:0:0:0:0:ffff:7f00:1]:{p}/", f"http://a.localhost:{p}/",
            f"http://user:pw@127.0.0.1:{p}/login",
        ]


# Other forbidden destinations (nothing listens: a request would show as a timeout or refusal
# rather than as private_address).
FORBIDDEN_ELSEWHERE = [
    "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/",
    "http://[fe80::1]/", "http://[2001:db8::1]/", "http://100.64.0.1/", "http://224.0.0.1/",
]

GZIP_BOMB_WIRE = 10 * 1024 * 1024  # bytes sent
GZIP_BOMB_INFLATED = 10 * 1024 ** 3  # bytes it inflates to


def gzip_bomb_chunks(inflated: int = GZIP_BOMB_INFLATED) -> Iterator[bytes]:
    """A gzip stream of `inflated` zero bytes (10 GiB: about 10 MB on the wire), made on the
    fly and never stored. After a full flush a block of zeros always compresses to the same
    bytes, so one compressed megabyte is sent over and over. The trailer's CRC-32 is computed
    only up to 1 GiB (beyond, it would cost seconds of CPU per request; no client should
    inflate that far, and one that did would find the stream corrupt)."""
    block = bytes(1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    yield first
    exact = inflated <= 2 ** 30
    crc = zlib.crc32(block, zlib.crc32(block))
    for _ in range(inflated // len(block) - 2):
        yield repeat
        if exact:
            crc = zlib.crc32(block, crc)
    yield repeat
    # The end: an empty final block and the gzip trailer (CRC-32 and length mod 2**32).
    yield b"\x03\x00" + (crc & 0xFFFFFFFF).to_bytes(4, "little") \
        + (inflated & 0xFFFFFFFF).to_bytes(4, "little")


NASTY = """<html><head><meta charset="utf-8">
<title>=HYPERLINK("http://evil.example/","点我")<script>alert(1)</script></title></head><body>
<a href="/hang.html">挂起</a><a href="/trickle.html">涓流</a>
<a href="/chain/1">重定向链</a><a href="/loop/a">重定向循环</a>
<a href="/bomb.html">压缩炸弹</a><a href="/bomb-small.html">小压缩炸弹</a>
<a href="/bomb-head.html">压缩炸弹(仅HEAD)</a>
<a href="/badenc.html">错误编码</a><a href="/latin.html">声明与实际不符</a>
<a href="/xss.html">XSS</a>
<a href="/ssrf/redirect">重定向到内网</a><a href="/ssrf/redirect-decimal">重定向到内网(十进制)</a>
<a href="/ssrf/redirect-v6">重定向到内网(IPv6)</a><a href="/ssrf/chain">多跳后到内网</a>
<a href="/javascript-ish" onclick="x">x</a>
{links}
</body></html>"""

XSS_PAGE = """<html><head><meta charset="utf-8">
<title><img src=x onerror=alert(1)>=cmd|' /C calc'!A0</title></head><body>
<a href="javascript:alert(1)">js</a>
<a href="/=1+1">=1+1</a><a href="/%3Cscript%3Ealert(1)%3C/script%3E.html">x</a>
<a href="data:text/html,<script>alert(1)</script>">data</a>
<p>@SUM(1+1)*cmd|' /C calc'!A0</p>
<div class="footer">湘ICP备05009375号</div>
</body></html>"""


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up on a bomb or a trickle is the point, not an error


class HostileServer:
    def __init__(self, canary: CanaryServer | None = None, wide: int = 0) -> None:
        self.canary = canary
        # > 0: the home page links to /wide/0.html .. /wide/4.html, each linking to `wide`
        # distinct images of its own (/w/<page>-<i>.png): link checks to be capped.
        self.wide = wide
        self.hits: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.busy_served = False
        self.flaky_served = False
        self.agents: set[str] = set()
        self.referers: dict[tuple[str, str], str] = {}  # (method, path) -> Referer sent
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _path(self) -> str:
                parts = urlsplit(self.path)
                return parts.path if parts.scheme else self.path.split("?")[0]

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                      headers: dict[str, str] | None = None, head: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _serve(self, head: bool) -> None:
                path = self._path()
                with server.lock:
                    server.hits[(self.command, path)] += 1
                with server.lock:
                    server.agents.add(self.headers.get("User-Agent", ""))
                    server.referers[(self.command, path)] = self.headers.get("Referer", "")
                if path == "/robots.txt":
                    self._send(200, b"User-agent: *\nDisallow: /private/\n",
                               ctype="text/plain", head=head)
                elif path == "/flaky.html":
                    with server.lock:
                        first = not server.flaky_served
                        server.flaky_served = True
                    if first:  # a blip: one 503 without Retry-After, then fine
                        self._send(503, b"unavailable", head=head)
                    else:
                        self._send(200, ARTICLE.format(name="flaky").encode(), head=head)
                elif server.canary is not None and self._nasty(path, head):
                    return
                elif path == "/":
                    etag = '"home-v1"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    home = HOME if server.canary is None else HOME.replace(
                        "</body>", '<a href="/nasty.html">恶意</a><a href="http://127.0.0.1:'
                        f'{server.canary.port}/from-home">内网</a></body>')
                    if server.wide:
                        home = home.replace("</body>", "".join(
                            f'<a href="/wide/{n}.html">多链接{n}</a>' for n in range(5))
                            + "</body>")
                    self._send(200, home.encode(), headers={"ETag": etag}, head=head)
                elif path in ("/a.html", "/b.html"):
                    self._send(200, ARTICLE.format(name=path).encode(), head=head)
                elif path == "/binary.html":
                    junk = bytes(range(256)) * 400
                    self._send(200, junk, head=head)
                elif path == "/huge.html":
                    body = b"<html><body>" + b"<p>\xe6\x94\xbf\xe5\xba\x9c</p>" * 1_000_000
                    self._send(200, body, head=head)
                elif path.startswith("/redirect/"):
                    n = int(path.rsplit("/", 1)[1] or 0)
                    self._send(302, b"", headers={"Location": f"/redirect/{n + 1}"}, head=head)
                elif path == "/gbk.html":
                    self._send(200, GBK_PAGE.encode("gbk"), ctype="text/html; charset=GBK",
                               head=head)
                elif path == "/busy.html":
                    with server.lock:
                        first = not server.busy_served
                        server.busy_served = True
                    if first:
                        self._send(429, b"busy", headers={"Retry-After": "1"}, head=head)
                    else:
                        self._send(200, ARTICLE.format(name="busy").encode(), head=head)
                elif path == "/slow.html":
                    time.sleep(0.3)
                    self._send(200, ARTICLE.format(name="slow").encode(), head=head)
                elif path.startswith("/trap/"):
                    # every page links one level deeper: an endless relative-link trap
                    body = '<html><body><a href="a/b/">更深</a></body></html>'.encode()
                    self._send(200, body, head=head)
                elif path.startswith("/wide/"):
                    n = path.rsplit("/", 1)[1].split(".")[0]
                    links = "".join(f'<img src="/w/{n}-{i}.png">' for i in range(server.wide))
                    self._send(200, f"<html><body>{links}</body></html>".encode(), head=head)
                elif path.startswith("/w/"):
                    self._send(200, b"\x89PNG\r\n\x1a\n", ctype="image/png", head=head)
                elif path.startswith("/many/"):
                    n = int(path.rsplit("/", 1)[1].split(".")[0])
                    links = "".join(f'<a href="/many/{n * 3 + i}.html">{i}</a>' for i in (1, 2, 3))
                    self._send(200, f"<html><body>{links}</body></html>".encode(), head=head)
                elif path == "/shared.png":
                    self._send(200, b"\x89PNG\r\n\x1a\n" + b"0" * 64, ctype="image/png",
                               head=head)
                else:
                    self._send(404, "<html><title>404 页面不存在</title></html>".encode(),
                               head=head)

            def _nasty(self, path: str, head: bool) -> bool:
                """The canary-world pages (see the module docstring); False: not one."""
                canary = server.canary
                assert canary is not None
                c = canary.port
                if path == "/nasty.html":
                    links = "".join(f'<a href="{u}">内网{i}</a>'
                                    for i, u in enumerate(canary.ssrf_urls()
                                                          + FORBIDDEN_ELSEWHERE))
                    self._send(200, NASTY.format(links=links).encode(), head=head)
                elif path == "/hang.html":
                    time.sleep(30)  # longer than any timeout; the client gives up first
                    self._send(200, b"late", head=head)
                elif path == "/trickle.html":
                    # one byte a second, forever (well: 60 s): only a total deadline ends it
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    try:
                        for _ in range(60):
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(1)
                    except OSError:
                        pass
                elif path.startswith("/chain/"):
                    n = int(path.rsplit("/", 1)[1] or 0)
                    if n < 5:
                        self._send(301, b"", headers={"Location": f"/chain/{n + 1}"}, head=head)
                    else:
                        self._send(200, ARTICLE.format(name="chain").encode(), head=head)
                elif path.startswith("/loop/"):
                    nxt = "/loop/b" if path.endswith("/a") else "/loop/a"
                    self._send(302, b"", headers={"Location": nxt}, head=head)
                elif path in ("/bomb.html", "/bomb-head.html", "/bomb-small.html"):
                    if head and path == "/bomb-head.html":
                        self._send(405, b"", head=True)  # push the checker to GET it
                        return True
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    if head:
                        return True
                    try:
                        size = GZIP_BOMB_INFLATED if path != "/bomb-small.html" else 2 ** 29
                        for chunk in gzip_bomb_chunks(size):
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    except OSError:
                        pass  # the client hung up once it had enough
                    self.close_connection = True
                elif path == "/badenc.html":
                    body = b"<html><head><title>\xff\xfe\x00bad \xc3\x28</title></head>" \
                        b"<body>\x81\x82\x83\xe4\xb8<a href=\"/a.html\">\xfe</a></body></html>"
                    self._send(200, body, ctype="text/html; charset=utf-8", head=head)
                elif path == "/latin.html":
                    body = "<html><head><meta charset='no-such-charset'><title>国务院</title>" \
                        "</head><body>政府</body></html>"
                    self._send(200, body.encode("gbk"), ctype="text/html; charset=utf-16",
                               head=head)
                elif path == "/xss.html":
                    self._send(200, XSS_PAGE.encode(), head=head)
                elif path == "/ssrf/redirect":
                    self._send(302, b"", headers={"Location": f"http://127.0.0.1:{c}/admin"},
                               head=head)
                elif path == "/ssrf/redirect-decimal":
                    self._send(301, b"", headers={"Location": f"http://2130706433:{c}/r"},
                               head=head)
                elif path == "/ssrf/redirect-v6":
                    self._send(307, b"", headers={
                        "Location": f"http://[::1]:{canary.port6}/r6"}, head=head)
                elif path == "/ssrf/chain":
                    self._send(302, b"", headers={"Location": "/ssrf/redirect"}, head=head)
                else:
                    return False
                return True

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
