"""`govwatch crawl --jobs 2` on the demo world with link results shared between the two crawl
processes: no URL is requested more often than by one process crawling every site, and the
findings are those of one process. Without sharing, targets that sites of both groups link to
(beian.miit.gov.cn, the portals' home pages, ...) are requested by both."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from govwatch.demo.server import DemoServer
from govwatch.demo.world import build_world
from store import models as m
from store.session import make_engine, session_factory
from tests.e2e.test_jobs import Served, crawl_jobs

pytestmark = pytest.mark.e2e

Requests = Counter[tuple[str, str, str]]  # (method, host, path?query) -> times asked


def crawl_counting(served: Served, name: str, jobs: int, extra: str = ""
                   ) -> tuple[Requests, list[tuple[Any, ...]], list[Any]]:
    """Requests the server saw during the crawl, the findings, the runs' stats."""
    crawl = crawl_jobs(served, name, f"sqlite:///{served.tmp / f'{name}.db'}", jobs, extra)
    assert [r.status for r in crawl.runs] == ["finished"] * jobs
    return crawl.asked, crawl.findings, [r.stats for r in crawl.runs]


def redirect_hops(db: Path) -> set[tuple[str, str]]:
    """(host, path?query) of every URL a link check reached by a redirect."""
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as session:
            chains = list(session.scalars(select(m.LinkResult.redirects)))
    finally:
        engine.dispose()
    out: set[tuple[str, str]] = set()
    for chain in chains:
        for url in chain or []:
            parts = urlsplit(str(url))
            out.add((parts.hostname or "", (parts.path or "/")
                     + (f"?{parts.query}" if parts.query else "")))
    return out


def test_two_processes_request_nothing_twice(tmp_path: Path) -> None:
    world = build_world(tmp_path / "world")
    with DemoServer(world) as server:
        served = Served(world, server.port, tmp_path, server.request_log)
        one, found_one, _ = crawl_counting(served, "one", 1)
        two, found_two, stats = crawl_counting(served, "two", 2)
        off, found_off, _ = crawl_counting(served, "off", 2, "link_share_hours = 0")
    # Without sharing, the world does make both processes check the same targets.
    twice = sorted(key for key, n in off.items() if key[0] == "HEAD" and n > one[key])
    assert len(twice) >= 5, twice
    assert any(host == "beian.miit.gov.cn" for _m, host, _p in twice), twice
    # With sharing: nothing is asked for more often than one process asks for it (with a
    # GET fallback or a retry of the one check), the other process took the results.
    more = {key: (one[key], n) for key, n in two.items() if n > max(one[key], 1)}
    assert not more, more
    assert not [key for key in twice if two[key] > 1]
    # Each of them was taken from the other process's results, as a result of its own or
    # as a hop of a chain taken whole (one reused result then covers every hop after it:
    # whether a chain is taken whole or hop by hop depends on which process gets there
    # first, so only the targets that are no hop of any chain are counted one by one).
    hops = redirect_hops(tmp_path / "one.db")
    assert sum(s["shared"] for s in stats) >= len([k for k in twice if k[1:] not in hops])
    # ... and the findings are exactly those of one process (and of no sharing).
    assert len(found_one) >= 70
    assert found_two == found_one
    assert found_off == found_one
