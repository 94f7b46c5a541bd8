"""The regulations govwatch enforces, and how a finding cites them.

A rule's `reference` names documents by a short key of core.regulations.REGULATIONS, each
followed by the article it enforces:
`"yongzhou-2021 第十九条(四); shanxi-2018 第十条; zhibiao-2019"`.
A part that starts with 《 is a citation written out in full (for third-party checks citing a
document not listed here) and binds every site. Findings never carry the key: `cite()` renders
`《永州市政府网站建设管理办法》第十九条（四）` for the documents that bind the finding's site.

National documents bind every site. A local one binds a site only when the site, or one of the
supervising portals above it (`parent`, transitively), adopts it in the settings (`[regulations]
adopt = {yongzhou = ["yongzhou-2021"]}`): a site in Shanxi is not held to Yongzhou's 办法. Every
built-in rule cites at least one national document, so every finding cites something wherever
its site is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.regulations import NATIONAL, REGULATIONS


class CitationError(ValueError):
    """A rule reference that does not parse or names an unknown document."""


@dataclass(frozen=True, slots=True)
class Citation:
    key: str  # a REGULATIONS key, or "" for a citation written out in full
    article: str  # "第十九条（四）", "" for the document as a whole

    def text(self) -> str:
        if not self.key:
            return self.article
        return REGULATIONS[self.key].name + self.article


_HALF_PARENS = str.maketrans("()", "（）")


def parse(reference: str) -> tuple[Citation, ...]:
    """The citations of a rule reference; CitationError names what is wrong."""
    out = []
    for part in reference.split(";"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("《"):
            out.append(Citation("", part))
            continue
        key, _, article = part.partition(" ")
        if key not in REGULATIONS:
            known = "、".join(REGULATIONS)
            raise CitationError(f"未知的法规代号 {key!r}（可用: {known}）")
        out.append(Citation(key, article.strip().translate(_HALF_PARENS)))
    if not out:
        raise CitationError("规则依据为空")
    return tuple(out)


def reference_problem(reference: str, *, need_national: bool = False) -> str:
    """Why a rule reference is unusable ("" when it is fine)."""
    try:
        cites = parse(reference)
    except CitationError as exc:
        return str(exc)
    if need_national and not any(c.key in NATIONAL or not c.key for c in cites):
        return "规则依据至少应引用一部全国性文件（" + "、".join(
            REGULATIONS[k].name for k in sorted(NATIONAL)) + "）"
    return ""


def cite(reference: str, binding: Iterable[str] = NATIONAL) -> str:
    """How a finding cites its rule: the cited articles of the documents in `binding`, local
    documents first (the most specific), joined with "；"."""
    bound = frozenset(binding)
    try:
        cites = parse(reference)
    except CitationError:
        return reference  # validated at load time; a bare string from an old test double
    chosen = [c for c in cites if not c.key or c.key in bound]
    chosen.sort(key=lambda c: 0 if c.key and not REGULATIONS[c.key].national else 1)
    return "；".join(dict.fromkeys(c.text() for c in chosen))


def cite_all(reference: str) -> str:
    """Every citation of a reference, local ones marked with their region (docs/checks.md)."""
    out = []
    for c in parse(reference):
        region = REGULATIONS[c.key].region if c.key else ""
        out.append(c.text() + (f"〔{region}〕" if region else ""))
    return "；".join(out)


def binding(site_id: str, parents: Mapping[str, str | None],
            adopt: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The documents binding a site: the national ones plus those adopted (`adopt`, keyed by
    site id) by the site itself or any supervising portal above it."""
    keys = set(NATIONAL)
    seen: set[str] = set()
    current: str | None = site_id
    while current is not None and current not in seen:
        seen.add(current)
        keys.update(adopt.get(current, ()))
        current = parents.get(current)
    return frozenset(keys)
