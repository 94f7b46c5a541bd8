"""`govwatch demo`: the whole pipeline, offline, on the bundled sample site cluster.

Builds the demo world into DIR, serves it on loopback (the crawler reaches the realistic
.gov.cn host names through `connect_to`), then runs init -> sites import -> crawl -> checks ->
HTML report exactly as a user would, against a SQLite database in DIR.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from govwatch.demo.server import DemoServer
from govwatch.demo.world import World, build_world, connect_to_map

# The demo world is dated around November 2026; judge it as of this instant by default so
# that the time rules give the same findings whatever day the demo is run.
DEMO_AS_OF = "2026-11-21T12:00:00+08:00"


def demo_settings_text(world: World, port: int, db_url: str) -> str:
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
    # The demo's 永州 portal adopts its city's 办法, so it and the county sites it supervises
    # (江华) are held to it; every other demo site answers to the national documents only.
    lines += ["", "[regulations.adopt]", 'yongzhou = ["yongzhou-2021"]']
    return "\n".join(lines) + "\n"


def run_demo(out: Path, as_of: str | None = None, keep_serving: bool = False) -> int:
    import os

    from govwatch import cli

    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "govwatch-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    world = build_world(out / "world")
    server = DemoServer(world)
    port = server.start()
    try:
        settings_path = out / "settings.toml"
        db_url = f"sqlite:///{db_path}"
        settings_path.write_text(demo_settings_text(world, port, db_url), encoding="utf-8")
        os.environ["GOVWATCH_SETTINGS"] = str(settings_path)
        os.environ["GOVWATCH_DATABASE_URL"] = db_url
        print(
            f"示例站点群已在 127.0.0.1:{port} 上提供（{len(world.hosts)} 个主机）", file=sys.stderr
        )
        as_of = as_of or DEMO_AS_OF
        for argv in (
            ["init"],
            ["sites", "import", str(world.registry_path)],
            ["crawl", "--as-of", as_of],
        ):
            code = cli.main(argv)
            if code != 0:
                return code
        from govwatch.settings import load_settings
        from reports.site_report import write_findings_report

        settings = load_settings()
        index = write_findings_report(settings, out / "report", as_of=datetime.fromisoformat(as_of))
        print(f"演示完成，报告: {index}")
        if keep_serving:
            print(f"示例站点继续在 127.0.0.1:{port} 上提供，按 Ctrl-C 退出", file=sys.stderr)
            try:
                import time

                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return 0
    finally:
        server.stop()
