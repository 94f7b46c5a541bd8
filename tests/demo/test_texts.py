"""The content text plants of the demo world (govwatch.demo.texts) are on the pages, read back
from the generated HTML: every positive and near miss, and the declared 繁体 version."""

from __future__ import annotations

import html
from typing import Any

from govwatch.demo import texts
from govwatch.demo.sites import SITE_BY_ID
from govwatch.demo.world import World
from tests.demo.helpers import page_file


def _text(world: World, url: str) -> str:
    path = page_file(world, url)
    raw = path.read_bytes()
    charset = "gbk" if b"gb2312" in raw[:2000] else "utf-8"
    return html.unescape(raw.decode(charset))


def test_every_plant_is_on_its_page_and_positives_are_expected(
    world: World, expected: dict[str, Any]
) -> None:
    found = {(f["site"], f["check"]): f["url"] for f in expected["findings"]
             if f["check"] in texts.CHECKS_ISSUE12_TEXT}
    pages = {}
    for f in expected["findings"]:
        pages.setdefault((f["site"], f["check"]), set()).add(f["url"])
    planted = 0
    for site_id in {p.site for p in texts.TEXT_PLANTS}:
        site_pages = [u for u in expected["pages"][site_id]]
        for plant in (p for p in texts.TEXT_PLANTS if p.site == site_id):
            holders = [u for u in site_pages if plant.paragraph in _text(world, u)]
            assert len(holders) == 1, (plant, holders)
            planted += 1
            if plant.check is not None:
                assert holders[0] in pages[(site_id, plant.check)], plant
            else:  # a near miss raises none of the text checks on its page
                assert not any(holders[0] in urls for (s, c), urls in pages.items()
                               if s == site_id and c in texts.CHECKS_ISSUE12_TEXT), plant
    assert planted == len(texts.TEXT_PLANTS)
    assert set(found) >= {(p.site, p.check) for p in texts.TEXT_PLANTS if p.check}


def test_the_declared_traditional_version_is_linked_and_not_expected(
    world: World, expected: dict[str, Any]
) -> None:
    site = SITE_BY_ID[texts.TRADITIONAL_SITE]
    version = site.url.rstrip("/") + texts.TRADITIONAL_PATH
    assert texts.TRADITIONAL_PARAGRAPHS[0] in _text(world, version)
    link_page = _text(world, site.url.rstrip("/") + texts.TRADITIONAL_LINK_PAGE)
    assert f'href="{texts.TRADITIONAL_PATH}"' in link_page
    assert texts.TRADITIONAL_LINK_TEXT in link_page
    assert not any(f["url"] == version for f in expected["findings"])


def test_attachment_plants_are_linked_files(world: World, expected: dict[str, Any]) -> None:
    keys = {(f["site"], f["check"], f["url"], f["page"]) for f in expected["findings"]}
    for plant in texts.ATTACHMENT_PLANTS:
        site = SITE_BY_ID[plant.site]
        url = site.url.rstrip("/") + plant.path
        body = page_file(world, url).read_text(encoding="utf-8")
        assert all(cell in body for row in plant.rows for cell in row)
        linking = [u for u in expected["pages"][plant.site] if f'href="{plant.path}"' in
                   _text(world, u)]
        assert len(linking) == 1, linking
        want = (plant.site, "content.privacy-leak", url, linking[0])
        assert (want in keys) == (plant.check is not None), plant
