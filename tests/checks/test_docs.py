from __future__ import annotations

from checks.docs import DOC, render


def test_docs_checks_md_is_generated_from_the_catalogue() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m checks.docs"
