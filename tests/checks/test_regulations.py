"""Citations by name: the regulations table, which documents bind which site, and that no
finding, report, page or doc ever names a document by the file it was read from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks.catalogue import load_catalogue
from checks.regulations import binding, cite, parse, reference_problem
from core.regulations import NATIONAL, REGULATIONS
from core.settings import Settings, SettingsError, apply_mapping
from tests.crawler.realpages import SEEDS, shared_file

ROOT = Path(__file__).resolve().parents[2]
# How the regulations' texts are named on disk: NNN_<16 hex>.txt. None of it may reach users.
FILE_NAME = re.compile(r"\b\d{3}_[0-9a-f]{16}(\.txt)?\b")


def test_table_names_every_document_with_its_facts() -> None:
    for reg in REGULATIONS.values():
        assert reg.title and reg.issuer and re.match(r"^\d{4}(-\d\d-\d\d)?$", reg.date)
        assert not FILE_NAME.search(reg.title)
    assert REGULATIONS["shanxi-2018"].number == "晋政办发〔2018〕91号"
    assert REGULATIONS["zhiyin-2017"].number == "国办发〔2017〕47号"
    assert REGULATIONS["zhibiao-2019"].number == "国办秘函〔2019〕19号"
    assert {k for k, r in REGULATIONS.items() if r.national} == {
        "zhiyin-2017", "zhibiao-2019", "pucha-2015"}


def test_local_titles_and_numbers_come_from_the_published_texts() -> None:
    seeds = shared_file(SEEDS)
    texts = "\n".join(p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt")))
    for reg in REGULATIONS.values():
        if reg.national:
            continue
        # the Yongzhou page is in traditional characters; compare its distinctive part
        probe = reg.title if reg.key != "yongzhou-2021" else "永州市政府網站建設管理辦法"
        assert probe.replace("〈", "《").replace("〉", "》") in texts.replace("〈", "《").replace(
            "〉", "》"), reg.key
        if reg.number:
            assert reg.number in texts, reg.key


def test_a_finding_cites_only_the_documents_binding_its_site() -> None:
    ref = "yongzhou-2021 第十九条(四); shanxi-2018 第十条; zhibiao-2019; pucha-2015"
    assert cite(ref) == "《政府网站与政务新媒体检查指标》；《全国政府网站普查评分表》"
    assert cite(ref, NATIONAL | {"yongzhou-2021"}) == (
        "《永州市政府网站建设管理办法》第十九条（四）；《政府网站与政务新媒体检查指标》；"
        "《全国政府网站普查评分表》")
    # a site in Shanxi is not held to Yongzhou's 办法
    assert "永州" not in cite(ref, NATIONAL | {"shanxi-2018"})
    assert "《山西省政府网站管理办法》第十条" in cite(ref, NATIONAL | {"shanxi-2018"})


def test_binding_follows_the_supervising_authorities() -> None:
    parents = {"govcn": None, "hunan": "govcn", "yongzhou": "hunan", "jianghua": "yongzhou",
               "shanxi": "govcn", "cycle-a": "cycle-b", "cycle-b": "cycle-a"}
    adopt = {"yongzhou": ("yongzhou-2021",), "shanxi": ("shanxi-2018",)}
    assert binding("jianghua", parents, adopt) == NATIONAL | {"yongzhou-2021"}
    assert binding("yongzhou", parents, adopt) == NATIONAL | {"yongzhou-2021"}
    assert binding("hunan", parents, adopt) == NATIONAL
    assert binding("shanxi", parents, adopt) == NATIONAL | {"shanxi-2018"}
    assert binding("cycle-a", parents, adopt) == NATIONAL  # a loop in parents ends
    assert binding("unregistered", parents, adopt) == NATIONAL


def test_adoption_is_a_validated_setting() -> None:
    settings = apply_mapping(Settings(), {"regulations": {"adopt": {
        "yongzhou": ["yongzhou-2021"]}}}, "s.toml")
    assert settings.adopt == {"yongzhou": ("yongzhou-2021",)}
    with pytest.raises(SettingsError, match="未知的法规代号 yongzhou-2020"):
        apply_mapping(Settings(), {"regulations": {"adopt": {"y": ["yongzhou-2020"]}}}, "s.toml")
    with pytest.raises(SettingsError, match="regulations"):
        apply_mapping(Settings(), {"regulations": {"adopted": {}}}, "s.toml")


def test_every_builtin_reference_parses_and_cites_a_national_document() -> None:
    for code, spec in load_catalogue(include_plugins=False).items():
        assert reference_problem(spec.rule.reference, need_national=True) == "", code
        assert cite(spec.rule.reference).startswith("《"), code
        assert all(c.key for c in parse(spec.rule.reference)), code
        # findings.rule is a VARCHAR(255): even a site bound by every document fits
        assert len(cite(spec.rule.reference, REGULATIONS)) <= 255, code


def test_no_file_name_in_docs_readme_or_templates() -> None:
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
             *sorted((ROOT / "reports" / "templates").rglob("*")),
             *sorted((ROOT / "web" / "templates").rglob("*"))]
    for path in paths:
        if path.is_file():
            assert not FILE_NAME.search(path.read_text(encoding="utf-8")), path
