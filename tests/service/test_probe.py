"""Availability probes against loopback servers: every way a home page fails, stored as rows."""

from __future__ import annotations

import argparse
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings, apply_mapping
from core.site import SiteEntry
from crawler.probe import (
    classify_error,
    http_client,
    probe_sites,
    probe_url,
    summary_line,
)
from govwatch.probing import add_probe_parser
from store import models as m
from store import repo
from tests.service.servers import SiteServer, free_port, tls_site

NAMES = ("ok", "slow", "hang", "error", "empty", "moved", "loop", "refused")


def settings_for(port: int, refused_port: int, timeout: float = 0.5) -> Settings:
    return apply_mapping(Settings(), {
        "crawler": {"contact": "probe-test@example.gov.cn", "connect_to": {
            "*.probe.gov.cn": f"127.0.0.1:{port}",
            "refused.probe.gov.cn": f"127.0.0.1:{refused_port}",
        }},
        "probe": {"timeout": timeout, "concurrency": 4},
    }, "test")


def entry(name: str) -> SiteEntry:
    return SiteEntry.from_dict({"id": name, "name": f"{name}站", "level": "city",
                                "url": f"http://{name}.probe.gov.cn/"})


@pytest.fixture
def site_server() -> SiteServer:
    with SiteServer() as server:
        yield server  # type: ignore[misc]


def test_every_kind_of_failure_is_stored_with_status_timings_and_kind(
        site_server: SiteServer, factory: sessionmaker[Session]) -> None:
    settings = settings_for(site_server.port, free_port())
    with factory.begin() as s:
        repo.upsert_sites(s, [entry(n) for n in NAMES])

    outcomes = probe_sites(factory, settings)

    by_site = {o.site_id: o for o in outcomes}
    assert [o.site_id for o in outcomes] == sorted(NAMES)  # every site, registry order
    ok = by_site["ok"]
    assert ok.ok and ok.status == 200 and ok.error_kind is None and ok.error is None
    assert ok.size is not None and ok.size > 0 and ok.final_url == "http://ok.probe.gov.cn/"
    assert ok.connect_ms is not None and ok.ttfb_ms is not None and ok.elapsed_ms is not None
    assert ok.connect_ms <= ok.ttfb_ms <= ok.elapsed_ms
    moved = by_site["moved"]  # a redirect to a page that loads is fine
    assert moved.ok and moved.status == 200 and moved.final_url == "http://ok.probe.gov.cn/"
    for name in ("slow", "hang"):  # not fully loaded within the timeout
        o = by_site[name]
        assert not o.ok and o.error_kind == "timeout" and "0.5 秒内完整加载" in (o.error or "")
    assert by_site["slow"].status == 200  # the headers came, the body did not
    assert by_site["hang"].status is None
    error = by_site["error"]
    assert not error.ok and error.status == 500 and error.error == "HTTP 500"
    assert error.error_kind is None
    empty = by_site["empty"]
    assert not empty.ok and empty.status == 200 and empty.size == 0
    assert empty.error == "首页内容为空"
    refused = by_site["refused"]
    assert not refused.ok and refused.error_kind == "refused" and refused.status is None
    assert refused.error and refused.error.startswith("连接被拒绝")
    loop = by_site["loop"]
    assert not loop.ok and loop.error_kind == "redirect_loop"

    with factory() as s:
        rows = {r.site_id: r for r in s.scalars(select(m.Probe))}
    assert set(rows) == set(NAMES)
    for name, outcome in by_site.items():
        row = rows[name]
        assert (row.ok, row.status, row.error_kind, row.error, row.size, row.final_url) == (
            outcome.ok, outcome.status, outcome.error_kind, outcome.error, outcome.size,
            outcome.final_url)
        assert row.url == f"http://{name}.probe.gov.cn/"
        assert row.started_at.tzinfo is not None
        assert row.elapsed_ms == outcome.elapsed_ms and row.ttfb_ms == outcome.ttfb_ms
    # Requests named the site's host (through connect_to) and carried govwatch's User-Agent.
    hosts = {h for h, _, _ in site_server.requests}
    assert "ok.probe.gov.cn" in hosts
    assert all("govwatch" in ua and "probe-test@example.gov.cn" in ua
               for _, _, ua in site_server.requests)


def test_probe_only_named_sites_and_reject_unknown(site_server: SiteServer,
                                                    factory: sessionmaker[Session]) -> None:
    settings = settings_for(site_server.port, free_port())
    with factory.begin() as s:
        repo.upsert_sites(s, [entry("ok"), entry("error")])
    outcomes = probe_sites(factory, settings, ["error"])
    assert [o.site_id for o in outcomes] == ["error"]
    with pytest.raises(LookupError, match="nosuch"):
        probe_sites(factory, settings, ["nosuch"])
    assert summary_line(outcomes) == "探测完成: 1 个站点，失败 1（error: HTTP 500）"


def test_tls_failure_is_its_own_kind(tmp_path: Path) -> None:
    with tls_site(tmp_path, "localhost") as port, \
            http_client(Settings(), 5.0, keepalive=False, sites=[SiteEntry(
                id="tls", name="证书站", url=f"https://localhost:{port}/",
                level="county")]) as client:
        outcome = probe_url(client, "tls", f"https://localhost:{port}/", 5.0)
    assert not outcome.ok and outcome.error_kind == "tls" and outcome.status is None


def test_http_client_routes_like_the_crawler(site_server: SiteServer) -> None:
    """Exact hosts and fnmatch patterns go to their connect_to target; the rest goes to the
    egress proxy (here: nowhere listening, so it is refused, proving it was used)."""
    proxy_port = free_port()
    settings = apply_mapping(Settings(), {"crawler": {
        "connect_to": {"exact.example.gov.cn": f"127.0.0.1:{site_server.port}",
                       "ok.*.gov.cn": f"127.0.0.1:{site_server.port}"},
        "proxy": f"http://127.0.0.1:{proxy_port}",
    }}, "test")
    with http_client(settings, 5.0) as client:
        assert client.get("http://ok.probe.gov.cn/").status_code == 200  # pattern
        assert client.get("http://exact.example.gov.cn/").status_code == 404  # exact
        with pytest.raises(httpx.ConnectError):
            client.get("http://elsewhere.example.gov.cn/")
        assert "govwatch" in client.headers["User-Agent"]
    assert ("exact.example.gov.cn", "/") in {(h, p) for h, p, _ in site_server.requests}


def test_error_kinds_from_exception_chains() -> None:
    def wrapped(cause: BaseException) -> httpx.ConnectError:
        exc = httpx.ConnectError("failed")
        exc.__cause__ = cause
        return exc

    assert classify_error(wrapped(socket.gaierror(-2, "Name or service not known"))) == "dns"
    assert classify_error(wrapped(ConnectionRefusedError(111, "refused"))) == "refused"
    assert classify_error(wrapped(ssl.SSLCertVerificationError("bad cert"))) == "tls"
    assert classify_error(httpx.ConnectTimeout("slow")) == "timeout"
    assert classify_error(httpx.ReadError("reset by peer")) == "connection"
    assert classify_error(httpx.UnsupportedProtocol("ftp")) == "invalid_url"


def test_cli_verb_prints_one_summary_line(site_server: SiteServer, db_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    from core.errors import UserError
    from govwatch.probing import cmd_probe
    from store.session import make_engine, session_factory

    settings = replace(settings_for(site_server.port, free_port()), database_url=db_url)
    parser = argparse.ArgumentParser()
    add_probe_parser(parser.add_subparsers(dest="verb"))
    engine = make_engine(db_url)
    with session_factory(engine).begin() as s:
        repo.upsert_sites(s, [entry("ok"), entry("empty")])
    engine.dispose()

    args = parser.parse_args(["probe"])
    assert args.func(args, settings) == 0
    out, err = capsys.readouterr()
    assert out == "探测完成: 2 个站点，失败 1（empty: 首页内容为空）\n"
    assert "empty" in err and "ok\t" not in err

    with pytest.raises(UserError, match="未登记的站点: nosuch"):
        cmd_probe(parser.parse_args(["probe", "--site", "nosuch"]), settings)



@pytest.mark.parametrize("headers", [True, False], ids=["headers-trickle", "body-trickle"])
def test_a_trickling_server_is_cut_at_the_total_timeout(headers: bool) -> None:
    """One byte per second never lets a read time out; the probe still ends at `timeout`."""
    from tests.trickle import trickle_server

    settings = apply_mapping(Settings(), {"crawler": {"egress_allow": ["127.0.0.1"]}}, "t")
    with trickle_server(headers=headers, interval=0.25) as server, \
            http_client(settings, 10.0, keepalive=False) as client:
        outcome = probe_url(client, "slow", server.url(), 1.5)
    assert not outcome.ok and outcome.error_kind == "timeout"
    assert outcome.error == "首页未能在 1.5 秒内完整加载"
    assert outcome.elapsed_ms is not None and 1400 <= outcome.elapsed_ms < 2500


def test_watch_fetches_are_cut_at_the_download_timeout() -> None:
    from govwatch.watch import _Fetcher
    from tests.trickle import trickle_server

    settings = apply_mapping(Settings(), {"crawler": {"download_timeout": 1.5, "robots": "ignore",
                                                      "egress_allow": ["127.0.0.1"]}}, "test")
    fetcher = _Fetcher(settings)
    try:
        with trickle_server(headers=True, interval=0.25) as server:
            t0 = time.monotonic()
            page = fetcher.page(server.url("/list.html"), 1)
            elapsed = time.monotonic() - t0
    finally:
        fetcher.close()
    assert page.status is None and page.error_kind == "timeout"
    assert 1.4 <= elapsed < 2.5
