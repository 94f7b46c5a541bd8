"""The demo world served once for the end-to-end modules that crawl it with `govwatch crawl`
(tests/e2e/test_jobs.py, test_workers.py), and its reference crawls on
SQLite with one and with two processes, which test_jobs and test_workers compare against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.test_jobs import Crawl, Served


@pytest.fixture(scope="session")
def demo_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from govwatch.demo.server import DemoServer
    from govwatch.demo.world import build_world
    from tests.e2e.test_jobs import Served

    tmp = tmp_path_factory.mktemp("jobs")
    world = build_world(tmp / "world")  # nothing writes to it: shared by every test
    with DemoServer(world) as server:
        yield Served(world, server.port, tmp, server.request_log)


@pytest.fixture(scope="session")
def sqlite_crawls(demo_served: Served) -> dict[int, Crawl]:
    """`govwatch crawl --jobs 1` and `--jobs 2` of the whole world, each into its own SQLite
    database, with what the server was asked during each."""
    from tests.e2e.test_jobs import crawl_jobs

    return {jobs: crawl_jobs(demo_served, f"sqlite-{jobs}",
                             f"sqlite:///{demo_served.tmp / f'jobs{jobs}.db'}", jobs)
            for jobs in (1, 2)}
