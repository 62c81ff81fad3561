"""extensions.lua: a dialplan written in Lua, which pbx_lua loads and voxaudit does not read.

pbx_lua.c reads ``extensions.lua`` from Asterisk's configuration directory when the module loads
(``lua_read_extensions_file``: the file itself; it declines to load without it) and registers a
``Lua`` switch in every context its ``extensions`` table names (``lua_register_switches``): those
contexts are live dialplan, reachable like extensions.conf's. Lua is a program, not a configuration
dialect: which applications it runs (``VoiceMailMain`` without a PIN, ``MixMonitor``) cannot be
told without running it. So a present extensions.lua with code is, while pbx_lua loads, a gap on the
dialplan controls (a warning that lowers their coverage), never silence; when pbx_lua does not load,
a note. The file is never executed nor parsed; only its size in lines is measured (bounded, linear).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from voxaudit.facts.asterisk_modules import unread_while_loaded
from voxaudit.parsers.asterisk_conf import DEFAULT_ASTERISK_CONFIG_DIR, MAX_FILE_BYTES, ParsedConfig
from voxaudit.parsers.files import UnreadableFile, read_config_file
from voxaudit.parsers.problem import Problem, label

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

LUA_ROOT = "extensions.lua"
MODULE = "pbx_lua"


def _code_lines(text: str) -> int:
    """Lines holding Lua code: not blank, not a ``--`` comment, not inside a ``--[[ ... ]]`` (or
    ``--[==[ ... ]==]``) long comment. One pass over the text."""
    count = 0
    closing = ""  # the "]]" / "]=]" that ends the long comment we are in
    for line in text.split("\n"):
        s = line.strip()
        if closing:
            end = s.find(closing)
            if end < 0:
                continue
            s = s[end + len(closing):].strip()
            closing = ""
        if not s:
            continue
        if s.startswith("--["):
            rest = s[3:].lstrip("=")
            if rest.startswith("["):
                close = "]" + "=" * (len(s) - 3 - len(rest)) + "]"
                end = rest.find(close, 1)
                if end < 0:
                    closing = close
                elif rest[end + len(close):].strip():
                    count += 1  # code after a one-line long comment
                continue
        if s.startswith("--"):
            continue
        count += 1
    return count


def read_lua(config_dir: Path | str, root: str = LUA_ROOT,
             asterisk_dir: str = DEFAULT_ASTERISK_CONFIG_DIR) -> ParsedConfig:
    """extensions.lua as a collector sees it: present or not, readable or not, how many code lines.
    Same guards as the .conf reader: a link out of the configuration directory is not followed, only a
    bounded regular file is read. ``asterisk_dir`` is accepted for the reader signature (pbx_lua reads
    no include)."""
    result = ParsedConfig(root=root, config_dir=str(config_dir))
    path = os.path.join(str(config_dir), root)
    if not os.path.lexists(path):
        result.found = False
        return result
    try:
        base = os.path.realpath(str(config_dir))
        real = os.path.realpath(path)
    except (OSError, RuntimeError, ValueError):
        result.problems.append(Problem(root, 0, "cannot resolve the file's location; not read", True))
        return result
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        how = " is a symbolic link" if os.path.islink(path) else " resolves"
        result.problems.append(Problem(root, 0, f"{label(root, 64)}{how} outside the configuration directory; not "
                                       "read; copy the configuration with links followed (cp -rL, rsync -L, tar -h) "
                                       "or scan the host live", True))
        return result
    try:
        raw = read_config_file(real, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        result.problems.append(Problem(root, 0, exc.reason, True))
        return result
    result.files.append(root)
    result.content_lines = _code_lines(raw.decode("utf-8", errors="replace"))
    return result


def build_lua(pc: ParsedConfig, b: BuildContext) -> None:
    """A gap when pbx_lua loads and extensions.lua holds code (its contexts are not audited), a note otherwise."""
    if not pc.content_lines:
        return
    unread_while_loaded(b, MODULE, LUA_ROOT, lambda why: (
        f"{MODULE} loads ({why}) and {LUA_ROOT} holds a Lua dialplan ({pc.content_lines} line(s) of code): voxaudit "
        "does not run or read Lua, so what its contexts let callers reach (voicemail without a PIN, call recording) "
        f"is not audited; review it by hand or unload it (noload => {MODULE}.so)"))
