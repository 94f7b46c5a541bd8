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
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from govwatch.database import open_factory
from govwatch.errors import UserError
from govwatch.settings import Settings, SettingsError, load_settings


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
    from govwatch.registry import RegistryInvalid, load_registry
    from store import models as m
    from store.repo import upsert_sites

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


def crawl_in_subprocess(run_id: int, settings: Settings, max_pages: int | None,
                        quiet: bool = False) -> int:
    """Run crawler.run in its own process; Ctrl-C reaches it too and it stops gracefully."""
    env = dict(os.environ)
    env["GOVWATCH_DATABASE_URL"] = settings.database_url
    if settings.source not in ("<defaults>",) and Path(settings.source).is_file():
        env["GOVWATCH_SETTINGS"] = str(Path(settings.source).resolve())
    cmd = [sys.executable, "-m", "crawler.run", "--run-id", str(run_id)]
    if max_pages is not None:
        cmd += ["--max-pages", str(max_pages)]
    if quiet:
        cmd.append("--quiet")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(cmd, env=env)

    def forward(signum: int, _frame: Any) -> None:
        proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                continue  # the child got the same SIGINT and is shutting down
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    from checks.runner import run_checks
    from store import models as m
    from store import repo

    as_of = parse_as_of(args.as_of, settings)
    if args.max_pages is not None and args.max_pages < 1:
        raise UserError("--max-pages 必须是正整数")
    factory = _factory(settings)
    with factory() as session, session.begin():
        repo.reap_dead_runs(session)
        site_ids = _select_sites(session, args.site)
        run = repo.create_run(session, site_ids, as_of)
        run_id = run.id
    code = crawl_in_subprocess(run_id, settings, args.max_pages, quiet=args.quiet)
    with factory() as session, session.begin():
        run = session.get(m.CrawlRun, run_id)
        assert run is not None
        if run.status == repo.RUNNING:  # the child died without saying so
            run.status = repo.FAILED if code not in (130, -2) else repo.INTERRUPTED
            run.finished_at = repo.utcnow()
        status, stats, error = run.status, dict(run.stats or {}), run.error
    if status == repo.INTERRUPTED:
        raise UserError(f"抓取任务 #{run_id} 已中断，已抓取的数据已保存"
                        f"（页面 {stats.get('pages', 0)}）；未运行检查")
    if status != repo.FINISHED:
        raise UserError(f"抓取任务 #{run_id} 失败: {error or f'exit {code}'}")
    summary = run_checks(factory, settings, site_ids=site_ids, now=as_of, crawl_run_id=run_id)
    c = summary.counts
    print(
        f"抓取完成 #{run_id}: {len(site_ids)} 个站点，页面 {stats.get('pages', 0)}，"
        f"链接检查 {stats.get('checks', 0)}，用时 {stats.get('seconds', 0)} 秒；"
        f"问题 {c.open} 个（新增 {c.new}，已修复 {c.fixed}）"
    )
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from checks.runner import run_checks
    from store import repo

    as_of = parse_as_of(args.as_of, settings)
    factory = _factory(settings)
    with factory() as session, session.begin():
        repo.reap_dead_runs(session)
        site_ids = _select_sites(session, args.site)
    summary = run_checks(factory, settings, site_ids=site_ids, now=as_of)
    if summary.sites == 0:
        raise UserError("所选站点都还没有完成的抓取，请先运行 govwatch crawl")
    c = summary.counts
    skipped = f"；未抓取而跳过: {', '.join(summary.skipped)}" if summary.skipped else ""
    print(f"检查完成: {summary.sites} 个站点，问题 {c.open} 个（新增 {c.new}，"
          f"已修复 {c.fixed}）{skipped}")
    return 0


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
    with factory() as session:
        rows = [finding_json(r, tz) for r in session.scalars(query)]
    out = sys.stdout
    if args.format == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif args.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        cols = ["id", "site", "check", "severity", "status", "url", "page", "message", "rule",
                "first_seen", "last_seen", "evidence"]
        writer.writerow(cols)
        for row in rows:
            writer.writerow([json.dumps(row[c], ensure_ascii=False) if c == "evidence"
                             else row[c] for c in cols])
        out.write(buf.getvalue())
    else:
        for row in rows:
            out.write(f"{row['id']}\t{row['site']}\t{row['check']}\t{row['severity']}\t"
                      f"{row['status']}\t{row['message']}\t{row['url']}\t{row['page']}\n")
        print(f"共 {len(rows)} 条", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from govwatch.demo.run import run_demo

    return run_demo(Path(args.out), as_of=args.as_of, keep_serving=args.serve)


# -- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govwatch", description="政府网站监测 govwatch")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("init", help="创建或升级数据库")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("sites", help="站点登记")
    sites = p.add_subparsers(dest="sites_verb", required=True)
    q = sites.add_parser("import", help="导入站点登记 YAML")
    q.add_argument("file")
    q.set_defaults(func=cmd_sites_import)
    q = sites.add_parser("list", help="列出已登记站点")
    q.set_defaults(func=cmd_sites_list)

    p = sub.add_parser("crawl", help="抓取站点并运行检查")
    p.add_argument("--site", action="append", metavar="ID")
    p.add_argument("--as-of", metavar="ISO")
    p.add_argument("--max-pages", type=int, metavar="N")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("check", help="对最近一次抓取重新运行检查")
    p.add_argument("--site", action="append", metavar="ID")
    p.add_argument("--as-of", metavar="ISO")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("findings", help="列出问题")
    p.add_argument("--site", metavar="ID")
    p.add_argument("--check", metavar="CODE")
    p.add_argument("--status", choices=("open", "fixed", "all"), default="open")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=cmd_findings)

    p = sub.add_parser("demo", help="在本机回环地址上演示：抓取示例站点群并生成报告")
    p.add_argument("--out", default="govwatch-demo", metavar="DIR")
    p.add_argument("--as-of", metavar="ISO")
    p.add_argument("--serve", action="store_true", help="完成后继续提供示例站点，按 Ctrl-C 退出")
    p.set_defaults(func=cmd_demo)

    from govwatch.probe import add_probe_parser
    from govwatch.serve import add_serve_parser
    from govwatch.users import add_users_parser
    from reports.cli import add_report_parser

    add_probe_parser(sub)
    add_report_parser(sub)
    add_serve_parser(sub)
    add_users_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
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
