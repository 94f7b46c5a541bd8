"""`govwatch demo`: the whole pipeline, offline, on the bundled sample site cluster.

Builds the demo world into DIR, serves it on loopback (the crawler reaches the realistic
.gov.cn host names through `connect_to`; four sites over HTTPS with certificates of a demo CA),
then runs init -> sites import -> a probe pass (govwatch.demo.probes) -> crawl -> checks ->
HTML report exactly as a user would, against a SQLite database in DIR, and prints the next
steps, each of which works as printed. With `--serve` it keeps the demo sites up and serves
the dashboard too, with a demo supervisor and a demo webmaster account: a page of the world
edited under DIR/world/www/ is served as edited, so a fix can be re-checked from the dashboard
or by crawling the site again.
"""

from __future__ import annotations

import json
import secrets
import shlex
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from govwatch.demo.server import DemoServer
from govwatch.demo.world import World, build_world, connect_to_map

# The demo world is dated around November 2026; judge it as of this instant by default so
# that the time rules give the same findings whatever day the demo is run.
DEMO_AS_OF = "2026-11-21T12:00:00+08:00"


def demo_settings_text(world: World, port: int, db_url: str, *, dashboard: bool = False,
                       as_of: str | None = None) -> str:
    """Settings for crawling the demo world served on `port`; with `dashboard`, also those of
    `govwatch demo --serve`'s dashboard, which judges deadlines and re-crawls as of the demo's
    instant `as_of` (its world is dated; `[web] as_of`)."""
    mapping = connect_to_map(world, port)
    lines = [
        "# Written by `govwatch demo`: settings for crawling the demo world on loopback.",
        f"database_url = {json.dumps(db_url)}",
        "",
        "[crawler]",
        'contact = "demo@govwatch.invalid"',
        # Short timeouts: the world plants a URL that never answers.
        "download_timeout = 3.0",
        "retries = 1",
        "progress_interval = 2.0",
        "",
        "[crawler.connect_to]",
    ]
    lines += [
        f"{json.dumps(host)} = {json.dumps(target)}" for host, target in sorted(mapping.items())
    ]
    ca_file = Path(world.root) / "tls" / "ca.pem"  # the demo CA, written by DemoServer
    if ca_file.is_file():  # the probe verifies the demo sites' certificates against it
        lines += ["", "[probe]", f"ca_file = {json.dumps(str(ca_file))}"]
    # The demo takes one probe per site (for https.missing); availability is judged on a week
    # of probes (20 a day), which the demo does not have: without this every site would get
    # the "too few probes to judge" notice.
    lines += ["", '[checks."availability.unreachable"]', "enabled = false"]
    if dashboard:  # plain http on loopback; no nightly jobs
        lines += ["", "[web]", f"secret_key = {json.dumps(secrets.token_hex(24))}",
                  "cookie_secure = false", f"as_of = {json.dumps(_aware(as_of or DEMO_AS_OF))}",
                  "",
                  "[scheduler]", "enabled = false"]
    # The demo's 永州 portal adopts its city's 办法, so it and the county sites it supervises
    # (江华) are held to it; every other demo site answers to the national documents only.
    lines += ["", "[regulations.adopt]", 'yongzhou = ["yongzhou-2021"]']
    return "\n".join(lines) + "\n"


def _aware(as_of: str) -> str:
    """`as_of` with an offset (`--as-of` may omit it: the settings' timezone, Shanghai)."""
    moment = datetime.fromisoformat(as_of)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return moment.isoformat()


# The accounts `govwatch demo --serve` creates (a demo on loopback: the passwords are printed).
DEMO_SUPERVISOR = ("demo-admin", "demo-admin-pass")
DEMO_WEBMASTER = ("demo-yongzhou", "demo-yongzhou-pass", "yongzhou")
# The fix the next steps suggest: 永州's home page shows a wrong 网站标识码 in its footer.
FIX_SITE, FIX_HOST, FIX_WRONG, FIX_RIGHT = ("yongzhou", "www.yongzhou-demo.gov.cn",
                                            "4311000042", "4311000024")


def demo_period(as_of: str) -> tuple[str, str, str]:
    """The month, quarter and year that hold the demo's findings (they are first seen at
    `as_of`), as `report --period` takes them."""
    moment = datetime.fromisoformat(as_of)
    return (f"{moment:%Y-%m}", f"{moment.year}-Q{(moment.month - 1) // 3 + 1}", str(moment.year))


def next_steps(out: Path, settings_path: Path, db_url: str, as_of: str, *, serving: bool,
               dashboard: str) -> str:
    """What to do after the demo, as commands that work as printed."""
    month, quarter, year = demo_period(as_of)
    q = shlex.quote
    page = out / "world" / "www" / FIX_HOST / "index.html"
    lines = [
        "",
        "下一步（命令可直接复制运行）:",
        "  1. 使用演示的设置和数据库:",
        f"       export GOVWATCH_SETTINGS={q(str(settings_path))} "
        f"GOVWATCH_DATABASE_URL={q(db_url)}",
        "  2. 查看问题清单:",
        f"       govwatch findings --site {FIX_SITE}",
        f"       govwatch findings --format csv > {q(str(out / 'findings.csv'))}",
        f"  3. 生成监管报告（演示数据在 {month} 月，即 {quarter}、{year} 年）:",
        f"       govwatch report quarterly --period {quarter} --out {q(str(out / 'reports'))}",
        f"       govwatch report monthly --period {month} --format xlsx "
        f"--out {q(str(out / 'reports'))}",
    ]
    if serving:
        lines += [
            f"  4. 看板: {dashboard}",
            f"       督查人员   用户名 {DEMO_SUPERVISOR[0]}  密码 {DEMO_SUPERVISOR[1]}",
            f"       网站管理员 用户名 {DEMO_WEBMASTER[0]}  密码 {DEMO_WEBMASTER[1]}"
            f"（站点 {DEMO_WEBMASTER[2]}）",
            "  5. 试一次整改: 永州市人民政府首页页脚的网站标识码有误"
            "（identity.site-code-mismatch）:",
            f"       sed -i 's/{FIX_WRONG}/{FIX_RIGHT}/' {q(str(page))}",
            "     然后在看板该问题页面点“已整改，立即复核”，或在站点页面点“重新抓取本站”，"
            "或在命令行重新抓取该站点:",
            f"       govwatch crawl --site {FIX_SITE} --as-of {as_of}",
            "     问题即标记为已整改。整改期限、误报申诉与豁免见 docs/rectification.md。"
            "按 Ctrl-C 结束演示。",
        ]
    else:
        lines += [
            "  4. 打开看板（督查人员和网站管理员演示账号），并可修改示例页面后复核:",
            f"       govwatch demo --serve --out {q(str(out))}",
        ]
    return "\n".join(lines)


def add_demo_users(settings_url: str) -> None:
    from store.session import make_engine, session_factory
    from web.users import add_user

    engine = make_engine(settings_url)
    try:
        with session_factory(engine)() as session, session.begin():
            add_user(session, DEMO_SUPERVISOR[0], DEMO_SUPERVISOR[1], "supervisor")
            add_user(session, DEMO_WEBMASTER[0], DEMO_WEBMASTER[1], "webmaster",
                     [DEMO_WEBMASTER[2]])
    finally:
        engine.dispose()


def run_demo(command: Callable[[list[str]], int], out: Path, as_of: str | None = None,
             keep_serving: bool = False, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve the demo world, then run `govwatch init`, `sites import`, a probe pass
    (govwatch.demo.probes) and `crawl` on it through `command` (the command line's own entry
    point, handed down so that the demo, which the command line runs, never imports it back)
    and write the findings report."""
    import os

    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "govwatch-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    world = build_world(out / "world")
    server = DemoServer(world)
    world_port = server.start()
    try:
        settings_path = out / "settings.toml"
        db_url = f"sqlite:///{db_path}"
        as_of = as_of or DEMO_AS_OF
        settings_path.write_text(demo_settings_text(world, world_port, db_url, dashboard=True,
                                                    as_of=as_of), encoding="utf-8")
        os.environ["GOVWATCH_SETTINGS"] = str(settings_path)
        os.environ["GOVWATCH_DATABASE_URL"] = db_url
        print(f"示例站点群已在 127.0.0.1:{world_port} 上提供（{len(world.hosts)} 个主机）",
              file=sys.stderr)
        for argv in (["init"], ["sites", "import", str(world.registry_path)]):
            code = command(argv)
            if code != 0:
                return code
        from core.settings import load_settings
        from govwatch.demo.probes import probe_demo_sites
        from reports.site_report import write_findings_report

        settings = load_settings()
        moment = datetime.fromisoformat(as_of)
        if moment.tzinfo is None:  # as `crawl --as-of` reads it: in the settings' timezone
            moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
        probe_demo_sites(settings, moment)
        code = command(["crawl", "--as-of", as_of])
        if code != 0:
            return code
        index = write_findings_report(settings, out / "report", as_of=datetime.fromisoformat(as_of))
        print(f"演示完成，报告: {index}")
        dashboard = f"http://{host}:{port}/"
        print(next_steps(out, settings_path, db_url, as_of, serving=keep_serving,
                         dashboard=dashboard), flush=True)
        if keep_serving:
            from govwatch.serve import serve

            add_demo_users(db_url)
            print(f"示例站点继续在 127.0.0.1:{world_port} 上提供；看板 {dashboard}；"
                  "按 Ctrl-C 退出", file=sys.stderr, flush=True)
            return serve(settings, host, port)
        return 0
    finally:
        server.stop()
