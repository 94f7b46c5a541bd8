"""`govwatch crawl --jobs 2` on the demo world with link results shared between the two crawl
processes: no URL is requested more often than by one process crawling every site, and the
findings are those of one process. Without sharing, targets that sites of both groups link to
(beian.miit.gov.cn, the portals' home pages, ...) are requested by both."""

from __future__ import annotations

import pytest

from tests.e2e.test_jobs import Crawl, Served, crawl_jobs

pytestmark = pytest.mark.e2e


def test_two_processes_request_nothing_twice(demo_served: Served,
                                             sqlite_crawls: dict[int, Crawl]) -> None:
    # One process, then two sharing link results: the session's crawls on SQLite
    # (tests/e2e/conftest.py); then two without sharing.
    one, two = sqlite_crawls[1], sqlite_crawls[2]
    off = crawl_jobs(demo_served, "off", f"sqlite:///{demo_served.tmp / 'off.db'}", 2,
                     "link_share_hours = 0")
    for crawl, jobs in ((one, 1), (two, 2), (off, 2)):
        assert [r.status for r in crawl.runs] == ["finished"] * jobs
    stats = [r.stats for r in two.runs]
    # Without sharing, the world does make both processes check the same targets.
    twice = sorted(key for key, n in off.asked.items()
                   if key[0] == "HEAD" and n > one.asked[key])
    assert len(twice) >= 5, twice
    assert any(host == "beian.miit.gov.cn" for _m, host, _p in twice), twice
    # With sharing: nothing is asked for more often than one process asks for it (with a
    # GET fallback or a retry of the one check), the other process took the results.
    more = {key: (one.asked[key], n) for key, n in two.asked.items()
            if n > max(one.asked[key], 1)}
    assert not more, more
    assert not [key for key in twice if two.asked[key] > 1]
    assert sum(s["shared"] for s in stats) >= len(twice)
    # ... and the findings are exactly those of one process (and of no sharing).
    assert len(one.findings) >= 70
    assert two.findings == one.findings
    assert off.findings == one.findings
