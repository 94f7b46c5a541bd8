"""The dashboard as an ASGI application: `create_app(settings)`.

Server-rendered (Jinja2, autoescape, StrictUndefined), no JavaScript: every action is a link
or a form. `govwatch serve` runs it under uvicorn next to the scheduler; it holds no scheduler
of its own. One engine per application, disposed on shutdown.

Security in one place (see web.auth for the session itself):
- sessions: signed cookie, HttpOnly, SameSite=Lax, Secure when `[web] cookie_secure`;
- CSRF: every POST handler reads its form through `web.views.form_with_csrf`, which
  answers 403 without this session's token;
- authorisation: every query is scoped to the user's sites in SQL; another site's page,
  finding or file is 404 (never 403, so nothing tells which ids exist);
- headers: a strict Content-Security-Policy (no script at all, styles from /static only), no
  framing, no MIME sniffing, no Referer to other sites, and no caching of dynamic pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings, SettingsError
from reports.build import catalogue_info
from reports.model import fmt_number
from reports.render import link
from reports.scoring import Scorer
from store.session import make_engine, session_factory
from web import views
from web.auth import LoginThrottle, trusted_networks
from web.recheck import ClientFactory
from web.recheck_pool import RecheckPool
from web.recrawl import Launcher, RecrawlQueue, Recrawls
from web.state import AppState

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "govwatch_session"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response, and `Cache-Control: no-store` to all but
    the static files (pages show one user's data; a shared cache must not keep them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_wrapper)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ext_link"] = lambda url: Markup(link(str(url)))
    env.filters["num"] = fmt_number
    env.globals["query"] = views.query_string
    return env


def create_app(settings: Settings, *, client_factory: ClientFactory | None = None,
               recrawler: Launcher | RecrawlQueue | None = None) -> Starlette:
    """The dashboard for `settings`. Raises SettingsError when `[web] secret_key` is unset:
    without a stable key every restart would log everyone out, and a key made up here would
    differ between processes.

    `client_factory` replaces crawler.probe.http_client for the re-check (tests only);
    `recrawler` runs 重新抓取本站 (web.recrawl; `govwatch serve` passes
    govwatch.jobs.SiteRecrawler, or with `[workers] enabled` govwatch.queue.QueuedRecrawler,
    which queues it for the workers): without one the button is not offered."""
    if not settings.web.secret_key:
        raise SettingsError(
            f"{settings.source}: 未设置 [web] secret_key，看板无法启动；请在设置文件中加入 "
            "[web] secret_key = \"…\"（至少 32 个随机字符，可用 python -c \"import secrets; "
            "print(secrets.token_urlsafe(32))\" 生成）"
        )
    engine = make_engine(settings.database_url)
    tz = ZoneInfo(settings.timezone)
    factory = session_factory(engine)
    state = AppState(
        settings=settings,
        factory=factory,
        tz=tz,
        scorer=Scorer(settings.scoring),
        env=environment(),
        throttle=LoginThrottle(settings.web.login_attempts, settings.web.login_window),
        catalogue=catalogue_info(),
        rechecks=RecheckPool(settings.web.recheck_max_concurrent,
                             settings.web.recheck_max_per_user),
        proxies=trusted_networks(settings.web.trusted_proxies),
        client_factory=client_factory,
        recrawls=Recrawls(factory, recrawler, settings.rectify.recrawl_interval_minutes, tz),
        as_of=datetime.fromisoformat(settings.web.as_of) if settings.web.as_of else None,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.rechecks.shutdown()
            if state.recrawls is not None:
                state.recrawls.shutdown()
            engine.dispose()

    routes = [
        Route("/login", views.login_form, methods=["GET"]),
        Route("/login", views.login, methods=["POST"]),
        Route("/logout", views.logout, methods=["POST"]),
        Route("/", views.home, methods=["GET"]),
        Route("/sites/{site_id}", views.site_page, methods=["GET"]),
        Route("/sites/{site_id}/rectification.xlsx", views.site_rectification,
              methods=["GET"]),
        Route("/findings", views.findings_page, methods=["GET"]),
        Route("/findings/{finding_id:int}", views.finding_page, methods=["GET"]),
        Route("/findings/{finding_id:int}/recheck", views.finding_recheck, methods=["POST"]),
        Route("/findings/{finding_id:int}/appeal", views.finding_appeal, methods=["POST"]),
        Route("/findings/{finding_id:int}/decide", views.finding_decide, methods=["POST"]),
        Route("/findings/{finding_id:int}/waive", views.finding_waive, methods=["POST"]),
        Route("/sites/{site_id}/recrawl", views.site_recrawl, methods=["POST"]),
        Route("/reports", views.reports_page, methods=["GET"]),
        Route("/reports/download", views.report_file, methods=["GET"]),
        Route("/healthz", views.healthz, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=settings.web.secret_key,
                   session_cookie=SESSION_COOKIE, max_age=settings.web.session_max_age,
                   same_site="lax", https_only=settings.web.cookie_secure),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers=views.EXCEPTION_HANDLERS)
    app.state.gw = state
    return app
