"""The command line as users meet it: one-line errors, exit codes, nothing stored lost."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

GOOD = """sites:
  - id: hunan
    name: 湖南省人民政府
    url: http://www.hunan.gov.cn
    level: province
  - id: yongzhou
    name: 永州市人民政府
    url: http://www.yzcity.gov.cn/
    level: city
    parent: hunan
"""


def gw(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GOVWATCH_DATABASE_URL=f"sqlite:///{tmp / 'gw.db'}")
    env.pop("GOVWATCH_SETTINGS", None)
    return subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=120)


def test_commands_before_init_say_so(tmp_path: Path) -> None:
    proc = gw(tmp_path, "crawl")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "错误: 数据库尚未初始化，请先运行 govwatch init"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert gw(tmp_path, "findings", "--format", "xml").returncode == 2
    assert gw(tmp_path, "frobnicate").returncode == 2


def test_import_list_and_a_bad_file_that_changes_nothing(tmp_path: Path) -> None:
    assert gw(tmp_path, "init").returncode == 0
    assert "已就绪" in gw(tmp_path, "init").stdout  # idempotent
    (tmp_path / "sites.yaml").write_text(GOOD, encoding="utf-8")
    proc = gw(tmp_path, "sites", "import", "sites.yaml")
    assert proc.returncode == 0 and "已导入 2 个站点（新增 2，更新 0）" in proc.stdout
    listed = gw(tmp_path, "sites", "list").stdout.splitlines()
    assert listed[0].split("\t") == ["站点ID", "级别", "类型", "上级", "名称", "网址"]
    assert [line.split("\t")[0] for line in listed[1:]] == ["hunan", "yongzhou"]
    assert listed[1].endswith("http://www.hunan.gov.cn/")  # normalised

    bad = GOOD.replace("永州市人民政府", "永州市政府").replace("level: city", "level: town")
    bad += "  - id: Bad_ID\n    name: x\n    url: ftp://x\n    level: city\n    colour: red\n"
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    proc = gw(tmp_path, "sites", "import", "bad.yaml")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "错误: bad.yaml: 4 处错误，未导入任何站点"
    assert any(line.startswith("错误: bad.yaml:9: ") and "level" in line for line in lines)
    assert any("colour" in line and "bad.yaml:15:" in line for line in lines)
    # nothing from the bad file was stored: the good rename did not happen either
    assert "永州市人民政府" in gw(tmp_path, "sites", "list").stdout

    # a file that names a parent imported earlier is fine
    (tmp_path / "more.yaml").write_text(
        "sites:\n  - id: jianghua\n    name: 江华瑶族自治县人民政府\n"
        "    url: http://www.jianghua.gov.cn/\n    level: county\n    parent: yongzhou\n",
        encoding="utf-8")
    assert gw(tmp_path, "sites", "import", "more.yaml").returncode == 0


def test_missing_registry_file(tmp_path: Path) -> None:
    gw(tmp_path, "init")
    proc = gw(tmp_path, "sites", "import", "nope.yaml")
    assert proc.returncode == 1
    assert proc.stderr == "错误: 站点登记文件不存在: nope.yaml\n"


def test_bare_govwatch_prints_help_in_chinese(tmp_path: Path) -> None:
    proc = gw(tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("用法: govwatch ")
    for heading in ("选项:", "子命令:", "显示本帮助并退出", "显示版本号并退出", "crawl", "report"):
        assert heading in proc.stdout
    assert "usage:" not in proc.stdout and "options:" not in proc.stdout


def test_usage_errors_are_in_chinese(tmp_path: Path) -> None:
    proc = gw(tmp_path, "findings", "--format", "xml")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("用法: govwatch findings")
    assert "govwatch findings: 错误: 参数 --format: 无效的取值 'xml'" in proc.stderr
    proc = gw(tmp_path, "crawl", "--max-pages", "many")
    assert "'many' 不是有效的 int 值" in proc.stderr
    assert "缺少必需的参数: FILE" in gw(tmp_path, "sites", "import").stderr
    assert "无法识别的参数: --nope" in gw(tmp_path, "init", "--nope").stderr


def test_version(tmp_path: Path) -> None:
    proc = gw(tmp_path, "--version")
    assert proc.returncode == 0 and re.fullmatch(r"govwatch \d+\.\d+\.\d+\n", proc.stdout)


def test_every_option_of_every_verb_has_help() -> None:
    from govwatch.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, str]]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield from walk(child, f"{path} {name}")
            elif not action.help or action.help == argparse.SUPPRESS:
                yield path, "/".join(action.option_strings) or action.dest

    assert list(walk(build_parser(), "govwatch")) == []


def test_global_settings_option(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(
        f'database_url = "sqlite:///{tmp_path / "other.db"}"\n', encoding="utf-8")
    env = dict(os.environ)
    env.pop("GOVWATCH_DATABASE_URL", None)
    env.pop("GOVWATCH_SETTINGS", None)
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "--settings", "s.toml", "init"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "other.db").is_file()
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "--settings", "nope.toml",
                           "init"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and proc.stderr == "错误: 设置文件不存在: nope.toml\n"


def test_unknown_site_or_check_is_an_error(tmp_path: Path) -> None:
    gw(tmp_path, "init")
    (tmp_path / "sites.yaml").write_text(GOOD, encoding="utf-8")
    gw(tmp_path, "sites", "import", "sites.yaml")
    proc = gw(tmp_path, "findings", "--site", "nosuch")
    assert proc.returncode == 1 and "未登记的站点: nosuch" in proc.stderr
    proc = gw(tmp_path, "findings", "--check", "links.deadd")
    assert proc.returncode == 1 and "未知的检查代码: links.deadd" in proc.stderr
    for verb in ("crawl", "check", "probe"):
        proc = gw(tmp_path, verb, "--site", "nosuch")
        assert proc.returncode == 1 and "未登记的站点: nosuch" in proc.stderr, verb
    proc = gw(tmp_path, "findings", "--site", "hunan", "--check", "links.dead")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0].startswith("编号\t站点\t检查代码")
    csv_out = gw(tmp_path, "findings", "--format", "csv").stdout
    assert csv_out.startswith("\ufeff编号,站点,检查代码,性质,状态,问题对象,所在页面,问题描述,依据,")
