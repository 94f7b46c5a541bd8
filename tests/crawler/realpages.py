"""The hand-labelled real pages in ../shared/realpages, for the extraction tests.

When the folder is missing the parametrised tests get one `None` label and fail with a
message (CI always has it): never a silent skip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.decode import decode_html
from crawler.extract import extract
from crawler.facts import PageFacts

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REALPAGES = SHARED / "realpages"
URL = "https://www.example.gov.cn/col/art/2024/1.html"


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
        pytest.fail(f"real pages not found at {REALPAGES} (expected labels.json and pages/)")
    text, _ = decode_html((REALPAGES / label["file"]).read_bytes())
    return extract(URL, text), text
