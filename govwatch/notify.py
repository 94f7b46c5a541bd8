"""Notices to the right people: new veto findings at once, a daily digest and summary.

Who hears what (issue 13, "never to the wrong site"):
- a site's webmasters (registry `contacts`: email and/or webhook) receive their own site's
  notices, and nothing of any other site: every message is built from one site's findings
  and addressed to that site's contacts (and the supervisors);
- the supervisors (`[notify] supervisors`, plus the earlier `mail_to` / `webhook_url`)
  receive every site's veto notices and one daily summary of all sites.

What:
- veto notices (`send_pending`, after each check pass and every `notify_interval_minutes`):
  a site's open veto findings first seen within `[notify] max_age_days`, one message per
  site and recipient listing every finding not yet announced to that recipient;
- the daily digest (`send_digests`, the scheduler's notify.digest job and `govwatch notify
  --digest`): to each site's webmasters, its other (non-veto) findings first seen in the 24
  hours before the digest moment, with its counts of open findings; nothing when nothing is
  new. To the supervisors, per site: new, open and open veto findings, and the sites whose
  crawl failed in those 24 hours.

Exactly once, also with two senders at the same time: every (finding, recipient) of a veto
notice (table `notifications`) and every (day, digest, recipient) (table `digest_sends`) is
claimed before the send — the INSERT of its row, or a conditional UPDATE of a failed one — and
only the claimant sends; one message carries every finding its sender claimed. A failed send
keeps its error and is retried after `retry_minutes`, doubling after each further failure; after
`max_attempts` attempts it is given up (`gave_up`, listed by `govwatch notify` and in the
supervisors' next daily summary). A claim left by a process that died mid-send goes stale
after CLAIM_STALE and is retried: at worst a message is sent twice after a crash, never lost.

Webhooks: a 企业微信 group robot (host qyapi.weixin.qq.com) gets {"msgtype": "markdown",
"markdown": {"content": …}}, a 钉钉 robot (oapi.dingtalk.com) {"msgtype": "markdown",
"markdown": {"title": …, "text": …}}, any other URL the generic JSON of `Message.data` (the
findings in the contract's shape). Requests go through govwatch's HTTP client and its egress
policy (crawler.egress_policy: the configured webhooks are allowed destinations, nothing a redirect
names inside the network is). Crawled text in findings is hostile: it is escaped in HTML and
flattened (no line breaks, links or markup) in Markdown.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import smtplib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from core.site import Contact
from store import models as m
from store import review
from store.repo import finding_json

log = logging.getLogger("govwatch.notify")

EMAIL, WEBHOOK = "email", "webhook"
SUPERVISOR, WEBMASTER = "supervisor", "webmaster"
DIGEST, SUMMARY = "digest", "summary"
CLAIM = "sending"  # the error text of a claimed, not yet finished, send
CLAIM_STALE = timedelta(minutes=15)
WECOM_HOSTS = ("qyapi.weixin.qq.com",)
DINGTALK_HOSTS = ("oapi.dingtalk.com",)
WECOM_MAX_BYTES = 4096  # 企业微信 refuses markdown content longer than this (UTF-8 bytes)
DINGTALK_MAX_CHARS = 18000
FINDINGS_PER_MESSAGE = 50  # listed in full; the rest are counted, with the dashboard link
FOOTER = "此消息由 govwatch 政府网站监测自动发送；同一问题只通知一次。"


# -- recipients ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address a notice goes to: an email address or a webhook URL."""

    channel: str  # email | webhook
    address: str
    name: str = ""
    role: str = WEBMASTER

    @property
    def label(self) -> str:
        """How the row and `govwatch notify` name it ("email:a@x.gov.cn")."""
        return f"{self.channel}:{self.address}"

    @property
    def key(self) -> str:
        return hashlib.sha256(self.label.encode("utf-8")).hexdigest()


def recipients(contacts: Iterable[Contact], settings: Settings, role: str) -> list[Recipient]:
    """The addresses of `contacts`, each once; email only when SMTP is configured."""
    out: dict[str, Recipient] = {}
    for contact in contacts:
        if contact.email and settings.notify.email_enabled:
            r = Recipient(EMAIL, contact.email.lower(), contact.name, role)
            out.setdefault(r.key, r)
        if contact.webhook:
            r = Recipient(WEBHOOK, contact.webhook, contact.name, role)
            out.setdefault(r.key, r)
    return list(out.values())


def site_contacts(row: m.Site) -> list[Contact]:
    return [Contact.from_dict(c) for c in row.contacts or () if isinstance(c, dict)]


def webhook_urls(settings: Settings, extra: Iterable[Contact] = ()) -> list[str]:
    """The webhooks notices may be posted to (the egress policy allows exactly these)."""
    return [c.webhook for c in (*settings.notify.supervisor_contacts, *extra) if c.webhook]


# -- messages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One notice in every form a channel needs."""

    subject: str
    text: str  # plain-text email body
    html: str  # HTML email body
    markdown: str  # 企业微信 / 钉钉
    markdown_tail: str  # the closing lines of `markdown` (links, footer): kept when it is cut
    data: dict[str, Any]  # the generic webhook's JSON


def _flat(text: Any, limit: int = 300) -> str:
    """Crawled text made safe for one Markdown line: no breaks, brackets or markup."""
    value = " ".join(str(text).split())
    value = re.sub(r"[\[\]<>`*_#|]", " ", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _one(text: Any, limit: int = 500) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _titles() -> Mapping[str, str]:
    from checks.catalogue import load_catalogue

    return {code: spec.rule.title for code, spec in load_catalogue().items()}


def _evidence(finding: Mapping[str, Any]) -> str:
    from reports.evidence import evidence_pairs

    pairs = evidence_pairs(finding["evidence"] or {}, finding["check"])
    return _one("；".join(f"{k}: {v}" for k, v in pairs), 600)


def _link(settings: Settings, path: str) -> str:
    base = settings.web.public_url.rstrip("/")
    return f"{base}{path}" if base else ""


@dataclass(frozen=True, slots=True)
class Item:
    """A finding as a notice lists it."""

    id: int
    check: str
    title: str
    message: str
    url: str
    page: str
    evidence: str
    rule: str
    deadline: str
    link: str
    data: dict[str, Any]  # the contract's JSON


def items(rows: Sequence[m.Finding], settings: Settings) -> list[Item]:
    tz = ZoneInfo(settings.timezone)
    titles = _titles()
    out = []
    for row in rows:
        data = finding_json(row, tz)
        deadline = row.deadline  # the 整改期限 (store.review, the 整改 loop)
        out.append(Item(
            id=row.id, check=row.check, title=titles.get(row.check, row.check),
            message=row.message, url=row.url, page=row.page, evidence=_evidence(data),
            rule=row.rule, deadline=deadline.isoformat() if deadline else "",
            link=_link(settings, f"/findings/{row.id}"), data=data))
    return out


def _item_lines(n: int, item: Item) -> list[tuple[str, str]]:
    """(label, value) lines of one listed finding, the title first."""
    lines = [("", f"{n}. {item.title}（{item.check}）"), ("问题", item.message),
             ("位置", item.url)]
    if item.page != item.url:
        lines.append(("所在页面", item.page))
    if item.evidence:
        lines.append(("证据", item.evidence))
    if item.deadline:
        lines.append(("整改期限", item.deadline))
    lines.append(("依据", item.rule))
    if item.link:
        lines.append(("查看", item.link))
    return lines


def _render(subject: str, intro: str, listed: Sequence[Item], rest: int, outro: Sequence[str],
            data: dict[str, Any], table: Sequence[Sequence[str]] = ()) -> Message:
    """The four forms of one message: intro, the findings (or a table), closing lines."""
    text = [intro, ""]
    md = [f"**{_flat(subject, 200)}**", "", _flat(intro, 500), ""]
    body = [f"<p>{html.escape(intro)}</p>"]
    if listed:
        body.append("<ol>")
    for n, item in enumerate(listed, 1):
        lines = _item_lines(n, item)
        text += [lines[0][1]] + [f"   {k}：{_one(v)}" for k, v in lines[1:]] + [""]
        md.append(f"{n}. **{_flat(item.title, 80)}**（{item.check}）")
        md += [f"   - {k}：{_flat(v, 200)}" for k, v in lines[1:] if k != "查看"]
        if item.link:
            md.append(f"   - [查看问题]({item.link})")
        cells = "".join(
            f"<li>{html.escape(k)}：" + (f'<a href="{html.escape(v)}">{html.escape(v)}</a>'
                                        if k == "查看" else html.escape(_one(v))) + "</li>"
            for k, v in lines[1:])
        body.append(f"<li><strong>{html.escape(item.title)}</strong>（<code>"
                    f"{html.escape(item.check)}</code>）<ul>{cells}</ul></li>")
    if listed:
        body.append("</ol>")
    if rest:
        more = f"另有 {rest} 项未列出，请在看板中查看。"
        text += [more, ""]
        md.append(more)
        body.append(f"<p>{html.escape(more)}</p>")
    if table:
        head, *rows = table
        text += ["\t".join(head)] + ["\t".join(r) for r in rows] + [""]
        md += ["| " + " | ".join(_flat(c, 60) for c in head) + " |",
               "|" + "---|" * len(head)]
        md += ["| " + " | ".join(_flat(c, 60) for c in r) + " |" for r in rows]
        body.append("<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr>"
                    + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
                    + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r)
                              + "</tr>" for r in rows) + "</table>")
    tail: list[str] = []
    for line in outro:
        text.append(line)
        tail += ["", _flat(line, 300)]
        body.append(f"<p>{html.escape(line)}</p>")
    text += ["", FOOTER]
    tail += ["", FOOTER]
    md += tail
    body.append(f"<p style=\"color:#666\">{html.escape(FOOTER)}</p>")
    page = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(subject)}</title></head><body>{''.join(body)}</body></html>")
    return Message(subject=subject, text="\n".join(text) + "\n", html=page,
                   markdown="\n".join(md), markdown_tail="\n".join(tail), data=data)


def _subject(text: str) -> str:
    """A subject without ASCII blanks: Python's header folding drops a blank at a fold
    between encoded words, so "汇总 2026" would reach the reader as "汇总2026" anyway."""
    return "".join(text.split())


def _dashboard(settings: Settings, site_id: str) -> list[str]:
    link = _link(settings, f"/sites/{site_id}")
    return [f"看板：{link}"] if link else []


def veto_message(site_id: str, site_name: str, found: Sequence[Item],
                 settings: Settings) -> Message:
    """One site's new veto findings, for its webmasters and the supervisors."""
    listed = found[:FINDINGS_PER_MESSAGE]
    subject = _subject(f"【政府网站监测】单项否决{len(found)}项：{site_name}")
    intro = (f"{site_name}（{site_id}）新发现 {len(found)} 项单项否决问题。单项否决意味着本期"
             "检查不合格，请尽快整改，整改后可在看板中申请复核。")
    data = {"type": "veto", "site": site_id, "site_name": site_name, "title": subject,
            "findings": [i.data for i in found], "dashboard": _link(settings, f"/sites/{site_id}")}
    return _render(subject, intro, listed, len(found) - len(listed),
                   _dashboard(settings, site_id), data)


@dataclass(frozen=True, slots=True)
class Counts:
    new: int = 0
    open: int = 0
    veto: int = 0  # open veto findings


def digest_message(site_id: str, site_name: str, day: str, found: Sequence[Item],
                   counts: Counts, settings: Settings) -> Message:
    """One site's daily digest for its webmasters."""
    listed = found[:FINDINGS_PER_MESSAGE]
    subject = _subject(f"【政府网站监测】每日汇总（{day}）：{site_name}新发现{len(found)}项问题")
    intro = (f"{site_name}（{site_id}）过去 24 小时新发现 {len(found)} 项问题（单项否决问题"
             f"已即时通知，不在此列）。目前未整改的问题共 {counts.open} 项，其中单项否决 "
             f"{counts.veto} 项。")
    data = {"type": "digest", "site": site_id, "site_name": site_name, "day": day,
            "title": subject, "findings": [i.data for i in found],
            "open": counts.open, "open_veto": counts.veto,
            "dashboard": _link(settings, f"/sites/{site_id}")}
    return _render(subject, intro, listed, len(found) - len(listed),
                   _dashboard(settings, site_id), data)


def summary_message(day: str, sites: Sequence[tuple[str, str, Counts]],
                    failed: Sequence[tuple[str, str]], settings: Settings,
                    undelivered: Sequence[str] = ()) -> Message:
    """The supervisors' daily summary: per site counts, the crawls that failed, and the
    notices given up (after `max_attempts`) in those 24 hours."""
    subject = f"【政府网站监测】每日监测汇总（{day}）：{len(sites)}个站点"
    new = sum(c.new for _, _, c in sites)
    veto = sum(c.veto for _, _, c in sites)
    intro = (f"{day} 监测汇总：{len(sites)} 个站点，过去 24 小时新发现问题 {new} 项，"
             f"未整改的单项否决问题 {veto} 项；抓取失败的站点 {len(failed)} 个。")
    table = [("站点", "站点ID", "新发现", "未整改", "其中单项否决")]
    table += [(name, sid, str(c.new), str(c.open), str(c.veto)) for sid, name, c in sites]
    outro = []
    if failed:
        outro.append("抓取失败的站点：" + "；".join(f"{name}（{sid}）" for sid, name in failed))
    if undelivered:
        outro.append(f"多次发送失败、已放弃的通知 {len(undelivered)} 条（请核对接收地址；"
                     "govwatch notify 列出全部）：")
        outro += [f"- {line}" for line in undelivered[:20]]
    link = _link(settings, "/")
    if link:
        outro.append(f"看板：{link}")
    data = {"type": "summary", "day": day, "title": subject,
            "sites": [{"site": sid, "site_name": name, "new": c.new, "open": c.open,
                       "open_veto": c.veto} for sid, name, c in sites],
            "crawl_failed": [sid for sid, _ in failed], "undelivered": list(undelivered),
            "dashboard": link}
    return _render(subject, intro, [], 0, outro, data, table)


# -- senders ---------------------------------------------------------------------------------


class SendError(Exception):
    """A send that failed; the message (one line) is recorded on the row."""


def build_email(settings: Settings, recipient: Recipient, message: Message) -> EmailMessage:
    """Plain text and HTML (multipart/alternative), to the one recipient."""
    msg = EmailMessage()
    msg["Subject"] = message.subject
    msg["From"] = settings.notify.mail_from
    msg["To"] = formataddr((recipient.name, recipient.address)) if recipient.name \
        else recipient.address
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="govwatch")
    msg.set_content(message.text, charset="utf-8")
    msg.add_alternative(message.html, subtype="html", charset="utf-8")
    return msg


def send_email(settings: Settings, recipient: Recipient, msg: EmailMessage) -> None:
    notify = settings.notify
    try:
        with smtplib.SMTP(notify.smtp_host, notify.smtp_port,
                          timeout=notify.timeout) as smtp:
            if notify.smtp_starttls:
                smtp.starttls()
            if notify.smtp_username:
                smtp.login(notify.smtp_username, notify.smtp_password)
            refused = smtp.send_message(msg, from_addr=notify.mail_from,
                                        to_addrs=[recipient.address])
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"邮件发送失败: {type(exc).__name__}: {_one_line(exc)}") from exc
    if refused:
        raise SendError(f"邮件被拒收: {', '.join(sorted(refused))}")


def webhook_kind(url: str) -> str:
    """wecom (企业微信 robot), dingtalk (钉钉 robot) or json, by the URL's host."""
    host = (urlsplit(url).hostname or "").lower()
    if host in WECOM_HOSTS:
        return "wecom"
    if host in DINGTALK_HOSTS:
        return "dingtalk"
    return "json"


CUT = "\n……（内容过长，其余请在看板中查看）"


def _fit(message: Message, limit: int, size: Callable[[str], int]) -> str:
    """The markdown within `limit` (as `size` measures it): whole lines of the body up to
    where it must be cut, then the closing lines (dashboard link, footer) in any case."""
    if size(message.markdown) <= limit:
        return message.markdown
    tail = message.markdown_tail
    body = message.markdown[: len(message.markdown) - len(tail)]
    room = limit - size(CUT) - size(tail)
    kept: list[str] = []
    used = 0
    for line in body.split("\n"):
        cost = size(line) + 1
        if used + cost > room:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept) + CUT + tail


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def webhook_payload(url: str, message: Message) -> dict[str, Any]:
    kind = webhook_kind(url)
    if kind == "wecom":
        return {"msgtype": "markdown",
                "markdown": {"content": _fit(message, WECOM_MAX_BYTES, _utf8)}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {
            "title": message.subject, "text": _fit(message, DINGTALK_MAX_CHARS, len)}}
    return message.data


def send_webhook(settings: Settings, url: str, payload: Mapping[str, Any],
                 allowed: Sequence[str] = ()) -> None:
    """POST the JSON; 2xx required, and errcode 0 from a robot (it answers 200 on errors)."""
    import httpx

    from crawler.deadline import total_deadline
    from crawler.probe import http_client

    try:
        with total_deadline(settings.notify.timeout), \
                http_client(settings, settings.notify.timeout, webhooks=allowed) as client:
            response = client.post(url, json=payload)
    except httpx.HTTPError as exc:
        raise SendError(f"Webhook 请求失败: {type(exc).__name__}: {_one_line(exc)}") from exc
    if not 200 <= response.status_code < 300:
        raise SendError(f"Webhook 返回 HTTP {response.status_code}")
    if webhook_kind(url) != "json":
        try:
            answer = response.json()
        except ValueError:
            answer = None
        code = answer.get("errcode") if isinstance(answer, dict) else None
        if code not in (0, None):
            raise SendError(f"Webhook 机器人返回错误 {code}: {_one(answer.get('errmsg', ''), 200)}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


Sender = Callable[[Recipient, Message], None]


def default_sender(settings: Settings, allowed: Sequence[str] = ()) -> Sender:
    def send(recipient: Recipient, message: Message) -> None:
        if recipient.channel == EMAIL:
            send_email(settings, recipient, build_email(settings, recipient, message))
        elif recipient.channel == WEBHOOK:
            send_webhook(settings, recipient.address,
                         webhook_payload(recipient.address, message), allowed)
        else:  # pragma: no cover - recipients() only yields the two
            raise SendError(f"未知的通知渠道 {recipient.channel}")

    return send


def _attempt(send: Sender, recipient: Recipient, message: Message) -> str | None:
    """Send; the error (one line) or None."""
    try:
        send(recipient, message)
    except SendError as exc:
        return str(exc)
    except Exception as exc:  # recorded and retried, never lost silently
        return f"{type(exc).__name__}: {_one_line(exc)}"
    return None


# -- claims ----------------------------------------------------------------------------------

Row = type[m.Notification] | type[m.DigestSend]


def _where(model: Row, keys: Mapping[str, Any]) -> list[Any]:
    return [getattr(model, k) == v for k, v in keys.items()]


def _due_clause(model: Row, now: datetime) -> Any:
    """A row that may be (re)claimed now: not sent, not given up, and either a failure whose
    retry time has come or a claim gone stale."""
    return and_(
        model.ok.is_(False), model.gave_up.is_(False),
        or_(and_(or_(model.error.is_(None), model.error != CLAIM),
                 or_(model.retry_at.is_(None), model.retry_at <= now)),
            and_(model.error == CLAIM, model.sent_at < now - CLAIM_STALE)))


def _claim(factory: sessionmaker[Session], model: Row, keys: Mapping[str, Any],
           recipient: Recipient, now: datetime) -> bool:
    """Whether this process may send: it inserted the row, or took over a due one."""
    try:
        with factory.begin() as session:
            session.add(model(**keys, channel=recipient.channel, recipient=recipient.label,
                              sent_at=now, ok=False, error=CLAIM, attempts=1, gave_up=False))
        return True
    except IntegrityError:
        pass
    with factory.begin() as session:
        result = session.execute(
            update(model).where(*_where(model, keys), _due_clause(model, now))
            .values(sent_at=now, error=CLAIM, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False))
        return bool(_rows(result))


def _rows(result: Any) -> int:
    """Rows an UPDATE matched (typed Result hides CursorResult.rowcount)."""
    return int(result.rowcount)


def _record(factory: sessionmaker[Session], model: Row, keys: Mapping[str, Any],
            now: datetime, error: str | None, settings: Settings) -> bool:
    """Store the outcome of a claimed send; True when it was given up."""
    with factory.begin() as session:
        attempts = session.scalar(select(model.attempts).where(*_where(model, keys))) or 1
        gave_up = error is not None and attempts >= settings.notify.max_attempts
        retry_at = None
        if error is not None and not gave_up:
            retry_at = now + timedelta(minutes=settings.notify.retry_minutes
                                       * 2 ** (attempts - 1))
        session.execute(
            update(model).where(*_where(model, keys))
            .values(sent_at=now, ok=error is None, error=error, retry_at=retry_at,
                    gave_up=gave_up)
            .execution_options(synchronize_session=False))
    return gave_up


# -- veto notices ----------------------------------------------------------------------------


@dataclass(slots=True)
class NotifyReport:
    """What one pass did: messages sent and failed, with the findings each carried."""

    sent: list[tuple[int, str]] = field(default_factory=list)  # (finding id, recipient)
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # ... and the error
    messages: int = 0  # messages delivered
    gave_up: list[str] = field(default_factory=list)  # recipients given up in this pass


def _not_due(session: Session, finding_ids: Sequence[int], now: datetime
             ) -> set[tuple[int, str]]:
    """(finding, recipient key) pairs with a row that is not to be claimed now."""
    model = m.Notification
    out: set[tuple[int, str]] = set()
    for start in range(0, len(finding_ids), 500):
        chunk = finding_ids[start:start + 500]
        out.update((fid, key) for fid, key in session.execute(
            select(model.finding_id, model.recipient_key)
            .where(model.finding_id.in_(chunk), ~_due_clause(model, now))))
    return out


def send_pending(factory: sessionmaker[Session], settings: Settings, *,
                 now: datetime | None = None, sender: Sender | None = None) -> NotifyReport:
    """Announce every site's new veto findings to its webmasters and the supervisors: one
    message per site and recipient, each finding once per recipient."""
    report = NotifyReport()
    now = now or datetime.now(UTC)
    max_age = timedelta(days=settings.notify.max_age_days)
    supervisors = recipients(settings.notify.supervisor_contacts, settings, SUPERVISOR)
    with factory() as session:
        if not supervisors and not any(session.scalars(select(m.Site.contacts))):
            return report  # nobody to tell (no supervisors, no site with contacts)
        query = (select(m.Finding)
                 .where(m.Finding.severity == "veto", m.Finding.status == "open",
                        m.Finding.first_seen >= now - max_age)
                 .order_by(m.Finding.site_id, m.Finding.id))
        # A dismissed 误报 and a finding under a waiver (豁免) in force are not news.
        query = query.where(review.counted(now.astimezone(ZoneInfo(settings.timezone)).date()))
        rows = list(session.scalars(query))
        if not rows:
            return report
        by_site: dict[str, list[m.Finding]] = defaultdict(list)
        for row in rows:
            by_site[row.site_id].append(row)
        sites = {s.id: s for s in session.scalars(
            select(m.Site).where(m.Site.id.in_(list(by_site))))}
        not_due = _not_due(session, [r.id for r in rows], now)
        listed = {row.id: item for row, item in zip(rows, items(rows, settings), strict=True)}
    contacts = {sid: site_contacts(site) for sid, site in sites.items()}
    send = sender or default_sender(
        settings, webhook_urls(settings, (c for cs in contacts.values() for c in cs)))
    for site_id, found in by_site.items():
        site = sites.get(site_id)
        name = site.name if site is not None else site_id
        # The site's own webmasters, then the supervisors (one message if someone is both).
        targets = {r.key: r for r in recipients(contacts.get(site_id, ()), settings, WEBMASTER)}
        for r in supervisors:
            targets.setdefault(r.key, r)
        for recipient in targets.values():
            todo = [row for row in found if (row.id, recipient.key) not in not_due]
            claimed = [row for row in todo if _claim(
                factory, m.Notification, {"finding_id": row.id, "recipient_key": recipient.key},
                recipient, now)]
            if not claimed:
                continue
            message = veto_message(site_id, name, [listed[r.id] for r in claimed], settings)
            error = _attempt(send, recipient, message)
            gave_up = False
            for row in claimed:
                gave_up = _record(factory, m.Notification,
                                  {"finding_id": row.id, "recipient_key": recipient.key},
                                  now, error, settings) or gave_up
                if error is None:
                    report.sent.append((row.id, recipient.label))
                else:
                    report.failed.append((row.id, recipient.label, error))
            if error is None:
                report.messages += 1
                log.info("veto notice of %s (%s findings) sent to %s", site_id, len(claimed),
                         recipient.label)
            else:
                if gave_up:
                    report.gave_up.append(recipient.label)
                log.warning("veto notice of %s to %s failed%s: %s", site_id, recipient.label,
                            " (given up)" if gave_up else "", error)
    return report


def notify_after_checks(factory: sessionmaker[Session], settings: Settings,
                        now: datetime) -> None:
    """The veto notices right after a check pass of a command (`govwatch crawl`, `check`):
    `now` is the pass's instant (--as-of). A failure to notify is logged, never fails the
    command (the service's pending pass retries)."""
    try:
        report = send_pending(factory, settings, now=now)
    except Exception:
        log.exception("veto notices after the check pass failed")
        return
    if report.messages or report.failed:
        log.info("veto notices: %s messages sent, %s failed", report.messages,
                 len({to for _, to, _ in report.failed}))


# -- daily digest and summary ----------------------------------------------------------------


def digest_moment(settings: Settings, now: datetime) -> datetime:
    """The latest scheduled digest time (`[scheduler] digest_time`, local) at or before now:
    the scheduled job and the retries of its failed sends judge the same 24 hours."""
    tz = ZoneInfo(settings.timezone)
    local = now.astimezone(tz)
    hour, minute = (int(x) for x in settings.scheduler.digest_time.split(":"))
    moment = datetime.combine(local.date(), time(hour, minute), tz)
    return moment if moment <= local else moment - timedelta(days=1)


@dataclass(slots=True)
class DigestReport:
    day: str = ""
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, site, recipient)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # ... and the error
    quiet: list[str] = field(default_factory=list)  # sites with contacts and nothing new


def _counts(session: Session, since: datetime, until: datetime, tz: ZoneInfo
            ) -> tuple[dict[str, list[m.Finding]], dict[str, Counts]]:
    """New findings per site (first seen in (since, until], still open), and each site's
    counts: new, open and open veto findings as of `until`."""
    f = m.Finding
    visible = [f.first_seen <= until, f.status == "open"]
    # Dismissed (误报) and waived (豁免, in force) findings are out of every count, as in the
    # reports and the dashboard.
    visible.append(review.counted(until.astimezone(tz).date()))
    new: dict[str, list[m.Finding]] = defaultdict(list)
    for row in session.scalars(select(f).where(f.first_seen > since, *visible)
                               .order_by(f.site_id, f.id)):
        new[row.site_id].append(row)
    counts: dict[str, Counts] = {}
    for site_id, severity, n in session.execute(
            select(f.site_id, f.severity, func.count()).where(*visible)
            .group_by(f.site_id, f.severity)):
        c = counts.get(site_id, Counts())
        counts[site_id] = Counts(new=0, open=c.open + n,
                                 veto=c.veto + (n if severity == "veto" else 0))
    for site_id, rows in new.items():
        c = counts.get(site_id, Counts())
        counts[site_id] = Counts(new=len(rows), open=c.open, veto=c.veto)
    return new, counts


def _failed_crawls(session: Session, since: datetime, until: datetime) -> set[str]:
    """Sites whose last crawl started in (since, until] failed or was interrupted."""
    last: dict[str, str] = {}
    for run in session.scalars(select(m.CrawlRun)
                               .where(m.CrawlRun.started_at > since,
                                      m.CrawlRun.started_at <= until)
                               .order_by(m.CrawlRun.started_at, m.CrawlRun.id)):
        for site_id in run.site_ids or ():
            last[str(site_id)] = run.status
    return {s for s, status in last.items() if status in ("failed", "interrupted")}


def send_digests(factory: sessionmaker[Session], settings: Settings, as_of: datetime, *,
                 now: datetime | None = None, sender: Sender | None = None,
                 retry_only: bool = False) -> DigestReport:
    """The daily digest of each site to its webmasters and the supervisors' summary, for the
    24 hours before `as_of`; once per (day, recipient). `now` (default: the clock) decides
    which failed sends are due again; `retry_only`: only those (the scheduler's retry pass).
    """
    now = now or datetime.now(UTC)
    tz = ZoneInfo(settings.timezone)
    day = as_of.astimezone(tz).date().isoformat()
    since = as_of - timedelta(days=1)
    report = DigestReport(day=day)
    with factory() as session:
        sites = list(session.scalars(select(m.Site).where(m.Site.active.is_(True))
                                     .order_by(m.Site.id)))
        new, counts = _counts(session, since, as_of, tz)
        failed = _failed_crawls(session, since, as_of)
        d = m.DigestSend
        existing = {(kind, site_id, key): due for kind, site_id, key, due in session.execute(
            select(d.kind, d.site_id, d.recipient_key, _due_clause(d, now).label("due"))
            .where(d.day == day))}
        digest_rows = {site.id: [r for r in new.get(site.id, ()) if r.severity != "veto"]
                       for site in sites}
        listed = {r.id: it for rows in digest_rows.values()
                  for r, it in zip(rows, items(rows, settings), strict=True)}
    contacts = {site.id: site_contacts(site) for site in sites}
    send = sender or default_sender(
        settings, webhook_urls(settings, (c for cs in contacts.values() for c in cs)))

    def deliver(kind: str, site_id: str, recipient: Recipient, message: Message) -> None:
        state = existing.get((kind, site_id, recipient.key))
        if (state is not None and not state) or (retry_only and state is None):
            return  # sent, given up, or not due yet; or (retrying) never tried
        keys = {"day": day, "kind": kind, "site_id": site_id, "recipient_key": recipient.key}
        if not _claim(factory, m.DigestSend, keys, recipient, now):
            return
        error = _attempt(send, recipient, message)
        _record(factory, m.DigestSend, keys, now, error, settings)
        if error is None:
            report.sent.append((kind, site_id, recipient.label))
            log.info("%s of %s for %s sent to %s", kind, site_id or "all sites", day,
                     recipient.label)
        else:
            report.failed.append((kind, site_id, recipient.label, error))
            log.warning("%s of %s for %s to %s failed: %s", kind, site_id or "all sites", day,
                        recipient.label, error)

    for site in sites:
        targets = recipients(contacts[site.id], settings, WEBMASTER)
        if not targets:
            continue
        rows = digest_rows[site.id]
        if not rows:
            report.quiet.append(site.id)
            continue  # nothing new: nothing sent
        message = digest_message(site.id, site.name, day, [listed[r.id] for r in rows],
                                 counts.get(site.id, Counts()), settings)
        for recipient in targets:
            deliver(DIGEST, site.id, recipient, message)

    supervisors = recipients(settings.notify.supervisor_contacts, settings, SUPERVISOR)
    if supervisors and sites:
        table = [(s.id, s.name, counts.get(s.id, Counts())) for s in sites]
        crashed = [(s.id, s.name) for s in sites if s.id in failed]
        message = summary_message(day, table, crashed, settings, given_up(factory, since))
        for recipient in supervisors:
            deliver(SUMMARY, "", recipient, message)
    return report


# -- what was given up -----------------------------------------------------------------------


def given_up(factory: sessionmaker[Session], since: datetime) -> list[str]:
    """One line per send given up since `since` (for `govwatch notify`): what, to whom, why."""
    lines = []
    with factory() as session:
        n = m.Notification
        for fid, site_id, recipient, error in session.execute(
                select(n.finding_id, m.Finding.site_id, n.recipient, n.error)
                .join(m.Finding, m.Finding.id == n.finding_id)
                .where(n.gave_up.is_(True), n.sent_at >= since).order_by(n.finding_id)):
            lines.append(f"单项否决通知 问题{fid}（{site_id}）→ {recipient}: {error}")
        d = m.DigestSend
        for day, kind, site_id, recipient, error in session.execute(
                select(d.day, d.kind, d.site_id, d.recipient, d.error)
                .where(d.gave_up.is_(True), d.sent_at >= since).order_by(d.day, d.id)):
            what = f"每日汇总 {day}（{site_id}）" if kind == DIGEST else f"督查汇总 {day}"
            lines.append(f"{what} → {recipient}: {error}")
    return lines
