"""The database schema (SQLAlchemy 2.x typed models).

Every change here needs an Alembic migration under alembic/versions/. Times are stored
timezone-aware (UTC in PostgreSQL; SQLite keeps the offset as text via `TZDateTime`).
Nothing is ever deleted: findings move between open and fixed, crawls keep their rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TZDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite would otherwise drop the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite hands back naive UTC
            return value.replace(tzinfo=UTC)
        return value


URL = String(2048)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: TZDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Site(Base):
    """A registered site; `config` holds the whole validated registry entry."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(URL)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrawlRun(Base):
    """One `govwatch crawl`: which sites, when, how it ended."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | finished | interrupted | failed
    status: Mapped[str] = mapped_column(String(16), index=True)
    as_of: Mapped[datetime]
    site_ids: Mapped[list[Any]]
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)


class PageBody(Base):
    """Raw page bodies, zlib-compressed and shared by content hash across crawls, so that
    extraction and checks can be replayed without re-crawling and unchanged pages cost nothing."""

    __tablename__ = "page_bodies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("crawl_run_id", "url"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(URL)
    final_url: Mapped[str | None] = mapped_column(URL)
    status: Mapped[int | None]
    depth: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(32))
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    # True when the server answered 304 and the stored body of an earlier crawl was reused.
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    body_sha256: Mapped[str | None] = mapped_column(ForeignKey("page_bodies.sha256"))
    fetched_at: Mapped[datetime]
    elapsed_ms: Mapped[int | None]
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class PageFactsRow(Base):
    """What crawler.extract found in a page (crawler.facts.PageFacts as JSON)."""

    __tablename__ = "page_facts"

    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]


class Link(Base):
    """One occurrence of a link on a crawled page (page_url -> url)."""

    __tablename__ = "links"
    __table_args__ = (Index("ix_links_run_url", "crawl_run_id", "url"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    page_url: Mapped[str] = mapped_column(URL)
    url: Mapped[str] = mapped_column(URL)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(255), default="")


class LinkResult(Base):
    """The single verification of a URL within a crawl run (shared by every page and site)."""

    __tablename__ = "link_results"
    __table_args__ = (UniqueConstraint("crawl_run_id", "url"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    url: Mapped[str] = mapped_column(URL)
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(URL)
    redirects: Mapped[list[Any]]
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int | None]
    soft404: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    checked_at: Mapped[datetime]


class Finding(Base):
    """A finding with its lifecycle. Identity: (site_id, check, url, page), via `fingerprint`."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_site_check_status", "site_id", "check", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    check: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(URL)
    page: Mapped[str] = mapped_column(URL)
    severity: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    rule: Mapped[str] = mapped_column(String(255))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8))  # open | fixed
    fixed_at: Mapped[datetime | None]
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
