"""Build hook (everything else is declared in pyproject.toml).

The Alembic environment lives in the checkout's alembic/ (where `alembic upgrade head` and new
migrations expect it, next to alembic.ini). A directory named `alembic` cannot be a package of
ours (it would shadow the Alembic library), so the build copies it into the store package as
store/migrations: an installed govwatch then creates and upgrades its schema from any
directory (store.session.alembic_dir finds either copy).
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ALEMBIC = Path(__file__).resolve().parent / "alembic"
SUFFIXES = (".py", ".mako")


class BuildPyWithMigrations(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's alembic/ directly
        target = Path(self.build_lib) / "store" / "migrations"
        for path in sorted(ALEMBIC.rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                out = target / path.relative_to(ALEMBIC)
                self.mkpath(str(out.parent))
                self.copy_file(str(path), str(out))


setup(cmdclass={"build_py": BuildPyWithMigrations})
