"""Desk-phone facts, normalised across vendors.

Every provisioning file gives one ``phone.device`` (admin password shape, provisioning URL
and protocol, idle-screen popups) and one ``phone.account`` per enabled SIP line
(transport, SRTP mode), each keeping the vendor's own option name and line as evidence.
Checks are vendor-neutral; remediation is per vendor.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, ClassVar
from urllib.parse import unquote

from voxaudit.facts.common import (
    ConfigObject,
    PerFileFacts,
    files_under,
    inline_credentials,
    is_secret_key,
)
from voxaudit.model import SourceRef
from voxaudit.parsers.files import foreign_files
from voxaudit.parsers.phone_provisioning import (
    CONFIG_FILES_KEY,
    MAX_CONFIG_FILES,
    Settings,
    is_template,
    parse_provisioning_file,
)
from voxaudit.parsers.problem import Problem, label
from voxaudit.secretinfo import SecretInfo, describe_secret

PHONE_SUFFIXES = {".cfg", ".xml", ".txt", ".conf"}
_CODE_RE = re.compile(r"[A-Za-z0-9]{1,8}")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,15}")
# A query or fragment parameter (?token=..., &password=..., #access_token=...) whose name says it
# holds a secret.
_QUERY_PARAM_RE = re.compile(r"([?&;#])([^=&;#?\s]{1,64})=([^&;#\s]*)")
# Words of parameter names that hold secrets in provisioning URLs besides the shared secret-key words:
# AES keys, signatures, session ids, auth codes ("aes_key", "X-Amz-Signature", "jsessionid").
_URL_SECRET_WORDS = {"key", "sig", "signature", "sid", "session", "sessionid", "auth", "hash", "cred", "credential",
                     "credentials", "otp", "pin"}


def _secret_param(name: str) -> bool:
    """Whether a URL parameter's name says its value is a secret."""
    if is_secret_key(name):
        return True
    words = re.split(r"[_\-.]", name.lower())
    return any(w in _URL_SECRET_WORDS or w.endswith(("key", "sessid", "sessionid")) for w in words)
_HOST_RE = re.compile(r"[A-Za-z0-9.\-_:\[\]%]{1,255}")


def shown_url(url: str) -> str:
    """A provisioning URL as evidence: scheme, host and port only. Any userinfo (user:password, a bare
    token, a %-encoded password) is ``<redacted>@``; a path, query or fragment is ``/...``, because
    provisioning servers put secrets there too (per-tenant tokens in the path, ``?token=``,
    ``#access_token=``). Linear: a few ``partition``/``find`` calls."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    host_start = at + 1
    host_end = min((i for i in (rest.find("/", host_start), rest.find(";", host_start)) if i >= 0), default=len(rest))
    host_end = min(host_end, end) if end > host_start else host_start
    host = rest[host_start:host_end]
    shown_scheme = scheme.lower() if scheme and _SCHEME_RE.fullmatch(scheme) else ("unknown" if scheme else "")
    return "".join((f"{shown_scheme}://" if shown_scheme else "", "<redacted>@" if at >= 0 else "",
                    host if _HOST_RE.fullmatch(host) else "<not a host name>",
                    "/..." if rest[host_end:].strip("/") else ""))

# The value of a setting an unrendered template leaves to its placeholder (``<name>.placeholder = yes``)
PLACEHOLDER = "template placeholder"
YEALINK_TRANSPORT = {"0": "udp", "1": "tcp", "2": "tls", "3": "dns-naptr"}
YEALINK_SRTP = {"0": "off", "1": "optional", "2": "mandatory"}
GS_TRANSPORT = {"0": "udp", "1": "tcp", "2": "tls"}
GS_SRTP = {"0": "off", "1": "optional", "2": "mandatory", "3": "optional"}
GS_PROV = {"0": "tftp", "1": "http", "2": "https", "3": "ftp", "4": "ftps"}
POLY_TRANSPORT = {"tls": "tls", "udponly": "udp", "tcponly": "tcp", "tcppreferred": "tcp", "dnsnaptr": "dns-naptr"}


class PhoneFacts(PerFileFacts, tag="phone", kw_only=True):
    """``configs`` has one entry per provisioning file; the fact source is "provisioning"."""

    platform: ClassVar[str] = "phone"
    file_source: ClassVar[str] = "provisioning"
    file_label: ClassVar[str] = "phone"


def _setting(kind_values: dict[str, tuple[str, str, int]]) -> dict[str, list[dict]]:
    return {k: [{"value": v, "file": f, "line": ln}] for k, (v, f, ln) in kind_values.items()}


class _Layer:
    """One file a phone loads besides its own, read once however many phones load it: its settings and,
    computed on first use, the line numbers its keys name (so a folder of N per-MAC files sharing one
    common file costs N lookups, never N copies of the common file)."""

    def __init__(self, display: str, settings: Settings) -> None:
        self.display, self.settings = display, settings
        self._numbers: dict[str, set[int]] = {}
        self._prefixed: dict[str, list[str]] = {}

    def prefixed(self, prefix: str) -> list[str]:
        """The keys starting with ``prefix``, cached per prefix."""
        if prefix not in self._prefixed:
            self._prefixed[prefix] = [k for k in self.settings if k.startswith(prefix)]
        return self._prefixed[prefix]

    def numbers(self, pattern: str) -> set[int]:
        """The N of every key matching ``pattern`` (one group of digits), cached per pattern."""
        if pattern not in self._numbers:
            rx = re.compile(pattern)
            self._numbers[pattern] = {int(m.group(1)) for k in self.settings if (m := rx.match(k))}
        return self._numbers[pattern]


# The Poly device.* parameters the facts read (lower case, as the reader keys them), and how many other
# device.* parameters of each merged file a phone's "not applied" note may name.
_POLY_DEVICE_READ = ("device.auth.localadminpassword", "device.prov.servertype", "device.prov.servername")
_MAX_NOTED_DEVICE_KEYS = 256


class _Phone:
    """Builds the normalised objects for one phone: its own file's settings over the ``layers`` it loads
    too (highest precedence first). ``unknown`` are files one of which the phone may load before its own
    (Yealink common files when the phone's model is not known): a setting its own file leaves to them is
    not known (the views report it undecidable, never a default's verdict). Every value keeps the file
    and line that set it."""

    def __init__(self, display: str, vendor: str, s: Settings, layers: tuple[_Layer, ...] = (),
                 unknown: tuple[_Layer, ...] = (), unknown_why: str = "") -> None:
        self.display, self.vendor, self.s = display, vendor, dict(s)
        self.layers, self.unknown, self.unknown_why = layers, unknown, unknown_why
        self.src: dict[str, str] = {}  # key -> the layer file that set it (own file when absent)
        self.hidden: set[str] = set()  # keys the phone does not apply (Poly device.* without its .set)
        self.device: dict[str, tuple[str, str, int]] = {"vendor": (vendor, display, 0)}
        self.secrets: dict[str, SecretInfo] = {}
        self.accounts: list[tuple[str, dict[str, tuple[str, str, int]]]] = []
        self.problems: list[Problem] = []  # what this vendor's phone ignores in the file, as the phone decides

    def get(self, key: str) -> tuple[str, int] | None:
        if key in self.hidden:
            return None
        hit = self.s.get(key)
        if hit is not None:
            return hit
        for layer in self.layers:
            hit = layer.settings.get(key)
            if hit is not None:
                self.src[key] = layer.display
                return hit
        return None

    def where(self, key: str) -> str:
        """The file whose value of ``key`` the phone takes."""
        return self.src.get(key, self.display)

    def not_known(self, key: str) -> str:
        """Why ``key`` is not known for this phone ('' when it is): no file it surely loads sets it, and a
        file it may load does."""
        if self.unknown and self.get(key) is None and any(key in u.settings for u in self.unknown):
            return f"{key} is {self.unknown_why}"
        return ""

    def numbers(self, pattern: str) -> set[int]:
        """Line numbers named by keys matching ``pattern`` in every file the phone loads or may load."""
        rx = re.compile(pattern)
        found = {int(m.group(1)) for k in self.s if (m := rx.match(k))}
        for layer in (*self.layers, *self.unknown):
            found |= layer.numbers(pattern)
        return found

    def _mark_unknown(self, target: dict, name: str, key: str) -> bool:
        why = self.not_known(key)
        if why:
            target[name] = ("not known", self.display, 0)
            target[f"{name}.option"] = (key, self.display, 0)
            target[f"{name}.unknown"] = (why, self.display, 0)
        return bool(why)

    def put(self, target: dict, name: str, key: str, mapping: dict | None = None) -> None:
        hit = self.get(key)
        where = self.where(key)
        if hit is None:
            self._mark_unknown(target, name, key)
        elif is_template(hit[0]):
            # an unrendered template's placeholder: the value is not known, never a default or an
            # "unknown value" judged as not-TLS / SRTP off (views make it undecidable)
            target[name] = (PLACEHOLDER, where, hit[1])
            target[f"{name}.option"] = (key, where, hit[1])
            target[f"{name}.placeholder"] = ("yes", where, hit[1])
        else:
            raw = hit[0].strip()
            # An unknown code is shown only when it looks like one (a value here may be anything).
            shown = f"unknown ({raw})" if _CODE_RE.fullmatch(raw) else "unknown value"
            value = mapping.get(raw.lower(), shown) if mapping else hit[0]
            target[name] = (value, where, hit[1])
            target[f"{name}.option"] = (key, where, hit[1])

    def secret(self, name: str, key: str, identity: str = "admin", value_of=lambda v: v) -> None:
        hit = self.get(key)
        if hit is None and self._mark_unknown(self.device, name, key):
            return  # set only by a file the phone may not load: no shape, the view says why
        where = self.where(key)
        value = value_of(hit[0]) if hit else None
        source = SourceRef(file=where, line=hit[1] if hit else 0)
        if hit is not None and is_template(hit[0]):  # {$admin_password}: filled in by the server, strength unknown
            self.secrets[name] = SecretInfo(present=True, placeholder=True, source=source)
        else:
            self.secrets[name] = describe_secret(value, identity, source)
        if hit:
            self.device[f"{name}.option"] = (key, where, hit[1])

    def url(self, key: str) -> None:
        hit = self.get(key)
        if hit is None:
            self._mark_unknown(self.device, "provisioning_url", key)
            return
        if not hit[0]:
            return
        url = hit[0]
        display = self.where(key)
        if is_template(url):
            # "{$yealink_provision_url}": the server fills it in. The protocol is known only when the
            # scheme itself is written out ("http://{$domain}/..."); credentials in it are not known.
            scheme, sep, _ = url.partition("://")
            known = bool(sep) and _SCHEME_RE.fullmatch(scheme) is not None and not is_template(scheme)
            self.device["provisioning_url"] = (f"{scheme.lower()}://<template placeholder>" if known
                                               else "<template placeholder>", display, hit[1])
            self.device["provisioning_url.option"] = (key, display, hit[1])
            self.device["provisioning_protocol"] = (scheme.lower() if known else PLACEHOLDER, display, hit[1])
            if not known:
                self.device["provisioning_url.placeholder"] = ("yes", display, hit[1])
            # "https://{$user}:{$password}@host/", "?token={$token}": whatever is filled in, the URL
            # carries credentials (their strength is not known)
            authority = url.partition("://")[2].split("/", 1)[0]
            if "@" in authority or any(m.group(3) and _secret_param(m.group(2)) for m in _QUERY_PARAM_RE.finditer(url)):
                self.secrets["provisioning_url_password"] = SecretInfo(
                    present=True, placeholder=True, source=SourceRef(file=display, line=hit[1]))
            return
        creds = inline_credentials(url)
        if creds:
            user, pw = creds[0]
            self.secrets["provisioning_url_password"] = describe_secret(pw, user, SourceRef(file=display, line=hit[1]))
        else:  # "u%3Apassword@host": the phone decodes the userinfo, so the password is there all the same
            userinfo = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0]
            user, colon, pw = unquote(userinfo).partition(":")
            if colon and pw:
                self.secrets["provisioning_url_password"] = describe_secret(
                    pw, user, SourceRef(file=display, line=hit[1]))
        for m in _QUERY_PARAM_RE.finditer(url):
            if m.group(3) and _secret_param(m.group(2)):
                self.secrets.setdefault("provisioning_url_password", describe_secret(
                    m.group(3), "", SourceRef(file=display, line=hit[1])))
        self.device["provisioning_url"] = (shown_url(url), display, hit[1])
        self.device["provisioning_url.option"] = (key, display, hit[1])
        scheme = url.partition("://")[0] if "://" in url else "tftp"
        self.device["provisioning_protocol"] = (scheme.lower() if _SCHEME_RE.fullmatch(scheme) else "unknown",
                                                display, hit[1])

    def _weakest_server(self, acct: dict, address_key: str, transport_key: str, mapping: dict, default: str) -> None:
        """A line registers to its second (failover) server with that server's own transport: when one is
        configured and does not use TLS while the first does, the line's transport is the second's (a
        failover sends the same credentials and calls in clear). Only server 2 is read: the vendors'
        templates configure at most two."""
        if (acct.get("transport") or ("",))[0] != "tls":
            return
        address = self.get(address_key)
        if address is None and self._mark_unknown(acct, "transport", address_key):
            return  # a failover server only a file the phone may not load names: its transport is not known
        if not address or not address[0].strip():
            return
        second: dict[str, tuple[str, str, int]] = {}
        self.put(second, "transport", transport_key, mapping)
        if second.get("transport", ("",))[0] != "tls":
            where = self.where(address_key)
            acct["transport"] = second.get("transport", (default, where, address[1]))
            acct["transport.option"] = (transport_key, where, address[1])
            for mark in ("transport.placeholder", "transport.unknown"):
                if mark in second:
                    acct[mark] = second[mark]

    def _poly_device_params(self) -> None:
        """Poly UC Software applies a ``device.*`` parameter only when ``device.set`` is 1 and the parameter's own
        ``<name>.set`` is 1 (Administrator Guide, "Device Parameter Types"); otherwise the phone keeps the value
        an earlier file applied, or its own. Such a parameter says nothing about the phone: it is read as not set
        (as an unset admin password or server is judged), never as a PASS on a value the phone may not have, and a
        note names it."""
        applied = (self.get("device.set") or ("0", 0))[0].strip() == "1"
        keys = {k for k in self.s if k.startswith("device.")}
        for layer in self.layers:  # a phone's files merged: the value that wins, with the .set that wins.
            # Bounded per phone (many phones share a file): the parameters read here always, the others
            # (named in the note only) up to a cap.
            keys.update(layer.prefixed("device.")[:_MAX_NOTED_DEVICE_KEYS])
            keys.update(k for k in _POLY_DEVICE_READ if k in layer.settings)
        ignored = [k for k in keys if k != "device.set" and not k.endswith(".set")
                   and not (applied and (self.get(f"{k}.set") or ("0", 0))[0].strip() == "1")]
        if not ignored:
            return
        first = min(ignored, key=lambda k: (self.where(k), (self.get(k) or ("", 0))[1]))
        file, line = self.where(first), (self.get(first) or ("", 0))[1]
        self.hidden.update(ignored)
        shown = ", ".join(sorted(ignored)[:4]) + (f" and {len(ignored) - 4} more" if len(ignored) > 4 else "")
        self.problems.append(Problem(file, line, f"{len(ignored)} device parameter(s) not applied "
                                     f"(device.set and each <name>.set must be 1): {shown}; the phone keeps the value "
                                     "an earlier file applied, or its own", False, note=True))

    def build(self) -> None:
        getattr(self, f"_{self.vendor.replace('-', '_')}")()

    def _yealink(self) -> None:
        self.secret("admin_password", "security.user_password", value_of=lambda v: v.split(":", 1)[1] if ":" in v else v)
        self.url("auto_provision.server.url")
        self.put(self.device, "voicemail_popup", "features.voice_mail_popup.enable")
        self.put(self.device, "missed_call_popup", "features.missed_call_popup.enable")
        self.put(self.device, "web_session_timeout", "features.relog_offtime")  # web UI idle logoff, minutes
        self.device.setdefault("web_session_timeout", ("", self.display, 0))  # read, not provisioned
        for n in sorted(self.numbers(r"account\.(\d{1,4})\.")):
            enabled = self.get(f"account.{n}.enable")  # not known (a file the phone may load): judged as enabled
            if enabled is not None and enabled[0].strip() != "1":
                continue
            acct: dict[str, tuple[str, str, int]] = {}
            self.put(acct, "transport", f"account.{n}.sip_server.1.transport_type", YEALINK_TRANSPORT)
            if "transport" not in acct:  # older firmware: one transport per account
                self.put(acct, "transport", f"account.{n}.transport", YEALINK_TRANSPORT)
            self._weakest_server(acct, f"account.{n}.sip_server.2.address", f"account.{n}.sip_server.2.transport_type",
                                 YEALINK_TRANSPORT, "udp")
            self.put(acct, "srtp", f"account.{n}.srtp_encryption", YEALINK_SRTP)
            self.accounts.append((str(n), acct))

    def _polycom(self) -> None:
        self._poly_device_params()
        self.secret("admin_password", "device.auth.localadminpassword")
        server_type = self.get("device.prov.servertype")
        server = self.get("device.prov.servername")
        if server and server[0]:
            scheme = (server_type[0].lower() if server_type else "ftp")
            if is_template(scheme):  # the server type is the server's placeholder: the scheme is not known
                scheme = "{$device.prov.serverType}"
            scheme = {"0": "ftp", "1": "tftp", "2": "http", "3": "https"}.get(scheme, scheme)
            url = server[0] if "://" in server[0] else f"{scheme}://{server[0]}"
            self.s["device.prov.servername"] = (url, server[1])
            self.url("device.prov.servername")
        lines = sorted(self.numbers(r"reg\.(\d{1,4})\."))
        srtp = "off"
        srtp_keys = [k for k in ("sec.srtp.enable", "sec.srtp.require") if is_template((self.get(k) or ("", 0))[0])]
        if srtp_keys:
            srtp = PLACEHOLDER
        elif (self.get("sec.srtp.enable") or ("1", 0))[0] in {"1", "true"}:
            srtp = "mandatory" if (self.get("sec.srtp.require") or ("0", 0))[0] in {"1", "true"} else "optional"
        srtp_key = "sec.srtp.require" if self.get("sec.srtp.require") else "sec.srtp.enable"
        srtp_line, srtp_file = (self.get(srtp_key) or ("", 0))[1], self.where(srtp_key)
        for n in lines:
            if not (self.get(f"reg.{n}.address") or ("", 0))[0]:
                continue
            acct: dict[str, tuple[str, str, int]] = {}
            self.put(acct, "transport", f"reg.{n}.server.1.transport", POLY_TRANSPORT)
            if "transport" not in acct:
                acct["transport"] = ("dns-naptr", self.display, 0)  # Poly's default
            self._weakest_server(acct, f"reg.{n}.server.2.address", f"reg.{n}.server.2.transport", POLY_TRANSPORT,
                                 "dns-naptr")
            acct["srtp"] = (srtp, srtp_file, srtp_line)
            acct["srtp.option"] = ("sec.srtp.require", srtp_file, srtp_line)
            if srtp_keys:
                acct["srtp.placeholder"] = ("yes", srtp_file, srtp_line)
            self.accounts.append((str(n), acct))

    def _grandstream(self) -> None:
        self.secret("admin_password", "P2")
        self.put(self.device, "web_session_timeout", "P28116")  # Web Session Timeout, minutes
        self.device.setdefault("web_session_timeout", ("", self.display, 0))  # read, not provisioned
        path = self.get("P237")
        proto = self.get("P212")
        if path and path[0]:
            scheme = GS_PROV.get(proto[0] if proto else "1", "http")
            if proto and is_template(proto[0]):  # the protocol is the server's placeholder: not known
                self.s["P237"] = (path[0] if "://" in path[0] else "{$P212}://" + path[0], path[1])
            else:
                self.s["P237"] = (path[0] if "://" in path[0] else f"{scheme}://{path[0]}", path[1])
            self.url("P237")
        if self.get("P47") and (self.get("P47") or ("", 0))[0]:
            acct: dict[str, tuple[str, str, int]] = {}
            self.put(acct, "transport", "P130", GS_TRANSPORT)
            acct.setdefault("transport", ("udp", self.display, 0))
            self.put(acct, "srtp", "P183", GS_SRTP)
            self.accounts.append(("1", acct))

    def _cisco_spa(self) -> None:
        self.secret("admin_password", "Admin_Passwd")
        for key in ("Profile_Rule", "Profile_Rule_B", "Profile_Rule_C", "Profile_Rule_D"):
            hit = self.get(key)
            if hit and hit[0]:
                url = re.sub(r"^\[[^\]]*\]\s*", "", hit[0])  # drop "[--key ...]" options
                self.s[key] = (url if "://" in url else f"tftp://{url}", hit[1])
                self.url(key)
                break
        lines = sorted({int(m.group(1)) for k in self.s if (m := re.match(r"Line_Enable_(\d{1,4})_", k))})
        for n in lines:
            if (self.get(f"Line_Enable_{n}_") or ("No", 0))[0].lower() != "yes":
                continue
            acct: dict[str, tuple[str, str, int]] = {}
            self.put(acct, "transport", f"SIP_Transport_{n}_", {"udp": "udp", "tcp": "tcp", "tls": "tls", "auto": "udp"})
            acct.setdefault("transport", ("udp", self.display, 0))
            self.put(acct, "srtp", f"Secure_Call_Setting_{n}_", {"yes": "mandatory", "no": "off"})
            self.accounts.append((str(n), acct))


# Yealink's common file, loaded by every phone of one model before its own file: y0000000000XX.cfg, XX the
# model id (Yealink's auto provisioning guide: "y000000000066.cfg" for a T46S); y000000000000.cfg is no
# model's. A phone's own (MAC-oriented) file: <MAC>.cfg, or a provisioning server's template of it
# ("{$mac}.cfg" FusionPBX, "{{mac}}.cfg", "${MAC}.cfg"). Fixed-width patterns: linear.
_YEALINK_COMMON_RE = re.compile(r"y0{10}([0-9a-f]{2})\.cfg", re.IGNORECASE)
_MAC_FILE_RE = re.compile(r"[0-9a-f]{12}\.cfg", re.IGNORECASE)
_MAC_TEMPLATE_NAMES = {"{$mac}.cfg", "${mac}.cfg", "{{mac}}.cfg", "{{ mac }}.cfg", "$mac.cfg", "%mac%.cfg"}
# A Yealink firmware image is named by its version, whose first number is the model id of the common file
# ("66.86.0.15.rom", "T46S-66.86.0.160.rom"): a per-MAC file that names its firmware names its model.
_FIRMWARE_MODEL_RE = re.compile(r"(?:^|[^0-9.])([0-9]{2})\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,4}\.rom$", re.IGNORECASE)

_Parsed = tuple[str | None, Settings, list[Problem], int]


def _parsed(path: Path, display: str) -> _Parsed:
    try:
        return parse_provisioning_file(path, display)
    except Exception as exc:  # noqa: BLE001 - a hostile file the reader did not foresee: this file only
        return None, {}, [Problem(display, 0, f"file could not be read ({exc.__class__.__name__})", True)], 0


def _is_mac_file(name: str) -> bool:
    low = name.lower()
    return (bool(_MAC_FILE_RE.fullmatch(low)) and low != "000000000000.cfg") or low in _MAC_TEMPLATE_NAMES


def _firmware_model(settings: Settings) -> str | None:
    """The model id a Yealink file's firmware URL names, if any (lower-case hex digits as in the file name)."""
    hit = settings.get("firmware.url")
    if not hit:
        return None
    name = hit[0].strip().rsplit("/", 1)[-1][-64:]
    m = _FIRMWARE_MODEL_RE.search(name)
    return m.group(1).lower() if m else None


class _Merge:
    """What a phone loads besides its own file: ``layers`` (surely, highest precedence first), ``unknown``
    (one of them, maybe), why, and the problems that follows (a note naming the files; a gap when a file
    it loads could not be read whole)."""

    def __init__(self) -> None:
        self.layers: list[_Layer] = []
        self.unknown: list[_Layer] = []
        self.why = ""
        self.problems: list[Problem] = []


def _unread_gap(display: str, other: str, parsed: _Parsed, how: str) -> Problem | None:
    """A gap on ``display`` when ``other`` (a file the phone loads, ``how``) could not be read, or only in
    part: the settings there are not known for this phone either."""
    vendor, _settings, problems, _content = parsed
    if any(p.fatal for p in problems) or vendor is None:
        return Problem(display, 0, f"{label(other)} ({how}) could not be read; the settings it gives this phone "
                                   "are not known", False)
    gaps = sum(1 for p in problems if not p.note)
    if gaps:
        return Problem(display, 0, f"{label(other)} ({how}) has {gaps} unread part(s); the settings there are not "
                                   "known for this phone either", False)
    return None


def _usable(parsed: _Parsed) -> bool:
    """Whether a Yealink file's settings can be merged into a phone's (read, and Yealink's)."""
    return parsed[0] == "yealink" and not any(p.fatal for p in parsed[2])


def _yealink_merges(parsed: dict[str, _Parsed], layer_of: Callable[[str], _Layer]) -> dict[str, _Merge]:
    """Per Yealink per-MAC file: the common file of its folder it loads first (Yealink: the common
    y0000000000XX.cfg, then <MAC>.cfg, later values overriding). Known when the folder holds one common
    file, or the MAC file's firmware names the model; otherwise every common file is a maybe."""
    commons: dict[str, dict[str, str]] = {}  # folder -> model id -> display
    for display in parsed:
        p = Path(display)
        m = _YEALINK_COMMON_RE.fullmatch(p.name)
        if m:
            commons.setdefault(str(p.parent), {})[m.group(1).lower()] = display
    merges: dict[str, _Merge] = {}
    for display, (vendor, settings, problems, _content) in parsed.items():
        p = Path(display)
        folder = commons.get(str(p.parent))
        if vendor != "yealink" or not folder or not _is_mac_file(p.name) or any(x.fatal for x in problems):
            continue
        merge = _Merge()
        model = _firmware_model(settings)
        chosen = folder.get(model) if model else None
        if chosen is None and len(folder) == 1:
            chosen = next(iter(folder.values()))
        if chosen is not None:
            gap = _unread_gap(display, chosen, parsed[chosen], "the common file the phone loads first")
            if gap is not None:
                merge.problems.append(gap)
            if _usable(parsed[chosen]):  # what it says is merged, even when some of it was not read
                merge.layers.append(layer_of(chosen))
        elif model:  # its firmware names a model whose common file is not in this folder: nothing to merge
            merge.problems.append(Problem(display, 0, f"its firmware names Yealink model id {model}, whose common "
                                                      f"file y0000000000{model}.cfg is not in the folder; the file "
                                                      "is read on its own", False, note=True))
        else:
            names = sorted(folder.values())
            shown = ", ".join(label(Path(n).name) for n in names[:4]) + (
                f" and {len(names) - 4} more" if len(names) > 4 else "")
            merge.why = (f"set only by Yealink common files ({shown}), one of which the phone loads before "
                         f"{label(p.name)}; which one depends on its model, which {label(p.name)} does not name")
            merge.problems.append(Problem(display, 0, f"{label(p.name)} and the Yealink common files {shown}: the "
                                                      "phone loads the one of its model first, and its model is not "
                                                      "named (no firmware.url); settings only they set are not known "
                                                      "for this phone", False, note=True))
            for name in names:
                gap = _unread_gap(display, name, parsed[name], "a common file the phone may load first")
                if gap is not None:
                    merge.problems.append(gap)
                if _usable(parsed[name]):
                    merge.unknown.append(layer_of(name))
        merges[display] = merge
    return merges


def _listed_name(folder: Path, name: str) -> str | None:
    """The display name of a file a Poly master file lists, looked up among the files already found below
    the scanned directory: only a plain relative name inside the master's folder ("sip.cfg",
    "config/site.cfg"), never an absolute path, a "..", a template or Poly's [MACADDRESS] substitution."""
    import posixpath

    if (not name or len(name) > 255 or is_template(name) or any(c in name for c in "$[]%\\")
            or name.startswith("/") or ".." in name.split("/")):
        return None
    return posixpath.normpath(posixpath.join(folder.as_posix(), name)).removeprefix("./")


def _poly_merges(parsed: dict[str, _Parsed], layer_of: Callable[[str], _Layer],
                 ) -> tuple[dict[str, _Merge], dict[str, list[str]]]:
    """Per Poly master file (000000000000.cfg, <MAC>.cfg: <APPLICATION CONFIG_FILES="a.cfg, b.cfg">): the
    phone it stands for loads the files it lists, the first listed taking precedence (Polycom's SoundPoint
    IP / UC Software administrator guides: the files are processed left to right and a parameter found
    first in the list is the one in effect). A phone with its own <MAC>.cfg master never loads
    000000000000.cfg, so each master is a phone of its own. Also which master lists each file (that file
    is part of a phone, not one). URLs, [PHONE_MAC_ADDRESS] names and files not here stay unread (the
    parser's gap names them).
    Bounded: at most MAX_CONFIG_FILES names a master, each looked up among the files already found."""
    merges: dict[str, _Merge] = {}
    listed_by: dict[str, list[str]] = {}
    for display, (vendor, settings, problems, _content) in parsed.items():
        raw = settings.get(CONFIG_FILES_KEY)
        if vendor != "polycom-master" or raw is None or any(p.fatal for p in problems):
            continue
        merge = _Merge()
        seen: set[str] = set()
        folder = Path(display).parent
        for name in raw[0].split(",", MAX_CONFIG_FILES)[:MAX_CONFIG_FILES]:
            found = _listed_name(folder, name.strip())
            if found is None or found in seen or found not in parsed or found == display:
                continue  # not a file here (the parser's gap names it), or listed again: the first one counts
            seen.add(found)
            other = parsed[found]
            if other[0] == "polycom-master":
                continue  # a master file holds no setting
            gap = _unread_gap(display, found, other, "listed in its CONFIG_FILES")
            if gap is None and other[0] != "polycom":
                gap = Problem(display, 0, f"{label(found)} (listed in its CONFIG_FILES) is not a Poly configuration "
                                          "file; the settings it gives this phone are not known", False)
            if gap is not None:
                merge.problems.append(gap)
            if other[0] == "polycom" and not any(p.fatal for p in other[2]):
                merge.layers.append(layer_of(found))
                listed_by.setdefault(found, []).append(display)
        if seen:
            merges[display] = merge
    return merges, listed_by


def build_phone_facts(directory: Path) -> PhoneFacts:
    """One PhoneFacts for a directory of provisioning files: one resource per phone file. A phone's
    settings are its own file's over the files the phone loads with it (Yealink: its model's common
    file), each value from the file that won; a file that cannot be read (or that the reader trips
    over) is an ERROR for that phone only."""
    facts = PhoneFacts()
    base, files, unread = files_under(directory, PHONE_SUFFIXES)
    for display, reason in unread:
        facts.add_file(display, [Problem(display, 0, reason, True)])
    if not files and not unread:  # files there, none of them ours: a gap, not "no provisioning files"
        for problem in foreign_files(directory, "a provisioning file", PHONE_SUFFIXES):
            facts.add_file(problem.file, [problem])
    parsed = {str(path.relative_to(base)): _parsed(path, str(path.relative_to(base))) for path in files}
    layers: dict[str, _Layer] = {}

    def layer_of(display: str) -> _Layer:
        if display not in layers:
            layers[display] = _Layer(display, parsed[display][1])
        return layers[display]

    merges = _yealink_merges(parsed, layer_of)
    poly, listed_by = _poly_merges(parsed, layer_of)
    merges.update(poly)
    for display, (vendor, settings, problems, content) in parsed.items():
        merge = merges.get(display) or _Merge()
        masters = listed_by.get(display)
        if masters and display not in merges:
            # part of the phones of the master files listing it: judged in them, not as a phone of its own
            shown = ", ".join(label(m) for m in masters[:3]) + (f" and {len(masters) - 3} more"
                                                                if len(masters) > 3 else "")
            facts.add_file(display, [*problems, Problem(
                display, 0, f"listed in the CONFIG_FILES of the Poly master file(s) {shown}: read as part of that "
                            "phone, not judged on its own", False, note=True)])
            facts.configs[display].content_lines = content
            continue
        if vendor == "polycom-master" and display in merges:
            vendor = "polycom"  # the phone this master stands for: its listed files' settings, merged
        try:
            objects, problems = _read_phone(display, vendor, settings, [*problems, *merge.problems], merge)
        except Exception as exc:  # noqa: BLE001 - a hostile file the reader did not foresee: this file only
            objects, problems, content = [], [Problem(display, 0, f"file could not be read ({exc.__class__.__name__})",
                                                      True)], 0
        facts.add_file(display, problems)
        facts.configs[display].content_lines = content
        if facts.configs[display].fatal_problem is None:
            facts.objects.extend(objects)
    facts.reindex()
    return facts


def _read_phone(display: str, vendor: str | None, settings: Settings, problems: list[Problem],
                merge: _Merge) -> tuple[list[ConfigObject], list[Problem]]:
    if vendor is None or vendor == "polycom-master" or any(p.fatal for p in problems):
        return [], problems
    phone = _Phone(display, vendor, settings, tuple(merge.layers), tuple(merge.unknown), merge.why)
    phone.build()
    problems = [*problems, *phone.problems]
    objects = [ConfigObject.of({
        "kind": "phone.device", "name": display, "source": {"file": display, "line": 0},
        "settings": _setting(phone.device), "secrets": phone.secrets})]
    for n, acct in phone.accounts:
        acct["vendor"] = (vendor, display, 0)
        acct["device"] = (display, display, 0)
        objects.append(ConfigObject.of({
            "kind": "phone.account", "name": f"{display} line {n}", "source": {"file": display, "line": 0},
            "settings": _setting(acct), "secrets": {}}))
    return objects, problems
