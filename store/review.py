"""The 整改 loop's state machine: appeals (误报申诉), their decision, waivers (豁免), marking a
finding fixed, and the audit trail of every step (table finding_events, append-only).

A finding has two orthogonal parts of state. `status` (open | fixed) is the crawls' verdict
(store.repo.record_findings; a re-check may also set fixed). `review` is what people decided:

    ""         none (the default)
    appealed   the site's webmaster appealed it as a false alarm (误报), with a reason
    dismissed  a supervisor accepted the appeal: a false alarm, out of scores and counts
    waived     a supervisor waived it (豁免) with a reason until `waived_until` (inclusive):
               out of scores and counts until then, listed as 已豁免; afterwards it counts
               again (nothing needs to run: every reader compares the date)

The state a person sees (`state_of`) combines them: dismissed, else fixed, else waived (while
unexpired), else appealed, else open; and `overdue` (超期未整改) is an open finding past its
deadline that is neither dismissed nor under an unexpired waiver (an appeal does not stop the
clock: a rejected appeal leaves the deadline as it was).

Transitions (ACTIONS; anything else is refused, and nothing is written):

    appeal   webmaster of the finding's site   open (or expired waiver) -> appealed   reason
    accept   supervisor                        appealed -> dismissed          reason optional
    reject   supervisor                        appealed -> open               reason
    waive    supervisor                        open | appealed | waived -> waived
                                               reason, and an expiry date after today, at
                                               most `[rectify] waiver_max_days` away
    fixed    webmaster of the site, supervisor open -> fixed when the re-check confirms it
             (web.recheck does the verifying; this records the request and its verdict)

A crawl that sees the fault again keeps `review` (the finding's identity is its fingerprint:
store.repo), so an appeal or waiver stays attached to it; a dismissed finding stays dismissed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from store import models as m

F = m.Finding
SUPERVISOR, WEBMASTER, SYSTEM = "supervisor", "webmaster", "system"
NONE, APPEALED, DISMISSED, WAIVED = "", "appealed", "dismissed", "waived"
OPEN, FIXED = "open", "fixed"
STATE_LABELS = {
    "open": "待整改",
    "appealed": "误报申诉中",
    "waived": "已豁免",
    "dismissed": "误报（已核销）",
    "fixed": "已整改",
}
OVERDUE_LABEL = "超期未整改"
ACTION_LABELS = {
    "appeal": "申诉误报",
    "accept": "认定误报",
    "reject": "驳回申诉",
    "waive": "豁免",
    "fixed": "标记已整改",
    "recrawl": "申请重新抓取",
    "recrawl-retry": "重新抓取重试",
    "recrawl-done": "重新抓取结束",
}
ROLE_LABELS = {SUPERVISOR: "督查人员", WEBMASTER: "网站管理员", SYSTEM: "系统"}
REASON_MAX = 1000


class ReviewError(Exception):
    """A step refused: `status` is the HTTP status the dashboard answers (403 not allowed
    for this user, 400 a missing or bad input, 409 not possible in the finding's state);
    the message is one line of Chinese for the person who asked."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str  # supervisor | webmaster
    sites: frozenset[str] | None  # the sites a webmaster looks after; None: every site

    def may_act_on(self, site_id: str) -> bool:
        return self.sites is None or site_id in self.sites


def waiver_active(review: str, waived_until: date | None, today: date) -> bool:
    return review == WAIVED and waived_until is not None and waived_until >= today


def state_of(status: str, review: str, waived_until: date | None, today: date) -> str:
    """What a person sees: dismissed, fixed, waived (unexpired), appealed or open."""
    if review == DISMISSED:
        return DISMISSED
    if status == FIXED:
        return FIXED
    if waiver_active(review, waived_until, today):
        return WAIVED
    if review == APPEALED:
        return APPEALED
    return OPEN


def is_overdue(status: str, review: str, waived_until: date | None, deadline: date | None,
               today: date) -> bool:
    """超期未整改 on `today`: still open after its deadline day, not dismissed, not under an
    unexpired waiver."""
    return (status == OPEN and review != DISMISSED and deadline is not None
            and today > deadline and not waiver_active(review, waived_until, today))


def counted(today: date) -> ColumnElement[bool]:
    """SQL: the findings that count (in scores and open counts) on `today`: neither
    dismissed nor under a waiver that runs to `today` or later."""
    return and_(F.review != DISMISSED,
                or_(F.review != WAIVED, F.waived_until.is_(None), F.waived_until < today))


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL: overdue on `today` (see is_overdue)."""
    return and_(F.status == OPEN, counted(today), F.deadline.is_not(None), F.deadline < today)


@dataclass(frozen=True, slots=True)
class Step:
    """What one action did (for the flash message and the tests)."""

    finding_id: int
    action: str
    state_from: str
    state_to: str
    message: str


def _reason(reason: str, required: bool, what: str) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise ReviewError(400, f"请填写{what}")
    if len(text) > REASON_MAX:
        raise ReviewError(400, f"{what}过长（不超过 {REASON_MAX} 个字符）")
    return text


def _load(session: Session, finding_id: int, actor: Actor) -> m.Finding:
    row = session.get(F, finding_id, with_for_update=True)
    # Another site's finding and a finding that does not exist answer alike, so that no one
    # learns which ids exist.
    if row is None or not actor.may_act_on(row.site_id):
        raise ReviewError(403, "无权处理该问题（只能处理本人负责站点的问题）")
    return row


def _event(session: Session, row: m.Finding, actor: Actor, action: str, state_from: str,
           state_to: str, now: datetime, reason: str = "", until: date | None = None,
           detail: str = "") -> None:
    session.add(m.FindingEvent(
        site_id=row.site_id, finding_id=row.id, at=now, user_name=actor.name[:64],
        role=actor.role, action=action, state_from=state_from, state_to=state_to,
        reason=reason, waived_until=until, detail=detail[:2000]))


def act(session: Session, finding_id: int, actor: Actor, action: str, *, reason: str = "",
        until: date | None = None, today: date, now: datetime,
        waiver_max_days: int = 366) -> Step:
    """Apply one appeal / accept / reject / waive step (see the module docstring), audited.
    Raises ReviewError, writing nothing, when it is not allowed. `today` is the local date
    the dashboard judges by (`[web] as_of` or the real date); `now` the real clock."""
    row = _load(session, finding_id, actor)
    before = state_of(row.status, row.review, row.waived_until, today)
    label = STATE_LABELS[before]
    if action == "appeal":
        if actor.role != WEBMASTER:
            raise ReviewError(403, "误报申诉由本站网站管理员提出；督查人员可直接豁免或等待申诉")
        if before != OPEN:
            raise ReviewError(409, f"该问题当前为“{label}”，不能申诉误报")
        text = _reason(reason, True, "申诉理由")
        row.review, after = APPEALED, APPEALED
        message = "已提交误报申诉，等待督查人员审核；审核期间整改期限不变"
    elif action in ("accept", "reject"):
        if actor.role != SUPERVISOR:
            raise ReviewError(403, "只有督查人员可以审核误报申诉")
        if row.review != APPEALED:
            raise ReviewError(409, f"该问题当前为“{label}”，没有待审核的误报申诉")
        if action == "accept":
            text = _reason(reason, False, "审核意见")
            row.review, after = DISMISSED, DISMISSED
            message = "已认定为误报：该问题不再计分、不再计入问题数"
        else:
            text = _reason(reason, True, "驳回理由")
            row.review = NONE
            after = state_of(row.status, NONE, None, today)
            message = "已驳回误报申诉：问题仍需整改，整改期限不变"
    elif action == "waive":
        if actor.role != SUPERVISOR:
            raise ReviewError(403, "只有督查人员可以豁免问题")
        if before not in (OPEN, APPEALED, WAIVED):
            raise ReviewError(409, f"该问题当前为“{label}”，不能豁免")
        text = _reason(reason, True, "豁免理由")
        if until is None:
            raise ReviewError(400, "请填写豁免截止日期")
        if until <= today:
            raise ReviewError(400, "豁免截止日期应晚于今天")
        if until > today + timedelta(days=waiver_max_days):
            raise ReviewError(400, f"豁免期限不能超过 {waiver_max_days} 天")
        row.review, row.waived_until, after = WAIVED, until, WAIVED
        message = f"已豁免至 {until:%Y-%m-%d}：期间不计分、不计入问题数，到期后恢复计入"
    else:
        raise ReviewError(400, f"未知的操作: {action}")
    row.review_reason = text or None
    row.review_at = now
    _event(session, row, actor, action, before, after, now, text,
           until if action == "waive" else None)
    return Step(row.id, action, before, after, message)


def check_mark_fixed(session: Session, finding_id: int, actor: Actor) -> None:
    """Raise ReviewError unless `actor` may mark this finding fixed (it must be open)."""
    row = session.get(F, finding_id)
    if row is None or not actor.may_act_on(row.site_id):
        raise ReviewError(403, "无权处理该问题（只能处理本人负责站点的问题）")
    if row.status != OPEN:
        raise ReviewError(409, "该问题已是已整改状态")


def record_mark_fixed(session: Session, finding_id: int, actor: Actor, result: str,
                      detail: str, today: date, now: datetime) -> None:
    """Audit a 标记已整改 request with the re-check's verdict (fixed | open | failed |
    deferred): the state after is fixed only when the re-check confirmed it."""
    row = session.get(F, finding_id)
    if row is None:
        return
    after = state_of(row.status, row.review, row.waived_until, today)
    before = after if result != "fixed" else state_of(OPEN, row.review, row.waived_until,
                                                       today)
    _event(session, row, actor, "fixed", before, after, now, "", None,
           f"{RESULT_LABELS.get(result, result)}：{detail}" if detail else
           RESULT_LABELS.get(result, result))


RESULT_LABELS = {"fixed": "复核通过", "open": "复核未通过，问题仍存在", "failed": "无法复核",
                 "deferred": "需重新抓取本站后复核", "not-open": "已是已整改状态"}


# -- site-level steps: the webmaster's re-crawl -------------------------------------------------


def record_site_event(session: Session, site_id: str, actor: Actor, action: str, now: datetime,
                      *, crawl_run_id: int | None = None, detail: str = "") -> None:
    session.add(m.FindingEvent(
        site_id=site_id, finding_id=None, at=now, user_name=actor.name[:64], role=actor.role,
        action=action, state_from="", state_to="", reason="", waived_until=None,
        crawl_run_id=crawl_run_id, detail=detail[:2000]))


def last_recrawl(session: Session, site_id: str) -> m.FindingEvent | None:
    """The site's latest re-crawl request."""
    return session.scalars(
        select(m.FindingEvent)
        .where(m.FindingEvent.site_id == site_id, m.FindingEvent.action == "recrawl")
        .order_by(m.FindingEvent.at.desc(), m.FindingEvent.id.desc()).limit(1)).first()


def recrawl_retry(session: Session, request: m.FindingEvent) -> m.FindingEvent | None:
    """The latest retry of re-crawl `request` (a worker died or stopped during its crawl and
    the queue's retry crawls under a new run, `crawl_run_id`), or None."""
    return session.scalars(
        select(m.FindingEvent)
        .where(m.FindingEvent.site_id == request.site_id,
               m.FindingEvent.action == "recrawl-retry", m.FindingEvent.id > request.id)
        .order_by(m.FindingEvent.id.desc()).limit(1)).first()


def recrawl_done(session: Session, crawl_run_id: int) -> m.FindingEvent | None:
    return session.scalars(
        select(m.FindingEvent)
        .where(m.FindingEvent.action == "recrawl-done",
               m.FindingEvent.crawl_run_id == crawl_run_id).limit(1)).first()


def history(session: Session, finding_id: int) -> list[m.FindingEvent]:
    """A finding's steps, oldest first."""
    return list(session.scalars(
        select(m.FindingEvent).where(m.FindingEvent.finding_id == finding_id)
        .order_by(m.FindingEvent.at, m.FindingEvent.id)))


def event_text(e: m.FindingEvent) -> dict[str, Any]:
    """An event as plain values for templates and JSON."""
    return {
        "action": e.action, "action_label": ACTION_LABELS.get(e.action, e.action),
        "user": e.user_name, "role_label": ROLE_LABELS.get(e.role, e.role),
        "from_label": STATE_LABELS.get(e.state_from, e.state_from),
        "to_label": STATE_LABELS.get(e.state_to, e.state_to),
        "reason": e.reason, "until": e.waived_until.isoformat() if e.waived_until else "",
        "detail": e.detail,
    }

