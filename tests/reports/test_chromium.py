"""The HTML report in a real browser: a screenshot a person can look at (written under
tests/_artifacts/), and the PDF printed from it."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from reports.cli import generate
from reports.pdf import screenshot
from tests.reports.conftest import World
from tests.reports.test_outputs import T1


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_quarterly_report_screenshots(world: World, tmp_path: Path, artifacts: Path) -> None:
    done = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path, generated_at=T1)
    backend = world.url.split(":", 1)[0]
    shot = screenshot(done.report, artifacts / f"report-quarterly-{backend}.png",
                      width=1280, height=2600)
    assert png_size(shot) == (1280, 2600)
    assert shot.stat().st_size > 100_000  # a rendered page, not a blank one
    assert done.sites_dir is not None
    site = screenshot(done.sites_dir / "c3.html", artifacts / f"report-site-c3-{backend}.png",
                      width=1280, height=1200)
    assert png_size(site) == (1280, 1200) and site.stat().st_size > 50_000


def test_pdf_report_and_site_lists(world: World, tmp_path: Path) -> None:
    done = generate(world.settings, "quarterly", "2026-Q3", fmt="pdf", out=tmp_path,
                    generated_at=T1)
    assert done.report == tmp_path / "quarterly-2026-Q3" / "report.pdf"
    data = done.report.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) >= 2  # A4 pages
    assert done.sites_file is not None and done.site_lists == 10
    sites = done.sites_file.read_bytes()
    assert sites.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", sites)) >= 10  # a page per site at least
