"""Pages the demo world adds for issue 12's ads, fake-date, consultation and 办事指南 checks.

Declared as data, like sites.py: each `ExtraPage` is one page (its body written here), the
link that reaches it (from an existing page, through the same extras mechanism as the link
plants) and the findings it must raise. Positives and near misses:

- content.commercial-ads: an ad-network script plus a 广告-labelled slot (hnqx), a
  广告位招租 slot (liling); near misses: a 公益广告 block, the site's own banner and a headline
  about illegal advertising (yongzhou, changsha);
- content.fake-dates: a list of 8 items all dated the world's day (zhuzhou); near misses: 8
  items of which one is from the day before (hunan), 6 items all of the day (jianghua: fewer
  than min_items);
- interaction.unanswered: a 领导信箱 table with a message unanswered for 5 months (changsha,
  reached from its home page's 领导信箱 entry, so its channel works); near misses in it: a
  message still within 3 months, one older than 12 months, answered ones; a 政务咨询 list of
  labelled entries all answered or recent (govcn); the dead 市长信箱 entry of zhuzhou is a
  link plant (sites.py) and the channel finding is derived from it here;
- service.guide-incomplete: five guides missing 4 or more elements (yongzhou: vetoes), one
  (liuyang: a deduction), and near misses: a complete guide labelled with synonyms and one
  missing only 3 elements (liuyang).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from govwatch.demo.sites import CHANNEL_DEAD

AD_HOST = "cpro.baidustatic.com"
AD_SCRIPT = f"http://{AD_HOST}/cpro/ui/c.js"
AD_SCRIPT_BODY = b"/* demo ad-network script */\nvar cpro_id = 'u1234567';\n"
DAY = "2026-11-21"  # the world's day (AS_OF)


@dataclass(frozen=True, slots=True)
class ExtraPage:
    site: str
    path: str
    title: str
    body: str  # HTML of the page's main block
    link_from: str  # page selector (sites.Placement) of the page linking to it
    link_text: str
    # (check, severity) of each finding the page raises (url = page = this page).
    findings: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _table(rows: list[tuple[str, str]], head: tuple[str, str] | None = None) -> str:
    lines = ['<table class="bszn">']
    if head:
        lines.append(f"<tr><th>{escape(head[0])}</th><th>{escape(head[1])}</th></tr>")
    lines += [f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
              for label, value in rows]
    return "\n".join([*lines, "</table>"])


_VALUES = {
    "事项名称": "{item}",
    "设定依据": "《中华人民共和国行政许可法》第十二条",
    "申请条件": "申请人为本行政区域内的公民或法人",
    "办理材料": "申请表、身份证明原件及复印件",
    "申请材料": "申请表、身份证明原件及复印件",
    "办理地点": "市民之家二楼综合窗口",
    "受理地点": "市民之家二楼综合窗口",
    "办理机构": "{org}",
    "实施主体": "{org}",
    "收费标准": "不收费",
    "承诺时限": "5个工作日",
    "办理时间": "工作日上午9:00-12:00，下午13:30-17:00",
    "咨询电话": "0731-88665000",
    "联系电话": "0731-88665000",
    "办理流程": "申请、受理、审查、决定、送达",
}


def _guide(item: str, org: str, labels: tuple[str, ...], style: str = "table") -> str:
    rows = [(label, _VALUES[label].format(item=item, org=org)) for label in labels]
    heading = f"<h2>{escape(item)}办事指南</h2>"
    if style == "dl":
        body = "".join(f"<dl><dt>{escape(k)}：</dt><dd>{escape(v)}</dd></dl>" for k, v in rows)
        return heading + f'<div class="bszn">{body}</div>'
    return heading + _table(rows)


_INCOMPLETE_4 = ("事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理机构")
_INCOMPLETE_5 = ("事项名称", "申请条件", "申请材料", "联系电话", "办理时间")
_MISSING_3 = ("事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理机构", "联系电话")
_COMPLETE = ("事项名称", "设定依据", "申请条件", "申请材料", "受理地点", "实施主体", "收费标准",
             "承诺时限", "咨询电话", "办理流程")

_YONGZHOU_GUIDES = (
    ("个体工商户设立登记", _INCOMPLETE_4, "table"),
    ("户口迁移", _INCOMPLETE_5, "dl"),
    ("城乡居民医疗保险参保登记", _INCOMPLETE_4, "table"),
    ("残疾人证办理", _INCOMPLETE_5, "dl"),
    ("建设工程规划许可", _INCOMPLETE_4, "table"),
)


def _messages_table() -> str:
    rows = (
        ("关于小区周边道路施工噪音扰民的投诉", "2026-06-10", "", "办理中"),
        ("咨询住房公积金提取办理流程", "2026-07-02", "2026-07-08", "已回复"),
        ("建议增设往返高铁站的公交线路", "2026-10-15", "", "待回复"),
        ("反映老旧小区改造进度缓慢", "2025-09-20", "", "未回复"),
        ("咨询新生儿落户需要哪些材料", "2026-03-05", "2026-03-20", "已办结"),
    )
    lines = ['<table class="xjlb">',
             "<tr><th>信件标题</th><th>来信时间</th><th>回复时间</th><th>办理状态</th></tr>"]
    lines += [f"<tr><td>{escape(t)}</td><td>{a}</td><td>{r}</td><td>{s}</td></tr>"
              for t, a, r, s in rows]
    return "<h2>领导信箱</h2>" + "\n".join([*lines, "</table>"])


def _consult_entries() -> str:
    entries = (
        ("国务院关于进一步优化营商环境的政策咨询", "2026-05-10", "2026-05-15", "已回复"),
        ("关于跨省异地就医直接结算的咨询", "2026-08-03", "2026-08-20", "已答复"),
        ("关于灵活就业人员参保的咨询", "2026-11-02", "", "待回复"),
    )
    items = "".join(
        f"<li><span class=\"t\">{escape(t)}</span> 提问时间：{a} 回复时间：{r} 状态：{s}</li>"
        for t, a, r, s in entries)
    return f'<h2>政务咨询</h2><ul class="zxlb">{items}</ul>'


def _dated_list(heading: str, entries: list[tuple[str, str, str]]) -> str:
    items = "".join(
        f'<li><a href="{escape(href)}">{escape(title)}</a><span>{date}</span></li>'
        for title, href, date in entries)
    return f'<div class="box"><h3>{escape(heading)}</h3><ul class="list">{items}</ul></div>'


def pages(articles: dict[str, list[tuple[str, str]]], orgs: dict[str, str]
          ) -> tuple[ExtraPage, ...]:
    """Every extra page; `articles[site]` is (title, path) of the site's articles newest
    first (the fake-date lists link to them), `orgs[site]` its organisation's name."""

    def listing(site: str, count: int, dates: list[str]) -> list[tuple[str, str, str]]:
        return [(title, path, date) for (title, path), date
                in zip(articles[site][:count], dates, strict=True)]

    out = [
        ExtraPage(
            "hnqx", "/bmfw/shfw.html", "生活服务", link_from="static:0", link_text="生活服务",
            body=(f'<script type="text/javascript" src="{AD_SCRIPT}"></script>'
                  '<div class="side-ad"><span class="tag">广告</span>'
                  "<p>星河湾·云境 火热认购中 首付5万起 咨询热线 0731-88886666</p></div>"
                  "<p>本栏目提供生活气象指数、交通气象等便民服务信息。</p>"),
            findings=(("content.commercial-ads", "deduct"),),
        ),
        ExtraPage(
            "liling", "/ztzl/bmxx.html", "便民信息", link_from="static:0", link_text="便民信息",
            body=('<div class="ad-slot"><span>【广告位招租】</span>'
                  "<p>本位置长期招租，欢迎来电洽谈。</p></div>"
                  "<p>醴陵市便民服务信息汇总。</p>"),
            findings=(("content.commercial-ads", "deduct"),),
        ),
        ExtraPage(
            "yongzhou", "/ztzl/gygg.html", "公益广告", link_from="static:0", link_text="公益广告",
            body=('<div class="gy"><em>公益广告</em><p>节约用水 人人有责</p></div>'
                  "<h3>关于开展违法广告专项整治行动的通知</h3>"
                  "<p>各县区市场监管部门要加强户外广告和互联网广告监测。</p>"),
        ),
        ExtraPage(
            "changsha", "/ztzl/zwfw.html", "政务服务专区", link_from="static:0",
            link_text="政务服务专区",
            body=('<div class="banner"><a href="/"><img src="/images/banner.png" '
                  'alt="学习贯彻党的二十届四中全会精神"></a></div>'
                  "<p>长沙市政务服务事项统一入口。</p>"),
        ),
        ExtraPage(
            "zhuzhou", "/zwdt/jrtt.html", "今日头条", link_from="static:0", link_text="今日头条",
            body=_dated_list("今日头条", listing("zhuzhou", 8, [DAY] * 8)),
            findings=(("content.fake-dates", "notice"),),
        ),
        ExtraPage(
            "hunan", "/zwdt/rdjj.html", "热点聚焦", link_from="static:0", link_text="热点聚焦",
            body=_dated_list("热点聚焦", listing("hunan", 8, [DAY] * 7 + ["2026-11-20"])),
        ),
        ExtraPage(
            "jianghua", "/zwdt/jryw.html", "今日要闻", link_from="static:0", link_text="今日要闻",
            body=_dated_list("今日要闻", listing("jianghua", 6, [DAY] * 6)),
        ),
        ExtraPage(
            "changsha", "/hdjl/ldxx/index.html", "领导信箱", link_from="home", link_text="领导信箱",
            body=_messages_table(),
            findings=(("interaction.unanswered", "veto"),),
        ),
        ExtraPage(
            "govcn", "/hdjl/zxzx/index.html", "政务咨询", link_from="home", link_text="我要咨询",
            body=_consult_entries(),
        ),
    ]
    for i, (item, labels, style) in enumerate(_YONGZHOU_GUIDES, start=1):
        out.append(ExtraPage(
            "yongzhou", f"/bszn/{i}.html", f"{item}办事指南", link_from="static:0",
            link_text=f"{item}办事指南", body=_guide(item, orgs["yongzhou"], labels, style),
            findings=(("service.guide-incomplete", "veto"),),
        ))
    for i, (item, labels, finding) in enumerate((
            ("企业投资项目备案", _INCOMPLETE_4, True),
            ("再生育审批", _COMPLETE, False),
            ("义务教育入学登记", _MISSING_3, False)), start=1):
        out.append(ExtraPage(
            "liuyang", f"/bszn/{i}.html", f"{item}办事指南", link_from="static:0",
            link_text=f"{item}办事指南", body=_guide(item, orgs["liuyang"], labels),
            findings=(("service.guide-incomplete", "deduct"),) if finding else (),
        ))
    return tuple(out)


def channel_findings(home_of: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """interaction.unanswered at the home page of the site whose only 信箱 entry is dead."""
    site, target, _text = CHANNEL_DEAD
    return [(site, "interaction.unanswered", target, home_of[site])]
