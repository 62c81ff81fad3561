"""Option values from a configuration file and from ``VOXAUDIT_*`` environment variables.

Precedence, for every option of every command: the command line, then the environment, then the
configuration file, then the built-in default. Both sources feed click's own machinery (an option's
``envvar`` list and the context's ``default_map``), so a value from either is converted and checked
exactly as if it had been typed.

The file is ``--config FILE`` (or ``$VOXAUDIT_CONFIG``); otherwise ``voxaudit.toml`` in the working
directory; otherwise the ``[tool.voxaudit]`` table of ``./pyproject.toml``. Keys are option names as
spelled on the command line without the dashes (``fail-on``; ``fail_on`` also works). Top-level keys
are the shared options (see :class:`SharedOption`) and apply to every command that has them; a table
named after a command (``[scan]``, ``[checks.list]``) holds that command's options and wins over the
top level. An unknown key or table is an error naming it, never its value (a value may be a secret).

Environment: ``VOXAUDIT_<COMMAND>_<OPTION>`` for every option (``VOXAUDIT_SCAN_FAIL_ON``,
``VOXAUDIT_CHECKS_LIST_FORMAT``), and ``VOXAUDIT_<OPTION>`` for the shared ones (``VOXAUDIT_FAIL_ON``),
the command's own name winning.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

import click

PREFIX = "VOXAUDIT"
CONFIG_ENV = "VOXAUDIT_CONFIG"
CONFIG_NAME = "voxaudit.toml"
_NO_ENV = {"help", "version", "config"}


class ConfigError(click.ClickException):
    """A configuration file that cannot be used: exit 2, one line, naming the file and key only."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        from rich.text import Text

        from voxaudit.cli.common import err
        from voxaudit.reports.escaping import terminal_safe
        err.print(Text.assemble(("error: ", "bold red"), terminal_safe(self.message)), soft_wrap=True, highlight=False)


class SharedOption(click.Option):
    """An option that means the same in every command having it (``--fail-on``, ``--profile``...): it may be
    set once, at the top of the configuration file or as ``VOXAUDIT_<OPTION>``, for all of them."""

    shared = True


def option_key(opt: click.Option) -> str:
    """``--fail-on`` -> ``fail-on``: how the option is named in the file and in the environment."""
    longs = [o for o in opt.opts if o.startswith("--")]
    return (longs[0] if longs else opt.opts[0]).lstrip("-")


def env_name(*parts: str) -> str:
    return "_".join([PREFIX, *(p.upper().replace("-", "_") for p in parts)])


def walk(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every leaf command under ``group`` with its path (``("checks", "list")``)."""
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None:
            continue
        if isinstance(cmd, click.Group):
            yield from walk(cmd, ctx, path + (name,))
        else:
            yield path + (name,), cmd


def options_of(cmd: click.Command) -> dict[str, click.Option]:
    return {option_key(p): p for p in cmd.params
            if isinstance(p, click.Option) and p.name not in _NO_ENV and not p.hidden}


def prepare(cmd: click.Command, path: tuple[str, ...], ctx: click.Context) -> None:
    """Give each option of ``cmd`` (of each command under it, for a group) its environment variables and a
    ``--config`` of its own. Idempotent: commands are module-level objects, resolved many times."""
    if getattr(cmd, "_voxaudit_prepared", False):
        return
    if isinstance(cmd, click.Group):
        for sub_path, leaf in walk(cmd, ctx, path):
            prepare(leaf, sub_path, ctx)
        cmd._voxaudit_prepared = True  # type: ignore[attr-defined]
        return
    for key, opt in options_of(cmd).items():
        if opt.envvar is None:
            names = [env_name(*path, key)]
            if getattr(opt, "shared", False):
                names.append(env_name(key))
            opt.envvar = names
    if not any(p.name == "config" for p in cmd.params):
        cmd.params.append(config_option(leaf=True))
    cmd._voxaudit_prepared = True  # type: ignore[attr-defined]


def _leaf_config(ctx: click.Context, _param: click.Parameter, value: Optional[Path]) -> None:
    """``voxaudit scan --config FILE``: eager, so the file's values are in place before the other options."""
    if value is None:
        return
    root = ctx.find_root()
    assert isinstance(root.command, click.Group)
    path: list[str] = []
    here: Optional[click.Context] = ctx
    while here is not None and here is not root:
        path.insert(0, here.info_name or "")
        here = here.parent
    node: Any = load_default_map(value, root.command, root)
    for part in path:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    ctx.default_map = node or None


def config_option(leaf: bool = False) -> Any:
    kwargs: dict[str, Any] = dict(
        type=click.Path(path_type=Path, dir_okay=False, exists=True), envvar=None if leaf else CONFIG_ENV,
        help=f"Options from this TOML file (default: ./{CONFIG_NAME}, else [tool.voxaudit] in ./pyproject.toml). "
             f"Also ${CONFIG_ENV}.")
    if leaf:
        return click.Option(["--config"], is_eager=True, expose_value=False, callback=_leaf_config, **kwargs)
    return click.option("--config", "config_file", **kwargs)


def find_config(explicit: Optional[Path], cwd: Optional[Path] = None) -> Optional[tuple[Path, dict[str, Any]]]:
    """The configuration in force and its table, or None."""
    if explicit is not None:
        data = _read(explicit)
        if explicit.name == "pyproject.toml":
            return explicit, _tool_table(data, explicit) or {}
        return explicit, data
    here = cwd or Path.cwd()
    own = here / CONFIG_NAME
    if own.is_file():
        return own, _read(own)
    pyproject = here / "pyproject.toml"
    if pyproject.is_file():
        table = _tool_table(_read(pyproject), pyproject)
        if table is not None:
            return pyproject, table
    return None


def _read(path: Path) -> dict[str, Any]:
    """The file as a table, through the one bounded reader of people's files (UTF-16, a FIFO, deep nesting
    or a 5,000-digit number is one line naming the file, exit 2)."""
    from voxaudit.structured import StructuredFileError, load_toml

    try:
        return load_toml(path, "configuration file")
    except StructuredFileError as exc:
        raise ConfigError(str(exc)) from None


def _tool_table(data: dict[str, Any], path: Path) -> Optional[dict[str, Any]]:
    tool = data.get("tool")
    table = tool.get("voxaudit") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.voxaudit] must be a table")
    return table


def load_default_map(path: Optional[Path], root: click.Group, ctx: click.Context,
                     cwd: Optional[Path] = None) -> dict[str, Any]:
    """The click ``default_map`` for the whole command tree from the configuration in force ({} if none)."""
    found = find_config(path, cwd)
    if found is None:
        return {}
    return build_default_map(found[1], str(found[0]), root, ctx)


def build_default_map(data: dict[str, Any], source: str, root: click.Group, ctx: click.Context) -> dict[str, Any]:
    from voxaudit.structured import shown_key  # names a snake_case key only: a pasted password is not echoed

    leaves = dict(walk(root, ctx))
    groups = {path[:i] for path in leaves for i in range(1, len(path))}
    shared: dict[str, list[tuple[tuple[str, ...], click.Option]]] = {}
    for path, cmd in leaves.items():
        for key, opt in options_of(cmd).items():
            if getattr(opt, "shared", False):
                shared.setdefault(key, []).append((path, opt))
    out: dict[str, Any] = {}

    def put(path: tuple[str, ...], opt: click.Option, value: Any, where: str) -> None:
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[opt.name] = _value(opt, value, where, source)

    tables: list[tuple[tuple[str, ...], Any]] = []
    for raw_key, value in data.items():
        key = raw_key.replace("_", "-")
        if (key,) in leaves or (key,) in groups:
            tables.append(((key,), value))
        elif key in shared:
            for path, opt in shared[key]:
                put(path, opt, value, raw_key)
        else:
            raise ConfigError(f"{source}: unknown key {shown_key(raw_key)!r}; top-level keys are the options shared by several "
                              f"commands ({', '.join(sorted(k for k in shared if (k,) not in groups))}) and tables "
                              f"named after a command ({', '.join(sorted('[' + '.'.join(p) + ']' for p in leaves))})")
    while tables:  # command tables after the top level: they win
        path, value = tables.pop(0)
        name = ".".join(path)
        if not isinstance(value, dict):
            also = (f"; for the --{name} option, put it in the table of a command that takes it "
                    f"({', '.join(sorted('[' + '.'.join(p) + ']' for p, _ in shared[name]))})" if name in shared else "")
            raise ConfigError(f"{source}: {name!r} must be a table ([{name}]) of the options of "
                              f"'voxaudit {' '.join(path)}'{also}")
        if path in groups:
            for raw_key, sub in value.items():
                sub_path = path + (raw_key.replace("_", "-"),)
                if sub_path not in leaves and sub_path not in groups:
                    raise ConfigError(f"{source}: unknown table [{name}.{shown_key(raw_key)}]; 'voxaudit {' '.join(path)}' has "
                                      f"{', '.join(sorted(p[len(path)] for p in leaves if p[:len(path)] == path))}")
                tables.append((sub_path, sub))
            continue
        opts = options_of(leaves[path])
        for raw_key, item in value.items():
            opt = opts.get(raw_key.replace("_", "-"))
            if opt is None:
                raise ConfigError(f"{source}: unknown key {shown_key(raw_key)!r} in [{name}]; 'voxaudit {' '.join(path)}' takes "
                                  f"{', '.join(sorted(opts))}")
            put(path, opt, item, f"{name}.{raw_key}")
    return out


def _value(opt: click.Option, value: Any, where: str, source: str) -> Any:
    """The file's value in the shape click expects; a wrong shape names the key, not the value."""
    scalar = (str, int, float, bool)
    if opt.multiple:
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, scalar) for v in items):
            raise ConfigError(f"{source}: {where} must be a string or a list of strings")
        return [str(v) if not isinstance(v, str) else v for v in items]
    if opt.is_flag and not isinstance(value, bool):
        raise ConfigError(f"{source}: {where} must be true or false")
    if not isinstance(value, scalar):
        raise ConfigError(f"{source}: {where} takes one value (a string or a number)")
    return value
