"""The demo world: a deterministic cluster of Chinese government websites, written to disk.

`build_world(root)` writes
- `www/<host>/<path>`: every static file each host serves (HTML in three CMS styles, CSS, JS,
  PNG images, PDF/Word/Excel attachments, robots.txt);
- `errors/<host>/...`: bodies for answers that are not files (404 pages, the soft-404 pages,
  the 500 page, the bot filter's 403);
- `behaviours.json`: what `govwatch.demo.server` does besides serving files, per host and
  path (redirects, errors, the hang, 429-once, HEAD refusals, how unknown paths answer);
- `sites.yaml`: the registry of the ten sites (contract format, interfaces.md section 2);
- `expected.json`: the findings the link, identity, domain and meta checks must produce,
  derived from what was planted (sites.py), plus the dead targets and healthy near-misses.

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

from govwatch.demo import assets, content
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
CHECKS = (
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


@dataclass(slots=True)
class _Column:
    type: str
    name: str
    slug: str
    colid: int
    href: str  # canonical URL path of the first list page
    list_paths: list[str] = field(default_factory=list)
    articles: list[_Article] = field(default_factory=list)  # newest first


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

    @property
    def style(self) -> str:
        return self.spec.style

    def extras_for(self, path: str) -> _Extras:
        return self.extras.setdefault(path, _Extras())


def _site_seed(site_id: str) -> int:
    return SEED ^ zlib.crc32(site_id.encode("utf-8"))


def _abs(spec: SiteSpec, path: str) -> str:
    return f"http://{spec.host}{path}"


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
        site.columns[ctype] = _Column(ctype, names[ctype], slug, spec.col_base + i, href)


def _make_articles(site: _Site) -> None:
    spec, rng, writer = site.spec, site.rng, site.writer
    end = datetime(2026, 11, 21)
    titles: set[str] = set()
    for ctype, count in ARTICLES_PER_COLUMN.items():
        column = site.columns[ctype]
        newest, (low, high) = _COLUMN_DATES[ctype]
        day = end - timedelta(days=newest + rng.randint(0, 1))
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
    column = site.columns[article.column]
    if site.style == "trs":
        return f"/{column.slug}/{when:%Y%m}/t{when:%Y%m%d}_{ident}.html"
    if site.style == "hanweb":
        return f"/art/{when.year}/{when.month}/{when.day}/art_{column.colid}_{ident}.html"
    return f"/content/{when:%Y-%m}/{when:%d}/content_{ident}.html"


def _make_static_pages(site: _Site) -> None:
    spec, writer = site.spec, site.writer
    column = site.columns["static"]
    column.list_paths = [column.href]
    for i, title in enumerate(content.STATIC_TITLES):
        when = datetime(2026, 3, 16 + i, 9, 30)
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
            article.path = f"/art/2026/3/{16 + i}/art_{column.colid}_{article.ident}.html"
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
    return [
        *_site_metas(spec),
        ("ColumnName", article.column_name),
        ("ColumnType", article.column_label),
        ("ArticleTitle", article.title),
        ("PubDate", f"{article.when:%Y-%m-%d %H:%M}"),
        ("ContentSource", article.source),
        ("Keywords", article.column_name),
        ("Description", _description(article)),
    ]


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
        return [{"name": c.name, "href": c.href} for c in site.columns.values()]

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
        }

    def _emit(
        self, site: _Site, path: str, template: str, kind: str, context: dict[str, Any]
    ) -> None:
        html = self.env.get_template(f"{site.style}/{template}").render(**context)
        site.files[path] = html.encode(site.spec.charset)  # strict: GBK must encode cleanly
        metas = dict(context["page"]["metas"])
        site.pages[path] = (kind, metas)

    def render_site(self, site: _Site) -> None:
        spec = site.spec
        # home
        blocks = []
        for ctype, count in HOME_ITEMS.items():
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
        context.update(blocks=blocks, friends=self._friends(site))
        self._emit(site, "/", "home.html", "home", context)
        # column lists
        for column in site.columns.values():
            per_page = PER_LIST_PAGE if len(column.list_paths) > 1 else len(column.articles)
            total = len(column.list_paths)
            for number, path in enumerate(column.list_paths, start=1):
                chunk = column.articles[(number - 1) * per_page : number * per_page]
                metas = [
                    *_site_metas(spec),
                    ("ColumnName", column.name),
                    ("ColumnType", content.COLUMN_TYPE_LABELS[column.type]),
                ]
                context = self._common(site, path, _page_title(spec, column.name), metas)
                context.update(
                    column={"name": column.name, "href": column.href, "ident": f"{column.colid}"},
                    items=[
                        {
                            "title": a.title,
                            "href": self._item_href(site, a, path),
                            "date": _format_date(spec, a.when),
                        }
                        for a in chunk
                    ],
                    pager=_pager(number, total) if total > 1 else None,
                )
                self._emit(site, path, "list.html", "list", context)
        # articles, static and footer pages
        for column in site.columns.values():
            for article in column.articles:
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
            "date_iso": f"{when:%Y-%m-%d}",
            "time_simple": (
                f"{when:%Y/%m/%d %H:%M}"
                if spec.list_date == "slash"
                else f"{when.year}年{when.month:02d}月{when.day:02d}日 {when:%H:%M}"
            ),
            "images": article.images + extras.img,
            "attachments": article.attachments + extras.attachment,
            "related": article.related + extras.a,
            "xxgk": article.xxgk,
        }
        context = self._common(
            site, article.path, _page_title(spec, article.title), _article_metas(spec, article)
        )
        context.update(column={"name": article.column_name, "href": column_href}, article=view)
        self._emit(site, article.path, "article.html", "article", context)

    def message_page(self, site: _Site, title: str, message: tuple[str, ...]) -> bytes:
        context = self._common(site, "", title, _site_metas(site.spec))
        context.update(message=message)
        html = self.env.get_template(f"{site.style}/message.html").render(**context)
        return html.encode(site.spec.charset)

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
    for host in SERVICE_HOSTS:
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


def _meta_gaps(site: _Site) -> list[str]:
    """Pages lacking a tag their kind needs (every page of the template-fault site)."""
    gaps = []
    for path, (kind, metas) in sorted(site.pages.items()):
        if path in site.orphans:
            continue
        if any(not metas.get(tag) for tag in _REQUIRED_TAGS[kind]):
            gaps.append(path)
    return gaps


def _expected(
    sites: dict[str, _Site], placed: list[tuple[str, str, str, str]], healthy: list[str]
) -> dict[str, Any]:
    findings: set[tuple[str, str, str, str]] = set()
    for site_id, page_url, target, _reason in placed:
        home = sites[site_id].spec.url
        check = "links.dead-home" if page_url == home else "links.dead"
        findings.add((site_id, check, target, page_url))
    for site in sites.values():
        home = site.spec.url
        for check in _identity_findings(site.spec):
            findings.add((site.spec.id, check, home, home))
        if _meta_gaps(site):
            findings.add((site.spec.id, "meta.page-tags-missing", home, home))
    pages = {
        site.spec.id: sorted(_abs(site.spec, p) for p in site.pages if p not in site.orphans)
        for site in sites.values()
    }
    return {
        "as_of": AS_OF,
        "checks": list(CHECKS),
        "findings": [
            {"site": s, "check": c, "url": u, "page": p} for s, c, u, p in sorted(findings)
        ],
        "dead_targets": {
            target: reason for _, _, target, reason in sorted(placed, key=lambda x: x[2])
        },
        "dead_reasons": dict(DEAD_REASONS),
        "healthy_urls": sorted(set(healthy)),
        "pages": pages,
    }


# -- the registry ---------------------------------------------------------------------------------


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

    renderer = _Renderer(sites)
    for site in sites.values():
        renderer.render_site(site)
    table, bodies = _behaviours(sites, renderer)
    expected = _expected(sites, placed, healthy)

    for name in ("www", "errors"):
        shutil.rmtree(root / name, ignore_errors=True)
    for site in sites.values():
        for url_path, data in site.files.items():
            _write(root / "www" / site.spec.host / _file_name(url_path), data)
    for host, files in _service_files(renderer).items():
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
