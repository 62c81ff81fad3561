"""Desk-phone provisioning files: Yealink .cfg, Poly/Polycom XML, Grandstream P-values
(text or XML), Cisco SPA flat-profile XML.

Each file becomes ``(vendor, {key: (value, line)}, problems, content lines)``; the vendor is
recognised from the content, not the file name (provisioning servers name files by MAC address).
Problems name the file, line and key, never a value or the raw line: any value may be a password.
Everything here is linear in the file: lines are split with ``str.partition``, not backtracking
regexes, and the file size is bounded.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from voxaudit.parsers.files import lines
from voxaudit.parsers.problem import Problem, label

if TYPE_CHECKING:  # lxml (7 ms) is imported when an XML file is read: every scan imports this module
    from lxml import etree

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_LINE_PROBLEMS = 20  # per file; the rest are counted in one more problem
MAX_CONFIG_FILES = 64  # names read from a Poly master file's CONFIG_FILES (the rest are a gap)
# lxml looks each attribute's value up by name (xmlGetNsProp), so reading all values of one element costs
# the square of its attribute count (16,000 attributes: 0.6 s). Poly files put a few hundred attributes on
# an element; more than this is refused per element (a gap): a 4 MiB file of 1,024-attribute elements
# reads in about 2.5 s at worst (2,048: 4.7 s).
MAX_XML_ATTRIBUTES = 1024
CONFIG_FILES_KEY = "application.config_files"  # a Poly master file's list, as its "settings" carry it
_YEALINK_KEY_RE = re.compile(r"[A-Za-z0-9_.\-]+")
# A first word shaped like a Yealink key ("account.1.password"): only such a word is named in a
# problem; a lone word could be a value (a password pasted on its own line).
# Yealink's keys are lower case ("account.1.password"); a word with capitals is no key of theirs and
# may well be a secret ("Xy7.Q-3f"), so it is never named.
_DOTTED_KEY_RE = re.compile(r"[a-z][a-z0-9_\-]{0,40}(?:\.[a-z0-9_\-]{1,40}){1,8}")
_GS_KEY_RE = re.compile(r"P\d{1,6}")
# What str.splitlines breaks at besides "\n" (and a CR not followed by "\n"): inside a line, never a break
_HIDDEN_BREAK_RE = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Template syntax a provisioning server fills in before any phone reads the file: Smarty ({$var},
# {if ...}/{/if}, {foreach}: FusionPBX, FreePBX EPM), Jinja/Twig ({{ var }}, {% if %}: Wazo, Ansible)
# and ${VAR} (Asterisk res_phoneprov, envsubst). Phones' own macros ($MA, $PSN on Cisco; %NULL% on
# Yealink) are none of these. Literal alternatives only: linear on any input.
_TEMPLATE_RE = re.compile(r"\{\$|\$\{|\{\{|\{%|\{/?(?:if|else|elseif|foreach|foreachelse|for|section|literal|include|assign)\b")

Settings = dict[str, tuple[str, int]]

# Grandstream's named-item XML (``<gs_provision version="1"><config version="2"><item
# name="...">``, firmware 1.0.11+ of GXP21xx/GRP26xx and their exports): the names of the P-values the
# phone facts read, with the value words the phone takes for them (Grandstream's configuration template
# for GXP21xx 1.0.11.79 lists them: "UDP, TCP, Tls Or Tcp"; "Disabled, EnabledButNotForced,
# EnabledAndForced, Optional"; "TFTP, HTTP, HTTPS"). Digits are the P-value codes themselves. Every
# other item is kept under its own name (as every other P-value is): read, not judged.
_GS_ITEMS: dict[str, tuple[str, dict[str, str] | None]] = {
    "users.admin.password": ("P2", None),
    "provisioning.config.protocol": ("P212", {"tftp": "0", "http": "1", "https": "2", "ftp": "3", "ftps": "4"}),
    "provisioning.config.serverpath": ("P237", None),
}

# The P-values of each SIP account a Grandstream GXP16xx/GXP21xx/GRP26xx reads, by account number: Account Active,
# SIP Server, SIP User ID, Authenticate ID, Authenticate Password, SIP Transport, SRTP Mode. Each one as
# Grandstream's configuration templates name it (FusionPBX ships them: resources/templates/provision/grandstream/
# gxp21xx/{$mac}.xml lists accounts 1-6 with these codes and their comments, gxp16xx/{$mac}.xml accounts 1-3 with the
# same codes): accounts 2-4 are P4xx, P5xx, P6xx, accounts 5 and 6 P17xx and P18xx, at the same offsets.
GS_ACCOUNT_FIELDS = ("active", "server", "user", "auth", "password", "transport", "srtp")
GS_ACCOUNTS: dict[int, dict[str, str]] = {
    1: dict(zip(GS_ACCOUNT_FIELDS, ("P271", "P47", "P35", "P36", "P34", "P130", "P183"))),
    **{n: dict(zip(GS_ACCOUNT_FIELDS, (f"P{b}01", f"P{b}02", f"P{b}04", f"P{b}05", f"P{b}06", f"P{b}48",
                                       f"P{b}43")))
       for n, b in ((2, 4), (3, 5), (4, 6), (5, 17), (6, 18))},
}
# The named items of one account (``account.<N>.<field>``, config version 2; FusionPBX's gxp2170 template writes
# them per line) -> the field they stand for, with the value words the phone takes ("Yes"/"No"; Grandstream's
# GXP21xx 1.0.11.79 template: "UDP, TCP, Tls Or Tcp"; "Disabled, EnabledButNotForced, EnabledAndForced, Optional").
# An account the P-values above name becomes them; a higher one (GRP2670: 12 accounts) keeps its item name.
_GS_ACCOUNT_ITEMS: dict[str, tuple[str, dict[str, str] | None]] = {
    "enable": ("active", {"yes": "1", "no": "0"}),
    "sip.server.1.address": ("server", None),
    "sip.userid": ("user", None),
    "sip.subscriber.userid": ("auth", None),
    "sip.subscriber.password": ("password", None),
    "sip.transport": ("transport", {"udp": "0", "tcp": "1", "tlsortcp": "2", "tls": "2"}),
    "audio.srtpmode": ("srtp", {"disabled": "0", "enabledbutnotforced": "1", "enabledandforced": "2",
                                "optional": "3"}),
}
GS_NAMED_ACCOUNT = "account.{n}.{field}"  # the key an account beyond GS_ACCOUNTS keeps, by field


def _gs_item(name: str, value: str) -> tuple[str, str]:
    """(key, value) of one named Grandstream item: the P-value it stands for where the facts read it (an account
    field of an account with no known P-value: ``account.<N>.<field>``)."""
    low = name.lower()
    key, words = _GS_ITEMS.get(low, (low, None))
    head, _, rest = low.partition(".")
    number, _, item = rest.partition(".")
    if head == "account" and number.isdigit() and len(number) <= 4 and item in _GS_ACCOUNT_ITEMS:
        field, words = _GS_ACCOUNT_ITEMS[item]
        account = GS_ACCOUNTS.get(int(number))
        key = account[field] if account else GS_NAMED_ACCOUNT.format(n=int(number), field=field)
    word = value.strip().lower().replace(" ", "")
    if words is not None and not word.isdigit():
        value = words.get(word, value)
    return key, value


def is_template(text: str) -> bool:
    """Whether ``text`` holds template syntax a provisioning server renders (its value is not known here)."""
    return bool(_TEMPLATE_RE.search(text))


def _template_problem(display: str, count: int, first: int) -> Problem:
    """One gap for an unrendered template: the settings its placeholders hold are not known, and
    lines built from template blocks are not settings at all (never a per-line "not understood")."""
    return Problem(display, first, f"unrendered template: {count} line(s) hold template syntax ({{$var}}, {{if}}, "
                                   "{{ var }}, ${VAR}) that the provisioning server fills in before a phone reads "
                                   "the file; the settings there are not known", False)


def xml_error(exc: Exception) -> str:
    """Why lxml refused a document, by libxml2's error type, never its message (which can quote the
    document: an attribute name or text that may be a password)."""
    entry = getattr(getattr(exc, "error_log", None), "last_error", None)
    kind = getattr(entry, "type_name", "") or exc.__class__.__name__
    return f"XML error ({kind})"


def _xml(raw: bytes) -> etree._Element:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             huge_tree=False)
    return etree.fromstring(raw, parser)


# Poly files a phone downloads besides its configuration (Administrator Guide, "Master Configuration File":
# LICENSE_DIRECTORY, CONTACTS_DIRECTORY; "Local Contact Directory"): the feature license file
# (<licenses><licenseKey .../></licenses>) and the local contact directory (<directory><item_list>...). Their
# root element and its first child name them; they hold no setting, so they are read as such (a note), never
# as "not a recognised provisioning file" (which would hide nothing but cost the scan its coverage).
_POLY_DATA_ROOTS = {"licenses": ("licensekey", "license key file"), "directory": ("item_list", "contact directory")}


def _poly_data_file(raw: bytes, text: str, display: str) -> Problem | None:
    """A note when the file is a Poly license key file or contact directory (no setting); None otherwise. A file
    holding template syntax is never one (its content is not known until the server renders it)."""
    head = text[:4096]
    if not any(f"<{root}" in head for root in _POLY_DATA_ROOTS) or is_template(text[:65536]):
        return None
    from lxml import etree

    try:
        root = _xml(raw)
    except (etree.XMLSyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(root.tag, str):
        return None
    child, what = _POLY_DATA_ROOTS.get(etree.QName(root).localname.lower(), ("", ""))
    first = next((el for el in root if isinstance(el.tag, str)), None)
    if not child or first is None or etree.QName(first).localname.lower() != child:
        return None
    return Problem(display, root.sourceline or 1, f"Poly {what}: holds no configuration setting; not judged",
                   False, note=True)


def sniff_vendor(text: str) -> str | None:
    head = text[:4096]
    if head.lstrip().startswith("#!version:"):  # Yealink's own first line: a value like "<logo>" or
        return "yealink"                         # "device.jpg" below it must not make it Poly XML
    if "<polycomConfig" in head or "<PHONE_CONFIG" in head or re.search(r"\breg\.\d+\.address\b|\bdevice\.", head) and "<" in head:
        return "polycom"
    # SoundPoint IP (SIP 2.x/3.x) files: phone1.cfg's <phone1>, sip.cfg's <sip>, and the master
    # configuration file (000000000000.cfg / <MAC>.cfg) <APPLICATION APP_FILE_PATH=... CONFIG_FILES=...>
    if re.search(r"<(?:phone1|sip)[\s/>]", head) or "<APPLICATION" in head and "APP_FILE_PATH" in head:
        return "polycom"
    if "<flat-profile" in head:
        return "cisco-spa"
    if "<gs_provision" in head or re.search(r"^\s*P\d+\s*=", head, re.MULTILINE):
        return "grandstream"
    if head.lstrip().startswith("#!version:") or re.search(r"^\s*(static\.)?(account|auto_provision|security)\.", head, re.MULTILINE):
        return "yealink"
    return None


class _LineProblems:
    """Collects per-line gaps, at most MAX_LINE_PROBLEMS of them plus one count of the rest."""

    def __init__(self, display: str) -> None:
        self.display, self.items, self.more = display, [], 0

    def add(self, line: int, message: str) -> None:
        if len(self.items) < MAX_LINE_PROBLEMS:
            self.items.append(Problem(self.display, line, message, False))
        else:
            self.more += 1

    def done(self) -> list[Problem]:
        if self.more:
            self.items.append(Problem(self.display, 0, f"{self.more} more line(s) not understood", False))
        return self.items


def _unreadable_line(words: str, what: str) -> str:
    """'line not understood' naming the first word only when it is shaped like a key."""
    first = words.split(None, 1)[0] if words.split() else ""
    if first and (_DOTTED_KEY_RE.fullmatch(first) or _GS_KEY_RE.fullmatch(first)) and len(words.split(None, 1)) > 1:
        return f"not a {what} line (key {label(first)})"
    return f"not a {what} line"


class _ContentLines:
    """The lines a phone reads as settings (number, stripped text): not blank, not '#' comments. A line hiding
    a line-breaking character is a gap and not yielded: the phone reads one line there, while other tools (and
    a reviewer's editor) see two, so whatever follows the break could look like a setting the phone never
    takes. ``content`` counts the lines with content, those included."""

    def __init__(self, body: list[str], problems: _LineProblems) -> None:
        self.body, self.problems, self.content = body, problems, 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for lineno, line in enumerate(self.body, start=1):
            if _HIDDEN_BREAK_RE.search(line):
                self.problems.add(lineno, "a line-breaking control character (CR, form feed...) inside the line")
                self.content += 1
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            self.content += 1
            yield lineno, stripped


def _key_values(text: str, display: str, key_ok: re.Pattern, what: str) -> tuple[Settings, list[Problem], int]:
    """``key = value`` lines (Yealink, Grandstream text); '#' starts a comment line."""
    settings: Settings = {}
    problems = _LineProblems(display)
    templated: list[int] = []
    walk = _ContentLines(lines(text), problems)
    for lineno, stripped in walk:
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if is_template(stripped):
            templated.append(lineno)
            if not sep or not key_ok.fullmatch(key):
                continue  # a template block or a key built from placeholders: counted in the template gap
        elif not sep or not key_ok.fullmatch(key):
            problems.add(lineno, _unreadable_line(stripped, what))
            continue
        settings[key] = (value.strip(), lineno)
    done = problems.done()
    if templated:
        done.insert(0, _template_problem(display, len(templated), templated[0]))
    return settings, done, walk.content


# Poly UC Software replaces this in a CONFIG_FILES name with the phone's own MAC address, 12 lower-case hex digits
# (Administrator Guide, "Master Configuration File": "[PHONE_MAC_ADDRESS]-phone.cfg").
PHONE_MAC_PLACEHOLDER = "[PHONE_MAC_ADDRESS]"
_MAC_RE = re.compile(r"[0-9a-f]{12}")


def master_mac(name: str) -> str | None:
    """The MAC of a per-phone master file name ("0004F2AA0002.cfg" -> "0004f2aa0002"); None for the default
    master 000000000000.cfg and any other name."""
    stem, dot, suffix = name.lower().rpartition(".")
    return stem if dot and suffix == "cfg" and _MAC_RE.fullmatch(stem) and stem != "000000000000" else None


def _poly_master(path: Path, display: str, root: etree._Element) -> list[Problem]:
    """The master configuration file holds no setting; the files its CONFIG_FILES lists hold them. A
    listed file missing from the directory is a gap (the phone's settings there are not known); when
    all are here, a note. Names are file names, bounded (a MAC-named file is no secret)."""
    raw = root.get("CONFIG_FILES", "")
    mac = master_mac(path.name)
    listed = [n.strip() for n in raw.split(",", MAX_CONFIG_FILES)[:MAX_CONFIG_FILES] if n.strip()]
    if mac:  # the phone of a <MAC>.cfg master asks for "[PHONE_MAC_ADDRESS]-x.cfg" as "<its MAC>-x.cfg"
        listed = [n.replace(PHONE_MAC_PLACEHOLDER, mac) for n in listed]
    # only names inside the directory are looked up ("config/<MAC>.cfg" yes; "/etc/x", "../x" never)
    missing = [n for n in listed if not is_template(n) and "$" not in n and len(n) <= 255
               and not n.startswith(("/", "\\")) and ".." not in n.replace("\\", "/").split("/")
               and not (path.parent / n).is_file()]
    line = root.sourceline or 1
    more: list[Problem] = []
    if raw.count(",") >= MAX_CONFIG_FILES:  # bounded: a list of 10,000 names is read as its first 64
        more.append(Problem(display, line, f"Poly master configuration file: CONFIG_FILES lists {raw.count(',') + 1} "
                                           f"names; only the first {MAX_CONFIG_FILES} are read, the settings of the "
                                           "others are not known", False))
    if missing:
        shown = ", ".join(label(n) for n in missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        return [*more, Problem(display, line, f"Poly master configuration file: {len(missing)} of the configuration files it "
                                       f"lists (CONFIG_FILES) are not in the directory ({shown}); the phone's "
                                       "settings there are not known", False)]
    return [*more, Problem(display, line, "Poly master configuration file: it names the files the phone loads "
                                          "(CONFIG_FILES) and holds no setting of its own", False, note=True)]


# A Yealink boot file's "settings" (firmware 81+; Yealink's auto provisioning guide, "Boot Files"): the files it
# lists, in order, as "include.<n>" (the path as written) and "include.<n>.models" (the [T46S, T48S] prefix that
# makes an include apply to those models only), and its two parameters. It holds no phone setting of its own.
BOOT_INCLUDE_PREFIX = "include."
BOOT_PARAMETERS = ("overwrite_mode", "specific_model.excluded_mode")
_BOOT_DIRECTIVE = "include:config"
_BOOT_QUOTES = {"<": ">", '"': '"', "\u201c": "\u201d"}  # <path>, "path", and the guide's typeset quotes


BOOT_UNQUOTED = ".unquoted"  # include.<n>.unquoted: its path is not written <file.cfg> or "file.cfg"


def boot_includes(settings: Settings) -> list[tuple[str, str, int]]:
    """(path, models, line) of each file a parsed boot file lists, in the order the phone applies them."""
    out = []
    for n in range(1, MAX_CONFIG_FILES + 1):
        hit = settings.get(f"{BOOT_INCLUDE_PREFIX}{n}")
        if hit is None:
            break
        out.append((hit[0], (settings.get(f"{BOOT_INCLUDE_PREFIX}{n}.models") or ("", 0))[0], hit[1]))
    return out



def _yealink_boot(text: str, display: str) -> tuple[Settings, list[Problem], int]:
    """A Yealink boot file (y000000000000.boot, <MAC>.boot): ``#!version:1.0.0.1`` on the first line, then
    ``[T46S, T48S]include:config <file.cfg>`` / ``include:config "file.cfg"`` lines (the model prefix optional; a
    ``[T46S]`` line of its own is read as the prefix of the includes below it, so they are never taken as every
    model's)
    and ``overwrite_mode`` / ``specific_model.excluded_mode``. Anything else is a gap naming the line (and its
    key when key-shaped), never its text. At most MAX_CONFIG_FILES includes are read; linear (partition only)."""
    settings: Settings = {}
    problems = _LineProblems(display)
    count = beyond = 0
    templated: list[int] = []
    section = ""  # a "[T46S, T48S]" line of its own: read as the models of the includes below it (never as all)
    body = lines(text)
    if not body or not body[0].lstrip("\ufeff").startswith("#!version:"):
        problems.add(1, "a Yealink boot file without its '#!version:1.0.0.1' header on the first line: the phone "
                        "may not read it")
    walk = _ContentLines(body, problems)
    for lineno, stripped in walk:
        if is_template(stripped):
            templated.append(lineno)
            continue
        models, rest = "", stripped
        if rest.startswith("["):
            inner, sep, after = rest[1:].partition("]")
            if not sep:
                problems.add(lineno, "a [model] prefix without its closing ']'")
                continue
            models, rest = inner.strip(), after.strip()
            if not rest:
                section = models
                continue
        if rest[:len(_BOOT_DIRECTIVE)].lower() == _BOOT_DIRECTIVE:
            models = models or section
            target = rest[len(_BOOT_DIRECTIVE):].strip()
            close = _BOOT_QUOTES.get(target[:1])
            path = target[1:-1].strip() if close and len(target) >= 2 and target.endswith(close) else ""
            bare = not path and not close and len(target.split()) == 1
            if not path:
                # Yealink's guide writes the file <file.cfg> or "file.cfg"; a bare one word ("include:config
                # sip.cfg") is kept as an include the phone may or may not take (its settings: not known), and a
                # gap says so. Anything else names no file.
                problems.add(lineno, "an include:config line whose file is not written <file.cfg> or \"file.cfg\""
                             + ("; the phone may or may not load it" if bare else ""))
                if not bare:
                    continue
                path = target
            if count >= MAX_CONFIG_FILES:
                beyond += 1
                continue
            count += 1
            settings[f"{BOOT_INCLUDE_PREFIX}{count}"] = (path, lineno)
            if models:
                settings[f"{BOOT_INCLUDE_PREFIX}{count}.models"] = (models, lineno)
            if bare:
                settings[f"{BOOT_INCLUDE_PREFIX}{count}{BOOT_UNQUOTED}"] = ("1", lineno)
            continue
        key, sep, value = rest.partition("=")
        name = key.strip().lower().removeprefix("static.")
        if sep and not models and name in BOOT_PARAMETERS:
            settings[name] = (value.strip(), lineno)
            continue
        problems.add(lineno, _unreadable_line(rest, "boot file (include:config <file>, overwrite_mode)"))
    done = problems.done()
    if beyond:
        done.append(Problem(display, 0, f"Yealink boot file: {count + beyond} include:config lines; only the first "
                                        f"{MAX_CONFIG_FILES} are read, the settings of the others are not known", False))
    if templated:
        done.insert(0, _template_problem(display, len(templated), templated[0]))
    return settings, done, walk.content


def parse_provisioning_file(path: Path, display: str) -> tuple[str | None, Settings, list[Problem], int]:
    """(vendor, settings, problems, content lines) of one provisioning file. A ``.boot`` file is a Yealink
    boot file (vendor "yealink-boot": the files it lists, no setting of its own)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, {}, [Problem(display, 0, "file larger than 4 MiB; not a provisioning file", True)], 0
        raw = path.read_bytes()
    except OSError as exc:
        return None, {}, [Problem(display, 0, f"cannot read file: {exc.strerror or exc.__class__.__name__}", True)], 0
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None, {}, [Problem(display, 0, "file is UTF-16 text; phones read UTF-8 provisioning files", True)], 0
    if b"\x00" in raw:
        return None, {}, [Problem(display, 0, "file is binary (encrypted or not a provisioning file)", True)], 0
    text = raw.decode("utf-8-sig", errors="replace")
    content = sum(1 for ln in lines(text) if ln.strip() and not ln.lstrip().startswith("#"))
    if path.suffix.lower() == ".boot":  # Yealink names its boot files so; they are read by no other vendor
        boot, problems, content = _yealink_boot(text, display)
        return "yealink-boot", boot, problems, content
    vendor = sniff_vendor(text)
    settings: Settings = {}
    problems: list[Problem] = []
    if vendor == "yealink":
        kv, problems, content = _key_values(text, display, _YEALINK_KEY_RE, "key = value")
        for key, (value, lineno) in kv.items():
            name, value = key.lower().removeprefix("static."), "" if value == "%NULL%" else value
            if name in settings and settings[name][0] != value and len(problems) < MAX_LINE_PROBLEMS:
                # "static.x" and "x" both set, to different values: which one a phone takes depends on
                # its firmware, so neither is read as the phone's (the key is a name, never a value)
                problems.append(Problem(display, lineno, f"{label(name)} is set twice (with and without "
                                                         "'static.'), to different values", False))
            settings[name] = (value, lineno)
    elif vendor == "grandstream" and "<gs_provision" not in text[:4096]:
        kv, problems, content = _key_values(text, display, _GS_KEY_RE, "P-value (Pnn = value)")
        settings = {key.upper(): v for key, v in kv.items()}
    elif vendor in {"polycom", "cisco-spa", "grandstream"}:
        from lxml import etree

        try:
            root = _xml(raw)
        except etree.XMLSyntaxError as exc:
            if is_template(text):  # the provisioning server's template, not yet the XML a phone reads
                return vendor, {}, [Problem(display, exc.lineno or 0, "unrendered template: template syntax ({$var}, "
                                            "{if}, {{ var }}, ${VAR}) makes the file XML only once the provisioning "
                                            f"server renders it ({xml_error(exc)}); its settings are not known",
                                            True)], content
            return vendor, {}, [Problem(display, exc.lineno or 0, xml_error(exc), True)], content
        except (ValueError, RecursionError, MemoryError) as exc:
            return vendor, {}, [Problem(display, 0, xml_error(exc), True)], content
        if vendor == "polycom" and etree.QName(root).localname.upper() == "APPLICATION":
            # The master configuration file: which firmware and configuration files the phone loads, no
            # setting of its own (Poly's settings live in the files CONFIG_FILES lists, which the phone
            # facts merge). Its one "setting" is that list, as written (file names, no secret).
            listed = {CONFIG_FILES_KEY: (root.get("CONFIG_FILES", ""), root.sourceline or 1)}
            return "polycom-master", listed, _poly_master(path, display, root), 0
        odd = _LineProblems(display)
        templated: list[int] = []
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            if len(el.keys()) > MAX_XML_ATTRIBUTES:  # keys() is linear; reading values is not (see the bound)
                odd.add(el.sourceline or 0, f"an element with {len(el.keys())} attributes (more than "
                                            f"{MAX_XML_ATTRIBUTES}): not read; its settings are not known")
                continue
            if any(is_template(t) for t in (el.text or "", el.tail or "", *el.attrib.values())):
                templated.append(el.sourceline or 0)
            if vendor == "polycom":
                for key, value in el.attrib.items():
                    settings[etree.QName(key).localname.lower()] = (value, el.sourceline or 0)
            elif len(el) == 0 and el is not root:
                # Cisco's flat profiles often carry xmlns="http://www.sipura.net/xsd/...": the phone
                # reads <Admin_Passwd> in any namespace, so must we.
                tag = etree.QName(el).localname
                if vendor == "grandstream" and tag == "item" and el.get("name"):
                    key, value = _gs_item(el.get("name", ""), (el.text or "").strip())
                    settings[key] = (value, el.sourceline or 0)
                    continue
                if vendor == "grandstream" and not _GS_KEY_RE.fullmatch(tag.upper()) and tag.lower() != "mac":
                    # an element that is neither <Pnn> nor a named <item>: present, not read; the tag is not named
                    odd.add(el.sourceline or 0, "not a Grandstream P-value element (<Pnn>value</Pnn>)")
                    continue
                key = tag if vendor == "cisco-spa" else tag.upper()
                settings[key] = ((el.text or "").strip(), el.sourceline or 0)
        problems = odd.done()
        if templated:
            problems.insert(0, _template_problem(display, len(templated), min(templated)))
    else:
        data = _poly_data_file(raw, text, display)
        if data is not None:
            return "polycom-data", {}, [data], 0
        template = "; it is an unrendered template ({$var}, {{ var }}, ${VAR})" if is_template(text[:65536]) else ""
        problems.append(Problem(display, 0, "not a recognised provisioning file (Yealink, Poly, Grandstream, Cisco SPA)"
                                + template, False))
    return vendor, settings, problems, content
