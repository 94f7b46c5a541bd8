"""A stand-in for `python -m crawler.run` in crawl scheduling tests: behaves as the mode named
for its site in $FAKE_CRAWL_MODES (JSON) says, writing to the real database.

finish: the run is finished; fail: exits 1 without a word; hang: ignores SIGTERM and never
ends (needs SIGKILL); graceful: waits, and on SIGTERM records the signal, marks the run
interrupted and exits 130 (as crawler.run does).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from store import models as m
from store import repo
from store.session import make_engine, session_factory


def main() -> int:
    run_id = int(sys.argv[sys.argv.index("--run-id") + 1])
    factory = session_factory(make_engine(os.environ["GOVWATCH_DATABASE_URL"]))
    with factory() as s:
        run = s.get(m.CrawlRun, run_id)
        assert run is not None
        site = run.site_ids[0]
    mode = json.loads(os.environ["FAKE_CRAWL_MODES"])[site]
    marks = Path(os.environ["FAKE_CRAWL_DIR"])
    if mode == "finish":
        with factory.begin() as s:
            repo.finish_run(s, run_id, repo.FINISHED, {"pages": 1})
        return 0
    if mode == "fail":
        return 1
    if mode == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        (marks / f"{site}.ready").write_text("ready")
        while True:
            time.sleep(1)

    def stop(signum: int, _frame: object) -> None:
        with (marks / f"{site}.signals").open("a") as out:
            out.write(f"{signum}\n")
        with factory.begin() as s:
            repo.finish_run(s, run_id, repo.INTERRUPTED, {"pages": 0}, "finish_reason=shutdown")
        sys.exit(130)

    signal.signal(signal.SIGTERM, stop)
    (marks / f"{site}.ready").write_text("ready")
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
