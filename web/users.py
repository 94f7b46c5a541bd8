"""Dashboard users and the password rules (the `govwatch users` verb is govwatch.accounts).

Users live in the database (store.models User, UserSite). A supervisor (督查人员) sees every
site; a webmaster (网站管理员) sees only the sites listed for them. Passwords are stored only
as argon2id hashes (argon2-cffi's defaults, which follow RFC 9106's recommendations); the
dashboard (web/) verifies them with `verify_password` and re-hashes on login when the
parameters change.

Passwords never come from the command line (they would be in the shell history and in `ps`):
they are prompted for twice when the terminal is interactive, or read from the first line of
standard input with `--password-stdin` (for scripts). Every error is one line, exit 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store import models as m

SUPERVISOR, WEBMASTER = "supervisor", "webmaster"
ROLES = (SUPERVISOR, WEBMASTER)
ROLE_LABELS = {SUPERVISOR: "督查人员", WEBMASTER: "网站管理员"}
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")  # \w includes Chinese characters
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this bounds the work an attacker can ask for

_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so that a wrong name costs as much time as
# a wrong password (no user enumeration by timing). Made on first use: a hash takes about a
# second by design, and importing this module (every `govwatch` command does) must not.
_DUMMY_PASSWORD = "govwatch-no-such-user"
_DUMMY_HASH: str | None = None


class UsersError(Exception):
    """Input or state the operator can fix; printed as one line."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; without a hash (unknown user) a dummy hash is checked
    instead so the answer takes the same time, and it is always False."""
    global _DUMMY_HASH
    if len(password) > MAX_PASSWORD:
        return False
    if not password_hash and _DUMMY_HASH is None:
        _DUMMY_HASH = _HASHER.hash(_DUMMY_PASSWORD)
    try:
        ok = _HASHER.verify(password_hash or _DUMMY_HASH or "", password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and bool(password_hash)


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"密码太短（至少 {MIN_PASSWORD} 个字符）"
    if len(password) > MAX_PASSWORD:
        return f"密码太长（至多 {MAX_PASSWORD} 个字符）"
    if password.strip() != password:
        return "密码首尾不能有空白字符"
    return None


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool
    sites: tuple[str, ...]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def add_user(session: Session, name: str, password: str, role: str,
             sites: Sequence[str] = ()) -> UserInfo:
    """Create a user; raises UsersError (one line) on anything the operator can fix."""
    if not NAME_PATTERN.match(name):
        raise UsersError(f"用户名 {name!r} 无效（1–64 个字母、数字、汉字或 . _ @ -）")
    if role not in ROLES:
        raise UsersError(f"未知角色 {role!r}（可用: {'、'.join(ROLES)}）")
    site_ids = list(dict.fromkeys(sites))
    if role == SUPERVISOR and site_ids:
        raise UsersError("督查人员（supervisor）可查看全部站点，不能指定 --site")
    if role == WEBMASTER and not site_ids:
        raise UsersError("网站管理员（webmaster）至少需要一个 --site")
    problem = password_problem(password)
    if problem:
        raise UsersError(problem)
    if session.scalar(select(m.User.id).where(m.User.name == name)) is not None:
        raise UsersError(f"用户 {name} 已存在")
    known = set(session.scalars(select(m.Site.id).where(m.Site.id.in_(site_ids))))
    unknown = [s for s in site_ids if s not in known]
    if unknown:
        raise UsersError(f"未登记的站点: {', '.join(unknown)}")
    user = m.User(name=name, password_hash=hash_password(password), role=role, active=True,
                  created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    for site_id in site_ids:
        session.add(m.UserSite(user_id=user.id, site_id=site_id))
    session.flush()
    return UserInfo(user.id, name, role, True, tuple(site_ids))


def list_users(session: Session) -> list[UserInfo]:
    sites: dict[int, list[str]] = {}
    for user_id, site_id in session.execute(
        select(m.UserSite.user_id, m.UserSite.site_id).order_by(m.UserSite.site_id)
    ):
        sites.setdefault(user_id, []).append(site_id)
    return [
        UserInfo(u.id, u.name, u.role, u.active, tuple(sites.get(u.id, ())))
        for u in session.scalars(select(m.User).order_by(m.User.name))
    ]


def set_password(session: Session, name: str, password: str) -> None:
    user = get_user(session, name)
    problem = password_problem(password)
    if problem:
        raise UsersError(problem)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)


def set_active(session: Session, name: str, active: bool) -> None:
    user = get_user(session, name)
    user.active = active
    if not active:
        end_sessions(session, user.id)


def end_sessions(session: Session, user_id: int) -> None:
    """End every dashboard login of the user, server-side (web.auth keeps them)."""
    session.execute(delete(m.UserSession).where(m.UserSession.user_id == user_id))


def get_user(session: Session, name: str) -> m.User:
    user = session.scalar(select(m.User).where(m.User.name == name))
    if user is None:
        raise UsersError(f"用户 {name} 不存在")
    return user
