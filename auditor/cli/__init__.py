"""voxaudit command line: options and printing only; the work is :mod:`auditor.service`'s.

Exit codes (documented in README.md):
  0  scan done, gates passed
  1  a gate failed: a finding at or above --fail-on, or the score below --fail-under
  2  bad input: options, inventory, profile, waivers or saved scan file
  3  nothing could be audited: every target failed collection
  4  internal error (reports already written are kept; set VOXAUDIT_DEBUG=1 for a traceback)

Each command lives in its own module (scan, saved, catalogue, history), imported only when it
runs, so ``voxaudit --version`` and ``--help`` do not load the collectors.
"""
from __future__ import annotations

import gc
import sys
from typing import Any

from voxaudit import __version__

COMMANDS = {  # name -> module:attribute, in the order --help lists them (the everyday ones first)
    "scan": "voxaudit.cli.scan:scan",
    "report": "voxaudit.cli.saved:report",
    "rescore": "voxaudit.cli.saved:rescore_cmd",
    "checks": "voxaudit.cli.catalogue:checks",
    "profiles": "voxaudit.cli.catalogue:profiles",
    "history": "voxaudit.cli.history:history_cmd",
    "diff": "voxaudit.cli.history:diff_cmd",
    "baseline": "voxaudit.cli.saved:baseline_cmd",
    "portfolio": "voxaudit.cli.saved:portfolio_cmd",
    "fix": "voxaudit.cli.fix:fix",
    "worker": "voxaudit.cli.scan:worker",
}


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # answered before click and the engine are imported
        print(f"voxaudit, version {__version__}")
        return
    # Start-up only creates objects that live until the process ends (modules, classes, click's
    # commands): the cyclic collector walking them again and again is ~10% of the start-up. It is
    # switched back on once the command's module is loaded (voxaudit.cli.app.LazyGroup.get_command).
    gc.disable()
    from voxaudit.cli.app import run

    run()


def __getattr__(name: str) -> Any:
    """``auditor.cli.cli`` (the click group) and ``catalogue_markdown``, loaded on first use."""
    if name == "cli":
        from voxaudit.cli.app import cli
        return cli
    if name == "catalogue_markdown":
        from voxaudit.cli.catalogue import catalogue_markdown
        return catalogue_markdown
    raise AttributeError(name)
