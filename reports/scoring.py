"""Scoring a site for a period: pure functions over counts of findings (no database here).

The rule (checks.md "Scoring"; points and caps are settings, see
core.settings.ScoringSettings):

- each finding counts with its OWN stored severity (a check may downgrade one to `notice`);
- `veto` (单项否决): the site fails the period whatever its score; veto findings deduct nothing;
- `deduct` (扣分): points per finding by check code (columns.stale: by the column's class in
  the finding's evidence["class"], else the check's points), at most the check's cap;
- `notice` (提示): reported, never scored;
- score = 100 - total deduction, floor 0; a site passes (合格) with no veto and
  score >= pass_score; 合格率 = passing sites / sites inspected.

Arithmetic is in integer thousandths of a point, so 0.1 x 3 is 0.3 and the same counts always
print the same score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.settings import ScoringSettings

VETO, DEDUCT, NOTICE = "veto", "deduct", "notice"
SEVERITY_ORDER = {VETO: 0, DEDUCT: 1, NOTICE: 2}
SEVERITY_LABELS = {VETO: "单项否决", DEDUCT: "扣分", NOTICE: "提示"}
STALE = "columns.stale"
FULL_MILLI = 100_000  # 100 points in thousandths

# Column classes as checks may name them in evidence["class"], folded to the registry's
# column types (core.site.COLUMN_TYPES) that ScoringSettings.column_class_points uses.
CLASS_ALIASES = {
    "动态要闻": "news", "动态": "news", "要闻": "news", "新闻": "news",
    "通知公告": "notice", "通知": "notice", "公告": "notice",
    "政策文件": "policy", "政策": "policy", "文件": "policy",
    "人事": "personnel", "人事信息": "personnel",
    "规划计划": "plan", "规划": "plan", "计划": "plan",
}


def column_class(raw: object) -> str | None:
    """evidence["class"] of a columns.stale finding as a column type, or None."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    return CLASS_ALIASES.get(text, text.lower())


@dataclass(frozen=True, slots=True)
class CheckCount:
    """How many findings of one check, severity and (columns.stale only) column class."""

    code: str
    severity: str
    count: int
    column_class: str | None = None


@dataclass(frozen=True, slots=True)
class Deduction:
    code: str
    findings: int  # deduct-severity findings of this check
    points: float  # deducted, after the cap
    capped: bool


@dataclass(frozen=True, slots=True)
class Score:
    score: float
    deducted: float
    passed: bool
    vetoes: tuple[str, ...]  # codes with at least one veto finding, sorted
    deductions: tuple[Deduction, ...]  # by points deducted desc, then code
    veto_findings: int
    deduct_findings: int
    notice_findings: int


def _milli(value: float) -> int:
    """Points in thousandths: exact integer arithmetic (0.1 x 3 is 0.3, not 0.30000000000000004)
    for any points or caps given with up to three decimals (finer values are rounded)."""
    return int((Decimal(repr(float(value))) * 1000).to_integral_value())


class Scorer:
    """score_site with the settings' tables turned into integer thousandths once (a year's
    report scores a thousand sites thirteen times)."""

    def __init__(self, scoring: ScoringSettings) -> None:
        self.pass_milli = _milli(scoring.pass_score)
        self.default_points = _milli(scoring.default_points)
        self.points = {code: _milli(v) for code, v in scoring.points.items()}
        self.class_points = {cls: _milli(v) for cls, v in scoring.column_class_points.items()}
        self.default_cap = _milli(scoring.default_cap)
        self.caps = {code: _milli(v) for code, v in scoring.caps.items()}

    def points_for(self, code: str, cls: str | None) -> int:
        if cls is not None and code == STALE and cls in self.class_points:
            return self.class_points[cls]
        return self.points.get(code, self.default_points)

    def score(self, counts: Iterable[CheckCount]) -> Score:
        raw: dict[str, int] = {}
        found: dict[str, int] = {}
        vetoes: set[str] = set()
        veto = deduct = notice = 0
        for item in counts:
            if item.count <= 0:
                continue
            if item.severity == VETO:
                veto += item.count
                vetoes.add(item.code)
            elif item.severity == NOTICE:
                notice += item.count
            else:  # deduct (an unknown severity is scored rather than silently dropped)
                deduct += item.count
                amount = self.points_for(item.code, item.column_class) * item.count
                raw[item.code] = raw.get(item.code, 0) + amount
                found[item.code] = found.get(item.code, 0) + item.count
        deductions = []
        total = 0
        for code, amount in raw.items():
            cap = self.caps.get(code, self.default_cap)
            capped = 0 < cap < amount
            points = cap if capped else amount
            total += points
            deductions.append(Deduction(code, found[code], points / 1000, capped))
        deductions.sort(key=lambda d: (-d.points, d.code))
        score = max(0, FULL_MILLI - total)
        return Score(
            score=score / 1000,
            deducted=total / 1000,
            passed=not vetoes and score >= self.pass_milli,
            vetoes=tuple(sorted(vetoes)),
            deductions=tuple(deductions),
            veto_findings=veto,
            deduct_findings=deduct,
            notice_findings=notice,
        )


def score_site(counts: Iterable[CheckCount], scoring: ScoringSettings) -> Score:
    """Score one site from the counts of its findings in the period."""
    return Scorer(scoring).score(counts)


def rank(scores: Mapping[str, Score]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4): sites without a veto first, then by score.

    A vetoed site ranks below every site without a veto, whatever its score, because it
    failed outright; ties share a rank.
    """
    order = sorted(scores, key=lambda key: (bool(scores[key].vetoes), -scores[key].score, key))
    ranks: dict[str, int] = {}
    previous: tuple[bool, float] | None = None
    for position, key in enumerate(order, start=1):
        current = (bool(scores[key].vetoes), scores[key].score)
        if current != previous:
            ranks[key] = position
            previous = current
        else:
            ranks[key] = ranks[order[position - 2]]
    return ranks


def pass_rate(passed: int, inspected: int) -> float | None:
    """合格率 in percent, or None when nothing was inspected (not 0 %, which would accuse)."""
    if inspected <= 0:
        return None
    return float((Decimal(passed) * 100 / Decimal(inspected)).quantize(Decimal("0.01")))


def unknown_codes(scoring: ScoringSettings, known: Sequence[str]) -> list[str]:
    """Codes in the scoring tables that no check defines: a typo would silently score 0."""
    listed = set(scoring.points) | set(scoring.caps)
    return sorted(listed - set(known))
