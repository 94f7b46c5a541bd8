"""The code stays lint- and type-clean: ruff over the tree, mypy as configured (strict on
checks/, reports/, store/, scheduler.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from scheduler import JOBS
from tests.conftest import REPO


def test_ruff_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_job_ids_are_unique_and_probes_meet_the_daily_minimum() -> None:
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids))
    probe = next(job for job in JOBS if job.id == "probe.home")
    assert 24 * 60 / probe.trigger_args["minutes"] >= 20


def test_example_settings_load_and_validate() -> None:
    from pathlib import Path

    from checks.runner import plan
    from core.settings import Settings, apply_file

    settings = apply_file(Settings(), Path(REPO / "config" / "settings.example.toml"))
    assert settings.crawler.contact == "webmaster@example.gov.cn"
    assert {p.spec.rule.code for p in plan(settings)} >= {"links.dead", "links.dead-home"}


def test_no_module_imports_the_command_line() -> None:
    """cli.py is the roof: what two commands share lives in its own module (core.errors,
    store.database, ...), so that no module imports govwatch.cli."""
    offenders = []
    for path in [*sorted(REPO.glob("*/**/*.py")), REPO / "scheduler.py"]:
        rel = path.relative_to(REPO)
        if rel.parts[0] in ("tests", "bench", "build") or rel == Path("govwatch/cli.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(n == "govwatch.cli" or n.startswith("govwatch.cli.") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


# The floors, top down (README "Layout"): a module may import its own package and the packages
# on floors below its own, never one above or beside it. Data flows down: the shell drives the
# dashboard, the reports, the checks, the crawler and the store, all of which stand on core/.
# (alembic/ is no package here: `alembic` in an import is the library, which store.session uses.)
FLOORS = {
    "govwatch": 7,
    "scheduler": 6,
    "web": 6,
    "reports": 5,
    "checks": 4,
    "crawler": 3,
    "store": 2,
    "core": 1,
}


def _imported_packages(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.extend((node.lineno, n.split(".")[0]) for n in names if n.split(".")[0] in FLOORS)
    return found


def test_imports_point_down_the_floors() -> None:
    offenders = []
    for path in [*sorted(REPO.glob("*/**/*.py")), REPO / "scheduler.py"]:
        rel = path.relative_to(REPO)
        own = rel.parts[0].removesuffix(".py")
        if own not in FLOORS:
            continue
        for lineno, package in _imported_packages(path):
            if package != own and FLOORS[package] >= FLOORS[own]:
                offenders.append(f"{rel}:{lineno} imports {package}")
    assert not offenders, offenders


def test_the_floor_test_sees_a_back_up_import(tmp_path: Path) -> None:
    """The walker above finds both spellings of an import (a near miss would pass silently)."""
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom web.users import x\nimport checks.base\n"
                      "from . import sibling\n", encoding="utf-8")
    assert _imported_packages(module) == [(2, "web"), (3, "checks")]
