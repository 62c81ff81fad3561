"""Switch running-configs: Cisco IOS/IOS-XE (and IOS-like Arista EOS) and HPE Aruba AOS-S
(ProCurve), split into their block structure.

Both dialects are indentation-structured (``interface ...`` / ``vlan ...`` with indented
children), so one reader serves both; what differs is the meaning of the lines, which
``auditor.facts.switches`` interprets. Line numbers are 1-based, as editors show them.

The block reader is our own single pass (it replaced ciscoconfparse, which took ~38 us a line,
recursed once per indentation level and read the text of a banner as configuration): a line
starting in column 0 opens a block, indented lines are its children, and a banner's text (IOS
``banner motd ^C ... ^C``, EOS ``banner login`` ... ``EOF``, AOS-S ``banner motd "..."``) or an IOS
``macro name`` body (ends with ``@``) is skipped as text, as the switch itself treats it.
Problems never quote a line: a running-config holds community strings and password hashes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from voxaudit.parsers.problem import Problem

MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass
class Block:
    """A top-level line and its indented children, each with its 1-based line number."""

    text: str
    line: int
    children: list[tuple[str, int]] = field(default_factory=list)

    def child(self, pattern: str) -> tuple[re.Match, int] | None:
        """The last child matching ``pattern`` (later lines win, as on the device)."""
        hit = None
        match = re.compile(pattern).match  # once per call, not per line: re.match's cache look-up was half the time
        for text, line in self.children:
            m = match(text)
            if m:
                hit = (m, line)
        return hit

    def all(self, pattern: str) -> list[tuple[re.Match, int]]:
        match = re.compile(pattern).match
        return [(m, line) for text, line in self.children if (m := match(text))]


@dataclass
class SwitchConfig:
    dialect: str  # "ios" (Cisco IOS/IOS-XE), "eos" (Arista) or "aos-s" (Aruba/ProCurve)
    blocks: list[Block]

    def top(self, pattern: str) -> list[tuple[re.Match, Block]]:
        match = re.compile(pattern).match
        return [(m, b) for b in self.blocks if (m := match(b.text))]


def sniff_dialect(lines: list[str]) -> str | None:
    head = lines[:400]
    if any(re.match(r"^; \S+ Configuration Editor;", ln) for ln in head[:5]) or \
            any(re.match(r"^hostname \"", ln) for ln in head) and any(re.match(r"^\s+(un)?tagged ", ln) for ln in lines):
        return "aos-s"
    if any(re.match(r"^! device: .*\bEOS-", ln) for ln in head[:10]):
        return "eos"
    if other_vendor(head):
        return None  # TP-Link, H3C/Comware, Huawei VRP, Juniper: similar words, another language
    if any(re.match(r"^(interface \S|hostname \S|version \d|switchport|vlan \d)", ln) for ln in lines):
        return "ios"
    return None


# Junos (and other curly-brace dialects: VyOS/EdgeOS, PAN-OS): a top-level statement opening a block
# ("system {", "interfaces {") and the line closing it; IOS, EOS and AOS-S never end a line with "{".
_BRACE_OPEN_RE = re.compile(r"^[A-Za-z][\w.:/-]{0,63}(?: [^{};]{0,200})? \{$")
_JUNOS_VERSION_RE = re.compile(r"^version [\w.\-]{1,64};$")
_IOS_MARK_RE = re.compile(r"^(?:hostname \S|interface \S)")


# Other vendors' IOS-like dialects, by the header their own "show running-config" prints (or a line no IOS
# prints): read as IOS their ports were "dynamic auto (by default)" and their voice VLAN lines silently unread
# (Ruckus ICX "voice-vlan 20", VLAN membership "tagged ethe 1/1/1 to 1/1/48"), or an NX-OS file without
# IOS's "end" was said to be truncated.
_OTHER_MARKS = (
    (re.compile(r"^!Command: show running-config|^version \d+\.\d+\(\d+\)\S* Bios:|^feature \S"),
     "a Cisco NX-OS configuration"),
    (re.compile(r"^ver \d+\.\d+|^vlan \d{1,4} (?:name \S{1,64} )?by port$"), "a Ruckus ICX / Brocade FastIron configuration"),
    (re.compile(r"^!Version ArubaOS-CX"), "an Aruba AOS-CX configuration"),
    (re.compile(r"^! Version (?:9|10)\.\d"), "a Dell OS9/OS10 configuration"),
)


def other_vendor(head: list[str]) -> str | None:
    """What a configuration in a dialect we do not read looks like ("a Juniper Junos configuration"),
    recognisable by its own markers, or None: read as IOS it would be judged on words that mean
    something else there (or refused with a misleading "truncated" message, a Junos file not ending
    with IOS's "end"), so it must be refused visibly, saying what it looks like."""
    first = next((ln.strip() for ln in head if ln.strip()), "")
    if re.match(r"^!(TL-|T\d{4}|JetStream)", first):
        return "a TP-Link (JetStream) configuration"
    if first.startswith(("## Last commit", "## Last changed")) or \
            any(_JUNOS_VERSION_RE.match(ln) for ln in head[:20]):
        return "a Juniper Junos configuration"
    if first.startswith("set "):
        return "Junos/VyOS 'set' commands"
    for mark, family in _OTHER_MARKS:
        if any(mark.match(ln) for ln in head[:60]):
            return family
    opened = sum(1 for ln in head if _BRACE_OPEN_RE.match(ln))
    closed = sum(1 for ln in head if ln.rstrip() == "}")
    # an IOS banner's text may hold braces; an IOS file also has "hostname x"/"interface X" lines, Junos never
    if opened >= 2 and closed >= 2 and not any(_IOS_MARK_RE.match(ln) for ln in head):
        return "a curly-brace (Junos-style) configuration"
    if any(re.match(r"^\s*sysname \S", ln) for ln in head):
        return "an H3C Comware / Huawei VRP configuration"
    hashes = sum(1 for ln in head if ln.strip() == "#")
    return "a '#'-separated (TP-Link or Comware-style) configuration" if hashes >= 3 else None


_BANNER_RE = re.compile(r"^banner +(\S+) *(.*)$")
# IOS's pager: " --More-- ", then backspaces, spaces and backspaces erasing it (as many as it was long);
# the line printed after it keeps its own indentation.
_IOS_PAGER_RE = re.compile(r" ?--More-- ?\x08{1,16} {1,16}\x08{1,16}")
# ANSI control sequences (CSI: ESC [ parameters final-letter), e.g. AOS-S's "\x1b[24;1H\x1b[2K" per page
_CSI_RE = re.compile(r"\x1b\[[0-9;?]{0,32}[A-Za-z]")
_PROMPT_RE = re.compile(r"[A-Za-z0-9_.\-()/:@]{1,64}[#>]")


def _banner_end(first: str, dialect: str) -> str | None:
    """How the text of a banner that opens with ``first`` (after ``banner <kind>``) ends: the
    delimiter to look for, ``""`` when the banner closes on its own line, or None when the text runs
    to a line ``EOF`` (EOS, and IOS-XE's multi-line form without a delimiter)."""
    if not first:
        return None
    if first.startswith('"') and dialect == "aos-s":
        return "" if first.count('"') >= 2 else '"'
    delim = "^C" if first.startswith("^C") else first[0]
    return "" if delim in first[len(delim):] else delim


def _blocks(lines: list[str], dialect: str) -> tuple[list[Block], Problem | None]:
    """Top-level blocks of a running-config in one pass; a banner or macro that never closes is a
    problem (everything after it would be its text)."""
    blocks: list[Block] = []
    current: Block | None = None
    skip_until: str | None = None  # a banner's closing delimiter, "EOF" or the macro's "@"
    opened = 0
    for i, text in enumerate(lines, start=1):
        if skip_until is not None:
            if (skip_until in ("EOF", "@") and text.strip() == skip_until) or \
                    (skip_until not in ("EOF", "@") and skip_until in text):
                skip_until = None
            continue
        if not text.strip():
            continue
        if text[0] == " ":
            if current is not None:
                current.children.append((text.strip(), i))
            continue
        current = Block(text=text.rstrip(), line=i)
        blocks.append(current)
        if (m := _BANNER_RE.match(current.text)) is not None:
            end = _banner_end(m.group(2), dialect)
            skip_until, opened = ("EOF" if end is None else end) or None, i
        elif current.text.startswith("macro name "):
            skip_until, opened = "@", i
    if skip_until is not None:
        return blocks, Problem("", opened, "banner or macro text is never closed: every line after it would be "
                                           "its text", True)
    return blocks, None


def parse_switch_config(path: Path, display: str) -> tuple[SwitchConfig | None, list[Problem]]:
    """A running-config file as the switch printed it (``show running-config``)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, [Problem(display, 0, "file larger than 8 MiB; not a switch configuration", True)]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display, 0, f"cannot read file: {exc.strerror or exc}", True)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, [Problem(display, line, "not text (invalid UTF-8); is this a running-config?", True)]
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        return None, [Problem(display, line, "binary content (NUL byte) in a configuration file", True)]
    lines = text.replace("\r\n", "\n").replace("\t", " ").split("\n")
    lines = [_IOS_PAGER_RE.sub("", ln) if "--More--" in ln else ln for ln in lines]
    lines = [_CSI_RE.sub("", ln) if "\x1b" in ln else ln for ln in lines]  # a terminal's colours, cursor moves
    pager = next((i for i, ln in enumerate(lines, 1) if "\x08" in ln or "\x1b" in ln or "--More--" in ln or
                  "-- MORE --" in ln), 0)
    if pager:
        # A terminal capture made with paging on: the pager's prompt and erase sequence sit inside lines,
        # and a line it garbled ("snmp-server community ..." behind " --More-- \b\b...") would be read as
        # another line's child or not at all. IOS's own erase sequence is removed above; any other is refused.
        return None, [Problem(display, pager, "terminal paging or control sequences left in the capture (--More--, "
                                              "backspaces, escapes); capture with 'terminal length 0' (AOS-S: "
                                              "'no page')", True)]
    # A terminal capture also ends with the next prompt ("sw1#") after "end": not configuration.
    filled = [i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()][:2]
    if len(filled) == 2 and _PROMPT_RE.fullmatch(lines[filled[0]].strip()) and lines[filled[1]].strip() == "end":
        del lines[filled[1] + 1:]
    dialect = sniff_dialect(lines)
    if dialect is None:
        family = other_vendor(lines[:400])
        looks = f": it looks like {family}, which voxaudit does not read" if family else ""
        return None, [Problem(display, 1, "not a recognised switch configuration (Cisco IOS, Arista EOS or "
                                          f"Aruba AOS-S running-config){looks}; its switch is not assessed", True)]
    problems: list[Problem] = []
    last = max((i for i, ln in enumerate(lines) if ln.strip()), default=0) + 1
    if dialect in {"ios", "eos"} and lines[last - 1].strip() != "end":
        # show running-config always ends with "end"; without it the copy was cut short and
        # anything after the cut (SNMP, logging, vty lines) would silently be missing.
        return None, [Problem(display, last, "configuration is truncated: it does not end with 'end' as "
                                             "'show running-config' output does", True)]
    if dialect == "aos-s":
        opened = [i for i, ln in enumerate(lines) if re.match(r"^(vlan \d+|interface \S+)\s*$", ln)]
        if opened and not any(ln.strip() == "exit" for ln in lines[opened[-1]:]):
            return None, [Problem(display, last, "configuration is truncated: the last block has no 'exit'", True)]
    blocks, problem = _blocks(lines, dialect)
    if problem is not None:
        return None, [Problem(display, problem.line, problem.message, True)]
    return SwitchConfig(dialect=dialect, blocks=blocks), problems
