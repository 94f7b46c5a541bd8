"""The `govwatch` command line (the contract: ../shared/spec/interfaces.md, section 1).

Every verb prints a one-line summary on success, a one-line error (no traceback) on bad input,
and exits 0 (success), 1 (failure) or 2 (usage).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from core.errors import UserError
from core.settings import Settings, SettingsError, load_settings
from govwatch.argparse_zh import ChineseArgumentParser
from store.database import open_factory


def _tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def parse_as_of(value: str | None, settings: Settings) -> datetime:
    if value is None:
        return datetime.now(_tz(settings))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--as-of 不是有效的 ISO 时间: {value!r}（例: 2026-11-21T12:00:00+08:00）"
                        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_tz(settings))
    return parsed


def _factory(settings: Settings, *, require_schema: bool = True) -> Any:
    return open_factory(settings, require_schema=require_schema)


# -- verbs -------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    from store.session import current_revision, make_engine, upgrade

    try:
        upgrade(settings.database_url)
        revision = current_revision(make_engine(settings.database_url))
    except (OperationalError, ProgrammingError) as exc:
        raise UserError(f"数据库初始化失败: {exc.orig}") from None
    print(f"数据库已就绪（版本 {revision}）: {_safe_url(settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_sites_import(args: argparse.Namespace, settings: Settings) -> int:
    from core.registry import RegistryInvalid, load_registry
    from store import models as m
    from store.repo import upsert_sites

    if not Path(args.file).exists():
        raise UserError(f"站点登记文件不存在: {args.file}")
    factory = _factory(settings)
    with factory() as session, session.begin():
        known = set(session.scalars(select(m.Site.id)))
        try:
            entries = load_registry(args.file, known_ids=known)
        except RegistryInvalid as exc:
            if len(exc.errors) == 1 and exc.errors[0].line is None:  # unreadable file
                raise UserError(str(exc.errors[0])) from None
            for error in exc.errors:
                print(f"错误: {error}", file=sys.stderr)
            raise UserError(f"{args.file}: {len(exc.errors)} 处错误，未导入任何站点") from None
        except OSError as exc:
            raise UserError(f"无法读取 {args.file}: {exc.strerror}") from None
        added, updated = upsert_sites(session, entries)
    print(f"已导入 {len(entries)} 个站点（新增 {added}，更新 {updated}）: {args.file}")
    return 0


def cmd_sites_list(args: argparse.Namespace, settings: Settings) -> int:
    from store import models as m

    factory = _factory(settings)
    with factory() as session:
        rows = list(session.scalars(select(m.Site).order_by(m.Site.id)))
    print("站点ID\t级别\t类型\t上级\t名称\t网址")
    for row in rows:
        print(f"{row.id}\t{row.level}\t{row.kind}\t{row.parent_id or '-'}\t{row.name}\t{row.url}")
    print(f"共 {len(rows)} 个站点", file=sys.stderr)
    return 0


def _select_sites(session: Any, requested: Sequence[str] | None) -> list[str]:
    from store import models as m

    active = list(session.scalars(select(m.Site.id).where(m.Site.active.is_(True))
                                  .order_by(m.Site.id)))
    if not requested:
        if not active:
            raise UserError("尚未登记任何站点，请先运行 govwatch sites import FILE")
        return active
    unknown = [s for s in requested if s not in active]
    if unknown:
        raise UserError(f"未登记的站点: {', '.join(unknown)}")
    return list(dict.fromkeys(requested))


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from checks.runner import run_checks
    from govwatch.crawls import default_jobs, partition, run_crawl_processes, site_weights
    from store import models as m
    from store import repo

    as_of = parse_as_of(args.as_of, settings)
    if args.max_pages is not None and args.max_pages < 1:
        raise UserError("--max-pages 必须是正整数")
    if args.enqueue:
        return _enqueue(args, settings)
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise UserError("--jobs 必须是正整数")
    factory = _factory(settings)
    with factory() as session, session.begin():
        # A run whose process died (or whose heartbeat stopped) is marked interrupted.
        repo.reap_dead_runs(session, timedelta(seconds=settings.workers.stalled_seconds))
        site_ids = _select_sites(session, args.site)
        busy = repo.running_runs(session, site_ids, timedelta(
            minutes=settings.scheduler.crawl_timeout_minutes))
        if busy:
            run = busy[0]
            sites = "、".join(s for s in run.site_ids if s in site_ids)
            raise UserError(f"站点 {sites} 正由抓取任务 #{run.id} 抓取中（主机 {run.host}，进程 "
                            f"{run.pid}），请等待其结束后再抓取")
        groups = partition(site_ids, site_weights(session, site_ids) if jobs > 1 else {}, jobs)
        runs = {repo.create_run(session, group, as_of).id: group for group in groups}
    started = time.monotonic()
    codes = run_crawl_processes(list(runs), settings, args.max_pages, quiet=args.quiet)
    wall = round(time.monotonic() - started, 2)
    outcomes: dict[int, tuple[str, dict[str, Any], str | None]] = {}
    with factory() as session, session.begin():
        for run_id in runs:
            run = session.get(m.CrawlRun, run_id)
            assert run is not None
            code = codes.get(run_id)
            if run.status == repo.RUNNING:  # the child died without saying so, or never ran
                run.status = repo.INTERRUPTED if code in (None, 130, -2) else repo.FAILED
                run.error = run.error or ("not started (stopped)" if code is None
                                          else f"exit {code}")
                run.finished_at = repo.utcnow()
            outcomes[run_id] = (run.status, dict(run.stats or {}), run.error)
    pages = sum(stats.get("pages", 0) for _, stats, _ in outcomes.values())
    checks = sum(stats.get("checks", 0) for _, stats, _ in outcomes.values())
    label = (f"#{next(iter(runs))}" if len(runs) == 1
             else f"#{min(runs)}–#{max(runs)}（{len(runs)} 个抓取进程）")
    if any(status == repo.INTERRUPTED for status, _, _ in outcomes.values()):
        raise UserError(f"抓取任务 {label} 已中断，已抓取的数据已保存（页面 {pages}）；未运行检查")
    failed = {run_id: out for run_id, out in outcomes.items() if out[0] != repo.FINISHED}
    crawled = [s for run_id, group in runs.items() if run_id not in failed for s in group]
    failures = "；".join(f"抓取任务 #{run_id} 失败（{', '.join(runs[run_id])}）: {error}"
                        for run_id, (_, _, error) in failed.items())
    if not crawled:
        raise UserError(failures)
    crawl_runs = {site: run_id for run_id, group in runs.items() for site in group}
    summary = run_checks(factory, settings, site_ids=[s for s in site_ids if s in crawled],
                         now=as_of, crawl_runs=crawl_runs)
    _notify(factory, settings, as_of)
    seconds = next(iter(outcomes.values()))[1].get("seconds", 0) if len(runs) == 1 else wall
    c = summary.counts
    print(
        f"抓取完成 {label}: {len(crawled)} 个站点，页面 {pages}，"
        f"链接检查 {checks}，用时 {seconds} 秒；"
        f"问题 {c.open} 个（新增 {c.new}，已修复 {c.fixed}）"
    )
    if failed:  # the other sites were crawled and checked
        raise UserError(f"{failures}；其余站点已抓取并检查")
    return 0


def _notify(factory: Any, settings: Settings, as_of: datetime) -> None:
    """New veto findings of the pass, to the sites' contacts and the supervisors at once."""
    from govwatch.notify import notify_after_checks

    notify_after_checks(factory, settings, as_of)


def _enqueue(args: argparse.Namespace, settings: Settings) -> int:
    """`crawl --enqueue`: one crawl job per site for the workers (govwatch.queue); returns."""
    if not settings.workers.enabled:
        raise UserError("--enqueue 需要启用 worker: 在设置文件中写 [workers] enabled = true"
                        "（PostgreSQL），并在各机器上运行 govwatch worker")
    if args.jobs is not None:
        raise UserError("--enqueue 与 --jobs 不能同时使用（并发由各 govwatch worker 决定）")
    from govwatch.dispatch import load_queue

    queue = load_queue()
    factory = _factory(settings)
    if not queue.queue_installed(factory):
        raise UserError("数据库中还没有任务队列，请先运行 govwatch init")
    with factory() as session:
        site_ids = _select_sites(session, args.site)
    as_of = parse_as_of(args.as_of, settings) if args.as_of else None
    outcome = queue.enqueue_crawls(settings, factory, site_ids, as_of=as_of,
                             max_pages=args.max_pages)
    already = f"，{len(outcome.already)} 个站点已在队列中而跳过" if outcome.already else ""
    print(f"已加入队列: {len(outcome.queued)} 个站点的抓取任务{already}"
          "（由 govwatch worker 抓取并检查）")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from checks.runner import run_checks
    from store import repo

    as_of = parse_as_of(args.as_of, settings)
    factory = _factory(settings)
    with factory() as session, session.begin():
        repo.reap_dead_runs(session, timedelta(seconds=settings.workers.stalled_seconds))
        site_ids = _select_sites(session, args.site)
    summary = run_checks(factory, settings, site_ids=site_ids, now=as_of)
    if summary.sites == 0:
        raise UserError("所选站点都还没有完成的抓取，请先运行 govwatch crawl")
    _notify(factory, settings, as_of)
    c = summary.counts
    skipped = f"；未抓取而跳过: {', '.join(summary.skipped)}" if summary.skipped else ""
    print(f"检查完成: {summary.sites} 个站点，问题 {c.open} 个（新增 {c.new}，"
          f"已修复 {c.fixed}）{skipped}")
    return 0


# `findings --format csv`: field -> header.
CSV_COLUMNS = {
    "id": "编号", "site": "站点", "check": "检查代码", "severity": "性质", "status": "状态",
    "url": "问题对象", "page": "所在页面", "message": "问题描述", "rule": "依据",
    "first_seen": "首次发现", "last_seen": "最近发现", "evidence": "证据",
    "deadline": "整改期限", "state": "处理状态", "overdue": "超期未整改",
}


def cmd_findings(args: argparse.Namespace, settings: Settings) -> int:
    from store import models as m
    from store.repo import finding_json

    factory = _factory(settings)
    query = select(m.Finding).order_by(m.Finding.site_id, m.Finding.check, m.Finding.page,
                                       m.Finding.url)
    if args.site:
        query = query.where(m.Finding.site_id == args.site)
    if args.check:
        query = query.where(m.Finding.check == args.check)
    if args.status != "all":
        query = query.where(m.Finding.status == args.status)
    tz = _tz(settings)
    today = parse_as_of(args.as_of, settings).astimezone(tz).date()
    with factory() as session:
        if args.site and session.get(m.Site, args.site) is None:
            raise UserError(f"未登记的站点: {args.site}（govwatch sites list 列出已登记站点）")
        if args.check:
            from checks.catalogue import load_catalogue

            if args.check not in load_catalogue():
                raise UserError(f"未知的检查代码: {args.check}（检查代码见 docs/checks.md）")
        rows = [finding_json(r, tz, today) for r in session.scalars(query)]
    if args.overdue:
        rows = [r for r in rows if r["overdue"]]
    out = sys.stdout
    if args.format == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif args.format == "csv":
        # UTF-8 with a BOM and Chinese headers, so that Excel opens it as it is.
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS.values())
        for row in rows:
            writer.writerow([json.dumps(row[c], ensure_ascii=False) if c == "evidence"
                             else ("是" if row[c] else "") if c == "overdue"
                             else row[c] for c in CSV_COLUMNS])
        out.write("\ufeff" + buf.getvalue())
    else:
        out.write("编号\t站点\t检查代码\t性质\t状态\t整改期限\t问题描述\t问题对象\t所在页面\n")
        for row in rows:
            due = (row["deadline"] or "") + ("（超期）" if row["overdue"] else "")
            out.write(f"{row['id']}\t{row['site']}\t{row['check']}\t{row['severity']}\t"
                      f"{row['state']}\t{due}\t{row['message']}\t{row['url']}\t"
                      f"{row['page']}\n")
        print(f"共 {len(rows)} 条", file=sys.stderr)
    return 0


def cmd_notify(args: argparse.Namespace, settings: Settings) -> int:
    from govwatch.notify import given_up, send_digests, send_pending

    factory = _factory(settings)
    as_of = parse_as_of(args.as_of, settings)
    if args.digest:
        digests = send_digests(factory, settings, as_of)
        print(f"每日通知（{digests.day}）: 已发送 {len(digests.sent)} 份，失败 "
              f"{len(digests.failed)} 份；无新问题而未发送的站点 {len(digests.quiet)} 个")
        errors = [f"{kind} {site or '督查汇总'} → {to}: {why}"
                  for kind, site, to, why in digests.failed]
    else:
        report = send_pending(factory, settings, now=as_of)
        print(f"单项否决通知: 已发送 {report.messages} 条消息"
              f"（{len({fid for fid, _ in report.sent})} 项问题），"
              f"失败 {len({to for _, to, _ in report.failed})} 个接收方")
        errors = sorted({f"{to}: {why}" for _, to, why in report.failed})
    for line in errors:
        print(f"发送失败（稍后重试）: {line}", file=sys.stderr)
    since = as_of - timedelta(days=settings.notify.max_age_days)
    for line in given_up(factory, since):
        print(f"已放弃发送: {line}")
    return 1 if errors else 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from govwatch.demo.run import run_demo

    return run_demo(main, Path(args.out), as_of=args.as_of, keep_serving=args.serve,
                    host=args.host, port=args.port)


# -- parser ------------------------------------------------------------------------------


EPILOG = """常用流程:
  govwatch init                       创建数据库
  govwatch sites import sites.yaml    导入站点登记
  govwatch crawl                      抓取并检查全部站点
  govwatch findings --format csv      导出问题清单（Excel 可直接打开）
  govwatch notify --digest            发送每日汇总（serve 每天定时发送）
  govwatch demo                       离线演示（示例站点群）

数据库: 环境变量 GOVWATCH_DATABASE_URL；设置文件: --settings FILE 或 GOVWATCH_SETTINGS。
各子命令的选项: govwatch 子命令 -h"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("govwatch")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="govwatch",
        description="政府网站监测 govwatch：抓取政府网站、按规定检查并生成督查报告。",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"govwatch {_version()}",
                        help="显示版本号并退出")
    parser.add_argument("--settings", metavar="FILE",
                        help="设置文件（TOML；默认 GOVWATCH_SETTINGS，否则 config/settings.toml）")
    sub = parser.add_subparsers(dest="verb", metavar="<子命令>", title="子命令")

    p = sub.add_parser("init", help="创建或升级数据库")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("sites", help="站点登记")
    sites = p.add_subparsers(dest="sites_verb", required=True, metavar="<操作>", title="操作")
    q = sites.add_parser("import", help="导入站点登记 YAML")
    q.add_argument("file", metavar="FILE",
                   help="站点登记文件（YAML，格式见 config/sites.example.yaml）")
    q.set_defaults(func=cmd_sites_import)
    q = sites.add_parser("list", help="列出已登记站点")
    q.set_defaults(func=cmd_sites_list)

    p = sub.add_parser("crawl", help="抓取站点并运行检查")
    p.add_argument("--site", action="append", metavar="ID", help=SITE_HELP)
    p.add_argument("--as-of", metavar="ISO", help=AS_OF_HELP)
    p.add_argument("--max-pages", type=int, metavar="N", help="每个站点最多抓取的页面数")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="同时运行的抓取进程数，各抓取不同的站点（默认: 本进程可用的 CPU 核数）")
    p.add_argument("--enqueue", action="store_true",
                   help="不在本机抓取：为每个站点向共享队列加入一个抓取任务后返回，由 govwatch "
                   "worker 抓取并检查（需 [workers] enabled = true）")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("check", help="对最近一次抓取重新运行检查")
    p.add_argument("--site", action="append", metavar="ID", help=SITE_HELP)
    p.add_argument("--as-of", metavar="ISO", help=AS_OF_HELP)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("findings", help="列出问题")
    p.add_argument("--site", metavar="ID", help="只列出该站点的问题")
    p.add_argument("--check", metavar="CODE", help="只列出该检查项的问题（代码见 docs/checks.md）")
    p.add_argument("--status", choices=("open", "fixed", "all"), default="open",
                   help="open 未整改（默认）、fixed 已整改、all 全部")
    p.add_argument("--overdue", action="store_true",
                   help="只列出超期未整改的问题（已过整改期限，未豁免、未认定误报）")
    p.add_argument("--as-of", metavar="ISO",
                   help="以该时刻判断是否超期、豁免是否到期（默认当前时间，Asia/Shanghai）")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table 表格（默认）、json 每行一个 JSON、"
                   "csv（UTF-8 带 BOM，Excel 可直接打开）")
    p.set_defaults(func=cmd_findings)

    p = sub.add_parser(
        "notify", help="发送通知：新的单项否决问题（默认）或每日汇总（--digest）",
        description="向各站点的联系人（站点登记 contacts）和督查人员（设置 [notify] "
        "supervisors）发送通知。默认发送尚未通知的单项否决问题；--digest 发送每日汇总。"
        "同一问题、同一天的汇总对每个接收方只发送一次；发送失败的稍后重试。")
    p.add_argument("--digest", action="store_true",
                   help="发送每日汇总：各站点过去 24 小时的新问题（发给该站点联系人）"
                   "和督查汇总（发给督查人员）")
    p.add_argument("--as-of", metavar="ISO",
                   help="以该时刻为“现在”（ISO 时间；默认当前时间）：汇总统计此前 24 小时，"
                   "单项否决通知只含此前 [notify] max_age_days 天内首次发现的问题")
    p.set_defaults(func=cmd_notify)

    p = sub.add_parser("demo", help="在本机回环地址上演示：抓取示例站点群并生成报告")
    p.add_argument("--out", default="govwatch-demo", metavar="DIR",
                   help="演示数据、数据库和报告的目录（默认 govwatch-demo）")
    p.add_argument("--as-of", metavar="ISO", help="以该时刻评判（默认示例数据的时刻 "
                   "2026-11-21T12:00:00+08:00）")
    p.add_argument("--serve", action="store_true",
                   help="完成后继续提供示例站点并打开看板（含督查人员、网站管理员演示账号），"
                   "按 Ctrl-C 退出")
    p.add_argument("--host", default="127.0.0.1", help="--serve 时看板的监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=8000, help="--serve 时看板的端口（默认 8000）")
    p.set_defaults(func=cmd_demo)

    from govwatch.accounts import add_users_parser
    from govwatch.probing import add_probe_parser
    from govwatch.serve import add_serve_parser
    from govwatch.worker import add_worker_parser
    from reports.cli import add_report_parser

    add_probe_parser(sub)
    add_report_parser(sub)
    add_serve_parser(sub)
    add_users_parser(sub)
    add_worker_parser(sub)
    return parser


SITE_HELP = "只处理该站点（站点 ID，可重复；默认全部已登记站点）"
AS_OF_HELP = ("以该时刻为“现在”评判时效类规则"
              "（ISO 时间，如 2026-11-21T12:00:00+08:00；默认当前时间）")


def use_settings_file(path: str) -> None:
    """`--settings FILE`: the settings for this command and every process it starts."""
    file = Path(path)
    if not file.is_file():
        raise UserError(f"设置文件不存在: {path}")
    os.environ["GOVWATCH_SETTINGS"] = str(file.resolve())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 0
    try:
        if args.settings:
            use_settings_file(args.settings)
        settings = load_settings()
        return int(args.func(args, settings))
    except (UserError, SettingsError) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("错误: 已中断", file=sys.stderr)
        return 1
    except Exception as exc:  # the contract: one line, no traceback
        from checks.runner import CheckError

        if isinstance(exc, CheckError):
            print(f"错误: {exc}", file=sys.stderr)
            return 1
        if os.environ.get("GOVWATCH_DEBUG"):
            raise
        print(f"错误: {type(exc).__name__}: {exc}（设置 GOVWATCH_DEBUG=1 查看详情）",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
