"""Switch running-configs: Cisco IOS/IOS-XE (and IOS-like Arista EOS) and HPE Aruba AOS-S
(ProCurve), parsed into their block structure with ciscoconfparse.

Both dialects are indentation-structured (``interface ...`` / ``vlan ...`` with indented
children), so one maintained parser serves both; what differs is the meaning of the lines,
which ``auditor.facts.switches`` interprets. Line numbers are 1-based, as editors show them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from auditor.parsers.problem import Problem

MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass
class Block:
    """A top-level line and its indented children, each with its 1-based line number."""

    text: str
    line: int
    children: list[tuple[str, int]] = field(default_factory=list)

    def child(self, pattern: str) -> Optional[tuple[re.Match, int]]:
        """The last child matching ``pattern`` (later lines win, as on the device)."""
        hit = None
        for text, line in self.children:
            m = re.match(pattern, text)
            if m:
                hit = (m, line)
        return hit

    def all(self, pattern: str) -> list[tuple[re.Match, int]]:
        return [(m, line) for text, line in self.children if (m := re.match(pattern, text))]


@dataclass
class SwitchConfig:
    dialect: str  # "ios" (Cisco IOS/IOS-XE), "eos" (Arista) or "aos-s" (Aruba/ProCurve)
    blocks: list[Block]

    def top(self, pattern: str) -> list[tuple[re.Match, Block]]:
        return [(m, b) for b in self.blocks if (m := re.match(pattern, b.text))]


def sniff_dialect(lines: list[str]) -> Optional[str]:
    head = lines[:400]
    if any(re.match(r"^; \S+ Configuration Editor;", ln) for ln in head[:5]) or \
            any(re.match(r"^hostname \"", ln) for ln in head) and any(re.match(r"^\s+(un)?tagged ", ln) for ln in lines):
        return "aos-s"
    if any(re.match(r"^! device: .*\bEOS-", ln) for ln in head[:10]):
        return "eos"
    if any(re.match(r"^(interface \S|hostname \S|version \d|switchport|vlan \d)", ln) for ln in lines):
        return "ios"
    return None


def _blocks(lines: list[str]) -> list[Block]:
    from ciscoconfparse import CiscoConfParse
    from loguru import logger

    logger.disable("ciscoconfparse")  # it logs informational notes to stderr on every parse
    parse = CiscoConfParse(lines, syntax="ios", ignore_blank_lines=False)
    blocks = []
    for obj in parse.find_objects(r"^\S"):
        blocks.append(Block(text=obj.text.strip(), line=obj.linenum + 1,
                            children=[(c.text.strip(), c.linenum + 1) for c in obj.all_children]))
    return blocks


def parse_switch_config(path: Path, display: str) -> tuple[Optional[SwitchConfig], list[Problem]]:
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
    dialect = sniff_dialect(lines)
    if dialect is None:
        return None, [Problem(display, 1, "not a recognised switch configuration (Cisco IOS, Arista EOS or "
                                          "Aruba AOS-S running-config)", True)]
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
    try:
        blocks = _blocks(lines)
    except Exception as exc:  # the parser's own failure on hostile input must not escape
        return None, [Problem(display, 0, f"cannot parse configuration: {exc.__class__.__name__}", True)]
    return SwitchConfig(dialect=dialect, blocks=blocks), problems
