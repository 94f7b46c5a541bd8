"""The crawl's progress line: figures every tick, and when nothing moved, what it waits for."""

from __future__ import annotations

import io
from collections import deque
from types import SimpleNamespace
from typing import Any

from crawler.run import Progress
from crawler.spiders.site import Counters


def _spider(active: list[str], slots: dict[str, Any], extracting: int = 0) -> Any:
    downloader = SimpleNamespace(active=[SimpleNamespace(url=u) for u in active], slots=slots)
    workers = [SimpleNamespace(in_flight=dict.fromkeys(range(extracting)))]
    return SimpleNamespace(counters=Counters(pages=3, checks=5, errors=0),
                           crawler=SimpleNamespace(engine=SimpleNamespace(downloader=downloader)),
                           analyser=SimpleNamespace(workers=workers))


def test_a_moving_crawl_prints_figures_only() -> None:
    out = io.StringIO()
    spider = _spider(["http://a.gov.cn/x"], {})
    progress = Progress(spider, 2.0, out)
    progress.tick()
    spider.counters.pages += 1
    progress.tick()
    lines = out.getvalue().splitlines()
    assert all("等待" not in line for line in lines)
    assert lines[1].startswith("[govwatch] 页面 4 · 链接检查 5 · 错误 0")


def test_a_stalled_crawl_says_what_it_waits_for() -> None:
    out = io.StringIO()
    slot = SimpleNamespace(queue=deque([1, 2, 3]), delay=30.0)
    spider = _spider(["http://slow.gov.cn/never", "http://a.gov.cn/y"],
                     {"slow.gov.cn": slot, "a.gov.cn": SimpleNamespace(queue=deque(), delay=0)},
                     extracting=2)
    progress = Progress(spider, 2.0, out)
    progress.tick()  # first line: nothing to compare with yet
    progress.since["http://slow.gov.cn/never"] -= 12  # in flight for 12 s more
    progress.tick()
    line = out.getvalue().splitlines()[1]
    assert "等待: 2 个请求等待响应（最久已约 12 秒: http://slow.gov.cn/never）" in line
    assert "3 个请求排队（slow.gov.cn 每 30 秒一个，3 个）" in line
    assert "2 个页面等待抽取进程处理" in line


def test_a_stalled_crawl_with_nothing_in_flight() -> None:
    out = io.StringIO()
    progress = Progress(_spider([], {}), 2.0, out)
    progress.tick()
    progress.tick()
    assert out.getvalue().splitlines()[1].endswith("等待: 调度中（无进行中的请求）")
