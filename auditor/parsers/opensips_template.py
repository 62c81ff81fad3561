"""OpenSIPS (and Kamailio) configurations shipped as templates: ``opensips -p`` (or a container
entrypoint) runs them through ``envsubst`` and ``m4`` before OpenSIPS reads them; installers render
Handlebars/Mustache (``{{{name}}}``) or Jinja2 (``{{ name }}``, ``{% if %}``) templates. The auditor runs neither: what
an m4 macro would produce depends on the deployment's environment, so each macro call is removed
(its lines kept blank, so every other line keeps its number) and reported as a gap, and each
``${NAME}`` placeholder outside a string becomes the word ``ENV_NAME`` so the statement around it
can still be read. Handlebars/Jinja placeholders outside strings become ``TPL_name`` the same way; a
placeholder alone on its line stands for whole configuration lines and, like a section or ``{% %}``
block tag, is removed and reported as a gap. One pass over the text: linear on any input.
"""
from __future__ import annotations

import re

_M4_CALL_RE = re.compile(r"\b(ifelse|ifdef|define|undefine|divert|include|sinclude|esyscmd|syscmd|translit|patsubst|"
                         r"regexp|format|incr|decr|eval)\(")
_DNL_RE = re.compile(r"\bdnl\b[^\n]*")
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")


def looks_like_template(text: str) -> bool:
    """m4 quoting (a backquote opening an argument) or envsubst placeholders outside strings."""
    return bool(re.search(r"\b(ifelse|define|divert|include)\(`", text)) or "${" in text


def _macro_end(text: str, start: int) -> int:
    """Index just past the ``)`` closing the m4 call whose ``(`` is at ``start - 1``; m4 quotes are
    `...' and nest; -1 when the call never closes."""
    parens, quotes = 1, 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "`":
            quotes += 1
        elif ch == "'" and quotes:
            quotes -= 1
        elif not quotes:
            if ch == "(":
                parens += 1
            elif ch == ")":
                parens -= 1
                if parens == 0:
                    return i + 1
    return -1


def strip_template(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(text OpenSIPS-like without m4 calls and with placeholders as words, [(line, what was not
    audited)])."""
    gaps: list[tuple[int, str]] = []
    out: list[str] = []
    pos = 0
    line, counted = 1, 0  # line numbers counted incrementally: one pass over the text in all
    for m in _M4_CALL_RE.finditer(text):
        if m.start() < pos:
            continue  # inside a call already removed
        end = _macro_end(text, m.end())
        line += text.count("\n", counted, m.start())
        counted = m.start()
        out.append(text[pos:m.start()])
        removed = text[m.start():] if end < 0 else text[m.start():end]
        out.append("\n" * removed.count("\n"))
        gaps.append((line, f"m4 {m.group(1)}() of a configuration template: what it produces depends on the "
                           "deployment's environment; not audited"))
        pos = len(text) if end < 0 else end
        if end < 0:
            break
    out.append(text[pos:])
    text = _DNL_RE.sub("", "".join(out))
    return _placeholders_outside_strings(text), gaps


def _placeholders_outside_strings(text: str) -> str:
    """``${NAME}`` -> ``ENV_NAME`` outside quoted strings (inside them the text is kept as written)."""
    out: list[str] = []
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            if ch == quote or ch == "\n":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "$" and text.startswith("${", i):
            m = _ENV_RE.match(text, i)
            if m:
                out.append(f"ENV_{m.group(1)}")
                i = m.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


# {{name}}, {{{name}}}, {{ name | filter }}, {{#if x}}, {{/if}}, {{^x}}, {{else}}; {% ... %} (Jinja2).
_MUSTACHE_RE = re.compile(r"\{\{(\{?)([^{}\n]{1,256})\}\}(\}?)|\{%-?([^%\n]{0,512})-?%\}")
_TPL_NAME_RE = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_.\-]{0,127})[ \t]*(?:\|[^{}\n]*)?")
_TPL_BLOCK_RE = re.compile(r"[ \t]*(?:[#/^][ \t]*[A-Za-z_]|else\b)")


def looks_like_mustache(text: str) -> bool:
    return ("{{" in text or "{%" in text) and _MUSTACHE_RE.search(text) is not None


def strip_mustache(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(text with Handlebars/Jinja tags read as the configuration language can read them, [(line, gap)]).
    Placeholders outside strings become ``TPL_name`` words; inside strings they stay as written (a
    value the renderer fills in); block tags, and placeholders that are a whole line, are blanked and
    reported. Any other ``{{...}}`` is left alone (it may be configuration code)."""
    gaps: list[tuple[int, str]] = []
    out: list[str] = []
    pos, line, quote = 0, 1, ""
    for m in _MUSTACHE_RE.finditer(text):
        segment = text[pos:m.start()]
        for ch in segment:  # quote state up to the tag (a string never spans lines here)
            if quote:
                if ch == quote or ch == "\n":
                    quote = ""
            elif ch in "\"'":
                quote = ch
        line += segment.count("\n")
        out.append(segment)
        pos = m.end()
        inner = m.group(2) if m.group(4) is None else None
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        alone = not text[line_start:m.start()].strip() and not text[m.end():len(text) if line_end < 0 else line_end].strip()
        if inner is None or _TPL_BLOCK_RE.match(inner):
            out.append(" " * (m.end() - m.start()))
            tag = "{% %}" if inner is None else "{{" + inner.strip()[:1] + "...}}"
            gaps.append((line, f"template block tag {tag}: what the renderer keeps around it is known only at "
                               "deployment; both sides are read"))
            continue
        name = _TPL_NAME_RE.fullmatch(inner)
        if name is None:
            out.append(m.group(0))  # not a template placeholder this reader knows: left as written
            continue
        if quote:
            out.append(m.group(0))
        elif alone:
            out.append(" " * (m.end() - m.start()))
            shown = "{{" + m.group(1) + name.group(1)[:64] + m.group(3) + "}}"
            gaps.append((line, f"template placeholder {shown} stands for configuration lines rendered at "
                               "deployment; what they configure is not audited"))
        else:
            out.append("TPL_" + re.sub(r"[.\-]", "_", name.group(1)))
    out.append(text[pos:])
    return "".join(out), gaps
