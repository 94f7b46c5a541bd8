"""Who may see what: logins, sessions, CSRF, and the wall between webmasters' sites.

A webmaster asking for another site's data gets 404 exactly as for data that does not exist
(the two answers are compared byte for byte), never 403; anonymous requests are refused
(pages redirect to the login form, downloads answer 401); every POST without this session's
CSRF token is 403 and changes nothing.
"""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select
from starlette.routing import Route
from starlette.testclient import TestClient

from core.settings import Settings, SettingsError, WebSettings
from store import models as m
from web import audit
from web.app import SESSION_COOKIE, create_app
from web.auth import LoginThrottle, load_user, open_session, password_fingerprint, safe_next
from web.users import set_active, set_password

from .conftest import (
    PASSWORDS,
    SECRET,
    Target,
    World,
    build_world,
    csrf_of,
    login,
    make_client,
)

PAGES = ["/", "/findings", "/sites/alpha", "/reports", "/findings/1"]
DOWNLOADS = ["/sites/alpha/rectification.xlsx",
             "/reports/download?kind=monthly&period=2026-10&format=xlsx"]


def test_anonymous_pages_redirect_to_login_and_downloads_are_401(client: TestClient,
                                                                 world: World) -> None:
    for path in [*PAGES, f"/findings/{world.ids['alpha-dead']}"]:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2F"), path
    for path in DOWNLOADS:
        response = client.get(path)
        assert response.status_code == 401, path
        assert "需要登录" in response.text
        assert "spreadsheetml" not in response.headers["content-type"]


def test_anonymous_recheck_is_refused_and_changes_nothing(client: TestClient,
                                                          world: World) -> None:
    world.target.set("/gone.html", 200, "ok")
    token = csrf_of(client)  # a valid anonymous token does not make a login
    response = client.post(f"/findings/{world.ids['alpha-dead']}/recheck", data={"csrf": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert world.finding("alpha-dead").status == "open"
    assert world.target.requests == []


def test_login_wrong_password_unknown_user_and_disabled_user_are_refused(
        client: TestClient, world: World) -> None:
    token = csrf_of(client)
    for name, password in (("alice", "wrong-password-1"), ("nobody", PASSWORDS["alice"]),
                           ("alice", "")):
        response = client.post("/login", data={"name": name, "password": password,
                                                "csrf": token})
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert client.get("/").status_code == 303  # still anonymous
    with world.factory() as session, session.begin():
        set_active(session, "bob", False)
    response = client.post("/login", data={"name": "bob", "password": PASSWORDS["bob"],
                                            "csrf": token})
    assert response.status_code == 401
    login(client, "alice")
    assert client.get("/sites/alpha").status_code == 200


def test_login_goes_to_next_but_never_off_site(client: TestClient) -> None:
    token = csrf_of(client, "/login?next=/findings")
    response = client.post("/login", data={"name": "sup", "password": PASSWORDS["sup"],
                                            "csrf": token, "next": "/findings?status=all"})
    assert response.headers["location"] == "/findings?status=all"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil", ""):
        assert safe_next(bad) == "/"


def test_session_cookie_flags_and_security_headers(world: World) -> None:
    with make_client(world) as client:
        token = csrf_of(client)
        response = client.post("/login", data={"name": "sup", "password": PASSWORDS["sup"],
                                                "csrf": token})
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert f"Max-Age={8 * 3600}" in cookie
        assert "secure" not in cookie.lower().replace("samesite", "")
        page = client.get("/")
        assert "script-src" not in page.headers["content-security-policy"]
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
    app = create_app(Settings(database_url=world.settings.database_url,
                              web=WebSettings(secret_key=SECRET, cookie_secure=True)))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = client.get("/login")
        assert "; secure" in response.headers["set-cookie"].lower()


def test_a_tampered_or_foreign_cookie_is_anonymous(client: TestClient, world: World) -> None:
    login(client, "alice")
    payload, stamp, signature = client.cookies[SESSION_COOKIE].split(".")
    data = json.loads(base64.b64decode(payload))
    with world.factory() as session:
        data["uid"] = session.scalars(select(m.User.id).where(m.User.name == "sup")).one()
    forged = base64.b64encode(json.dumps(data).encode()).decode()
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, f"{forged}.{stamp}.{signature}")
    assert client.get("/sites/beta").status_code == 303  # not the supervisor
    assert client.get("/sites/alpha").status_code == 303  # not even alice any more
    other = Settings(database_url=world.settings.database_url,
                     web=WebSettings(secret_key="another-secret-key-0123456789abcdefghij"))
    with make_client(world) as first, TestClient(create_app(other),
                                                 follow_redirects=False) as second:
        login(first, "sup")
        assert first.get("/").status_code == 200
        second.cookies.set(SESSION_COOKIE, first.cookies[SESSION_COOKIE])
        assert second.get("/").status_code == 303


def test_password_change_and_disabling_end_existing_sessions(client: TestClient,
                                                             world: World) -> None:
    login(client, "alice")
    assert client.get("/sites/alpha").status_code == 200
    with world.factory() as session, session.begin():
        set_password(session, "alice", "a-brand-new-password")
    assert client.get("/sites/alpha").status_code == 303
    login(client, "alice", "a-brand-new-password")
    assert client.get("/sites/alpha").status_code == 200
    with world.factory() as session, session.begin():
        set_active(session, "alice", False)
    assert client.get("/sites/alpha").status_code == 303


def test_sessions_expire_after_session_max_age(world: World) -> None:
    with world.factory() as session, session.begin():
        user = session.scalars(select(m.User).where(m.User.name == "alice")).one()
        token = open_session(session, user.id, 3600)
        data: dict[str, object] = {"uid": user.id, "at": 1000, "sid": token,
                                   "pw": password_fingerprint(user.password_hash)}
        assert load_user(session, data, 3600, now=1000 + 3599) is not None
        assert load_user(session, data, 3600, now=1000 + 3601) is None
        assert load_user(session, data, 3600, now=999 - 10) is None  # from the future
        assert load_user(session, {**data, "pw": "0" * 16}, 3600, now=1001) is None
        # The server-side login: unknown, another user's, or none at all.
        assert load_user(session, {**data, "sid": "x" * 43}, 3600, now=1001) is None
        assert load_user(session, {k: v for k, v in data.items() if k != "sid"}, 3600,
                         now=1001) is None
        bob = session.scalars(select(m.User.id).where(m.User.name == "bob")).one()
        assert load_user(session, {**data, "uid": bob}, 3600, now=1001) is None


def test_a_cookie_saved_before_logout_no_longer_works(world: World) -> None:
    with make_client(world) as client, make_client(world) as thief:
        login(client, "alice")
        saved = client.cookies[SESSION_COOKIE]
        thief.cookies.set(SESSION_COOKIE, saved)
        assert thief.get("/sites/alpha").status_code == 200
        token = csrf_of(client, "/sites/alpha")
        assert client.post("/logout", data={"csrf": token}).status_code == 303
        assert client.get("/sites/alpha").status_code == 303
        # The copy saved before logging out is dead too, server-side.
        thief.cookies.clear()
        thief.cookies.set(SESSION_COOKIE, saved)
        answer = thief.get("/sites/alpha")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(m.UserSession)) == 0


def test_a_password_change_ends_the_users_other_sessions_only(world: World) -> None:
    with make_client(world) as laptop, make_client(world) as phone, \
            make_client(world) as other:
        login(laptop, "alice")
        login(phone, "alice")
        login(other, "bob")
        with world.factory() as session, session.begin():
            set_password(session, "alice", "a-brand-new-password")
        assert laptop.get("/sites/alpha").status_code == 303
        assert phone.get("/sites/alpha").status_code == 303
        assert other.get("/sites/beta").status_code == 200  # bob is not affected
        with world.factory() as session:
            alice = session.scalars(select(m.User.id).where(m.User.name == "alice")).one()
            left = session.scalars(select(m.UserSession.user_id)).all()
        assert alice not in left and len(left) == 1


def test_too_many_failed_logins_lock_the_name_for_the_window(db_url: str,
                                                             target: Target) -> None:
    world = build_world(db_url, target, login_attempts=3)
    try:
        with make_client(world) as client:
            token = csrf_of(client)
            for _ in range(3):
                response = client.post("/login", data={"name": "alice", "password": "nope-nope",
                                                        "csrf": token})
                assert response.status_code == 401
            response = client.post("/login", data={"name": "alice",
                                                    "password": PASSWORDS["alice"],
                                                    "csrf": token})
            assert response.status_code == 429
            assert "登录失败次数过多" in response.text
            login(client, "bob")  # another name is not affected
    finally:
        world.factory.kw["bind"].dispose()


def test_login_throttle_window_with_a_controlled_clock() -> None:
    now = [0.0]
    throttle = LoginThrottle(2, 60, clock=lambda: now[0])
    throttle.failed("1.2.3.4", "Alice")
    assert not throttle.blocked("1.2.3.4", "alice")
    throttle.failed("1.2.3.4", "alice")
    assert throttle.blocked("1.2.3.4", "ALICE")
    assert not throttle.blocked("5.6.7.8", "alice")
    now[0] = 59.0
    assert throttle.blocked("1.2.3.4", "alice")
    now[0] = 60.5
    assert not throttle.blocked("1.2.3.4", "alice")
    throttle.failed("1.2.3.4", "alice")
    throttle.succeeded("1.2.3.4", "alice")
    throttle.failed("1.2.3.4", "alice")
    assert not throttle.blocked("1.2.3.4", "alice")


# -- CSRF ------------------------------------------------------------------------------------


def _post_routes(client: TestClient) -> list[str]:
    app = client.app
    paths = []
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.methods and "POST" in route.methods:
            paths.append(route.path.replace("{finding_id:int}", "1"))
    return paths


@pytest.mark.parametrize("token", [None, "", "wrong-token-" + "x" * 40])
def test_every_post_without_the_session_csrf_token_is_403(client: TestClient, world: World,
                                                          token: str | None) -> None:
    login(client, "alice")
    world.target.set("/gone.html", 200, "ok")
    data = {} if token is None else {"csrf": token}
    paths = _post_routes(client)
    assert set(paths) >= {"/login", "/logout", "/findings/1/recheck"}
    for path in [*paths, f"/findings/{world.ids['alpha-dead']}/recheck"]:
        extra = {"name": "alice", "password": PASSWORDS["alice"]} if path == "/login" else {}
        response = client.post(path, data={**data, **extra})
        assert response.status_code == 403, path
        assert "CSRF" in response.text
    assert world.finding("alpha-dead").status == "open"
    assert world.target.requests == []
    assert client.get("/sites/alpha").status_code == 200  # logout without a token did nothing


def test_a_token_from_another_session_is_refused(world: World) -> None:
    with make_client(world) as mallory, make_client(world) as victim:
        login(mallory, "bob")
        stolen = csrf_of(mallory, "/sites/beta")
        login(victim, "alice")
        response = victim.post(f"/findings/{world.ids['alpha-dead']}/recheck",
                               data={"csrf": stolen})
        assert response.status_code == 403


# -- webmasters see only their own sites ------------------------------------------------------


def test_webmaster_cannot_read_another_sites_data_by_url_or_id(client: TestClient,
                                                                world: World) -> None:
    login(client, "alice")
    beta = world.ids["beta-dead"]
    missing = max(world.ids.values()) + 1000
    assert client.get(f"/findings/{world.ids['alpha-dead']}").status_code == 200
    foreign = client.get(f"/findings/{beta}")
    unknown = client.get(f"/findings/{missing}")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.text == unknown.text  # nothing tells an existing id from a missing one
    for path in ("/sites/beta", "/sites/no-such-site", "/sites/beta/rectification.xlsx",
                 "/findings?site=beta", "/reports",
                 "/reports/download?kind=monthly&period=2026-10&format=xlsx"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "乙县" not in response.text, path
    listing = client.get("/findings?status=all")
    assert "beta-gone.html" not in listing.text and "乙县人民政府" not in listing.text
    assert "gone.html" in listing.text
    overview = client.get("/", follow_redirects=True)
    assert "乙县人民政府" not in overview.text


def test_webmaster_cannot_recheck_another_sites_finding(client: TestClient,
                                                         world: World) -> None:
    login(client, "alice")
    world.target.set("/beta-gone.html", 200, "ok")
    token = csrf_of(client, "/sites/alpha")
    response = client.post(f"/findings/{world.ids['beta-dead']}/recheck", data={"csrf": token})
    assert response.status_code == 404
    assert world.finding("beta-dead").status == "open"
    with world.factory() as session:
        assert audit.history(session, world.ids["beta-dead"]) == []
    assert world.target.requests == []  # not even requested


def test_supervisor_sees_every_site(client: TestClient, world: World) -> None:
    login(client, "sup")
    for path in ("/sites/alpha", "/sites/beta", "/sites/gamma",
                 f"/findings/{world.ids['beta-dead']}", "/findings?site=beta", "/reports"):
        assert client.get(path).status_code == 200, path


def test_the_dashboard_refuses_to_start_without_a_secret_key(db_url: str) -> None:
    with pytest.raises(SettingsError, match=r"\[web\] secret_key"):
        create_app(Settings(database_url=db_url))
