"""The `report` verb: through reports.cli (as govwatch.cli will register it) and, end to end,
through `python -m govwatch.cli`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from reports.cli import add_report_parser, cmd_report
from store.session import upgrade
from tests.conftest import REPO
from tests.reports.conftest import World


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="govwatch")
    sub = p.add_subparsers(dest="verb", required=True)
    add_report_parser(sub)
    return p


def run(world: World, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str,
                                                                                   str]:
    args = parser().parse_args(argv)
    code = args.func(args, world.settings)
    out, err = capsys.readouterr()
    return code, out, err


def test_parser_matches_the_contract() -> None:
    args = parser().parse_args(["report", "quarterly", "--period", "2026-Q3", "--format", "xlsx",
                                "--out", "x", "--sample-rate", "0.3", "--seed", "7"])
    assert (args.kind, args.period, args.format, args.out, args.sample_rate, args.seed) == (
        "quarterly", "2026-Q3", "xlsx", "x", "0.3", "7")
    assert args.func is cmd_report
    defaults = parser().parse_args(["report", "monthly", "--period", "2026-10"])
    assert (defaults.format, defaults.out, defaults.sample_rate, defaults.seed) == (
        "html", ".", None, None)
    for bad in (["report", "weekly", "--period", "2026"], ["report", "annual"],
                ["report", "annual", "--period", "2026", "--format", "odt"]):
        with pytest.raises(SystemExit) as info:
            parser().parse_args(bad)
        assert info.value.code == 2  # usage


def test_success_prints_one_summary_line(world: World, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(world, ["report", "quarterly", "--period", "2026-Q3", "--out",
                                 str(tmp_path)], capsys)
    assert code == 0 and err == ""
    assert out.count("\n") == 1
    assert out.startswith("已生成《关于2026年第三季度政府网站检查情况的通报》: ")
    assert str(tmp_path / "quarterly-2026-Q3" / "report.html") in out
    assert "整改清单 10 份" in out and "合格率 70.00%" in out
    code, out, _ = run(world, ["report", "annual", "--period", "2026", "--format", "xlsx",
                               "--out", str(tmp_path), "--sample-rate", "1", "--seed", "s"],
                       capsys)
    assert code == 0 and "report.xlsx" in out and "抽查 10/10 个（比例 100%，种子 s）" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["report", "monthly", "--period", "2026-13"], "月份 13"),
    (["report", "quarterly", "--period", "2026-10"], "2026-Q3"),
    (["report", "annual", "--period", "twenty"], "2026"),
    (["report", "quarterly", "--period", "2026-Q3", "--sample-rate", "0.3"], "--seed"),
    (["report", "quarterly", "--period", "2026-Q3", "--seed", "1"], "--sample-rate"),
    (["report", "quarterly", "--period", "2026-Q3", "--sample-rate", "3", "--seed", "1"],
     "不超过 1"),
    (["report", "quarterly", "--period", "2025-Q3"], "没有检查记录"),
    (["report", "quarterly", "--period", "2025-Q3", "--sample-rate", "0.5", "--seed", "1"],
     "无法抽查"),
])
def test_bad_input_is_one_line_and_exit_1(world: World, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], argv: list[str],
                                         needle: str) -> None:
    code, out, err = run(world, [*argv, "--out", str(tmp_path)], capsys)
    assert code == 1 and out == ""
    assert err.startswith("错误: ") and err.count("\n") == 1 and needle in err
    assert not (tmp_path / "quarterly-2026-Q3").exists()


def test_database_not_initialised_or_outdated(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import Settings

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    args = parser().parse_args(["report", "annual", "--period", "2026", "--out", str(tmp_path)])
    assert cmd_report(args, Settings(database_url=url)) == 1
    assert "govwatch init" in capsys.readouterr().err
    upgrade(url, "0002")
    assert cmd_report(args, Settings(database_url=url)) == 1
    err = capsys.readouterr().err
    assert "0002" in err and "govwatch init" in err


def test_missing_chromium_is_one_clear_line(world: World, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser anywhere on it
    monkeypatch.delenv("GOVWATCH_CHROMIUM", raising=False)
    code, out, err = run(world, ["report", "quarterly", "--period", "2026-Q3", "--format",
                                 "pdf", "--out", str(tmp_path)], capsys)
    assert code == 1 and out == ""
    assert "apt-get install chromium fonts-noto-cjk" in err and err.count("\n") == 1


def test_unwritable_output_is_one_line(world: World, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    code, _, err = run(world, ["report", "monthly", "--period", "2026-09", "--out",
                               str(blocker)], capsys)
    assert code == 1 and err.startswith("错误: 无法写入报告") and err.count("\n") == 1


def test_settings_file_scoring_reaches_the_verb(world: World, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import apply_file

    path = tmp_path / "settings.toml"
    path.write_text('[scoring]\npass_score = 95\n[scoring.points]\n"links.daed" = 1\n',
                    encoding="utf-8")
    settings = replace(apply_file(world.settings, path), database_url=world.url)
    args = parser().parse_args(["report", "quarterly", "--period", "2026-Q3", "--out",
                                str(tmp_path)])
    assert cmd_report(args, settings) == 1
    assert "links.daed" in capsys.readouterr().err  # a typo is refused, not ignored
    path.write_text("[scoring]\npass_score = 95\n", encoding="utf-8")
    settings = replace(apply_file(world.settings, path), database_url=world.url)
    assert cmd_report(args, settings) == 0
    assert "合格率 40.00%" in capsys.readouterr().out


def test_report_verb_through_govwatch_cli(world: World, tmp_path: Path) -> None:
    """End to end as an operator runs it (needs the verb registered in govwatch.cli)."""
    env = dict(os.environ)
    env["GOVWATCH_DATABASE_URL"] = world.url
    env.pop("GOVWATCH_SETTINGS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)

    def govwatch(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "govwatch.cli", *argv], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)

    done = govwatch("report", "quarterly", "--period", "2026-Q3", "--format", "xlsx",
                    "--sample-rate", "0.3", "--seed", "42")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "抽查 4/10 个" in done.stdout
    assert (tmp_path / "quarterly-2026-Q3" / "report.xlsx").is_file()
    bad = govwatch("report", "quarterly", "--period", "2026-13")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("错误: ") and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
