"""The demo server over loopback: routing, planted behaviours, files, robustness.

Every request goes through a real socket to the server the test (or module) started; proxy
form (absolute URL) is what the crawler sends, origin form is what a browser sends.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.html
import pytest

from govwatch.demo.server import DemoServer
from govwatch.demo.sites import HEAD403_URL, HEAD405_URL, RATE_LIMITED_URL, SITES
from govwatch.demo.world import World, connect_to_map
from tests.demo.helpers import fetch

HUNAN = "http://www.hunan-demo.gov.cn/"
_HTTPS_HOSTS = {spec.host for spec in SITES if spec.tls}  # registered and linked as https://


def follow(
    port: int, url: str, method: str = "GET", limit: int = 10
) -> tuple[int, str, list[str], bytes]:
    """Follow redirects by hand: (final status, final URL, chain, body); loops end early."""
    chain: list[str] = []
    visited = {url}
    for _ in range(limit):
        status, headers, body = fetch(port, method, url)
        if status == 429 and "retry-after" in headers:
            status, headers, body = fetch(port, method, url)  # what a polite client does
        if status in (301, 302, 303, 307, 308):
            url = urljoin(url, headers["location"])
            chain.append(url)
            if url in visited:
                return status, url, chain, body
            visited.add(url)
            continue
        return status, url, chain, body
    return -1, url, chain, b""


def unknown_answer(port: int, host: str) -> tuple[int, bytes]:
    status, _, body = fetch(port, "GET", f"http://{host}/no-such-{uuid.uuid4().hex}.html")
    return status, body


def all_pages(world: World) -> Iterator[tuple[str, str]]:
    """(URL, decoded HTML) of every HTML file of every host."""
    for host in world.hosts:
        base = world.root / "www" / host
        for path in sorted(base.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(base).as_posix()
            data = path.read_bytes()
            if b"<html" not in data[:400].lower():
                continue
            if name == "index.html" or name.endswith("/index.html"):
                name = name[: -len("index.html")]
            text = data.decode("gb18030" if "jianghua" in host else "utf-8")
            scheme = "https" if host in _HTTPS_HOSTS else "http"
            yield f"{scheme}://{host}/{name}", text


def page_links(url: str, html: str) -> set[str]:
    doc = lxml.html.fromstring(html)
    found = set()
    for tag, attr in (
        ("a", "href"),
        ("img", "src"),
        ("script", "src"),
        ("link", "href"),
        ("iframe", "src"),
        ("area", "href"),
        ("frame", "src"),
    ):
        for el in doc.iter(tag):
            value = (el.get(attr) or "").strip()
            if value and not value.lower().startswith(("javascript:", "mailto:", "#")):
                found.add(urljoin(url, value).split("#")[0])
    return found


def test_every_link_resolves_to_a_file_or_a_planted_behaviour(
    world: World, server: DemoServer, expected: dict[str, Any]
) -> None:
    port = server.port
    dead = expected["dead_targets"]
    links: set[str] = set()
    for url, html in all_pages(world):
        links |= page_links(url, html)
    assert len(links) > 300
    assert set(dead) <= links
    unknown = {host: unknown_answer(port, host) for host in world.hosts}
    for link in sorted(links - set(dead)):
        host = urlsplit(link).hostname or ""
        assert host in world.hosts, link
        status, final, _, body = follow(port, link)
        assert status == 200, (link, status)
        assert body != unknown[urlsplit(final).hostname or ""][1], link


def test_dead_targets_answer_as_planted(
    world: World, server: DemoServer, expected: dict[str, Any]
) -> None:
    port = server.port
    by_reason: dict[str, list[str]] = {}
    for url, reason in expected["dead_targets"].items():
        by_reason.setdefault(reason, []).append(url)
    for reason in ("http-404", "image-404", "attachment-404", "stylesheet-404", "script-404"):
        for url in by_reason[reason]:
            assert fetch(port, "GET", url)[0] == 404, url
            assert fetch(port, "HEAD", url)[0] == 404, url
    (url,) = by_reason["http-500"]
    assert fetch(port, "GET", url)[0] == 500
    (url,) = by_reason["redirect-loop"]
    status, final, chain, _ = follow(port, url)
    assert chain[-1] == url and len(chain) == 2 and status == 302
    (url,) = by_reason["redirect-404"]
    status, final, chain, _ = follow(port, url)
    assert status == 404 and len(chain) == 1 and final != url
    (url,) = by_reason["soft404-text"]
    status, _, body = fetch(port, "GET", url)
    assert status == 200 and "页面不存在" in body.decode("utf-8")
    (url,) = by_reason["soft404-likeness"]
    host = urlsplit(url).hostname or ""
    status, _, body = fetch(port, "GET", url)
    text = body.decode("utf-8")
    assert status == 200 and (200, body) == unknown_answer(port, host)
    assert "不存在" not in text and "404" not in text and "找不到" not in text
    home = fetch(port, "GET", f"http://{host}/")[2]
    assert home != body
    (url,) = by_reason["refused"]
    host = urlsplit(url).hostname or ""
    assert host in world.refused_hosts and connect_to_map(world, port)[host] == "127.0.0.1:1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", 1), timeout=5).close()
    (url,) = by_reason["dns"]
    host = urlsplit(url).hostname or ""
    assert host.endswith(".invalid") and host not in connect_to_map(world, port)
    (url,) = by_reason["timeout"]
    with pytest.raises(TimeoutError):
        fetch(port, "GET", url, timeout=1)


def test_healthy_near_misses_answer_200(server: DemoServer, expected: dict[str, Any]) -> None:
    port = server.port
    for url in expected["healthy_urls"]:
        status, _, _, _ = follow(port, url)
        assert status == 200, url
    moved = [u for u in expected["healthy_urls"] if u.endswith(".htm")]
    status, headers, _ = fetch(port, "GET", moved[0])
    assert status == 301 and headers["location"] == moved[0] + "l"


def test_429_once_per_server_start_then_200(world: World) -> None:
    with DemoServer(world) as fresh:
        status, headers, _ = fetch(fresh.port, "GET", RATE_LIMITED_URL)
        assert status == 429 and headers["retry-after"] == "1"
        assert fetch(fresh.port, "GET", RATE_LIMITED_URL)[0] == 200
        assert fetch(fresh.port, "HEAD", RATE_LIMITED_URL)[0] == 200
        fresh.stop()
        port = fresh.start()
        assert fetch(port, "HEAD", RATE_LIMITED_URL)[0] == 429
        assert fetch(port, "GET", RATE_LIMITED_URL)[0] == 200


def test_head_refused_but_get_works(server: DemoServer) -> None:
    port = server.port
    status, headers, body = fetch(port, "HEAD", HEAD405_URL)
    assert status == 405 and headers["allow"] == "GET" and body == b""
    status, headers, body = fetch(port, "GET", HEAD405_URL)
    assert status == 200 and headers["content-type"] == "application/msword"
    assert body.startswith(b"{\\rtf1")
    assert fetch(port, "HEAD", HEAD403_URL)[0] == 403
    status, _, body = fetch(port, "GET", HEAD403_URL)
    assert status == 200 and "政务服务" in body.decode("utf-8")


def test_static_files_carry_validators_and_honour_conditional_requests(
    server: DemoServer,
) -> None:
    port = server.port
    status, headers, _ = fetch(port, "GET", HUNAN)
    etag, modified = headers["etag"], headers["last-modified"]
    assert status == 200 and etag.startswith('"') and modified.endswith("GMT")
    status, headers304, body304 = fetch(port, "GET", HUNAN, {"If-None-Match": etag})
    assert status == 304 and body304 == b"" and headers304["etag"] == etag
    assert fetch(port, "GET", HUNAN, {"If-None-Match": '"other", ' + etag})[0] == 304
    assert fetch(port, "GET", HUNAN, {"If-None-Match": '"stale"'})[0] == 200
    assert fetch(port, "GET", HUNAN, {"If-Modified-Since": modified})[0] == 304
    older = "Sat, 01 Nov 2025 00:00:00 GMT"
    assert fetch(port, "GET", HUNAN, {"If-Modified-Since": older})[0] == 200
    # If-None-Match wins over If-Modified-Since.
    both = {"If-None-Match": '"stale"', "If-Modified-Since": modified}
    assert fetch(port, "GET", HUNAN, both)[0] == 200
    for path in ("/css/style.css", "/images/logo.png", "/robots.txt"):
        assert "etag" in fetch(port, "GET", urljoin(HUNAN, path))[1]


def test_head_gives_the_get_headers_without_a_body_on_a_kept_alive_connection(
    server: DemoServer,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("HEAD", HUNAN, headers={"Host": "www.hunan-demo.gov.cn"})
        head = conn.getresponse()
        assert head.read() == b""
        conn.request("GET", HUNAN, headers={"Host": "www.hunan-demo.gov.cn"})
        get = conn.getresponse()  # same connection: no stray body bytes in between
        body = get.read()
    finally:
        conn.close()
    assert head.status == get.status == 200
    assert int(head.headers["Content-Length"]) == len(body) == int(get.headers["Content-Length"])


def test_absolute_and_origin_form_route_by_host(server: DemoServer) -> None:
    port = server.port
    absolute = fetch(port, "GET", HUNAN)
    origin = fetch(port, "GET", HUNAN, absolute=False)
    assert absolute[0] == origin[0] == 200 and absolute[2] == origin[2]
    changsha = fetch(port, "GET", "http://www.changsha-demo.gov.cn/")[2]
    assert changsha != absolute[2]
    # The host of an absolute URL wins over the Host header; a port in Host is ignored.
    mixed = fetch(port, "GET", HUNAN, {"Host": "www.changsha-demo.gov.cn:80"})
    assert mixed[2] == absolute[2]
    with_port = fetch(port, "GET", "http://www.changsha-demo.gov.cn:8080/", absolute=False)
    assert with_port[2] == changsha
    assert fetch(port, "GET", "http://www.not-served.gov.cn/")[0] == 404
    log = server.request_log
    assert ("GET", "www.hunan-demo.gov.cn", "/") in log
    assert ("GET", "www.changsha-demo.gov.cn", "/") in log


def test_a_real_proxy_client_reaches_every_host(world: World, server: DemoServer) -> None:
    with httpx.Client(proxy=f"http://127.0.0.1:{server.port}", timeout=10) as client:
        for host in world.hosts:
            response = client.get(f"http://{host}/robots.txt")
            assert response.status_code == 200 and b"User-agent" in response.content


def test_request_log_records_method_host_and_path(server: DemoServer) -> None:
    url = "http://bszs.conac.cn/sitename?method=show&id=" + "A" * 32
    fetch(server.port, "HEAD", url)
    assert ("HEAD", "bszs.conac.cn", "/sitename?method=show&id=" + "A" * 32) in server.request_log


def test_the_gbk_site_is_served_as_gbk(server: DemoServer) -> None:
    status, headers, body = fetch(server.port, "GET", "http://www.jianghua-demo.gov.cn/")
    assert status == 200 and headers["content-type"] == "text/html; charset=GBK"
    text = body.decode("gb18030")
    assert "江华瑶族自治县人民政府" in text and "charset=gb2312" in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    status, headers, body = fetch(server.port, "GET", "http://www.jianghua-demo.gov.cn/x.html")
    assert status == 404 and "页面不存在" in body.decode("gb18030")


def test_content_types(server: DemoServer, expected: dict[str, Any]) -> None:
    port = server.port
    urls = {
        "text/css; charset=utf-8": urljoin(HUNAN, "/css/style.css"),
        "application/javascript; charset=utf-8": urljoin(HUNAN, "/js/common.js"),
        "image/png": urljoin(HUNAN, "/images/logo.png"),
        "application/msword": HEAD405_URL,
        "text/plain; charset=utf-8": urljoin(HUNAN, "/robots.txt"),
    }
    for ctype, url in urls.items():
        assert fetch(port, "GET", url)[1]["content-type"] == ctype, url
    pages = [u for p in expected["pages"].values() for u in p]
    documents = set()
    for page in pages[::3]:
        html = fetch(port, "GET", page)[2].decode("gb18030" if "jianghua" in page else "utf-8")
        for link in page_links(page, html):
            if link.endswith((".pdf", ".xls")) and link not in expected["dead_targets"]:
                documents.add(fetch(port, "HEAD", link)[1]["content-type"])
    assert documents == {"application/pdf", "application/vnd.ms-excel"}


def test_unknown_paths_answer_per_host(server: DemoServer) -> None:
    port = server.port
    assert unknown_answer(port, "www.hunan-demo.gov.cn")[0] == 404
    status, body = unknown_answer(port, "www.liling-demo.gov.cn")
    assert status == 200 and "页面不存在" in body.decode()
    first, second = (
        unknown_answer(port, "www.hnqx-demo.org.cn"),
        unknown_answer(port, "www.hnqx-demo.org.cn"),
    )
    assert first == second and first[0] == 200
    status, headers, _ = fetch(port, "GET", "http://www.liling-demo.gov.cn/news")
    assert status == 301 and headers["location"] == "http://www.liling-demo.gov.cn/news/"
    assert fetch(port, "POST", HUNAN)[0] == 405


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"garbage\r\n\r\n",
        b"GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # origin form without Host
        b"GET * HTTP/1.1\r\nHost: www.hunan-demo.gov.cn\r\n\r\n",
        b"\xff\xfe\x00\x01 / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: www.hunan-demo.gov.cn\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    ],
)
def test_malformed_requests_get_an_error_and_the_server_survives(
    server: DemoServer, request_bytes: bytes
) -> None:
    answer = raw_exchange(server.port, request_bytes + b"")
    assert answer.startswith(b"HTTP/1.") and answer.split()[1][:1] in (b"4", b"5")
    assert fetch(server.port, "GET", HUNAN)[0] == 200


def test_many_concurrent_keep_alive_connections(world: World, server: DemoServer) -> None:
    hosts = [h for h in world.hosts if "demo" in h]
    failures: list[str] = []

    def worker(host: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        try:
            for path in ("/", "/robots.txt", "/css/style.css", "/images/logo.png"):
                conn.request("GET", f"http://{host}{path}", headers={"Host": host})
                response = conn.getresponse()
                if response.status != 200 or len(response.read()) == 0:
                    failures.append(f"{host}{path}: {response.status}")
        except OSError as exc:
            failures.append(f"{host}: {exc!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(h,)) for h in hosts * 6]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(threads) >= 60 and failures == []


def test_stop_releases_a_hanging_handler(world: World, expected: dict[str, Any]) -> None:
    (hang,) = [u for u, r in expected["dead_targets"].items() if r == "timeout"]
    outcome: list[BaseException | int] = []
    started = threading.Event()
    server = DemoServer(world)
    port = server.start()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=45)
        try:
            conn.request("GET", hang, headers={"Host": urlsplit(hang).netloc})
            started.set()
            outcome.append(conn.getresponse().status)
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=client)
    thread.start()
    started.wait()
    while ("GET", urlsplit(hang).hostname, urlsplit(hang).path) not in server.request_log:
        time.sleep(0.01)
    server.stop()
    thread.join()
    # Closed by stop(), not timed out by the client: the hanging handler was released.
    (result,) = outcome
    assert isinstance(result, (http.client.RemoteDisconnected, ConnectionError)), result
