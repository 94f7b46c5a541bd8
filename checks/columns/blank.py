"""columns.blank — 空白栏目（有栏目无内容）.

Rule: 检查指标 and 2015评分表 (空白栏目数量超过(含)5个即单项否决); 山西办法 第十条 (信息科学分类、
及时更新); 德州办法 第四十一条(一).
Measured on the columns of `checks.columns.discover`: a column whose page loaded (2xx) and
either shows a placeholder instead of content (暂无信息, 暂无数据, 正在建设中, 栏目维护中), or
is a list column that lists no item.
List column or single-page column: a column is a single-page column (联系我们, 机构职能,
领导简介, 网站声明: one piece of content such as an address, phone numbers, paragraphs) when
its page shows no placeholder, is not a list page by the extractor's judgement (a pager under
its list, or one list holding most of its entries), none of its items has a date, and the
page carries at least 50 characters (setting `[columns] single_page_text_min`) of text of
its own (visible text outside header, footer, list items and links, whitespace excluded; an
empty list page's breadcrumb, headings and pager stay below it) and more than the titles of
its listed items (a sidebar of links beside the content is no list).
Every other column is a list column, and so is any column the registry types as news,
notice, policy, personnel or plan, whatever its page shows. A single-page column is never
blank (nor stale: it has no update cycle).
An empty list is not blank either for an archived column (frozen, not unfilled), a
概况/机构/领导 column (static: its content is the page itself), or an unclassified column
whose page is content of another kind (the extractor judged it an article, or it is a landing
page linking to its own sub-columns, i.e. to columns under its path). One finding per column;
when the site has `veto_count` (5) or more blank columns every one of them has severity veto.
(The catalogue's other veto, stale + blank columns >= 10, is carried by the `columns.stale`
findings: the site fails either way.)
Fix: fill the column with its content, or remove it from the navigation.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.columns.common import blank_columns, column_finding

RULE = Rule(
    code="columns.blank",
    title="存在空白栏目",
    severity=Severity.DEDUCT,
    reference="zhibiao-2019; pucha-2015; shanxi-2018 第十条; dezhou-2013 第四十一条(一)",
    scope="page",
    options=MappingProxyType({"veto_count": 5}),
    fix="为空白栏目补充应有的内容；暂不具备内容保障条件的栏目应从导航中撤下，不得以“暂无信息”"
    "“正在建设中”等占位。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    blank = blank_columns(site)
    limit = ctx.options["veto_count"]
    veto = f"全站空白栏目 {len(blank)} 个（达到 {limit} 个）" if len(blank) >= limit else None
    for column, reason in blank:
        yield column_finding(
            RULE, ctx, column, f"栏目“{column.name}”为空白栏目：{reason}", veto,
            {"reason": reason, "placeholder": column.placeholder, "items": len(column.items),
             "status": column.status, "blank_total": len(blank)},
        )
