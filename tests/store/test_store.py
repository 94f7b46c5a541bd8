from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Finding, Severity
from core.site import SiteEntry
from crawler.pipelines import insert_ignore
from store import models as m
from store import repo
from store.session import alembic_config, current_revision, make_engine, upgrade

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone(timedelta(hours=8)))
SITE = SiteEntry(id="demo", name="示例市人民政府", url="http://www.demo.gov.cn/", level="city")


def _finding(url: str, check: str = "links.dead") -> Finding:
    return Finding(site="demo", check=check, severity=Severity.DEDUCT, url=url,
                   page="http://www.demo.gov.cn/", message="链接不可用: HTTP 404",
                   rule="001 第十九条(四)", evidence={"status": 404})


def test_upgrade_is_idempotent_and_creates_every_table(db_url: str) -> None:
    upgrade(db_url)  # second time: nothing to do, no error
    engine = make_engine(db_url)
    assert current_revision(engine) == ScriptDirectory.from_config(
        alembic_config(db_url)).get_current_head()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"sites", "crawl_runs", "pages", "page_bodies", "page_facts", "links",
            "link_results", "findings"} <= tables


def test_finding_lifecycle_new_persisting_fixed_reopened(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
    a, b = "http://www.demo.gov.cn/a", "http://www.demo.gov.cn/b"
    checks_run = ["links.dead", "identity.icp-missing"]

    def record(findings: list[Finding], at: datetime) -> repo.FindingCounts:
        with factory.begin() as s:
            return repo.record_findings(s, findings, site_id="demo", checks_run=checks_run,
                                        seen_at=at, crawl_run_id=None)

    assert record([_finding(a), _finding(b)], T0) == repo.FindingCounts(new=2)
    assert record([_finding(a)], T0 + timedelta(days=1)) == repo.FindingCounts(
        persisting=1, fixed=1)
    assert record([_finding(a), _finding(b)], T0 + timedelta(days=2)) == repo.FindingCounts(
        persisting=1, reopened=1)
    with factory() as s:
        rows = {r.url: r for r in s.scalars(select(m.Finding))}
    assert len(rows) == 2  # nothing deleted, no duplicate
    assert rows[a].first_seen == T0 and rows[a].last_seen == T0 + timedelta(days=2)
    assert rows[b].status == "open" and rows[b].fixed_at is None
    assert rows[a].first_seen.tzinfo is not None


def test_disabled_check_leaves_its_findings_alone(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        repo.record_findings(s, [_finding("http://x/", "identity.icp-missing")], site_id="demo",
                             checks_run=["identity.icp-missing"], seen_at=T0, crawl_run_id=None)
    with factory.begin() as s:  # a pass that did not run identity.icp-missing
        counts = repo.record_findings(s, [], site_id="demo", checks_run=["links.dead"],
                                      seen_at=T0, crawl_run_id=None)
    assert counts.fixed == 0
    with factory() as s:
        assert s.scalar(select(m.Finding.status)) == "open"


def test_bodies_are_shared_by_hash(factory: sessionmaker[Session]) -> None:
    row = {"sha256": "ab" * 32, "size": 3, "data": b"x"}
    with factory.begin() as s:
        insert_ignore(s, m.PageBody.__table__, [row])
    with factory.begin() as s:
        insert_ignore(s, m.PageBody.__table__, [row])  # again: no error, no second row
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(m.PageBody)) == 1


def test_dead_running_crawls_are_marked_interrupted(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        run = repo.create_run(s, ["demo"], datetime.now(UTC))
        run.pid = 2**22 + 12345  # no such process
        live = repo.create_run(s, ["demo"], datetime.now(UTC))  # this process: alive
    with factory.begin() as s:
        assert repo.reap_dead_runs(s) == 1
    with factory() as s:
        assert s.get(m.CrawlRun, run.id).status == repo.INTERRUPTED  # type: ignore[union-attr]
        assert s.get(m.CrawlRun, live.id).status == repo.RUNNING  # type: ignore[union-attr]
        assert repo.latest_finished_run(s, "demo") is None


def test_runs_of_another_host_are_judged_by_their_heartbeat(
        factory: sessionmaker[Session]) -> None:
    """A worker on another machine: its pid means nothing here, its run's heartbeat does."""
    stale = timedelta(seconds=60)
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        gone, beating, silent, done = (repo.create_run(s, ["demo"], datetime.now(UTC),
                                                       heartbeat=True, job_id=7)
                                       for _ in range(4))
        for run in (gone, beating, silent, done):
            run.host, run.pid = "worker-2.example", 2**22 + 12345
        gone.heartbeat_at = datetime.now(UTC) - stale - timedelta(seconds=1)
        beating.heartbeat_at = datetime.now(UTC) - stale + timedelta(seconds=5)
        silent.heartbeat_at = None  # an older kind of run: not judged from here
        done.status = repo.FINISHED
        done.heartbeat_at = gone.heartbeat_at
    with factory.begin() as s:
        assert repo.reap_dead_runs(s, stale) == 1
    with factory.begin() as s:
        got = {r.id: (r.status, r.error) for r in s.scalars(select(m.CrawlRun))}
        assert got[gone.id][0] == repo.INTERRUPTED and "heartbeat" in (got[gone.id][1] or "")
        assert got[beating.id][0] == got[silent.id][0] == repo.RUNNING
        assert got[done.id][0] == repo.FINISHED
        # The live ones still keep their sites busy (a young run without a heartbeat too).
        busy = {r.id for r in repo.running_runs(s, ["demo"], timedelta(hours=6))}
        assert busy == {beating.id, silent.id}
        # A worker renews its runs' heartbeat; a dead worker's job takes its runs down.
        repo.heartbeat_runs(s, [beating.id, done.id])
    with factory.begin() as s:
        fresh = s.get(m.CrawlRun, beating.id)
        assert fresh is not None and fresh.heartbeat_at is not None
        assert fresh.heartbeat_at > datetime.now(UTC) - timedelta(seconds=5)
        interrupted = repo.interrupt_job_runs(s, 7, "worker gone")
        assert sorted(interrupted) == sorted([beating.id, silent.id])
        assert repo.interrupt_job_runs(s, 8, "worker gone") == []


def test_sightings_move_only_what_changed(factory: sessionmaker[Session]) -> None:
    """record_sightings writes plain rows and updates only the columns that moved."""
    from checks import items
    from checks.base import TrackedItem

    url, other = "http://www.demo.gov.cn/a.html", "http://www.demo.gov.cn/b.html"
    published = T0 - timedelta(days=3)

    def item(u: str, title: str, when: datetime | None, column: str = "") -> TrackedItem:
        return TrackedItem(site="demo", url=u, title=title, column_url=column,
                           published=when, first_seen=T0)

    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        items.record_sightings(s, "demo", {url: item(url, "甲", published, "http://c/")}, T0)
    later, earlier = T0 + timedelta(days=1), T0 - timedelta(hours=1)
    moved = published + timedelta(hours=2)
    with factory.begin() as s:  # later: last_seen moves, a blank title or column keeps its own
        items.record_sightings(s, "demo", {url: item(url, "", None),
                                           other: item(other, "乙", None)}, later)
    with factory.begin() as s:  # an earlier --as-of: first_seen moves, title is replaced
        items.record_sightings(s, "demo", {url: item(url, "丙", moved)}, earlier)
    with factory() as s:
        loaded = {i.url: i for i in items.load_items(s, "demo")}
        rows = {r.url: r for r in s.scalars(select(m.ItemSighting))}
    assert list(loaded) == [url, other]  # by URL
    assert (rows[url].title, rows[url].column_url, rows[url].published) == (
        "丙", "http://c/", moved)
    assert (rows[url].first_seen, rows[url].last_seen) == (earlier, later)
    assert (rows[other].first_seen, rows[other].last_seen) == (later, later)
    assert loaded[url].first_seen == earlier and loaded[url].published == moved


def test_sightings_keep_a_changed_publication_day(factory: sessionmaker[Session]) -> None:
    """content.fake-dates: a check pass over a crawl that shows an item on another day keeps
    the earlier time and that crawl's run; a time on the same day, a pass without a run, and
    the same crawl recorded again change nothing."""
    from checks import items
    from checks.base import TrackedItem

    a, b = "http://www.demo.gov.cn/a.html", "http://www.demo.gov.cn/b.html"
    day1 = T0 - timedelta(days=2)

    def seen(u: str, when: datetime) -> dict[str, TrackedItem]:
        return {u: TrackedItem(site="demo", url=u, title="t", column_url="http://c/",
                               published=when, first_seen=T0)}

    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        items.record_sightings(s, "demo", {**seen(a, day1), **seen(b, day1)}, T0, crawl_run_id=1)
    with factory.begin() as s:  # run 2: a moves to another day, b only by hours
        items.record_sightings(s, "demo", {**seen(a, T0), **seen(b, day1 + timedelta(hours=3))},
                               T0, crawl_run_id=2)
    with factory.begin() as s:  # the same crawl checked again: nothing more changes
        items.record_sightings(s, "demo", {**seen(a, T0), **seen(b, day1 + timedelta(hours=3))},
                               T0, crawl_run_id=2)
    with factory() as s:
        loaded = {i.url: i for i in items.load_items(s, "demo")}
    assert (loaded[a].published, loaded[a].previous_published, loaded[a].date_changed_run) == (
        T0, day1, 2)
    assert (loaded[b].previous_published, loaded[b].date_changed_run) == (None, None)
    with factory.begin() as s:  # the repost watch records without a run: no change recorded
        items.record_sightings(s, "demo", seen(b, T0), T0)
    with factory() as s:
        loaded = {i.url: i for i in items.load_items(s, "demo")}
    assert (loaded[b].published, loaded[b].previous_published) == (T0, None)


def test_json_columns_store_chinese_as_utf8_not_escapes(tmp_path: Path) -> None:
    """Page facts are mostly Chinese text: JSON columns hold it as UTF-8, half the bytes of
    \\u escapes, and read it back the same."""
    import sqlite3

    from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert

    engine = make_engine(f"sqlite:///{tmp_path / 'j.db'}")
    table = Table("j", MetaData(), Column("id", Integer, primary_key=True),
                  Column("data", JSON))
    table.create(engine)
    value = {"text": "政府网站监测" * 100, "n": [1, 2]}
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, data=value))
    with engine.connect() as conn:
        assert conn.execute(select(table.c.data)).scalar_one() == value
    engine.dispose()
    raw = sqlite3.connect(tmp_path / "j.db").execute("SELECT data FROM j").fetchone()[0]
    assert "政府网站监测" in raw and "\\u" not in raw
