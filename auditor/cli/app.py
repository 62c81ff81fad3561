"""The click group: commands resolved lazily from :data:`auditor.cli.COMMANDS`, and the last line of defence."""
from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Optional

import click
from rich.text import Text

from auditor import __version__
from auditor.cli import COMMANDS
from auditor.cli.common import EXIT_INTERNAL, err


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voxaudit")
def cli() -> None:
    """voxaudit: HIPAA VoIP configuration auditor.

    Audits PBX configuration (Asterisk/FreePBX today) against HIPAA safeguards and writes
    reports that say what to change, where, with the exact setting.
    """


def run(args: Optional[list[str]] = None) -> Any:
    try:
        return cli.main(args=args, standalone_mode=False)
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
        err.print(Text.assemble(("internal error: ", "bold red"), f"{exc.__class__.__name__}. Please report it; "
                                "set VOXAUDIT_DEBUG=1 to see the traceback."), soft_wrap=True, highlight=False)
        sys.exit(EXIT_INTERNAL)
