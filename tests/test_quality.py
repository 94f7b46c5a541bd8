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
    from govwatch.settings import Settings, apply_file

    settings = apply_file(Settings(), Path(REPO / "config" / "settings.example.toml"))
    assert settings.crawler.contact == "webmaster@example.gov.cn"
    assert {p.spec.rule.code for p in plan(settings)} >= {"links.dead", "links.dead-home"}


def test_no_module_imports_the_command_line() -> None:
    """cli.py is the roof: what two commands share lives in its own module (govwatch.errors,
    govwatch.database, ...), so that no module imports govwatch.cli."""
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
