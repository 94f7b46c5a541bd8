"""PDF (and PNG screenshots) from the HTML reports, printed by headless Chromium.

Chromium is an optional system dependency (`apt-get install chromium fonts-noto-cjk`): the
HTML and XLSX reports never need it, and a missing browser is one clear line, not a trace.
Each run gets a fresh profile directory and every background service switched off, so that
printing a report never touches the network or a user's browser profile. Set
`GOVWATCH_CHROMIUM` to use another binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "apt-get install chromium fonts-noto-cjk"
TIMEOUT = 900.0
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
)


class PdfError(RuntimeError):
    """Chromium is missing or failed; the message is one line of Chinese."""


def find_chromium() -> str:
    override = os.environ.get("GOVWATCH_CHROMIUM")
    if override:
        if shutil.which(override) is None:
            raise PdfError(f"GOVWATCH_CHROMIUM 指向的程序不存在: {override}")
        return override
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(f"生成 PDF 需要 Chromium 和中文字体，未找到 Chromium：请安装 {INSTALL_HINT}")


def _run(args: list[str], output: Path, what: str) -> None:
    binary = find_chromium()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="govwatch-chromium-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium 生成{what}超时（{TIMEOUT:.0f} 秒）") from None
        except OSError as exc:
            raise PdfError(f"无法运行 Chromium（{binary}）: {exc.strerror}") from None
    if proc.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        detail = " ".join((proc.stderr or "").split())[-300:]
        raise PdfError(f"Chromium 生成{what}失败（退出码 {proc.returncode}）: {detail}")


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print an HTML file to PDF (A4 from the page's @page rule, no browser header/footer)."""
    _run(["--no-pdf-header-footer", "--print-to-pdf-no-header",
          f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri()], pdf, " PDF")
    return pdf


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the top of a page as a person would see it on screen."""
    _run([f"--window-size={width},{height}", f"--screenshot={png.resolve()}",
          html.resolve().as_uri()], png, "截图")
    return png
