"""store.shared_links: the claim, publish and host-slot statements behind crawler.sharing, on
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store import models as m
from store import repo
from store import shared_links as sl

TTL, TIMEOUT = 3600.0, 60.0
A, B, C = "http://beian.miit.gov.cn/", "http://www.gov.cn/", "http://www.gov.cn/zhengce/"


def result(status: int) -> dict[str, Any]:
    return {"url": "", "method": "HEAD", "status": status, "final_url": None, "redirects": [],
            "error_kind": None, "error": None, "elapsed_ms": 5, "soft404": False,
            "attempts": 1}


def claim(factory: sessionmaker[Session], me: str, urls: list[str], now: float) -> sl.Claims:
    with factory.begin() as s:
        return sl.claim(s, urls, me=me, now=now, ttl=TTL, claim_timeout=TIMEOUT)


def test_one_claimant_the_others_wait_then_reuse(factory: sessionmaker[Session]) -> None:
    first = claim(factory, "p1", [A, B], 1000.0)
    assert sorted(first.mine) == [A, B] and not first.waiting and not first.fresh
    second = claim(factory, "p2", [A, B, C], 1001.0)
    assert second.waiting == [A, B] and second.mine == [C]
    assert claim(factory, "p1", [A], 1002.0).mine == [A]  # asked again: still p1's
    with factory.begin() as s:
        sl.publish(s, [{**result(200), "url": A}], 1005.0)
    third = claim(factory, "p2", [A, B], 1006.0)
    assert list(third.fresh) == [A] and third.fresh[A][0]["status"] == 200
    assert third.fresh[A][1] == 1005.0 and third.waiting == [B]
    with factory() as s:  # publishing cleared the claim
        row = s.get(m.SharedLink, A)
        assert row is not None and row.claimed_by is None and row.checked_at == 1005.0


def test_stale_claims_and_expired_results_are_taken_over(
        factory: sessionmaker[Session]) -> None:
    claim(factory, "dead", [A], 1000.0)
    assert claim(factory, "p2", [A], 1000.0 + TIMEOUT - 1).waiting == [A]
    assert claim(factory, "p2", [A], 1000.0 + TIMEOUT + 1).mine == [A]  # taken over
    assert claim(factory, "p3", [A], 1000.0 + TIMEOUT + 2).waiting == [A]
    with factory.begin() as s:
        sl.publish(s, [{**result(404), "url": A}], 2000.0)
    assert list(claim(factory, "p4", [A], 2000.0 + TTL - 1).fresh) == [A]
    assert claim(factory, "p4", [A], 2000.0 + TTL + 1).mine == [A]  # expired: checked again


def test_a_claim_of_a_gone_process_of_this_machine_is_taken_over_at_once(
        factory: sessionmaker[Session]) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid is free
    here = socket.gethostname()
    dead, alive = f"{here}:{child.pid}:7", f"{here}:{os.getpid()}:8"
    elsewhere = f"another-machine:{child.pid}:9"
    assert sl.claimant_gone(dead) and not sl.claimant_gone(elsewhere)
    assert not sl.claimant_gone(sl.claimant(3)) and not sl.claimant_gone("p1")
    claim(factory, dead, [A], 1000.0)
    claim(factory, elsewhere, [B], 1000.0)
    claim(factory, alive, [C], 1000.0)
    got = claim(factory, "p2", [A, B, C], 1001.0)  # well within the claim timeout
    assert got.mine == [A] and sorted(got.waiting) == [B, C]


def test_a_killed_unreaped_process_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        who = f"{socket.gethostname()}:{child.pid}:1"
        assert not sl.claimant_gone(who)
        child.kill()
        deadline = time.monotonic() + 10
        while not sl.claimant_gone(who) and time.monotonic() < deadline:
            time.sleep(0.05)  # a zombie until reaped below
        assert sl.claimant_gone(who)
    finally:
        child.kill()
        child.wait()


def test_renew_keeps_a_claim_release_gives_it_up(factory: sessionmaker[Session]) -> None:
    claim(factory, "p1", [A, B], 1000.0)
    with factory.begin() as s:
        sl.renew(s, "p1", 1000.0 + TIMEOUT)
    assert claim(factory, "p2", [A], 1000.0 + TIMEOUT + 1).waiting == [A]
    with factory.begin() as s:
        sl.release(s, "p1")
    assert claim(factory, "p2", [A, B], 1000.0 + TIMEOUT + 2).mine == [A, B]


def test_home_pages_are_claimed_whatever_their_state(factory: sessionmaker[Session]) -> None:
    claim(factory, "p2", [A], 1000.0)
    with factory.begin() as s:
        sl.claim_always(s, [A, B], me="p1", now=1001.0)
    assert claim(factory, "p2", [A, B], 1002.0).waiting == [A, B]


def test_reserved_host_slots_are_spaced_across_callers(
        factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        first = sl.reserve(s, {"www.gov.cn": 3, "beian.miit.gov.cn": 1}, 0.5, 100.0)
    assert first == {"www.gov.cn": 100.0, "beian.miit.gov.cn": 100.0}
    with factory.begin() as s:  # another process, a moment later: after the 3 slots above
        assert sl.reserve(s, {"www.gov.cn": 2}, 0.5, 100.2) == {"www.gov.cn": 101.5}
    with factory.begin() as s:  # long after: from now
        assert sl.reserve(s, {"www.gov.cn": 1}, 0.5, 200.0) == {"www.gov.cn": 200.0}


def test_copied_results_are_the_runs_own(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        run_id = repo.create_run(s, [], datetime(2026, 11, 21, tzinfo=UTC)).id
        sl.copy_results(s, run_id, {A: ({**result(404), "redirects": None}, 1005.0)})
    with factory() as s:
        row = s.scalars(select(m.LinkResult)).one()
        assert (row.crawl_run_id, row.url, row.status, row.redirects) == (run_id, A, 404, [])
        assert row.checked_at == datetime.fromtimestamp(1005.0, UTC)


def test_expired_unclaimed_results_are_dropped(factory: sessionmaker[Session]) -> None:
    claim(factory, "p1", [C], 1000.0)
    with factory.begin() as s:
        sl.publish(s, [{**result(200), "url": A}], 1000.0)
        sl.publish(s, [{**result(200), "url": B}], 3000.0)
        assert sl.expire(s, 2000.0) == 1  # A: B is fresh, C claimed
    with factory() as s:
        assert sorted(s.scalars(select(m.SharedLink.url))) == [B, C]


def test_publish_stores_a_night_of_results_in_one_call(factory: sessionmaker[Session]) -> None:
    """More results than CHUNK, some of them already published: all are stored, the newer
    verdict wins and every claim on them is cleared."""
    urls = [f"http://portal{i}.gov.cn/" for i in range(sl.CHUNK * 2 + 7)]
    claim(factory, "p1", urls[:10], 1000.0)
    with factory.begin() as s:
        sl.publish(s, [{**result(404), "url": u} for u in urls[:10]], 1001.0)
        sl.publish(s, [{**result(200), "url": u} for u in urls], 1002.0)
    with factory() as s:
        rows = s.scalars(select(m.SharedLink)).all()
    assert len(rows) == len(urls)
    assert {r.result["status"] for r in rows} == {200}
    assert {r.checked_at for r in rows} == {1002.0}
    assert all(r.claimed_by is None for r in rows)
