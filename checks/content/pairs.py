"""The shared body of the (wrong -> right) checks: content.serious-errors, content.typos."""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, SiteSnapshot
from checks.content.lexicon import find, joined, sentence, text_pages


def pair_findings(rule: Rule, site: SiteSnapshot, ctx: Context, what: str) -> Iterator[Finding]:
    """One finding per page whose text holds a listed wrong form, the first `max_pages` pages
    by URL; evidence lists the first `max_hits` matches with their sentence and correction."""
    entries = ctx.options["_pairs"]
    found = []
    for page in text_pages(site):
        assert page.facts is not None
        text = page.facts.text
        matches = find(entries, text)
        if matches:
            found.append((page, text, matches))
    for page, text, matches in found[: ctx.options["max_pages"]]:
        hits = [
            {"wrong": m.key, "right": m.value, "sentence": sentence(text, m.start, m.end)}
            for m in matches[: ctx.options["max_hits"]]
        ]
        wrongs = list(dict.fromkeys(m.key for m in matches))
        first = matches[0]
        message = (
            f"页面出现{what}{joined(wrongs[:3])}（共{len(matches)}处），"
            f"如“{first.key}”应为“{first.value}”"
        )
        yield rule.finding(
            ctx, url=page.url, page=page.url, message=message,
            evidence={"hits": hits, "hits_total": len(matches), "pages_total": len(found)},
        )
