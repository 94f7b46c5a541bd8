"""Announce new veto findings by email and/or a webhook, once per (finding, channel).

A veto finding (单项否决) fails a site for the whole period, so its webmaster and supervisor
should hear of it the day it appears, not with the monthly report. Which findings: open, veto,
first seen within `[notify] max_age_days`; which channels: those configured (see
NotifySettings). The `notifications` table (unique on finding and channel) records each
attempt: a channel is done for a finding once a row says ok; a failed send stays not ok, with
its error, and is retried at the next pass (after each check pass and every
`notify_interval_minutes`).

Exactly once, also with two senders at the same time: a send is claimed first (the INSERT of the
row, or a conditional UPDATE of a failed one), and only the claimant sends. A claim left behind
by a process that died mid-send goes stale after CLAIM_STALE and is retried: at worst a
message is sent twice after a crash, never lost.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from store import models as m
from store.repo import finding_json

log = logging.getLogger("govwatch.notify")

EMAIL, WEBHOOK = "email", "webhook"
CLAIM = "sending"  # the error text of a claimed, not yet finished, send
CLAIM_STALE = timedelta(minutes=15)


def channels(settings: Settings) -> list[str]:
    out = []
    if settings.notify.email_enabled:
        out.append(EMAIL)
    if settings.notify.webhook_enabled:
        out.append(WEBHOOK)
    return out


# -- senders ---------------------------------------------------------------------------------


class SendError(Exception):
    """A send that failed; the message (one line) is recorded on the notification row."""


def _titles() -> Mapping[str, str]:
    from checks.catalogue import load_catalogue

    return {code: spec.rule.title for code, spec in load_catalogue().items()}


def build_email(settings: Settings, finding: Mapping[str, Any], site_name: str,
                title: str) -> EmailMessage:
    notify = settings.notify
    msg = EmailMessage()
    msg["Subject"] = f"【政府网站监测】单项否决: {site_name} — {title}"
    msg["From"] = notify.mail_from
    msg["To"] = ", ".join(notify.mail_to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="govwatch")
    evidence = json.dumps(finding["evidence"], ensure_ascii=False, indent=2)
    if len(evidence) > 8000:
        evidence = evidence[:8000] + "\n…"
    msg.set_content(
        f"{site_name}（{finding['site']}）出现单项否决问题：\n\n"
        f"检查项: {title}（{finding['check']}）\n"
        f"问题: {finding['message']}\n"
        f"位置: {finding['url']}\n"
        f"所在页面: {finding['page']}\n"
        f"首次发现: {finding['first_seen']}\n"
        f"依据: {finding['rule']}\n"
        f"问题编号: {finding['id']}\n\n"
        f"证据:\n{evidence}\n\n"
        "此邮件由 govwatch 自动发送；同一问题只通知一次。\n",
        charset="utf-8",
    )
    return msg


def send_email(settings: Settings, msg: EmailMessage) -> None:
    notify = settings.notify
    try:
        with smtplib.SMTP(notify.smtp_host, notify.smtp_port,
                          timeout=notify.timeout) as smtp:
            if notify.smtp_starttls:
                smtp.starttls()
            if notify.smtp_username:
                smtp.login(notify.smtp_username, notify.smtp_password)
            refused = smtp.send_message(msg, from_addr=notify.mail_from,
                                        to_addrs=list(notify.mail_to))
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"邮件发送失败: {type(exc).__name__}: {_one_line(exc)}") from exc
    if refused:
        raise SendError(f"邮件被拒收: {', '.join(sorted(refused))}")


def send_webhook(settings: Settings, finding: Mapping[str, Any]) -> None:
    import httpx

    from crawler.deadline import total_deadline
    from crawler.probe import http_client

    try:
        with total_deadline(settings.notify.timeout), \
                http_client(settings, settings.notify.timeout) as client:
            response = client.post(settings.notify.webhook_url, json=finding)
    except httpx.HTTPError as exc:
        raise SendError(f"Webhook 请求失败: {type(exc).__name__}: {_one_line(exc)}") from exc
    if not 200 <= response.status_code < 300:
        raise SendError(f"Webhook 返回 HTTP {response.status_code}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


# -- the pass --------------------------------------------------------------------------------


@dataclass(slots=True)
class NotifyReport:
    sent: list[tuple[int, str]] = field(default_factory=list)  # (finding id, channel)
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # ... and the error


Sender = Callable[[str, Mapping[str, Any], str, str], None]


def _claim(factory: sessionmaker[Session], finding_id: int, channel: str,
           now: datetime) -> bool:
    try:
        with factory.begin() as session:
            session.add(m.Notification(finding_id=finding_id, channel=channel, sent_at=now,
                                       ok=False, error=CLAIM))
        return True
    except IntegrityError:
        pass
    with factory.begin() as session:
        result = session.execute(
            update(m.Notification)
            .where(m.Notification.finding_id == finding_id, m.Notification.channel == channel,
                   m.Notification.ok.is_(False),
                   or_(m.Notification.error.is_(None), m.Notification.error != CLAIM,
                       m.Notification.sent_at < now - CLAIM_STALE))
            .values(sent_at=now, error=CLAIM)
            .execution_options(synchronize_session=False))
        return bool(_rows(result))


def _rows(result: Any) -> int:
    """Rows an UPDATE matched (typed Result hides CursorResult.rowcount)."""
    return int(result.rowcount)


def _record(factory: sessionmaker[Session], finding_id: int, channel: str, now: datetime,
            error: str | None) -> None:
    with factory.begin() as session:
        session.execute(
            update(m.Notification)
            .where(m.Notification.finding_id == finding_id, m.Notification.channel == channel)
            .values(sent_at=now, ok=error is None, error=error)
            .execution_options(synchronize_session=False))


def due(session: Session, chans: Sequence[str], now: datetime, max_age: timedelta
        ) -> list[tuple[m.Finding, str]]:
    """Open veto findings, first seen within `max_age`, not yet announced on each channel."""
    rows = list(session.scalars(
        select(m.Finding)
        .where(m.Finding.severity == "veto", m.Finding.status == "open",
               m.Finding.first_seen >= now - max_age)
        .order_by(m.Finding.id)))
    if not rows:
        return []
    done = {(finding_id, channel) for finding_id, channel in session.execute(
        select(m.Notification.finding_id, m.Notification.channel)
        .where(m.Notification.finding_id.in_([r.id for r in rows]),
               or_(m.Notification.ok.is_(True),
                   and_(m.Notification.error == CLAIM,
                        m.Notification.sent_at >= now - CLAIM_STALE))))}
    return [(row, ch) for row in rows for ch in chans if (row.id, ch) not in done]


def send_pending(factory: sessionmaker[Session], settings: Settings, *,
                 now: datetime | None = None, sender: Sender | None = None) -> NotifyReport:
    """Announce every due (finding, channel) once; record successes and failures."""
    report = NotifyReport()
    chans = channels(settings)
    if not chans:
        return report
    now = now or datetime.now(UTC)
    tz = ZoneInfo(settings.timezone)
    with factory() as session:
        todo = [(finding_json(row, tz), ch) for row, ch in
                due(session, chans, now, timedelta(days=settings.notify.max_age_days))]
        names = {site_id: name for site_id, name in
                 session.execute(select(m.Site.id, m.Site.name))}
    if not todo:
        return report
    titles = _titles()
    send = sender or _default_sender(settings)
    for finding, channel in todo:
        fid = int(finding["id"])
        if not _claim(factory, fid, channel, now):
            continue  # another sender has it, or it was sent meanwhile
        error: str | None = None
        try:
            send(channel, finding, names.get(finding["site"], finding["site"]),
                 titles.get(finding["check"], finding["check"]))
        except SendError as exc:
            error = str(exc)
        except Exception as exc:  # recorded and retried, never lost silently
            error = f"{type(exc).__name__}: {_one_line(exc)}"
        _record(factory, fid, channel, datetime.now(UTC), error)
        if error is None:
            report.sent.append((fid, channel))
            log.info("notified finding %s by %s", fid, channel)
        else:
            report.failed.append((fid, channel, error))
            log.warning("notification of finding %s by %s failed: %s", fid, channel, error)
    return report


def _default_sender(settings: Settings) -> Sender:
    def send(channel: str, finding: Mapping[str, Any], site_name: str, title: str) -> None:
        if channel == EMAIL:
            send_email(settings, build_email(settings, finding, site_name, title))
        elif channel == WEBHOOK:
            send_webhook(settings, finding)
        else:  # pragma: no cover - channels() only yields the two
            raise SendError(f"未知的通知渠道 {channel}")

    return send
