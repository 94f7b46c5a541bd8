"""“立即复核” against a target that answers one byte per second: each re-check ends at its
total deadline, re-checks beyond the caps are refused with a message, and the dashboard
(served by a real uvicorn) keeps answering /login and /healthz while 45 of them run."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import update

from crawler.probe import http_client
from store import models as m
from web import audit
from web.app import create_app

from ..trickle import TrickleServer, trickle_server
from .conftest import PASSWORDS, Target, World, build_world
from .live import serve

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
DEADLINE = 6.0  # long enough for 45 re-checks to be under way at once on a busy machine


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    with trickle_server(headers=True) as server:
        yield server


def _allowing_loopback(world: World) -> World:
    """The world with the trickle server's loopback address exempt from the egress policy
    (it is not a registered site; an intranet deployment would list such hosts too)."""
    crawler = replace(world.settings.crawler, egress_allow=("127.0.0.1",))
    return replace(world, settings=replace(world.settings, crawler=crawler))


def _point_at(world: World, name: str, url: str) -> int:
    with world.factory() as session, session.begin():
        session.execute(update(m.Finding).where(m.Finding.id == world.ids[name])
                        .values(url=url))
    return world.ids[name]


def _logged_in(base: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = CSRF.search(client.get("/login").text)
    assert token
    answer = client.post("/login", data={"name": name, "password": PASSWORDS[name],
                                         "csrf": token.group(1), "next": "/"})
    assert answer.status_code == 303
    page = client.get("/findings")
    token = CSRF.search(page.text)
    assert token
    return client, token.group(1)


def _flash(client: httpx.Client, finding_id: int) -> str:
    """The flash messages shown on the finding's page."""
    page = client.get(f"/findings/{finding_id}").text
    return " | ".join(re.findall(r'class="flash [a-z]+" role="status">([^<]*)<', page))


def test_45_trickling_rechecks_leave_the_dashboard_answering(
        sqlite_url: str, target: Target, trickle: TrickleServer) -> None:
    world = _allowing_loopback(build_world(sqlite_url, target, recheck_timeout=DEADLINE,
                                           recheck_max_concurrent=45, recheck_max_per_user=45))
    finding = _point_at(world, "alpha-dead", trickle.url("/slow.html"))
    with serve(create_app(world.settings, client_factory=http_client)) as base:
        client, token = _logged_in(base, "sup")
        results: list[int] = []
        lock = threading.Lock()

        def recheck() -> None:
            with httpx.Client(base_url=base, cookies=client.cookies, timeout=60) as c:
                answer = c.post(f"/findings/{finding}/recheck", data={"csrf": token})
            with lock:
                results.append(answer.status_code)

        threads = [threading.Thread(target=recheck) for _ in range(45)]
        started = time.monotonic()
        for t in threads:
            t.start()
        while trickle.open < 45 and time.monotonic() - started < DEADLINE - 1:
            time.sleep(0.05)
        assert trickle.open == 45  # all 45 are waiting on the trickle server now
        # The dashboard answers meanwhile, at once.
        with httpx.Client(base_url=base, timeout=5) as probe:
            for path in ("/healthz", "/login", "/healthz"):
                t0 = time.monotonic()
                assert probe.get(path).status_code == 200
                assert time.monotonic() - t0 < 1.0, path
        # One more, by another user, is over the overall cap: refused at once, with a message.
        alice, alice_token = _logged_in(base, "alice")
        t0 = time.monotonic()
        refused = alice.post(f"/findings/{finding}/recheck", data={"csrf": alice_token})
        assert refused.status_code == 303 and time.monotonic() - t0 < 1.0
        assert _flash(alice, finding) == "当前复核请求较多（45 项正在进行），请稍后再试"
        alice.close()
        for t in threads:
            t.join(timeout=60)
        # Every re-check was cut at its deadline (the trickle's 100 kB would take a day): the
        # server saw each connection closed by then.
        assert results == [303] * 45
        assert len(trickle.lifetimes) == 45 and max(trickle.lifetimes) < DEADLINE + 0.5
        with world.factory() as session:
            trail = audit.history(session, finding)
        assert len(trail) == 45 and {t.result for t in trail} == {"open"}
        assert all("超时" in t.detail for t in trail), trail[0].detail
        client.close()
    assert world.finding("alpha-dead").status == "open"
    world.factory.kw["bind"].dispose()


def test_a_user_may_run_only_so_many_rechecks_at_once(sqlite_url: str, target: Target,
                                                      trickle: TrickleServer) -> None:
    world = _allowing_loopback(build_world(sqlite_url, target, recheck_timeout=DEADLINE,
                                           recheck_max_per_user=1))
    finding = _point_at(world, "alpha-dead", trickle.url("/slow.html"))
    with serve(create_app(world.settings, client_factory=http_client)) as base:
        alice, token = _logged_in(base, "alice")
        first = threading.Thread(
            target=lambda: alice.post(f"/findings/{finding}/recheck", data={"csrf": token}))
        first.start()
        deadline = time.monotonic() + DEADLINE
        while trickle.connections < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        with httpx.Client(base_url=base, cookies=alice.cookies, timeout=10) as again:
            refused = again.post(f"/findings/{finding}/recheck", data={"csrf": token})
            assert refused.status_code == 303
            assert "您已有 1 项复核正在进行，请等其完成后再试" in _flash(again, finding)
        # Another user is not held back by alice's re-check.
        sup, sup_token = _logged_in(base, "sup")
        t0 = time.monotonic()
        other = world.ids["beta-dead"]
        assert sup.post(f"/findings/{other}/recheck", data={"csrf": sup_token}
                        ).status_code == 303
        assert time.monotonic() - t0 < DEADLINE
        first.join(timeout=30)
        alice.close()
        sup.close()
    world.factory.kw["bind"].dispose()
