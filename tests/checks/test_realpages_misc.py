"""The 37 hand-labelled real pages raise none of content.commercial-ads, content.fake-dates,
interaction.unanswered and service.guide-incomplete: none of them shows commercial ads, a list
dated all "today", an overdue consultation message or an incomplete 办事指南 (their labels
name no such fault). Each page is checked as the home page of a one-page site, at an instant
after every date they show, and at the day of their newest list item (so that a list dated
all that day would be caught). Without ../shared the test skips with the reason (fails
under CI), as tests.crawler.realpages does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from checks.base import Context, PageRef, SiteSnapshot
from checks.catalogue import load_catalogue, resolve_options
from checks.timeutil import TZ
from core.site import SiteEntry
from tests.crawler.realpages import URL, label_id, labels, real_page

CODES = ("content.commercial-ads", "content.fake-dates", "interaction.unanswered",
         "service.guide-incomplete")
CATALOGUE = load_catalogue(include_plugins=False)


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_real_page_raises_none_of_these(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    site = SiteEntry.from_dict({"id": "real", "name": "真实页面", "url": URL, "level": "city"})
    home = PageRef(url=URL, status=200, depth=0, facts=facts)
    snapshot = SiteSnapshot(site=site, crawl_run_id=1, home=home, pages=(home,), links=(),
                            results={})
    dates = sorted(item.date for block in facts.lists for item in block.items
                   if item.date[:1].isdigit())
    instants = [datetime(2026, 12, 3, 12, 0, tzinfo=TZ)]
    if dates:
        instants.append(datetime.fromisoformat(dates[-1][:10]).replace(hour=20, tzinfo=TZ))
    for now in instants:
        for code in CODES:
            spec = CATALOGUE[code]
            ctx = Context(now=now, site=site, options=resolve_options(spec.rule, {}))
            found = [f.message for f in spec.check(snapshot, ctx)]
            assert not found, (code, now, found)
