"""Every check against its good and bad cases under fixtures/<code>/*.json.

One parametrized test, so adding a check means adding fixture files, not test code (see
snapshots.py for the case format). Besides the expected findings, each run asserts what every
check owes the rest of the system: findings tagged with its code, rule and site, a unique
(site, check, url, page) key per finding, and the same output twice (purity, determinism).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checks.base import Severity
from checks.catalogue import load_catalogue, resolve_options
from checks.regulations import cite
from tests.checks.snapshots import absolute, context, snapshot

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGUE = load_catalogue(include_plugins=False)
CASES = sorted(FIXTURES.glob("*/*.json"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case(path: Path) -> None:
    code = path.parent.name
    spec = CATALOGUE[code]
    case = _load(path)
    site = snapshot(case)
    ctx = context(site, resolve_options(spec.rule, case.get("options", {})), case)

    findings = list(spec.check(site, ctx))

    assert list(spec.check(site, ctx)) == findings, "same input must give the same findings"
    keys = [f.key for f in findings]
    assert len(set(keys)) == len(keys), f"duplicate finding keys: {keys}"
    for f in findings:
        assert (f.check, f.rule, f.site) == (code, cite(spec.rule.reference), site.site.id)
        assert f.message.strip()
        json.dumps(f.evidence)  # stored as JSON: plain values only
    expected = case["expect"]
    got = [(f.url, f.page, f.severity) for f in findings]
    want = [
        (
            absolute(site.site, e["url"]),
            absolute(site.site, e["page"]),
            Severity(e.get("severity", spec.rule.severity)),
        )
        for e in expected
    ]
    assert got == want, [f.message for f in findings]
    for finding, e in zip(findings, expected, strict=True):
        assert e.get("message", "") in finding.message
        for key, value in e.get("evidence", {}).items():
            assert key in finding.evidence, f"evidence lacks {key}: {finding.evidence}"
            assert finding.evidence[key] == value, (key, finding.evidence[key])


def test_fixture_dirs_name_known_checks() -> None:
    unknown = {p.name for p in FIXTURES.iterdir() if p.is_dir()} - set(CATALOGUE)
    assert not unknown, f"fixtures for codes not in the catalogue: {unknown}"


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case_is_described(path: Path) -> None:
    case = _load(path)
    assert case.get("description"), "say what the case shows"
    assert isinstance(case.get("expect"), list)
