"""A registered site: one entry of config/sites.yaml, validated (see core.registry)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LEVELS = ("national", "province", "city", "county", "department")
KINDS = ("portal", "department")
COLUMN_TYPES = ("news", "notice", "policy", "personnel", "plan", "static")


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    path: str
    type: str | None = None  # one of COLUMN_TYPES; None = classify by name


# An email address as notices are sent to it: one local part, one domain with a dot, no
# blanks, no angle brackets or commas (one address, not a list or a display-name form).
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone who receives notices (govwatch.notify): a site's webmaster (registry
    `contacts`) or a supervisor (`[notify] supervisors`). Email and/or a webhook (企业微信 or
    钉钉 robot, or any URL taking a JSON POST); at least one of the two."""

    name: str = ""
    email: str | None = None
    webhook: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "webhook": self.webhook}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contact:
        return cls(name=data.get("name") or "", email=data.get("email") or None,
                   webhook=data.get("webhook") or None)


@dataclass(frozen=True, slots=True)
class CrawlOptions:
    max_pages: int = 20000
    max_depth: int = 8
    delay: float = 0.5  # seconds between requests to one host
    concurrency: int = 4  # simultaneous requests to one host


@dataclass(frozen=True, slots=True)
class SiteEntry:
    id: str
    name: str
    url: str
    level: str
    kind: str = "portal"
    parent: str | None = None
    site_code: str | None = None
    icp: str | None = None
    repost_from: tuple[str, ...] = ()
    important_columns: tuple[str, ...] = ()
    repost_columns: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    archive_paths: tuple[str, ...] = ()
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    # Extra host names that belong to the site (e.g. a bare domain beside www.).
    hosts: tuple[str, ...] = ()
    sponsor: str | None = None  # 主办单位, shown in the reports
    # The site's webmasters: they receive its veto notices and daily digest (govwatch.notify).
    contacts: tuple[Contact, ...] = ()

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def all_hosts(self) -> tuple[str, ...]:
        return (self.host, *[h.lower() for h in self.hosts if h.lower() != self.host])

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "level": self.level,
            "kind": self.kind,
            "parent": self.parent,
            "site_code": self.site_code,
            "icp": self.icp,
            "repost_from": list(self.repost_from),
            "important_columns": list(self.important_columns),
            "repost_columns": list(self.repost_columns),
            "columns": [
                {"name": c.name, "path": c.path, "type": c.type} for c in self.columns
            ],
            "archive_paths": list(self.archive_paths),
            "crawl": {
                "max_pages": self.crawl.max_pages,
                "max_depth": self.crawl.max_depth,
                "delay": self.crawl.delay,
                "concurrency": self.crawl.concurrency,
            },
            "hosts": list(self.hosts),
            "sponsor": self.sponsor,
            "contacts": [c.to_dict() for c in self.contacts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteEntry:
        """Rebuild from `to_dict` output (as stored in the database); no validation."""
        crawl = data.get("crawl") or {}
        return cls(
            id=data["id"],
            name=data["name"],
            url=data["url"],
            level=data["level"],
            kind=data.get("kind", "portal"),
            parent=data.get("parent"),
            site_code=data.get("site_code"),
            icp=data.get("icp"),
            repost_from=tuple(data.get("repost_from") or ()),
            important_columns=tuple(data.get("important_columns") or ()),
            repost_columns=tuple(data.get("repost_columns") or ()),
            columns=tuple(
                ColumnSpec(c["name"], c["path"], c.get("type")) for c in data.get("columns") or ()
            ),
            archive_paths=tuple(data.get("archive_paths") or ()),
            crawl=CrawlOptions(**crawl),
            hosts=tuple(data.get("hosts") or ()),
            sponsor=data.get("sponsor"),
            contacts=tuple(Contact.from_dict(c) for c in data.get("contacts") or ()),
        )


def crawl_order(entries: list[SiteEntry]) -> list[SiteEntry]:
    """Portals before the sites below them: by level, then id (the repost rule needs the
    portals' items first)."""
    rank = {level: i for i, level in enumerate(LEVELS)}
    return sorted(entries, key=lambda e: (rank.get(e.level, len(rank)), e.id))
