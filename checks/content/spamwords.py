"""The spam lexicon of content.spam-injected: shipped defaults plus the settings' additions.

The defaults are package data (data/spam_words.txt, data/spam_hosts.txt), read once at import;
a check's options extend them (`extra_words`, `extra_host_patterns`) or drop entries
(`ignore_words`, `ignore_host_patterns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


def _lines(name: str) -> tuple[str, ...]:
    text = resources.files("checks.content").joinpath("data", name).read_text(encoding="utf-8")
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.lower())
    return tuple(dict.fromkeys(out))


DEFAULT_WORDS = _lines("spam_words.txt")
DEFAULT_HOST_PATTERNS = _lines("spam_hosts.txt")


@dataclass(frozen=True, slots=True)
class Lexicon:
    words: tuple[str, ...]
    host_patterns: tuple[str, ...]

    def words_in(self, text: str) -> list[str]:
        lowered = text.lower()
        return [word for word in self.words if word in lowered]

    def host_matches(self, host: str) -> list[str]:
        labels = host.lower().split(".")
        name = ".".join(labels[:-1]) if len(labels) > 1 else host.lower()
        return [p for p in self.host_patterns if p in name]


def lexicon(options: Mapping[str, Any]) -> Lexicon:
    return _build(
        tuple(options.get("extra_words", ())), tuple(options.get("ignore_words", ())),
        tuple(options.get("extra_host_patterns", ())),
        tuple(options.get("ignore_host_patterns", ())),
    )


@lru_cache(maxsize=16)
def _build(extra: tuple[str, ...], ignore: tuple[str, ...], extra_hosts: tuple[str, ...],
           ignore_hosts: tuple[str, ...]) -> Lexicon:
    return Lexicon(
        words=_merge(DEFAULT_WORDS, extra, ignore),
        host_patterns=_merge(DEFAULT_HOST_PATTERNS, extra_hosts, ignore_hosts),
    )


def _merge(base: Iterable[str], extra: Iterable[str], ignore: Iterable[str]) -> tuple[str, ...]:
    dropped = {w.strip().lower() for w in ignore}
    merged = [w.strip().lower() for w in (*base, *extra) if w.strip()]
    return tuple(w for w in dict.fromkeys(merged) if w not in dropped)
