"""What makes a report an official document (公文): 发文机关, 文号, 主送, 印发日期 and the
整改期限, given at report time (`govwatch report --issuer --doc-number --issue-date
--deadline`) or taken from the `[report]` settings. Plain values; every renderer (HTML, XLSX,
DOCX, PDF) prints the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.settings import ReportSettings


class OfficialError(ValueError):
    """A bad option value; the message is one line of Chinese."""


@dataclass(frozen=True, slots=True)
class Official:
    issuer: str  # 发文机关 ("" when not set: the document shows a blank to fill in)
    doc_number: str  # 文号, e.g. 湘政办网〔2026〕12号
    recipients: str  # 主送机关
    issue_date: date  # 印发日期 (成文日期)
    deadline: date  # 整改期限: rectification is due by the end of this day

    @property
    def issuer_text(self) -> str:
        return self.issuer or "（发文机关）"

    @property
    def doc_number_text(self) -> str:
        return self.doc_number or f"〔{self.issue_date.year}〕　号"

    @property
    def issue_date_text(self) -> str:
        return cn_date(self.issue_date)

    @property
    def deadline_text(self) -> str:
        return cn_date(self.deadline)


def cn_date(day: date) -> str:
    """成文日期 as GB/T 9704-2012 writes it: Arabic numerals, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise OfficialError(f"{option} 日期格式无效: {text!r}（应为 2026-12-31 这样的年-月-日）"
                            ) from None


def official(settings: ReportSettings, now: datetime, *, issuer: str | None = None,
             doc_number: str | None = None, issue_date: str | None = None,
             deadline: str | None = None) -> Official:
    """The document's heading and closing: options first, else the settings; the issue date
    defaults to the day of `now`, the deadline to `deadline_days` after the issue date."""
    issued = parse_date(issue_date, "--issue-date") if issue_date else now.date()
    due = (parse_date(deadline, "--deadline") if deadline
           else issued + timedelta(days=settings.deadline_days))
    if due < issued:
        raise OfficialError(f"整改期限 {due.isoformat()} 早于印发日期 {issued.isoformat()}")
    texts = {"--issuer": issuer, "--doc-number": doc_number}
    for option, value in texts.items():
        if value is not None and (len(value) > 200 or any(ch in value for ch in "\r\n")):
            raise OfficialError(f"{option} 应为一行文字（不超过 200 个字符）")
    return Official(
        issuer=(issuer if issuer is not None else settings.issuer).strip(),
        doc_number=(doc_number if doc_number is not None else settings.doc_number).strip(),
        recipients=settings.recipients.strip() or "各有关单位",
        issue_date=issued, deadline=due)
