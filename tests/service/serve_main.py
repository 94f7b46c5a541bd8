"""`python -m tests.service.serve_main --port N`: govwatch.serve.serve as `govwatch serve` runs it,
with the real dashboard when web.app exists, else the test stand-in (never shipped)."""

from __future__ import annotations

import argparse
import sys

from core.settings import load_settings
from govwatch.serve import add_serve_parser


def main() -> int:
    parser = argparse.ArgumentParser(prog="govwatch")
    add_serve_parser(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(["serve", *sys.argv[1:]])
    settings = load_settings()
    try:
        import web.app  # noqa: F401
    except ImportError:
        from govwatch.serve import serve
        from tests.service.stub_app import stub_app

        return serve(settings, args.host, args.port, app=stub_app)
    return int(args.func(args, settings))


if __name__ == "__main__":
    sys.exit(main())
