"""The re-check audit trail (table `finding_rechecks`, migration 0006): one row per
“立即复核” that reached a verdict — who asked, when, what was seen, and the result.

Separate from `findings.evidence` on purpose: every check pass rewrites a finding's evidence,
and the moment the trail matters most is when a later crawl reopens a finding a webmaster had
marked fixed. Rows are only ever added. SQLAlchemy Core, not an ORM model: nothing but the
dashboard reads it (like 0005's scheduler table, it is not part of store.models).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.orm import Session

from store.models import NAMING_CONVENTION, TZDateTime

RESULTS = {"fixed": "已整改", "open": "仍存在", "failed": "无法复核"}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
rechecks = Table(
    "finding_rechecks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("finding_id", Integer, nullable=False, index=True),  # findings.id (FK in 0006)
    Column("checked_at", TZDateTime(), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("result", String(16), nullable=False),  # fixed | open | failed
    Column("detail", Text, nullable=False),  # what was seen (Chinese), e.g. "HTTP 404"
)


@dataclass(frozen=True, slots=True)
class Recheck:
    checked_at: datetime
    user_name: str
    result: str
    detail: str

    @property
    def result_label(self) -> str:
        return RESULTS.get(self.result, self.result)


def record(session: Session, finding_id: int, at: datetime, user: str, result: str,
           detail: str) -> None:
    session.execute(insert(rechecks).values(
        finding_id=finding_id, checked_at=at, user_name=user[:64], result=result,
        detail=detail[:2000]))


def history(session: Session, finding_id: int) -> list[Recheck]:
    """The finding's re-checks, newest first."""
    rows = session.execute(
        select(rechecks.c.checked_at, rechecks.c.user_name, rechecks.c.result,
               rechecks.c.detail)
        .where(rechecks.c.finding_id == finding_id)
        .order_by(rechecks.c.checked_at.desc(), rechecks.c.id.desc()))
    return [Recheck(*row) for row in rows]
