"""content.traditional-chars — 简体页面使用繁体字.

Rule: 001 第十九条(三)1 (用语用字应当符合国家通用语言文字规范和标准, 不出现繁体字、异体字).
Measured from the traditional characters the crawl found in each page's visible text with
OpenCC t2s (crawler.textscan: characters the conversion changes), outside quoted titles and
quotations (《》「」『』“”) and language-switch labels (繁體/簡體/English), which the crawl
leaves out. Proper names keep their characters: list them in `ignore_words` (a character is
ignored where an ignore word containing it stands in its context). A page is judged when it
has `min_chars` or more of them.
Not a finding: the site's own 繁体 version — pages under the address a language-switch link of
the site points to (a link whose text holds one of `version_link_words`, e.g. 繁體 -> /big5/ or
another host); a link to the site's root path on its own host cannot mark a separate version
and is ignored. One finding per page, the first `max_pages` pages by URL; evidence: the
characters with their simplified forms and contexts (up to `max_chars`).
Fix: use the simplified characters (the evidence gives each one's simplified form); offer a
繁体 version as a separate, linked version of the site if one is wanted.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from urllib.parse import urlsplit

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from crawler.facts import TraditionalChar

RULE = Rule(
    code="content.traditional-chars",
    title="简体页面使用繁体字",
    severity=Severity.DEDUCT,
    reference="zhiyin-2017 （网页设计规范：使用规范汉字）; yongzhou-2021 第十九条(三)1",
    scope="page",
    options=MappingProxyType(
        {
            "ignore_words": (),
            "version_link_words": ("繁體", "繁体", "正體", "BIG5", "Big5", "big5"),
            "min_chars": 1,
            "max_pages": 200,
            "max_chars": 10,
        }
    ),
    fix="将证据中的繁体字改为对应的简体字；如需繁体版，应作为独立版本提供并在页面设置切换入口。",
)


def version_prefixes(site: SiteSnapshot, words: tuple[str, ...]) -> tuple[str, ...]:
    """`host/path/` prefixes of the site's 繁体 version(s), from its language-switch links."""
    home = urlsplit(site.site.url)
    home_host = (home.hostname or "").lower()
    prefixes: set[str] = set()
    for link in site.links:
        if link.kind not in ("a", "area") or not any(w in link.text for w in words):
            continue
        parts = urlsplit(link.url)
        host = (parts.hostname or "").lower()
        directory = parts.path.rsplit("/", 1)[0] + "/" if parts.path else "/"
        if host == home_host and directory == "/":
            continue  # the root of the site itself: not a separate version
        prefixes.add(f"{host}{directory}")
    return tuple(sorted(prefixes))


def _under(url: str, prefixes: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    where = f"{(parts.hostname or '').lower()}{parts.path or '/'}"
    return any(where.startswith(prefix) for prefix in prefixes)


def _ignored(hit: TraditionalChar, words: tuple[str, ...]) -> bool:
    return any(hit.char in word and word in hit.context for word in words)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    options = ctx.options
    prefixes = version_prefixes(site, tuple(options["version_link_words"]))
    ignore = tuple(options["ignore_words"])
    found = []
    for page in sorted(site.pages, key=lambda p: p.url):
        facts = page.facts
        if facts is None or not facts.traditional_count or _under(page.url, prefixes):
            continue
        hits = [h for h in facts.traditional if not _ignored(h, ignore)]
        total = facts.traditional_count - (len(facts.traditional) - len(hits))
        if hits and total >= options["min_chars"]:
            found.append((page, hits, total))
    for page, hits, total in found[: options["max_pages"]]:
        chars = list(dict.fromkeys(h.char for h in hits))
        shown = "、".join(f"{c}（{_simplified(hits, c)}）" for c in chars[:5])
        assert page.facts is not None
        yield RULE.finding(
            ctx,
            url=page.url,
            page=page.url,
            message=f"简体页面出现繁体字{total}处：{shown}",
            evidence={
                "chars": [
                    {"char": h.char, "simplified": h.simplified, "context": h.context}
                    for h in hits[: options["max_chars"]]
                ],
                "chars_total": total,
                "cjk_total": page.facts.cjk_count,
                "version_prefixes": list(prefixes),
            },
        )


def _simplified(hits: list[TraditionalChar], char: str) -> str:
    return next(h.simplified for h in hits if h.char == char)
