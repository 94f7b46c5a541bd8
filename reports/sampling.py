"""Spot checks (抽查): a reproducible sample of the inspected sites, stratified by level.

Method `sha256-rank-v1`, chosen so that anyone can redraw a published sample by hand (a
spreadsheet with SHA-256 will do) and so that it does not depend on Python's `random`:

1. the frame is the sites inspected in the period, grouped by level (national, province,
   city, county, department);
2. each site gets the key SHA-256("<kind>|<period>|<seed>|<site id>") in hex;
3. from a level with n sites, the k = ceil(rate x n) sites with the smallest keys are drawn,
   so every level that has sites gets at least one and the sample is never below the rate
   (seed 003 九(三): at least 30 %); rate 1.0 draws every site (full coverage, seed 001
   第二十条(三)).

A site's key does not depend on the other sites, so registering one more site changes a
level's sample by at most that site. The draw is stored (store.models.ReportSample) with its
frame and a digest that the report prints.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import models as m

METHOD = "sha256-rank-v1"
LEVEL_ORDER = ("national", "province", "city", "county", "department")


class SampleError(ValueError):
    """A bad --sample-rate or --seed; the message is one line of Chinese."""


@dataclass(frozen=True, slots=True)
class Stratum:
    level: str
    population: int
    drawn: int


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str
    period: str
    rate: float
    seed: str
    method: str
    population: tuple[tuple[str, str], ...]  # (site id, level), sorted by id
    site_ids: tuple[str, ...]  # drawn, sorted
    digest: str

    @property
    def strata(self) -> tuple[Stratum, ...]:
        drawn = set(self.site_ids)
        levels: dict[str, list[str]] = {}
        for site_id, level in self.population:
            levels.setdefault(level, []).append(site_id)
        return tuple(
            Stratum(level, len(levels[level]), sum(1 for s in levels[level] if s in drawn))
            for level in sorted(levels, key=level_key)
        )


def level_key(level: str) -> tuple[int, str]:
    return (LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER), level)


def parse_rate(text: str) -> float:
    """--sample-rate: a fraction in (0, 1], or a percentage such as 30%."""
    value = text.strip()
    try:
        number = Decimal(value[:-1]) / 100 if value.endswith("%") else Decimal(value)
    except InvalidOperation:
        raise SampleError(f"--sample-rate 应为 0 到 1 之间的小数（如 0.3）或百分数，而不是 {text!r}"
                          ) from None
    if not number.is_finite() or not 0 < number <= 1:
        raise SampleError(f"--sample-rate 应大于 0 且不超过 1，而不是 {text!r}")
    return float(number)


def check_seed(text: str) -> str:
    seed = text.strip()
    if not seed or len(seed) > 64 or any(ch in seed for ch in "|\n\r\t"):
        raise SampleError(f"--seed 应为 1–64 个字符（不含 | 与空白控制符），而不是 {text!r}")
    return seed


def site_key(kind: str, period: str, seed: str, site_id: str) -> str:
    return hashlib.sha256(f"{kind}|{period}|{seed}|{site_id}".encode()).hexdigest()


def stratum_size(rate: float, population: int) -> int:
    """ceil(rate x n), at least 1 for a level with sites; decimal, so 0.3 x 10 is 3, not 4."""
    if population <= 0:
        return 0
    wanted = math.ceil(Decimal(repr(rate)) * population)
    return max(1, min(population, wanted))


def draw(kind: str, period: str, rate: float, seed: str,
         population: Iterable[tuple[str, str]]) -> Sample:
    """Draw the sample from the frame (site id, level); pure and reproducible."""
    frame = tuple(sorted(set(population)))
    levels: dict[str, list[str]] = {}
    for site_id, level in frame:
        levels.setdefault(level, []).append(site_id)
    chosen: list[str] = []
    for members in levels.values():
        ranked = sorted(members, key=lambda s: (site_key(kind, period, seed, s), s))
        chosen.extend(ranked[: stratum_size(rate, len(members))])
    site_ids = tuple(sorted(chosen))
    return Sample(kind, period, rate, seed, METHOD, frame, site_ids,
                  digest(kind, period, rate, seed, METHOD, frame, site_ids))


def digest(kind: str, period: str, rate: float, seed: str, method: str,
           population: Iterable[tuple[str, str]], site_ids: Iterable[str]) -> str:
    payload = json.dumps(
        {"kind": kind, "period": period, "rate": repr(float(rate)), "seed": seed,
         "method": method, "population": [list(p) for p in population],
         "site_ids": list(site_ids)},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def store_sample(session: Session, sample: Sample, now: datetime | None = None) -> m.ReportSample:
    """Store the draw, or return the stored row of an identical earlier draw (same digest),
    so that generating a report twice keeps one audit record."""
    row = session.scalars(
        select(m.ReportSample).where(m.ReportSample.digest == sample.digest)
        .order_by(m.ReportSample.id)
    ).first()
    if row is not None:
        return row
    row = m.ReportSample(
        kind=sample.kind, period=sample.period, rate=sample.rate, seed=sample.seed,
        method=sample.method, population=[list(p) for p in sample.population],
        site_ids=list(sample.site_ids), digest=sample.digest,
        created_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def redraw(row: m.ReportSample) -> Sample:
    """Draw again from a stored frame: an audit compares the result with `row.site_ids`."""
    if row.method != METHOD:
        raise SampleError(f"未知的抽样方法 {row.method!r}")
    frame = [(str(p[0]), str(p[1])) for p in row.population]
    return draw(row.kind, row.period, row.rate, row.seed, frame)


def by_level(sample: Sample) -> Mapping[str, tuple[str, ...]]:
    level_of = dict(sample.population)
    out: dict[str, list[str]] = {}
    for site_id in sample.site_ids:
        out.setdefault(level_of[site_id], []).append(site_id)
    return {level: tuple(ids) for level, ids in sorted(out.items(), key=lambda i: level_key(i[0]))}
