"""The PDF report: the evidence a clinic hands its HIPAA auditor.

It is the HTML report rendered for print (``for_print``: passed checks expanded) and printed by
headless Chromium with the template's print stylesheet: Letter pages numbered in the footer, light
fix blocks instead of dark ones, a finding never split across pages when it fits on one. Chromium
is a system package (Debian: ``chromium``), found on PATH or at ``$VOXAUDIT_CHROMIUM``; without it
the PDF fails with :class:`PdfError` naming what to install, and every other format is still written.

The browser loads one local file, with a Content-Security-Policy that forbids every request and
every script, in a throw-away profile; the sandbox stays on unless running as root (where Chromium
refuses to start with it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from voxaudit import __version__
from voxaudit.reports.model import ReportModel
from voxaudit.reports.render import _env

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT_S = 300.0
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: apt-get install chromium; Fedora: dnf install chromium; "
                "macOS: brew install --cask chromium) or set VOXAUDIT_CHROMIUM to a Chromium or Chrome executable")
# The report's own policy (its CSP) forbids scripts and requests; these keep the browser itself quiet.
# (--blink-settings=scriptEnabled=false would be redundant, and stops headless printing altogether.)
_FLAGS = ("--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
          "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-default-apps", "--disable-breakpad", "--metrics-recording-only", "--mute-audio",
          "--hide-scrollbars", "--no-pdf-header-footer")


class PdfError(Exception):
    """The PDF could not be made; ``written`` holds the reports that were (every other format)."""

    def __init__(self, message: str, written: Optional[list[Path]] = None) -> None:
        super().__init__(message)
        self.written = list(written or [])


# Failing resources printed per finding: a 10,000-extension clinic with one shared weakness would
# otherwise print 900 pages of identical rows; the rest are named in the other reports.
PRINT_ROWS = 50


def find_chromium() -> Optional[str]:
    """``$VOXAUDIT_CHROMIUM`` if set (and then only it), else the first Chromium or Chrome on PATH."""
    chosen = os.environ.get("VOXAUDIT_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) and Path(chosen).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_print_html(model: ReportModel) -> str:
    """The HTML report as printed: what the PDF shows, nothing more."""
    return _env(True).get_template("report.html.j2").render(m=model, doc=model.doc, version=__version__, for_print=True,
                                                            print_rows=PRINT_ROWS)


def html_to_pdf(html: str, timeout: float = TIMEOUT_S) -> bytes:
    """Print ``html`` (a self-contained page) to PDF with headless Chromium."""
    exe = find_chromium()
    if exe is None:
        where = "$VOXAUDIT_CHROMIUM is not an executable file" if os.environ.get("VOXAUDIT_CHROMIUM") else \
            "no Chromium or Chrome on PATH"
        raise PdfError(f"the pdf format needs headless Chromium ({where}): {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="voxaudit-pdf-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [exe, *_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={out}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--no-sandbox")
        cmd.append(page.as_uri())
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"the pdf format: Chromium ({exe}) did not finish within {timeout:.0f} s") from None
        except OSError as exc:
            raise PdfError(f"the pdf format: cannot run {exe}: {exc.strerror or exc}; {INSTALL_HINT}") from None
        data = out.read_bytes() if out.is_file() else b""
        if proc.returncode != 0 or not data.startswith(b"%PDF"):
            last = " ".join(proc.stderr.strip().splitlines()[-2:])[-300:]
            raise PdfError(f"the pdf format: Chromium ({exe}) exited {proc.returncode} without a PDF"
                           + (f": {last}" if last else ""))
        return data


def pdf_bytes(model: ReportModel) -> bytes:
    """The report as a PDF (for ``-o -``: bytes, not text)."""
    return html_to_pdf(render_print_html(model))


def write_pdf(model: ReportModel, path: Path, written: Optional[list[Path]] = None) -> Path:
    """Write ``path`` (report.pdf) atomically; on failure raise :class:`PdfError` carrying ``written``,
    the reports already on disk."""
    try:
        data = pdf_bytes(model)
    except PdfError as exc:
        raise PdfError(str(exc), written) from None
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
