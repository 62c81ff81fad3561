"""Desk-phone provisioning files: Yealink .cfg, Poly/Polycom XML, Grandstream P-values
(text or XML), Cisco SPA flat-profile XML.

Each file becomes ``(vendor, {key: (value, line)})``; the vendor is recognised from the
content, not the file name (provisioning servers name files by MAC address).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from lxml import etree

from auditor.parsers.problem import Problem

MAX_FILE_BYTES = 4 * 1024 * 1024
_KV_RE = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.\-]+)\s*=\s*(?P<value>.*?)\s*$")
_GS_TEXT_RE = re.compile(r"^\s*(?P<key>P\d+)\s*=\s*(?P<value>.*?)\s*$")

Settings = dict[str, tuple[str, int]]


def _xml(raw: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    return etree.fromstring(raw, parser)


def sniff_vendor(text: str) -> Optional[str]:
    head = text[:4096]
    if "<polycomConfig" in head or "<PHONE_CONFIG" in head or re.search(r"\breg\.\d+\.address\b|\bdevice\.", head) and "<" in head:
        return "polycom"
    if "<flat-profile" in head:
        return "cisco-spa"
    if "<gs_provision" in head or re.search(r"^\s*P\d+\s*=", head, re.M):
        return "grandstream"
    if head.lstrip().startswith("#!version:") or re.search(r"^\s*(static\.)?(account|auto_provision|security)\.", head, re.M):
        return "yealink"
    return None


def parse_provisioning_file(path: Path, display: str) -> tuple[Optional[str], Settings, list[Problem]]:
    problems: list[Problem] = []
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, {}, [Problem(display, 0, "file larger than 4 MiB; not a provisioning file", True)]
        raw = path.read_bytes()
    except OSError as exc:
        return None, {}, [Problem(display, 0, f"cannot read file: {exc.strerror or exc}", True)]
    if b"\x00" in raw:
        return None, {}, [Problem(display, 0, "file is binary (encrypted or not a provisioning file)", True)]
    text = raw.decode("utf-8", errors="replace")
    vendor = sniff_vendor(text)
    settings: Settings = {}
    if vendor == "yealink":
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#") or not line.strip():
                continue
            m = _KV_RE.match(line)
            if not m:
                problems.append(Problem(display, lineno, f"not a key = value line: {line[:40]!r}", False))
                continue
            key = m.group("key").lower().removeprefix("static.")
            value = m.group("value")
            settings[key] = ("" if value == "%NULL%" else value, lineno)
    elif vendor == "grandstream" and "<gs_provision" not in text[:4096]:
        for lineno, line in enumerate(text.splitlines(), start=1):
            m = _GS_TEXT_RE.match(line)
            if m:
                settings[m.group("key").upper()] = (m.group("value"), lineno)
    elif vendor in {"polycom", "cisco-spa", "grandstream"}:
        try:
            root = _xml(raw)
        except etree.XMLSyntaxError as exc:
            return vendor, {}, [Problem(display, exc.lineno or 0, f"XML error: {exc.msg}", True)]
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            if vendor == "polycom":
                for key, value in el.attrib.items():
                    settings[key.lower()] = (value, el.sourceline or 0)
            elif len(el) == 0 and el is not root:
                key = el.tag if vendor == "cisco-spa" else el.tag.upper()
                settings[key] = ((el.text or "").strip(), el.sourceline or 0)
    else:
        problems.append(Problem(display, 0, "not a recognised provisioning file (Yealink, Poly, Grandstream, Cisco SPA)", False))
    return vendor, settings, problems
