"""The click group: commands resolved lazily from :data:`auditor.cli.COMMANDS`, and the last line of defence."""
from __future__ import annotations

import gc
import importlib
import os
import sys
from pathlib import Path
from typing import Any, Optional

import click

from voxaudit import __version__
from voxaudit.cli import COMMANDS
from voxaudit.cli.common import EXIT_INTERNAL, err, exit_at_once, styled
from voxaudit.cli.config import config_option, load_default_map, prepare

LEAF_CONFIG = "voxaudit.leaf_config"


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it); the commands are listed
    in :data:`COMMANDS` order, the everyday ones first."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(dict.fromkeys([*COMMANDS, *sorted(super().list_commands(ctx))]))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        # Noted before the group's callback runs, when the command's own arguments are no longer in sight.
        ctx.meta[LEAF_CONFIG] = any(a == "--config" or a.startswith("--config=") for a in rest)
        return rest

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            if not gc.isenabled():  # main() paused it for the start-up: what was loaded stays, out of its sight
                gc.freeze()
                gc.enable()
            prepare(command, (cmd_name,), ctx)  # its VOXAUDIT_* variables and its own --config
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Every option can also come from the environment (VOXAUDIT_SCAN_FAIL_ON, or VOXAUDIT_FAIL_ON "
                    "for an option several commands share) or from voxaudit.toml / [tool.voxaudit] in "
                    "pyproject.toml; the command line wins, then the environment, then the file. Shell "
                    "completion: eval \"$(_VOXAUDIT_COMPLETE=bash_source voxaudit)\". Exit codes: 0 ok, 1 a gate "
                    "failed, 2 bad input, 3 nothing could be audited, 4 internal error. See docs/operations.md.")
@click.version_option(__version__, prog_name="voxaudit")
@config_option()
@click.pass_context
def cli(ctx: click.Context, config_file: Optional[Path]) -> None:
    """voxaudit: HIPAA VoIP configuration auditor, offline or live.

    Reads the configuration of a clinic's phone system (Asterisk/FreePBX, FreeSWITCH, Kamailio,
    OpenSIPS, desk-phone provisioning files, switch running-configs, staff-phone MDM policies,
    packet captures) or probes it live (SIP, TLS, SNMP, SSH, switch CLI), checks it against a
    HIPAA Security Rule profile, and writes reports that say what to change, where, with the
    exact setting. Read-only; never reads voicemail audio or writes a secret into a report.

    \b
    Examples:
      voxaudit scan --config-dir /backups/pbx1 -f html,sarif -o out/
      voxaudit scan --config-dir etc/freeswitch --platform freeswitch
      voxaudit scan inventory.yaml --fail-on high --baseline voxaudit-baseline.json
      voxaudit scan --config-dir pbx1 -f sarif -o - > results.sarif
      voxaudit scan --config-dir pbx1 --checks 'ACC-*' --severity critical,high
      voxaudit report out/scan.json -f md          voxaudit rescore out/scan.json -p hipaa-2025-nprm
      voxaudit checks list --platform asterisk     voxaudit checks show AST-VM-108
      voxaudit history                             voxaudit diff
    """
    if config_file is None and ctx.meta.get(LEAF_CONFIG):
        return  # `voxaudit scan --config FILE`: that file replaces the ones found in the working directory
    ctx.default_map = load_default_map(config_file, cli, ctx) or None


def run(args: Optional[list[str]] = None) -> Any:
    """The ``voxaudit`` process (its console script and ``python -m voxaudit.cli``)."""
    exit_at_once()
    try:
        return cli.main(args=args, prog_name="voxaudit", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("interrupted. A scan keeps what it had collected in OUTPUT/targets.partial.jsonl: "
                  "run the same command with --resume to finish it.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # the last line of defence: a sentence, not a traceback
        if os.environ.get("VOXAUDIT_DEBUG"):
            raise
        # The type only: an exception's message may quote a value read from a configuration.
        err.print(styled("internal error: ", "bold red", f"{exc.__class__.__name__}. Please report it; "
                                "set VOXAUDIT_DEBUG=1 to see the traceback."), soft_wrap=True, highlight=False)
        sys.exit(EXIT_INTERNAL)
