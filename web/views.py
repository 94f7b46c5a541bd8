"""Request handlers: read the request, ask web.queries / web.recheck / web.downloads, render.

GET handlers are plain functions (Starlette runs them in its thread pool, so the blocking
database work never stalls the event loop); POST handlers are coroutines that read the form
(checking its CSRF token first of all) and hand the blocking work to the thread pool, except
"re-check now", which waits on remote servers and runs in its own capped pool
(web.recheck_pool).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, text
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from reports.available import periods_with_data
from store import models as m
from store import review as rv
from web import availability as av
from web import queries as q
from web import recrawl as rc
from web.auth import (
    CurrentUser,
    LoginRequired,
    check_csrf,
    client_address,
    close_session,
    csrf_token,
    flash,
    load_user,
    open_session,
    pop_flashes,
    safe_next,
    start_session,
)
from web.downloads import (
    REPORT_FORMATS,
    REPORT_KINDS,
    ReportFailed,
    current_rectification,
    rectification_xlsx,
    report_download,
)
from web.recheck import load_target, recheck, strategy
from web.recheck_pool import Busy
from web.state import AppState
from web.users import needs_rehash, verify_password

log = logging.getLogger("govwatch.web")
ERROR_TEXT = {
    401: "需要登录",
    403: "禁止访问",
    404: "页面不存在，或您无权查看",
    405: "不支持该请求方法",
    500: "服务器内部错误，请稍后再试",
}
FLASH_KIND = {"fixed": "ok", "open": "warn", "failed": "warn", "deferred": "info",
              "not-open": "info"}


def state(request: Request) -> AppState:
    gw: AppState = request.app.state.gw
    return gw


def query_string(params: dict[str, str]) -> str:
    return "?" + urlencode(params) if params else "?"


def optional_user(request: Request) -> CurrentUser | None:
    cached = request.scope.get("govwatch.user")
    if isinstance(cached, CurrentUser):
        return cached
    if "uid" not in request.session:
        return None
    st = state(request)
    with st.factory() as session:
        user = load_user(session, dict(request.session), st.settings.web.session_max_age)
    if user is None:  # expired, disabled, password changed: forget the login
        request.session.clear()
        return None
    request.scope["govwatch.user"] = user
    return user


def current_user(request: Request, *, download: bool = False) -> CurrentUser:
    user = optional_user(request)
    if user is None:
        raise LoginRequired(download)
    return user


def not_found() -> HTTPException:
    return HTTPException(404)


def render(request: Request, template: str, *, user: CurrentUser | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    st = state(request)
    values = {
        "user": user,
        "csrf": csrf_token(request),
        "flashes": pop_flashes(request),
        "path": request.url.path,
        **context,
    }
    return HTMLResponse(st.env.get_template(template).render(values), status_code=status)


async def form_with_csrf(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token (403 otherwise). Every POST handler
    reads its form through here."""
    form = await request.form(max_files=0, max_fields=50)
    check_csrf(request, form)
    return form


# -- login -------------------------------------------------------------------------------


def login_form(request: Request) -> Response:
    if optional_user(request) is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", user=None, name="", error="",
                  next=safe_next(request.query_params.get("next")))


def _authenticate(st: AppState, name: str, password: str) -> tuple[int, str, str] | None:
    """(user id, password hash, session token) when the name and password match an active
    user; the login is recorded (web.auth.open_session)."""
    with st.factory() as session, session.begin():
        row = session.scalar(select(m.User).where(m.User.name == name)) if name else None
        usable = row is not None and row.active
        if not verify_password(row.password_hash if usable and row else None, password):
            return None
        assert row is not None
        if needs_rehash(row.password_hash):
            from web.users import hash_password

            row.password_hash = hash_password(password)
        token = open_session(session, row.id, st.settings.web.session_max_age)
        return row.id, row.password_hash, token


async def login(request: Request) -> Response:
    form = await form_with_csrf(request)
    st = state(request)
    name = str(form.get("name") or "").strip()[:64]
    password = str(form.get("password") or "")
    nxt = safe_next(str(form.get("next") or ""))
    client = client_address(request, st.proxies)
    if st.throttle.blocked(client, name):
        log.warning("login refused (too many failures): user=%r client=%s", name, client)
        minutes = max(1, st.settings.web.login_window // 60)
        return render(request, "login.html", user=None, name=name, next=nxt, status=429,
                      error=f"登录失败次数过多，请 {minutes} 分钟后再试")
    found = await run_in_threadpool(_authenticate, st, name, password)
    if found is None:
        st.throttle.failed(client, name)
        log.warning("login failed: user=%r client=%s", name, client)
        return render(request, "login.html", user=None, name=name, next=nxt, status=401,
                      error="用户名或密码错误")
    st.throttle.succeeded(client, name)
    start_session(request, *found)
    log.info("login: user=%r client=%s", name, client)
    return RedirectResponse(nxt, status_code=303)


async def logout(request: Request) -> Response:
    await form_with_csrf(request)
    st = state(request)
    data = dict(request.session)

    def close() -> None:
        with st.factory() as session, session.begin():
            close_session(session, data)

    await run_in_threadpool(close)
    request.session.clear()
    flash(request, "已退出登录")
    return RedirectResponse("/login", status_code=303)


# -- pages -------------------------------------------------------------------------------


def home(request: Request) -> Response:
    user = current_user(request)
    if not user.is_supervisor and len(user.sites) == 1:
        return RedirectResponse(f"/sites/{next(iter(user.sites))}", status_code=303)
    st = state(request)
    level = request.query_params.get("level", "")
    level = level if level in q.LEVELS else ""
    with st.factory() as session:
        sites = q.site_statuses(session, user.scope, st.scorer, st.tz, level=level,
                                today=st.today())
        uptimes = av.uptimes(session, [s.id for s in sites], datetime.now(st.tz))
    summary = {
        "sites": len(sites),
        "inspected": sum(1 for s in sites if s.score is not None),
        "vetoed": sum(1 for s in sites if s.veto),
        "failing": sum(1 for s in sites if s.score is not None and not s.score.passed),
        "open": sum(s.open for s in sites),
        "overdue": sum(s.overdue for s in sites),
    }
    return render(request, "sites.html", user=user, sites=sites, level=level, uptimes=uptimes,
                  levels=q.level_choices(), summary=summary,
                  pass_score=st.settings.scoring.pass_score)


def _filters(request: Request, st: AppState) -> q.Filters:
    return q.Filters.parse(request.query_params, st.catalogue.titles)


def site_page(request: Request) -> Response:
    user = current_user(request)
    st = state(request)
    site_id = str(request.path_params["site_id"])
    filters = replace(_filters(request, st), site=site_id, level="")
    with st.factory() as session:
        status = q.site_status(session, site_id, user.scope, st.scorer, st.tz, st.today())
        if status is None:
            raise not_found()
        page = q.list_findings(session, user.scope, filters, st.catalogue, st.tz,
                               st.settings.web.page_size, st.today())
        recrawl = rc.status(session, site_id, recrawls(st).interval, datetime.now(st.tz),
                            st.tz)
        probe = st.settings.probe
        availability = av.site_availability(
            session, site_id, datetime.now(st.tz), st.tz,
            min_failures=probe.incident_min_failures, max_incidents=probe.incidents_shown)
    return render(request, "site.html", user=user, site=status, page=page, filters=filters,
                  availability=availability, recrawl=recrawl,
                  recrawl_enabled=recrawls(st).enabled,
                  recrawl_minutes=st.settings.rectify.recrawl_interval_minutes,
                  checks=q.check_choices(st.catalogue), severities=q.severity_choices(),
                  statuses=list(q.STATUSES.items()),
                  pass_score=st.settings.scoring.pass_score)


def findings_page(request: Request) -> Response:
    user = current_user(request)
    st = state(request)
    filters = _filters(request, st)
    with st.factory() as session:
        if filters.site and not q.site_exists(session, filters.site, user.scope):
            raise not_found()
        page = q.list_findings(session, user.scope, filters, st.catalogue, st.tz,
                               st.settings.web.page_size, st.today())
        sites = q.site_choices(session, user.scope)
    return render(request, "findings.html", user=user, page=page, filters=filters,
                  sites=sites, levels=q.level_choices(), checks=q.check_choices(st.catalogue),
                  severities=q.severity_choices(), statuses=list(q.STATUSES.items()))


def finding_page(request: Request) -> Response:
    user = current_user(request)
    return _finding_response(request, user, int(request.path_params["finding_id"]))


def _finding_response(request: Request, user: CurrentUser, finding_id: int, *,
                      status: int = 200, error: str = "") -> Response:
    st = state(request)
    with st.factory() as session:
        detail = q.finding_detail(session, finding_id, user.scope, st.catalogue, st.tz,
                                  st.today())
        target = load_target(session, finding_id, user.scope)
        if detail is None or target is None:
            raise not_found()
        mode = strategy(target.check, target.evidence, target.page, detail.site_url)
    today = st.today()
    return render(request, "finding.html", user=user, f=detail, recheck_mode=mode,
                  error=error, status=status, recrawl_enabled=recrawls(st).enabled,
                  waiver_min=(date.fromordinal(today.toordinal() + 1)).isoformat(),
                  waiver_max=(date.fromordinal(today.toordinal()
                                               + st.settings.rectify.waiver_max_days)
                              ).isoformat())


def recrawls(st: AppState) -> rc.Recrawls:
    assert st.recrawls is not None  # create_app always sets it
    return st.recrawls


def actor_of(user: CurrentUser) -> rv.Actor:
    return rv.Actor(user.name, user.role, None if user.is_supervisor else user.sites)


async def finding_recheck(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    await form_with_csrf(request)
    st = state(request)
    finding_id = int(request.path_params["finding_id"])
    try:
        outcome = await st.rechecks.run(user.id, lambda: recheck(
            st.factory, st.settings, finding_id, scope=user.scope, user=user.name,
            client_factory=st.client_factory))
    except Busy as exc:
        log.warning("recheck refused (busy): finding=%d user=%r", finding_id, user.name)
        flash(request, str(exc), "warn")
        return RedirectResponse(f"/findings/{finding_id}", status_code=303)
    if outcome is None:
        raise not_found()
    if outcome.result in ("fixed", "open", "failed"):  # the 整改 loop's trail (store.review)
        def audit_step() -> None:
            with st.factory() as session, session.begin():
                rv.record_mark_fixed(session, finding_id, actor_of(user), outcome.result,
                                     outcome.detail, st.today(), datetime.now(st.tz))

        await run_in_threadpool(audit_step)
    log.info("recheck: finding=%d user=%r result=%s", finding_id, user.name, outcome.result)
    flash(request, outcome.message, FLASH_KIND.get(outcome.result, "info"))
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)


# -- the 整改 loop: appeals, decisions, waivers, re-crawls (store.review, web.recrawl) -------


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()[:10]) if raw.strip() else None
    except ValueError:
        return None


async def _review(request: Request, action: str, form_action: str | None = None) -> Response:
    """One store.review step from a form; 403 for a user who may not take it (another
    site's finding or the wrong role), 400/409 re-render the finding with the reason."""
    user = await run_in_threadpool(current_user, request)
    form = await form_with_csrf(request)
    st = state(request)
    finding_id = int(request.path_params["finding_id"])
    if form_action is not None:
        action = str(form.get(form_action) or "")
        if action not in ("accept", "reject"):
            action = "invalid"
    reason = str(form.get("reason") or "")
    raw_until = str(form.get("until") or "")
    until = _parse_date(raw_until)

    def apply() -> rv.Step:
        if action == "waive" and raw_until.strip() and until is None:
            raise rv.ReviewError(400, "豁免截止日期格式应为 YYYY-MM-DD")
        with st.factory() as session, session.begin():
            return rv.act(session, finding_id, actor_of(user), action, reason=reason,
                          until=until, today=st.today(), now=datetime.now(st.tz),
                          waiver_max_days=st.settings.rectify.waiver_max_days)

    try:
        step = await run_in_threadpool(apply)
    except rv.ReviewError as exc:
        log.warning("%s refused: finding=%d user=%r: %s", action, finding_id, user.name,
                    exc.message)
        if exc.status == 403:
            raise HTTPException(403, exc.message) from None
        status, message = exc.status, exc.message
        return await run_in_threadpool(lambda: _finding_response(
            request, user, finding_id, status=status, error=message))
    log.info("%s: finding=%d user=%r %s -> %s", action, finding_id, user.name,
             step.state_from, step.state_to)
    flash(request, step.message, "ok")
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)


async def finding_appeal(request: Request) -> Response:
    return await _review(request, "appeal")


async def finding_decide(request: Request) -> Response:
    return await _review(request, "", form_action="decision")


async def finding_waive(request: Request) -> Response:
    return await _review(request, "waive")


async def site_recrawl(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    await form_with_csrf(request)
    st = state(request)
    site_id = str(request.path_params["site_id"])
    if not user.can_see(site_id):
        raise HTTPException(403, "无权重新抓取该站点（只能申请本人负责的站点）")
    try:
        run_id = await run_in_threadpool(recrawls(st).request, site_id, actor_of(user),
                                         st.now(), datetime.now(st.tz))
    except rc.Refused as exc:
        log.warning("recrawl refused: site=%s user=%r: %s", site_id, user.name, exc)
        flash(request, str(exc), "warn")
        return RedirectResponse(f"/sites/{site_id}", status_code=303)
    log.info("recrawl: site=%s user=%r run=%d", site_id, user.name, run_id)
    if recrawls(st).queued:
        flash(request, f"已将本站加入抓取队列（抓取编号 #{run_id}），由抓取节点抓取后将自动"
              "重新检查；可刷新本页查看进度", "info")
    else:
        flash(request, f"已开始重新抓取本站（抓取编号 #{run_id}），完成后将自动重新检查；"
              "可刷新本页查看进度", "info")
    return RedirectResponse(f"/sites/{site_id}", status_code=303)


# -- downloads ---------------------------------------------------------------------------


def site_rectification(request: Request) -> Response:
    user = current_user(request, download=True)
    st = state(request)
    site_id = str(request.path_params["site_id"])
    if not user.can_see(site_id):
        raise not_found()
    now = datetime.now(st.tz)
    with st.factory() as session:
        rect = current_rectification(session, site_id, st.catalogue, st.tz, now)
    if rect is None:
        raise not_found()
    got = rectification_xlsx(rect, now)
    return FileResponse(got.path, media_type=got.media_type, filename=got.filename,
                        background=BackgroundTask(got.cleanup))


def _period_choices(st: AppState) -> dict[str, list[tuple[str, str]]]:
    """Recent periods that have data (reports.available), newest first: up to 6 months,
    4 quarters and 2 years (a period in progress covers it so far)."""
    with st.factory() as session:
        found = periods_with_data(session, datetime.now(st.tz), st.settings.timezone)
    return {kind: [(p.code, p.label) for p in periods] for kind, periods in found.items()}


def _reports(request: Request, user: CurrentUser, *, error: str = "", status: int = 200,
             kind: str = "monthly", period: str = "", fmt: str = "xlsx") -> Response:
    st = state(request)
    return render(request, "reports.html", user=user, kinds=list(REPORT_KINDS.items()),
                  formats=list(REPORT_FORMATS.items()), periods=_period_choices(st),
                  error=error, status=status, kind=kind, period=period, fmt=fmt)


def reports_page(request: Request) -> Response:
    user = current_user(request)
    if not user.is_supervisor:
        raise not_found()
    return _reports(request, user)


def report_file(request: Request) -> Response:
    user = current_user(request, download=True)
    if not user.is_supervisor:
        raise not_found()
    st = state(request)
    params = request.query_params
    kind = params.get("kind", "")
    period = params.get("period", "").strip()[:16]
    fmt = params.get("format", "xlsx")
    try:
        got = report_download(st.settings, kind, period, fmt)
    except ReportFailed as exc:
        return _reports(request, user, error=str(exc), status=400,
                        kind=kind if kind in REPORT_KINDS else "monthly", period=period,
                        fmt=fmt if fmt in REPORT_FORMATS else "xlsx")
    return FileResponse(got.path, media_type=got.media_type, filename=got.filename,
                        background=BackgroundTask(got.cleanup))


def healthz(request: Request) -> Response:
    """For load balancers and `govwatch serve` checks: 200 when the database answers."""
    try:
        with state(request).factory() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok")


# -- errors ------------------------------------------------------------------------------


async def _error_page(request: Request, status: int, detail: str = "") -> Response:
    try:
        user = await run_in_threadpool(optional_user, request)
    except Exception:  # the database itself may be the error
        user = None
    return render(request, "error.html", user=user, status=status,
                  code=status, message=detail or ERROR_TEXT.get(status, "请求无法完成"))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.status_code == 403 else ""
    return await _error_page(request, exc.status_code, detail)


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if exc.download:
        return render(request, "error.html", user=None, status=401, code=401,
                      message="需要登录后才能下载该文件")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


async def server_error(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", user=None, status=500, code=500,
                  message=ERROR_TEXT[500])


EXCEPTION_HANDLERS: Any = {
    HTTPException: http_error,
    LoginRequired: login_required,
    500: server_error,
}
