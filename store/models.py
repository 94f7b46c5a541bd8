"""The database schema (SQLAlchemy 2.x typed models).

Every change here needs an Alembic migration under alembic/versions/. Times are stored
timezone-aware (UTC in PostgreSQL; SQLite keeps the offset as text via `TZDateTime`).
Nothing is ever deleted (findings move between open and fixed, crawls keep their rows),
except ended dashboard sessions (UserSession).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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
    sponsor: Mapped[str | None] = mapped_column(String(255))  # 主办单位 (registry, optional)
    # The site's webmasters (registry `contacts`, core.site.Contact dicts): notices go to
    # them (govwatch.notify), so `serve` on another machine needs no registry file.
    # Nullable: SQLite cannot tighten a column of a table others refer to.
    contacts: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
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
    # The process doing the crawl (the crawl process once it runs): pid, host, and when
    # that process started (epoch seconds; None where the system does not say), so that a
    # later command can tell whether the run's process still lives (store.process).
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    pid_started: Mapped[float | None]
    # Renewed every few seconds by the process that drives the run (a `govwatch worker`, or
    # `serve`'s nightly crawl) while it lives; a run whose heartbeat stopped is dead whatever
    # host it ran on (store.repo.reap_dead_runs). None: judged by pid on its own host only.
    heartbeat_at: Mapped[datetime | None]
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
    # The page through which the crawl first reached this one (archived-ness is inherited).
    parent_url: Mapped[str | None] = mapped_column(URL)


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


class SharedLink(Base):
    """A link target's verification shared by every crawl process on this database, for
    `crawler.link_share_hours` (crawler.sharing): a target many sites link to is requested once
    per period, not once per crawl. A crawl about to check a URL claims its row first
    (claimed_by/claimed_at, renewed while the check is pending); the others wait for the
    `result` it publishes, or take the claim over once it is older than
    `crawler.link_claim_timeout` (a claimant that died). Times are epoch seconds (portable
    arithmetic in SQL on SQLite and PostgreSQL)."""

    __tablename__ = "shared_links"

    url: Mapped[str] = mapped_column(URL, primary_key=True)
    claimed_by: Mapped[str | None] = mapped_column(String(255), index=True)
    claimed_at: Mapped[float | None]
    checked_at: Mapped[float | None] = mapped_column(index=True)
    # The verdict as link_results stores it: method, status, final_url, redirects,
    # error_kind, error, elapsed_ms, soft404, attempts.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SharedLinkHost(Base):
    """Politeness towards the hosts of shared link targets across crawl processes: the
    earliest time (epoch seconds) at which the next link check may be sent to `host`; each
    check reserves its slot by moving it on by `crawler.link_host_interval`."""

    __tablename__ = "shared_link_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_at: Mapped[float]


class AttachmentText(Base):
    """An attachment of a site's page the crawl downloaded and read (crawler.attachments):
    what content.privacy-leak needs, never the text itself; personal numbers masked."""

    __tablename__ = "attachment_texts"
    __table_args__ = (UniqueConstraint("crawl_run_id", "site_id", "url"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(URL)
    page_url: Mapped[str] = mapped_column(URL)  # the page that links it
    format: Mapped[str] = mapped_column(String(16))  # pdf, docx, xlsx, xls, rtf, doc, ...
    size: Mapped[int] = mapped_column(Integer)  # bytes read
    text_chars: Mapped[int] = mapped_column(Integer)  # characters of text found
    # crawler.facts.PersonalNumber as dicts: kind, masked, before.
    personal: Mapped[list[Any]]
    error: Mapped[str | None] = mapped_column(Text)  # why it was not (fully) read
    read_at: Mapped[datetime]


class ColumnRow(Base):
    """A 栏目 as one crawl saw it (derived from page facts by checks.columns.discover)."""

    __tablename__ = "columns"
    __table_args__ = (UniqueConstraint("crawl_run_id", "site_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(URL)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None]
    placeholder: Mapped[bool] = mapped_column(Boolean)
    newest: Mapped[datetime | None]
    newest_from: Mapped[str] = mapped_column(String(16))
    item_count: Mapped[int] = mapped_column(Integer)


class ColumnItemRow(Base):
    __tablename__ = "column_items"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("columns.id"), index=True)
    title: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(URL)
    date: Mapped[datetime | None]


class ItemSighting(Base):
    """Every item (list entry or article) of a site, with when govwatch first and last saw
    it: the repost rule measures delays from these when pages show no publication time."""

    __tablename__ = "item_sightings"
    __table_args__ = (UniqueConstraint("site_id", "url"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(URL)
    title: Mapped[str] = mapped_column(String(512))
    column_url: Mapped[str] = mapped_column(URL, default="")
    published: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    # content.fake-dates: the publication time an earlier crawl showed, when a later one
    # showed another day, and the crawl run that saw the change.
    previous_published: Mapped[datetime | None]
    date_changed_run: Mapped[int | None]


class Finding(Base):
    """A finding with its lifecycle. Identity: (site_id, check, url, page), via `fingerprint`."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_site_check_status", "site_id", "check", "status"),
        # reports.available: the months with finding events
        Index("ix_findings_last_seen", "last_seen"),
        Index("ix_findings_fixed_at", "fixed_at"),
    )

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
    # The 整改 loop (store/review.py; docs/rectification.md). `deadline`: the 整改期限, a
    # local date counted in working days from first_seen by severity (store/workdays.py),
    # rewritten by every check pass. `review`: "" (none), appealed (误报申诉 pending),
    # dismissed (误报, accepted: out of scores and counts for good) or waived (豁免 until
    # `waived_until`, inclusive; afterwards it counts again). `review_reason` and
    # `review_at`: the reason and moment of the step that set `review`. Orthogonal to
    # `status`: a crawl that sees the fault again keeps the review; every step is in
    # finding_events.
    deadline: Mapped[date | None]
    review: Mapped[str] = mapped_column(String(16), default="", server_default="")
    review_reason: Mapped[str | None] = mapped_column(Text)
    review_at: Mapped[datetime | None]
    waived_until: Mapped[date | None]


class FindingEvent(Base):
    """The 整改 loop's audit trail, append-only (rows are only ever inserted): who did what
    to which finding (or, for a re-crawl, which site), when, why, and the state before and
    after. store/review.py writes it; the finding's page and the site's page show it."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), index=True)
    at: Mapped[datetime]  # the real clock, never --as-of
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # supervisor | webmaster | system
    # appeal | accept | reject | waive | fixed (marked 已整改, with the re-check's verdict)
    # | recrawl (asked) | recrawl-done (its crawl and check pass ended)
    action: Mapped[str] = mapped_column(String(16))
    state_from: Mapped[str] = mapped_column(String(16), default="")
    state_to: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    waived_until: Mapped[date | None]
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    detail: Mapped[str] = mapped_column(Text, default="")


# -- reports (reports/) ---------------------------------------------------------------------
# Kept together at the end of the file: supervision reports store only what an audit of a
# published report needs; everything else in a report is recomputed from findings.


class ReportSample(Base):
    """One spot-check draw (抽查) for a report, so a published notice can be audited and redrawn.

    `population` is the sampling frame as drawn: [[site_id, level], ...] sorted by site id;
    `site_ids` the sites drawn (sorted). `method` names the algorithm (reports.sampling), and
    `digest` is a SHA-256 over (method, kind, period, rate, seed, population, site_ids) that
    the report prints, so a reader can check that a stored row is the one published.
    """

    __tablename__ = "report_samples"
    __table_args__ = (Index("ix_report_samples_kind_period", "kind", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # monthly | quarterly | annual
    period: Mapped[str] = mapped_column(String(16))  # 2026-10 | 2026-Q3 | 2026
    rate: Mapped[float]
    seed: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    population: Mapped[list[Any]]
    site_ids: Mapped[list[Any]]
    digest: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


# -- the service (scheduler.py, govwatch serve, web/) ---------------------------------------


class Probe(Base):
    """One availability probe of a site's home page (availability.unreachable reads these)."""

    __tablename__ = "probes"
    __table_args__ = (Index("ix_probes_site_started", "site_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(URL)
    started_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(URL)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int | None]  # until the whole page had loaded
    connect_ms: Mapped[int | None]
    ttfb_ms: Mapped[int | None]  # time to the first byte of the answer
    size: Mapped[int | None]  # bytes of the body
    # https.missing: the certificate the final (HTTPS) answer came with, verified by the probe.
    tls_not_after: Mapped[datetime | None]
    tls_issuer: Mapped[str | None] = mapped_column(String(255))


class User(Base):
    """A dashboard user: a supervisor sees every site, a webmaster only their own."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # supervisor | webmaster
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class UserSession(Base):
    """A dashboard login, held server-side so that it can end before its cookie does:
    logging out deletes its row, a password change or disabling the user deletes all of
    theirs (the one kind of row that is deleted). The cookie carries a random token; `id` is
    its SHA-256, so the table alone cannot be used to log in."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]


class UserSite(Base):
    __tablename__ = "user_sites"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class Notification(Base):
    """The veto notice about one finding to one recipient (govwatch.notify): each finding is
    announced once per recipient. `recipient` names the address ("email:…" or
    "webhook:…"); `recipient_key` is its SHA-256 (unique with the finding, and short enough to
    index whatever the URL's length). A send in progress has error CLAIM; a failed one keeps
    its error and `retry_at`, and after `[notify] max_attempts` is `gave_up`."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("finding_id", "recipient_key", name="uq_notifications_finding_recipient"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    recipient: Mapped[str] = mapped_column(Text, default="")
    recipient_key: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]  # the last attempt (or its claim)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    retry_at: Mapped[datetime | None]
    gave_up: Mapped[bool] = mapped_column(Boolean, default=False)


class DigestSend(Base):
    """A daily notice to one recipient (govwatch.notify.send_digests): a site's digest to one
    of its webmasters (`kind` digest, `site_id` the site) or the supervisors' summary (`kind`
    summary, `site_id` ""). Once per (day, kind, site, recipient), claimed like Notification."""

    __tablename__ = "digest_sends"
    __table_args__ = (
        UniqueConstraint("day", "kind", "site_id", "recipient_key",
                         name="uq_digest_sends_day_recipient"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # the local date, "2026-11-21"
    kind: Mapped[str] = mapped_column(String(16))  # digest | summary
    site_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(Text, default="")
    recipient_key: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    retry_at: Mapped[datetime | None]
    gave_up: Mapped[bool] = mapped_column(Boolean, default=False)


class SchedulerLock(Base):
    """At most one scheduler per database: the holder renews `heartbeat_at`; a second
    `govwatch serve` finds a fresh heartbeat by someone else and refuses to schedule."""

    __tablename__ = "scheduler_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
