"""Which modules Asterisk loads (modules.conf, as main/loader.c reads it), and the channel drivers whose
configuration voxaudit does not read.

``loader_config_init()``: explicit ``load``/``require``/``preload``/``preload-require`` entries load a
module, ``autoload=yes`` loads every module installed, and ``noload`` removes a module whichever way it
got there; names match case-insensitively, with or without ``.so`` (``resource_name_match()``). A channel
driver also declines to load without its own configuration file.

Channel drivers whose signalling and media are plaintext by design (SCCP: chan_skinny or chan-sccp-b's
chan_sccp; MGCP, UNIStim, H.323) are not audited. Their configuration, present with content while the
module loads, is a gap (a warning that lowers the coverage of the transport controls), never silence;
when the module does not load, a note.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from voxaudit.facts.common import ConfigObject, ParseProblem
from voxaudit.model import SourceRef
from voxaudit.parsers.asterisk_conf import ParsedConfig

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

_LOAD_KEYS = ("load", "require", "preload", "preload-require")
_TRUE = {"yes", "true", "y", "t", "1", "on"}

# root -> (module, what a clinic would run it for and why it is not judged)
NOT_AUDITED = {
    "skinny.conf": ("chan_skinny", "Cisco SCCP phones: SCCP signalling and its RTP are plaintext"),
    # chan-sccp-b, the out-of-tree SCCP driver many Cisco-phone sites build instead of chan_skinny
    # (its own sccp.conf, devices and lines with their pins); it has no TLS listener either.
    "sccp.conf": ("chan_sccp", "Cisco SCCP phones through chan-sccp-b: SCCP signalling (TCP 2000) and its "
                  "RTP are plaintext"),
    "mgcp.conf": ("chan_mgcp", "MGCP gateways and phones: MGCP signalling and its RTP are plaintext"),
    "unistim.conf": ("chan_unistim", "Nortel UNIStim phones: UNIStim signalling and its RTP are plaintext"),
    "ooh323.conf": ("chan_ooh323", "H.323 endpoints and gateways: H.225/H.245 signalling and its RTP are plaintext"),
}


@dataclass(frozen=True)
class ModuleState:
    """Whether a module runs, why (for evidence), and the line that decided it."""

    loaded: bool
    why: str
    where: Optional[SourceRef] = None


def _is_module(value: str, module: str) -> bool:
    return value.strip().lower().removesuffix(".so") == module


def module_loaded(module: str, conf: str, has_conf: bool, modules_collected: bool,
                  mods: Optional[ConfigObject]) -> ModuleState:
    """``module`` (configured by ``conf``) under modules.conf's ``[modules]`` (``mods``; None when the
    file has no such section, ``modules_collected`` False when modules.conf was not collected)."""
    if not has_conf:
        return ModuleState(False, f"no {conf}: {module} does not start without it")
    if not modules_collected:
        return ModuleState(True, f"{conf} is present; modules.conf was not collected, so {module} is assumed loaded")
    if mods is None:
        return ModuleState(False, "modules.conf has no [modules] section: Asterisk loads no module from it")
    noload = next((s for s in mods.settings.get("noload", []) if _is_module(s.value, module)), None)
    if noload is not None:
        return ModuleState(False, f"modules.conf: noload => {module}.so", noload.source)
    explicit = next((s for k in _LOAD_KEYS for s in mods.settings.get(k, []) if _is_module(s.value, module)), None)
    if explicit is not None:
        return ModuleState(True, f"modules.conf loads {module}.so explicitly", explicit.source)
    if (mods.get("autoload") or "").strip().lower() in _TRUE:
        return ModuleState(True, f"modules.conf: autoload=yes and no noload => {module}.so", mods.location("autoload"))
    return ModuleState(False, f"modules.conf neither autoloads nor loads {module}.so", mods.location("autoload"))


def loaded_while_building(b: BuildContext, module: str, root: str) -> ModuleState:
    """Whether modules.conf loads ``module``, asked by the builder of a file only that module reads (before the
    facts exist: from the objects built so far)."""
    modules = b.parsed.get("modules.conf")
    collected = modules is not None and modules.found and modules.fatal is None
    mods = next((o for o in b.objects if o.kind == "modules.modules"), None)
    return module_loaded(module, root, True, collected, mods)


def unaudited_builder(root: str) -> Callable[[ParsedConfig, BuildContext], None]:
    """The builder of a channel driver's file voxaudit does not read: a gap when the module loads and the
    file configures something, a note otherwise."""
    module, what = NOT_AUDITED[root]

    def build(pc: ParsedConfig, b: BuildContext) -> None:
        if not pc.content_lines:
            return
        unread_while_loaded(b, module, root, lambda why: (
            f"{module} loads ({why}) and {root} configures it ({pc.content_lines} line(s)): {what}, and voxaudit "
            f"does not audit this driver; unload it (noload => {module}.so) or review its devices by hand"))
    return build


def unread_while_loaded(b: BuildContext, module: str, root: str, gap: Callable[[str], str]) -> None:
    """A file voxaudit does not read: a gap (``gap(why the module loads)``) when its module loads, else a note."""
    state = loaded_while_building(b, module, root)
    if state.loaded:
        b.problems.append(ParseProblem(file=root, line=0, fatal=False, message=gap(state.why)))
    else:
        b.problems.append(ParseProblem(file=root, line=0, fatal=False, note=True,
                                       message=f"{root} is not read: {state.why}"))
