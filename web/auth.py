"""Who is asking: the logged-in user from the signed session cookie, CSRF tokens, and the
brake on password guessing.

The session is Starlette's SessionMiddleware cookie (JSON signed with itsdangerous under
`[web] secret_key`; HttpOnly, SameSite=Lax, Secure when `cookie_secure`). It holds only
  uid   the user's id,
  at    when they logged in (epoch seconds): a login lasts `session_max_age` from then,
        however often the cookie is re-issued,
  pw    a fingerprint of the user's password hash, so changing a password (`govwatch users
        passwd`) ends every session of that user,
  sid   a random token naming this login's `user_sessions` row (its SHA-256 is the row's
        id): the login is valid only while the row exists. POST /logout deletes it, so a
        copy of the cookie saved before logging out no longer works; a password change or
        `govwatch users disable` deletes all of the user's rows (web.users),
  csrf  the per-session CSRF token every form carries back (anonymous visitors get one too,
        for the login form).
The user row is re-read on every request: a user disabled with `govwatch users disable`, or
whose sites changed, is affected at their next click, not at their next login.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from store import models as m
from web.users import ROLE_LABELS, SUPERVISOR

CSRF_FIELD = "csrf"


class LoginRequired(Exception):
    """Raised by a handler for an anonymous request: pages redirect to /login, downloads
    answer 401 (a file download cannot follow a login form)."""

    def __init__(self, download: bool = False) -> None:
        super().__init__("login required")
        self.download = download


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    name: str
    role: str
    sites: frozenset[str]  # a webmaster's sites; empty for a supervisor (who sees all)

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def scope(self) -> frozenset[str] | None:
        """The site ids this user may see; None means every site."""
        return None if self.is_supervisor else self.sites

    def can_see(self, site_id: str) -> bool:
        return self.is_supervisor or site_id in self.sites


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def session_key(token: str) -> str:
    """The `user_sessions` id of a cookie's session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user_id: int, max_age: int,
                 now: datetime | None = None) -> str:
    """Record a new login of `user_id` (and forget the user's logins that have expired);
    returns the token for the cookie."""
    moment = now or datetime.now(UTC)
    session.execute(delete(m.UserSession).where(
        m.UserSession.user_id == user_id,
        m.UserSession.created_at < moment - timedelta(seconds=max_age)))
    token = secrets.token_urlsafe(32)
    session.add(m.UserSession(id=session_key(token), user_id=user_id, created_at=moment))
    return token


def close_session(session: Session, data: dict[str, object]) -> None:
    """Logging out: the login of this cookie's data ends for every copy of the cookie."""
    sid = data.get("sid")
    if isinstance(sid, str):
        session.execute(delete(m.UserSession).where(m.UserSession.id == session_key(sid)))


def load_user(session: Session, data: dict[str, object], max_age: int,
              now: float | None = None) -> CurrentUser | None:
    """The user a session cookie's data stands for, or None (anonymous, expired, logged out,
    disabled, password changed since, unknown role)."""
    uid, at, pw, sid = data.get("uid"), data.get("at"), data.get("pw"), data.get("sid")
    if not isinstance(uid, int) or not isinstance(at, int | float) or not isinstance(pw, str) \
            or not isinstance(sid, str):
        return None
    current = time.time() if now is None else now
    if not 0 <= current - at <= max_age:
        return None
    login = session.get(m.UserSession, session_key(sid))
    if login is None or login.user_id != uid:
        return None
    row = session.get(m.User, uid)
    if row is None or not row.active or row.role not in ROLE_LABELS:
        return None
    if not hmac.compare_digest(password_fingerprint(row.password_hash), pw):
        return None
    sites: frozenset[str] = frozenset()
    if row.role != SUPERVISOR:
        sites = frozenset(session.scalars(
            select(m.UserSite.site_id).where(m.UserSite.user_id == row.id)))
    return CurrentUser(row.id, row.name, row.role, sites)


def start_session(request: Request, user_id: int, password_hash: str, token: str) -> None:
    """Log in: a fresh session (new CSRF token), so nothing of the anonymous one survives.
    `token` is open_session's."""
    request.session.clear()
    request.session.update({
        "uid": user_id,
        "at": int(time.time()),
        "pw": password_fingerprint(password_hash),
        "sid": token,
        CSRF_FIELD: secrets.token_urlsafe(32),
    })


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """403 unless the form carries this session's CSRF token."""
    expected = request.session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(given, str) or not given or \
            not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(403, "表单已失效或来源不明（CSRF 校验失败），请刷新页面后重试")


def flash(request: Request, message: str, kind: str = "info") -> None:
    messages = list(request.session.get("flash", []))[-4:]
    messages.append([kind, message])
    request.session["flash"] = messages


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    if "flash" not in request.session:
        return []
    raw = request.session.pop("flash")
    return [(str(k), str(v)) for k, v in raw] if isinstance(raw, list) else []


def safe_next(value: str | None) -> str:
    """A local path to go to after logging in; anything else (another host, a scheme,
    backslashes browsers read as slashes) becomes "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or any(ord(ch) < 32 for ch in value):
        return "/"
    return value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """`[web] trusted_proxies` parsed (validated when the settings were loaded)."""
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    """The address a request comes from, as the login throttle counts it: the connecting
    peer, unless the peer is one of the `trusted` proxies; then X-Forwarded-For is read
    from the right (the hop the proxy itself added) past every trusted proxy, and the first
    other address is the client. A forged left part of the header is never reached; a
    malformed hop stops the walk at the last address known to be genuine."""
    peer = request.client.host if request.client else "-"
    if not trusted or not _within(peer, trusted):
        return peer
    header = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [h.strip() for h in header.split(",") if h.strip()]
    genuine = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return genuine
        if not _within(hop, trusted):
            return hop
        genuine = hop
    return genuine


class LoginThrottle:
    """At most `attempts` failed logins per (client address, user name) within `window`
    seconds; further attempts are refused until the oldest failure leaves the window.

    In memory, per process: enough to make guessing through one dashboard slow. The clock is
    a parameter so tests need no sleeping.
    """

    MAX_KEYS = 10_000

    def __init__(self, attempts: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def blocked(self, client: str, name: str) -> bool:
        with self._lock:
            return len(self._recent((client, name.lower()), self.clock())) >= self.attempts

    def failed(self, client: str, name: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._failures) >= self.MAX_KEYS:  # drop what has expired, then the oldest
                for key in list(self._failures):
                    self._recent(key, now)
                while len(self._failures) >= self.MAX_KEYS:
                    self._failures.pop(next(iter(self._failures)))
            key = (client, name.lower())
            self._failures[key] = [*self._recent(key, now), now]

    def succeeded(self, client: str, name: str) -> None:
        with self._lock:
            self._failures.pop((client, name.lower()), None)
