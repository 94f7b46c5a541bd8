"""Evidence in plain Chinese: every key any check emits has a label, and values read as a
webmaster reads them. The keys come from the checks' own outputs over every fixture (the
demo world's findings are covered in tests/e2e/test_demo_world.py), so a new check's new key
without a label fails here, not in front of a supervisor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.catalogue import load_catalogue, resolve_options
from reports.evidence import EVIDENCE_MAX, HIDDEN, evidence_pairs, label_for, local_time
from tests.checks.snapshots import context, snapshot
from tests.checks.test_checks import FIXTURES, _load

ASCII_WORD = re.compile(r"^[a-z_]+$")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _evidence_of_every_fixture() -> Iterator[tuple[str, dict[str, Any]]]:
    for code, spec in load_catalogue(include_plugins=False).items():
        for path in sorted((FIXTURES / code).glob("*.json")):
            case = _load(path)
            site = snapshot(case)
            ctx = context(site, resolve_options(spec.rule, case.get("options", {})), case)
            for finding in spec.check(site, ctx):
                yield code, dict(finding.evidence)


EVIDENCE = list(_evidence_of_every_fixture())


def test_fixtures_produce_evidence_of_every_check() -> None:
    assert {code for code, _ in EVIDENCE} == set(load_catalogue(include_plugins=False))


def test_every_evidence_key_has_a_chinese_label() -> None:
    unlabelled = sorted({(code, key) for code, ev in EVIDENCE for key in ev
                         if key not in HIDDEN and label_for(code, key) is None})
    assert not unlabelled, f"evidence keys without a label in reports/evidence.py: {unlabelled}"


def test_rendered_evidence_shows_no_raw_keys_or_machine_values() -> None:
    for code, ev in EVIDENCE:
        for label, text in evidence_pairs(ev, code):
            assert not ASCII_WORD.match(label), (code, label)
            # no ISO timestamps, no enum codes standing alone
            assert not ISO_TIME.search(text), (code, label, text)
            assert text not in {"nav", "registry", "list", "article", "late", "missing",
                                "path", "column", "link", "label", "visible"}, (code, label)


def test_the_labels_that_were_wrong() -> None:
    # the registered site name is not a 栏目名称
    assert dict(evidence_pairs({"name": "永州市人民政府"}, "identity.name-missing")) == {
        "登记的网站名称": "永州市人民政府"}
    assert dict(evidence_pairs({"name": "政务动态"}, "columns.stale")) == {"栏目名称": "政务动态"}
    # repost.lapse's status is whether it was reposted, not an HTTP status
    assert dict(evidence_pairs({"status": "missing"}, "repost.lapse")) == {
        "转载情况": "时限已过仍未转载"}
    assert dict(evidence_pairs({"status": 404}, "links.dead")) == {"HTTP 状态码": "404"}


@pytest.mark.parametrize(("raw", "shown"), [
    ("2026-03-02T00:00+08:00", "2026-03-02 00:00"),
    ("2026-11-20T16:30:00+00:00", "2026-11-21 00:30"),  # shown in China time
    ("2026-11-13", "2026-11-13"),
    ("永州市人民政府", "永州市人民政府"),
])
def test_times_in_local_time(raw: str, shown: str) -> None:
    assert local_time(raw) == shown


def test_enum_values_in_words() -> None:
    pairs = dict(evidence_pairs({"source": "nav", "newest_from": "list", "level": 1,
                                 "class": "news", "newest": "2026-03-02T00:00+08:00"},
                                "columns.stale"))
    assert pairs == {"栏目来源": "首页导航", "最新时间依据": "栏目列表上的日期",
                     "栏目层级": "一级栏目（首页导航）", "栏目类别": "动态要闻类",
                     "最新信息时间": "2026-03-02 00:00"}
    probes = dict(evidence_pairs({"failure_share": 0.0571, "failed_probes": [
        {"time": "2026-11-20T00:00:00+08:00", "status": None, "error_kind": "timeout",
         "error": "15 s"}]}, "availability.unreachable"))
    assert probes == {"失败比例": "5.71%", "失败的探测": "2026-11-20 00:00 请求超时"}
    assert dict(evidence_pairs({"error_kind": "dns", "kind": "attachment"}, "links.dead")) == {
        "错误类型": "域名无法解析", "链接类型": "附件"}


def test_unknown_key_of_a_plugin_is_shown_rather_than_lost() -> None:
    assert evidence_pairs({"acme_phone": "无"}, "acme.footer-phone") == (("acme_phone", "无"),)


def test_fixtures_dir_exists() -> None:
    assert Path(FIXTURES).is_dir()


# -- records (lists of objects) and enumerated values --------------------------------------


def test_ad_records_are_labelled_in_chinese() -> None:
    pairs = dict(evidence_pairs({"ads": [
        {"type": "label", "label": "广告", "context": "广告 星河湾 首付5万起"},
        {"type": "ad-host", "host": "pos.baidu.com", "url": "https://pos.baidu.com/s",
         "element": "script"}], "pages_total": 2}))
    assert pairs["广告"] == (
        "类型: 带广告标识的区块，标识文字: 广告，所在区块: 广告 星河湾 首付5万起；"
        "类型: 广告联盟内容，域名: pos.baidu.com，地址: https://pos.baidu.com/s，元素: 脚本")
    assert pairs["问题页面总数"] == "2"


def test_messages_certificates_and_signals() -> None:
    pairs = dict(evidence_pairs({
        "unanswered": 1, "messages": [{"subject": "噪音扰民", "url": "",
                                       "asked": "2026-06-10T00:00+08:00", "state": "办理中"}],
        "problem": "expiring", "days_left": 10, "signal": "all-today"}))
    assert pairs["留言"] == "留言标题: 噪音扰民，提问时间: 2026-06-10 00:00，办理状态: 办理中"
    assert (pairs["问题"], pairs["剩余天数"], pairs["判断依据"]) == (
        "证书即将过期", "10", "列表全部信息均标注为抓取当日")


def test_spam_evidence_reads_in_chinese() -> None:
    pairs = dict(evidence_pairs({
        "why": "隐藏：display:none 隐藏",
        "selector": "body > div.lk9x",
        "words": ["百家乐", "澳门赌场"],
        "hosts": ["www.bocai88.com"],
        "snippet": '<div style="display:none"><a href="http://www.bocai88.com/">百家乐</a></div>',
        "blocks_total": 1,
        "blocks": [{"selector": "body > div.lk9x", "why": "隐藏", "words": ["百家乐", "澳门赌场"],
                    "hosts": [], "excerpt": ""}],
    }))
    assert pairs["判定依据"] == "隐藏：display:none 隐藏"
    assert pairs["元素（CSS 选择器）"] == "body > div.lk9x"
    assert pairs["命中词"] == "百家乐、澳门赌场"
    assert pairs["HTML 片段"].startswith("<div style=")  # escaped by the templates, not here
    # a block: labelled keys, empty values dropped
    assert pairs["可疑区块"] == (
        "元素（CSS 选择器）: body > div.lk9x，判定依据: 隐藏，命中词: 百家乐、澳门赌场"
    )


def test_long_block_lists_are_shortened() -> None:
    blocks = [{"excerpt": "字" * 200} for _ in range(5)]
    (label, text), = evidence_pairs({"blocks": blocks})
    assert label == "可疑区块" and len(text) == EVIDENCE_MAX and text.endswith("…")
