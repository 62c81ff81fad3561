"""Escaping of config-derived text per output format.

Every object name, section name, evidence string, file name and warning in a report came from a
configuration someone else wrote: a hostile one can carry raw HTML, Markdown links to
``javascript:``, spreadsheet formulas, XML-invalid control characters or terminal escape sequences.
Each renderer passes such text through the function for its format here, in one place.
"""
from __future__ import annotations

import re

# ANSI CSI/OSC/other ESC sequences, then any remaining C0/C1 control character except tab.
_ESCAPE_SEQUENCE_RE = re.compile(r"\x1b(?:\[[0-?]{0,64}[ -/]{0,16}[@-~]|\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# Characters XML 1.0 does not allow at all (lone surrogates included).
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: object) -> str:
    """Text fit for a terminal: no escape sequences (colours, hyperlinks, title changes, cursor
    moves) and no control characters; newlines become spaces."""
    s = _ESCAPE_SEQUENCE_RE.sub("", str(text))
    return _CONTROL_RE.sub(lambda m: " " if m.group(0) in "\n\r" else "?", s)


def xml_safe(text: object) -> str:
    """Text an XML 1.0 document can hold (ElementTree escapes <, > and & itself)."""
    return _XML_INVALID_RE.sub("?", str(text))


def json_safe(text: object) -> str:
    """Text every JSON consumer accepts: no lone surrogates, no control characters but tab and newline."""
    return _XML_INVALID_RE.sub("?", str(text))


def csv_cell(text: object) -> str:
    """A spreadsheet cell that is never a formula (OWASP CSV injection): a leading = + - @ tab or CR
    gets a quote in front; the csv module does the quoting of commas, quotes and newlines."""
    s = xml_safe(text)
    return "'" + s if s.startswith(CSV_FORMULA_START) else s


def md_text(text: object) -> str:
    """Inline Markdown text that renders as the characters it holds: no HTML, no links or images,
    no emphasis, no table breaks, one line."""
    s = terminal_safe(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL_RE.sub(r"\\\1", s)


def md_code(text: object) -> str:
    """Text for an inline code span (between backticks): no backtick can close it early."""
    return terminal_safe(text).replace("`", "'")


def md_code_block(text: object) -> str:
    """Lines inside a fenced code block: no fence can close it early."""
    s = xml_safe(text)
    return re.sub(r"`{3,}|~{3,}", lambda m: "'" * len(m.group(0)), s)
