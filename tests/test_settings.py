from __future__ import annotations

from pathlib import Path

import pytest

from checks.catalogue import OptionsError
from checks.runner import CheckError, plan
from core.settings import Settings, SettingsError, apply_file, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[crawler]\ntimeout = 3\n", "未知设置 crawler.timeout"),
        ("[crawler]\nretries = \"two\"\n", "crawler.retries"),
        ("[crawler]\nrobots = \"maybe\"\n", "obey 或 ignore"),
        ("[crawler]\ndownload_timeout = 0\n", "必须大于 0"),
        ("[crawler.connect_to]\n\"a.gov.cn\" = \"127.0.0.1\"\n", "地址:端口"),
        ("colour = 1\n", "未知设置 colour"),
        ("[crawler\n", "TOML 语法错误"),
        ("[columns]\nsingle_page_text_min = 0\n", "columns.single_page_text_min 必须大于 0"),
        ("[columns]\nlist_min = 3\n", "未知设置 columns.list_min"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        apply_file(Settings(), path)
    assert str(path) in str(info.value) and needle in str(info.value)
    assert "\n" not in str(info.value)


def test_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[crawler]\nretries = 5\ndownload_timeout = 4\n")
    monkeypatch.setenv("GOVWATCH_SETTINGS", str(path))
    monkeypatch.setenv("GOVWATCH_DATABASE_URL", "sqlite:///x.db")
    settings = load_settings()
    assert settings.crawler.retries == 5 and settings.crawler.download_timeout == 4.0
    assert settings.database_url == "sqlite:///x.db"
    monkeypatch.setenv("GOVWATCH_SETTINGS", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError):
        load_settings()


def test_check_options_are_validated_and_checks_can_be_disabled(tmp_path: Path) -> None:
    settings = apply_file(Settings(), write(tmp_path, '[checks."links.dead"]\nenabled = false\n'))
    codes = {p.spec.rule.code for p in plan(settings)}
    assert "links.dead" not in codes and "links.dead-home" in codes

    settings = apply_file(Settings(), write(tmp_path, '[checks."links.deadd"]\npoints = 1\n'))
    with pytest.raises(CheckError, match=r"links\.deadd"):
        plan(settings)

    settings = apply_file(Settings(), write(tmp_path, '[checks."links.dead"]\npoints = "x"\n'))
    with pytest.raises(OptionsError):
        plan(settings)

    settings = apply_file(Settings(), write(tmp_path, '[checks."links.dead"]\npoints = 0.5\n'))
    options = {p.spec.rule.code: p.options for p in plan(settings)}
    assert options["links.dead"]["points"] == 0.5


def test_columns_setting_defaults_to_the_discovery_default_and_reads_from_a_file(
        tmp_path: Path) -> None:
    from checks.columns.common import SINGLE_PAGE_TEXT_MIN

    assert Settings().columns.single_page_text_min == SINGLE_PAGE_TEXT_MIN
    path = write(tmp_path, "[columns]\nsingle_page_text_min = 120\n")
    assert apply_file(Settings(), path).columns.single_page_text_min == 120
