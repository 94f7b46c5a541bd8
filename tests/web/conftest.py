"""A small world for the dashboard tests, prepared through store.repo as the crawler and the
check runner would: three sites, a finished crawl, two check passes of findings, three users,
and a loopback HTTP server (`Target`) that plays the sites' pages and the linked targets, its
answers changed by the tests (a link 404s, then is fixed).

  alpha  city    webmaster alice   home page on the Target server (identity re-checks)
         links.dead        Target /gone.html          (deduct 0.1)
         links.dead-home   Target /soft.html          (deduct 1.0)
         identity.icp-missing  the home page           (deduct 2.0)
         links.dead        Target /old.html  fixed by the second pass
  beta   county  webmaster bob
         home.stale        the home page               (veto)
         links.dead        Target /beta-gone.html      (deduct 0.1)
  gamma  province  no crawl, no findings
  sup    supervisor
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from checks.base import Finding, Severity
from core.settings import Settings, WebSettings
from core.site import SiteEntry
from crawler.probe import http_client
from store import models as m
from store import repo
from store.session import make_engine, session_factory
from web import users
from web.app import create_app
from web.users import add_user

TZ = ZoneInfo("Asia/Shanghai")
FIRST = datetime(2026, 10, 14, 2, 0, tzinfo=TZ)
SECOND = datetime(2026, 10, 15, 2, 0, tzinfo=TZ)
SECRET = "test-secret-key-0123456789abcdefghijklmnop"
PASSWORDS = {"sup": "supervisor-pass-1", "alice": "alice-pass-12345", "bob": "bob-pass-123456"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts"

HOME_WITHOUT_ICP = """<!doctype html><html><head><meta charset="utf-8"><title>甲市人民政府</title>
</head><body><div class="header">甲市人民政府</div><div class="content">
<a href="/gone.html">通知</a></div>
<div class="footer">版权所有 甲市人民政府 湘公网安备 43110302000125号</div></body></html>"""
HOME_WITH_ICP = HOME_WITHOUT_ICP.replace("湘公网安备", "湘ICP备05009375号 湘公网安备")
NOT_FOUND_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>404</title></head>
<body><div class="content"><h1>对不起，您访问的页面不存在</h1></div></body></html>"""
OK_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>关于秋季防火的通知</title>
</head><body><div class="article"><h1>关于秋季防火的通知</h1><p>正文内容。</p></div>
</body></html>"""


@dataclass
class Answer:
    status: int
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    head_status: int | None = None  # a different status for HEAD (405: HEAD refused)
    location: str = ""  # a Location header (redirects)


@dataclass
class Target:
    """A loopback HTTP server with a mutable table of answers by path (unknown: 404)."""

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, status: int, body: str = "", **kw: object) -> None:
        self.answers[path] = Answer(status, body, **kw)  # type: ignore[arg-type]


def _handler(target: Target) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, head: bool) -> None:
            target.requests.append((self.command, self.path))
            answer = target.answers.get(self.path, Answer(404, NOT_FOUND_PAGE))
            status = answer.head_status if head and answer.head_status else answer.status
            body = answer.body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(body)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(False)

        def do_HEAD(self) -> None:
            self._answer(True)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at the cheapest parameters: the real ones take about a second per hash on the
    test machine, by design. test_users.py checks the production parameters themselves."""
    hasher = PasswordHasher.from_parameters(CHEAPEST)
    monkeypatch.setattr(users, "_HASHER", hasher)
    monkeypatch.setattr(users, "_DUMMY_HASH", hasher.hash(users._DUMMY_PASSWORD))


@pytest.fixture
def target() -> Iterator[Target]:
    state = Target()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class World:
    settings: Settings
    factory: sessionmaker[Session]
    target: Target
    ids: dict[str, int]  # finding ids by a short name

    def finding(self, name: str) -> m.Finding:
        with self.factory() as session:
            row = session.get(m.Finding, self.ids[name])
            assert row is not None
            return row


def _finding(site: str, check: str, severity: Severity, url: str, page: str, message: str,
             **evidence: object) -> Finding:
    return Finding(site=site, check=check, severity=severity, url=url, page=page,
                   message=message, rule="《永州市政府网站建设管理办法》第十九条（四）",
                   evidence=evidence)


def build_world(db_url: str, target: Target, **web: object) -> World:
    target.set("/alpha/", 200, HOME_WITHOUT_ICP)
    alpha_home = target.url("/alpha/")
    sites = [
        SiteEntry(id="alpha", name="甲市人民政府", url=alpha_home, level="city",
                  icp="湘ICP备05009375号"),
        SiteEntry(id="beta", name="乙县人民政府", url="http://beta.example.gov.cn/",
                  level="county"),
        SiteEntry(id="gamma", name="丙省人民政府", url="http://gamma.example.gov.cn/",
                  level="province"),
    ]
    options = {"secret_key": SECRET, **web}
    settings = Settings(database_url=db_url, web=WebSettings(**options))  # type: ignore[arg-type]
    engine = make_engine(db_url)
    factory = session_factory(engine)
    D, V = Severity.DEDUCT, Severity.VETO
    alpha = [
        _finding("alpha", "links.dead", D, target.url("/gone.html"), alpha_home + "zwgk/",
                 "链接不可用: HTTP 404", reason="HTTP 404", status=404, anchor="通知全文",
                 method="GET"),
        _finding("alpha", "links.dead-home", D, target.url("/soft.html"), alpha_home,
                 "链接不可用: 软404（页面显示不存在但返回200）", reason="软404", status=200,
                 soft404=True, anchor="专题"),
        _finding("alpha", "identity.icp-missing", D, alpha_home, alpha_home,
                 "页脚未发现ICP备案编号", footer="版权所有 甲市人民政府",
                 registered="湘ICP备05009375号"),
    ]
    old = _finding("alpha", "links.dead", D, target.url("/old.html"), alpha_home + "zwgk/",
                   "链接不可用: HTTP 404", status=404)
    beta = [
        _finding("beta", "home.stale", V, "http://beta.example.gov.cn/",
                 "http://beta.example.gov.cn/", "首页超过 2 周未更新", days=20),
        _finding("beta", "links.dead", D, target.url("/beta-gone.html"),
                 "http://beta.example.gov.cn/zwgk/", "链接不可用: HTTP 404", status=404),
    ]
    codes = ["links.dead", "links.dead-home", "identity.icp-missing", "home.stale"]
    with factory() as session, session.begin():
        repo.upsert_sites(session, sites)
        run = repo.create_run(session, ["alpha", "beta"], FIRST)
        repo.finish_run(session, run.id, repo.FINISHED, {"pages": 10})
        repo.record_findings(session, [*alpha, old], site_id="alpha", checks_run=codes,
                             seen_at=FIRST, crawl_run_id=run.id)
        repo.record_findings(session, beta, site_id="beta", checks_run=codes,
                             seen_at=FIRST, crawl_run_id=run.id)
        repo.record_findings(session, alpha, site_id="alpha", checks_run=codes,
                             seen_at=SECOND, crawl_run_id=run.id)
        add_user(session, "sup", PASSWORDS["sup"], "supervisor")
        add_user(session, "alice", PASSWORDS["alice"], "webmaster", ["alpha"])
        add_user(session, "bob", PASSWORDS["bob"], "webmaster", ["beta"])
    ids: dict[str, int] = {}
    with factory() as session:
        for row in session.scalars(select(m.Finding)):
            name = {
                ("alpha", "links.dead", "/gone.html"): "alpha-dead",
                ("alpha", "links.dead", "/old.html"): "alpha-old",
                ("alpha", "links.dead-home", "/soft.html"): "alpha-soft",
                ("beta", "links.dead", "/beta-gone.html"): "beta-dead",
            }.get((row.site_id, row.check, row.url[row.url.find("/", 8):]))
            name = name or {"identity.icp-missing": "alpha-icp",
                            "home.stale": "beta-stale"}[row.check]
            ids[name] = row.id
    return World(settings, factory, target, ids)


@pytest.fixture
def world(db_url: str, target: Target) -> Iterator[World]:
    w = build_world(db_url, target)
    yield w
    w.factory.kw["bind"].dispose()


def make_client(world: World) -> TestClient:
    return TestClient(create_app(world.settings, client_factory=http_client),
                      follow_redirects=False)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with make_client(world) as c:
        yield c


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def login(client: TestClient, name: str, password: str | None = None) -> None:
    token = csrf_of(client)
    response = client.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                            "csrf": token, "next": "/"})
    assert response.status_code == 303, response.text[:500]
