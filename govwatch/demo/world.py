"""The demo world: a deterministic cluster of Chinese government websites, written to disk.

`build_world(root)` writes
- `www/<host>/<path>`: every static file each host serves (HTML in three CMS styles, CSS, JS,
  PNG images, PDF/Word/Excel attachments, robots.txt);
- `errors/<host>/...`: bodies for answers that are not files (404 pages, the soft-404 pages,
  the 500 page, the bot filter's 403);
- `behaviours.json`: what `govwatch.demo.server` does besides serving files, per host and
  path (redirects, errors, the hang, 429-once, HEAD refusals, how unknown paths answer);
- `sites.yaml`: the registry of the ten sites (contract format, interfaces.md section 2);
- `expected.json`: the findings the link, identity, domain and meta checks (issue 2) and the
  timeliness checks (issue 3) must produce, derived from what was planted (sites.py,
  timeliness.py; the timeliness findings judged by oracle.py from what was rendered), with
  the severities of the timeliness findings, the columns and reposts the checks should see,
  the dead targets and the healthy near-misses.

Why a generator and not checked-in fixtures: the expected findings then follow from the same
declarations that produced the pages, so the two cannot drift apart; and the same bytes come
out on every run (fixed seeds, no clock), which the crawler's conditional requests and the
tests rely on.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import jinja2
import yaml

from govwatch.demo import assets, content, contentpages, oracle, spam, texts, timeliness
from govwatch.demo.sites import (
    DEAD_REASONS,
    DNS_FAIL_HOST,
    FOOTER_WRONG_SITE_CODE,
    GBK_ONLY_NAME,
    HANG_SECONDS,
    HEAD403_URL,
    HEAD405_URL,
    JIUCUO_WRONG_CODE,
    MENTIONS_404,
    NEAR_MISSES,
    PLANTS,
    POLICE_WRONG_RECORDCODE,
    RATE_LIMITED_URL,
    REFUSED_HOST,
    SERVICE_HOSTS,
    SITE_BY_ID,
    SITES,
    Placement,
    SiteSpec,
)

__all__ = ["AS_OF", "CHECKS", "World", "build_world", "connect_to_map"]

SEED = 20261121
AS_OF = "2026-11-21T12:00:00+08:00"
# Every static file claims this modification time (the world has no clock).
LAST_MODIFIED = "Fri, 20 Nov 2026 02:00:00 GMT"
CRAWL = {"max_pages": 200, "max_depth": 8, "delay": 0, "concurrency": 4}
# The checks expected.json is exhaustive for: any other finding of these is a false positive.
CHECKS_ISSUE2 = (
    "domain.not-gov",
    "identity.conac-missing",
    "identity.icp-missing",
    "identity.jiucuo-missing",
    "identity.name-missing",
    "identity.police-missing",
    "identity.site-code-mismatch",
    "identity.site-code-missing",
    "links.dead",
    "links.dead-home",
    "meta.page-tags-missing",
)
CHECKS_ISSUE3 = (
    "archive.label-missing",
    "archive.time-missing",
    "columns.blank",
    "columns.stale",
    "home.stale",
    "meta.pubdate-missing",
    "meta.source-missing",
    "repost.lapse",
)
# Issue 12 (content, interaction, service, HTTPS); https.missing judges the home-page probe
# the demo takes before crawling (govwatch.demo.probes) of sites served over HTTPS or not.
CHECKS_ISSUE12 = (
    *texts.CHECKS_ISSUE12_TEXT,
    "https.missing",
    "content.commercial-ads",
    "content.fake-dates",
    "interaction.unanswered",
    "service.guide-incomplete",
    *spam.CHECKS,
)
CHECKS = tuple(sorted(CHECKS_ISSUE2 + CHECKS_ISSUE3 + CHECKS_ISSUE12))

ARTICLES_PER_COLUMN = {"news": 8, "notice": 4, "policy": 4, "personnel": 3, "plan": 2}
PER_LIST_PAGE = 5  # TRS columns paginate; the other CMSs list everything on one page
HOME_ITEMS = {"news": 6, "notice": 4, "policy": 4}
# Newest item of each column (days before 2026-11-21) and the gaps between items.
_COLUMN_DATES = {
    "news": (1, (1, 3)),
    "notice": (2, (3, 8)),
    "policy": (4, (5, 12)),
    "personnel": (9, (7, 20)),
    "plan": (11, (10, 30)),
}
_TRS_SLUGS = {
    "govcn": ("yaowen", "tongzhi", "zhengce", "renmian", "guihua", "jigou"),
    "hunan": ("zwdt", "tzgg", "zcwj", "rsxx", "ghjh", "jggk"),
    "hnfgw": ("gzdt", "tzgg", "zcfg", "rsxx", "ghjh", "jggk"),
}
_SIMPLE_SLUGS = ("news", "notice", "policy", "renshi", "guihua", "about")
_STATIC_FILES = ("jgzn", "ldxx", "nsjg")
_DOC_PREFIX = {"govcn": "国办发", "hunan": "湘政办发", "hnfgw": "湘发改规"}
_STYLE_RGB = {"trs": (180, 0, 11), "hanweb": (10, 91, 181), "simple": (29, 79, 145)}
_NOT_FOUND_TEXT = (
    "抱歉，您访问的页面不存在或已被删除！",
    "请检查输入的网址是否正确，或返回首页继续浏览。",
)
_CHARSET_META = {
    "utf-8": '<meta charset="utf-8">',
    "gbk": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
}


@dataclass(frozen=True, slots=True)
class World:
    root: Path  # where it was written
    registry_path: Path  # root/"sites.yaml"
    expected_path: Path  # root/"expected.json"
    hosts: tuple[str, ...]  # every host the server answers for
    refused_hosts: tuple[str, ...]  # hosts the crawler must map to a closed port (127.0.0.1:1)


def connect_to_map(world: World, port: int) -> dict[str, str]:
    """The crawler's `connect_to` setting for a server listening on `port`."""
    mapping = {host: f"127.0.0.1:{port}" for host in world.hosts}
    mapping.update({host: "127.0.0.1:1" for host in world.refused_hosts})
    return mapping


def load_world(root: Path) -> World:
    """The World previously written to `root` (hosts read back from behaviours.json)."""
    root = Path(root)
    table = json.loads((root / "behaviours.json").read_text("utf-8"))
    return World(
        root=root,
        registry_path=root / "sites.yaml",
        expected_path=root / "expected.json",
        hosts=tuple(sorted(table["hosts"])),
        refused_hosts=tuple(table["refused_hosts"]),
    )


# -- the model of one site ------------------------------------------------------------------


@dataclass(slots=True)
class _Link:
    href: str
    text: str = ""


@dataclass(slots=True)
class _Article:
    column: str  # column type, or "static" / "footer" / "extra"
    title: str
    when: datetime
    source: str
    paragraphs: tuple[str, ...]
    path: str = ""
    ident: int = 0
    column_name: str = ""
    column_label: str = ""
    images: list[str] = field(default_factory=list)
    attachments: list[_Link] = field(default_factory=list)
    related: list[_Link] = field(default_factory=list)
    xxgk: dict[str, str] | None = None
    column_key: str = ""  # the key of its column in _Site.columns ("" for static/footer/extra)
    # What the page shows (timeliness.META_FAULTS switch these off).
    show_source: bool = True
    meta_source: bool = True
    show_time: bool = True
    meta_time: bool = True
    minute_time: bool = False  # Hanweb shows the time too (reposts: minute precision)
    label: str | None = None  # a visible 已归档 label


@dataclass(slots=True)
class _Column:
    type: str  # news | notice | policy | personnel | plan | static | other
    name: str
    slug: str
    colid: int
    href: str  # canonical URL path of the first list page, as the navigation links it
    list_paths: list[str] = field(default_factory=list)
    articles: list[_Article] = field(default_factory=list)  # newest first
    key: str = ""  # key in _Site.columns: the type for the six base columns
    level: int = 1  # 1: in the main navigation; 2: a sub-column listed on its parent's page
    parent: str = ""  # key of the parent column (level 2)
    children: list[str] = field(default_factory=list)  # keys of its sub-columns
    # Articles listed here besides `articles` (reposts), so that the page selectors
    # ("article:news:0") keep meaning the generated articles.
    inserted: list[_Article] = field(default_factory=list)
    placeholder: str | None = None  # shown instead of a list (暂无信息 ...)
    dated: bool = True  # the list shows dates
    minute_dates: bool = False  # the list shows dates with the time
    label: str | None = None  # a visible 已归档 label on the column page
    hidden_stamp: bool = False  # a display:none 已归档 stamp (a trap)
    registry_type: str | None = None  # the registry `columns` entry types it
    # A single-page column (新闻发言人, 办事指南): its page shows these paragraphs, no list.
    paragraphs: tuple[str, ...] = ()

    def listed(self) -> list[_Article]:
        """Everything the list shows, newest first."""
        if not self.inserted:
            return self.articles
        return sorted(self.articles + self.inserted, key=lambda a: a.when, reverse=True)

    @property
    def archived(self) -> bool:
        return self.label is not None or any(w in self.name for w in timeliness.ARCHIVE_WORDS)


@dataclass(slots=True)
class _Extras:
    a: list[_Link] = field(default_factory=list)
    img: list[str] = field(default_factory=list)
    attachment: list[_Link] = field(default_factory=list)
    css: list[str] = field(default_factory=list)
    js: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Footer:
    """What a site's footer displays; None leaves the item out (a planted fault)."""

    sponsor: str
    operator: str
    province: str
    icp: str | None
    icp_label: str
    police: str | None
    recordcode: str | None
    site_code: str | None
    site_code_label: str
    conac_id: str | None
    jiucuo_code: str | None
    jiucuo_url: str


@dataclass(slots=True)
class _Site:
    spec: SiteSpec
    rng: random.Random
    writer: content.Writer
    columns: dict[str, _Column] = field(default_factory=dict)
    statics: list[_Article] = field(default_factory=list)
    footer_pages: list[_Article] = field(default_factory=list)
    extra_pages: list[_Article] = field(default_factory=list)
    extras: dict[str, _Extras] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # URL path -> body
    # URL path -> (page kind, meta tags); every HTML page, for expected.json.
    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    orphans: set[str] = field(default_factory=set)
    # Timeliness plants (see timeliness.py): the important items of a portal by source key,
    # the reposts of a site by source key, whether the home page shows navigation only.
    sources: dict[str, _Article] = field(default_factory=dict)
    reposts: dict[str, _Article] = field(default_factory=dict)
    nav_only: bool = False

    @property
    def style(self) -> str:
        return self.spec.style

    def extras_for(self, path: str) -> _Extras:
        return self.extras.setdefault(path, _Extras())


def _site_seed(site_id: str) -> int:
    return SEED ^ zlib.crc32(site_id.encode("utf-8"))


def _abs(spec: SiteSpec, path: str) -> str:
    return f"{spec.scheme}://{spec.host}{path}"


def _conac_id(spec: SiteSpec) -> str:
    return hashlib.sha1(f"conac:{spec.id}".encode()).hexdigest()[:32].upper()


def footer_for(spec: SiteSpec) -> Footer:
    fault = spec.fault
    code = spec.site_code
    if fault == "site-code-meta-only":
        footer_code: str | None = None
    elif fault == "site-code-mismatch":
        footer_code = FOOTER_WRONG_SITE_CODE
    else:
        footer_code = code
    if fault == "jiucuo-missing":
        jiucuo: str | None = None
    else:
        jiucuo = JIUCUO_WRONG_CODE if fault == "jiucuo-wrong" else code
    police = None if fault == "police-missing" else spec.police
    return Footer(
        sponsor=spec.sponsor,
        operator=spec.operator,
        province=spec.province,
        icp=None if fault == "icp-missing" else spec.icp,
        icp_label="备案号：" if spec.style == "simple" else "",
        police=police,
        recordcode=POLICE_WRONG_RECORDCODE if fault == "police-mismatch" else police,
        site_code=footer_code,
        site_code_label={
            "trs": "网站标识码：",
            "hanweb": "网站标识码 ",
            "simple": "政府网站标识码：",
        }[spec.style],
        conac_id=None if fault == "conac-missing" else _conac_id(spec),
        jiucuo_code=jiucuo,
        jiucuo_url=(
            f"http://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={jiucuo}"
            f"&url={quote(spec.url, safe='')}"
        ),
    )


def _has_site_meta(spec: SiteSpec) -> bool:
    return spec.fault != "meta-tags"


# -- structure: columns, articles, paths ------------------------------------------------------


def _make_columns(site: _Site) -> None:
    spec = site.spec
    names = content.column_names(spec)
    for i, ctype in enumerate(content.COLUMN_TYPES):
        if site.style == "trs":
            slug = _TRS_SLUGS[spec.id][i]
            href = f"/{slug}/"
        elif site.style == "hanweb":
            slug = f"col{spec.col_base + i}"
            href = f"/col/{slug}/index.html"
        else:
            slug = _SIMPLE_SLUGS[i]
            href = f"/{slug}/"
        site.columns[ctype] = _Column(ctype, names[ctype], slug, spec.col_base + i, href, key=ctype)


def _make_articles(site: _Site) -> None:
    spec, rng, writer = site.spec, site.rng, site.writer
    end = datetime(2026, 11, 21)
    titles: set[str] = set()
    for ctype, count in ARTICLES_PER_COLUMN.items():
        column = site.columns[ctype]
        newest, (low, high) = _COLUMN_DATES[ctype]
        day = end - timedelta(days=newest + rng.randint(0, 1))
        pinned = timeliness.NEWEST.get((spec.id, ctype))
        if pinned is not None:  # an edge of the update cycle (see timeliness)
            day = datetime(pinned.year, pinned.month, pinned.day)
        for _ in range(count):
            when = day.replace(hour=rng.randint(8, 17), minute=rng.choice((0, 10, 15, 30, 45)))
            title = writer.title(ctype)
            while title in titles:  # small pools: draw again rather than repeat a title
                title = writer.title(ctype)
            titles.add(title)
            body = writer.body(ctype, title, when)
            column.articles.append(
                _Article(
                    ctype,
                    title,
                    when,
                    writer.source(ctype),
                    body.paragraphs,
                    column_name=column.name,
                    column_label=content.COLUMN_TYPE_LABELS[ctype],
                    column_key=ctype,
                )
            )
            day -= timedelta(days=rng.randint(low, high))
    if (spec.id, "notice") == MENTIONS_404[:2]:
        article = site.columns["notice"].articles[MENTIONS_404[2]]
        article.title = content.MONITORING_TITLE
        article.paragraphs = content.monitoring_body().paragraphs
    if (spec.id, "personnel") == GBK_ONLY_NAME[:2]:
        article = site.columns["personnel"].articles[GBK_ONLY_NAME[2]]
        article.title = f"{spec.org}关于李喆等同志职务任免的通知"
        article.paragraphs = (
            f"经{spec.org}研究决定：",
            "任命李喆为县发展和改革局局长；",
            "免去赵德胜的县发展和改革局局长职务。",
            f"{content.office(spec)}",
        )
    # Identifiers grow with time, as CMS sequences do.
    everything = [a for c in site.columns.values() for a in c.articles]
    everything.sort(key=lambda a: (a.when, a.column, a.title))
    ident = spec.id_base
    for article in everything:
        ident += rng.randint(3, 40)
        article.ident = ident
        article.path = _article_path(site, article)
    for ctype in ARTICLES_PER_COLUMN:
        column = site.columns[ctype]
        pages = 1
        if site.style == "trs" and ctype == "news":
            pages = -(-len(column.articles) // PER_LIST_PAGE)
        column.list_paths = [column.href] + [
            f"/{column.slug}/index_{n}.html" for n in range(1, pages)
        ]


def _article_path(site: _Site, article: _Article) -> str:
    when, ident = article.when, article.ident
    column = site.columns[article.column_key or article.column]
    if column.key == "old":  # the archive: Hanweb paths under archive_paths
        return f"/old/art/{when.year}/{when.month}/{when.day}/art_{column.colid}_{ident}.html"
    if site.style == "trs":
        return f"/{column.slug}/{when:%Y%m}/t{when:%Y%m%d}_{ident}.html"
    if site.style == "hanweb":
        return f"/art/{when.year}/{when.month}/{when.day}/art_{column.colid}_{ident}.html"
    return f"/content/{when:%Y-%m}/{when:%d}/content_{ident}.html"


def _make_static_pages(site: _Site) -> None:
    spec, writer = site.spec, site.writer
    column = site.columns["static"]
    column.list_paths = [column.href]
    first = timeliness.STATIC_DAY.get(spec.id)
    for i, title in enumerate(content.STATIC_TITLES):
        when = datetime(2026, 3, 16 + i, 9, 30)
        if first is not None:  # long ago: static columns have no update cycle
            when = datetime(first.year, first.month, first.day + i, 9, 30)
        article = _Article(
            "static",
            title,
            when,
            content.office(spec),
            writer.static_body(title).paragraphs,
            column_name=column.name,
            column_label=content.COLUMN_TYPE_LABELS["static"],
        )
        article.ident = spec.id_base - 100 + i
        if site.style == "trs":
            article.path = f"/{column.slug}/{_STATIC_FILES[i]}.html"
        elif site.style == "hanweb":
            article.path = (
                f"/art/{when.year}/{when.month}/{when.day}/art_{column.colid}_{article.ident}.html"
            )
        else:
            article.path = f"/{column.slug}/{_STATIC_FILES[i]}.html"
        site.statics.append(article)
    column.articles = list(site.statics)
    office = content.office(spec)
    site.footer_pages = [
        _Article(
            "footer",
            "网站声明",
            datetime(2026, 1, 5, 9, 0),
            office,
            (
                f"本网站由{spec.sponsor}主办，{spec.operator}承办。",
                "凡本网站注明来源的信息，版权归原作者所有。转载本网站信息请注明出处。",
                "本网站提供的链接仅为方便公众浏览，不代表对被链接网站内容的认可。",
            ),
            path="/wzsm.html",
            column_name="网站声明",
            column_label="网站声明",
        ),
        _Article(
            "footer",
            "联系我们",
            datetime(2026, 1, 5, 9, 0),
            office,
            (
                f"主办单位：{spec.sponsor}",
                f"通信地址：{spec.place}行政中心",
                f"联系电话：0731-{spec.id_base % 10000000:08d}",
            ),
            path="/lxwm.html",
            column_name="联系我们",
            column_label="联系我们",
        ),
    ]


def _make_extra_pages(site: _Site) -> None:
    """Pages some near-misses need: the rate-limited page and the bot-filtered page."""
    spec = site.spec
    for url, title, orphan in (
        (RATE_LIMITED_URL, "统计数据发布", False),
        (HEAD403_URL, "政务服务", True),
    ):
        parts = urlsplit(url)
        if parts.hostname != spec.host:
            continue
        article = _Article(
            "extra",
            title,
            datetime(2026, 11, 16, 10, 0),
            content.office(spec),
            (
                f"{spec.place}{title}专栏提供相关信息查询服务。",
                "请通过本页面提供的入口办理有关事项，办理进度可通过12345政务服务便民热线查询。",
            ),
            path=parts.path,
            column_name=title,
            column_label=title,
        )
        site.extra_pages.append(article)
        if orphan:
            site.orphans.add(parts.path)


def _make_texts(site: _Site) -> None:
    """The content text plants of issue 12 (govwatch.demo.texts): paragraphs appended to
    named articles, and the declared 繁体 version page with its 繁體版 link."""
    spec = site.spec
    for plant in texts.TEXT_PLANTS:
        if plant.site == spec.id:
            article = site.columns[plant.column].articles[plant.index]
            article.paragraphs = (*article.paragraphs, plant.paragraph)
    for attached in texts.ATTACHMENT_PLANTS:
        if attached.site == spec.id:
            article = site.columns[attached.column].articles[attached.index]
            site.files[attached.path] = assets.xls(
                attached.title, texts.ATTACHMENT_HEADER, [list(row) for row in attached.rows]
            )
            article.attachments.append(_Link(attached.path, f"{attached.title}.xls"))
    if spec.id != texts.TRADITIONAL_SITE:
        return
    site.extra_pages.append(
        _Article(
            "extra",
            texts.TRADITIONAL_TITLE,
            datetime(2026, 11, 16, 10, 0),
            content.office(spec),
            texts.TRADITIONAL_PARAGRAPHS,
            path=texts.TRADITIONAL_PATH,
            column_name="繁體版",
            column_label="繁體版",
        )
    )
    site.extras_for(texts.TRADITIONAL_LINK_PAGE).a.append(
        _Link(texts.TRADITIONAL_PATH, texts.TRADITIONAL_LINK_TEXT)
    )


def _text_findings(sites: dict[str, _Site]) -> dict[tuple[str, str, str, str], str]:
    """The content text findings the plants must raise, with their severities."""
    found: dict[tuple[str, str, str, str], str] = {}
    for plant in texts.TEXT_PLANTS:
        if plant.check is None:
            continue
        site = sites[plant.site]
        url = _abs(site.spec, site.columns[plant.column].articles[plant.index].path)
        found[(plant.site, plant.check, url, url)] = plant.severity
    for attached in texts.ATTACHMENT_PLANTS:
        if attached.check is not None:
            spec = sites[attached.site].spec
            column = sites[attached.site].columns[attached.column]
            page_url = _abs(spec, column.articles[attached.index].path)
            found[(attached.site, attached.check, _abs(spec, attached.path), page_url)] = ""
    return found


def _make_timeliness(site: _Site) -> None:
    """Columns, archived pages, important items, reposts and metadata faults of issue 3.

    Drawn from a random stream of their own, so that the rest of the site reads as before.
    """
    spec = site.spec
    rng = random.Random(_site_seed(spec.id) ^ 0x7133)
    writer = content.Writer(spec, rng)
    titles = {a.title for c in site.columns.values() for a in c.articles}
    made: list[_Article] = []
    site.nav_only = spec.id in timeliness.NAV_ONLY_HOMES
    if site.nav_only and site.style != "simple":
        raise AssertionError("navigation-only home pages are drawn in the simple style")

    def add_column(key: str, name: str, ctype: str, **kw: Any) -> _Column:
        colid = spec.col_base + len(site.columns)
        parent = site.columns[kw["parent"]] if kw.get("parent") else None
        if site.style == "hanweb":
            href = f"/col/col{colid}/index.html"
        elif parent is not None:
            href = f"{parent.href}{key}/"
        else:
            href = f"/{key}/"
        column = _Column(ctype, name, key, colid, href, [href], key=key, **kw)
        if parent is not None:
            column.level = 2
            parent.children.append(key)
        site.columns[key] = column
        return column

    def article(column: _Column, title: str, when: datetime, pool: str, **kw: Any) -> _Article:
        body = writer.body(pool, title, when)
        item = _Article(
            column.type,
            title,
            when,
            kw.pop("source", None) or writer.source(pool),
            kw.pop("paragraphs", None) or body.paragraphs,
            column_name=column.name,
            column_label=content.COLUMN_TYPE_LABELS.get(column.type, column.name),
            column_key=column.key,
            **kw,
        )
        made.append(item)
        return item

    def fresh_title(pool: str) -> str:
        title = writer.title(pool)
        while title in titles:
            title = writer.title(pool)
        titles.add(title)
        return title

    for site_id, ctype in timeliness.HIDDEN_STAMPS:
        if site_id == spec.id:
            site.columns[ctype].hidden_stamp = True
    for plan in timeliness.EXTRA_COLUMNS:
        if plan.site != spec.id:
            continue
        ctype = timeliness.classify(plan.name)
        column = add_column(
            plan.key,
            plan.name,
            ctype,
            parent=plan.parent or "",
            placeholder=plan.placeholder,
            dated=plan.dated,
            hidden_stamp=plan.hidden_stamp,
            registry_type=plan.registry_type,
            label=timeliness.ARCHIVE_INDEX_LABEL if plan.archive == "label" else None,
        )
        if plan.newest is None:
            continue
        pool = ctype if ctype in ARTICLES_PER_COLUMN else "news"
        when = plan.newest
        for _ in range(plan.count):
            column.articles.append(article(column, fresh_title(pool), when, pool))
            when -= timedelta(days=plan.gap_days, hours=rng.randint(-3, 3))
    for key in ("sjwj",) if timeliness.REPOST_SITES.get(spec.id) else ():
        add_column(key, timeliness.REPOST_COLUMN_NAME, "policy")
    if spec.id in timeliness.IMPORTANT_COLUMNS:
        key, path, name = timeliness.IMPORTANT_COLUMNS[spec.id]
        column = add_column(key, name, timeliness.classify(name), minute_dates=True)
        if column.href != path:
            raise AssertionError(f"{spec.id}: important column at {column.href}, not {path}")
        for source in timeliness.SOURCES:
            if source.portal == spec.id:
                item = article(column, source.title, source.published, "policy")
                item.source = content.office(spec)
                column.articles.append(item)
                site.sources[source.key] = item
        column.articles.sort(key=lambda a: a.when, reverse=True)
    if spec.id == timeliness.ARCHIVE_SITE:
        column = add_column(
            "old",
            timeliness.ARCHIVE_COLUMN_NAME,
            "other",
            label=timeliness.ARCHIVE_INDEX_LABEL,
        )
        column.href = column.list_paths[0] = timeliness.ARCHIVE_PATH
        for page in timeliness.ARCHIVED_PAGES:
            item = article(column, page.title, page.published, "news", label=page.label)
            column.articles.append(item)
        column.articles.sort(key=lambda a: a.when, reverse=True)
    for repost in timeliness.REPOSTS:
        if repost.site != spec.id:
            continue
        source = timeliness.SOURCE_BY_KEY[repost.source]
        column = site.columns[repost.column]
        portal = timeliness.REPOST_SOURCE_NAME[source.portal]
        item = article(
            column,
            repost.title,
            source.published + repost.delay,
            "policy",
            source=portal,
            paragraphs=(
                f"（转载自{portal}）",
                f"{source.title}已于{source.published.month}月{source.published.day}日"
                f"在{portal}发布，现予转载。",
                "请各有关单位认真学习贯彻，结合实际抓好落实。",
            ),
            minute_time=True,
        )
        if repost.column in ARTICLES_PER_COLUMN:
            column.inserted.append(item)  # base columns: selectors keep their meaning
        else:
            column.articles.append(item)
            column.articles.sort(key=lambda a: a.when, reverse=True)
        site.reposts[repost.source] = item
    # Identifiers grow with time, in a range of their own.
    ident = spec.id_base + 50000
    for item in sorted(made, key=lambda a: (a.when, a.column_key, a.title)):
        ident += rng.randint(3, 40)
        item.ident = ident
        item.path = _article_path(site, item)
    for site_id, ctype, index, fault in timeliness.META_FAULTS:
        if site_id != spec.id:
            continue
        item = site.columns[ctype].articles[index]
        if fault == "no-source":
            item.show_source = item.meta_source = False
        elif fault == "no-pubdate":
            item.show_time = item.meta_time = False
            if site.style != "simple":
                raise AssertionError("the undated article needs a URL without a date")
            item.path = f"/content/post_{item.ident}.html"
        elif fault == "meta-pubdate-only":
            item.show_time = False
        else:
            raise ValueError(f"unknown metadata fault {fault!r}")


def _make_single_pages(site: _Site) -> None:
    """Single-page columns in the main navigation, as real sites have them: a page of content
    (a contact, an address, paragraphs) and no list. 新闻发言人 has a news name and 办事指南
    none; neither is blank nor stale. Added after every other column, so that the numbering
    of the others (Hanweb column ids) stays as it was."""
    spec = site.spec
    office = content.office(spec)
    phone = f"0731-{(spec.id_base * 7) % 10000000:08d}"
    pages = (
        (
            "xwfyr",
            "新闻发言人",
            (
                f"{office}新闻发言人负责{spec.place}政务信息的统一发布和媒体联络工作。",
                f"新闻发布联系电话：{phone}",
                f"通信地址：{spec.place}行政中心新闻发布厅",
                "重要政务信息均通过新闻发布会和本网站同步发布，欢迎媒体和公众监督。",
            ),
        ),
        (
            "bszn",
            "办事指南",
            (
                f"{spec.place}各类政务服务事项的办理条件、申请材料和办理流程以本页说明为准。",
                f"办理地点：{spec.place}政务服务中心一楼综合受理窗口",
                "咨询电话：12345政务服务便民热线",
                "办理时间：法定工作日上午九点至下午五点。",
            ),
        ),
    )
    for key, name, paragraphs in pages:
        colid = spec.col_base + len(site.columns)
        href = f"/col/col{colid}/index.html" if site.style == "hanweb" else f"/{key}/"
        site.columns[key] = _Column(
            timeliness.classify(name), name, key, colid, href, [href], key=key,
            paragraphs=paragraphs,
        )


def _assets(site: _Site) -> None:
    """Images and attachments of the articles, and the site-wide static files."""
    spec, rng = site.spec, site.rng
    rgb = _STYLE_RGB[site.style]
    site.files["/images/logo.png"] = assets.png(400, 80, rgb)
    site.files["/images/banner.png"] = assets.png(1200, 140, rgb, stripe=14)
    site.files["/images/ga.png"] = assets.png(20, 20, (200, 160, 60))
    site.files["/css/style.css"] = assets.CSS[site.style].encode("utf-8")
    site.files["/js/common.js"] = assets.JS.encode("utf-8")
    site.files["/robots.txt"] = b"User-agent: *\nDisallow: /search/\n"

    def stamp(article: _Article) -> str:
        return f"{article.when:%Y%m%d}{rng.randint(10000000, 99999999)}"

    def place(article: _Article, name: str) -> tuple[str, str]:
        """(URL path of the file, href as the article writes it)."""
        if site.style == "trs":
            folder = article.path.rsplit("/", 1)[0]
            return f"{folder}/{name}", f"./{name}"
        if site.style == "hanweb":
            folder = "/picture/0" if name.endswith(".png") else "/attach/0"
            return f"{folder}/{name}", f"{folder}/{name}"
        path = f"/uploads/{article.when:%Y/%m}/{name}"
        return path, path

    for i, article in enumerate(site.columns["news"].articles[:2]):
        name = f"W0{stamp(article)}.png" if site.style == "trs" else f"{stamp(article)}.png"
        path, href = place(article, name)
        site.files[path] = assets.png(320, 200, (90 + 30 * i, 120, 150), stripe=10 + i)
        article.images.append(href)
    documents = (
        ("policy", 0, ".pdf"),
        ("notice", 2, ".xls"),
        ("plan", 0, ".doc"),
    )
    for ctype, index, ext in documents:
        article = site.columns[ctype].articles[index]
        name = f"P0{stamp(article)}{ext}"
        path, href = place(article, name)
        site.files[path] = _document(spec, article, ext)
        label = {".pdf": "全文", ".xls": "明细表", ".doc": "附件"}[ext]
        article.attachments.append(_Link(href, f"{article.title[:24]}{label}{ext}"))
    if site.style == "trs":
        for article in site.columns["policy"].articles:
            number = article.ident % 97 + 3
            article.xxgk = {
                "index": f"{spec.site_code}/{article.when:%Y}-{article.ident % 100000:05d}",
                "issuer": spec.org,
                "number": f"{_DOC_PREFIX[spec.id]}〔2026〕{number}号",
                "written": f"{article.when - timedelta(days=3):%Y-%m-%d}",
            }


def _document(spec: SiteSpec, article: _Article, ext: str) -> bytes:
    if ext == ".pdf":
        return assets.pdf(
            [
                "Demo attachment (govwatch demo world)",
                f"Site: {spec.host}",
                f"Document number: {article.ident}",
                f"Published: {article.when:%Y-%m-%d %H:%M}",
            ]
        )
    if ext == ".xls":
        rows = [
            [str(n), f"项目{n}", f"{spec.place}", f"{(article.ident * n) % 900 + 100}"]
            for n in range(1, 6)
        ]
        return assets.xls(article.title, ["序号", "项目名称", "地区", "金额（万元）"], rows)
    return assets.doc(article.title, list(article.paragraphs[:4]))


# -- placements ------------------------------------------------------------------------------


def _page_path(site: _Site, selector: str) -> str:
    parts = selector.split(":")
    if parts[0] == "home":
        return "/"
    if parts[0] == "list":
        number = int(parts[2]) if len(parts) > 2 else 1
        return site.columns[parts[1]].list_paths[number - 1]
    if parts[0] == "article":
        return site.columns[parts[1]].articles[int(parts[2])].path
    if parts[0] == "static":
        return site.statics[int(parts[1])].path
    raise ValueError(f"unknown page selector {selector!r}")


def _expand(text: str, sites: dict[str, _Site]) -> str:
    """Fill "{site:moved}" and "{site:article:column:i}" placeholders with absolute URLs."""
    if not (text.startswith("{") and text.endswith("}")):
        return text
    site_id, _, rest = text[1:-1].partition(":")
    site = sites[site_id]
    if rest == "moved":
        return _abs(site.spec, _moved_path(site))
    return _abs(site.spec, _page_path(site, rest))


def _moved_path(site: _Site) -> str:
    """An article's old address (.htm), which now answers 301 to the .html page."""
    return site.columns["news"].articles[1].path[: -len(".html")] + ".htm"


def _place(sites: dict[str, _Site], placement: Placement) -> tuple[str, str]:
    """Put one link on its page; returns (page URL, the link's absolute target)."""
    site = sites[placement.site]
    path = _page_path(site, placement.page)
    href = _expand(placement.href, sites)
    extras = site.extras_for(path)
    if placement.kind == "a":
        extras.a.append(_Link(href, placement.text))
    elif placement.kind == "attachment":
        extras.attachment.append(_Link(href, placement.text))
    elif placement.kind == "img":
        extras.img.append(href)
    elif placement.kind == "css":
        extras.css.append(href)
    elif placement.kind == "js":
        extras.js.append(href)
    else:
        raise ValueError(f"unknown link kind {placement.kind!r}")
    page_url = _abs(site.spec, path)
    return page_url, urljoin(page_url, href)


# -- rendering -------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _format_date(spec: SiteSpec, when: datetime) -> str:
    if spec.list_date == "cn":
        return f"{when.year}年{when.month}月{when.day}日"
    if spec.list_date == "bracket":
        return f"[{when:%m-%d}]"
    if spec.list_date == "slash":
        return f"{when:%Y/%m/%d %H:%M}"
    return f"{when:%Y-%m-%d}"


def _list_date(spec: SiteSpec, column: _Column, when: datetime) -> str:
    if not column.dated:
        return ""
    if column.minute_dates:
        return f"{when:%Y-%m-%d %H:%M}"
    return _format_date(spec, when)


def _home_title(spec: SiteSpec) -> str:
    if spec.style == "trs" and spec.kind == "portal":
        return f"{spec.shown_name}门户网站"
    return spec.shown_name


def _page_title(spec: SiteSpec, title: str) -> str:
    separator = {"trs": "_", "hanweb": " - ", "simple": "-"}[spec.style]
    return f"{title}{separator}{_home_title(spec)}"


def _site_metas(spec: SiteSpec) -> list[tuple[str, str]]:
    if not _has_site_meta(spec):
        return []
    return [
        ("SiteName", spec.shown_name),
        ("SiteDomain", spec.host),
        ("SiteIDCode", spec.site_code),
    ]


def _article_metas(spec: SiteSpec, article: _Article) -> list[tuple[str, str]]:
    metas = [
        *_site_metas(spec),
        ("ColumnName", article.column_name),
        ("ColumnType", article.column_label),
        ("ArticleTitle", article.title),
        ("PubDate", f"{article.when:%Y-%m-%d %H:%M}"),
        ("ContentSource", article.source),
        ("Keywords", article.column_name),
        ("Description", _description(article)),
    ]
    dropped = {"PubDate"} if not article.meta_time else set()
    dropped |= {"ContentSource"} if not article.meta_source else set()
    return [(name, value) for name, value in metas if name not in dropped]


def _description(article: _Article) -> str:
    """The first real sentence (not a salutation such as "各有关单位：")."""
    for paragraph in article.paragraphs:
        if len(paragraph) > 12 and not paragraph.endswith("："):
            return paragraph[:60]
    return article.title


class _Renderer:
    def __init__(self, sites: dict[str, _Site]) -> None:
        self.sites = sites
        self.env = _environment()

    def _nav(self, site: _Site) -> list[dict[str, str]]:
        return [{"name": c.name, "href": c.href} for c in site.columns.values() if c.level == 1]

    def _friends(self, site: _Site) -> list[_Link]:
        spec = site.spec
        related: list[str] = []
        parent = spec.parent
        while parent is not None:
            related.append(parent)
            parent = SITE_BY_ID[parent].parent
        related += [s.id for s in SITES if s.parent == spec.id]
        ordered = [s for s in SITES if s.id in related]
        return [_Link(s.url, s.name) for s in ordered]

    def _item_href(self, site: _Site, article: _Article, from_path: str) -> str:
        """How the page at `from_path` writes the link to `article` (CMS habits differ)."""
        if site.style == "trs":
            base = from_path.rsplit("/", 1)[0] + "/"
            if article.path.startswith(base):
                return "./" + article.path[len(base) :]
            return article.path
        if site.style == "simple" and from_path == "/":
            return _abs(site.spec, article.path)
        return article.path

    def _common(
        self, site: _Site, path: str, title: str, metas: list[tuple[str, str]]
    ) -> dict[str, Any]:
        spec = site.spec
        extras = site.extras.get(path, _Extras())
        return {
            "site": {"shown_name": spec.shown_name},
            "page": {
                "charset_meta": _CHARSET_META[spec.charset],
                "title": title,
                "metas": metas,
                "css": extras.css,
                "js": extras.js,
            },
            "nav": self._nav(site),
            "footer": footer_for(spec),
            "extras": {"a": extras.a, "img": extras.img, "attachment": extras.attachment},
            "archive": {"label": None, "stamp": None},
        }

    def _emit(
        self, site: _Site, path: str, template: str, kind: str, context: dict[str, Any]
    ) -> None:
        html = self.env.get_template(f"{site.style}/{template}").render(**context)
        site.files[path] = html.encode(site.spec.charset)  # strict: GBK must encode cleanly
        metas = dict(context["page"]["metas"])
        site.pages[path] = (kind, metas)

    def _parent(self, site: _Site, column: _Column) -> dict[str, str] | None:
        if not column.parent:
            return None
        parent = site.columns[column.parent]
        return {"name": parent.name, "href": parent.href}

    def _subnav(self, site: _Site, column: _Column) -> dict[str, Any] | None:
        """The sub-column list of a column page: its own sub-columns, or its siblings."""
        owner = site.columns[column.parent] if column.parent else column
        if not owner.children:
            return None
        links = [
            {"name": site.columns[k].name, "href": site.columns[k].href, "current": k == column.key}
            for k in owner.children
        ]
        return {"heading": owner.name, "links": links}

    def render_site(self, site: _Site) -> None:
        spec = site.spec
        # home
        blocks = []
        for ctype, count in () if site.nav_only else HOME_ITEMS.items():
            column = site.columns[ctype]
            blocks.append(
                {
                    "name": column.name,
                    "href": column.href,
                    "entries": [
                        {
                            "title": a.title,
                            "href": self._item_href(site, a, "/"),
                            "date": _format_date(spec, a.when),
                        }
                        for a in column.articles[:count]
                    ],
                }
            )
        context = self._common(site, "/", _home_title(spec), _site_metas(spec))
        context.update(
            blocks=blocks,
            friends=self._friends(site),
            nav_only=site.nav_only,
            entries=self._nav(site),
        )
        self._emit(site, "/", "home.html", "home", context)
        # column lists
        for column in site.columns.values():
            listed = column.listed()
            per_page = PER_LIST_PAGE if len(column.list_paths) > 1 else len(listed)
            total = len(column.list_paths)
            for number, path in enumerate(column.list_paths, start=1):
                chunk = listed[(number - 1) * per_page : number * per_page]
                metas = [
                    *_site_metas(spec),
                    ("ColumnName", column.name),
                    ("ColumnType", content.COLUMN_TYPE_LABELS.get(column.type, column.name)),
                ]
                context = self._common(site, path, _page_title(spec, column.name), metas)
                context.update(
                    column={"name": column.name, "href": column.href, "ident": f"{column.colid}"},
                    items=[
                        {
                            "title": a.title,
                            "href": self._item_href(site, a, path),
                            "date": _list_date(spec, column, a.when),
                        }
                        for a in chunk
                    ],
                    pager=_pager(number, total) if total > 1 else None,
                    placeholder=column.placeholder,
                    paragraphs=column.paragraphs,
                    parent=self._parent(site, column),
                    subnav=self._subnav(site, column),
                    archive={
                        "label": column.label,
                        "stamp": timeliness.HIDDEN_STAMP if column.hidden_stamp else None,
                    },
                )
                self._emit(site, path, "list.html", "list", context)
        # articles, static and footer pages
        for column in site.columns.values():
            for article in column.listed():
                self._render_article(site, article, column.href)
        for article in site.footer_pages + site.extra_pages:
            self._render_article(site, article, "/")

    def _render_article(self, site: _Site, article: _Article, column_href: str) -> None:
        spec = site.spec
        extras = site.extras.get(article.path, _Extras())
        when = article.when
        view = {
            "title": article.title,
            "source": article.source,
            "paragraphs": article.paragraphs,
            "time_trs": f"{when:%Y-%m-%d %H:%M}",
            "date_iso": f"{when:%Y-%m-%d %H:%M}" if article.minute_time else f"{when:%Y-%m-%d}",
            "time_simple": (
                f"{when:%Y/%m/%d %H:%M}"
                if spec.list_date == "slash"
                else f"{when.year}年{when.month:02d}月{when.day:02d}日 {when:%H:%M}"
            ),
            "images": article.images + extras.img,
            "attachments": article.attachments + extras.attachment,
            "related": article.related + extras.a,
            "xxgk": article.xxgk,
            "show_source": article.show_source,
            "show_time": article.show_time,
        }
        context = self._common(
            site, article.path, _page_title(spec, article.title), _article_metas(spec, article)
        )
        context.update(
            column={"name": article.column_name, "href": column_href},
            article=view,
            archive={"label": article.label, "stamp": None},
        )
        self._emit(site, article.path, "article.html", "article", context)

    def message_page(self, site: _Site, title: str, message: tuple[str, ...]) -> bytes:
        context = self._common(site, "", title, _site_metas(site.spec))
        context.update(message=message)
        html = self.env.get_template(f"{site.style}/message.html").render(**context)
        return html.encode(site.spec.charset)

    def extra_page(self, site: _Site, page: contentpages.ExtraPage) -> None:
        """One of issue 12's pages, in the site's own layout, with every meta tag."""
        spec = site.spec
        metas = [
            *_site_metas(spec),
            ("ColumnName", page.title),
            ("ColumnType", page.title),
            ("ArticleTitle", page.title),
            ("PubDate", "2026-10-20 09:00"),  # outside every 2-week window
            ("ContentSource", spec.org),
        ]
        context = self._common(site, page.path, _page_title(spec, page.title), metas)
        context["page"]["title_text"] = page.title
        html = self.env.get_template("shared/plain.html").render(
            layout=f"{site.style}/base.html", body=page.body, **context)
        site.files[page.path] = html.encode(spec.charset)
        site.pages[page.path] = ("article", dict(metas))

    def render(self, template: str, **context: Any) -> bytes:
        return self.env.get_template(template).render(**context).encode("utf-8")


def _pager(number: int, total: int) -> dict[str, Any]:
    def page_href(n: int) -> str:
        return "./" if n == 1 else f"index_{n - 1}.html"

    links: list[dict[str, str]] = []
    if number > 1:
        links += [
            {"text": "首页", "href": page_href(1)},
            {"text": "上一页", "href": page_href(number - 1)},
        ]
    for n in range(1, total + 1):
        links.append({"text": str(n), "href": "" if n == number else page_href(n)})
    if number < total:
        links += [
            {"text": "下一页", "href": page_href(number + 1)},
            {"text": "尾页", "href": page_href(total)},
        ]
    return {"total": total, "links": links}


# -- the third-party hosts ---------------------------------------------------------------------


def _service_files(renderer: _Renderer) -> dict[str, dict[str, bytes]]:
    def page(title: str, *paragraphs: str) -> bytes:
        return renderer.render(
            "service/page.html", title=title, paragraphs=paragraphs, footer=f"{title}（演示副本）"
        )

    robots = b"User-agent: *\nAllow: /\n"
    red = assets.png(110, 55, (200, 20, 20), stripe=11)
    return {
        "beian.miit.gov.cn": {
            "/": page("ICP/IP地址/域名信息备案管理系统", "工业和信息化部政务服务平台：备案查询。"),
            "/robots.txt": robots,
        },
        "www.beian.gov.cn": {
            "/portal/registerSystemInfo": page(
                "全国互联网安全管理服务平台", "联网备案信息：网站备案信息查询结果。"
            ),
            "/robots.txt": robots,
        },
        "bszs.conac.cn": {
            "/sitename": page("党政机关网站标识", "网站名称、网站标识、主办单位等开办主体信息。"),
            "/robots.txt": robots,
        },
        "dcs.conac.cn": {"/image/red.png": red, "/robots.txt": robots},
        contentpages.AD_HOST: {
            urlsplit(contentpages.AD_SCRIPT).path: contentpages.AD_SCRIPT_BODY,
            "/robots.txt": robots,
        },
        "zfwzgl.www.gov.cn": {
            "/exposure/jiucuo.html": page("我为政府网站找错", "请填写您发现的问题和联系方式。"),
            "/exposure/jiucuo.js": assets.JIUCUO_JS.encode("utf-8"),
            "/exposure/images/jiucuo.png": assets.png(110, 50, (220, 60, 40)),
            "/robots.txt": robots,
        },
    }


# -- behaviours ------------------------------------------------------------------------------


def _behaviours(
    sites: dict[str, _Site], renderer: _Renderer
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The behaviours table and the bodies it refers to (paths under errors/)."""
    bodies: dict[str, bytes] = {}
    hosts: dict[str, Any] = {}
    error500 = renderer.render("shared/error500.html")
    for site in sites.values():
        spec = site.spec
        host = spec.host
        paths: dict[str, Any] = {}
        not_found = renderer.message_page(site, f"页面不存在-{spec.shown_name}", _NOT_FOUND_TEXT)
        bodies[f"{host}/404.html"] = not_found
        if spec.unknown == "soft404-text":
            unknown = {"status": 200, "body": f"{host}/soft404.html"}
            bodies[f"{host}/soft404.html"] = not_found
        elif spec.unknown == "generic":
            unknown = {"status": 200, "body": f"{host}/generic.html"}
            bodies[f"{host}/generic.html"] = renderer.message_page(
                site,
                spec.shown_name,
                (
                    f"欢迎访问{spec.shown_name}网站。",
                    "本站提供天气预报、气象预警、气象科普等信息服务，请通过上方导航选择栏目浏览。",
                ),
            )
        else:
            unknown = {"status": 404, "body": f"{host}/404.html"}
        hosts[host] = {"site": spec.id, "charset": spec.charset, "unknown": unknown, "paths": paths}
        if spec.tls:  # served over HTTPS too (govwatch.demo.tls)
            hosts[host]["tls"] = spec.tls
    # Planted behaviours (everything else is a file or an unknown path).
    govcn, hunan, hnfgw = sites["govcn"].spec, sites["hunan"].spec, sites["hnfgw"].spec
    hosts[govcn.host]["paths"].update(
        {
            "/fuwu/bmfw/index.htm": {
                "type": "redirect",
                "status": 302,
                "location": _abs(govcn, "/fuwu/bmfw/index.html"),
            },
            "/fuwu/bmfw/index.html": {
                "type": "redirect",
                "status": 302,
                "location": _abs(govcn, "/fuwu/bmfw/index.htm"),
            },
        }
    )
    moved = _moved_path(sites["hunan"])
    hosts[hunan.host]["paths"].update(
        {
            moved: {
                "type": "redirect",
                "status": 301,
                "location": _abs(hunan, moved[: -len(".htm")] + ".html"),
            },
            urlsplit(RATE_LIMITED_URL).path: {"type": "rate-limit-once", "retry_after": 1},
        }
    )
    hosts[hnfgw.host]["paths"].update(
        {
            "/xxgk/ghjh/2020/": {
                "type": "redirect",
                "status": 301,
                "location": _abs(hnfgw, "/xxgk/ghjh/2020/index.html"),
            },
        }
    )
    changsha = sites["changsha"].spec
    bodies[f"{changsha.host}/500.html"] = error500
    hosts[changsha.host]["paths"].update(
        {
            "/hdjl/zxft/index.jsp": {
                "type": "status",
                "status": 500,
                "body": f"{changsha.host}/500.html",
            },
            urlsplit(HEAD405_URL).path: {"type": "head-status", "status": 405},
        }
    )
    liuyang = sites["liuyang"].spec
    bodies[f"{liuyang.host}/403.html"] = renderer.render(
        "shared/forbidden.html", event="7f3a9c21e05b"
    )
    hosts[liuyang.host]["paths"].update(
        {
            "/wsbs/bjcx.jsp": {"type": "hang", "seconds": HANG_SECONDS},
            urlsplit(HEAD403_URL).path: {
                "type": "head-status",
                "status": 403,
                "body": f"{liuyang.host}/403.html",
            },
        }
    )
    for host in (*SERVICE_HOSTS, *spam.SPAM_HOSTS):
        hosts[host] = {
            "site": None,
            "charset": "utf-8",
            "unknown": {"status": 404, "body": "service/404.html"},
            "paths": {},
        }
    bodies["service/404.html"] = b"<html><body><h1>404 Not Found</h1></body></html>\n"
    table = {
        "version": 1,
        "last_modified": LAST_MODIFIED,
        "as_of": AS_OF,  # the world's instant: certificate validity is set around it
        "refused_hosts": [REFUSED_HOST],
        "hosts": hosts,
    }
    return table, bodies


# -- expected findings ---------------------------------------------------------------------------


def _identity_findings(spec: SiteSpec) -> list[str]:
    """The identity/domain checks that must fire for `spec`, judged from what its footer,
    header and title display (not from the fault label)."""
    footer = footer_for(spec)
    meta_code = spec.site_code if _has_site_meta(spec) else None
    checks = []
    if footer.icp != spec.icp:
        checks.append("identity.icp-missing")
    if footer.police is None or footer.recordcode != footer.police:
        checks.append("identity.police-missing")
    if footer.site_code is None:
        checks.append("identity.site-code-missing")
    elif footer.site_code != spec.site_code or (meta_code and meta_code != footer.site_code):
        checks.append("identity.site-code-mismatch")
    if footer.conac_id is None:
        checks.append("identity.conac-missing")
    if footer.jiucuo_code != spec.site_code:
        checks.append("identity.jiucuo-missing")
    header = f"{spec.shown_name} {_home_title(spec)}"
    if spec.name not in header:
        checks.append("identity.name-missing")
    if not spec.host.endswith(".gov.cn"):
        checks.append("domain.not-gov")
    return checks


_REQUIRED_TAGS = {
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


def _meta_findings(site: _Site) -> list[str]:
    """Where meta.page-tags-missing reports (URLs; each finding has url = page).

    As the catalogue measures it: site tags missing on the home page are a template fault,
    reported once at the home page and not again per page; any other gap (a column or
    article tag, or a site tag the home page has) is reported at the page lacking it.
    """
    _, home_metas = site.pages["/"]
    site_wide = {tag for tag in _REQUIRED_TAGS["home"] if not home_metas.get(tag)}
    urls = [site.spec.url] if site_wide else []
    for path, (kind, metas) in sorted(site.pages.items()):
        if path == "/" or path in site.orphans:
            continue
        if any(not metas.get(t) and t not in site_wide for t in _REQUIRED_TAGS[kind]):
            urls.append(_abs(site.spec, path))
    return urls


def _column_type(column: _Column) -> str:
    return column.registry_type or column.type


def _timeliness_facts(
    sites: dict[str, _Site],
) -> tuple[
    list[oracle.ColumnFacts],
    list[oracle.HomeFacts],
    list[oracle.ArchivedFacts],
    list[oracle.ArticleFacts],
    list[oracle.RepostFacts],
]:
    """What was rendered, as plain facts for the oracle (from the objects the templates were
    filled from)."""
    columns, homes, archived, articles, reposts = [], [], [], [], []
    for site in sites.values():
        spec = site.spec
        for column in site.columns.values():
            listed = column.listed()
            columns.append(
                oracle.ColumnFacts(
                    site=spec.id,
                    url=_abs(spec, column.href),
                    name=column.name,
                    type=_column_type(column),
                    level=column.level,
                    archived=column.archived,
                    newest=max((a.when for a in listed), default=None),
                    single_page=bool(column.paragraphs),
                )
            )
            if column.archived:
                for path in column.list_paths:
                    archived.append(oracle.ArchivedFacts(spec.id, _abs(spec, path), column.label))
                for article in listed:
                    archived.append(
                        oracle.ArchivedFacts(spec.id, _abs(spec, article.path), article.label)
                    )
        home_dates = [
            a.when
            for ctype, count in (() if site.nav_only else HOME_ITEMS.items())
            for a in site.columns[ctype].listed()[:count]
        ]
        second_level = [
            a.when
            for c in site.columns.values()
            if c.level == 1 and c.dated
            for a in c.listed()[: PER_LIST_PAGE if len(c.list_paths) > 1 else None]
        ]
        homes.append(
            oracle.HomeFacts(
                spec.id, spec.url, site.nav_only, tuple(home_dates), tuple(second_level)
            )
        )
        pages = [a for c in site.columns.values() for a in c.listed()]
        pages += [a for a in site.footer_pages + site.extra_pages if a.path not in site.orphans]
        for article in pages:
            if article.meta_source and not article.show_source:
                raise AssertionError("a 来源 given only by the meta tag is not planted")
            articles.append(
                oracle.ArticleFacts(
                    spec.id,
                    _abs(spec, article.path),
                    source=article.show_source,
                    pubdate=article.show_time or article.meta_time,
                )
            )
    for site_id, column_key in timeliness.REPOST_SITES.items():
        site = sites[site_id]
        page = site.spec.url
        if column_key is not None:
            page = _abs(site.spec, site.columns[column_key].href)
        for source in timeliness.SOURCES:
            portal = sites[source.portal]
            repost = site.reposts.get(source.key)
            counts = repost is not None and column_key in (None, repost.column_key)
            reposts.append(
                oracle.RepostFacts(
                    site=site_id,
                    page=page,
                    source_url=_abs(portal.spec, portal.sources[source.key].path),
                    source_published=source.published,
                    reposted=repost.when if repost is not None and counts else None,
                )
            )
    return columns, homes, archived, articles, reposts


def _spam_pages(site: _Site) -> list[str]:
    """The site's listed articles in a stable order: where the spam plants go."""
    paths = {a.path for c in site.columns.values() if not c.archived for a in c.listed()}
    return sorted(paths)


def _plant_spam(sites: dict[str, _Site]) -> list[tuple[str, str, str, str]]:
    """Write the spam and hijack plants into their pages; the findings they must raise."""
    found: list[tuple[str, str, str, str]] = []
    for sheet_site, rule in spam.SHEET_PLANTS:
        sheets = sites[sheet_site].files
        sheets["/css/style.css"] += ("\n" + rule + "\n").encode("utf-8")
    for plant in spam.PLANTS:
        site = sites[plant.site]
        path = _spam_pages(site)[plant.article]
        charset = site.spec.charset
        html = site.files[path].decode(charset)
        edited = plant.edit(html).replace("{hunan}", sites["hunan"].spec.url)
        site.files[path] = edited.encode(charset)
        url = _abs(site.spec, path)
        found.extend((plant.site, check, url, url) for check in plant.findings)
    return found


def _expected(
    sites: dict[str, _Site],
    placed: list[tuple[str, str, str, str]],
    healthy: list[str],
    extra: tuple[contentpages.ExtraPage, ...] = (),
    planted: tuple[tuple[str, str, str, str], ...] = (),
) -> dict[str, Any]:
    findings: set[tuple[str, str, str, str]] = set(planted)
    severities: dict[tuple[str, str, str, str], str] = {}
    for page in extra:
        url = _abs(sites[page.site].spec, page.path)
        for check, severity in page.findings:
            findings.add((page.site, check, url, url))
            if check == "service.guide-incomplete":  # veto or deduct by the site's count
                severities[(page.site, check, url, url)] = severity
    home_of = {site_id: site.spec.url for site_id, site in sites.items()}
    findings.update(contentpages.channel_findings(home_of))
    for site_id, page_url, target, _reason in placed:
        home = sites[site_id].spec.url
        check = "links.dead-home" if page_url == home else "links.dead"
        findings.add((site_id, check, target, page_url))
    for site in sites.values():
        home = site.spec.url
        for check in _identity_findings(site.spec):
            findings.add((site.spec.id, check, home, home))
        for url in _meta_findings(site):
            findings.add((site.spec.id, "meta.page-tags-missing", url, url))
    facts = _timeliness_facts(sites)
    verdict = oracle.judge(*facts)
    findings |= verdict.findings
    severities.update(verdict.severities)
    for site in sites.values():
        if oracle.https_missing(site.spec.tls):
            findings.add((site.spec.id, "https.missing", site.spec.url, site.spec.url))
    text_findings = _text_findings(sites)
    findings |= set(text_findings)
    severities.update({key: sev for key, sev in text_findings.items() if sev})
    pages = {
        site.spec.id: sorted(_abs(site.spec, p) for p in site.pages if p not in site.orphans)
        for site in sites.values()
    }
    columns, _, _, _, reposts = facts
    return {
        "as_of": AS_OF,
        "checks": list(CHECKS),
        "checks_by_issue": {"2": list(CHECKS_ISSUE2), "3": list(CHECKS_ISSUE3),
                            "12": list(CHECKS_ISSUE12)},
        "findings": [
            {"site": s, "check": c, "url": u, "page": p} for s, c, u, p in sorted(findings)
        ],
        "severities": {"|".join(k): v for k, v in sorted(severities.items())},
        "dead_targets": {
            target: reason for _, _, target, reason in sorted(placed, key=lambda x: x[2])
        },
        "dead_reasons": dict(DEAD_REASONS),
        "healthy_urls": sorted(set(healthy)),
        "pages": pages,
        # What the timeliness checks should see, for debugging discovery and for bench/.
        "columns": [
            {
                "site": c.site,
                "url": c.url,
                "name": c.name,
                "type": c.type,
                "level": c.level,
                "archived": c.archived,
                "blank": c.newest is None and not c.single_page,
                "single_page": c.single_page,
                "newest": c.newest.isoformat(timespec="minutes") if c.newest else None,
                "stale": oracle.is_stale(c),
            }
            for c in sorted(columns, key=lambda c: (c.site, c.url))
        ],
        "reposts": [
            {
                "site": r.site,
                "page": r.page,
                "source_url": r.source_url,
                "source_published": r.source_published.isoformat(timespec="minutes"),
                "reposted": r.reposted.isoformat(timespec="minutes") if r.reposted else None,
            }
            for r in sorted(reposts, key=lambda r: (r.site, r.source_url))
        ],
    }


# -- the registry ---------------------------------------------------------------------------------


def _registry_timeliness(site: _Site) -> dict[str, Any]:
    """The issue-3 registry fields of a site (only those it uses)."""
    spec = site.spec
    fields: dict[str, Any] = {}
    if spec.id in timeliness.REPOST_SITES:
        fields["repost_from"] = list(timeliness.REPOST_FROM)
    if spec.id in timeliness.IMPORTANT_COLUMNS:
        fields["important_columns"] = [timeliness.IMPORTANT_COLUMNS[spec.id][1]]
    repost_column = timeliness.REPOST_SITES.get(spec.id)
    if repost_column is not None:
        fields["repost_columns"] = [site.columns[repost_column].href]
    typed = [c for c in site.columns.values() if c.registry_type]
    if typed:
        fields["columns"] = [
            {"name": c.name, "path": c.href, "type": c.registry_type} for c in typed
        ]
    if spec.id == timeliness.ARCHIVE_SITE:
        fields["archive_paths"] = [timeliness.ARCHIVE_PATH]
    return fields


def _registry(sites: dict[str, _Site]) -> bytes:
    entries = []
    for site in sites.values():
        spec = site.spec
        entries.append(
            {
                "id": spec.id,
                "name": spec.name,
                "url": spec.url,
                "level": spec.level,
                "kind": spec.kind,
                "parent": spec.parent,
                "site_code": spec.site_code,
                "icp": spec.icp,
                **_registry_timeliness(site),
                "crawl": dict(CRAWL),
            }
        )
    for entry in entries:
        if entry["parent"] is None:
            del entry["parent"]
    header = (
        "# The demo world's site registry, generated by govwatch.demo.world (do not edit).\n"
        "# Served over loopback by govwatch.demo.server; see expected.json for what the\n"
        "# checks must find here.\n"
    )
    body = yaml.safe_dump(
        {"sites": entries}, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )
    return (header + body).encode("utf-8")


# -- entry point ----------------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _file_name(url_path: str) -> str:
    """Where a URL path lives under www/<host>/ ("/" and "/dir/" are index.html)."""
    name = url_path.lstrip("/")
    if not name or name.endswith("/"):
        name += "index.html"
    return name


def build_world(root: Path) -> World:
    """Write the demo world under `root` (replacing a previous one there); same bytes always."""
    root = Path(root)
    sites: dict[str, _Site] = {}
    for spec in SITES:
        rng = random.Random(_site_seed(spec.id))
        site = _Site(spec, rng, content.Writer(spec, rng))
        _make_columns(site)
        _make_articles(site)
        _make_static_pages(site)
        _make_extra_pages(site)
        _assets(site)
        _make_timeliness(site)
        _make_single_pages(site)
        _make_texts(site)
        sites[spec.id] = site
    # The near-miss .doc whose HEAD is refused is a real file.
    changsha = sites["changsha"]
    changsha.files[urlsplit(HEAD405_URL).path] = assets.doc(
        "长沙市2026年重点建设项目计划表", ["本表列示2026年度市级重点建设项目。"]
    )

    placed: list[tuple[str, str, str, str]] = []
    for plant in PLANTS:
        for placement in plant.where:
            page_url, target = _place(sites, placement)
            if target != plant.target:
                raise AssertionError(f"{placement} resolves to {target}, not {plant.target}")
            placed.append((placement.site, page_url, target, plant.reason))
    healthy: list[str] = []
    for near in NEAR_MISSES:
        healthy.append(_expand(near.target, sites))
        for placement in near.where:
            _place(sites, placement)

    extra = contentpages.pages(
        {site_id: [(a.title, a.path) for a in site.columns["news"].articles]
         for site_id, site in sites.items()},
        {site_id: site.spec.org for site_id, site in sites.items()},
    )
    for page in extra:
        site = sites[page.site]
        site.extras_for(_page_path(site, page.link_from)).a.append(
            _Link(page.path, page.link_text))

    renderer = _Renderer(sites)
    for site in sites.values():
        renderer.render_site(site)
    for page in extra:
        renderer.extra_page(sites[page.site], page)
    planted = _plant_spam(sites)
    table, bodies = _behaviours(sites, renderer)
    expected = _expected(sites, placed, healthy, extra, tuple(planted))

    for name in ("www", "errors"):
        shutil.rmtree(root / name, ignore_errors=True)
    for site in sites.values():
        for url_path, data in site.files.items():
            _write(root / "www" / site.spec.host / _file_name(url_path), data)
    for host, files in [*_service_files(renderer).items(), *spam.host_files().items()]:
        for url_path, data in files.items():
            _write(root / "www" / host / _file_name(url_path), data)
    for name, data in bodies.items():
        _write(root / "errors" / name, data)
    _write(root / "behaviours.json", _json(table))
    _write(root / "expected.json", _json(expected))
    _write(root / "sites.yaml", _registry(sites))
    hosts = tuple(sorted(table["hosts"]))
    if DNS_FAIL_HOST in hosts or REFUSED_HOST in hosts:
        raise AssertionError("unreachable hosts must not be served")
    return World(
        root=root,
        registry_path=root / "sites.yaml",
        expected_path=root / "expected.json",
        hosts=hosts,
        refused_hosts=(REFUSED_HOST,),
    )


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
