"""What the demo world plants for the timeliness checks (issue 3), declared as data.

`world.py` renders these declarations and `oracle.py` judges what was rendered, so that the
expected findings follow from the pages and not from hand-typed lists. The dates sit at the
edges of the update cycles as of `AS_OF_LOCAL` (2026-11-21 12:00, Asia/Shanghai):

| class            | cycle      | cut-off (older is stale) | fresh edge  | stale edge  |
|------------------|------------|--------------------------|-------------|-------------|
| news             | 14 days    | 2026-11-07 12:00         | 2026-11-08  | 2026-11-06  |
| notice, policy   | 6 months   | 2026-05-21 12:00         | 2026-05-22  | 2026-05-20  |
| personnel, plan  | 1 year     | 2025-11-21 12:00         | 2025-11-22  | 2025-11-20  |

A day on either side of a cut-off keeps every edge unambiguous whatever hour a date-only list
entry is read as. Who carries what (one story per site, so that the site-level vetoes are
unambiguous):

- govcn, hunan: the important columns (最新文件 /zxwj/, 省政府文件 /zwgk/zcwj/) whose items
  the sites below must repost within 12 hours; govcn plan fresh edge, an article whose only
  publication time is the PubDate meta (no finding); hunan news and personnel fresh edges, a
  no-date list whose newest article is stale (市州动态), a 机构概况 column dated 2019
  (exempt), an article without 来源.
- hnfgw: notice fresh edge; exactly 4 blank columns (no veto).
- hnqx: navigation-only home page whose second-level pages are fresh (no home.stale);
  personnel stale edge; an article without 发布时间 (at a URL without a date in it).
- changsha: reposts into its repost column 上级文件: on time, 11 h 59 min (near-miss),
  12 h 01 min (finding), one in the wrong column (finding), missing (finding), one not yet due;
  policy fresh edge shown as [05-22] (year inferred).
- zhuzhou: navigation-only home page whose second-level pages are all stale (home.stale);
  a column whose name does not classify (工作信息), typed news by the registry.
- yongzhou: archive_paths [/old/]: archived pages with label and time, label without time,
  no label, a label with a 2026年1月5日 time; a 历史栏目 column whose articles carry no label;
  traps (nav link 已归档信息 on every page, a hidden stamp on a stale column page); reposts
  anywhere on the site (no repost_columns): on time, missing, 12 h 01 min, 11 h 59 min;
  plan stale edge.
- liuyang: 5 blank columns (3 top-level, 2 sub-columns; veto); a personnel list whose
  year-less dates ([01-10], [12-2x]) cross the new year; a no-date list whose newest article
  is fresh (部门动态); an article without 来源.
- liling: the neglected site: stale news (edge), stale sub-column news, stale top-level
  notice (edge), policy and 公示公告 = 5 counted stale columns (veto); home page with no
  item of the last 14 days (home.stale), though its personnel list is fresh.
- jianghua: 4 counted stale columns (no veto) plus a stale notice sub-column, which does not
  count; policy stale edge; a hidden archive stamp on a stale column page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

AS_OF_LOCAL = datetime(2026, 11, 21, 12, 0)  # AS_OF in Asia/Shanghai, naive


def _months_back(when: datetime, months: int) -> datetime:
    month = when.month - 1 - months
    return when.replace(year=when.year + month // 12, month=month % 12 + 1)


# How old a column's newest item may be, per class (checks.md columns.stale); calendar
# months and years. Classes not listed (static, other) have no cycle.
def cutoff(ctype: str, now: datetime = AS_OF_LOCAL) -> datetime | None:
    """The oldest newest-item time a column of class `ctype` may have and still be fresh."""
    if ctype == "news":
        return now - timedelta(days=14)
    if ctype in ("notice", "policy"):
        return _months_back(now, 6)
    if ctype in ("personnel", "plan"):
        return _months_back(now, 12)
    return None


HOME_WINDOW = timedelta(days=14)

# Class by name, as the issue states it (first matching class wins; every demo name matches
# at most one class, which tests/demo asserts).
CLASS_WORDS = (
    ("news", ("动态", "要闻", "新闻")),
    ("notice", ("通知", "公告", "公示")),
    ("policy", ("政策", "文件", "法规")),
    ("personnel", ("人事", "任免")),
    ("plan", ("规划", "计划")),
    ("static", ("概况", "简介", "机构", "领导", "职能")),
)
ARCHIVE_WORDS = ("历史", "归档", "旧版")
PLACEHOLDERS = ("暂无信息", "暂无数据", "正在建设中", "栏目维护中")


def classify(name: str) -> str:
    for ctype, words in CLASS_WORDS:
        if any(word in name for word in words):
            return ctype
    return "other"


# -- base columns: the newest item's day, where the plan pins it ---------------------------

NEWEST: dict[tuple[str, str], date] = {
    ("hunan", "news"): date(2026, 11, 8),  # fresh edge (13 days)
    ("liling", "news"): date(2026, 11, 6),  # stale edge (15 days)
    ("hnfgw", "notice"): date(2026, 5, 22),  # fresh edge
    ("liling", "notice"): date(2026, 5, 20),  # stale edge
    ("liling", "policy"): date(2026, 4, 30),
    ("changsha", "policy"): date(2026, 5, 22),  # fresh edge, listed as [05-22]
    ("jianghua", "notice"): date(2026, 4, 10),
    ("jianghua", "policy"): date(2026, 5, 20),  # stale edge, listed as 2026/05/20 hh:mm
    ("hunan", "personnel"): date(2025, 11, 22),  # fresh edge
    # Listed as [01-10], [12-2x], [12-xx]: the year-less dates cross the new year. (A [MM-DD]
    # list cannot show an item over a year old unambiguously: the demo keeps them younger.)
    ("liuyang", "personnel"): date(2026, 1, 10),
    ("hnqx", "personnel"): date(2025, 11, 20),  # stale edge
    ("govcn", "plan"): date(2025, 11, 22),  # fresh edge
    ("yongzhou", "plan"): date(2025, 11, 20),  # stale edge
    # zhuzhou: nothing of the last 14 days on any second-level page.
    ("zhuzhou", "news"): date(2026, 11, 1),
    ("zhuzhou", "notice"): date(2026, 10, 25),
    ("zhuzhou", "policy"): date(2026, 10, 10),
    ("zhuzhou", "personnel"): date(2026, 9, 15),
    ("zhuzhou", "plan"): date(2026, 8, 20),
}

# 机构概况 pages dated long ago: static columns have no update cycle.
STATIC_DAY = {"hunan": date(2019, 6, 10)}

# Home pages that show only navigation (no dated item at all).
NAV_ONLY_HOMES = ("hnqx", "zhuzhou")


# -- extra columns ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExtraColumn:
    """A column added to a site: top-level (in the main navigation) or a sub-column listed
    on its parent's page (`parent`: the parent's key: a base column type or another key)."""

    site: str
    key: str  # unique per site; also the URL slug for TRS and simple sites
    name: str
    newest: datetime | None = None  # newest article; None: a blank column
    count: int = 2  # articles
    gap_days: int = 9  # between consecutive articles
    parent: str | None = None
    placeholder: str | None = None  # shown instead of a list (blank columns)
    dated: bool = True  # the list shows dates
    hidden_stamp: bool = False  # trap: a display:none 已归档 stamp on the column page
    archive: str | None = None  # "label": the column page shows 已归档 with its time
    registry_type: str | None = None  # the registry `columns` entry gives this class


EXTRA_COLUMNS: tuple[ExtraColumn, ...] = (
    # hunan: a list without dates whose newest article (2026-11-06 15:00) is stale.
    ExtraColumn("hunan", "szdt", "市州动态", datetime(2026, 11, 6, 15, 0), dated=False),
    # hnfgw: 4 blank columns (no veto).
    ExtraColumn("hnfgw", "xyjs", "信用建设", placeholder="暂无信息"),
    ExtraColumn("hnfgw", "jgsf", "价格收费"),
    ExtraColumn("hnfgw", "xmsp", "项目审批", placeholder="栏目维护中"),
    ExtraColumn("hnfgw", "zbtb", "招标投标"),
    # zhuzhou: the name says nothing; the registry says news. Stale.
    ExtraColumn("zhuzhou", "gzxx", "工作信息", datetime(2026, 10, 28, 10, 0), registry_type="news"),
    # yongzhou: a 历史栏目 whose page is labelled but whose articles are not.
    ExtraColumn(
        "yongzhou", "lslm", "历史栏目", datetime(2018, 9, 12, 10, 0), gap_days=40, archive="label"
    ),
    # liuyang: 5 blank columns (veto), and a no-date list whose newest article is fresh.
    ExtraColumn("liuyang", "czyjs", "财政预决算"),
    ExtraColumn("liuyang", "zfcg", "政府采购", placeholder="暂无信息"),
    ExtraColumn("liuyang", "zdjsxm", "重大建设项目", placeholder="正在建设中"),
    ExtraColumn("liuyang", "zcjd", "政策解读", parent="policy"),
    ExtraColumn("liuyang", "gfxwj", "规范性文件", parent="policy", placeholder="暂无数据"),
    ExtraColumn("liuyang", "bmdt", "部门动态", datetime(2026, 11, 8, 10, 0), dated=False),
    # liling: with its stale news, notice and policy columns, 5 counted stale columns.
    ExtraColumn("liling", "xzdt", "乡镇动态", datetime(2026, 10, 20, 9, 30), parent="news"),
    ExtraColumn("liling", "gsgg", "公示公告", datetime(2026, 3, 2, 15, 0)),
    # jianghua: with its stale notice and policy columns, 4 counted stale columns, and a
    # stale notice sub-column that does not count.
    ExtraColumn("jianghua", "bmdt", "部门动态", datetime(2026, 10, 28, 16, 0), parent="news"),
    ExtraColumn("jianghua", "gfxwj", "规范性文件", datetime(2026, 3, 15, 10, 0), hidden_stamp=True),
    ExtraColumn("jianghua", "gsgg", "公示公告", datetime(2026, 2, 1, 9, 0), parent="notice"),
)

# A hidden 已归档 stamp on these base column pages (a trap: they are not archived).
HIDDEN_STAMPS = {("yongzhou", "plan")}


# -- archived pages (yongzhou, archive_paths [/old/]) ----------------------------------------

ARCHIVE_SITE = "yongzhou"
ARCHIVE_PATH = "/old/"
ARCHIVE_COLUMN_NAME = "已归档信息"  # in the main navigation of every page: a trap for them


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    title: str
    published: datetime
    label: str | None  # the visible label's text; None: no label


# Label texts. A time "next to the label" is one inside the label's own element.
LABEL_WITH_TIME = "已归档　归档时间：2025-12-31"
LABEL_WITHOUT_TIME = "本信息已归档，仅供查阅"
LABEL_CN_TIME = "已归档　2026年1月5日 归档"
HIDDEN_STAMP = "已归档 归档时间：2024-06-30"

ARCHIVE_INDEX_LABEL = "本栏目信息已归档　归档时间：2025-12-31"
ARCHIVED_PAGES: tuple[ArchivedPage, ...] = (
    ArchivedPage("永州市2019年春季农业生产工作会议召开", datetime(2019, 3, 5, 9), LABEL_WITH_TIME),
    ArchivedPage(
        "永州市2019年重点项目建设情况通报", datetime(2019, 5, 16, 10, 30), LABEL_WITHOUT_TIME
    ),
    ArchivedPage("永州市2018年度政务公开工作总结", datetime(2019, 1, 22, 15), None),
    ArchivedPage("永州市2019年防汛抗旱工作方案", datetime(2019, 4, 8, 11), LABEL_CN_TIME),
)


# -- the 12-hour repost rule ---------------------------------------------------------------

# Important columns of the portals: (key, path, name).
IMPORTANT_COLUMNS = {
    "govcn": ("zxwj", "/zxwj/", "最新文件"),
    "hunan": ("zwgk/zcwj", "/zwgk/zcwj/", "省政府文件"),
}


@dataclass(frozen=True, slots=True)
class SourceItem:
    key: str
    portal: str
    title: str
    published: datetime


SOURCES: tuple[SourceItem, ...] = (
    SourceItem(
        "G1", "govcn", "国务院关于进一步优化营商环境降低制度性交易成本的意见",
        datetime(2026, 11, 18, 9, 30),
    ),
    SourceItem(
        "G2", "govcn",
        "国务院办公厅关于印发《城市燃气管道等老化更新改造实施方案（2026—2030年）》的通知",
        datetime(2026, 11, 19, 20, 0),
    ),
    SourceItem(
        "G3", "govcn", "国务院关于促进银发经济发展增进老年人福祉的意见",
        datetime(2026, 11, 20, 8, 0),
    ),
    # Published 6 hours before AS_OF: its 12 hours have not passed.
    SourceItem(
        "G4", "govcn", "国务院办公厅关于加快构建废弃物循环利用体系的意见",
        datetime(2026, 11, 21, 6, 0),
    ),
    SourceItem(
        "H1", "hunan", "湖南省人民政府办公厅关于加快发展低空经济的实施意见",
        datetime(2026, 11, 17, 10, 0),
    ),
    SourceItem(
        "H2", "hunan", "湖南省人民政府关于公布第六批省级非物质文化遗产代表性项目名录的通知",
        datetime(2026, 11, 19, 16, 0),
    ),
    SourceItem(
        "H3", "hunan", "湖南省人民政府办公厅关于建立全省湘菜产业高质量发展工作机制的通知",
        datetime(2026, 11, 20, 15, 0),
    ),
    # Published 13 hours before AS_OF: due an hour ago.
    SourceItem(
        "H4", "hunan", "湖南省人民政府关于调整全省最低工资标准的通知",
        datetime(2026, 11, 20, 23, 0),
    ),
)  # fmt: skip
SOURCE_BY_KEY = {s.key: s for s in SOURCES}

REPOST_FROM = ("govcn", "hunan")
# Sites that must repost, and the key of their repost column (None: anywhere on the site).
REPOST_SITES: dict[str, str | None] = {"changsha": "sjwj", "yongzhou": None}
REPOST_COLUMN_NAME = "上级文件"


@dataclass(frozen=True, slots=True)
class Repost:
    site: str
    source: str  # SourceItem.key
    delay: timedelta  # repost published minus source published
    title: str  # as the repost shows it
    column: str  # column key the repost is listed in


def _h(hours: int, minutes: int = 0) -> timedelta:
    return timedelta(hours=hours, minutes=minutes)


# (site, source, delay, column key, title as the repost shows it)
_REPOSTS = (
    # changsha (repost column 上级文件). Not reposted: H2 (missing), H4 (due, missing),
    # G4 (not yet due). H3 is reposted in the news column, not the repost column: missing.
    ("changsha", "G1", _h(2), "sjwj", "转载：国务院关于进一步优化营商环境降低制度性交易成本的意见"),
    ("changsha", "G2", _h(11, 59), "sjwj",
     "国务院办公厅关于印发《城市燃气管道等老化更新改造实施方案(2026—2030年)》的通知"),
    ("changsha", "G3", _h(12, 1), "sjwj", "【转发】国务院关于促进银发经济发展增进老年人福祉的意见"),
    ("changsha", "H1", _h(2), "sjwj",
     "【重要文件】湖南省人民政府办公厅关于加快发展低空经济的实施意见"),
    ("changsha", "H3", _h(1), "news",
     "湖南省人民政府办公厅关于建立全省湘菜产业高质量发展工作机制的通知"),
    # yongzhou (anywhere on the site). Not reposted: G2 (missing).
    ("yongzhou", "G1", _h(3), "policy", "国务院关于进一步优化营商环境 降低制度性交易成本的意见"),
    ("yongzhou", "G3", _h(2), "news", "转发：国务院关于促进银发经济发展增进老年人福祉的意见"),
    ("yongzhou", "G4", _h(2), "policy", "国务院办公厅关于加快构建废弃物循环利用体系的意见"),
    ("yongzhou", "H1", _h(12, 1), "policy",
     "转载:湖南省人民政府办公厅关于加快发展低空经济的实施意见"),
    ("yongzhou", "H2", _h(11, 59), "policy",
     "【政策文件】湖南省人民政府关于公布第六批省级非物质文化遗产代表性项目名录的通知"),
    ("yongzhou", "H3", _h(2), "news",
     "湖南省人民政府办公厅关于建立全省湘菜产业高质量发展工作机制的通知"),
    ("yongzhou", "H4", _h(10), "policy", "转载：湖南省人民政府关于调整全省最低工资标准的通知"),
)  # fmt: skip
REPOSTS: tuple[Repost, ...] = tuple(
    Repost(site, source, delay, title, column) for site, source, delay, column, title in _REPOSTS
)
REPOST_SOURCE_NAME = {"govcn": "中国政府网", "hunan": "湖南省人民政府门户网站"}


# -- article metadata ------------------------------------------------------------------------

# (site, column type, index in the column, fault). Faults: "no-source" (neither a visible
# 来源 nor ContentSource meta), "no-pubdate" (neither a visible time nor PubDate meta; the
# page moves to a URL without a date), "meta-pubdate-only" (no visible time, PubDate meta
# kept: the page has a publication time, no finding).
META_FAULTS: tuple[tuple[str, str, int, str], ...] = (
    ("hunan", "news", 5, "no-source"),
    ("liuyang", "notice", 1, "no-source"),
    ("hnqx", "personnel", 1, "no-pubdate"),
    ("govcn", "news", 4, "meta-pubdate-only"),
)
