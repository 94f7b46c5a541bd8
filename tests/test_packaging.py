"""`pip install .` works anywhere: the wheel built from this checkout, installed into a fresh
virtual environment, carries every package with its templates and static files, scheduler.py
and the Alembic environment with every migration, and `govwatch init` and `govwatch serve` run
from a directory outside the checkout, importing govwatch from the wheel.

Offline: the wheel is built with --no-build-isolation (the setuptools already installed) and
the venv reuses the installed dependencies (--system-site-packages); govwatch itself is
installed into the venv from the wheel, whose site-packages comes first on sys.path.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.service.servers import free_port

# What a source distribution carries besides the packages (MANIFEST.in).
TOP_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "alembic.ini",
             "scheduler.py")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
WAIT = 120.0  # seconds any one step may take on a loaded machine


def _packages() -> list[str]:
    """The top-level packages pyproject.toml ships (its packages.find include list)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.rstrip("*").rstrip(".") for pattern in include})


@dataclass(frozen=True)
class Installed:
    source: Path  # the copy of the checkout the wheel was built from
    wheel: Path
    venv: Path
    python: Path
    env: dict[str, str]  # no PYTHONPATH, no settings or database of the caller
    cwd: Path  # outside the checkout

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=self.cwd, env={**self.env, **env}, capture_output=True,
                              text=True, timeout=WAIT)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    source.mkdir()
    for name in TOP_FILES:
        shutil.copy2(REPO / name, source / name)
    for name in ["alembic", *_packages()]:
        shutil.copytree(REPO / name, source / name, ignore=IGNORE)
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONPATH" and not k.startswith("GOVWATCH_")}
    dist = root / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(dist), str(source)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("govwatch-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=WAIT)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    cwd = root / "elsewhere"
    cwd.mkdir()
    yield Installed(source, wheel, venv, python, env, cwd)


def test_the_wheel_carries_every_file_a_command_needs(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {"scheduler.py"}
    for package in _packages():  # every module, template and static file of every package
        expected |= {path.relative_to(installed.source).as_posix()
                     for path in (installed.source / package).rglob("*") if path.is_file()}
    alembic = installed.source / "alembic"
    expected |= {"store/migrations/" + path.relative_to(alembic).as_posix()
                 for path in alembic.rglob("*") if path.suffix in (".py", ".mako")}
    assert {"store/migrations/env.py", "web/static/style.css"} <= expected
    assert any(n.startswith("store/migrations/versions/0001_") for n in expected)
    assert not expected - names, sorted(expected - names)
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_every_top_level_package_imports_from_the_venv(installed: Installed) -> None:
    modules = [*_packages(), "scheduler"]
    proc = installed.run(str(installed.python), "-c",
                         f"import {', '.join(modules)}\n"
                         f"for m in ({', '.join(modules)},): print(m.__file__)")
    assert proc.returncode == 0, proc.stderr
    files = proc.stdout.split()
    assert len(files) == len(modules)
    for file in files:  # the wheel's copy, not the checkout or an editable install
        assert Path(file).is_relative_to(installed.venv), file


def test_init_and_serve_from_outside_the_checkout(installed: Installed) -> None:
    govwatch = str(installed.venv / "bin" / "govwatch")
    db_url = f"sqlite:///{installed.cwd / 'govwatch.db'}"
    init = installed.run(govwatch, "init", GOVWATCH_DATABASE_URL=db_url)
    assert init.returncode == 0, init.stderr
    heads = sorted(p.name[:4] for p in (REPO / "alembic" / "versions").glob("[0-9]*.py"))
    assert f"版本 {heads[-1]}" in init.stdout  # every migration ran, from the wheel's copy

    settings = installed.cwd / "settings.toml"
    settings.write_text(f'[web]\nsecret_key = "{"k" * 48}"\n', encoding="utf-8")
    port = free_port()
    err = installed.cwd / "serve.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [govwatch, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=installed.cwd,
            env={**installed.env, "GOVWATCH_DATABASE_URL": db_url,
                 "GOVWATCH_SETTINGS": str(settings)},
            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + WAIT
        response: httpx.Response | None = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert response is not None, (f"serve did not answer (exit {proc.poll()}): "
                                      + err.read_text(encoding="utf-8")[-2000:])
        assert response.status_code == 200
        assert 'name="password"' in response.text and "登录" in response.text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, err.read_text(encoding="utf-8")[-2000:]
