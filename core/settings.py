"""Settings: every tunable of govwatch, defined and documented once, here.

Sources, later wins: these defaults; the TOML file named by `GOVWATCH_SETTINGS`, else
`config/settings.toml` in the working directory if it exists; `GOVWATCH_DATABASE_URL`.
Unknown keys and wrongly typed values are errors (`SettingsError`, one line naming the file
and key), so a typo never silently falls back to a default.

Check options live under `[checks."<code>"]` (e.g. `points = 0.1`, `enabled = false`) and are
validated against each check's defaults by `checks.catalogue.resolve_options`.

Report scoring lives under `[scoring]` (pass mark, points and caps per check code, points of a
stale column by class); the defaults and their sources are documented at `ScoringSettings`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.regulations import REGULATIONS
from core.site import EMAIL_RE, Contact

TIMEZONE = "Asia/Shanghai"


class SettingsError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class CrawlerSettings:
    # Sent with every request so webmasters can see who is inspecting them and write to us.
    user_agent: str = "govwatch/0.1 (government website inspection; +mailto:{contact})"
    contact: str = "govwatch@example.gov.cn"
    # Seconds before a request with no complete answer is abandoned (then retried).
    download_timeout: float = 15.0
    # Extra attempts for transient failures (timeouts, resets, 502/503/504) before "dead".
    retries: int = 2
    # Bodies larger than this are not downloaded; the URL is recorded as too_large (not dead).
    max_body_bytes: int = 8 * 1024 * 1024
    max_redirects: int = 10
    # Attachments (PDF, Word, Excel) of a site's own pages are downloaded and their text read
    # for content.privacy-leak when no larger than this (bytes; 0 = attachments are only
    # link-checked, never read), at most `attachments_per_site` of them per site and crawl.
    attachment_max_bytes: int = 8 * 1024 * 1024
    attachments_per_site: int = 200
    # "obey" robots.txt of each site, or "ignore" it (supervisors may be entitled to).
    robots: str = "obey"
    # Host -> "address:port" to connect to instead of resolving the host (like curl's
    # --connect-to); "*.example.gov.cn" patterns allowed. The request still names the host.
    connect_to: dict[str, str] = field(default_factory=dict)
    # Egress HTTP proxy for every request ("" = none), e.g. "http://10.0.0.1:3128".
    proxy: str = ""
    # Destinations exempt from the egress policy (crawler.egress_policy): requests to loopback,
    # private, link-local, multicast and reserved addresses are refused unless the host is a
    # registered site's, a connect_to key, or listed here: host names, fnmatch patterns
    # ("*.intranet.gov.cn") or networks ("10.0.0.0/8", "fd00::/8"). For intranet deployments.
    egress_allow: tuple[str, ...] = ()
    # Link checks per site (targets verified without being crawled as pages) stop at this
    # multiple of the site's max_pages; the cap is reported (links.check-cap). Bounds the
    # requests a site full of links, or a trap, can cause.
    link_check_factor: int = 20
    # Distinct link targets taken from one page (beyond these, the page's links are not
    # verified; reported with links.check-cap).
    max_links_per_page: int = 500
    # Global limit of requests in flight (per-site limits come from the registry).
    concurrent_requests: int = 64
    # Statuses to a HEAD request that mean "ask again with GET" (bot filters, HEAD refused).
    head_fallback_statuses: tuple[int, ...] = (400, 401, 403, 404, 405, 406, 409, 500, 501, 503)
    # Longest Retry-After (seconds) honoured by slowing a host down; beyond, give up.
    retry_after_max: float = 120.0
    # Ask each host for a random non-existent URL to recognise its soft-404 page.
    soft404_probe: bool = True
    # Seconds between progress lines on stderr.
    progress_interval: float = 2.0
    # Rows per database write from the crawl pipeline.
    batch_size: int = 200
    # Worker processes that decode, extract and store fetched pages (crawler.pool), so
    # that this work runs on other cores than Scrapy's downloading; 0 = in the crawl
    # process. Two are best on 2 cores (measured on bench/crawl.py: 234 pages/s against
    # 203 with one, which leaves a core idle whenever extraction waits); more cores, more.
    extract_workers: int = 2
    # Extract the facts of the content checks from every page (issue 12: hidden and
    # off-template blocks, random-id runs and hidden frames for content.spam-injected and
    # content.malicious-embed; the visible text for the word lists, personal numbers,
    # traditional characters; ad labels, message lists and service-guide labels). false:
    # a cheaper crawl whose pages the content checks cannot judge (they find nothing there);
    # link, identity, timeliness and the other checks are unaffected.
    content_extraction: bool = True
    # Link results are shared by every crawl process on the database (crawler.sharing) for
    # this many hours: a target that many sites link to (beian.miit.gov.cn, www.gov.cn, a
    # provincial portal) is requested once per period, by whichever crawl reaches it first,
    # not once per site or process. A site's own URLs are always checked by its own crawl
    # (a fix shows at the next crawl). 0 = no sharing: every crawl process checks everything.
    link_share_hours: float = 12.0
    # Seconds after which another crawl's claim on a link target that was not renewed (the
    # claimant died or was killed) is taken over; claims are renewed while they wait.
    link_claim_timeout: float = 120.0
    # Seconds a crawl waits between two looks at the link targets others are checking.
    link_share_poll: float = 1.0
    # Seconds between two link checks sent to one host by all crawl processes together
    # (hosts not crawled as sites by the process: other sites' hosts, beian.miit.gov.cn,
    # ...); 0 = only the per-process limit of 2 at a time.
    link_host_interval: float = 0.1


# Points deducted per finding of a `deduct` finding, by check code (the catalogue in
# ../shared/spec/checks.md). Sources: 2015评分表 (国办发〔2015〕15号 附件) for the links and
# columns rows; the rest are govwatch's own default of 2 points each, capped (see
# DEFAULT_SCORING_CAPS), for supervisors to adjust to their own 评分细则.
DEFAULT_SCORING_POINTS: dict[str, float] = {
    "links.dead": 0.1,  # 2015评分表: 0.1 per dead link on other pages
    "links.dead-home": 1.0,  # 2015评分表: 1 per dead link on the home page
    "columns.stale": 4.0,  # used when a finding names no column class (see column_class_points)
    "columns.blank": 5.0,  # 2015评分表: 5 per blank column
    "identity.icp-missing": 2.0,
    "identity.police-missing": 2.0,
    "identity.site-code-missing": 2.0,
    "identity.site-code-mismatch": 2.0,
    "identity.conac-missing": 2.0,
    "identity.name-missing": 2.0,
    "identity.jiucuo-missing": 2.0,
    "domain.not-gov": 2.0,
    "archive.label-missing": 2.0,
    "archive.time-missing": 2.0,
    "repost.lapse": 2.0,
    "content.traditional-chars": 2.0,
    "content.banned-words": 2.0,
    "content.commercial-ads": 2.0,
    "service.guide-incomplete": 2.0,  # below the veto count (检查指标 vetoes >= 5 guides)
    "meta.source-missing": 2.0,
    "meta.pubdate-missing": 2.0,
}
# Largest deduction one check may cause in a period (0 = no cap). Per-page and per-link checks
# are capped so that one systemic fault (a template without 来源) cannot outweigh everything else;
# the 2015评分表 scores stale and blank columns per column without a cap.
DEFAULT_SCORING_CAPS: dict[str, float] = {
    "links.dead": 10.0,
    "links.dead-home": 10.0,
    "columns.stale": 0.0,
    "columns.blank": 0.0,
}
# columns.stale by the column's class (the finding's evidence["class"]), 2015评分表:
# 动态要闻 5, 通知公告/政策文件 4, 人事/规划计划 3 per stale column.
DEFAULT_COLUMN_CLASS_POINTS: dict[str, float] = {
    "news": 5.0,
    "notice": 4.0,
    "policy": 4.0,
    "personnel": 3.0,
    "plan": 3.0,
}


@dataclass(frozen=True, slots=True)
class ScoringSettings:
    """How reports/ scores a site for a period (`[scoring]`, `[scoring.points]`,
    `[scoring.caps]`, `[scoring.column_class_points]`).

    A site's score is 100 minus the deductions of its `deduct` findings (floor 0): per check,
    points x findings (columns.stale: by column class), at most the check's cap. `veto`
    findings fail the site whatever its score; `notice` findings are reported, never scored;
    each finding's own stored severity counts. A site passes (合格) with no veto finding and a
    score >= pass_score. Tables given in a settings file are merged into the defaults.
    """

    # A site scoring below this fails the period (检查指标: 60).
    pass_score: float = 60.0
    # Points per finding of a deduct check that `points` does not list.
    default_points: float = 2.0
    # Cap of a check that `caps` does not list (0 = no cap).
    default_cap: float = 10.0
    points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SCORING_POINTS))
    caps: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SCORING_CAPS))
    column_class_points: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_COLUMN_CLASS_POINTS)
    )

    def points_for(self, code: str, column_class: str | None = None) -> float:
        if column_class is not None and column_class in self.column_class_points:
            return self.column_class_points[column_class]
        return self.points.get(code, self.default_points)

    def cap_for(self, code: str) -> float:
        """The largest deduction `code` may cause; 0 means no cap."""
        return self.caps.get(code, self.default_cap)


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The dashboard (`[web]`, web/): sessions, cookies and the "re-check now" button."""

    # Signs the session cookies (itsdangerous). Required: the dashboard refuses to start
    # without one (a key generated at start-up would log everyone out at every restart, and
    # two processes would disagree). At least 32 characters, e.g. the output of
    # `python -c "import secrets; print(secrets.token_urlsafe(32))"`. Keep it secret.
    secret_key: str = ""
    # Seconds a login lasts, from the moment of logging in (8 hours: one working day).
    session_max_age: int = 8 * 3600
    # Send the session cookie over HTTPS only. Set true whenever the dashboard is served
    # through TLS (it should be, outside a loopback demo).
    cookie_secure: bool = False
    # Seconds one "re-check now" may take in all: every connect, header and body read of
    # every request it makes (a target trickling its answer is cut off at this deadline).
    recheck_timeout: float = 15.0
    # Re-checks running at once, over all users, and per user. Re-checks run in their own
    # threads (never the dashboard's), so pages, /login and /healthz keep answering while
    # they wait on slow targets; a re-check asked beyond a cap is refused at once, with a
    # message to try again shortly.
    recheck_max_concurrent: int = 8
    recheck_max_per_user: int = 2
    # Findings per page in the dashboard's lists.
    page_size: int = 100
    # Failed logins allowed per user name and client address within `login_window` seconds;
    # beyond that, logins are refused until the window has passed (slows password guessing).
    login_attempts: int = 5
    login_window: int = 15 * 60
    # Reverse proxies whose X-Forwarded-For header is believed (addresses or networks,
    # e.g. ["127.0.0.1", "10.0.0.0/8"]). Default none: the login throttle counts failures by
    # the connecting address, so a client cannot pick a fresh "address" per attempt. Name
    # your proxy here when the dashboard is served behind one, or every user shares its
    # address.
    trusted_proxies: tuple[str, ...] = ()
    # The dashboard's address as its users reach it (e.g. "https://jiance.example.gov.cn"):
    # notices link to the findings there. Empty: notices carry no links.
    public_url: str = ""
    # The instant the dashboard takes as "now" for deadlines, overdue flags (超期未整改) and
    # the re-crawls it starts (their --as-of), as ISO 8601 with an offset; "" (default) the
    # current time. `govwatch demo --serve` sets it to the demo's instant, so that its
    # world, dated November 2026, reads the same whatever day it is shown. Rate limits and
    # the audit trail always use the real clock.
    as_of: str = ""


@dataclass(frozen=True, slots=True)
class RectifySettings:
    """The 整改 loop (`[rectify]`, store/review.py, web/): deadlines, appeals, waivers and
    the webmaster's re-crawl. docs/rectification.md describes the loop."""

    # 整改期限 in working days (weekends and public holidays skipped, 调休 make-up days
    # counted: store/workdays.py), from the local day a finding was first seen, by severity:
    # a veto (单项否决) within a week, a deduction within three weeks, a notice within six.
    # A finding still open (neither fixed, dismissed as 误报 nor under an unexpired waiver)
    # after its deadline day is 超期未整改.
    deadline_working_days: dict[str, int] = field(
        default_factory=lambda: {"veto": 5, "deduct": 15, "notice": 30})
    # A webmaster's (or supervisor's) 重新抓取本站: at most once per this many minutes per
    # site, counted from the last request (the nightly crawl is not counted).
    recrawl_interval_minutes: int = 60
    # A waiver (豁免) may run at most this many days from the day it is granted.
    waiver_max_days: int = 366


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """Home-page availability probes (`[probe]`): `govwatch probe` and the scheduler's
    probe.home job store them; availability.unreachable judges the stored series."""

    # Seconds within which the whole home page (headers and every byte of the body) must have
    # loaded, else the probe fails as a timeout (检查指标: 15 秒).
    timeout: float = 15.0
    # Sites probed at the same time (one thread and one request each).
    concurrency: int = 8
    # The dashboard's availability view (web/availability.py): consecutive failed probes
    # that make an incident (1: every failed probe is one; 2 hides single blips), and how
    # many of the newest incidents a site's page lists (all are counted).
    incident_min_failures: int = 1
    incidents_shown: int = 20
    # A PEM file of certificate authorities trusted besides the public ones (certifi), for
    # sites whose certificates a private or government CA issued; "" none. Probes verify
    # every certificate and record its expiry for https.missing.
    ca_file: str = ""


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """The schedule of `govwatch serve` (`[scheduler]`); times are "HH:MM" in the settings'
    timezone (Asia/Shanghai). `scheduler.job_table` turns this into the job table."""

    # false: `govwatch serve` serves the dashboard only and schedules nothing.
    enabled: bool = True
    # The nightly crawl of every active site: one crawl process per site, at most
    # crawl_concurrency at a time, portals first; each crawl is checked when it finishes.
    crawl_enabled: bool = True
    crawl_time: str = "02:00"
    crawl_concurrency: int = 2
    # A crawl still running after this many minutes is stopped (SIGTERM, then SIGKILL) and
    # recorded as failed; the other sites' crawls go on.
    crawl_timeout_minutes: float = 360.0
    # Pages per site in scheduled crawls (0: the registry's crawl.max_pages).
    crawl_max_pages: int = 0
    # A nightly crawl missed while the service was down runs once when the service is back
    # within this many minutes of the missed time (later, it waits for the next night).
    crawl_misfire_grace_minutes: int = 720
    # Home-page probes every N minutes: at least 20 a day are required (检查指标), so N <= 72.
    probe_enabled: bool = True
    probe_interval_minutes: int = 60
    # Repost watch every N minutes: portals' important columns and the sites' repost columns,
    # so that first-seen times are accurate to N minutes (the 12-hour repost rule).
    repost_enabled: bool = True
    repost_interval_minutes: int = 60
    # New items per watched column whose article pages are fetched for their publication time.
    repost_article_limit: int = 20
    # Supervision reports of the period just ended, written under report_dir: monthly on the
    # 1st, quarterly on 1 Jan/Apr/Jul/Oct, annual on 1 January, at these times.
    reports_enabled: bool = True
    monthly_report_time: str = "06:00"
    quarterly_report_time: str = "07:00"
    annual_report_time: str = "08:00"
    report_dir: str = "reports-out"
    report_formats: tuple[str, ...] = ("html", "xlsx")
    # Notifications that failed are retried every N minutes (new veto findings are announced
    # right after each check pass in any case).
    notify_interval_minutes: int = 15
    # The daily notices (govwatch.notify.send_digests): each site's digest to its webmasters
    # and the supervisors' summary, at this local time.
    digest_enabled: bool = True
    digest_time: str = "08:00"
    # One scheduler per database: the holder renews its heartbeat every heartbeat_seconds; a
    # lock whose heartbeat is older than lock_stale_seconds is taken over by the next serve.
    heartbeat_seconds: float = 20.0
    lock_stale_seconds: float = 120.0
    # Job ids run once as soon as the scheduler starts (operators; the end-to-end test),
    # e.g. ["crawl.nightly", "probe.home"].
    run_on_start: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Notices (`[notify]`, govwatch.notify): new veto findings at once, a daily digest.

    Who: each site's webmasters (registry `contacts`) get their own site's notices only;
    the supervisors get every site's veto notices and a daily summary. Supervisors are
    `supervisors` plus, for compatibility with earlier settings, every address of `mail_to`
    and the `webhook_url` (each a supervisor of its own). Email needs `smtp_host`; without
    it, only webhooks are sent. A failed send is retried with backoff, then given up.
    """

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""  # "" = no SMTP login
    smtp_password: str = ""
    smtp_starttls: bool = False  # upgrade the connection with STARTTLS before logging in
    mail_from: str = "govwatch@example.gov.cn"
    # Supervisors: a list of {name, email, webhook} tables (email and/or webhook), e.g.
    # supervisors = [{name = "省政务公开办", email = "zwgk@example.gov.cn"}].
    supervisors: tuple[Contact, ...] = ()
    # Earlier settings, still honoured: supervisor email addresses and a supervisor webhook.
    mail_to: tuple[str, ...] = ()
    webhook_url: str = ""
    # Seconds per send (SMTP session or webhook request).
    timeout: float = 10.0
    # Veto findings first seen more than this many days ago are not announced: they are not
    # news (a first start on an old database, or a channel that kept failing that long).
    max_age_days: int = 7
    # A failed send is tried again after retry_minutes, then twice as long after each further
    # failure; after max_attempts attempts in all it is marked failed (shown by `govwatch
    # notify`) and not tried again.
    max_attempts: int = 5
    retry_minutes: float = 15.0

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @property
    def supervisor_contacts(self) -> tuple[Contact, ...]:
        """`supervisors`, then the legacy `mail_to` addresses and `webhook_url`."""
        legacy = [Contact(email=a) for a in self.mail_to]
        if self.webhook_url:
            legacy.append(Contact(webhook=self.webhook_url))
        return (*self.supervisors, *legacy)


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """The supervision reports as official documents (`[report]`, reports/official.py):
    defaults for what `govwatch report --issuer --doc-number --issue-date --deadline` sets."""

    # 发文机关, printed in the 版头 and the signature (e.g. "湖南省人民政府办公厅"); empty
    # leaves a blank to fill in.
    issuer: str = ""
    # 文号 (e.g. "湘政办网〔2026〕12号"); usually given per report with --doc-number.
    doc_number: str = ""
    # 主送机关: whom the 通报 is addressed to.
    recipients: str = "各有关单位"
    # 整改期限 when --deadline is not given: this many calendar days after the 印发日期.
    deadline_days: int = 30


@dataclass(frozen=True, slots=True)
class ColumnSettings:
    """How discovered columns (栏目) are told apart (`[columns]`, checks/columns/discover.py)."""

    # Characters of a column page's own text (outside header, footer, list items and links,
    # whitespace excluded) from which a page without dated items is a single-page column
    # (联系我们, 机构职能: neither blank nor stale) rather than an empty list column. The
    # same default as checks.columns.common.SINGLE_PAGE_TEXT_MIN (a test keeps them equal).
    single_page_text_min: int = 50


@dataclass(frozen=True, slots=True)
class WorkersSettings:
    """Site crawls taken from a queue by `govwatch worker` processes on any number of
    machines (`[workers]`, govwatch/queue.py): the queue is procrastinate's, kept in the same
    PostgreSQL database. Off by default: everything runs in-process, and SQLite works."""

    # true: `govwatch serve`'s nightly crawl and `govwatch crawl --enqueue` put one job per
    # site in the queue and the workers crawl and check them. Needs PostgreSQL.
    enabled: bool = False
    # Site crawls one `govwatch worker` runs at once when --concurrency is not given (each
    # is its own crawl process: about one core and its politeness-bound downloads).
    concurrency: int = 1
    # Seconds between a worker's heartbeats (procrastinate's worker row, and each crawl run
    # it drives: crawl_runs.heartbeat_at).
    heartbeat_seconds: float = 10.0
    # A worker (or a crawl run) whose heartbeat is older than this is dead (kill -9, machine
    # gone): its job goes back to the queue for another worker and its run is marked
    # interrupted. Must exceed two heartbeats.
    stalled_seconds: float = 60.0
    # Seconds between each worker's look for stalled jobs and dead runs.
    recover_interval_seconds: float = 15.0
    # Attempts of one site's crawl job (a crawl interrupted by a worker's shutdown or death
    # is tried again up to this many times in all).
    max_attempts: int = 3
    # A site's check pass waits for the crawls and checks of the portals it must repost
    # from (registry `repost_from`) that are still queued or running, so that their items are
    # known first (as in one `govwatch crawl`); it looks again every check_retry_seconds and
    # checks anyway after check_wait_minutes.
    check_retry_seconds: float = 5.0
    check_wait_minutes: float = 120.0


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///govwatch.db"
    timezone: str = TIMEZONE
    crawler: CrawlerSettings = field(default_factory=CrawlerSettings)
    # Report scoring (reports/): see ScoringSettings.
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    # Availability probes, the service's schedule, notifications: see each class.
    probe: ProbeSettings = field(default_factory=ProbeSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    # The dashboard (web/): see WebSettings.
    web: WebSettings = field(default_factory=WebSettings)
    # The reports' official-document heading: see ReportSettings.
    report: ReportSettings = field(default_factory=ReportSettings)
    # Single-page versus list columns: see ColumnSettings.
    columns: ColumnSettings = field(default_factory=ColumnSettings)
    # Crawls by `govwatch worker` processes over a PostgreSQL queue: see WorkersSettings.
    workers: WorkersSettings = field(default_factory=WorkersSettings)
    # The 整改 loop (deadlines, appeals, waivers, re-crawls): see RectifySettings.
    rectify: RectifySettings = field(default_factory=RectifySettings)
    # Local regulations adopted per site or supervising authority (`[regulations.adopt]`,
    # site id -> keys of core.regulations.REGULATIONS): a site is bound by the national
    # documents plus those its own id or any supervising portal above it (registry `parent`)
    # adopts; findings cite only the documents that bind their site. Default: none adopted.
    adopt: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per-check overrides: {"links.dead": {"points": 0.1, "enabled": True}}.
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<defaults>"

    def check_enabled(self, code: str) -> bool:
        return bool(self.checks.get(code, {}).get("enabled", True))

    def check_overrides(self, code: str) -> dict[str, Any]:
        return {k: v for k, v in self.checks.get(code, {}).items() if k != "enabled"}


def _coerce(where: str, key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: {key} 应为 true/false，而不是 {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise SettingsError(f"{where}: {key} 应为列表，而不是 {value!r}")
        return tuple(value)
    if not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(
        default, bool
    ):
        raise SettingsError(
            f"{where}: {key} 应为 {type(default).__name__}，而不是 {value!r}"
        )
    return value


def _merge_crawler(where: str, base: CrawlerSettings, data: Any) -> CrawlerSettings:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [crawler] 应为表")
    known = {f.name: f for f in fields(CrawlerSettings)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"{where}: 未知设置 crawler.{key}")
        changes[key] = _coerce(where, f"crawler.{key}", getattr(base, key), value)
    result = replace(base, **changes)
    if result.robots not in ("obey", "ignore"):
        raise SettingsError(f"{where}: crawler.robots 只能是 obey 或 ignore")
    for name in ("download_timeout", "max_body_bytes", "concurrent_requests", "batch_size",
                 "link_check_factor", "max_links_per_page", "link_claim_timeout",
                 "link_share_poll"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: crawler.{name} 必须大于 0")
    for name in ("retries", "extract_workers", "attachment_max_bytes", "attachments_per_site",
                 "link_share_hours", "link_host_interval"):
        if getattr(result, name) < 0:
            raise SettingsError(f"{where}: crawler.{name} 不能为负数")
    for host, target in result.connect_to.items():
        if not isinstance(target, str) or ":" not in target:
            raise SettingsError(f"{where}: crawler.connect_to.{host} 应为 \"地址:端口\"")
    for entry in result.egress_allow:
        if not isinstance(entry, str) or not entry.strip():
            raise SettingsError(f"{where}: crawler.egress_allow 的每一项应为主机名、通配符或网段")
        if "/" in entry:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise SettingsError(
                    f"{where}: crawler.egress_allow 中的网段无效: {entry!r}") from None
    return result


def _merge_scoring(where: str, base: ScoringSettings, data: Any) -> ScoringSettings:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [scoring] 应为表")
    tables = ("points", "caps", "column_class_points")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in tables:
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: [scoring.{key}] 应为表")
            merged = dict(getattr(base, key))
            for name, number in value.items():
                if isinstance(number, bool) or not isinstance(number, int | float):
                    raise SettingsError(
                        f"{where}: scoring.{key}.{name} 应为数值，而不是 {number!r}")
                if number < 0:
                    raise SettingsError(f"{where}: scoring.{key}.{name} 不能为负数")
                merged[str(name)] = float(number)
            changes[key] = merged
        elif key in ("pass_score", "default_points", "default_cap"):
            number = _coerce(where, f"scoring.{key}", getattr(base, key), value)
            if number < 0:
                raise SettingsError(f"{where}: scoring.{key} 不能为负数")
            changes[key] = number
        else:
            raise SettingsError(f"{where}: 未知设置 scoring.{key}")
    result = replace(base, **changes)
    if result.pass_score > 100:
        raise SettingsError(f"{where}: scoring.pass_score 不能大于 100")
    return result


def _merge_web(where: str, base: WebSettings, data: Any) -> WebSettings:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [web] 应为表")
    known = {f.name for f in fields(WebSettings)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"{where}: 未知设置 web.{key}")
        changes[key] = _coerce(where, f"web.{key}", getattr(base, key), value)
    result = replace(base, **changes)
    if result.secret_key and len(result.secret_key) < 32:
        raise SettingsError(f"{where}: web.secret_key 太短（至少 32 个字符）")
    for name in ("session_max_age", "recheck_timeout", "page_size", "login_attempts",
                 "login_window", "recheck_max_concurrent", "recheck_max_per_user"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: web.{name} 必须大于 0")
    if result.as_of:
        try:
            moment = datetime.fromisoformat(result.as_of)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise SettingsError(f"{where}: web.as_of 应为带时区的 ISO 时间"
                                "（如 \"2026-11-21T12:00:00+08:00\"），或留空表示当前时间")
    for entry in result.trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except (TypeError, ValueError):
            raise SettingsError(f"{where}: web.trusted_proxies 中的 {entry!r} 不是 IP 地址或网段"
                                ) from None
    if result.public_url and not _WEB_URL.match(result.public_url):
        raise SettingsError(f"{where}: web.public_url 应为 http:// 或 https:// 开头的网址")
    return result


_WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _merge_columns(where: str, base: ColumnSettings, data: Any) -> ColumnSettings:
    result: ColumnSettings = _merge_section(where, "columns", base, data)
    if result.single_page_text_min <= 0:
        raise SettingsError(f"{where}: columns.single_page_text_min 必须大于 0")
    return result


SEVERITIES = ("veto", "deduct", "notice")


def _merge_rectify(where: str, base: RectifySettings, data: Any) -> RectifySettings:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [rectify] 应为表")
    days = data.get("deadline_working_days")
    rest = {k: v for k, v in data.items() if k != "deadline_working_days"}
    result: RectifySettings = _merge_section(where, "rectify", base, rest)
    if days is not None:
        if not isinstance(days, dict) or set(days) - set(SEVERITIES):
            raise SettingsError(f"{where}: rectify.deadline_working_days 应为表，键为 "
                                "veto、deduct、notice（如 {veto = 5, deduct = 15, notice = 30}）")
        merged = dict(base.deadline_working_days)
        for key, value in days.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365:
                raise SettingsError(f"{where}: rectify.deadline_working_days.{key} 应为 1 到 "
                                    "365 之间的整数（工作日）")
            merged[key] = value
        result = replace(result, deadline_working_days=merged)
    for name in ("recrawl_interval_minutes", "waiver_max_days"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: rectify.{name} 必须大于 0")
    return result


def _merge_section(where: str, name: str, base: Any, data: Any) -> Any:
    """A flat settings table over the defaults in `base`, each key typed like its default."""
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: [{name}] 应为表")
    known = {f.name for f in fields(base)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"{where}: 未知设置 {name}.{key}")
        changes[key] = _coerce(where, f"{name}.{key}", getattr(base, key), value)
    return replace(base, **changes)


def _merge_probe(where: str, base: ProbeSettings, data: Any) -> ProbeSettings:
    result: ProbeSettings = _merge_section(where, "probe", base, data)
    for name in ("timeout", "concurrency", "incident_min_failures", "incidents_shown"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: probe.{name} 必须大于 0")
    if result.ca_file and not Path(result.ca_file).is_file():
        raise SettingsError(f"{where}: probe.ca_file 指向的文件不存在: {result.ca_file}")
    return result


def _merge_report(where: str, base: ReportSettings, data: Any) -> ReportSettings:
    result: ReportSettings = _merge_section(where, "report", base, data)
    if result.deadline_days <= 0:
        raise SettingsError(f"{where}: report.deadline_days 必须大于 0")
    for name in ("issuer", "doc_number", "recipients"):
        if "\n" in getattr(result, name) or len(getattr(result, name)) > 200:
            raise SettingsError(f"{where}: report.{name} 应为一行文字（不超过 200 个字符）")
    return result


def _merge_scheduler(where: str, base: SchedulerSettings, data: Any) -> SchedulerSettings:
    result: SchedulerSettings = _merge_section(where, "scheduler", base, data)
    for name in ("crawl_time", "monthly_report_time", "quarterly_report_time",
                 "annual_report_time", "digest_time"):
        if not _HHMM.match(getattr(result, name)):
            raise SettingsError(f"{where}: scheduler.{name} 应为 \"HH:MM\"（如 \"02:00\"）")
    for name in ("crawl_concurrency", "crawl_timeout_minutes", "crawl_misfire_grace_minutes",
                 "probe_interval_minutes", "repost_interval_minutes", "notify_interval_minutes",
                 "heartbeat_seconds"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: scheduler.{name} 必须大于 0")
    for name in ("crawl_max_pages", "repost_article_limit"):
        if getattr(result, name) < 0:
            raise SettingsError(f"{where}: scheduler.{name} 不能为负数")
    if 24 * 60 // result.probe_interval_minutes < 20:
        raise SettingsError(f"{where}: scheduler.probe_interval_minutes 不能超过 72"
                            "（检查指标要求每天至少探测 20 次）")
    if result.lock_stale_seconds <= 2 * result.heartbeat_seconds:
        raise SettingsError(f"{where}: scheduler.lock_stale_seconds 必须大于 "
                            "heartbeat_seconds 的两倍")
    bad = [f for f in result.report_formats if f not in ("html", "xlsx", "pdf")]
    if bad or not all(isinstance(f, str) for f in result.report_formats):
        raise SettingsError(f"{where}: scheduler.report_formats 只能包含 html、xlsx、pdf")
    if not all(isinstance(j, str) for j in result.run_on_start):
        raise SettingsError(f"{where}: scheduler.run_on_start 应为任务编号的列表")
    return result


def _merge_workers(where: str, base: WorkersSettings, data: Any) -> WorkersSettings:
    result: WorkersSettings = _merge_section(where, "workers", base, data)
    for name in ("concurrency", "heartbeat_seconds", "stalled_seconds",
                 "recover_interval_seconds", "max_attempts", "check_retry_seconds",
                 "check_wait_minutes"):
        if getattr(result, name) <= 0:
            raise SettingsError(f"{where}: workers.{name} 必须大于 0")
    if result.stalled_seconds <= 2 * result.heartbeat_seconds:
        raise SettingsError(f"{where}: workers.stalled_seconds 必须大于 heartbeat_seconds 的两倍")
    return result


def is_postgres(url: str) -> bool:
    """Whether a database URL names PostgreSQL (any driver)."""
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def _merge_notify(where: str, base: NotifySettings, data: Any) -> NotifySettings:
    if isinstance(data, dict) and "supervisors" in data:
        data = dict(data)
        supervisors = _contacts(where, "notify.supervisors", data.pop("supervisors"))
        base = replace(base, supervisors=supervisors)
    result: NotifySettings = _merge_section(where, "notify", base, data)
    if not all(isinstance(a, str) and EMAIL_RE.fullmatch(a) for a in result.mail_to):
        raise SettingsError(f"{where}: notify.mail_to 应为电子邮件地址的列表")
    if not 0 < result.smtp_port < 65536:
        raise SettingsError(f"{where}: notify.smtp_port 应在 1 到 65535 之间")
    if result.timeout <= 0 or result.max_age_days <= 0:
        raise SettingsError(f"{where}: notify.timeout 和 notify.max_age_days 必须大于 0")
    if result.max_attempts <= 0 or result.retry_minutes <= 0:
        raise SettingsError(f"{where}: notify.max_attempts 和 notify.retry_minutes 必须大于 0")
    if result.webhook_url and not _WEB_URL.match(result.webhook_url):
        raise SettingsError(f"{where}: notify.webhook_url 应以 http:// 或 https:// 开头")
    return result


def _contacts(where: str, key: str, value: Any) -> tuple[Contact, ...]:
    """A list of {name, email, webhook} tables, each with an email and/or a webhook."""
    if not isinstance(value, list):
        raise SettingsError(f"{where}: {key} 应为列表，每项如 {{name = \"…\", email = \"…\"}}")
    result = []
    for n, item in enumerate(value, 1):
        label = f"{where}: {key} 第 {n} 项"
        if not isinstance(item, dict):
            raise SettingsError(f"{label} 应为表 {{name, email, webhook}}")
        unknown = set(item) - {"name", "email", "webhook"}
        if unknown:
            raise SettingsError(f"{label} 有未知字段 {'、'.join(sorted(unknown))}"
                                "（只允许 name、email、webhook）")
        if not all(isinstance(v, str) for v in item.values()):
            raise SettingsError(f"{label} 的 name、email、webhook 应为字符串")
        name, email, hook = (item.get(k, "").strip() for k in ("name", "email", "webhook"))
        if not email and not hook:
            raise SettingsError(f"{label} 至少应有 email 或 webhook 之一")
        if email and not EMAIL_RE.fullmatch(email):
            raise SettingsError(f"{label} 的 email {email!r} 不是有效的电子邮件地址")
        if hook and not _WEB_URL.match(hook):
            raise SettingsError(f"{label} 的 webhook 应以 http:// 或 https:// 开头")
        result.append(Contact(name=name, email=email or None, webhook=hook or None))
    return tuple(result)


def _merge_regulations(where: str, base: dict[str, tuple[str, ...]], data: Any
                       ) -> dict[str, tuple[str, ...]]:
    if not isinstance(data, dict) or set(data) - {"adopt"}:
        raise SettingsError(
            f"{where}: [regulations] 只接受 adopt = {{站点ID = [\"法规代号\", ...]}}")
    adopt = data.get("adopt", {})
    if not isinstance(adopt, dict):
        raise SettingsError(f"{where}: regulations.adopt 应为表（站点ID = [法规代号, ...]）")
    merged = dict(base)
    for site_id, keys in adopt.items():
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise SettingsError(f"{where}: regulations.adopt.{site_id} 应为法规代号列表")
        unknown = [k for k in keys if k not in REGULATIONS]
        if unknown:
            raise SettingsError(f"{where}: regulations.adopt.{site_id}: 未知的法规代号 "
                                f"{'、'.join(unknown)}（可用: {'、'.join(REGULATIONS)}）")
        merged[site_id] = tuple(keys)
    return merged


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings; see the module docstring for the order of sources."""
    settings = Settings()
    if path is None:
        env = os.environ.get("GOVWATCH_SETTINGS")
        if env:
            path = Path(env)
            if not path.is_file():
                raise SettingsError(f"GOVWATCH_SETTINGS 指向的文件不存在: {path}")
        elif Path("config/settings.toml").is_file():
            path = Path("config/settings.toml")
    if path is not None:
        settings = apply_file(settings, Path(path))
    db_url = os.environ.get("GOVWATCH_DATABASE_URL")
    if db_url:
        settings = replace(settings, database_url=db_url)
    if settings.workers.enabled and not is_postgres(settings.database_url):
        raise SettingsError(
            f"{settings.source}: workers.enabled = true 需要 PostgreSQL 数据库"
            f"（队列与锁都在其中），当前数据库为 {settings.database_url.split(':', 1)[0]}")
    return settings


def apply_file(settings: Settings, path: Path) -> Settings:
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{where}: 无法读取: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where}: TOML 语法错误: {exc}") from None
    return apply_mapping(settings, data, where)


def apply_mapping(settings: Settings, data: dict[str, Any], where: str) -> Settings:
    changes: dict[str, Any] = {"source": where}
    for key, value in data.items():
        if key == "database_url":
            changes[key] = _coerce(where, key, settings.database_url, value)
        elif key == "timezone":
            changes[key] = _coerce(where, key, settings.timezone, value)
        elif key == "crawler":
            changes[key] = _merge_crawler(where, settings.crawler, value)
        elif key == "scoring":
            changes[key] = _merge_scoring(where, settings.scoring, value)
        elif key == "web":
            changes[key] = _merge_web(where, settings.web, value)
        elif key == "probe":
            changes[key] = _merge_probe(where, settings.probe, value)
        elif key == "report":
            changes[key] = _merge_report(where, settings.report, value)
        elif key == "columns":
            changes[key] = _merge_columns(where, settings.columns, value)
        elif key == "rectify":
            changes[key] = _merge_rectify(where, settings.rectify, value)
        elif key == "scheduler":
            changes[key] = _merge_scheduler(where, settings.scheduler, value)
        elif key == "notify":
            changes[key] = _merge_notify(where, settings.notify, value)
        elif key == "workers":
            changes[key] = _merge_workers(where, settings.workers, value)
        elif key == "regulations":
            changes["adopt"] = _merge_regulations(where, settings.adopt, value)
        elif key == "checks":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise SettingsError(f"{where}: [checks.\"代码\"] 应为表")
            merged = {k: dict(v) for k, v in settings.checks.items()}
            for code, opts in value.items():
                merged.setdefault(code, {}).update(opts)
            changes[key] = merged
        else:
            raise SettingsError(f"{where}: 未知设置 {key}")
    return replace(settings, **changes)
