"""New veto findings are announced once per channel, by email (a loopback SMTP server) and a
webhook (a loopback HTTP server); failures are recorded and retried."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Finding, Severity
from core.settings import Settings, apply_mapping
from core.site import SiteEntry
from govwatch.notify import EMAIL, WEBHOOK, _claim, send_pending
from store import models as m
from store import repo
from tests.service.servers import SMTPServer, WebhookServer, free_port

SITE = SiteEntry.from_dict({"id": "yongzhou", "name": "永州市人民政府", "level": "city",
                            "url": "http://www.yongzhou.gov.cn/"})
NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
CONTRACT_KEYS = {"id", "site", "check", "severity", "url", "page", "message", "evidence",
                 "rule", "first_seen", "last_seen", "status"}


def finding(check: str, severity: Severity, url: str = SITE.url) -> Finding:
    return Finding(site=SITE.id, check=check, severity=severity, url=url, page=SITE.url,
                   message=f"{check} 的问题", rule="检查指标", evidence={"probes": 140})


def seed(factory: sessionmaker[Session]) -> int:
    """One new veto finding among others that must not be announced; returns its id."""
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        # Old (first seen 30 days ago): not news.
        repo.record_findings(s, [finding("home.stale", Severity.VETO)], site_id=SITE.id,
                             checks_run=["home.stale"], seen_at=NOW - timedelta(days=30),
                             crawl_run_id=None)
        # Fixed since: not announced.
        repo.record_findings(s, [finding("columns.blank", Severity.VETO, SITE.url + "a/")],
                             site_id=SITE.id, checks_run=["columns.blank"],
                             seen_at=NOW - timedelta(hours=1), crawl_run_id=None)
        repo.record_findings(s, [], site_id=SITE.id, checks_run=["columns.blank"],
                             seen_at=NOW, crawl_run_id=None)
        repo.record_findings(
            s, [finding("availability.unreachable", Severity.VETO),
                finding("links.dead", Severity.DEDUCT, SITE.url + "x.html")],
            site_id=SITE.id, checks_run=["availability.unreachable", "links.dead"],
            seen_at=NOW, crawl_run_id=None)
        row = s.scalar(select(m.Finding).where(m.Finding.check == "availability.unreachable"))
        assert row is not None
        return row.id


def settings_for(smtp_port: int, webhook: str = "") -> Settings:
    return apply_mapping(Settings(), {"notify": {
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "mail_from": "govwatch@example.gov.cn",
        "mail_to": ["supervisor@example.gov.cn", "webmaster@yongzhou.gov.cn"],
        "webhook_url": webhook, "timeout": 10.0}}, "test")


def rows(factory: sessionmaker[Session]) -> dict[tuple[int, str], m.Notification]:
    with factory() as s:
        return {(n.finding_id, n.channel): n for n in s.scalars(select(m.Notification))}


def test_a_new_veto_finding_is_sent_once_by_email_and_webhook(
        factory: sessionmaker[Session]) -> None:
    fid = seed(factory)
    with SMTPServer() as smtp, WebhookServer() as hook:
        settings = settings_for(smtp.port, hook.url)
        report = send_pending(factory, settings, now=NOW)
        assert sorted(report.sent) == [(fid, EMAIL), (fid, WEBHOOK)] and not report.failed
        again = send_pending(factory, settings, now=NOW + timedelta(minutes=15))
        assert again.sent == [] and again.failed == []
        assert len(smtp.messages) == 1 and len(hook.received) == 1

    message = smtp.messages[0]
    assert message["from"] == "govwatch@example.gov.cn"
    assert message["to"] == ["supervisor@example.gov.cn", "webmaster@yongzhou.gov.cn"]
    parsed = email.message_from_bytes(message["data"], policy=default_policy)
    assert "永州市人民政府" in parsed["Subject"] and "单项否决" in parsed["Subject"]
    body = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert "availability.unreachable 的问题" in body and SITE.url in body
    assert '"probes": 140' in body

    sent = hook.received[0]
    assert set(sent) == CONTRACT_KEYS
    assert (sent["id"], sent["check"], sent["severity"], sent["status"]) == (
        fid, "availability.unreachable", "veto", "open")
    assert sent["first_seen"] == "2026-11-20T10:30:00+08:00"
    assert all(r.ok and r.error is None for r in rows(factory).values())
    assert set(rows(factory)) == {(fid, EMAIL), (fid, WEBHOOK)}


def test_failures_are_recorded_and_retried_until_sent(factory: sessionmaker[Session]) -> None:
    fid = seed(factory)
    with SMTPServer(reject_data=True) as smtp, WebhookServer(statuses=[500]) as hook:
        settings = settings_for(smtp.port, hook.url)
        report = send_pending(factory, settings, now=NOW)
        assert report.sent == []
        errors = {channel: error for _, channel, error in report.failed}
        assert "554" in errors[EMAIL] and errors[WEBHOOK] == "Webhook 返回 HTTP 500"
        stored = rows(factory)
        assert not stored[(fid, EMAIL)].ok and "554" in (stored[(fid, EMAIL)].error or "")
        assert not stored[(fid, WEBHOOK)].ok

        smtp.reject_data = False  # both channels work again: the next pass sends
        report = send_pending(factory, settings, now=NOW + timedelta(minutes=15))
        assert sorted(report.sent) == [(fid, EMAIL), (fid, WEBHOOK)]
        assert send_pending(factory, settings, now=NOW + timedelta(minutes=30)).sent == []
        assert len(smtp.messages) == 1 and len(hook.received) == 1
    stored = rows(factory)
    assert all(r.ok and r.error is None for r in stored.values()) and len(stored) == 2


def test_unreachable_smtp_server_is_a_recorded_failure(factory: sessionmaker[Session]) -> None:
    fid = seed(factory)
    report = send_pending(factory, settings_for(free_port()), now=NOW)
    assert [(f, c) for f, c, _ in report.failed] == [(fid, EMAIL)]
    assert "ConnectionRefusedError" in report.failed[0][2]


def test_no_channel_configured_sends_nothing(factory: sessionmaker[Session]) -> None:
    seed(factory)
    assert send_pending(factory, Settings(), now=NOW).sent == []
    assert rows(factory) == {}


def test_a_send_is_claimed_by_one_sender_only(factory: sessionmaker[Session]) -> None:
    fid = seed(factory)
    assert _claim(factory, fid, WEBHOOK, NOW)
    assert not _claim(factory, fid, WEBHOOK, NOW)  # a concurrent sender backs off
    calls: list[str] = []
    send_pending(factory, apply_mapping(Settings(), {"notify": {
        "webhook_url": "http://127.0.0.1:9/"}}, "t"), now=NOW,
        sender=lambda channel, *_: calls.append(channel))
    assert calls == []  # claimed by someone else and still fresh: not sent twice
    # A claim abandoned by a sender that died goes stale and is taken up again.
    later = NOW + timedelta(minutes=20)
    send_pending(factory, apply_mapping(Settings(), {"notify": {
        "webhook_url": "http://127.0.0.1:9/"}}, "t"), now=later,
        sender=lambda channel, *_: calls.append(channel))
    assert calls == [WEBHOOK]
    assert rows(factory)[(fid, WEBHOOK)].ok
