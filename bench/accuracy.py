"""Precision and recall per check on the demo world, end to end.

    python bench/accuracy.py [--out DIR]

Builds the demo world, serves it on loopback, runs `govwatch init`, `sites import`, the demo's
probe pass (govwatch.demo.probes) and `crawl --as-of <the world's instant>` as `govwatch demo`
does (SQLite in a temp dir), then compares the stored findings with the ones the world planted
(expected.json, computed by the generator from what it planted) and prints, per check:
expected, reported, true positives, precision and recall; plus the severity agreement for
checks whose severity depends on the site (veto or deduct). It prints figures and asserts
nothing; the e2e tests assert.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import load_settings  # noqa: E402
from govwatch.demo.probes import probe_demo_sites  # noqa: E402
from govwatch.demo.run import demo_settings_text  # noqa: E402
from govwatch.demo.server import DemoServer  # noqa: E402
from govwatch.demo.world import AS_OF, build_world  # noqa: E402

Key = tuple[str, str, str, str]


def gw(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"govwatch {' '.join(args)} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="keep the world and database here")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="govwatch-accuracy-"))
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(out / "world")
    expected = json.loads(world.expected_path.read_text(encoding="utf-8"))
    db = out / "accuracy.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with DemoServer(world) as server:
        settings = out / "settings.toml"
        settings.write_text(demo_settings_text(world, server.port, f"sqlite:///{db}"),
                            encoding="utf-8")
        env = dict(os.environ, GOVWATCH_SETTINGS=str(settings),
                   GOVWATCH_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(ROOT))
        gw(env, "init")
        gw(env, "sites", "import", str(world.registry_path))
        started = time.monotonic()
        probe_demo_sites(load_settings(settings), datetime.fromisoformat(AS_OF))
        summary = gw(env, "crawl", "--quiet", "--as-of", AS_OF).strip()
        seconds = time.monotonic() - started
        rows = [json.loads(line) for line in
                gw(env, "findings", "--format", "json").splitlines()]

    checks = sorted(expected["checks"])
    want: dict[str, set[Key]] = defaultdict(set)
    for f in expected["findings"]:
        want[f["check"]].add((f["site"], f["check"], f["url"], f["page"]))
    got: dict[str, set[Key]] = defaultdict(set)
    severity: dict[Key, str] = {}
    for r in rows:
        key = (r["site"], r["check"], r["url"], r["page"])
        got[r["check"]].add(key)
        severity[key] = r["severity"]
    expected_severity: dict[Key, str] = {}
    for k, v in expected.get("severities", {}).items():
        site, check, url, page = k.split("|")
        expected_severity[(site, check, url, page)] = v

    pages = expected["pages"]
    n_pages = sum(len(v) for v in pages.values()) if isinstance(pages, dict) else len(pages)
    print(f"demo world: {n_pages} pages; probes + crawl + checks {seconds:.1f} s; {summary}")
    print(f"{'check':32} {'expected':>8} {'reported':>8} {'TP':>5} {'precision':>9} "
          f"{'recall':>7}")
    all_ok = True
    for code in checks:
        tp = len(want[code] & got[code])
        precision = tp / len(got[code]) if got[code] else 1.0
        recall = tp / len(want[code]) if want[code] else 1.0
        all_ok &= precision == 1.0 and recall == 1.0
        print(f"{code:32} {len(want[code]):8} {len(got[code]):8} {tp:5} {precision:9.3f} "
              f"{recall:7.3f}")
    unexpected = sorted(set(got) - set(checks))
    if unexpected:
        print(f"checks without expectations in this world: {', '.join(unexpected)}")
    agree = sum(1 for k, v in expected_severity.items() if severity.get(k) == v)
    print(f"severity agreement on site-dependent findings: {agree}/{len(expected_severity)}")
    print("all checks precision = recall = 1.0" if all_ok else "NOT all checks at 1.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
