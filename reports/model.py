"""The report as plain values: what build.py computes and render.py / xlsx.py print.

No ORM objects and no logic for templates: every number and label a document shows is here,
already formatted where formatting is a decision (scores, rates, dates), so HTML, XLSX and
PDF say exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reports.official import Official

LEVEL_LABELS = {
    "national": "国家级",
    "province": "省级",
    "city": "市级",
    "county": "县级",
    "department": "部门",
}


def fmt_number(value: float | None, digits: int = 2) -> str:
    """100 -> "100", 97.3 -> "97.3", 0.25 -> "0.25"; None -> "—"."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


@dataclass(frozen=True, slots=True)
class SiteInfo:
    id: str
    name: str
    url: str
    level: str
    sponsor: str = ""  # 主办单位 ("" when the registry names none)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)


@dataclass(frozen=True, slots=True)
class CheckRef:
    code: str
    title: str


@dataclass(frozen=True, slots=True)
class DeductionRow:
    code: str
    title: str
    findings: int
    points: float
    capped: bool


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site's result for the period."""

    site: SiteInfo
    rank: int
    score: float
    deducted: float
    passed: bool
    vetoes: tuple[CheckRef, ...]
    deductions: tuple[DeductionRow, ...]
    veto_findings: int
    deduct_findings: int
    notice_findings: int
    new: int
    persisting: int
    fixed: int
    open_at_end: int
    previous_score: float | None  # None: not inspected in the previous period
    previous_passed: bool | None
    trend: tuple[float | None, ...]  # scores over Report.trend_periods (None: not inspected)
    overdue: int = 0  # 超期未整改 at the report's cutoff (Report.overdue_as_of)

    @property
    def findings(self) -> int:
        return self.veto_findings + self.deduct_findings + self.notice_findings

    @property
    def result(self) -> str:
        return "合格" if self.passed else "不合格"

    @property
    def score_text(self) -> str:
        return fmt_number(self.score)

    @property
    def change_text(self) -> str:
        """Score change against the previous period: +2.5, -1, 0, or — (not inspected)."""
        if self.previous_score is None:
            return "—"
        delta = round(self.score - self.previous_score, 2)
        return ("+" if delta > 0 else "") + fmt_number(delta)

    @property
    def reasons(self) -> str:
        """Why the site failed, in one line: its veto checks, else its score."""
        if self.vetoes:
            return "单项否决：" + "；".join(v.title for v in self.vetoes)
        if not self.passed:
            return f"得分 {self.score_text} 低于合格线"
        return ""

    @property
    def main_problems(self) -> str:
        items = [f"{d.title} {d.findings} 处，扣 {fmt_number(d.points)} 分"
                 for d in self.deductions[:3]]
        return "；".join(items)


@dataclass(frozen=True, slots=True)
class PeriodStat:
    """Totals of one period (this one, the previous one, or one of the trend)."""

    code: str
    label: str
    short_label: str
    inspected: int
    passed: int
    pass_rate: float | None
    findings: int
    new: int
    fixed: int
    veto_sites: int
    average_score: float | None

    @property
    def failed(self) -> int:
        return self.inspected - self.passed

    @property
    def pass_rate_text(self) -> str:
        return fmt_rate(self.pass_rate)


@dataclass(frozen=True, slots=True)
class LevelRow:
    level: str
    label: str
    inspected: int
    passed: int
    pass_rate: float | None
    average_score: float | None
    findings: int

    @property
    def failed(self) -> int:
        return self.inspected - self.passed

    @property
    def pass_rate_text(self) -> str:
        return fmt_rate(self.pass_rate)


@dataclass(frozen=True, slots=True)
class CheckRow:
    code: str
    title: str
    severity: str  # the most severe severity among its findings
    severity_label: str
    findings: int
    sites: int
    veto: int
    deduct: int
    notice: int
    new: int
    fixed: int
    open_at_end: int

    @property
    def severity_text(self) -> str:
        """What kind of problem this is, counted by finding: a check whose findings are only
        partly vetoes is not labelled 单项否决 as a whole."""
        return severity_text(self.veto, self.deduct, self.notice)


def severity_text(veto: int, deduct: int, notice: int) -> str:
    """单项否决 / 扣分 / 提示 when all findings are one kind, else each kind with its count."""
    kinds = [(label, n) for label, n in (("单项否决", veto), ("扣分", deduct), ("提示", notice))
             if n]
    if len(kinds) <= 1:
        return kinds[0][0] if kinds else "—"
    return "、".join(f"{label} {n} 处" for label, n in kinds)


@dataclass(frozen=True, slots=True)
class Example:
    site_id: str
    site_name: str
    url: str
    page: str
    message: str


@dataclass(frozen=True, slots=True)
class TypicalProblem:
    code: str
    title: str
    severity_label: str
    sites: int
    findings: int
    fix: str
    examples: tuple[Example, ...]
    veto: int = 0  # of `findings`, those of severity veto

    @property
    def severity_text(self) -> str:
        return severity_text(self.veto, self.findings - self.veto, 0)


@dataclass(frozen=True, slots=True)
class FixTimeRow:
    code: str
    title: str
    fixed: int
    median_days: float | None
    mean_days: float | None
    max_days: float | None

    @property
    def median_text(self) -> str:
        return fmt_number(self.median_days, 1)

    @property
    def mean_text(self) -> str:
        return fmt_number(self.mean_days, 1)

    @property
    def max_text(self) -> str:
        return fmt_number(self.max_days, 1)


@dataclass(frozen=True, slots=True)
class StratumRow:
    level: str
    label: str
    population: int
    drawn: int


@dataclass(frozen=True, slots=True)
class SampleView:
    rate: float
    seed: str
    method: str
    size: int
    population: int
    digest: str
    strata: tuple[StratumRow, ...]
    sites: tuple[SiteInfo, ...]

    @property
    def rate_text(self) -> str:
        return f"{fmt_number(self.rate * 100)}%"


@dataclass(frozen=True, slots=True)
class ExcludedItem:
    """A finding left out of the report's scores and counts (已豁免 or 误报)."""

    site_id: str
    site_name: str
    code: str
    title: str
    severity_label: str
    message: str
    url: str
    kind: str  # 已豁免 | 误报
    reason: str
    until: str  # a waiver's last day (YYYY-MM-DD); "" for 误报


@dataclass(frozen=True, slots=True)
class Report:
    kind: str  # monthly | quarterly | annual
    kind_label: str  # 月度 | 季度 | 年度
    period: str  # 2026-Q3
    period_label: str  # 2026年第三季度
    title: str
    start_date: str  # first day, local
    end_date: str  # last day, local (inclusive)
    generated_at: str
    timezone: str
    pass_score: float
    inspected_all: int  # sites inspected in the period, before any sampling
    sample: SampleView | None  # None: full coverage (every inspected site)
    stats: PeriodStat  # the sites in scope (the sample, or every inspected site)
    previous: PeriodStat | None
    sites: tuple[SiteRow, ...]  # by rank
    levels: tuple[LevelRow, ...]
    checks: tuple[CheckRow, ...]
    typical: tuple[TypicalProblem, ...]
    fix_times: tuple[FixTimeRow, ...]  # per check, then the total row (code "")
    trend_periods: tuple[PeriodStat, ...]  # oldest first, ending with this period
    persisting: int
    # 发文机关, 文号, 印发日期, 整改期限 (reports.official); set by reports.cli at report time
    official: Official | None = None
    # 超期未整改: findings still open past their 整改期限 at the period's end (or at the time
    # of the report, for a period still running), in scope, neither waived nor dismissed.
    overdue: int = 0
    overdue_as_of: str = ""  # the local date overdue is judged on (YYYY-MM-DD)
    # Findings observed in the period but left out of scores and counts: dismissed as 误报,
    # or waived (豁免) until the period's last day or later (store.review).
    excluded: tuple[ExcludedItem, ...] = ()

    @property
    def failing(self) -> tuple[SiteRow, ...]:
        return tuple(s for s in self.sites if not s.passed)

    @property
    def pass_score_text(self) -> str:
        return fmt_number(self.pass_score)

    @property
    def coverage_text(self) -> str:
        if self.sample is None:
            return f"全面检查（{self.inspected_all} 个网站全覆盖）"
        return (f"按级别分层随机抽查：抽查比例 {self.sample.rate_text}，随机种子 "
                f"{self.sample.seed}，样本 {self.sample.size} 个 / 总体 "
                f"{self.sample.population} 个")

    @property
    def rate_change_text(self) -> str:
        if self.previous is None or self.previous.pass_rate is None or \
                self.stats.pass_rate is None:
            return ""
        delta = round(self.stats.pass_rate - self.previous.pass_rate, 2)
        if delta == 0:
            return f"与{self.previous.label}（{self.previous.pass_rate_text}）持平"
        word = "上升" if delta > 0 else "下降"
        return (f"较{self.previous.label}（{self.previous.pass_rate_text}）{word} "
                f"{fmt_number(abs(delta))} 个百分点")


@dataclass(frozen=True, slots=True)
class RectItem:
    number: int
    code: str
    title: str
    severity: str
    severity_label: str
    message: str
    url: str
    page: str
    evidence: tuple[tuple[str, str], ...]
    rule: str
    fix: str
    first_seen: str
    last_seen: str
    status: str  # 未整改 | 已于 2026-11-03 整改 | 已豁免至 … | 误报（已核销）
    fixed_since: bool  # fixed after the period ended (the status says when)
    deadline: str = ""  # 整改期限 (YYYY-MM-DD)
    overdue: bool = False  # 超期未整改 at the report's cutoff

    @property
    def evidence_text(self) -> str:
        return "；".join(f"{k}: {v}" for k, v in self.evidence)


@dataclass(frozen=True, slots=True)
class Rectification:
    """A site's 整改清单: every finding open at the end of the period."""

    site: SiteInfo
    report_title: str
    period_label: str
    generated_at: str
    items: tuple[RectItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        out = {"veto": 0, "deduct": 0, "notice": 0}
        for item in self.items:
            out[item.severity] = out.get(item.severity, 0) + 1
        return out

    @property
    def fixed_since(self) -> int:
        """Items open at the period's end that a later check found fixed."""
        return sum(1 for item in self.items if item.fixed_since)

    @property
    def overdue(self) -> int:
        """Items past their 整改期限 (超期未整改)."""
        return sum(1 for item in self.items if item.overdue)
