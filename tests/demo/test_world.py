"""The demo world generator: determinism, shape, and that expected.json tells the truth.

The page checks here read the generated HTML with their own small parser (lxml + regexes), not
with crawler.extract, so that a generator bug and an extractor bug cannot cancel out.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html
import pytest

from core.registry import load_registry
from govwatch.demo.sites import SITES
from govwatch.demo.world import World, build_world, connect_to_map, load_world
from tests.demo.helpers import page_file

SPECS = {spec.id: spec for spec in SITES}

AS_OF = datetime(2026, 11, 21, 12, 0)


def tree_digest(root: Path) -> str:
    """Of what build_world wrote: not tls/, the certificates a DemoServer makes at start."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()
                       and p.relative_to(root).parts[0] != "tls"):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def charset_of(world: World, url: str) -> str:
    return "gb18030" if "jianghua" in url else "utf-8"


def parse(world: World, url: str) -> Any:
    data = page_file(world, url).read_bytes()
    return lxml.html.fromstring(data.decode(charset_of(world, url)))


def links_of(doc: Any, base: str) -> set[str]:
    found = set()
    for tag, attr in (
        ("a", "href"),
        ("img", "src"),
        ("script", "src"),
        ("link", "href"),
        ("iframe", "src"),
        ("area", "href"),
    ):
        for el in doc.iter(tag):
            value = el.get(attr)
            if value:
                found.add(urljoin(base, value.strip()).split("#")[0])
    return found


def metas_of(doc: Any) -> dict[str, str]:
    return {el.get("name"): el.get("content") or "" for el in doc.iter("meta") if el.get("name")}


def footer_text(doc: Any) -> str:
    nodes = doc.xpath(
        "//*[contains(@class,'footer') or contains(@class,'copyright') or self::footer]"
    )
    return " ".join(" ".join(n.text_content().split()) for n in nodes[:1])


def test_build_is_byte_for_byte_deterministic(world: World, tmp_path: Path) -> None:
    again = build_world(tmp_path / "again")
    assert tree_digest(again.root) == tree_digest(world.root)
    assert again.hosts == world.hosts and again.refused_hosts == world.refused_hosts
    # Rebuilding in place replaces what was there, stale files included.
    stale = again.root / "www" / again.hosts[0] / "stale.html"
    stale.write_text("left over")
    build_world(again.root)
    assert not stale.exists()
    assert tree_digest(again.root) == tree_digest(world.root)


def test_load_world_reads_back_the_same_world(world: World) -> None:
    assert load_world(world.root) == world


def test_connect_to_map_sends_served_hosts_to_the_port_and_refused_ones_nowhere(
    world: World,
) -> None:
    mapping = connect_to_map(world, 8123)
    assert {h for h, v in mapping.items() if v == "127.0.0.1:8123"} == set(world.hosts)
    assert {h for h, v in mapping.items() if v == "127.0.0.1:1"} == set(world.refused_hosts)
    assert world.refused_hosts and not set(world.refused_hosts) & set(world.hosts)
    assert not any(h.endswith(".invalid") for h in mapping)


def test_registry_is_the_contract_format_with_the_planned_cast(world: World) -> None:
    sites = {s.id: s for s in load_registry(world.registry_path)}
    assert 8 <= len(sites) <= 10
    levels = [s.level for s in sites.values()]
    assert levels.count("national") == 1 and levels.count("province") == 1
    assert 2 <= levels.count("city") <= 3
    assert levels.count("department") == 2
    for site in sites.values():
        parent = sites[site.parent] if site.parent else None
        if site.level == "city":
            assert parent is not None and parent.level == "province"
        if site.level == "county":
            assert parent is not None and parent.level == "city"
        assert site.url == SPECS[site.id].url  # https:// for the sites served over HTTPS
        assert site.url.startswith(("http://", "https://"))
        assert site.host in world.hosts
        assert site.crawl.delay == 0 and site.crawl.concurrency == 4
        assert site.crawl.max_depth == 8 and site.site_code and site.icp
    not_gov = [s for s in sites.values() if not s.host.endswith(".gov.cn")]
    assert [s.kind for s in not_gov] == ["department"]


def test_every_site_has_20_to_60_pages_and_the_world_stays_small(
    expected: dict[str, Any],
) -> None:
    counts = {site: len(urls) for site, urls in expected["pages"].items()}
    assert all(20 <= n <= 60 for n in counts.values()), counts
    assert sum(counts.values()) <= 600  # the demo crawls it in well under a minute


def test_three_cms_url_styles_are_present(expected: dict[str, Any]) -> None:
    urls = [u for pages in expected["pages"].values() for u in pages]
    assert any(re.search(r"/t2026\d{4}_\d+\.html$", u) for u in urls)  # TRS
    assert any(re.search(r"/art/2026/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$", u) for u in urls)
    assert any(re.search(r"/content/2026-\d\d/\d\d/content_\d+\.html$", u) for u in urls)


def test_list_pages_use_several_date_formats_and_some_paginate(
    world: World, expected: dict[str, Any]
) -> None:
    formats = {
        "iso": r"(?<!\d)2026-1[01]-\d\d(?!\d)",
        "cn": r"2026年1[01]月\d{1,2}日",
        "bracket": r"\[1[01]-\d\d\]",
        "slash": r"2026/1[01]/\d\d \d\d:\d\d",
    }
    seen = set()
    paginated = 0
    for pages in expected["pages"].values():
        for url in pages:
            if not url.endswith("/"):
                continue
            text = parse(world, url).text_content()
            seen |= {name for name, pattern in formats.items() if re.search(pattern, text)}
            paginated += "下一页" in text and "尾页" in text
    assert seen == set(formats)
    assert paginated >= 3


def test_expected_findings_are_sorted_and_cover_only_the_listed_checks(
    expected: dict[str, Any],
) -> None:
    keys = [(f["site"], f["check"], f["url"], f["page"]) for f in expected["findings"]]
    assert keys == sorted(set(keys))
    assert {f["check"] for f in expected["findings"]} == set(expected["checks"])
    by_issue = expected["checks_by_issue"]
    assert sorted(c for codes in by_issue.values() for c in codes) == sorted(expected["checks"])
    # Severities are given for every timeliness finding and every finding whose severity
    # depends on the site or list (service.guide-incomplete, content.banned-words), and only
    # for those.
    timely = {"|".join(k) for k in keys if k[1] in by_issue["3"]
              or k[1] in ("service.guide-incomplete", "content.banned-words")}
    assert set(expected["severities"]) == timely
    assert set(expected["severities"].values()) <= {"veto", "deduct", "notice"}


def test_each_dead_link_finding_is_a_link_on_that_page(
    world: World, expected: dict[str, Any]
) -> None:
    homes = {s.id: s.url for s in SITES}
    per_target: dict[str, set[tuple[str, str]]] = {}
    for finding in expected["findings"]:
        if not finding["check"].startswith("links."):
            continue
        page, target = finding["page"], finding["url"]
        assert target in expected["dead_targets"]
        assert (page == homes[finding["site"]]) == (finding["check"] == "links.dead-home")
        assert target in links_of(parse(world, page), page), (page, target)
        per_target.setdefault(target, set()).add((finding["site"], page))
    assert set(per_target) == set(expected["dead_targets"])
    reasons = set(expected["dead_targets"].values())
    assert reasons == set(expected["dead_reasons"])
    # One target dead on three pages of one site, one dead on two sites.
    assert any(len(v) == 3 and len({s for s, _ in v}) == 1 for v in per_target.values())
    assert any(len({s for s, _ in v}) == 2 for v in per_target.values())
    # Some on home pages, some deeper.
    checks = {f["check"] for f in expected["findings"]}
    assert {"links.dead", "links.dead-home"} <= checks


def test_no_page_links_to_a_dead_target_that_expected_json_does_not_list(
    world: World, expected: dict[str, Any]
) -> None:
    listed = {
        (f["page"], f["url"]) for f in expected["findings"] if f["check"].startswith("links.")
    }
    dead = set(expected["dead_targets"])
    for pages in expected["pages"].values():
        for page in pages:
            for target in links_of(parse(world, page), page) & dead:
                assert (page, target) in listed


def test_healthy_urls_are_linked_and_never_findings(world: World, expected: dict[str, Any]) -> None:
    healthy = set(expected["healthy_urls"])
    assert len(healthy) >= 6
    reported = {f["url"] for f in expected["findings"]} | set(expected["dead_targets"])
    assert not healthy & reported
    linked = set()
    for pages in expected["pages"].values():
        for page in pages:
            linked |= links_of(parse(world, page), page)
    # The 404-mentioning article is a page in its own right; the others are links.
    assert len(healthy - linked) <= 1


FOOTER_CHECKS = {
    "identity.icp-missing", "identity.police-missing", "identity.site-code-missing",
    "identity.site-code-mismatch", "identity.conac-missing", "identity.jiucuo-missing",
    "identity.name-missing", "domain.not-gov",
}  # fmt: skip


def observed_identity_faults(world: World, site: Any) -> set[str]:
    """What a careful reader of the home page would report, read independently."""
    doc = parse(world, site.url)
    foot = footer_text(doc)
    hrefs = [a.get("href") or "" for a in doc.iter("a")]
    faults = set()
    icp = re.search(r"[京湘]ICP备\d{6,10}号(-\d+)?", foot)
    if icp is None or icp.group(0) != site.icp:
        faults.add("identity.icp-missing")
    police = re.search(r"[京湘]公网安备\s*(\d{14})号", foot)
    codes = [
        parse_qs(urlsplit(h).query).get("recordcode", [""])[0] for h in hrefs if "beian.gov.cn" in h
    ]
    if police is None or any(code != police.group(1) for code in codes):
        faults.add("identity.police-missing")
    code = re.search(r"网站标识码[:：]?\s*(bm\d{8}|\d{10})", foot)
    meta = metas_of(doc).get("SiteIDCode")
    if code is None:
        faults.add("identity.site-code-missing")
    elif code.group(1) != site.site_code or (meta and meta != code.group(1)):
        faults.add("identity.site-code-mismatch")
    if not any(
        re.search(r"bszs\.conac\.cn/sitename\?method=show&id=[0-9A-F]{32}$", h) for h in hrefs
    ):
        faults.add("identity.conac-missing")
    jiucuo = [
        parse_qs(urlsplit(h).query).get("site_code", [""])[0]
        for h in hrefs
        if "exposure/jiucuo.html" in h
    ]
    jiucuo += [s.get("sitecode") for s in doc.iter("script") if s.get("id") == "_jiucuo_"]
    if not jiucuo or any(c != site.site_code for c in jiucuo):
        faults.add("identity.jiucuo-missing")
    title = doc.findtext(".//title") or ""
    logo_alts = " ".join(img.get("alt") or "" for img in doc.iter("img"))
    if site.name not in title and site.name not in logo_alts:
        faults.add("identity.name-missing")
    if not site.host.endswith(".gov.cn"):
        faults.add("domain.not-gov")
    return faults


def test_identity_findings_match_what_the_home_pages_show(
    world: World, expected: dict[str, Any]
) -> None:
    sites = load_registry(world.registry_path)
    planted = {}
    for site in sites:
        want = {
            f["check"]
            for f in expected["findings"]
            if f["site"] == site.id and f["check"] in FOOTER_CHECKS
        }
        assert observed_identity_faults(world, site) == want, site.id
        for finding in expected["findings"]:
            if finding["site"] == site.id and finding["check"] in FOOTER_CHECKS:
                assert finding["url"] == finding["page"] == site.url
        planted[site.id] = want - {"domain.not-gov"}
    # Every identity fault is planted, each on a different site.
    faults = [c for want in planted.values() for c in want]
    assert set(faults) == FOOTER_CHECKS - {"domain.not-gov"}
    assert all(len(want) <= 1 for want in planted.values())


REQUIRED = {
    "home": ("SiteName", "SiteDomain", "SiteIDCode"),
    "list": ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnType"),
    "article": (
        "SiteName",
        "SiteDomain",
        "SiteIDCode",
        "ColumnName",
        "ColumnType",
        "ArticleTitle",
        "PubDate",
        "ContentSource",
    ),
}


def page_kind(url: str, metas: dict[str, str]) -> str:
    path = urlsplit(url).path
    if path == "/":
        return "home"
    if "ArticleTitle" not in metas and (
        "ColumnName" in metas or path.endswith(("/", "index.html")) or "index_" in path
    ):
        return "list"
    return "article"


def test_page_tags_findings_are_the_pages_lacking_tags(
    world: World, expected: dict[str, Any]
) -> None:
    """One finding at the home page of the template-fault site (every page lacks the site
    tags: reported once), and one per page for any other gap."""
    site_tags = REQUIRED["home"]
    want = set()
    template_faults = []
    for site in SITES:
        home_metas = metas_of(parse(world, site.url))
        site_wide = {tag for tag in site_tags if not home_metas.get(tag)}
        if site_wide:
            want.add(site.url)
        lacking_site_tags = 0
        for url in expected["pages"][site.id]:
            metas = metas_of(parse(world, url))
            kind = page_kind(url, metas)
            if kind == "article" and metas.get("PubDate"):
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", metas["PubDate"])
            missing = {tag for tag in REQUIRED[kind] if not metas.get(tag)}
            lacking_site_tags += bool(missing & set(site_tags))
            if kind != "home" and missing - site_wide:
                want.add(url)
        if site_wide:
            template_faults.append(site.id)
            assert lacking_site_tags == len(expected["pages"][site.id])  # every page
        else:
            assert lacking_site_tags == 0
    got = {f["url"] for f in expected["findings"] if f["check"] == "meta.page-tags-missing"}
    assert got == want
    assert len(template_faults) == 1
    # Besides the template fault, the pages planted without 来源 / 发布时间 meta.
    assert len(want) >= 4


def test_articles_are_dated_around_november_2026(world: World, expected: dict[str, Any]) -> None:
    recent = {}
    for site in SITES:
        dates = []
        for url in expected["pages"][site.id]:
            pubdate = metas_of(parse(world, url)).get("PubDate")
            if pubdate:
                dates.append(datetime.strptime(pubdate, "%Y-%m-%d %H:%M"))
        assert dates and max(dates) <= AS_OF
        recent[site.id] = sum(d >= AS_OF - timedelta(days=14) for d in dates)
        assert sum(d >= datetime(2026, 10, 1) for d in dates) >= 8
    # Only the site whose second-level pages are all stale has nothing of the last 2 weeks.
    assert [site for site, n in recent.items() if n == 0] == ["zhuzhou"]


def visible_text(doc: Any) -> str:
    for hidden in doc.xpath("//*[contains(translate(@style, ' ', ''), 'display:none')]"):
        hidden.drop_tree()
    return str(doc.text_content())


def test_article_pages_show_source_and_time_unless_planted_and_carry_attachments(
    world: World, expected: dict[str, Any]
) -> None:
    attachments = set()
    no_source, no_time = set(), set()
    for site in SITES:
        for url in expected["pages"][site.id]:
            doc = parse(world, url)
            metas = metas_of(doc)
            if "ArticleTitle" not in metas:
                continue
            text = visible_text(doc)
            if "来源：" not in text and not metas.get("ContentSource"):
                no_source.add(url)
            if not re.search(r"发布(时间|日期)：", text) and not metas.get("PubDate"):
                no_time.add(url)
            attachments |= {
                link.rsplit(".", 1)[-1]
                for link in links_of(doc, url)
                if link.endswith((".pdf", ".doc", ".xls"))
            }
    assert attachments == {"pdf", "doc", "xls"}
    findings = {(f["check"], f["url"]) for f in expected["findings"]}
    assert {u for c, u in findings if c == "meta.source-missing"} == no_source
    assert {u for c, u in findings if c == "meta.pubdate-missing"} == no_time
    assert len(no_source) == 2 and len(no_time) == 1
    # The undated article's URL carries no date either.
    (undated,) = no_time
    assert not re.search(r"20\d\d", urlsplit(undated).path)


def test_attachments_and_images_are_real_files(world: World) -> None:
    files = [p for p in (world.root / "www").rglob("*") if p.is_file()]
    by_ext: dict[str, list[bytes]] = {}
    for path in files:
        by_ext.setdefault(path.suffix, []).append(path.read_bytes())
    assert all(b.startswith(b"%PDF-1.4") and b.rstrip().endswith(b"%%EOF") for b in by_ext[".pdf"])
    assert all(b.startswith(b"{\\rtf1") for b in by_ext[".doc"])
    assert all(b"urn:schemas-microsoft-com:office:spreadsheet" in b for b in by_ext[".xls"])
    assert all(b.startswith(b"\x89PNG\r\n\x1a\n") for b in by_ext[".png"])
    assert by_ext[".css"] and by_ext[".js"]


def test_the_gbk_site_is_encoded_in_gbk_and_needs_more_than_gb2312(
    world: World, expected: dict[str, Any]
) -> None:
    (gbk_site,) = [s for s in SITES if s.charset == "gbk"]
    raw = b"".join(page_file(world, u).read_bytes() for u in expected["pages"][gbk_site.id])
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert 'charset=gb2312"' in text and gbk_site.name in text
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")  # 喆 is GBK but not GB2312: a strict gb2312 decoder fails
    assert "李喆" in text


def test_article_mentioning_404_is_long(world: World, expected: dict[str, Any]) -> None:
    pages = [
        u for u in expected["healthy_urls"] if u.endswith(".html") and page_file(world, u).is_file()
    ]
    (article,) = [u for u in pages if "“404”" in parse(world, u).text_content()]
    body = parse(world, article).text_content()
    assert body.count("404") >= 3 and len(body) > 2000
    assert "页面不存在" not in body


def test_readme_report_examples_use_periods_the_demo_has() -> None:
    import re
    from pathlib import Path

    from govwatch.demo.run import DEMO_AS_OF, demo_period

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    periods = re.findall(r"--period ([0-9Q-]+)", readme)
    assert periods and set(periods) <= set(demo_period(DEMO_AS_OF)), periods
    assert demo_period("2026-11-21T12:00:00+08:00") == ("2026-11", "2026-Q4", "2026")
