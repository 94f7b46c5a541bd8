"""The `govwatch probe [--site ID ...]` verb: probe every (or the named) site's home page once
and store the results (the probing itself is crawler.probe)."""

from __future__ import annotations

import argparse
import sys

from core.errors import UserError
from core.settings import Settings
from crawler.probe import probe_sites, summary_line
from store.database import open_factory


def add_probe_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `govwatch probe [--site ID ...]` on govwatch's sub-command parser."""
    p = sub.add_parser("probe", help="首页可用性探测（每个站点探测一次并保存结果）")
    p.add_argument("--site", action="append", metavar="ID", help="只探测这些站点（可重复）")
    p.set_defaults(func=cmd_probe)


def cmd_probe(args: argparse.Namespace, settings: Settings) -> int:
    factory = open_factory(settings)
    try:
        outcomes = probe_sites(factory, settings, args.site)
    except LookupError as exc:
        raise UserError(str(exc.args[0])) from None
    finally:
        factory.kw["bind"].dispose()
    if not outcomes:
        raise UserError("尚未登记任何站点，请先运行 govwatch sites import FILE")
    print(summary_line(outcomes))
    for o in outcomes:
        if not o.ok:
            print(f"{o.site_id}\t{o.url}\t{o.status or '-'}\t{o.error}", file=sys.stderr)
    return 0
