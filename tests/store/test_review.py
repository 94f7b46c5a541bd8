"""The 整改 loop's state machine (store/review.py) on every backend: each transition, each
forbidden one, the audit trail, waiver expiry, and review state kept across crawls."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Finding, Severity
from core.site import SiteEntry
from store import models as m
from store import repo
from store import review as rv

TZ = ZoneInfo("Asia/Shanghai")
FIRST = datetime(2026, 11, 2, 2, 0, tzinfo=TZ)  # a Monday
TODAY = date(2026, 11, 4)
NOW = datetime(2026, 11, 4, 10, 0, tzinfo=TZ)
SUP = rv.Actor("sup", rv.SUPERVISOR, None)
ALICE = rv.Actor("alice", rv.WEBMASTER, frozenset({"alpha"}))
BOB = rv.Actor("bob", rv.WEBMASTER, frozenset({"beta"}))
CODES = ["links.dead", "home.stale"]


def _f(site: str, url: str, check: str = "links.dead", sev: Severity = Severity.DEDUCT
       ) -> Finding:
    return Finding(site=site, check=check, severity=sev, url=url, page=f"http://{site}/",
                   message="链接不可用", rule="r", evidence={})


def _world(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s, s.begin():
        repo.upsert_sites(s, [SiteEntry(id="alpha", name="甲", url="http://alpha/",
                                        level="city"),
                              SiteEntry(id="beta", name="乙", url="http://beta/",
                                        level="county")])
        repo.record_findings(s, [_f("alpha", "http://x/1"), _f("alpha", "http://x/2"),
                                 _f("alpha", "http://alpha/", "home.stale", Severity.VETO)],
                             site_id="alpha", checks_run=CODES, seen_at=FIRST,
                             crawl_run_id=None)
        repo.record_findings(s, [_f("beta", "http://y/1")], site_id="beta", checks_run=CODES,
                             seen_at=FIRST, crawl_run_id=None)
    with factory() as s:
        return {f"{r.site_id}:{r.url}": r.id for r in s.scalars(select(m.Finding))}


def act(factory: sessionmaker[Session], fid: int, actor: rv.Actor, action: str,
        today: date = TODAY, **kw: object) -> rv.Step:
    with factory() as s, s.begin():
        return rv.act(s, fid, actor, action, today=today, now=NOW, **kw)  # type: ignore[arg-type]


def row(factory: sessionmaker[Session], fid: int) -> m.Finding:
    with factory() as s:
        found = s.get(m.Finding, fid)
        assert found is not None
        return found


def events(factory: sessionmaker[Session], fid: int) -> list[tuple[str, str, str, str, str]]:
    with factory() as s:
        return [(e.action, e.user_name, e.state_from, e.state_to, e.reason)
                for e in rv.history(s, fid)]


def test_deadlines_are_stored_by_severity_in_working_days(
        factory: sessionmaker[Session]) -> None:
    ids = _world(factory)
    assert row(factory, ids["alpha:http://x/1"]).deadline == date(2026, 11, 23)  # 15 days
    assert row(factory, ids["alpha:http://alpha/"]).deadline == date(2026, 11, 9)  # 5 days
    with factory() as s:
        f = s.get(m.Finding, ids["alpha:http://alpha/"])
        assert f is not None
        out = repo.finding_json(f, TZ, date(2026, 11, 9))
        assert (out["deadline"], out["state"], out["overdue"]) == ("2026-11-09", "open", False)
        assert repo.finding_json(f, TZ, date(2026, 11, 10))["overdue"] is True


def test_appeal_then_reject_reopens_with_the_deadline_unchanged(
        factory: sessionmaker[Session]) -> None:
    fid = _world(factory)["alpha:http://x/1"]
    deadline = row(factory, fid).deadline
    step = act(factory, fid, ALICE, "appeal", reason="  该链接为外部站点，已撤下 ")
    assert (step.state_from, step.state_to) == ("open", "appealed")
    assert row(factory, fid).review == "appealed"
    act(factory, fid, SUP, "reject", reason="链接仍在页面上")
    r = row(factory, fid)
    assert (r.review, r.deadline, r.status) == ("", deadline, "open")
    assert events(factory, fid) == [
        ("appeal", "alice", "open", "appealed", "该链接为外部站点，已撤下"),
        ("reject", "sup", "appealed", "open", "链接仍在页面上")]


def test_accepted_appeal_dismisses_and_a_later_crawl_keeps_it(
        factory: sessionmaker[Session]) -> None:
    ids = _world(factory)
    fid = ids["alpha:http://x/2"]
    act(factory, fid, ALICE, "appeal", reason="误报：页面无此链接")
    act(factory, fid, SUP, "accept")
    assert row(factory, fid).review == "dismissed"
    # The next crawl still sees it: same finding (fingerprint), still dismissed.
    with factory() as s, s.begin():
        repo.record_findings(s, [_f("alpha", "http://x/1"), _f("alpha", "http://x/2")],
                             site_id="alpha", checks_run=CODES,
                             seen_at=FIRST + timedelta(days=1), crawl_run_id=None)
    r = row(factory, fid)
    assert (r.id, r.review, r.status) == (fid, "dismissed", "open")
    assert rv.state_of(r.status, r.review, r.waived_until, TODAY) == "dismissed"
    assert not rv.is_overdue(r.status, r.review, r.waived_until, r.deadline, date(2027, 6, 1))
    # nothing more can be done with it
    for actor, action, extra in ((ALICE, "appeal", {"reason": "x"}),
                                 (SUP, "waive", {"reason": "x", "until": date(2026, 12, 1)}),
                                 (SUP, "reject", {"reason": "x"})):
        with pytest.raises(rv.ReviewError) as err:
            act(factory, fid, actor, action, **extra)
        assert err.value.status == 409


def test_waiver_expires_and_then_counts_again(factory: sessionmaker[Session]) -> None:
    fid = _world(factory)["alpha:http://alpha/"]
    act(factory, fid, SUP, "waive", reason="首页改版中，经批准暂缓", until=date(2026, 11, 20))
    r = row(factory, fid)
    assert (r.review, r.waived_until) == ("waived", date(2026, 11, 20))
    assert rv.state_of(r.status, r.review, r.waived_until, date(2026, 11, 20)) == "waived"
    assert not rv.is_overdue(r.status, r.review, r.waived_until, r.deadline,
                             date(2026, 11, 20))
    # The day after expiry it is open again, and overdue (its deadline was 9 November).
    assert rv.state_of(r.status, r.review, r.waived_until, date(2026, 11, 21)) == "open"
    assert rv.is_overdue(r.status, r.review, r.waived_until, r.deadline, date(2026, 11, 21))
    with factory() as s:
        counted = s.scalar(select(func.count()).select_from(m.Finding).where(
            m.Finding.site_id == "alpha", rv.counted(date(2026, 11, 20))))
        later = s.scalar(select(func.count()).select_from(m.Finding).where(
            m.Finding.site_id == "alpha", rv.counted(date(2026, 11, 21))))
        overdue = s.scalar(select(func.count()).select_from(m.Finding).where(
            rv.overdue_clause(date(2026, 11, 21))))
    assert (counted, later, overdue) == (2, 3, 1)
    # an expired waiver can be appealed or waived again
    act(factory, fid, ALICE, "appeal", reason="首页已更新", today=date(2026, 11, 21))
    assert row(factory, fid).review == "appealed"


def test_a_waiver_survives_the_next_crawl_and_fixing_keeps_the_review(
        factory: sessionmaker[Session]) -> None:
    fid = _world(factory)["alpha:http://x/1"]
    act(factory, fid, SUP, "waive", reason="第三方平台", until=date(2026, 12, 31))
    with factory() as s, s.begin():
        repo.record_findings(s, [_f("alpha", "http://x/1")], site_id="alpha",
                             checks_run=CODES, seen_at=FIRST + timedelta(days=2),
                             crawl_run_id=None)
    assert (row(factory, fid).review, row(factory, fid).status) == ("waived", "open")
    with factory() as s, s.begin():  # the fault is gone
        repo.record_findings(s, [], site_id="alpha", checks_run=CODES,
                             seen_at=FIRST + timedelta(days=3), crawl_run_id=None)
    r = row(factory, fid)
    assert r.status == "fixed" and rv.state_of(r.status, r.review, r.waived_until,
                                                TODAY) == "fixed"


def test_forbidden_steps_write_nothing(factory: sessionmaker[Session]) -> None:
    ids = _world(factory)
    alpha, beta = ids["alpha:http://x/1"], ids["beta:http://y/1"]
    cases: list[tuple[int, rv.Actor, str, dict[str, object], int, str]] = [
        (beta, ALICE, "appeal", {"reason": "x"}, 403, "无权"),  # another site's finding
        (999_999, ALICE, "appeal", {"reason": "x"}, 403, "无权"),  # no such finding: alike
        (alpha, ALICE, "waive", {"reason": "x", "until": date(2026, 12, 1)}, 403, "督查"),
        (alpha, SUP, "appeal", {"reason": "x"}, 403, "网站管理员"),
        (alpha, ALICE, "appeal", {"reason": "   "}, 400, "申诉理由"),
        (alpha, ALICE, "accept", {}, 403, "督查"),
        (alpha, SUP, "accept", {}, 409, "没有待审核"),  # nothing appealed
        (alpha, SUP, "waive", {"reason": "", "until": date(2026, 12, 1)}, 400, "豁免理由"),
        (alpha, SUP, "waive", {"reason": "x"}, 400, "截止日期"),
        (alpha, SUP, "waive", {"reason": "x", "until": TODAY}, 400, "晚于今天"),
        (alpha, SUP, "waive", {"reason": "x", "until": TODAY + timedelta(days=400)}, 400,
         "不能超过"),
        (alpha, SUP, "bogus", {}, 400, "未知"),
    ]
    for fid, actor, action, extra, status, words in cases:
        with pytest.raises(rv.ReviewError) as err:
            act(factory, fid, actor, action, **extra)
        assert err.value.status == status and words in err.value.message, (action, extra)
    act(factory, alpha, ALICE, "appeal", reason="误报")
    with pytest.raises(rv.ReviewError) as err:  # a second appeal while one is pending
        act(factory, alpha, ALICE, "appeal", reason="再次")
    assert err.value.status == 409
    with pytest.raises(rv.ReviewError) as err:  # rejecting needs a reason
        act(factory, alpha, SUP, "reject", reason="")
    assert err.value.status == 400
    with pytest.raises(rv.ReviewError):  # bob cannot touch alpha's findings either
        act(factory, alpha, BOB, "appeal", reason="x")
    assert [e[0] for e in events(factory, alpha)] == ["appeal"]
    assert events(factory, beta) == []
    with factory() as s, s.begin():  # a fixed finding cannot be appealed or waived
        fixed = s.get(m.Finding, beta)
        assert fixed is not None
        fixed.status = "fixed"
    bob_fixed = [(BOB, "appeal", {"reason": "x"}),
                 (SUP, "waive", {"reason": "x", "until": date(2026, 12, 1)})]
    for actor, action, extra in bob_fixed:
        with pytest.raises(rv.ReviewError) as err:
            act(factory, beta, actor, action, **extra)
        assert err.value.status == 409


def test_waiving_an_appealed_finding_supersedes_the_appeal(
        factory: sessionmaker[Session]) -> None:
    fid = _world(factory)["alpha:http://x/1"]
    act(factory, fid, ALICE, "appeal", reason="外链")
    act(factory, fid, SUP, "waive", reason="外链由上级平台提供", until=date(2026, 11, 30))
    act(factory, fid, SUP, "waive", reason="延长", until=date(2026, 12, 15))  # extend
    assert row(factory, fid).waived_until == date(2026, 12, 15)
    assert [(e[0], e[2], e[3]) for e in events(factory, fid)] == [
        ("appeal", "open", "appealed"), ("waive", "appealed", "waived"),
        ("waive", "waived", "waived")]
    with factory() as s:
        ev = rv.history(s, fid)[-1]
        assert ev.waived_until == date(2026, 12, 15) and ev.role == "supervisor"


def test_mark_fixed_is_audited_with_the_verdict(factory: sessionmaker[Session]) -> None:
    ids = _world(factory)
    fid = ids["alpha:http://x/1"]
    with factory() as s:
        rv.check_mark_fixed(s, fid, ALICE)
        with pytest.raises(rv.ReviewError) as err:
            rv.check_mark_fixed(s, ids["beta:http://y/1"], ALICE)
        assert err.value.status == 403
    with factory() as s, s.begin():
        rv.record_mark_fixed(s, fid, ALICE, "open", "HTTP 404", TODAY, NOW)
    assert events(factory, fid) == [("fixed", "alice", "open", "open", "")]
    with factory() as s:
        assert rv.history(s, fid)[0].detail == "复核未通过，问题仍存在：HTTP 404"
