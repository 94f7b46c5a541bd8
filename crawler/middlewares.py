"""Downloader middlewares: where requests go (connect_to / proxy) and Retry-After politeness."""

from __future__ import annotations

import fnmatch
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from core.settings import CrawlerSettings

log = logging.getLogger(__name__)


class ConnectToMiddleware:
    """Send requests for some hosts to a fixed address, keeping the URL and Host header.

    Like curl's --connect-to, but implemented as an HTTP proxy hop: the request goes to
    `address:port` in absolute form (`GET http://host/path`), which any proxy, nginx, or the
    demo server understands. Hosts not mapped use the configured egress proxy, if any, else
    connect directly (environment proxies are deliberately ignored: the settings decide).
    It also covers the robots.txt requests Scrapy makes on its own.
    """

    def __init__(self, settings: CrawlerSettings) -> None:
        self.exact = {k.lower(): v for k, v in settings.connect_to.items() if "*" not in k}
        self.patterns = [(k.lower(), v) for k, v in settings.connect_to.items() if "*" in k]
        self.proxy = settings.proxy or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConnectToMiddleware:
        gw: CrawlerSettings = crawler.settings["GOVWATCH_CRAWLER"]
        return cls(gw)

    def target(self, host: str) -> str | None:
        if host in self.exact:
            return self.exact[host]
        for pattern, target in self.patterns:
            if fnmatch.fnmatchcase(host, pattern):
                return target
        return None

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        target = self.target(host)
        if target is not None:
            request.meta["proxy"] = f"http://{target}"
        elif "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """A 429/503 carrying Retry-After slows that host down and is asked again later,
    instead of failing the link (the site is busy, not broken)."""

    MAX_TIMES = 3

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        # slot key -> the delay it had before a Retry-After raised it
        self.raised: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        gw: CrawlerSettings = crawler.settings["GOVWATCH_CRAWLER"]
        return cls(crawler, gw.retry_after_max)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status not in (429, 503):
            if self.raised:
                self._recover(request)
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        times = int(request.meta.get("retry_after_times", 0))
        if wait is None or wait > self.max_wait or times >= self.MAX_TIMES:
            return response
        self._slow_down(request, max(wait, 0.5))
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        log.info("%s: HTTP %s, Retry-After %.1fs; slowing host down", request.url,
                 response.status, wait)
        return retry

    def _slow_down(self, request: Request, delay: float) -> None:
        engine: Any = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < delay:
            self.raised.setdefault(key, slot.delay)
            slot.delay = delay

    def _recover(self, request: Request) -> None:
        """The host answered normally again: back to its configured pace."""
        engine: Any = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        if key in self.raised:
            slot = downloader.slots.get(key)
            original = self.raised.pop(key)
            if slot is not None:
                slot.delay = original
