"""The service's settings sections: [probe], [scheduler], [notify] — defaults and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings, SettingsError, apply_file
from core.site import Contact


def load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return apply_file(Settings(), path)


def test_defaults_follow_the_rules() -> None:
    settings = Settings()
    assert settings.probe.timeout == 15.0  # 检查指标: loaded within 15 s
    assert 24 * 60 // settings.scheduler.probe_interval_minutes >= 20  # >= 20 probes a day
    assert settings.scheduler.crawl_time == "02:00" and settings.scheduler.enabled
    assert not settings.notify.email_enabled and not settings.notify.webhook_enabled


def test_sections_are_read(tmp_path: Path) -> None:
    settings = load(tmp_path, """
[probe]
timeout = 10
concurrency = 3

[scheduler]
crawl_time = "01:30"
crawl_concurrency = 4
crawl_timeout_minutes = 90
probe_interval_minutes = 72
run_on_start = ["crawl.nightly"]
report_formats = ["html"]

[notify]
smtp_host = "smtp.example.gov.cn"
smtp_port = 587
smtp_starttls = true
mail_to = ["a@example.gov.cn"]
webhook_url = "https://hooks.example.gov.cn/govwatch"
""")
    assert settings.probe.timeout == 10.0 and settings.probe.concurrency == 3
    s = settings.scheduler
    assert (s.crawl_time, s.crawl_concurrency, s.crawl_timeout_minutes) == ("01:30", 4, 90.0)
    assert s.run_on_start == ("crawl.nightly",) and s.report_formats == ("html",)
    n = settings.notify
    assert n.email_enabled and n.webhook_enabled and n.smtp_starttls and n.smtp_port == 587
    # The earlier global channels are supervisors now (backward compatible).
    assert n.supervisor_contacts == (Contact(email="a@example.gov.cn"),
                                     Contact(webhook="https://hooks.example.gov.cn/govwatch"))


def test_supervisors_digest_time_and_public_url(tmp_path: Path) -> None:
    settings = load(tmp_path, """
[notify]
supervisors = [
  {name = "省政务公开办", email = "zwgk@example.gov.cn"},
  {webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
]
mail_to = ["old@example.gov.cn"]
max_attempts = 3
retry_minutes = 5

[scheduler]
digest_time = "07:45"

[web]
public_url = "https://jiance.example.gov.cn/"
""")
    n = settings.notify
    assert n.supervisor_contacts == (
        Contact(name="省政务公开办", email="zwgk@example.gov.cn"),
        Contact(webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),
        Contact(email="old@example.gov.cn"))
    assert (n.max_attempts, n.retry_minutes) == (3, 5.0)
    assert settings.scheduler.digest_time == "07:45" and settings.scheduler.digest_enabled
    assert settings.web.public_url == "https://jiance.example.gov.cn/"
    defaults = Settings()
    assert defaults.scheduler.digest_time == "08:00" and defaults.timezone == "Asia/Shanghai"
    assert defaults.notify.supervisor_contacts == () and defaults.web.public_url == ""


@pytest.mark.parametrize(("text", "needle"), [
    ("[probe]\ntimeout = 0\n", "probe.timeout 必须大于 0"),
    ("[probe]\nretries = 1\n", "未知设置 probe.retries"),
    ("[scheduler]\nprobe_interval_minutes = 73\n", "不能超过 72"),
    ("[scheduler]\ncrawl_time = \"2:00\"\n", "scheduler.crawl_time"),
    ("[scheduler]\nmonthly_report_time = \"24:00\"\n", "scheduler.monthly_report_time"),
    ("[scheduler]\ncrawl_concurrency = 0\n", "crawl_concurrency 必须大于 0"),
    ("[scheduler]\nreport_formats = [\"doc\"]\n", "report_formats"),
    ("[scheduler]\nheartbeat_seconds = 60\n", "lock_stale_seconds"),
    ("[scheduler]\nenabled = \"yes\"\n", "scheduler.enabled"),
    ("[notify]\nmail_to = [\"nobody\"]\n", "notify.mail_to"),
    ("[notify]\nwebhook_url = \"ftp://x\"\n", "notify.webhook_url"),
    ("[notify]\nsmtp_port = 70000\n", "notify.smtp_port"),
    ("[notify]\nsupervisors = \"a@b.cn\"\n", "notify.supervisors 应为列表"),
    ("[notify]\nsupervisors = [{name = \"x\"}]\n", "第 1 项 至少应有 email 或 webhook"),
    ("[notify]\nsupervisors = [{email = \"x@\"}]\n", "不是有效的电子邮件地址"),
    ("[notify]\nsupervisors = [{webhook = \"ftp://x\"}]\n", "webhook 应以 http:// 或 https://"),
    ("[notify]\nsupervisors = [{email = \"a@b.cn\", phone = \"1\"}]\n", "未知字段 phone"),
    ("[notify]\nmax_attempts = 0\n", "notify.max_attempts"),
    ("[scheduler]\ndigest_time = \"8:00\"\n", "scheduler.digest_time"),
    ("[web]\npublic_url = \"jiance.example.gov.cn\"\n", "web.public_url"),
])
def test_bad_values_name_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(SettingsError) as info:
        load(tmp_path, text)
    assert needle in str(info.value) and str(tmp_path) in str(info.value)
    assert "\n" not in str(info.value)
