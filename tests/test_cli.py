"""The command line as users meet it: one-line errors, exit codes, nothing stored lost."""

from __future__ import annotations

import os
import subprocess
import sys
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
    assert [line.split("\t")[0] for line in listed] == ["hunan", "yongzhou"]
    assert listed[0].endswith("http://www.hunan.gov.cn/")  # normalised

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
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "nope.yaml" in proc.stderr
