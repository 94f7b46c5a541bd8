"""Page-analysis benchmark: CPU per page of `crawler.pool.analyse` (decode, extract, facts as
stored, body compression). A script that PRINTS figures; it asserts nothing about time.

Corpus groups (each optional):
- bench: HTML pages of a world written by bench/crawl.py (`--bench-sites DIR`, default
  /tmp/bmid/sites), a deterministic sample of `--bench-pages` spread over sites and page kinds;
- real: the hand-labelled real pages (`--real DIR`, default /work/shared/realpages/pages);
- demo: every HTML page of the demo world (govwatch.demo.world), in its sites' encodings
  (UTF-8 and GBK); built into a temporary directory unless `--demo DIR` names a built one.

CPU time (time.process_time) is measured, not wall time: the machine is shared. Each group is
timed `--rounds` times and the fastest round is reported. `--content both` times every round
with the content checks' extraction on and off (`[crawler] content_extraction`), alternately,
and prints both and what the content extraction costs.

    PYTHONPATH=$PWD python bench/extract.py
    PYTHONPATH=$PWD python bench/extract.py --groups bench --rounds 5 --profile 30
    PYTHONPATH=$PWD python bench/extract.py --content both --rounds 5
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from crawler.pool import analyse

# (group, url, body, charset)
Page = tuple[str, str, bytes, str | None]


def bench_pages(root: Path, count: int) -> Iterator[Page]:
    """`count` pages spread evenly over the sorted list of all pages (all sites, all kinds)."""
    paths = sorted(p for p in root.rglob("*.html") if p.is_file())
    if not paths:
        return
    step = max(1, len(paths) // count)
    for path in paths[::step][:count]:
        rel = path.relative_to(root)
        url = f"http://{rel.parts[0]}.bench.test/" + "/".join(rel.parts[1:])
        yield "bench", url, path.read_bytes(), "utf-8"


def real_pages(root: Path) -> Iterator[Page]:
    for path in sorted(root.iterdir()):
        if path.is_file() and path.suffix in (".html", ".htm"):
            yield "real", f"https://real.test/{path.name}", path.read_bytes(), None


def demo_pages(root: Path) -> Iterator[Page]:
    """Every HTML page of a built demo world, with the charset its server sends (none for the
    second copy of each non-UTF-8 page, so that the decoder's own detection is exercised)."""
    hosts = json.loads((root / "behaviours.json").read_text("utf-8"))["hosts"]
    www = root / "www"
    for path in sorted(www.rglob("*.html")):
        rel = path.relative_to(www)
        host = rel.parts[0]
        charset = hosts.get(host, {}).get("charset", "utf-8")
        url = f"http://{host}/" + "/".join(rel.parts[1:])
        body = path.read_bytes()
        yield "demo", url, body, charset
        if charset != "utf-8":
            yield "demo", url, body, None


def corpus(args: argparse.Namespace) -> list[Page]:
    pages: list[Page] = []
    groups = set(args.groups.split(","))
    if "bench" in groups and Path(args.bench_sites).is_dir():
        pages += bench_pages(Path(args.bench_sites), args.bench_pages)
    if "real" in groups and Path(args.real).is_dir():
        pages += real_pages(Path(args.real))
    if "demo" in groups:
        if args.demo:
            pages += demo_pages(Path(args.demo))
        else:
            from govwatch.demo.world import build_world

            with tempfile.TemporaryDirectory() as tmp:
                world = build_world(Path(tmp) / "world")
                pages += demo_pages(world.root)
    return pages


# A page row: analyse() then also builds what is stored (facts dict, body, links), as the
# extraction workers do for every page they store.
ROW: dict[str, object] = {}


def time_round(pages: list[Page], content: bool) -> float:
    """CPU seconds for analysing every page once."""
    start = time.process_time()
    for _, url, body, charset in pages:
        analyse(url, body, charset, ROW, content=content)
    return time.process_time() - start


def time_group(pages: list[Page], rounds: int, modes: tuple[bool, ...]) -> dict[bool, float]:
    """Fastest round's CPU seconds per content mode; the modes alternate round by round, so
    that a change in the machine's load touches both alike."""
    best = dict.fromkeys(modes, float("inf"))
    for _ in range(rounds):
        for content in modes:
            best[content] = min(best[content], time_round(pages, content))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", default="bench,real,demo")
    parser.add_argument("--bench-sites", default="/tmp/bmid/sites")
    parser.add_argument("--bench-pages", type=int, default=2000)
    parser.add_argument("--real", default="/work/shared/realpages/pages")
    parser.add_argument("--demo", default="", help="a built demo world (default: build one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--content", choices=("on", "off", "both"), default="on",
                        help="content checks' extraction on, off, or both alternately")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also profile one round and print the top N functions by self time")
    args = parser.parse_args()

    pages = corpus(args)
    if not pages:
        print("no pages found", file=sys.stderr)
        return 1
    modes = {"on": (True,), "off": (False,), "both": (True, False)}[args.content]
    for _, url, body, charset in pages[:50]:  # warm-up: imports, regex compilation
        analyse(url, body, charset, ROW, content=modes[0])

    print(f"{'group':<6} {'content':>7} {'pages':>6} {'kB/page':>8} {'ms/page':>8} "
          f"{'pages/s':>8}")
    for group in ("bench", "real", "demo"):
        selected = [page for page in pages if page[0] == group]
        if not selected:
            continue
        best = time_group(selected, args.rounds, modes)
        kb = sum(len(page[2]) for page in selected) / len(selected) / 1024
        for content, seconds in best.items():
            print(f"{group:<6} {'on' if content else 'off':>7} {len(selected):>6} {kb:>8.1f} "
                  f"{seconds / len(selected) * 1000:>8.3f} {len(selected) / seconds:>8.0f}")
        if len(best) == 2:
            print(f"{group:<6} content extraction costs {best[True] / best[False] - 1:+.1%} CPU "
                  f"per page; pages/s with it on: {best[False] / best[True] - 1:+.1%}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _, url, body, charset in pages:
            analyse(url, body, charset, ROW, content=modes[0])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
