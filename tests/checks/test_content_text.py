"""The text checks' parts: personal numbers and traditional characters as extraction finds
them (crawler.textscan), the list files the settings name, and the real pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checks.base import PageRef
from checks.catalogue import OptionsError, load_catalogue, resolve_options
from crawler.decode import decode_html
from crawler.extract import extract
from crawler.textscan import luhn, mask, personal_numbers, scan_text, valid_id
from tests.checks.snapshots import context, snapshot
from tests.crawler.realpages import REALPAGES, shared_file

CATALOGUE = load_catalogue(include_plugins=False)
CODES = ("content.serious-errors", "content.typos", "content.banned-words",
         "content.privacy-leak", "content.traditional-chars")


def test_id_numbers_need_check_digit_and_birth_date() -> None:
    assert valid_id("11010519491231002X") and valid_id("431102198506121017")
    assert not valid_id("431102198506121018")  # wrong check digit
    assert not valid_id("431102198502301010")  # 30 February
    assert not valid_id("431102185006121017")  # year 1850


def test_personal_numbers_are_found_with_boundaries_and_masked() -> None:
    text = ("张三 431102198506121017 手机 13812345678 电话 138 1234 5678 卡号6222021234567890128 "
            "订单 9138123456789 编号A13812345678 已脱敏 430***********1234 138****5678")
    masked, found = personal_numbers(text)
    assert [(n.kind, n.masked) for n in found] == [
        ("id", "431***********1017"), ("mobile", "138****5678"), ("mobile", "138****5678"),
        ("bank", "6222***********0128"),
    ]
    assert "431102198506121017" not in masked and "手机 13812345678" not in masked
    assert "9138123456789" in masked  # 13 digits: no mobile number inside a longer number
    assert found[3].before.endswith("卡号")
    assert luhn("6222021234567890128") and not luhn("6222021234567890127")
    assert mask("mobile", "13812345678") == "138****5678"


def test_traditional_chars_outside_quotes_and_language_switch() -> None:
    facts = scan_text("繁體 English 日本語\n学习《政府網站建設》和「網站」。\n本網站由市政府主办")
    assert facts.traditional_count == 1
    assert [(t.char, t.simplified) for t in facts.traditional] == [("網", "网")]
    assert "本網站" in facts.traditional[0].context
    assert scan_text("政府网站建设管理办法").traditional_count == 0


def test_hostile_text_never_breaks_the_scan() -> None:
    for text in ("1" * 100_000, "網" * 50_000, "《" * 10_000 + "網", "\x00\ud800", ""):
        scan_text(text)


def test_list_files_named_in_settings(tmp_path: Path) -> None:
    leaders = tmp_path / "leaders.txt"
    leaders.write_text("# 本地区领导\n张三丰市长\t张山峰市长\n李四 -> 李泗\n", encoding="utf-8")
    rule = CATALOGUE["content.serious-errors"].rule
    options = resolve_options(rule, {"files": [str(leaders)], "builtin": False})
    assert options["_pairs"] == (("张三丰市长", "张山峰市长"), ("李四", "李泗"))
    with pytest.raises(OptionsError, match="不存在") as info:
        resolve_options(rule, {"files": [str(tmp_path / "missing.txt")]})
    assert "\n" not in str(info.value)
    (tmp_path / "bad.txt").write_text("只有一列\n", encoding="utf-8")
    with pytest.raises(OptionsError, match="第1行"):
        resolve_options(rule, {"files": [str(tmp_path / "bad.txt")]})
    words = tmp_path / "words.txt"
    words.write_text("某敏感词\n", encoding="utf-8")
    banned = resolve_options(CATALOGUE["content.banned-words"].rule,
                             {"builtin": False, "veto_files": [str(words)]})
    assert banned["_words"] == (("某敏感词", "veto"),)


def _labels() -> list[dict[str, Any]]:
    path = shared_file(REALPAGES / "labels.json")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_real_pages_raise_no_text_finding() -> None:
    """None of the 37 labelled pages has a content problem of these kinds: their traditional
    characters are language-switch labels only (labels.json), and none publishes personal
    numbers or listed wrong forms."""
    labels = _labels()
    assert len(labels) == 37
    for label in labels:
        text, _ = decode_html((REALPAGES / label["file"]).read_bytes())
        url = "https://www.example.gov.cn/col/art/2024/1.html"
        facts = extract(url, text)
        site = snapshot({"pages": []})
        site = site.__class__(**{**{f: getattr(site, f) for f in site.__slots__},
                                 "pages": (PageRef(url=url, status=200, depth=1, facts=facts),)})
        for code in CODES:
            spec = CATALOGUE[code]
            found = list(spec.check(site, context(site, resolve_options(spec.rule, {}), {})))
            assert not found, (label["file"], code, [f.message for f in found])


def test_evidence_reads_in_chinese() -> None:
    from reports.evidence import evidence_pairs

    banned = dict(evidence_pairs({
        "hits": [{"word": "北朝鲜", "list": "veto", "sentence": "就北朝鲜问题答问。"}],
        "hits_total": 1,
    }, "content.banned-words"))
    assert banned["问题词句"] == "用语: 北朝鲜，词表: 严重表述错误，所在语句: 就北朝鲜问题答问。"
    leak = dict(evidence_pairs({
        "numbers": [{"kind": "手机号码", "masked": "138****5678", "before": "张三 "}],
        "roster": True,
    }, "content.privacy-leak"))
    assert leak["个人信息（已脱敏）"] == "类型: 手机号码，号码: 138****5678，前文: 张三 "
    assert leak["疑似公示名单"] == "是"
    trad = dict(evidence_pairs({
        "chars": [{"char": "網", "simplified": "网", "context": "政府網站"}],
    }, "content.traditional-chars"))
    assert trad["繁体字"] == "繁体字: 網，简体: 网，上下文: 政府網站"


def test_lexicon_pretest_never_changes_the_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short list is pre-tested with a regular expression, a long one is not: both give
    the automaton's leftmost-longest matches, and a page without a key gives none."""
    from checks.content import lexicon

    entries = (("中国特色社会注意", "中国特色社会主义"), ("社会注意", "社会主义"),
               ("a.b", "a-b"), ("[x]", "x"))
    text = "坚持中国特色社会注意，社会注意好；a.b 与 aXb、[x] 不同"
    expected = [(2, 10, "中国特色社会注意"), (11, 15, "社会注意"), (17, 20, "a.b"),
                (27, 30, "[x]")]
    for limit in (len(entries), len(entries) - 1):  # pre-tested, then not
        monkeypatch.setattr(lexicon, "PRETEST_MAX_ENTRIES", limit)
        lexicon._pretest.cache_clear()
        assert [(m.start, m.end, m.key) for m in lexicon.find(entries, text)] == expected
        assert lexicon.find(entries, "社会主义 axb x") == []
    assert lexicon._pretest.cache_info().currsize == 1
    lexicon._pretest.cache_clear()
