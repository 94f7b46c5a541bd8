"""The hand-labelled real pages in ../shared/realpages (and the regulations in
../shared/seeds), for the extraction tests.

../shared sits beside the checkout in the project's workspace and in CI, not in a clone of the
repository alone. When it is missing, the tests that read it skip with a one-line reason, so
that `python -m pytest` passes in a lone clone; with the CI environment variable set they fail
instead (CI always has it, and a missing folder there is a broken setup, not a reason to skip).
The parametrised tests then get one `None` label, so the skip or failure is never silent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from crawler.decode import decode_html
from crawler.extract import extract
from crawler.facts import PageFacts

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REALPAGES = SHARED / "realpages"
URL = "https://www.example.gov.cn/col/art/2024/1.html"


SEEDS = SHARED / "seeds"


def shared_file(path: Path) -> Path:
    """`path` (inside ../shared) if it exists; else skip the test, or fail it under CI."""
    if path.exists():
        return path
    reason = f"{path} not found: ../shared is not beside this checkout"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so it must be)")
    pytest.skip(reason)


def labels() -> list[dict[str, Any] | None]:
    path = REALPAGES / "labels.json"
    if not path.is_file():
        return [None]
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return list(data)


def label_id(label: dict[str, Any] | None) -> str:
    return "missing-realpages" if label is None else str(label["file"])


def real_page(label: dict[str, Any] | None) -> tuple[PageFacts, str]:
    """(facts, decoded text) of a labelled page."""
    if label is None:
        shared_file(REALPAGES / "labels.json")
        pytest.fail(f"{REALPAGES / 'labels.json'} lists no pages")
    text, _ = decode_html(shared_file(REALPAGES / label["file"]).read_bytes())
    return extract(URL, text), text
