from __future__ import annotations

import hashlib
import math

import pytest
from sqlalchemy import func, select

from reports.build import inspected_sites
from reports.periods import parse_period
from reports.sampling import (
    SampleError,
    check_seed,
    draw,
    parse_rate,
    redraw,
    store_sample,
    stratum_size,
)
from store import models as m
from tests.reports.conftest import INSPECTED, World

FRAME = [(f"p{i}", "province") for i in range(3)] + [(f"c{i}", "city") for i in range(10)] + \
    [(f"x{i}", "county") for i in range(25)] + [(f"d{i}", "department") for i in range(7)]


def by_hand(kind: str, period: str, rate: float, seed: str,
            frame: list[tuple[str, str]]) -> list[str]:
    """The method as the report documents it, written out independently."""
    chosen = []
    for level in {lvl for _, lvl in frame}:
        ids = [sid for sid, lvl in frame if lvl == level]
        keyed = sorted(ids, key=lambda s: hashlib.sha256(
            f"{kind}|{period}|{seed}|{s}".encode()).hexdigest())
        chosen += keyed[: max(1, math.ceil(round(rate * len(ids), 9)))]
    return sorted(chosen)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 1.0])
def test_sample_is_stratified_reproducible_and_matches_the_documented_method(
        rate: float) -> None:
    sample = draw("quarterly", "2026-Q3", rate, "20261001", FRAME)
    assert list(sample.site_ids) == by_hand("quarterly", "2026-Q3", rate, "20261001", FRAME)
    assert sample == draw("quarterly", "2026-Q3", rate, "20261001", list(reversed(FRAME)))
    sizes = {s.level: (s.population, s.drawn) for s in sample.strata}
    assert sizes == {
        "province": (3, stratum_size(rate, 3)), "city": (10, stratum_size(rate, 10)),
        "county": (25, stratum_size(rate, 25)), "department": (7, stratum_size(rate, 7)),
    }
    assert all(drawn >= 1 for _, drawn in sizes.values())


def test_rounding_is_up_with_one_per_level_and_exact_decimals() -> None:
    assert [stratum_size(0.3, n) for n in (1, 2, 3, 10, 11)] == [1, 1, 1, 3, 4]
    assert stratum_size(0.1, 30) == 3  # 0.1 x 30 is 3 exactly, not 3.0000000000000004
    assert stratum_size(1.0, 7) == 7 and stratum_size(0.01, 0) == 0
    full = draw("monthly", "2026-10", 1.0, "x", FRAME)
    assert set(full.site_ids) == {sid for sid, _ in FRAME}


def test_other_seed_or_period_draws_another_sample() -> None:
    base = draw("quarterly", "2026-Q3", 0.3, "1", FRAME)
    assert draw("quarterly", "2026-Q3", 0.3, "2", FRAME).site_ids != base.site_ids
    assert draw("quarterly", "2026-Q4", 0.3, "1", FRAME).site_ids != base.site_ids
    assert draw("quarterly", "2026-Q3", 0.3, "2", FRAME).digest != base.digest


def test_a_new_site_changes_its_level_by_at_most_that_site() -> None:
    base = set(draw("quarterly", "2026-Q3", 0.2, "7", FRAME).site_ids)
    grown = set(draw("quarterly", "2026-Q3", 0.2, "7", [*FRAME, ("x99", "county")]).site_ids)
    assert len(base - grown) <= 1 and len(grown - base) <= 2  # x99, and a county slot more


@pytest.mark.parametrize("text", ["0", "-0.1", "1.5", "abc", "nan", "inf", ""])
def test_bad_rates(text: str) -> None:
    with pytest.raises(SampleError):
        parse_rate(text)


def test_rates_and_seeds() -> None:
    assert parse_rate("0.3") == 0.3 and parse_rate("30%") == 0.3 and parse_rate("1") == 1.0
    assert check_seed(" 2026Q3 ") == "2026Q3"
    for bad in ("", "a|b", "x" * 65):
        with pytest.raises(SampleError):
            check_seed(bad)


def test_frame_is_the_inspected_sites_and_the_draw_is_stored_once(world: World) -> None:
    period = parse_period("quarterly", "2026-Q3")
    with world.factory() as session:
        frame = inspected_sites(session, period)
    assert [sid for sid, _ in frame] == sorted(INSPECTED)  # x9: only a failed crawl
    sample = draw("quarterly", period.code, 0.3, "abc", frame)
    assert len(sample.site_ids) == 4  # one of each level (2, 3, 3, 2 sites)
    with world.factory.begin() as session:
        row = store_sample(session, sample)
        row_id = row.id
    with world.factory.begin() as session:
        again = store_sample(session, draw("quarterly", period.code, 0.3, "abc", frame))
        assert again.id == row_id
        assert session.scalar(select(func.count()).select_from(m.ReportSample)) == 1
    with world.factory() as session:
        stored = session.get(m.ReportSample, row_id)
        assert stored is not None
        assert (stored.kind, stored.period, stored.rate, stored.seed) == (
            "quarterly", "2026-Q3", 0.3, "abc")
        assert stored.site_ids == list(sample.site_ids)
        assert stored.digest == sample.digest and stored.created_at.tzinfo is not None
        assert redraw(stored) == sample  # an auditor redraws the published sample
