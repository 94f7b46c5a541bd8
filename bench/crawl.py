#!/usr/bin/env python3
"""Crawl benchmark: govwatch against LinkChecker and linkinator on one generated world.

It PRINTS figures; it is not a test (nothing here asserts a timing). See bench/README.md.

Why it is built this way:
- The world is generated (deterministically) rather than downloaded: the machine reaches no
  real site, and the same world has to be handed to three tools in one run.
- Each site gets its own loopback address (127.0.1.K) and nginx virtual host, so every tool
  sees N distinct hosts, as on a real cluster of government sites, and per-host politeness
  logic is exercised. 127.0.0.0/8 all routes to `lo` on Linux: no /etc/hosts editing.
- nginx (not a Python server) serves it, and wrk measures nginx's own ceiling on the same
  pages, so the crawl figures can be read against what the machine could serve at most.
- Every URL in the world is on loopback (the ICP/公安 footer links point to a stand-in host
  127.0.2.1), so no tool ever tries to leave the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import importlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

WORLD_VERSION = 2  # bump when the generator changes, so a reused --out world is rebuilt
DEFAULT_TIMEOUT = 1800.0
SAMPLE_INTERVAL = 0.2
MAX_DEPTH = 8
TARGET_LC_RATIO = 3.0
TARGET_LK_RATIO = 1.0  # issue 10: >= 1.0x (aim for 1.2x)
TARGET_PEAK_MIB = 1024.0
TARGET_PAGES = 50_000
BEIAN_ADDR = "127.0.2.1"  # stand-in for beian.miit.gov.cn / beian.gov.cn (kept on loopback)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------------------

CITIES = (
    "长沙", "株洲", "湘潭", "衡阳", "邵阳", "岳阳", "常德", "张家界", "益阳", "郴州",
    "永州", "怀化", "娄底", "吉首",
)
DEPTS = (
    "人民政府", "发展和改革委员会", "教育局", "财政局", "自然资源和规划局", "生态环境局",
    "住房和城乡建设局", "交通运输局", "卫生健康委员会", "市场监督管理局",
)
# (path code, column name, column type as in interfaces.md)
COLUMNS = (
    ("zwdt", "政务动态", "news"),
    ("tzgg", "通知公告", "notice"),
    ("zcwj", "政策文件", "policy"),
    ("rsxx", "人事信息", "personnel"),
    ("ghjh", "规划计划", "plan"),
    ("zwgk", "政务公开", "news"),
    ("bsfw", "办事服务", "notice"),
    ("hdjl", "互动交流", "news"),
)
STATIC_PAGES = (
    ("wzdt", "网站地图"),
    ("lxwm", "联系我们"),
    ("gywm", "关于本网"),
    ("wzsm", "网站声明"),
)
PER_LIST = 20  # items on one list page
N_IMAGES = 30  # shared per site
N_PDFS = 20  # shared per site, the last two are missing (dead attachments)
N_DEAD_PDFS = 2
N_DEAD_PAGES = 10  # /<col>/missing_<i>.html, linked from some articles, never written
N_CROSS = 5  # links to other sites' home pages on every page

SUBJECTS = (
    "市委常委会", "市政府常务会议", "全市安全生产工作会议", "优化营商环境推进会",
    "乡村振兴工作现场会",
    "防汛抗旱工作视频调度会", "生态环境保护督察整改推进会", "重点项目建设观摩活动",
    "政务服务“一件事一次办”改革", "城乡居民医疗保险参保工作", "高标准农田建设", "老旧小区改造",
)
VERBS = (
    "召开", "部署推进", "专题研究", "督导检查", "深入调研", "印发实施", "公开征求意见", "组织开展",
)
PHRASES = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大和二十届历次全会精神",
    "会议强调，要坚持稳中求进工作总基调，完整准确全面贯彻新发展理念",
    "各地各部门要压紧压实责任，细化工作措施，确保各项任务落地见效",
    "要聚焦群众急难愁盼问题，持续提升政务服务标准化、规范化、便利化水平",
    "会议听取了有关单位工作情况汇报，并对下一阶段重点工作作出安排",
    "要统筹发展和安全，守牢安全生产底线，切实保障人民群众生命财产安全",
    "要强化要素保障，加快项目建设进度，推动经济运行持续向好",
    "要深化“放管服”改革，进一步压缩办理时限，减少申报材料",
    "各级各部门要加强协调配合，形成工作合力，确保按时保质完成目标任务",
    "要严格落实政府信息公开各项规定，及时准确发布权威信息，回应社会关切",
    "会议指出，今年以来全市上下攻坚克难、真抓实干，各项工作取得积极成效",
    "要持续加强作风建设，驰而不息纠治“四风”，为高质量发展提供坚强保障",
    "本办法自印发之日起施行，由市人民政府办公室负责解释",
    "请各县市区人民政府、市直有关单位结合实际，认真贯彻执行",
    "对工作中发现的问题，要建立台账、限期整改、对账销号",
    "要加大宣传引导力度，营造全社会共同参与的良好氛围",
)


@dataclass(frozen=True, slots=True)
class Site:
    index: int  # K, 1-based
    id: str
    name: str
    addr: str  # 127.0.1.K
    site_code: str
    icp: str
    gongan: str
    level: str
    kind: str

    def url(self, port: int) -> str:
        return f"http://{self.addr}:{port}/"


@dataclass(frozen=True, slots=True)
class Article:
    col: int
    n: int  # index within its column, 0 = newest
    path: str
    title: str
    date: dt.datetime


@dataclass(slots=True)
class WorldStats:
    html_pages: int = 0
    html_bytes: int = 0
    asset_files: int = 0
    min_page: int = 1 << 30
    max_page: int = 0
    max_depth: int = 0


@dataclass(frozen=True, slots=True)
class World:
    root: Path  # <root>/sites/sK is site K's document root
    port: int
    sites: tuple[Site, ...]
    pages_per_site: int
    html_pages: int
    html_bytes: int
    max_depth: int
    sample_paths: tuple[str, ...]  # of site 1, for wrk

    @property
    def beian_url(self) -> str:
        return f"http://{BEIAN_ADDR}:{self.port}/"


def make_sites(n: int) -> tuple[Site, ...]:
    sites = []
    for k in range(1, n + 1):
        city = CITIES[(k - 1) % len(CITIES)]
        dept_i = ((k - 1) // len(CITIES)) % len(DEPTS)
        dept = DEPTS[dept_i]
        rnd = (k - 1) // (len(CITIES) * len(DEPTS))
        name = f"{city}市{dept}" + (f"（{rnd + 1}）" if rnd else "")
        sites.append(
            Site(
                index=k,
                id=f"bench-s{k:03d}",
                name=name,
                addr=f"127.0.1.{k}",
                site_code=f"43{k:03d}{dept_i:02d}000",
                icp=f"湘ICP备{(10000000 + k * 7919) % 100000000:08d}号",
                gongan=f"湘公网安备430{k:03d}02000{k:03d}号",
                level="city" if dept_i == 0 else "department",
                kind="portal" if dept_i == 0 else "department",
            )
        )
    return tuple(sites)


def plan_counts(pages: int) -> tuple[int, int]:
    """Return (articles, extra static pages) so that the site has exactly `pages` HTML pages.

    A site is: home + the static pages + list pages (PER_LIST items each) + articles.
    """
    fixed = 1 + len(STATIC_PAGES)
    if pages < fixed + len(COLUMNS) * 2:
        raise SystemExit(f"--pages-per-site must be at least {fixed + len(COLUMNS) * 2}")
    best = 0
    for a in range(pages, 0, -1):
        if fixed + a + list_pages_total(a) <= pages:
            best = a
            break
    return best, pages - (fixed + best + list_pages_total(best))


def column_sizes(articles: int) -> list[int]:
    base, extra = divmod(articles, len(COLUMNS))
    return [base + (1 if i < extra else 0) for i in range(len(COLUMNS))]


def list_pages_total(articles: int) -> int:
    return sum(max(1, -(-s // PER_LIST)) for s in column_sizes(articles))


def list_path(col: int, i: int) -> str:
    code = COLUMNS[col][0]
    return f"/{code}/" if i == 0 else f"/{code}/index_{i}.html"


def list_file(col: int, i: int) -> str:
    code = COLUMNS[col][0]
    return f"{code}/index.html" if i == 0 else f"{code}/index_{i}.html"


def pagination(col: int, i: int, total: int) -> list[int]:
    """Page numbers a list page links to: a window plus first/last, as CMS pagers do.

    The window is wide enough to keep every list page within a few clicks of the first one.
    """
    window = set(range(max(0, i - 5), min(total, i + 6)))
    window |= {0, total - 1}
    step = max(1, total // 8)
    window |= set(range(0, total, step))  # "jump" links keep the depth bounded on long lists
    return sorted(p for p in window if p != i)


class TextPool:
    """Deterministic Chinese filler: sentences built once, then picked by index (fast)."""

    def __init__(self, rng: random.Random) -> None:
        self.sentences = []
        for _ in range(400):
            parts = rng.sample(PHRASES, rng.randint(2, 4))
            self.sentences.append("；".join(parts) + "。")
        self.rng = rng

    def paragraphs(self, min_bytes: int) -> str:
        out: list[str] = []
        size = 0
        while size < min_bytes:
            k = self.rng.randint(2, 5)
            start = self.rng.randrange(len(self.sentences) - k)
            para = "".join(self.sentences[start : start + k])
            chunk = f'<p style="text-indent:2em;line-height:2">{para}</p>\n'
            out.append(chunk)
            size += len(chunk.encode())
        return "".join(out)


CSS = (
    "body{margin:0;font:14px/1.6 'Microsoft YaHei',SimSun,sans-serif;color:#333}"
    ".w1200{width:1200px;margin:0 auto}.header{height:160px;background:#b40000}"
    ".nav li{float:left;width:130px;text-align:center}.list li{border-bottom:1px dashed #ccc}"
    ".footer{background:#f2f2f2;padding:20px 0;text-align:center;color:#666}\n"
) * 20
JS = (
    "(function(){var d=document;function $(i){return d.getElementById(i)}"
    "window.setFontSize=function(s){var c=$('zoom');if(c){c.style.fontSize=s+'px'}};"
    "window.addFav=function(){try{window.external.addFavorite(location.href,d.title)}"
    "catch(e){alert('请使用Ctrl+D收藏本站')}};})();\n"
) * 30
# A tiny but valid PNG / JPEG / PDF each; content does not matter to the tools.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9") + b"\0" * 2048
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"%" * 4096


def page_head(site: Site, title: str, meta: dict[str, str]) -> str:
    metas = "\n".join(f'<meta name="{k}" content="{v}">' for k, v in meta.items())
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{title}_{site.name}</title>\n"
        f'<meta name="SiteName" content="{site.name}">\n'
        f'<meta name="SiteDomain" content="{site.addr}">\n'
        f'<meta name="SiteIDCode" content="{site.site_code}">\n'
        f"{metas}\n"
        '<link rel="stylesheet" href="/css/common.css">\n'
        '<link rel="stylesheet" href="/css/index.css">\n'
        '<script src="/js/jquery.min.js"></script>\n'
        '<script src="/js/common.js"></script>\n'
        "</head>\n<body>\n"
    )


def page_header(site: Site, cross: str) -> str:
    nav = "".join(
        f'<li><a href="/{code}/">{name}</a></li>' for code, name, _ in COLUMNS
    )
    return (
        '<div class="topbar w1200"><span>欢迎访问' + site.name + "</span>"
        '<a href="javascript:void(0)" onclick="addFav()">加入收藏</a>'
        '<a href="javascript:void(0)" onclick="setFontSize(16)">无障碍浏览</a></div>\n'
        '<div class="header"><div class="w1200"><a href="/"><img src="/images/logo.png" '
        f'alt="{site.name}"></a><h1>{site.name}</h1></div></div>\n'
        f'<div class="nav w1200"><ul><li><a href="/">首页</a></li>{nav}</ul></div>\n'
        f'<div class="related w1200"><span>相关链接：</span>{cross}</div>\n'
    )


def page_footer(site: Site, beian_url: str) -> str:
    links = " | ".join(f'<a href="/about/{code}.html">{name}</a>' for code, name in STATIC_PAGES)
    return (
        '<div class="footer"><div class="w1200">\n'
        f"<p>{links}</p>\n"
        f"<p>主办单位：{site.name}办公室　承办：{site.name}信息中心　"
        "联系电话：0731-88888888</p>\n"
        f"<p>网站标识码：{site.site_code}　"
        f'<a href="{beian_url}" target="_blank">{site.icp}</a>　'
        '<img src="/images/gongan.png" alt="">'
        f'<a href="{beian_url}" target="_blank">{site.gongan}</a></p>\n'
        "<p>建议使用1366×768分辨率浏览本网站</p>\n"
        "</div></div>\n</body>\n</html>\n"
    )


class SiteWriter:
    """Generates one site's files and checks its link graph (reachability, depth)."""

    def __init__(self, site: Site, sites: Sequence[Site], port: int, pages: int, root: Path):
        self.site = site
        self.port = port
        self.root = root
        self.rng = random.Random(f"govwatch-bench-{site.index}")
        self.text = TextPool(self.rng)
        self.beian = f"http://{BEIAN_ADDR}:{port}/"
        others = [s for s in sites if s.index != site.index]
        self.rng.shuffle(others)
        self.cross = " ".join(
            f'<a href="{s.url(port)}" target="_blank">{s.name}</a>' for s in others[:N_CROSS]
        )
        n_articles, self.n_extra_static = plan_counts(pages)
        sizes = column_sizes(n_articles)
        newest = dt.datetime(2026, 6, 30, 9, 0)
        self.articles: list[list[Article]] = []
        for col, size in enumerate(sizes):
            code, cname, _ = COLUMNS[col]
            items = []
            when = newest - dt.timedelta(hours=self.rng.randint(1, 48))
            for n in range(size):
                when -= dt.timedelta(minutes=self.rng.randint(30, 60 * 40))
                subj = self.rng.choice(SUBJECTS)
                verb = self.rng.choice(VERBS)
                title = f"{self.site.name}{verb}{subj}（{cname}第{size - n}期）"
                path = f"/{code}/{when:%Y%m}/t{when:%Y%m%d}_{col}{n:05d}.html"
                items.append(Article(col, n, path, title, when))
            self.articles.append(items)
        self.graph: dict[str, list[str]] = {}
        self.stats = WorldStats()

    # -- helpers ------------------------------------------------------------------------------
    def write(self, rel_path: str, data: bytes) -> None:
        p = self.root / rel_path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    def write_page(self, url_path: str, file_path: str, html: str, links: list[str]) -> None:
        data = html.encode()
        self.write(file_path, data)
        self.graph[url_path] = links
        st = self.stats
        st.html_pages += 1
        st.html_bytes += len(data)
        st.min_page = min(st.min_page, len(data))
        st.max_page = max(st.max_page, len(data))

    def fill(self, before: str, after: str) -> str:
        """Body filler so the page lands in the 15–30 KB range of real gov pages."""
        target = self.rng.randint(15_000, 30_000)
        have = len(before.encode()) + len(after.encode())
        return self.text.paragraphs(max(0, target - have))

    def n_lists(self, col: int) -> int:
        return max(1, -(-len(self.articles[col]) // PER_LIST))

    # -- pages --------------------------------------------------------------------------------
    def generate(self) -> WorldStats:
        self.write_assets()
        self.write_home()
        for col in range(len(COLUMNS)):
            for i in range(self.n_lists(col)):
                self.write_list(col, i)
            for art in self.articles[col]:
                self.write_article(art)
        self.write_static()
        self.check_graph()
        return self.stats

    def write_assets(self) -> None:
        files: dict[str, bytes] = {
            "css/common.css": CSS.encode(),
            "css/index.css": CSS[: len(CSS) // 2].encode(),
            "js/jquery.min.js": (JS * 4).encode(),
            "js/common.js": JS.encode(),
            "images/logo.png": PNG,
            "images/gongan.png": PNG,
        }
        for i in range(N_IMAGES):
            files[f"images/pic/p{i}.jpg"] = JPG
        for i in range(N_PDFS - N_DEAD_PDFS):
            files[f"uploads/f{i}.pdf"] = PDF
        for rel, data in files.items():
            self.write(rel, data)
        self.stats.asset_files += len(files)

    def item_li(self, art: Article) -> str:
        return f'<li><a href="{art.path}" title="{art.title}">{art.title}</a>' \
               f"<span>{art.date:%Y-%m-%d}</span></li>"

    def write_home(self) -> None:
        s = self.site
        blocks = []
        links = ["/"] + [list_path(c, 0) for c in range(len(COLUMNS))]
        for col, (_code, cname, _) in enumerate(COLUMNS):
            items = self.articles[col][:8]
            links += [a.path for a in items]
            lis = "".join(self.item_li(a) for a in items)
            blocks.append(
                f'<div class="block"><h3>{cname}<a class="more" href="{list_path(col, 0)}">'
                f"更多&gt;&gt;</a></h3><ul>{lis}</ul></div>\n"
            )
        links += [f"/about/{code}.html" for code, _ in STATIC_PAGES]
        head = page_head(s, "首页", {"ColumnName": "首页", "ColumnType": "首页"})
        top = head + page_header(s, self.cross) + '<div class="main w1200">\n' + "".join(blocks)
        bottom = "</div>\n" + page_footer(s, self.beian)
        html = top + '<div class="intro">' + self.fill(top, bottom) + "</div>\n" + bottom
        self.write_page("/", "index.html", html, links)

    def write_list(self, col: int, i: int) -> None:
        s = self.site
        _code, cname, _ctype = COLUMNS[col]
        total = self.n_lists(col)
        items = self.articles[col][i * PER_LIST : (i + 1) * PER_LIST]
        pages = pagination(col, i, total)
        links = ["/", *(list_path(c, 0) for c in range(len(COLUMNS)))]
        links += [a.path for a in items] + [list_path(col, p) for p in pages]
        links += [f"/about/{code}.html" for code, _ in STATIC_PAGES]
        lis = "".join(self.item_li(a) for a in items)
        pager = " ".join(f'<a href="{list_path(col, p)}">{p + 1}</a>' for p in pages)
        head = page_head(s, cname, {"ColumnName": cname, "ColumnType": "列表"})
        top = (
            head + page_header(s, self.cross)
            + f'<div class="main w1200"><div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            f'<a href="{list_path(col, 0)}">{cname}</a></div>\n'
            f'<ul class="list">{lis}</ul>\n<div class="pager">共{total}页 {pager}</div>\n'
        )
        bottom = "</div>\n" + page_footer(s, self.beian)
        html = top + '<div class="summary">' + self.fill(top, bottom) + "</div>\n" + bottom
        self.write_page(list_path(col, i), list_file(col, i), html, links)

    def write_article(self, art: Article) -> None:
        s = self.site
        col_items = self.articles[art.col]
        _code, cname, _ctype = COLUMNS[art.col]
        rng = self.rng
        related = [col_items[(art.n + d) % len(col_items)] for d in (3, 7, 11, 19, 29)]
        related = [a for a in related if a.n != art.n]
        prev_next = [col_items[j] for j in (art.n - 1, art.n + 1) if 0 <= j < len(col_items)]
        links = ["/", *(list_path(c, 0) for c in range(len(COLUMNS)))]
        links += [a.path for a in related + prev_next]
        links += [f"/about/{code}.html" for code, _ in STATIC_PAGES]
        extras = []
        for _ in range(rng.randint(1, 2)):
            pic = f"/images/pic/p{rng.randrange(N_IMAGES)}.jpg"
            extras.append(f'<p style="text-align:center"><img src="{pic}" alt=""></p>')
        if rng.random() < 0.4:
            extras.append(
                f'<p>附件：<a href="/uploads/f{rng.randrange(N_PDFS)}.pdf">{art.title}.pdf</a></p>'
            )
        if rng.random() < 0.1:  # a dead link: what link checks are for
            code = COLUMNS[rng.randrange(len(COLUMNS))][0]
            dead = f"/{code}/missing_{rng.randrange(N_DEAD_PAGES)}.html"
            extras.append(f'<p>相关阅读：<a href="{dead}">原文链接</a></p>')
        meta = {
            "ColumnName": cname,
            "ColumnType": "文章",
            "ArticleTitle": art.title,
            "PubDate": f"{art.date:%Y-%m-%d %H:%M}",
            "ContentSource": f"{s.name}办公室",
        }
        head = page_head(s, art.title, meta)
        rel = "".join(self.item_li(a) for a in related)
        pn = "".join(
            f'<p>{"上一篇" if a.n < art.n else "下一篇"}：<a href="{a.path}">{a.title}</a></p>'
            for a in prev_next
        )
        top = (
            head + page_header(s, self.cross)
            + '<div class="main w1200"><div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            f'<a href="{list_path(art.col, 0)}">{cname}</a></div>\n'
            f'<div class="article"><h1>{art.title}</h1>\n'
            f'<div class="info">来源：{s.name}办公室　发布时间：{art.date:%Y-%m-%d %H:%M}　'
            '字号：[<a href="javascript:setFontSize(16)">大</a>]</div>\n<div id="zoom">\n'
        )
        bottom = (
            "\n".join(extras) + f"\n</div></div>\n{pn}<ul class=\"rel\">{rel}</ul>\n</div>\n"
            + page_footer(s, self.beian)
        )
        html = top + self.fill(top, bottom) + bottom
        self.write_page(art.path, art.path, html, links)

    def write_static(self) -> None:
        s = self.site
        extra = [(f"page_{i}", f"专题栏目{i + 1}") for i in range(self.n_extra_static)]
        for code, name in (*STATIC_PAGES, *extra):
            links = ["/", *(list_path(c, 0) for c in range(len(COLUMNS)))]
            links += [f"/about/{c}.html" for c, _ in STATIC_PAGES]
            body = ""
            if code == "wzdt":  # the site map also lists the extra static pages
                links += [f"/about/{c}.html" for c, _ in extra]
                body = "".join(f'<a href="/about/{c}.html">{n}</a> ' for c, n in extra)
            head = page_head(s, name, {"ColumnName": name, "ColumnType": "单页"})
            top = (
                head + page_header(s, self.cross) + f'<div class="main w1200"><h2>{name}</h2>'
                + body
            )
            bottom = "</div>\n" + page_footer(s, self.beian)
            html = top + self.fill(top, bottom) + bottom
            self.write_page(f"/about/{code}.html", f"about/{code}.html", html, links)

    def check_graph(self) -> None:
        depth = {"/": 0}
        queue = deque(["/"])
        while queue:
            u = queue.popleft()
            for v in self.graph.get(u, ()):
                if v in self.graph and v not in depth:
                    depth[v] = depth[u] + 1
                    queue.append(v)
        missing = set(self.graph) - set(depth)
        if missing:
            raise RuntimeError(f"site {self.site.id}: {len(missing)} pages unreachable")
        self.stats.max_depth = max(depth.values())
        if self.stats.max_depth > MAX_DEPTH:
            raise RuntimeError(f"site {self.site.id}: depth {self.stats.max_depth} > {MAX_DEPTH}")


def build_world(root: Path, n_sites: int, pages: int, port: int) -> World:
    sites = make_sites(n_sites)
    manifest = root / "manifest.json"
    key = {"version": WORLD_VERSION, "sites": n_sites, "pages": pages, "port": port}
    if manifest.exists():
        with contextlib.suppress(ValueError, KeyError):
            m = json.loads(manifest.read_text())
            if m["key"] == key:
                log(f"reusing the world in {root}")
                return World(root, port, sites, pages, m["html_pages"], m["html_bytes"],
                             m["max_depth"], tuple(m["sample_paths"]))
    if (root / "sites").exists():
        shutil.rmtree(root / "sites")
    t0 = time.monotonic()
    total = WorldStats()
    sample: list[str] = []
    for site in sites:
        w = SiteWriter(site, sites, port, pages, root / "sites" / f"s{site.index}")
        st = w.generate()
        total.html_pages += st.html_pages
        total.html_bytes += st.html_bytes
        total.asset_files += st.asset_files
        total.min_page = min(total.min_page, st.min_page)
        total.max_page = max(total.max_page, st.max_page)
        total.max_depth = max(total.max_depth, st.max_depth)
        if site.index == 1:
            sample = sorted(w.graph)
    # The stand-in for the ICP / 公安 registration sites the footers link to.
    beian = root / "sites" / "beian"
    beian.mkdir(parents=True, exist_ok=True)
    (beian / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>备案查询</title></head>"
        "<body><p>ICP/IP地址/域名信息备案管理系统（基准测试替身）</p></body></html>\n",
        encoding="utf-8",
    )
    log(
        f"world: {total.html_pages} HTML pages ({total.html_bytes / 2**20:.0f} MiB, "
        f"{total.min_page // 1000}–{total.max_page // 1000} kB each), {total.asset_files} "
        f"asset files, max depth {total.max_depth}, built in {time.monotonic() - t0:.0f} s"
    )
    manifest.write_text(json.dumps({
        "key": key, "html_pages": total.html_pages, "html_bytes": total.html_bytes,
        "max_depth": total.max_depth, "sample_paths": sample,
    }))
    return World(root, port, sites, pages, total.html_pages, total.html_bytes,
                 total.max_depth, tuple(sample))


# ---------------------------------------------------------------------------------------------
# nginx and wrk
# ---------------------------------------------------------------------------------------------


def free_port(addrs: Sequence[str]) -> int:
    """A port that is free on every one of the addresses."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((addrs[0], 0))
            port = int(s.getsockname()[1])
        if _port_free(addrs, port):
            return port
    raise RuntimeError("no free port on the loopback addresses")


def nginx_conf(world: World, prefix: Path) -> str:
    # nginx's workers run as `nobody` and cannot raise their descriptor limit past the hard
    # limit they inherit (20,000 on the reference machine), so connections and the open-file
    # cache are sized to fit under it: when connections run short nginx then closes idle
    # keep-alive ones instead of failing accept() with "Too many open files".
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if nofile == resource.RLIM_INFINITY:
        nofile = 65536
    nofile = min(nofile, 65536)
    cache = 2000
    conns = max(1024, min(32768, nofile - cache - 1000))
    servers = []
    for s in world.sites:
        servers.append(
            f"  server {{ listen {s.addr}:{world.port} backlog=4096; server_name _; "
            f"root {world.root / 'sites' / f's{s.index}'}; }}"
        )
    servers.append(
        f"  server {{ listen {BEIAN_ADDR}:{world.port} backlog=4096; server_name _; "
        f"root {world.root / 'sites' / 'beian'}; }}"
    )
    return f"""# generated by bench/crawl.py
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile {nofile};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections {conns}; multi_accept on; }}
http {{
  types {{
    text/html html; text/css css; application/javascript js;
    image/png png; image/jpeg jpg; application/pdf pdf;
  }}
  default_type application/octet-stream;
  charset utf-8;
  access_log off;
  log_not_found off;  # the world's dead links would fill the error log
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 15s;
  keepalive_requests 1000000;
  open_file_cache max={cache} inactive=60s;  # each entry holds a descriptor open
  open_file_cache_valid 120s;
  client_body_temp_path {prefix}/tmp/body;
  proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fastcgi;
  uwsgi_temp_path {prefix}/tmp/uwsgi;
  scgi_temp_path {prefix}/tmp/scgi;
  # LinkChecker keeps its per-host rate limit (at most 10 requests/s, ~3/s on average) unless
  # the server sends this header; with it, `maxrequestspersecond` in linkcheckerrc applies.
  add_header LinkChecker "rate limit lifted for the govwatch benchmark";
{chr(10).join(servers)}
}}
"""


class Nginx:
    def __init__(self, world: World, prefix: Path) -> None:
        self.world = world
        self.prefix = prefix
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(exe).exists():
            raise SystemExit("nginx not found: apt-get install nginx")
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_conf(self.world, self.prefix))
        cmd = [exe, "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log")]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        addrs = [s.addr for s in self.world.sites] + [BEIAN_ADDR]
        deadline = time.monotonic() + 15
        for a in addrs:
            while True:
                if self.proc.poll() is not None:
                    err = (self.prefix / "error.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"nginx exited ({self.proc.returncode}): {err}")
                try:
                    socket.create_connection((a, self.world.port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"nginx did not start listening on {a}") from None
                    time.sleep(0.05)
        log(f"nginx up: {len(addrs)} virtual hosts on port {self.world.port}, pid {self.proc.pid}")

    def stop(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGQUIT)  # graceful: master waits for workers
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log("nginx stopped")


@dataclass(slots=True)
class WrkResult:
    rps: float
    transfer: str
    latency: str
    cmd: list[str]


def run_wrk(world: World, work: Path, seconds: int, threads: int, conns: int) -> WrkResult | None:
    exe = shutil.which("wrk")
    if exe is None:
        log("wrk not found (apt-get install wrk): no server ceiling")
        return None
    paths = ",\n".join(json.dumps(p) for p in world.sample_paths)
    script = work / "wrk.lua"
    script.write_text(
        "-- cycles over every page of site 1 (the same pages the crawlers fetch)\n"
        f"local paths = {{\n{paths}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    url = world.sites[0].url(world.port)
    cmd = [exe, f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        log(f"wrk gave no figure:\n{out}")
        return None
    tr = re.search(r"Transfer/sec:\s+(\S+)", out)
    lat = re.search(r"Latency\s+(\S+)", out)
    return WrkResult(float(m.group(1)), tr.group(1) if tr else "?", lat.group(1) if lat else "?",
                     cmd)


# ---------------------------------------------------------------------------------------------
# Running a tool and measuring it
# ---------------------------------------------------------------------------------------------


def ensure_module(name: str, pip_name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        log(f"installing {pip_name} from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", pip_name], check=True)
        importlib.invalidate_caches()
        return importlib.import_module(name)


@dataclass(slots=True)
class Run:
    seconds: float
    exit_code: int | None  # None: killed at the timeout; else the worst exit code of the jobs
    peak_rss_mib: float  # sampled total RSS of every running job's process tree
    maxrss_mib: float  # ru_maxrss of the largest single process (from wait4)
    cpu_seconds: float  # user + system time of the jobs and their waited-for children
    load: float  # mean 1-minute load average of the machine while it ran (others' work too)


@dataclass(frozen=True, slots=True)
class Job:
    cmd: Sequence[str]
    stdout: Path | None = None
    stderr: Path | None = None


def run_measured(
    cmd: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
    stderr: Path | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run cmd, sampling its process tree's RSS every 0.2 s; kill the tree at the timeout."""
    return run_jobs([Job(cmd, stdout, stderr)], parallel=1, timeout=timeout, env=env, cwd=cwd)


def run_jobs(
    jobs: Sequence[Job],
    *,
    parallel: int,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run the jobs, at most `parallel` at once, as one measured run.

    Every 0.2 s the RSS of all running jobs' process trees is summed (peak = the largest
    sum); wait4 gives each job's ru_maxrss. At the timeout (or on Ctrl-C) every job's
    process group is killed.
    """
    psutil = ensure_module("psutil", "psutil")
    pending = list(jobs)
    running: dict[int, tuple[subprocess.Popen[bytes], Any]] = {}
    files: list[Any] = []
    peak = 0
    maxrss = 0
    cpu = 0.0
    loads: list[float] = []
    worst: int | None = 0
    t0 = time.monotonic()

    def start(job: Job) -> None:
        out = job.stdout.open("wb") if job.stdout else subprocess.DEVNULL
        err = job.stderr.open("wb") if job.stderr else subprocess.DEVNULL
        files.extend(f for f in (out, err) if f is not subprocess.DEVNULL)
        proc = subprocess.Popen(
            list(job.cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd,
            start_new_session=True,
        )
        running[proc.pid] = (proc, psutil.Process(proc.pid))

    try:
        while pending or running:
            while pending and len(running) < parallel:
                start(pending.pop(0))
            for pid in list(running):
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done == pid:
                    del running[pid]
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)  # leftovers of the job, if any
                    code = os.waitstatus_to_exitcode(status)
                    worst = code if worst == 0 or code < 0 else worst
                    maxrss = max(maxrss, usage.ru_maxrss)
                    cpu += usage.ru_utime + usage.ru_stime
            if not running and not pending:
                break
            total = 0
            for _proc, root in running.values():
                with contextlib.suppress(psutil.Error):
                    for p in (root, *root.children(recursive=True)):
                        with contextlib.suppress(psutil.Error):
                            total += p.memory_info().rss
            peak = max(peak, total)
            loads.append(os.getloadavg()[0])
            if time.monotonic() - t0 > timeout:
                log(f"timeout after {timeout:.0f} s: killing {jobs[0].cmd[0]}")
                worst = None
                break
            time.sleep(SAMPLE_INTERVAL)
    finally:
        for pid in list(running):  # timeout or Ctrl-C: end every tree we started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _, _, usage = os.wait4(pid, 0)
            maxrss = max(maxrss, usage.ru_maxrss)
            cpu += usage.ru_utime + usage.ru_stime
        for f in files:
            f.close()
    return Run(
        seconds=time.monotonic() - t0,
        exit_code=worst,
        peak_rss_mib=peak / 2**20,
        maxrss_mib=maxrss / 1024,
        cpu_seconds=cpu,
        load=sum(loads) / len(loads) if loads else os.getloadavg()[0],
    )


@dataclass(slots=True)
class Result:
    tool: str
    version: str
    pages: int | None = None
    checks: int | None = None
    run: Run | None = None
    note: str = ""
    cmd: list[str] = field(default_factory=list)

    @property
    def pages_per_s(self) -> float | None:
        if self.pages is None or self.run is None or self.run.seconds <= 0:
            return None
        return self.pages / self.run.seconds

    @property
    def checks_per_s(self) -> float | None:
        if self.checks is None or self.run is None or self.run.seconds <= 0:
            return None
        return self.checks / self.run.seconds


def is_world_page(url: str, hosts: set[str]) -> bool:
    """A page of one of the world's sites (not an asset, not the beian stand-in)."""
    parts = urlsplit(url)
    return parts.netloc in hosts and (parts.path.endswith("/") or parts.path.endswith(".html"))


# ---------------------------------------------------------------------------------------------
# LinkChecker
# ---------------------------------------------------------------------------------------------


def run_linkchecker(world: World, work: Path, threads: int, timeout: float) -> Result:
    exe = shutil.which("linkchecker")
    if exe is None:
        ensure_module("linkcheck", "linkchecker")
        exe = shutil.which("linkchecker")
    if exe is None:
        return Result("LinkChecker", "?", note="not installed")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    version = (re.findall(r"LinkChecker\s+(\S+)", version) or ["?"])[0]
    rc = work / "linkcheckerrc"
    # maxrequestspersecond is the per-host limit; LinkChecker honours values above 10 only
    # when the server sends a "LinkChecker" header, which our nginx does (see nginx_conf).
    rc.write_text(
        "[checking]\n"
        f"threads={threads}\n"
        "maxrequestspersecond=1000000\n"
        "robotstxt=0\n"
        "timeout=30\n"
        "resultcachesize=1000000\n"
        "[output]\nstatus=0\n"
    )
    out = work / "linkchecker.csv"
    cmd = [
        exe, "-f", str(rc), "--no-status", "--no-robots", "-t", str(threads), "-v",
        "-o", "csv/utf-8", *(s.url(world.port) for s in world.sites),
    ]
    log(f"LinkChecker {version}: {threads} threads, {len(world.sites)} start URLs")
    # Run as root, LinkChecker drops privileges to `nobody` and then cannot create an output
    # file (-F) in our work dir; so it writes CSV to stdout, a file we opened for it.
    run = run_measured(cmd, timeout=timeout, stdout=out, stderr=work / "linkchecker.err")
    hosts = {f"{s.addr}:{world.port}" for s in world.sites}
    pages: set[str] = set()
    checked: set[str] = set()
    if out.exists():
        with out.open(encoding="utf-8", errors="replace") as f:
            lines = (ln for ln in f if not ln.startswith("#"))
            for row in csv.DictReader(lines, delimiter=";"):
                url = row.get("url") or row.get("urlname") or ""
                if not url.startswith("http"):
                    continue
                checked.add(url)
                if row.get("valid") == "True" and is_world_page(url, hosts):
                    pages.add(url)
    return Result("LinkChecker", version, len(pages), len(checked), run,
                  note=f"threads={threads}", cmd=cmd)


# ---------------------------------------------------------------------------------------------
# linkinator
# ---------------------------------------------------------------------------------------------


def linkinator_cli(tools: Path) -> tuple[list[str], str] | None:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        log("node/npm not found: apt-get install nodejs npm")
        return None
    major = int(re.sub(r"[^\d.]", "", subprocess.run(
        [node, "--version"], capture_output=True, text=True).stdout).split(".")[0] or 0)
    # linkinator 8 needs Node >= 22; Debian 12 ships Node 18/20, which linkinator 7 supports.
    spec = "linkinator" if major >= 22 else "linkinator@7"
    cli = tools / "node_modules" / "linkinator" / "build" / "src" / "cli.js"
    pkg = tools / "node_modules" / "linkinator" / "package.json"
    if not cli.exists():
        log(f"installing {spec} into {tools} (npm)")
        tools.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(tools), "--no-audit", "--no-fund", "--silent", spec],
            check=True, stdout=subprocess.DEVNULL,
        )
    if not cli.exists():
        return None
    version = json.loads(pkg.read_text())["version"]
    return [node, str(cli)], version


def run_linkinator(world: World, work: Path, tools: Path, conc: int, timeout: float,
                   mode: str, jobs: int) -> Result:
    """linkinator on the world, in one of two modes.

    per-site (default): one linkinator per site (its usual use: one site root per run),
      `jobs` of them at once; the run is timed from the first start to the last exit.
    single: one process with every home page as a start location (each its own recursion
      root, one shared queue and cache). linkinator 7 starts every discovered link's check at
      once (its --concurrency only gates when results are awaited) and looks up earlier results
      with a linear scan, so on a 50,000-page world this mode opens ~20,000 sockets and slows
      down quadratically: recorded for the record, not used for the ratio.
    """
    found = linkinator_cli(tools)
    if found is None:
        return Result("linkinator", "?", note="not installed")
    base, version = found
    flags = ["--recurse", "--concurrency", str(conc), "--format", "csv", "--timeout", "30000"]
    starts = [s.url(world.port) for s in world.sites]
    if mode == "single":
        job_list = [Job([*base, *starts, *flags], work / "linkinator.csv",
                        work / "linkinator.err")]
        jobs = 1
    else:
        job_list = [
            Job([*base, url, *flags], work / f"linkinator-{s.index}.csv",
                work / f"linkinator-{s.index}.err")
            for s, url in zip(world.sites, starts, strict=True)
        ]
    log(f"linkinator {version}: {mode} mode, {jobs} process(es) at once, concurrency {conc}")
    env = dict(os.environ, NODE_NO_WARNINGS="1")
    run = run_jobs(job_list, parallel=jobs, timeout=timeout, env=env)
    hosts = {f"{s.addr}:{world.port}" for s in world.sites}
    pages: set[str] = set()
    checked: set[str] = set()
    for job in job_list:
        assert job.stdout is not None
        if not job.stdout.exists():
            continue
        with job.stdout.open(encoding="utf-8", errors="replace") as f:
            for row in csv.DictReader(f):
                url = row.get("url") or ""
                if not url.startswith("http"):
                    continue
                checked.add(url)
                if row.get("state") == "OK" and is_world_page(url, hosts):
                    pages.add(url)
    cmd = [*base, starts[0], *flags] if mode != "single" else job_list[0].cmd
    return Result("linkinator", version, len(pages), len(checked), run,
                  note=f"{mode} mode, {jobs} at once, concurrency={conc}", cmd=list(cmd))


# ---------------------------------------------------------------------------------------------
# govwatch
# ---------------------------------------------------------------------------------------------


def registry_yaml(world: World) -> str:
    lines = ["# generated by bench/crawl.py", "sites:"]
    for s in world.sites:
        cols = ", ".join(
            f"{{name: {name}, path: /{code}/, type: {ctype}}}" for code, name, ctype in COLUMNS
        )
        lines += [
            f"  - id: {s.id}",
            f"    name: {s.name}",
            f"    url: {s.url(world.port)}",
            f"    level: {s.level}",
            f"    kind: {s.kind}",
            f'    site_code: "{s.site_code}"',
            f"    icp: {s.icp}",
            f"    columns: [{cols}]",
            "    crawl: {max_pages: 100000, max_depth: 20, delay: 0, concurrency: 16}",
        ]
    return "\n".join(lines) + "\n"


def govwatch_counts(db_url: str) -> tuple[int | None, int | None, str]:
    """(pages, link checks) of the crawl, read from the database (fresh for each bench run, so
    every crawl run in it belongs to this crawl: one per crawl process with `--jobs`).

    pages: `pages` rows answered 200 whose URL ends in `/` or `.html` (what the other tools'
    page counts mean too).
    link checks: distinct URLs whose fate the crawl determined, pages included, i.e. the union
    of `pages.url` and `link_results.url`; LinkChecker and linkinator are counted the same way
    (distinct URLs in their output).
    """
    try:
        import sqlalchemy as sa
    except ImportError:
        return None, None, "sqlalchemy missing"
    engine = sa.create_engine(db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        need = {"crawl_runs", "pages", "link_results"}
        if not need <= tables:
            return None, None, f"tables missing: {sorted(need - tables)}"
        with engine.connect() as conn:
            raws = list(conn.execute(sa.text("SELECT stats FROM crawl_runs ORDER BY id"))
                        .scalars())
            if not raws:
                return None, None, "no crawl run in the database"
            # Pages as the other tools' counts mean them (the README's definition): the
            # site's own stylesheets, which govwatch also fetches as pages (for their hiding
            # rules), are not counted.
            pages = conn.execute(sa.text(
                "SELECT COUNT(*) FROM pages WHERE status = 200"
                " AND (url LIKE '%/' OR url LIKE '%.html')")).scalar()
            checks = conn.execute(sa.text(
                "SELECT COUNT(*) FROM (SELECT url FROM pages UNION SELECT url FROM link_results)"
                " AS u")).scalar()
            rows = conn.execute(sa.text("SELECT COUNT(*) FROM link_results")).scalar()
        all_stats = [json.loads(r) if isinstance(r, str) else (r or {}) for r in raws]
        split = ""
        if all("cpu_crawl_s" in st for st in all_stats):  # crawler.run records where CPU went
            seconds = max(float(st.get("seconds") or 0) for st in all_stats)
            crawl_cpu = sum(float(st["cpu_crawl_s"]) for st in all_stats)
            workers_cpu = sum(float(st["cpu_workers_s"]) for st in all_stats)
            split = (f"; crawl phase {seconds:.2f} s (longest process), CPU: crawl processes "
                     f"{crawl_cpu:.1f} s, extraction workers {workers_cpu:.1f} s")
        return pages, checks, (f"{len(raws)} crawl run(s): {rows} link_results rows{split}")
    finally:
        engine.dispose()


REPO = Path(__file__).resolve().parent.parent


def govwatch_cmd(explicit: str | None) -> list[str] | None:
    """The govwatch CLI: --govwatch-cmd, else the console script, else this checkout's module."""
    if explicit:
        return explicit.split()
    exe = shutil.which("govwatch")
    if exe:
        return [exe]
    if (REPO / "govwatch" / "cli.py").exists():
        return [sys.executable, "-m", "govwatch.cli"]
    return None


def run_govwatch(world: World, work: Path, gw: list[str], timeout: float,
                 settings: Path | None, max_pages: int | None,
                 jobs: int | None = None) -> Result:
    db = work / "bench.db"
    if db.exists():
        db.unlink()
    settings_path = work / "settings.toml"
    if settings is not None:
        shutil.copyfile(settings, settings_path)
    else:
        settings_path.write_text('[crawler]\nrobots = "ignore"\n')
    env = dict(os.environ, GOVWATCH_DATABASE_URL=f"sqlite:///{db}",
               GOVWATCH_SETTINGS=str(settings_path))
    # Run from the checkout (alembic.ini is there) and let `python -m govwatch.cli` import it.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    registry = work / "sites.yaml"
    registry.write_text(registry_yaml(world), encoding="utf-8")
    ver = "?"
    with contextlib.suppress(Exception):
        import importlib.metadata

        ver = importlib.metadata.version("govwatch")
    for step in (["init"], ["sites", "import", str(registry)]):
        r = subprocess.run([*gw, *step], capture_output=True, text=True, env=env, timeout=600,
                           cwd=REPO)
        if r.returncode != 0:
            msg = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:]
            return Result("govwatch", ver, note=f"`{' '.join(step)}` failed: {msg}")
    cmd = [*gw, "crawl"]
    if max_pages:
        cmd += ["--max-pages", str(max_pages)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    log(f"govwatch: crawl of {len(world.sites)} sites (fetch + extract + store + checks)")
    out, err = work / "govwatch.out", work / "govwatch.err"
    run = run_measured(cmd, timeout=timeout, env=env, stdout=out, stderr=err, cwd=REPO)
    summary = out.read_text(errors="replace").strip().splitlines()[-1:] if out.exists() else []
    pages, checks, note = govwatch_counts(f"sqlite:///{db}")
    if run.exit_code not in (0, None) and summary == []:
        tail = err.read_text(errors="replace").strip().splitlines()[-1:]
        note = f"exit {run.exit_code}: {tail}"
    result = Result("govwatch", ver, pages, checks, run, note=note, cmd=cmd)
    if summary:
        log(f"govwatch summary: {summary[0]}")
        result.note = (result.note + "; " if result.note else "") + f"summary: {summary[0]}"
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def fmt(v: float | int | None, spec: str = ",.0f") -> str:
    return "—" if v is None else format(v, spec)


def report(world: World, wrk: WrkResult | None, results: list[Result]) -> dict[str, Any]:
    print()
    print(f"World: {len(world.sites)} sites × {world.pages_per_site} pages = "
          f"{world.html_pages:,} HTML pages ({world.html_bytes / 2**20:,.0f} MiB), max depth "
          f"{world.max_depth}, served by nginx (2 workers) on 127.0.1.1–127.0.1."
          f"{len(world.sites)}:{world.port}")
    if wrk:
        print(f"Server ceiling (wrk, same pages): {wrk.rps:,.0f} req/s, {wrk.transfer}/s, "
              f"mean latency {wrk.latency}")
    else:
        print("Server ceiling: not measured")
    print()
    head = ("tool", "pages", "link checks", "seconds", "pages/s", "checks/s", "peak MB",
            "maxrss MB", "cpu s", "cpu ms/page", "load", "exit")
    rows = [head]
    for r in results:
        run = r.run
        ms_per_page = (1000 * run.cpu_seconds / r.pages if run and r.pages else None)
        rows.append((
            f"{r.tool} {r.version}",
            fmt(r.pages), fmt(r.checks),
            fmt(run.seconds if run else None, ",.1f"),
            fmt(r.pages_per_s, ",.1f"), fmt(r.checks_per_s, ",.1f"),
            fmt(run.peak_rss_mib if run else None),
            fmt(run.maxrss_mib if run else None),
            fmt(run.cpu_seconds if run else None),
            fmt(ms_per_page, ".2f"),
            fmt(run.load if run else None, ".1f"),
            ("timeout" if run.exit_code is None else str(run.exit_code)) if run else "—",
        ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    for n, row in enumerate(rows):
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for r in results:
        if r.note:
            print(f"  {r.tool}: {r.note}")
    print("  (exit 1 of LinkChecker/linkinator = broken links found, as the world has some; "
          "peak MB = sampled RSS of the process tree, maxrss = largest single process;\n"
          "   cpu s = CPU time the tool used, cpu ms/page = that per page counted; load = mean "
          "1-min load average of the machine\n   during the run, 2 cores: above ~2 others were "
          "competing)")
    if wrk:
        print()
        for r in results:
            if r.pages_per_s:
                print(f"  {r.tool}: {100 * r.pages_per_s / wrk.rps:.1f}% of the server ceiling "
                      "in pages/s")

    by = {r.tool: r for r in results}
    gw = by.get("govwatch")
    summary: dict[str, Any] = {"world_pages": world.html_pages, "sites": len(world.sites),
                               "ceiling_rps": wrk.rps if wrk else None, "tools": {}}
    for r in results:
        summary["tools"][r.tool] = {
            "version": r.version, "pages": r.pages, "checks": r.checks,
            "seconds": r.run.seconds if r.run else None, "pages_per_s": r.pages_per_s,
            "checks_per_s": r.checks_per_s,
            "peak_rss_mib": r.run.peak_rss_mib if r.run else None,
            "maxrss_mib": r.run.maxrss_mib if r.run else None,
            "cpu_seconds": r.run.cpu_seconds if r.run else None,
            "cpu_ms_per_page": (1000 * r.run.cpu_seconds / r.pages
                                if r.run and r.pages else None),
            "load": r.run.load if r.run else None, "note": r.note, "cmd": r.cmd,
        }
    print()
    full = world.html_pages >= TARGET_PAGES
    for other, target in (("LinkChecker", TARGET_LC_RATIO), ("linkinator", TARGET_LK_RATIO)):
        o = by.get(other)
        if gw and o and gw.pages_per_s and o.pages_per_s:
            ratio = gw.pages_per_s / o.pages_per_s
            cratio = (gw.checks_per_s / o.checks_per_s
                      if gw.checks_per_s and o.checks_per_s else None)
            met = "yes" if ratio >= target else "NO"
            print(f"govwatch / {other}: {ratio:.2f}× pages/s, {fmt(cratio, '.2f')}× checks/s "
                  f"(target ≥ {target}× pages/s: {met})")
            summary[f"ratio_{other}"] = ratio
        else:
            print(f"govwatch / {other}: — (one of them did not run)")
    if gw and gw.run:
        ok = gw.run.peak_rss_mib < TARGET_PEAK_MIB
        verdict = ("yes" if ok else "NO") if full else "n/a (world smaller than 50,000 pages)"
        print(f"govwatch peak memory {gw.run.peak_rss_mib:,.0f} MB on {world.html_pages:,} "
              f"pages (target < 1024 MiB on ≥ 50,000 pages: {verdict})")
    return summary


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Crawl benchmark: govwatch vs LinkChecker vs linkinator on a generated "
        "world served by nginx on loopback.",
    )
    p.add_argument("--sites", type=int, default=50, help="number of sites (default 50)")
    p.add_argument("--pages-per-site", type=int, default=1000, help="HTML pages per site")
    p.add_argument("--quick", action="store_true", help="= --sites 5 --pages-per-site 200")
    p.add_argument("--out", type=Path, help="work dir (kept; a world already there is reused)")
    p.add_argument("--keep", action="store_true", help="keep the temp work dir")
    p.add_argument("--skip-govwatch", action="store_true")
    p.add_argument("--skip-linkchecker", action="store_true")
    p.add_argument("--skip-linkinator", action="store_true")
    p.add_argument("--skip-wrk", action="store_true")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="seconds each tool may run before it is killed (default 1800)")
    p.add_argument("--wrk-seconds", type=int, default=10)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--wrk-connections", type=int, default=64)
    p.add_argument("--linkchecker-threads", type=int, default=32)
    p.add_argument("--linkinator-concurrency", type=int, default=100,
                   help="linkinator --concurrency (its default is 100)")
    p.add_argument("--linkinator-mode", choices=("per-site", "single"), default="per-site",
                   help="one linkinator per site (default) or one for all sites")
    p.add_argument("--linkinator-jobs", type=int, default=os.cpu_count() or 2,
                   help="per-site mode: linkinator processes at once (default: cores)")
    p.add_argument("--govwatch-cmd", help="how to run govwatch (default: `govwatch` on PATH)")
    p.add_argument("--govwatch-settings", type=Path,
                   help='settings TOML for govwatch (default: [crawler] robots = "ignore")')
    p.add_argument("--max-pages", type=int, help="pass --max-pages N to govwatch crawl")
    p.add_argument("--govwatch-jobs", type=int, metavar="N",
                   help="pass --jobs N to govwatch crawl (default: its own, the cores)")
    p.add_argument("--tools-dir", type=Path,
                   default=Path.home() / ".cache" / "govwatch-bench",
                   help="where linkinator is npm-installed")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    p.add_argument("--generate-only", action="store_true", help="build the world and stop")
    args = p.parse_args(argv)
    if args.quick:
        args.sites, args.pages_per_site = 5, 200
    if not 2 <= args.sites <= 254:
        p.error("--sites must be between 2 and 254 (one 127.0.1.K address per site)")
    return args


@contextlib.contextmanager
def workdir(args: argparse.Namespace) -> Iterator[Path]:
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        yield args.out.resolve()
        return
    d = Path(tempfile.mkdtemp(prefix="govwatch-bench-"))
    d.chmod(0o755)  # LinkChecker run as root reads its config as `nobody`
    try:
        yield d
    finally:
        if args.keep:
            log(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


def saved_port(root: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return int(json.loads((root / "manifest.json").read_text())["key"]["port"])
    return None


def _terminate(signum: int, _frame: Any) -> None:
    # Unwinds like Ctrl-C, so the `finally` blocks stop the tools and nginx.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    # Generating 50,000 files and serving them needs more descriptors than the usual 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    del soft
    ensure_module("psutil", "psutil")
    with workdir(args) as work:
        sites = make_sites(args.sites)
        addrs = [s.addr for s in sites] + [BEIAN_ADDR]
        port = saved_port(work)
        if port is None or not _port_free(addrs, port):
            port = free_port(addrs)  # the port is part of every absolute URL in the world
        world = build_world(work, args.sites, args.pages_per_site, port)
        if args.generate_only:
            print(f"world in {work} ({world.html_pages} pages, port {port})")
            return 0
        runs = work / "runs"
        runs.mkdir(exist_ok=True)
        nginx = Nginx(world, work / "nginx")
        results: list[Result] = []
        wrk = None
        try:
            nginx.start()
            if not args.skip_wrk:
                log(f"wrk: {args.wrk_seconds} s, {args.wrk_threads} threads, "
                    f"{args.wrk_connections} connections")
                wrk = run_wrk(world, runs, args.wrk_seconds, args.wrk_threads,
                              args.wrk_connections)
            if not args.skip_govwatch:
                gw = govwatch_cmd(args.govwatch_cmd)
                if gw is None:
                    results.append(Result("govwatch", "?", note="CLI not found (pip install -e .)"))
                else:
                    results.append(run_govwatch(world, runs, gw, args.timeout,
                                                args.govwatch_settings, args.max_pages,
                                                args.govwatch_jobs))
            if not args.skip_linkchecker:
                results.append(run_linkchecker(world, runs, args.linkchecker_threads,
                                               args.timeout))
            if not args.skip_linkinator:
                results.append(run_linkinator(world, runs, args.tools_dir,
                                              args.linkinator_concurrency, args.timeout,
                                              args.linkinator_mode, args.linkinator_jobs))
        finally:
            nginx.stop()
        summary = report(world, wrk, results)
        if wrk:
            summary["wrk_cmd"] = wrk.cmd
        if args.json:
            args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def _port_free(addrs: Sequence[str], port: int) -> bool:
    for a in addrs:
        with socket.socket() as s:
            # nginx binds with SO_REUSEADDR too, so TIME_WAIT leftovers do not count as busy
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((a, port))
            except OSError:
                return False
    return True


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted: tools and nginx stopped")
        sys.exit(130)
