"""A small loopback server of hostile and awkward behaviours, for crawler tests.

It accepts proxy-form requests (what `connect_to` sends) and routes by host:
- www.hostile.gov.cn: a home page linking to everything below;
- www.unreachable.gov.cn is never served (tests map it to a closed port).
"""

from __future__ import annotations

import http.server
import threading
import time
from collections import Counter
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


class HostileServer:
    def __init__(self) -> None:
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
                elif path == "/":
                    etag = '"home-v1"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self._send(200, HOME.encode(), headers={"ETag": etag}, head=head)
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

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
