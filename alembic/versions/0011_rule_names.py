"""rule names: stored findings cite regulations by title, not by file name

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Findings stored before regulations were cited by name carry `rule` texts such as
`001_d42a7317affeaaf8.txt 第十九条(四); 检查指标`: the names of the files the regulations were
read from, and the project's shorthand for the national documents. This rewrites each distinct
text with every document named by its title (《永州市政府网站建设管理办法》第十九条（四）；
《政府网站与政务新媒体检查指标》), articles kept. The mapping is frozen here, as it was when
those findings were stored. Which documents bind which site is a setting the migration cannot
see, so an upgraded finding keeps citing every document it cited; the next check pass rewrites
it with only those that bind its site. Downgrade leaves the texts as they are (they stay
readable).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

LEGACY = {
    "000_bbadca5fb3fd911a.txt": "德州市政府网站管理办法",
    "001_d42a7317affeaaf8.txt": "永州市政府网站建设管理办法",
    "002_655fc4a34a353964.txt": "山西省政府网站管理办法",
    "003_1673dacf3a3a2bf6.txt": "贵阳市人民政府办公厅关于贯彻落实〈政府网站发展指引〉的实施意见",
    "004_b0446378cfbf4312.txt": "东城区数字东城网站管理办法",
    "发展指引": "政府网站发展指引",
    "检查指标": "政府网站与政务新媒体检查指标",
    "2015评分表": "全国政府网站普查评分表",
}
PATTERN = re.compile("|".join(re.escape(k) for k in sorted(LEGACY, key=len, reverse=True)))


def by_name(text: str) -> str:
    """A stored citation with each document named by its title (idempotent)."""
    if not text or "《" in text or not PATTERN.search(text):
        return text
    out = []
    for part in (p.strip() for p in text.split(";")):
        if part:
            part = PATTERN.sub(lambda m: f"《{LEGACY[m.group(0)]}》", part, count=1)
            out.append(re.sub(r"》\s+", "》", part).translate(str.maketrans("()", "（）")))
    return "；".join(out)


def upgrade() -> None:
    findings = sa.table("findings", sa.column("rule", sa.String))
    bind = op.get_bind()
    texts = [row[0] for row in bind.execute(sa.select(findings.c.rule).distinct())]
    for old in texts:
        new = by_name(old)
        if new != old:
            bind.execute(findings.update().where(findings.c.rule == old).values(rule=new))


def downgrade() -> None:
    pass
