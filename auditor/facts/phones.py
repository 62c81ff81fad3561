"""Desk-phone facts, normalised across vendors.

Every provisioning file gives one ``phone.device`` (admin password shape, provisioning URL
and protocol, idle-screen popups) and one ``phone.account`` per enabled SIP line
(transport, SRTP mode), each keeping the vendor's own option name and line as evidence.
Checks are vendor-neutral; remediation is per vendor.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar
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
from voxaudit.parsers.phone_provisioning import Settings, is_template, parse_provisioning_file
from voxaudit.parsers.problem import Problem
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


class _Phone:
    """Builds the normalised objects for one file."""

    def __init__(self, display: str, vendor: str, s: Settings) -> None:
        self.display, self.vendor, self.s = display, vendor, s
        self.device: dict[str, tuple[str, str, int]] = {"vendor": (vendor, display, 0)}
        self.secrets: dict[str, SecretInfo] = {}
        self.accounts: list[tuple[str, dict[str, tuple[str, str, int]]]] = []
        self.problems: list[Problem] = []  # what this vendor's phone ignores in the file, as the phone decides

    def get(self, key: str) -> tuple[str, int] | None:
        return self.s.get(key)

    def put(self, target: dict, name: str, key: str, mapping: dict | None = None) -> None:
        hit = self.get(key)
        if hit is not None and is_template(hit[0]):
            # an unrendered template's placeholder: the value is not known, never a default or an
            # "unknown value" judged as not-TLS / SRTP off (views make it undecidable)
            target[name] = (PLACEHOLDER, self.display, hit[1])
            target[f"{name}.option"] = (key, self.display, hit[1])
            target[f"{name}.placeholder"] = ("yes", self.display, hit[1])
        elif hit is not None:
            raw = hit[0].strip()
            # An unknown code is shown only when it looks like one (a value here may be anything).
            shown = f"unknown ({raw})" if _CODE_RE.fullmatch(raw) else "unknown value"
            value = mapping.get(raw.lower(), shown) if mapping else hit[0]
            target[name] = (value, self.display, hit[1])
            target[f"{name}.option"] = (key, self.display, hit[1])

    def secret(self, name: str, key: str, identity: str = "admin", value_of=lambda v: v) -> None:
        hit = self.get(key)
        value = value_of(hit[0]) if hit else None
        source = SourceRef(file=self.display, line=hit[1] if hit else 0)
        if hit is not None and is_template(hit[0]):  # {$admin_password}: filled in by the server, strength unknown
            self.secrets[name] = SecretInfo(present=True, placeholder=True, source=source)
        else:
            self.secrets[name] = describe_secret(value, identity, source)
        if hit:
            self.device[f"{name}.option"] = (key, self.display, hit[1])

    def url(self, key: str) -> None:
        hit = self.get(key)
        if hit is None or not hit[0]:
            return
        url = hit[0]
        if is_template(url):
            # "{$yealink_provision_url}": the server fills it in. The protocol is known only when the
            # scheme itself is written out ("http://{$domain}/..."); credentials in it are not known.
            scheme, sep, _ = url.partition("://")
            known = bool(sep) and _SCHEME_RE.fullmatch(scheme) is not None and not is_template(scheme)
            self.device["provisioning_url"] = (f"{scheme.lower()}://<template placeholder>" if known
                                               else "<template placeholder>", self.display, hit[1])
            self.device["provisioning_url.option"] = (key, self.display, hit[1])
            self.device["provisioning_protocol"] = (scheme.lower() if known else PLACEHOLDER, self.display, hit[1])
            if not known:
                self.device["provisioning_url.placeholder"] = ("yes", self.display, hit[1])
            # "https://{$user}:{$password}@host/", "?token={$token}": whatever is filled in, the URL
            # carries credentials (their strength is not known)
            authority = url.partition("://")[2].split("/", 1)[0]
            if "@" in authority or any(m.group(3) and _secret_param(m.group(2)) for m in _QUERY_PARAM_RE.finditer(url)):
                self.secrets["provisioning_url_password"] = SecretInfo(
                    present=True, placeholder=True, source=SourceRef(file=self.display, line=hit[1]))
            return
        creds = inline_credentials(url)
        if creds:
            user, pw = creds[0]
            self.secrets["provisioning_url_password"] = describe_secret(pw, user, SourceRef(file=self.display, line=hit[1]))
        else:  # "u%3Apassword@host": the phone decodes the userinfo, so the password is there all the same
            userinfo = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0]
            user, colon, pw = unquote(userinfo).partition(":")
            if colon and pw:
                self.secrets["provisioning_url_password"] = describe_secret(
                    pw, user, SourceRef(file=self.display, line=hit[1]))
        for m in _QUERY_PARAM_RE.finditer(url):
            if m.group(3) and _secret_param(m.group(2)):
                self.secrets.setdefault("provisioning_url_password", describe_secret(
                    m.group(3), "", SourceRef(file=self.display, line=hit[1])))
        self.device["provisioning_url"] = (shown_url(url), self.display, hit[1])
        self.device["provisioning_url.option"] = (key, self.display, hit[1])
        scheme = url.partition("://")[0] if "://" in url else "tftp"
        self.device["provisioning_protocol"] = (scheme.lower() if _SCHEME_RE.fullmatch(scheme) else "unknown",
                                                self.display, hit[1])

    def _weakest_server(self, acct: dict, address_key: str, transport_key: str, mapping: dict, default: str) -> None:
        """A line registers to its second (failover) server with that server's own transport: when one is
        configured and does not use TLS while the first does, the line's transport is the second's (a
        failover sends the same credentials and calls in clear). Only server 2 is read: the vendors'
        templates configure at most two."""
        address = self.get(address_key)
        if not address or not address[0].strip() or (acct.get("transport") or ("",))[0] != "tls":
            return
        second: dict[str, tuple[str, str, int]] = {}
        self.put(second, "transport", transport_key, mapping)
        if second.get("transport", ("",))[0] != "tls":
            acct["transport"] = second.get("transport", (default, self.display, address[1]))
            acct["transport.option"] = (transport_key, self.display, address[1])
            if "transport.placeholder" in second:
                acct["transport.placeholder"] = second["transport.placeholder"]

    def _poly_device_params(self) -> None:
        """Poly UC Software applies a ``device.*`` parameter only when ``device.set`` is 1 and the parameter's own
        ``<name>.set`` is 1 (Administrator Guide, "Device Parameter Types"); otherwise the phone keeps the value
        an earlier file applied, or its own. Such a parameter says nothing about the phone: it is read as not set
        (as an unset admin password or server is judged), never as a PASS on a value the phone may not have, and a
        note names it."""
        applied = (self.get("device.set") or ("0", 0))[0].strip() == "1"
        ignored = [k for k in self.s if k.startswith("device.") and k != "device.set" and not k.endswith(".set")
                   and not (applied and (self.get(f"{k}.set") or ("0", 0))[0].strip() == "1")]
        if not ignored:
            return
        line = min(self.s[k][1] for k in ignored)
        for k in ignored:
            del self.s[k]
        shown = ", ".join(sorted(ignored)[:4]) + (f" and {len(ignored) - 4} more" if len(ignored) > 4 else "")
        self.problems.append(Problem(self.display, line, f"{len(ignored)} device parameter(s) not applied by this file "
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
        lines = sorted({int(m.group(1)) for k in self.s if (m := re.match(r"account\.(\d{1,4})\.", k))})
        for n in lines:
            enabled = self.get(f"account.{n}.enable")
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
        lines = sorted({int(m.group(1)) for k in self.s if (m := re.match(r"reg\.(\d{1,4})\.", k))})
        srtp = "off"
        srtp_keys = [k for k in ("sec.srtp.enable", "sec.srtp.require") if is_template((self.get(k) or ("", 0))[0])]
        if srtp_keys:
            srtp = PLACEHOLDER
        elif (self.get("sec.srtp.enable") or ("1", 0))[0] in {"1", "true"}:
            srtp = "mandatory" if (self.get("sec.srtp.require") or ("0", 0))[0] in {"1", "true"} else "optional"
        srtp_line = (self.get("sec.srtp.require") or self.get("sec.srtp.enable") or ("", 0))[1]
        for n in lines:
            if not (self.get(f"reg.{n}.address") or ("", 0))[0]:
                continue
            acct: dict[str, tuple[str, str, int]] = {}
            self.put(acct, "transport", f"reg.{n}.server.1.transport", POLY_TRANSPORT)
            if "transport" not in acct:
                acct["transport"] = ("dns-naptr", self.display, 0)  # Poly's default
            self._weakest_server(acct, f"reg.{n}.server.2.address", f"reg.{n}.server.2.transport", POLY_TRANSPORT,
                                 "dns-naptr")
            acct["srtp"] = (srtp, self.display, srtp_line)
            acct["srtp.option"] = ("sec.srtp.require", self.display, srtp_line)
            if srtp_keys:
                acct["srtp.placeholder"] = ("yes", self.display, srtp_line)
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


def build_phone_facts(directory: Path) -> PhoneFacts:
    """One PhoneFacts for a directory of provisioning files: each file stands alone, so a file that
    cannot be read (or that the reader trips over) is an ERROR for that phone only."""
    facts = PhoneFacts()
    base, files, unread = files_under(directory, PHONE_SUFFIXES)
    for display, reason in unread:
        facts.add_file(display, [Problem(display, 0, reason, True)])
    if not files and not unread:  # files there, none of them ours: a gap, not "no provisioning files"
        for problem in foreign_files(directory, "a provisioning file", PHONE_SUFFIXES):
            facts.add_file(problem.file, [problem])
    for path in files:
        display = str(path.relative_to(base))
        try:
            objects, problems, content = _read_phone(path, display)
        except Exception as exc:  # noqa: BLE001 - a hostile file the reader did not foresee: this file only
            objects, problems, content = [], [Problem(display, 0, f"file could not be read ({exc.__class__.__name__})",
                                                      True)], 0
        facts.add_file(display, problems)
        facts.configs[display].content_lines = content
        if facts.configs[display].fatal_problem is None:
            facts.objects.extend(objects)
    facts.reindex()
    return facts


def _read_phone(path: Path, display: str) -> tuple[list[ConfigObject], list[Problem], int]:
    vendor, settings, problems, content = parse_provisioning_file(path, display)
    if vendor is None or vendor == "polycom-master" or any(p.fatal for p in problems):
        return [], problems, content
    phone = _Phone(display, vendor, settings)
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
    return objects, problems, content
