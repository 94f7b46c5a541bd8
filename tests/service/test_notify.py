"""Notices to the right people (govwatch.notify), through a loopback SMTP server and loopback
webhook receivers, on every configured database backend:

- a site's new veto findings go at once to that site's contacts and to the supervisors, one
  message per site and recipient, each finding once per recipient; never to another site's
  contacts;
- failed sends are retried with backoff, then given up;
- two senders at once still deliver each finding once per recipient;
- the daily digest (and "nothing new, nothing sent") and the supervisors' summary;
- 企业微信 and 钉钉 robots get the JSON body each expects.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Finding, Severity
from core.registry import parse_registry
from core.settings import Settings, apply_mapping
from core.site import SiteEntry
from govwatch.notify import (
    Recipient,
    given_up,
    send_digests,
    send_pending,
)
from store import models as m
from store import repo
from tests.service.servers import SMTPServer, WebhookServer, free_port

NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
PUBLIC = "https://jiance.example.gov.cn"
SUPERVISOR = "zwgk@hunan.gov.cn"


def registry(hook_a: str = "", hook_b: str = "") -> list[SiteEntry]:
    """Two sites, each with its own webmaster by email and (optionally) by webhook."""
    a_hook = f'\n      - {{name: 永州机器人, webhook: "{hook_a}"}}' if hook_a else ""
    b_hook = f'\n      - {{webhook: "{hook_b}"}}' if hook_b else ""
    return parse_registry(f"""sites:
  - id: yongzhou
    name: 永州市人民政府
    url: http://www.yongzhou.gov.cn/
    level: city
    contacts:
      - {{name: 张三, email: web@yongzhou.gov.cn}}{a_hook}
  - id: dezhou
    name: 德州市人民政府
    url: http://www.dezhou.gov.cn/
    level: city
    contacts:
      - {{name: 李四, email: web@dezhou.gov.cn}}{b_hook}
  - id: quiet
    name: 无联系人的站点
    url: http://www.quiet.gov.cn/
    level: county
""", "sites.yaml")


def finding(site: str, check: str, severity: Severity, url: str, **evidence: Any) -> Finding:
    home = f"http://www.{site}.gov.cn/"
    return Finding(site=site, check=check, severity=severity, url=url, page=home,
                   message=f"{site} 的 {check} 问题", rule="《政府网站与政务新媒体检查指标》",
                   evidence=evidence or {"probes": 140})


def record(factory: sessionmaker[Session], site: str, found: list[Finding],
           seen_at: datetime) -> None:
    with factory.begin() as s:
        repo.record_findings(s, found, site_id=site, checks_run=sorted({f.check for f in found}),
                             seen_at=seen_at, crawl_run_id=None)


def seed(factory: sessionmaker[Session], hook_a: str = "", hook_b: str = "") -> dict[str, int]:
    """yongzhou: two new vetoes, a new deduct, an old veto (home.stale, first seen 30 days
    ago and seen again); dezhou: one new veto."""
    with factory.begin() as s:
        repo.upsert_sites(s, registry(hook_a, hook_b))
    y, d = "http://www.yongzhou.gov.cn/", "http://www.dezhou.gov.cn/"
    record(factory, "yongzhou", [finding("yongzhou", "home.stale", Severity.VETO, y)],
           NOW - timedelta(days=30))  # old: not news
    record(factory, "yongzhou", [
        finding("yongzhou", "home.stale", Severity.VETO, y),
        finding("yongzhou", "availability.unreachable", Severity.VETO, y),
        finding("yongzhou", "links.dead", Severity.DEDUCT, y + "x.html", status=404),
    ], NOW - timedelta(hours=1))
    record(factory, "yongzhou", [finding("yongzhou", "columns.stale", Severity.VETO,
                                         y + "zwdt/", newest="2026-09-01")],
           NOW - timedelta(minutes=30))
    record(factory, "dezhou", [finding("dezhou", "availability.unreachable", Severity.VETO, d)],
           NOW - timedelta(hours=2))
    with factory() as s:
        return {f"{r.site_id}/{r.check}": r.id for r in s.scalars(select(m.Finding))}


def settings_for(smtp_port: int, supervisor_hook: str = "", **notify: Any) -> Settings:
    supervisors: list[dict[str, str]] = [{"name": "省政务公开办", "email": SUPERVISOR}]
    if supervisor_hook:
        supervisors.append({"webhook": supervisor_hook})
    return apply_mapping(Settings(), {
        "notify": {"smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                   "mail_from": "govwatch@example.gov.cn", "supervisors": supervisors,
                   "timeout": 10.0, **notify},
        "web": {"public_url": PUBLIC}}, "test")


def mails(smtp: SMTPServer, to: str) -> list[EmailMessage]:
    out = []
    for message in smtp.messages:
        if message["to"] == [to]:
            parsed = email.message_from_bytes(message["data"], policy=default_policy)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
    return out


def bodies(msg: EmailMessage) -> tuple[str, str]:
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()  # type: ignore[attr-defined]


def test_each_site_webmaster_gets_only_their_own_vetoes_once(
        factory: sessionmaker[Session]) -> None:
    with SMTPServer() as smtp, WebhookServer() as hook_a, WebhookServer() as hook_b, \
            WebhookServer() as hook_sup:
        ids = seed(factory, hook_a.url, hook_b.url)
        settings = settings_for(smtp.port, hook_sup.url)
        report = send_pending(factory, settings, now=NOW)
        assert not report.failed
        # One message per site and recipient: yongzhou's 2 contacts and dezhou's 2, and the
        # supervisor's email and webhook for each of the two sites.
        assert report.messages == 8
        again = send_pending(factory, settings, now=NOW + timedelta(minutes=15))
        assert again.messages == 0 and again.sent == [] and again.failed == []

        a_mail, b_mail = mails(smtp, "web@yongzhou.gov.cn"), mails(smtp, "web@dezhou.gov.cn")
        sup_mail = mails(smtp, SUPERVISOR)
        assert (len(a_mail), len(b_mail), len(sup_mail), len(smtp.messages)) == (1, 1, 2, 4)
        assert len(hook_a.received) == len(hook_b.received) == 1
        assert len(hook_sup.received) == 2

    # Site A's webmaster: A's two new vetoes, nothing of B, no deduct, not the old veto.
    a_text, a_html = bodies(a_mail[0])
    assert a_mail[0]["Subject"] == "【政府网站监测】单项否决2项：永州市人民政府"
    assert "张三" in a_mail[0]["To"] and "web@yongzhou.gov.cn" in a_mail[0]["To"]
    assert "home.stale" not in a_text
    for check in ("availability.unreachable", "columns.stale"):
        assert f"（{check}）" in a_text and f"{PUBLIC}/findings/{ids['yongzhou/' + check]}" \
            in a_text
    assert "首页无法访问（可用性不达标）（availability.unreachable）" in a_text
    assert "栏目信息长期未更新（columns.stale）" in a_text
    assert "证据：" in a_text and f"看板：{PUBLIC}/sites/yongzhou" in a_text
    assert "links.dead" not in a_text and "dezhou" not in a_text and "德州" not in a_text
    assert "dezhou" not in a_html and "德州" not in a_html
    assert "<code>columns.stale</code>" in a_html
    # Site B's webmaster: B's veto only.
    b_text, _ = bodies(b_mail[0])
    assert "（availability.unreachable）" in b_text and "yongzhou" not in b_text
    assert "永州" not in b_text and "home.stale" not in b_text
    # Webhooks: the generic JSON, the findings in the contract's shape, one site each.
    a_sent, b_sent = hook_a.received[0], hook_b.received[0]
    assert (a_sent["type"], a_sent["site"], b_sent["site"]) == ("veto", "yongzhou", "dezhou")
    assert {f["site"] for f in a_sent["findings"]} == {"yongzhou"}
    assert sorted(f["id"] for f in a_sent["findings"]) == sorted(
        ids[f"yongzhou/{c}"] for c in ("availability.unreachable", "columns.stale"))
    assert [f["id"] for f in b_sent["findings"]] == [ids["dezhou/availability.unreachable"]]
    assert {s["site"] for s in hook_sup.received} == {"yongzhou", "dezhou"}
    # The supervisor: one message per site.
    subjects = sorted(str(msg["Subject"]) for msg in sup_mail)
    assert subjects == ["【政府网站监测】单项否决1项：德州市人民政府",
                        "【政府网站监测】单项否决2项：永州市人民政府"]
    with factory() as s:
        rows = list(s.scalars(select(m.Notification)))
    assert len(rows) == 2 * 4 + 1 * 4 and all(r.ok and r.error is None for r in rows)


def test_a_new_veto_later_is_one_more_message_with_only_it(
        factory: sessionmaker[Session]) -> None:
    with SMTPServer() as smtp:
        seed(factory)
        settings = settings_for(smtp.port)
        send_pending(factory, settings, now=NOW)
        before = len(smtp.messages)
        record(factory, "dezhou", [
            finding("dezhou", "availability.unreachable", Severity.VETO,
                    "http://www.dezhou.gov.cn/"),
            finding("dezhou", "home.stale", Severity.VETO, "http://www.dezhou.gov.cn/")],
            NOW + timedelta(hours=1))
        report = send_pending(factory, settings, now=NOW + timedelta(hours=1))
        assert report.messages == 2  # dezhou's webmaster and the supervisor
        new = [email.message_from_bytes(x["data"], policy=default_policy)
               for x in smtp.messages[before:]]
    for msg in new:
        assert msg["Subject"] == "【政府网站监测】单项否决1项：德州市人民政府"
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "（home.stale）" in text and "availability.unreachable" not in text


def test_failed_sends_are_retried_with_backoff_then_given_up(
        factory: sessionmaker[Session]) -> None:
    with SMTPServer(reject_once=True) as smtp, WebhookServer(statuses=[500]) as hook:
        seed(factory, hook_b=hook.url)
        settings = settings_for(smtp.port, max_attempts=3, retry_minutes=10.0)
        first = send_pending(factory, settings, now=NOW)
        # The first SMTP message was refused (554), the webhook answered 500 once.
        errors = {to: why for _, to, why in first.failed}
        assert errors[f"webhook:{hook.url}"] == "Webhook 返回 HTTP 500"
        assert any("554" in why for to, why in errors.items() if to.startswith("email:"))
        assert len(errors) == 2
        with factory() as s:
            failed = [r for r in s.scalars(select(m.Notification)) if not r.ok]
        assert failed and all(r.retry_at == NOW + timedelta(minutes=10) for r in failed)
        # Not before its retry time...
        early = send_pending(factory, settings, now=NOW + timedelta(minutes=5))
        assert early.messages == 0 and early.failed == []
        # ... then sent, once.
        retry = send_pending(factory, settings, now=NOW + timedelta(minutes=10))
        assert retry.messages == 2 and not retry.failed
        assert send_pending(factory, settings, now=NOW + timedelta(hours=1)).messages == 0
        assert len(hook.received) == 1  # dezhou's webhook: one delivery after the 500
        assert len(smtp.messages) == 4  # every email delivered once

    # A receiver that never works: 3 attempts (backoff 10, then 20 minutes), then given up.
    settings = settings_for(free_port(), max_attempts=3, retry_minutes=10.0)
    record(factory, "quiet", [finding("quiet", "home.stale", Severity.VETO,
                                      "http://www.quiet.gov.cn/")], NOW)
    times = [NOW, NOW + timedelta(minutes=10), NOW + timedelta(minutes=29),
             NOW + timedelta(minutes=30), NOW + timedelta(hours=5)]
    attempts = [len(send_pending(factory, settings, now=t).failed) for t in times]
    assert attempts == [1, 1, 0, 1, 0]  # the supervisor only: quiet has no contacts
    with factory() as s:
        row = s.scalars(select(m.Notification).where(m.Notification.ok.is_(False))).one()
        assert (row.attempts, row.gave_up, row.retry_at) == (3, True, None)
        assert row.recipient == f"email:{SUPERVISOR}"
    lines = given_up(factory, NOW)
    assert len(lines) == 1 and SUPERVISOR in lines[0] and "ConnectionRefusedError" in lines[0]
    # ... and shown to the supervisors in their next daily summary (by webhook, here).
    with WebhookServer() as hook:
        summary = apply_mapping(settings, {"notify": {"webhook_url": hook.url}}, "t")
        send_digests(factory, summary, NOW + timedelta(hours=6), now=NOW + timedelta(hours=6))
    assert hook.received[0]["undelivered"] == lines
    assert "单项否决通知 问题" in lines[0] and f"→ email:{SUPERVISOR}" in lines[0]


def test_two_senders_at_once_deliver_each_finding_once_per_recipient(
        factory: sessionmaker[Session]) -> None:
    seed(factory)
    calls: list[tuple[str, tuple[int, ...]]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def sender(recipient: Recipient, message: Any) -> None:
        with lock:
            calls.append((recipient.label, tuple(f["id"] for f in message.data["findings"])))

    settings = settings_for(free_port())

    def run() -> None:
        barrier.wait()
        send_pending(factory, settings, now=NOW, sender=sender)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivered = [(to, fid) for to, fids in calls for fid in fids]
    assert len(delivered) == len(set(delivered)) == 2 * 2 + 1 * 2
    assert {to for to, _ in delivered} == {"email:web@yongzhou.gov.cn",
                                           "email:web@dezhou.gov.cn", f"email:{SUPERVISOR}"}
    dezhou = {fid for to, fid in delivered if to == "email:web@dezhou.gov.cn"}
    with factory() as s:
        assert {s.get(m.Finding, fid).site_id for fid in dezhou} == {"dezhou"}  # type: ignore[union-attr]


def test_a_claim_held_by_another_sender_is_not_sent_until_stale(
        factory: sessionmaker[Session]) -> None:
    from govwatch.notify import _claim

    ids = seed(factory)
    settings = settings_for(free_port())
    me = Recipient("email", SUPERVISOR)
    fid = ids["dezhou/availability.unreachable"]
    keys = {"finding_id": fid, "recipient_key": me.key}
    assert _claim(factory, m.Notification, keys, me, NOW)
    assert not _claim(factory, m.Notification, keys, me, NOW)  # a concurrent sender backs off
    calls: list[tuple[str, list[int]]] = []

    def sender(recipient: Recipient, message: Any) -> None:
        calls.append((recipient.label, [f["id"] for f in message.data["findings"]]))

    send_pending(factory, settings, now=NOW, sender=sender)
    assert (f"email:{SUPERVISOR}", [fid]) not in calls  # held by the other sender
    calls.clear()
    send_pending(factory, settings, now=NOW + timedelta(minutes=20), sender=sender)
    assert calls == [(f"email:{SUPERVISOR}", [fid])]  # the abandoned claim went stale


def test_wecom_and_dingtalk_robots_get_their_markdown_bodies(
        factory: sessionmaker[Session]) -> None:
    wecom = "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    ding = "http://oapi.dingtalk.com/robot/send?access_token=xyz"
    with WebhookServer(answer={"errcode": 0, "errmsg": "ok"}) as robots:
        seed(factory, wecom, ding)
        # The robots' hosts reach the loopback receiver (crawler.connect_to).
        settings = apply_mapping(settings_for(free_port()), {"crawler": {"connect_to": {
            "qyapi.weixin.qq.com": f"127.0.0.1:{robots.port}",
            "oapi.dingtalk.com": f"127.0.0.1:{robots.port}"}}}, "test")
        report = send_pending(factory, settings, now=NOW)
        assert {to for _, to in report.sent} >= {f"webhook:{wecom}", f"webhook:{ding}"}
    by_host = {host: body for (host, _), body in zip(robots.requests, robots.received,
                                                     strict=True)}
    wx = by_host["qyapi.weixin.qq.com"]
    assert wx["msgtype"] == "markdown" and set(wx["markdown"]) == {"content"}
    assert "永州市人民政府" in wx["markdown"]["content"]
    content = wx["markdown"]["content"]
    assert "（columns.stale）" in content and "德州" not in content
    assert f"[查看问题]({PUBLIC}/findings/" in wx["markdown"]["content"]
    dd = by_host["oapi.dingtalk.com"]
    assert dd["msgtype"] == "markdown" and set(dd["markdown"]) == {"title", "text"}
    assert dd["markdown"]["title"] == "【政府网站监测】单项否决1项：德州市人民政府"
    assert "（availability.unreachable）" in dd["markdown"]["text"]
    assert "永州" not in dd["markdown"]["text"]


def test_a_robot_error_code_is_a_failed_send(factory: sessionmaker[Session]) -> None:
    wecom = "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=revoked"
    with WebhookServer(answer={"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
        seed(factory, wecom)
        settings = apply_mapping(settings_for(free_port()), {"crawler": {"connect_to": {
            "qyapi.weixin.qq.com": f"127.0.0.1:{robot.port}"}}}, "test")
        report = send_pending(factory, settings, now=NOW)
    errors = {to: why for _, to, why in report.failed}
    assert errors[f"webhook:{wecom}"] == "Webhook 机器人返回错误 93000: invalid webhook url"


def test_hostile_finding_text_is_escaped_in_html_and_flattened_in_markdown(
        factory: sessionmaker[Session]) -> None:
    ding = "http://oapi.dingtalk.com/robot/send?access_token=xyz"
    with SMTPServer() as smtp, WebhookServer(answer={"errcode": 0}) as robot:
        seed(factory, hook_b=ding)
        with factory.begin() as s:
            row = s.scalars(select(m.Finding).where(m.Finding.site_id == "dezhou")).one()
            row.message = "<script>alert(1)</script>\n## [点我](http://evil.example/)"
        settings = apply_mapping(settings_for(smtp.port), {"crawler": {"connect_to": {
            "oapi.dingtalk.com": f"127.0.0.1:{robot.port}"}}}, "test")
        assert not send_pending(factory, settings, now=NOW).failed
    _, rich = bodies(mails(smtp, "web@dezhou.gov.cn")[0])
    assert "<script>" not in rich and "&lt;script&gt;alert(1)&lt;/script&gt;" in rich
    text = robot.received[0]["markdown"]["text"]
    assert "](http://evil.example/)" not in text and "\n##" not in text
    assert "script alert(1) /script" in text


def test_daily_digest_to_each_site_and_nothing_when_nothing_new(
        factory: sessionmaker[Session]) -> None:
    as_of = NOW + timedelta(hours=1)
    with SMTPServer() as smtp:
        seed(factory)
        # An older deduct finding of yongzhou, still open: counted, not listed as new.
        record(factory, "yongzhou", [finding("yongzhou", "identity.site-code-mismatch",
                                             Severity.DEDUCT, "http://www.yongzhou.gov.cn/")],
               NOW - timedelta(days=3))
        settings = settings_for(smtp.port)
        report = send_digests(factory, settings, as_of, now=as_of)
        assert report.day == "2026-11-20" and not report.failed
        assert sorted(report.sent) == [("digest", "yongzhou", "email:web@yongzhou.gov.cn"),
                                       ("summary", "", f"email:{SUPERVISOR}")]
        assert report.quiet == ["dezhou"]  # only a veto new (announced at once): no digest
        assert mails(smtp, "web@dezhou.gov.cn") == []
        again = send_digests(factory, settings, as_of + timedelta(hours=2),
                             now=as_of + timedelta(hours=2))
        assert again.sent == [] and len(smtp.messages) == 2  # once per day and recipient

        digest = mails(smtp, "web@yongzhou.gov.cn")[0]
        summary = mails(smtp, SUPERVISOR)[0]
    assert digest["Subject"] == ("【政府网站监测】每日汇总（2026-11-20）："
                                 "永州市人民政府新发现1项问题")
    text, rich = bodies(digest)
    assert "页面存在不可用链接（links.dead）" in text
    assert "http://www.yongzhou.gov.cn/x.html" in text
    assert "HTTP 状态码: 404" in text  # evidence in plain Chinese
    # Open: 3 vetoes (home.stale, availability.unreachable, columns.stale) + 2 deducts.
    assert "目前未整改的问题共 5 项，其中单项否决 3 项" in text
    assert "identity.site-code-mismatch" not in text and "home.stale" not in text
    assert "dezhou" not in text and "德州" not in text and "links.dead" in rich

    assert summary["Subject"] == "【政府网站监测】每日监测汇总（2026-11-20）：3个站点"
    text, rich = bodies(summary)
    assert "过去 24 小时新发现问题 4 项" in text
    rows = {line.split("\t")[1]: line.split("\t")[2:] for line in text.splitlines()
            if line.count("\t") == 4 and not line.startswith("站点")}
    assert rows == {"yongzhou": ["3", "5", "3"], "dezhou": ["1", "1", "1"],
                    "quiet": ["0", "0", "0"]}
    assert "<th>其中单项否决</th>" in rich


def test_supervisor_summary_names_sites_whose_crawl_failed(
        factory: sessionmaker[Session]) -> None:
    with SMTPServer() as smtp, WebhookServer() as hook:
        seed(factory)
        with factory.begin() as s:
            for site_id, status in (("dezhou", "failed"), ("yongzhou", "failed"),
                                    ("yongzhou", "finished")):
                run = repo.create_run(s, [site_id], NOW)
                run.status = status
                run.started_at = NOW - timedelta(hours=3) + timedelta(
                    minutes=len(site_id) if status == "finished" else 0)
        settings = settings_for(smtp.port, hook.url)
        report = send_digests(factory, settings, NOW, now=NOW)
        assert ("summary", "", f"webhook:{hook.url}") in report.sent
    text, _ = bodies(mails(smtp, SUPERVISOR)[0])
    assert "抓取失败的站点 1 个" in text and "抓取失败的站点：德州市人民政府（dezhou）" in text
    sent = hook.received[0]
    assert sent["type"] == "summary" and sent["crawl_failed"] == ["dezhou"]
    assert {s["site"]: s["open_veto"] for s in sent["sites"]} == {
        "dezhou": 1, "quiet": 0, "yongzhou": 3}


def test_digest_failure_is_retried_by_the_retry_pass_only_for_what_failed(
        factory: sessionmaker[Session]) -> None:
    with SMTPServer(reject_once=True) as smtp:
        seed(factory)
        settings = settings_for(smtp.port, retry_minutes=10.0)
        first = send_digests(factory, settings, NOW, now=NOW)
        assert len(first.failed) == 1 and len(first.sent) == 1
        (kind, site, to, _), = first.failed
        early = send_digests(factory, settings, NOW, now=NOW + timedelta(minutes=5),
                             retry_only=True)
        assert early.sent == [] and early.failed == []
        retry = send_digests(factory, settings, NOW, now=NOW + timedelta(minutes=10),
                             retry_only=True)
        assert retry.sent == [(kind, site, to)]
        assert len(smtp.messages) == 2


def test_contacts_are_stored_with_the_site(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        repo.upsert_sites(s, registry("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"))
    with factory() as s:
        row = s.get(m.Site, "yongzhou")
        assert row is not None and row.contacts == [
            {"name": "张三", "email": "web@yongzhou.gov.cn", "webhook": None},
            {"name": "永州机器人", "email": None,
             "webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}]
        assert s.get(m.Site, "quiet").contacts == []  # type: ignore[union-attr]


def test_cli_notify_sends_vetoes_then_the_digest(
        factory: sessionmaker[Session], db_url: str, tmp_path: Path) -> None:
    seed(factory)

    def gw(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GOVWATCH_DATABASE_URL": db_url}
        return subprocess.run([sys.executable, "-m", "govwatch.cli", "--settings", str(conf),
                               "notify", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    with SMTPServer() as smtp:
        conf = tmp_path / "settings.toml"
        conf.write_text(f"""
[notify]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
supervisors = [{{name = "省政务公开办", email = "{SUPERVISOR}"}}]
[web]
public_url = "{PUBLIC}"
""", encoding="utf-8")
        as_of = "2026-11-20T11:00:00+08:00"
        proc = gw("--as-of", as_of)
        assert (proc.returncode, proc.stdout.splitlines()) == (0, [
            "单项否决通知: 已发送 4 条消息（3 项问题），失败 0 个接收方"]), proc.stderr
        proc = gw("--digest", "--as-of", as_of)
        assert (proc.returncode, proc.stdout.splitlines()) == (0, [
            "每日通知（2026-11-20）: 已发送 2 份，失败 0 份；无新问题而未发送的站点 1 个"])
        proc = gw("--digest", "--as-of", as_of)
        assert proc.returncode == 0 and "已发送 0 份" in proc.stdout
        assert len(smtp.messages) == 6
        smtp.reject_data = True  # a failing send: said on stderr, exit 1, retried later
        record(factory, "quiet", [finding("quiet", "home.stale", Severity.VETO,
                                          "http://www.quiet.gov.cn/")], NOW)
        proc = gw("--as-of", as_of)
    assert proc.returncode == 1
    assert f"发送失败（稍后重试）: email:{SUPERVISOR}: 邮件发送失败" in proc.stderr


def test_two_processes_at_once_send_each_notice_once(
        factory: sessionmaker[Session], db_url: str, tmp_path: Path) -> None:
    """Two `govwatch notify` processes started together (as two `serve` processes would run
    their passes): every veto notice and every digest reaches each recipient once."""
    seed(factory)
    with SMTPServer() as smtp:
        conf = tmp_path / "settings.toml"
        conf.write_text(f"""
[notify]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
supervisors = [{{email = "{SUPERVISOR}"}}]
""", encoding="utf-8")
        env = {**os.environ, "GOVWATCH_DATABASE_URL": db_url}
        for extra in ([], ["--digest"]):
            procs = [subprocess.Popen(
                [sys.executable, "-m", "govwatch.cli", "--settings", str(conf), "notify",
                 "--as-of", "2026-11-20T11:00:00+08:00", *extra],
                env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)]
            for proc in procs:
                _out, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, err.decode()
    listed: dict[str, int] = {}  # findings listed in veto notices, per recipient
    digests: list[tuple[str, str]] = []
    for message in smtp.messages:
        parsed = email.message_from_bytes(message["data"], policy=default_policy)
        to, subject = message["to"][0], str(parsed["Subject"])
        if "单项否决" in subject:
            text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            listed[to] = listed.get(to, 0) + text.count("\n   问题：")
        else:
            digests.append((to, subject))
    assert listed == {"web@yongzhou.gov.cn": 2, "web@dezhou.gov.cn": 1, SUPERVISOR: 3}
    with factory() as s:
        rows = [(r.recipient, r.finding_id) for r in s.scalars(select(m.Notification))]
    assert len(rows) == len(set(rows)) == 2 * 2 + 1 * 2  # (finding, recipient) once each
    assert len(digests) == len(set(digests)) == 2  # yongzhou's digest and the summary


def test_after_a_check_pass_notices_go_at_once_and_a_failure_never_fails_the_command(
        factory: sessionmaker[Session], caplog: Any) -> None:
    from govwatch.notify import notify_after_checks

    seed(factory)
    # The pass's instant (--as-of), not the clock: its findings are news as of then.
    with SMTPServer() as smtp:
        notify_after_checks(factory, settings_for(smtp.port), NOW)
        assert len(smtp.messages) == 4
    record(factory, "quiet", [finding("quiet", "home.stale", Severity.VETO,
                                      "http://www.quiet.gov.cn/")], NOW)
    notify_after_checks(factory, settings_for(free_port()), NOW)  # refused: logged only
    assert "veto notice of quiet to email:zwgk@hunan.gov.cn failed" in caplog.text


def test_webhooks_pass_the_egress_policy(factory: sessionmaker[Session]) -> None:
    """A configured webhook is an allowed destination; where it redirects to is not, when
    that is inside the network (another loopback port, here), so nothing reaches it."""
    with WebhookServer() as inside, WebhookServer(redirect=f"{inside.url}?from=redirect") as hook:
        seed(factory, hook_b=hook.url)
        report = send_pending(factory, settings_for(free_port()), now=NOW)
    errors = {to: why for _, to, why in report.failed}
    assert errors[f"webhook:{hook.url}"] == (
        "Webhook 请求失败: ConnectError: 127.0.0.1 -> 127.0.0.1 (loopback)")
    assert inside.received == [] and inside.requests == []
    assert len(hook.requests) == 1


def test_the_service_jobs_send_the_daily_notices_and_retry_them(
        factory: sessionmaker[Session], monkeypatch: Any) -> None:
    """notify.digest (at digest_time) sends the day's notices once; notify.pending retries
    the ones that failed, and sends nothing new of its own."""
    from govwatch import jobs

    seed(factory)
    clock = [datetime(2026, 11, 21, 8, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))]
    monkeypatch.setattr(jobs, "_now", lambda settings: clock[0])
    with SMTPServer(reject_once=True) as smtp, WebhookServer() as hook:
        settings = settings_for(smtp.port, retry_minutes=10.0)
        settings = apply_mapping(settings, {"notify": {"webhook_url": hook.url}}, "t")
        jobs.install(jobs.Runtime(settings, factory))
        try:
            jobs.notify_digest()
            # The window is the 24 hours before 08:00: yongzhou's new links.dead is in it.
            with factory() as s:
                sends = {(d.kind, d.site_id, d.recipient): d for d in s.scalars(
                    select(m.DigestSend))}
            assert {(k, site) for k, site, _ in sends} == {("digest", "yongzhou"),
                                                           ("summary", "")}
            assert sum(1 for d in sends.values() if not d.ok) == 1  # the refused message
            assert all(d.day == "2026-11-21" for d in sends.values())
            delivered = len(smtp.messages) + len(hook.received)
            clock[0] += timedelta(minutes=11)
            jobs.notify_pending()  # the retry: only the failed one
            with factory() as s:
                assert all(d.ok for d in s.scalars(select(m.DigestSend)))
            after_retry = len(smtp.messages) + len(hook.received)
            # The retried send, and the veto notices: per site, its webmaster's email and the
            # supervisor's email and webhook.
            assert after_retry == delivered + 1 + 2 * 3
            jobs.notify_digest()  # again the same day: nothing
            jobs.notify_pending()
            assert len(smtp.messages) + len(hook.received) == after_retry
        finally:
            jobs.install(None)


def test_a_long_robot_message_is_cut_to_its_limit_keeping_the_link_and_footer() -> None:
    from govwatch.notify import FOOTER, WECOM_MAX_BYTES, Item, veto_message, webhook_payload

    settings = settings_for(free_port())
    found = [Item(id=n, check="columns.stale", title="栏目信息长期未更新", message="栏目" * 40,
                  url=f"http://www.yongzhou.gov.cn/c{n}/", page="http://www.yongzhou.gov.cn/",
                  evidence="最新信息日期: 2026-01-01", rule="《检查指标》", deadline="",
                  link=f"{PUBLIC}/findings/{n}", data={"id": n}) for n in range(1, 61)]
    message = veto_message("yongzhou", "永州市人民政府", found, settings)
    assert len(message.markdown.encode()) > 4 * WECOM_MAX_BYTES  # far too long as it is
    content = webhook_payload("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                              message)["markdown"]["content"]
    assert len(content.encode()) <= WECOM_MAX_BYTES
    assert content.startswith("**【政府网站监测】单项否决60项：永州市人民政府**")
    assert "1. **栏目信息长期未更新**（columns.stale）" in content
    assert content.endswith(f"看板：{PUBLIC}/sites/yongzhou\n\n{FOOTER}")
    assert "……（内容过长，其余请在看板中查看）" in content
    text = webhook_payload("https://oapi.dingtalk.com/robot/send?access_token=t",
                           message)["markdown"]["text"]
    assert text == message.markdown  # within 钉钉's limit: whole


def test_notices_carry_the_deadline_and_leave_out_dismissed_and_waived_findings(
        factory: sessionmaker[Session]) -> None:
    from datetime import date

    ids = seed(factory)
    with factory.begin() as s:
        stale = s.get(m.Finding, ids["yongzhou/columns.stale"])
        down = s.get(m.Finding, ids["yongzhou/availability.unreachable"])
        dezhou = s.get(m.Finding, ids["dezhou/availability.unreachable"])
        assert stale is not None and down is not None and dezhou is not None
        stale.deadline = date(2026, 11, 27)
        down.review, down.waived_until = "waived", date(2026, 12, 31)  # 豁免 in force
        dezhou.review = "dismissed"  # 误报, accepted
    with SMTPServer() as smtp:
        report = send_pending(factory, settings_for(smtp.port), now=NOW)
        assert {fid for fid, _ in report.sent} == {ids["yongzhou/columns.stale"]}
        text, rich = bodies(mails(smtp, "web@yongzhou.gov.cn")[0])
    assert "整改期限：2026-11-27" in text and "2026-11-27" in rich
    assert "availability.unreachable" not in text
    assert mails(smtp, "web@dezhou.gov.cn") == []
