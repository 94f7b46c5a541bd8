"""`govwatch users add|list|passwd|disable|enable` through its own parser (the lead wires it
into govwatch.cli), and the password hashing behind it."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from core.settings import Settings
from core.site import SiteEntry
from govwatch import accounts
from store import models as m
from store import repo
from store.session import make_engine, session_factory
from web import users


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="govwatch")
    accounts.add_users_parser(p.add_subparsers(dest="verb", required=True))
    return p


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def gw(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
       *argv: str, stdin: str | io.StringIO = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", stdin if isinstance(stdin, io.StringIO)
                        else io.StringIO(stdin))
    args = parser().parse_args(["users", *argv])
    code = args.func(args, settings)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def settings(db_url: str) -> Settings:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        repo.upsert_sites(session, [
            SiteEntry(id="alpha", name="甲市人民政府", url="http://alpha.gov.cn/", level="city"),
            SiteEntry(id="beta", name="乙县人民政府", url="http://beta.gov.cn/", level="county"),
        ])
    engine.dispose()
    return Settings(database_url=db_url)


def test_add_and_list(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = gw(settings, monkeypatch, capsys, "add", "张三", "--role", "webmaster",
                        "--site", "alpha", "--site", "beta", "--password-stdin",
                        stdin="correct horse battery\n")
    assert code == 0 and err == ""
    assert out == "已添加用户 张三（网站管理员，站点: alpha、beta）\n"
    code, out, _ = gw(settings, monkeypatch, capsys, "add", "sup", "--role", "supervisor",
                      "--password-stdin", stdin="supervisor-password")
    assert code == 0 and out == "已添加用户 sup（督查人员，可查看全部站点）\n"
    code, out, err = gw(settings, monkeypatch, capsys, "list")
    assert code == 0
    assert out.splitlines() == ["用户名\t角色\t状态\t站点", "sup\tsupervisor\t启用\t全部",
                                "张三\twebmaster\t启用\talpha,beta"]
    assert err == "共 2 个用户\n"
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        row = session.scalars(select(m.User).where(m.User.name == "张三")).one()
        assert row.password_hash.startswith("$argon2id$")
        assert "correct horse" not in row.password_hash
        assert users.verify_password(row.password_hash, "correct horse battery")
        assert not users.verify_password(row.password_hash, "correct horse battery\n")
    engine.dispose()


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["add", "w", "--role", "webmaster", "--password-stdin"], "long-enough-pw",
     "至少需要一个 --site"),
    (["add", "s", "--role", "supervisor", "--site", "alpha", "--password-stdin"],
     "long-enough-pw", "不能指定 --site"),
    (["add", "w", "--role", "webmaster", "--site", "nope", "--password-stdin"],
     "long-enough-pw", "未登记的站点: nope"),
    (["add", "w", "--role", "webmaster", "--site", "alpha", "--password-stdin"], "short",
     "密码太短"),
    (["add", "w", "--role", "webmaster", "--site", "alpha", "--password-stdin"], "",
     "标准输入为空"),
    (["add", "w", "--role", "webmaster", "--site", "alpha"], "long-enough-pw",
     "请使用 --password-stdin"),
    (["add", "bad name", "--role", "supervisor", "--password-stdin"], "long-enough-pw",
     "用户名 'bad name' 无效"),
    (["passwd", "ghost", "--password-stdin"], "long-enough-pw", "用户 ghost 不存在"),
    (["disable", "ghost"], "", "用户 ghost 不存在"),
])
def test_errors_are_one_line(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str,
                             message: str) -> None:
    code, out, err = gw(settings, monkeypatch, capsys, *argv, stdin=stdin)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("错误: ") and message in err


def test_duplicate_names_are_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["add", "sup", "--role", "supervisor", "--password-stdin"]
    assert gw(settings, monkeypatch, capsys, *argv, stdin="long-enough-pw")[0] == 0
    code, _, err = gw(settings, monkeypatch, capsys, *argv, stdin="another-password")
    assert code == 1 and err == "错误: 用户 sup 已存在\n"


def test_interactive_prompt_asks_twice(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter(["typed-password-1", "typed-password-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = gw(settings, monkeypatch, capsys, "add", "sup", "--role", "supervisor",
                      stdin=Tty())
    assert code == 1 and "两次输入的密码不一致" in err
    answers = iter(["typed-password-1", "typed-password-1"])
    code, out, _ = gw(settings, monkeypatch, capsys, "add", "sup", "--role", "supervisor",
                      stdin=Tty())
    assert code == 0 and out.startswith("已添加用户 sup")


def test_passwd_disable_enable(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    gw(settings, monkeypatch, capsys, "add", "w", "--role", "webmaster", "--site", "alpha",
       "--password-stdin", stdin="first-password")
    code, out, _ = gw(settings, monkeypatch, capsys, "passwd", "w", "--password-stdin",
                      stdin="second-password")
    assert code == 0 and out == "已重设用户 w 的密码\n"
    assert gw(settings, monkeypatch, capsys, "disable", "w")[1] == "已停用用户 w\n"
    assert "\t停用\t" in gw(settings, monkeypatch, capsys, "list")[1]
    assert gw(settings, monkeypatch, capsys, "enable", "w")[1] == "已启用用户 w\n"
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        row = session.scalars(select(m.User).where(m.User.name == "w")).one()
        assert row.active
        assert users.verify_password(row.password_hash, "second-password")
        assert not users.verify_password(row.password_hash, "first-password")
    engine.dispose()


def test_an_uninitialised_database_is_one_line(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    code, _, err = gw(settings, monkeypatch, capsys, "list")
    assert code == 1 and err == "错误: 数据库尚未初始化，请先运行 govwatch init\n"


def test_unknown_users_cost_a_verification_too() -> None:
    assert not users.verify_password(None, users._DUMMY_PASSWORD)
    assert not users.verify_password("", users._DUMMY_PASSWORD)
    assert not users.verify_password("not-a-hash", "whatever-password")
    assert not users.verify_password(users.hash_password("x" * 12), "x" * 2000)


def test_production_hash_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real hasher (not the cheap one the other web tests use): argon2id at RFC 9106's
    low-memory recommendation (t=3, m=64 MiB, p=4)."""
    monkeypatch.undo()
    real = users._HASHER
    assert isinstance(real, PasswordHasher)
    assert (real.time_cost, real.memory_cost, real.parallelism) == (3, 65536, 4)
    assert real.type.name == "ID"

