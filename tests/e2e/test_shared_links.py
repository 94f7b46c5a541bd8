"""`govwatch crawl --jobs 2` on the demo world with link results shared between the two crawl
processes: no URL is requested more often than by one process crawling every site, and the
findings are those of one process. Without sharing, targets that sites of both groups link to
(beian.miit.gov.cn, the portals' home pages, ...) are requested by both."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

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


def link_results(db: Path) -> list[tuple[int, str, list[Any]]]:
    """(run, URL, redirect chain) of every link result stored in `db`."""
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as session:
            return [(run, url, list(chain or [])) for run, url, chain in session.execute(
                select(m.LinkResult.crawl_run_id, m.LinkResult.url, m.LinkResult.redirects))]
    finally:
        engine.dispose()


def in_both_runs(results: list[tuple[int, str, list[Any]]]) -> set[str]:
    """URLs that both crawl runs have a link result for: targets both groups link to."""
    runs: dict[str, set[int]] = {}
    for run, url, _chain in results:
        runs.setdefault(url, set()).add(run)
    return {url for url, seen in runs.items() if len(seen) > 1}


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
    # Each target both processes needed (a link result in both runs) was taken by one of
    # them from the other's results, as a result of its own or as a hop of a chain taken
    # whole (one reused result then covers every hop after it: whether a chain is taken
    # whole or hop by hop depends on which process gets there first, so only the targets
    # that are no hop of any chain are counted one by one).
    results = link_results(tmp_path / "two.db")
    hops = {url for _run, _url, chain in results for url in chain}
    both = in_both_runs(results) - hops
    assert len(both) >= 5, both
    assert sum(s["shared"] for s in stats) >= len(both), (stats, sorted(both))
    assert in_both_runs(link_results(tmp_path / "off.db")) - hops == both
    # ... and the findings are exactly those of one process (and of no sharing).
    assert len(found_one) >= 70
    assert found_two == found_one
    assert found_off == found_one
