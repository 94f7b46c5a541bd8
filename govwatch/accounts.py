"""The `govwatch users` verb: add, list, passwd, disable and enable dashboard accounts.

The accounts themselves (hashing, roles, sessions) live in web.users; this is only the shell
around them. Passwords never appear on the command line: stdin or an interactive prompt.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from store import models as m
from web.users import (
    ROLES,
    SUPERVISOR,
    UsersError,
    add_user,
    get_user,
    list_users,
    set_active,
    set_password,
)


def add_users_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `users` verb on govwatch's sub-command parser."""
    p = sub.add_parser("users", help="看板用户（督查人员、网站管理员）",
                       description="管理看板用户。密码从不出现在命令行上。")
    users = p.add_subparsers(dest="users_verb", required=True, metavar="<操作>", title="操作")
    q = users.add_parser("add", help="添加用户")
    q.add_argument("name", metavar="NAME", help="用户名")
    q.add_argument("--role", required=True, choices=ROLES,
                   help="supervisor 督查人员（全部站点）| webmaster 网站管理员（指定站点）")
    q.add_argument("--site", action="append", default=[], metavar="ID",
                   help="网站管理员负责的站点（可重复）")
    q.add_argument("--password-stdin", action="store_true",
                   help="从标准输入的第一行读取密码（供脚本使用）")
    q.set_defaults(func=cmd_users)
    q = users.add_parser("list", help="列出用户")
    q.set_defaults(func=cmd_users)
    q = users.add_parser("passwd", help="重设用户密码")
    q.add_argument("name", metavar="NAME", help="用户名")
    q.add_argument("--password-stdin", action="store_true",
                   help="从标准输入的第一行读取密码（供脚本使用）")
    q.set_defaults(func=cmd_users)
    for verb, text in (("disable", "停用用户（立即退出登录）"), ("enable", "重新启用用户")):
        q = users.add_parser(verb, help=text)
        q.add_argument("name", metavar="NAME", help="用户名")
        q.set_defaults(func=cmd_users)


def read_password(from_stdin: bool, stdin: TextIO | None = None) -> str:
    """The new password: the first line of stdin, or typed twice at an interactive prompt."""
    stream = stdin if stdin is not None else sys.stdin
    if from_stdin:
        line = stream.readline()
        if not line:
            raise UsersError("标准输入为空，未读到密码")
        return line.rstrip("\r\n")
    if not stream.isatty():
        raise UsersError("标准输入不是终端，无法提示输入密码；请使用 --password-stdin")
    first = getpass.getpass("密码: ")
    if getpass.getpass("再次输入密码: ") != first:
        raise UsersError("两次输入的密码不一致")
    return first


@contextmanager
def _factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    from sqlalchemy.exc import OperationalError

    from store.session import current_revision, make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        try:
            revision = current_revision(engine)
        except OperationalError as exc:
            raise UsersError(f"无法连接数据库: {' '.join(str(exc.orig).split())}") from None
        if revision is None:
            raise UsersError("数据库尚未初始化，请先运行 govwatch init")
        yield session_factory(engine)
    finally:
        engine.dispose()


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """The `users` verb: one summary line on stdout, or one error line on stderr (exit 1)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        return _run(args, settings)
    except UsersError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError) as exc:
        print(f"错误: 数据库操作失败: {' '.join(str(exc.orig).split())}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    with _factory(settings) as factory:
        return _verb(args, factory)


def _verb(args: argparse.Namespace, factory: sessionmaker[Session]) -> int:
    verb = args.users_verb
    if verb == "list":
        with factory() as session:
            rows = list_users(session)
        print("用户名\t角色\t状态\t站点")
        for u in rows:
            state = "启用" if u.active else "停用"
            sites = ",".join(u.sites) if u.sites else ("全部" if u.role == SUPERVISOR else "-")
            print(f"{u.name}\t{u.role}\t{state}\t{sites}")
        print(f"共 {len(rows)} 个用户", file=sys.stderr)
        return 0
    if verb in ("add", "passwd"):
        with factory() as session:  # fail on an unknown user before asking for a password
            if verb == "passwd":
                get_user(session, args.name)
            elif session.scalar(select(m.User.id).where(m.User.name == args.name)) is not None:
                raise UsersError(f"用户 {args.name} 已存在")
        password = read_password(args.password_stdin)
        if verb == "passwd":
            with factory() as session, session.begin():
                set_password(session, args.name, password)
            print(f"已重设用户 {args.name} 的密码")
            return 0
        with factory() as session, session.begin():
            info = add_user(session, args.name, password, args.role, args.site)
        where = f"，站点: {'、'.join(info.sites)}" if info.sites else "，可查看全部站点"
        print(f"已添加用户 {info.name}（{info.role_label}{where}）")
        return 0
    with factory() as session, session.begin():
        set_active(session, args.name, verb == "enable")
    print(f"已{'启用' if verb == 'enable' else '停用'}用户 {args.name}")
    return 0
