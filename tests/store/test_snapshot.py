"""Rebuilding check inputs from stored rows (checks.snapshot, PageFacts.from_dict)."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from checks import runner
from crawler.facts import Link, ListBlock, ListItem, PageFacts


def _stored(facts: PageFacts) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(facts.to_dict()))
    return data


def test_pages_rebuilt_with_a_shared_memo_share_equal_links() -> None:
    nav = (Link("http://a/zwgk/", "a", "政务公开"), Link("http://a/logo.png", "img"))
    block = ListBlock("通知公告", (ListItem("通知", "http://a/1.html", "2026-11-01"),))
    one = PageFacts(url="http://a/1", nav=nav, links=nav, lists=(block,))
    two = PageFacts(url="http://a/2", nav=nav, lists=(block,))
    shared: dict[Any, Any] = {}
    got = [PageFacts.from_dict(_stored(f), shared) for f in (one, two)]
    assert got == [one, two] == [PageFacts.from_dict(_stored(f)) for f in (one, two)]
    assert got[0].nav[0] is got[0].links[0] is got[1].nav[0]
    assert got[0].lists[0] is got[1].lists[0]


def test_a_shared_memo_accepts_what_from_dict_accepts_and_nothing_else() -> None:
    shared: dict[Any, Any] = {}
    short = PageFacts.from_dict({"url": "u", "links": [{"url": "a", "kind": "a"}]}, shared)
    assert short.links == (Link("a", "a"),)  # a default left out
    full = PageFacts.from_dict({"url": "u", "links": [{"url": "a", "kind": "a", "text": ""}]},
                               shared)
    assert full.links == short.links
    for bad in ({"url": "a", "kind": "a", "bogus": ""}, {"url": "a", "bogus": "a", "text": ""}):
        with pytest.raises(TypeError):
            PageFacts.from_dict({"url": "u", "links": [bad]}, shared)


def test_a_check_pass_restores_the_garbage_collector() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), runner._collect_between_sites():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with runner._collect_between_sites():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
