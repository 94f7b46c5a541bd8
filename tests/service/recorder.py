"""Job functions for scheduler tests: they record that they ran (jobs are textual references,
so they must be importable module-level functions)."""

from __future__ import annotations

CALLS: list[str] = []


def crawl() -> None:
    CALLS.append("crawl")


def probe() -> None:
    CALLS.append("probe")


def other() -> None:
    CALLS.append("other")
