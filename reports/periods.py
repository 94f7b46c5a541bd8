"""Report periods: a calendar month, quarter or year in the supervisors' time zone.

`2026-10` (monthly), `2026-Q3` (quarterly) and `2026` (annual), as the contract's `report` verb
takes them. A period is the half-open interval [start, end) of local midnights (Asia/Shanghai by
default), so a finding seen at 2026-10-31 23:59 +08:00 belongs to October even though it is
still the 31st 15:59 in UTC; months and years are calendar ones (检查指标 note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

KINDS = ("monthly", "quarterly", "annual")
KIND_LABELS = {"monthly": "月度", "quarterly": "季度", "annual": "年度"}
QUARTER_LABELS = ("一", "二", "三", "四")
_PATTERNS = {
    "monthly": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarterly": re.compile(r"^(\d{4})-[Qq]([1-4])$"),
    "annual": re.compile(r"^(\d{4})$"),
}
_EXAMPLES = {"monthly": "2026-10", "quarterly": "2026-Q3", "annual": "2026"}


class PeriodError(ValueError):
    """A period that cannot be parsed; the message is one line of Chinese."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # monthly | quarterly | annual
    year: int
    index: int  # month 1-12, quarter 1-4, or 1 for a year
    tz: str = "Asia/Shanghai"

    @property
    def first_month(self) -> int:
        if self.kind == "monthly":
            return self.index
        if self.kind == "quarterly":
            return 3 * (self.index - 1) + 1
        return 1

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.kind]

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.first_month, 1, tzinfo=ZoneInfo(self.tz))

    @property
    def end(self) -> datetime:
        """The first instant after the period (exclusive)."""
        year, month = _add_months(self.year, self.first_month, self.months)
        return datetime(year, month, 1, tzinfo=ZoneInfo(self.tz))

    @property
    def code(self) -> str:
        """As typed on the command line: 2026-10, 2026-Q3, 2026."""
        if self.kind == "monthly":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarterly":
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        """As a Chinese document names it: 2026年10月, 2026年第三季度, 2026年."""
        if self.kind == "monthly":
            return f"{self.year}年{self.index}月"
        if self.kind == "quarterly":
            return f"{self.year}年第{QUARTER_LABELS[self.index - 1]}季度"
        return f"{self.year}年"

    @property
    def short_label(self) -> str:
        """For chart axes and table headers: 10月, Q3, 2026."""
        if self.kind == "monthly":
            return f"{self.year % 100:02d}年{self.index}月"
        if self.kind == "quarterly":
            return f"{self.year % 100:02d}年Q{self.index}"
        return f"{self.year}年"

    def previous(self) -> Period:
        return self.shifted(-1)

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods later (negative: earlier), of the same kind."""
        per_year = {"monthly": 12, "quarterly": 4, "annual": 1}[self.kind]
        ordinal = self.year * per_year + (self.index - 1) + steps
        return Period(self.kind, ordinal // per_year, ordinal % per_year + 1, self.tz)

    def last(self, count: int) -> tuple[Period, ...]:
        """The `count` periods ending with this one, oldest first."""
        return tuple(self.shifted(step) for step in range(1 - count, 1))

    def months_within(self) -> tuple[Period, ...]:
        """The calendar months of this period, in order."""
        return tuple(
            Period("monthly", self.year, self.first_month + i, self.tz) for i in range(self.months)
        )


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    ordinal = year * 12 + (month - 1) + count
    return ordinal // 12, ordinal % 12 + 1


def parse_period(kind: str, text: str, tz: str = "Asia/Shanghai") -> Period:
    """Parse the `--period` of a `kind` report; a mismatch raises PeriodError (one line)."""
    if kind not in _PATTERNS:
        raise PeriodError(f"未知的报告类型 {kind!r}（可用: {'、'.join(KINDS)}）")
    value = text.strip()
    match = _PATTERNS[kind].match(value)
    if match is None:
        raise PeriodError(
            f"{KIND_LABELS[kind]}报告的 --period 应写作 {_EXAMPLES[kind]} 这样的形式，"
            f"而不是 {text!r}"
        )
    year = int(match.group(1))
    index = int(match.group(2)) if kind != "annual" else 1
    if not 2000 <= year <= 2999:
        raise PeriodError(f"--period 的年份 {year} 超出范围（2000–2999）")
    if kind == "monthly" and not 1 <= index <= 12:
        raise PeriodError(f"--period 的月份 {index} 无效（应为 01–12）")
    return Period(kind, year, index, tz)
