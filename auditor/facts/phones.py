"""Desk-phone facts, normalised across vendors.

Every provisioning file gives one ``phone.device`` (admin password shape, provisioning URL
and protocol, idle-screen popups) and one ``phone.account`` per enabled SIP line
(transport, SRTP mode, the shape of its SIP password where the files set one), each keeping the vendor's
own option name and line as evidence.
Checks are vendor-neutral; remediation is per vendor.

A phone is judged on the files it applies together, as its firmware picks them: Yealink's boot file
(<MAC>.boot, else y000000000000.boot, listing the files in order) or its model's common file with its
<MAC>.cfg, and its <MAC>-local.cfg as custom.protect/custom.sync decide; Poly's master file with the files its
CONFIG_FILES lists ([PHONE_MAC_ADDRESS] read as the phone's MAC).
A file a Yealink boot file or a Poly master lists that is not here (a URL, a name not in the folder) may set anything, in
its place of the list: what the files read here leave unset, or set only after it, is then not known, never the factory
default's verdict (for Poly, that includes device.* parameters whose device.set / <name>.set only such a file could
decide, and SRTP's defaults).
Grandstream: every SIP account its P-values name (1-6) or its named items set, each as account 1 is read.
A secret set in several places (a SIP password on several lines, one admin password written into several phones' own
files) is marked shared; one common file many phones load is one setting, not a shared secret.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, ClassVar
from urllib.parse import unquote

import msgspec

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
    BOOT_INCLUDE_PREFIX,
    BOOT_UNQUOTED,
    CONFIG_FILES_KEY,
    GS_ACCOUNT_FIELDS,
    GS_ACCOUNTS,
    GS_NAMED_ACCOUNT,
    MAX_CONFIG_FILES,
    PHONE_MAC_PLACEHOLDER,
    Settings,
    boot_includes,
    is_template,
    master_mac,
    parse_provisioning_file,
)
from voxaudit.parsers.problem import Problem, label, shown_url
from voxaudit.secretinfo import SecretInfo, describe_secret

PHONE_SUFFIXES = {".cfg", ".xml", ".txt", ".conf", ".boot"}  # .boot: Yealink boot files
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


MAX_CREDENTIAL_URLS = 16  # per phone, besides its provisioning URL: each one is a finding of its own


def _embedded_secret(url: str) -> tuple[str, str] | None:
    """(user, secret) a URL carries: the password of its userinfo (percent-encoded too: the phone decodes it),
    else the value of a query parameter named like a secret (``?token=``). None when it carries neither."""
    creds = inline_credentials(url)
    if creds:
        return creds[0]
    userinfo = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0]
    user, colon, pw = unquote(userinfo).partition(":")
    if colon and pw:
        return user, pw
    for m in _QUERY_PARAM_RE.finditer(url):
        if m.group(3) and _secret_param(m.group(2)):
            return "", m.group(3)
    return None


def _credential_keys(settings: Settings) -> list[str]:
    """The keys of a file whose value is a URL carrying a secret (a firmware, phone book or include URL...)."""
    return [k for k, (v, _) in settings.items() if "://" in v and not is_template(v) and _embedded_secret(v)]


# The value of a setting an unrendered template leaves to its placeholder (``<name>.placeholder = yes``)
PLACEHOLDER = "template placeholder"
YEALINK_TRANSPORT = {"0": "udp", "1": "tcp", "2": "tls", "3": "dns-naptr"}
YEALINK_SRTP = {"0": "off", "1": "optional", "2": "mandatory"}
GS_TRANSPORT = {"0": "udp", "1": "tcp", "2": "tls"}
GS_SRTP = {"0": "off", "1": "optional", "2": "mandatory", "3": "optional"}
GS_PROV = {"0": "tftp", "1": "http", "2": "https", "3": "ftp", "4": "ftps"}
# Factory defaults of a Grandstream account's SIP Transport (0 UDP) and SRTP Mode (0 Disabled) where Grandstream's
# configuration templates agree (FusionPBX's gxp21xx and gxp16xx templates, "Default is 0"); the one they contradict
# (gxp21xx gives account 6's P1848 "Default is 2") and the accounts they do not cover are not known.
GS_DEFAULTS: dict[tuple[int, str], str] = {
    **{(n, "transport"): "udp" for n in range(1, 6)}, **{(n, "srtp"): "off" for n in range(1, 7)}}
_GS_WHAT = {"transport": "SIP transport", "srtp": "SRTP mode"}
GS_UNVERIFIED = {(6, "transport"): 'contradict each other: "Default is 0" for accounts 1-5, "Default is 2" for 6'}
_GS_NAMED_RE = re.compile(r"account\.(\d{1,4})\.server$")
MAX_GS_ACCOUNTS = 64  # accounts beyond GS_ACCOUNTS read by their named items (GRP2670: 12); more is a gap


def _gs_accounts(phone: "_Phone") -> list[tuple[int, dict[str, str]]]:
    """Every SIP account of a Grandstream phone: the six its P-values name (GS_ACCOUNTS), then any higher one its
    named items set (``account.<N>.server``), at most MAX_GS_ACCOUNTS of those (the rest: a gap)."""
    named = sorted(n for n in phone.numbers(_GS_NAMED_RE.pattern) if n not in GS_ACCOUNTS)
    if len(named) > MAX_GS_ACCOUNTS:
        phone.problems.append(Problem(phone.display, 0, f"{len(named)} SIP accounts beyond account 6 are named; only "
                                                        f"the first {MAX_GS_ACCOUNTS} are read, the others' settings "
                                                        "are not known", False))
    return [*GS_ACCOUNTS.items(),
            *((n, {f: GS_NAMED_ACCOUNT.format(n=n, field=f) for f in GS_ACCOUNT_FIELDS})
              for n in named[:MAX_GS_ACCOUNTS])]


POLY_TRANSPORT = {"tls": "tls", "udponly": "udp", "tcponly": "tcp", "tcppreferred": "tcp", "dnsnaptr": "dns-naptr"}


class PhoneFacts(PerFileFacts, tag="phone", kw_only=True):
    """``configs`` has one entry per provisioning file; the fact source is "provisioning"."""

    platform: ClassVar[str] = "phone"
    file_source: ClassVar[str] = "provisioning"
    file_label: ClassVar[str] = "phone"


def _setting(kind_values: dict[str, tuple[str, str, int]]) -> dict[str, list[dict]]:
    return {k: [{"value": v, "file": f, "line": ln}] for k, (v, f, ln) in kind_values.items()}


class _Unread(dict):
    """The settings of a file the phone loads (or may load) that is not read here: a URL, a name not in the
    scanned folder. It may set any key, so ``get`` answers for every one; its keys cannot be listed (iterating
    it yields none, so it adds no SIP line)."""

    def get(self, key: str, default: object = None) -> tuple[str, int]:  # noqa: ARG002 - any key: a hit
        return ("", 0)


# (secret, value) -> the (file, line) places that set it, for one scan only (kept in memory while the facts are built,
# never stored): a SIP line password, or a phone's admin password, set in two places is one secret reused.
_LineValues = dict[tuple[str, str], set[tuple[str, int]]]
# The secrets whose reuse is told, with the object kind carrying each and the label of its groups
_SHARED = {"sip_password": ("phone.account", "shared-line-password"),
           "admin_password": ("phone.device", "shared-admin-password")}


def _mark_shared_lines(facts: PhoneFacts, line_values: _LineValues) -> None:
    """Give each secret whose value another place (another file, or another line of the same file) also sets an
    opaque shared label: one SIP password for several lines, or one admin password written into several phones'
    own files, identifies none of them and falls with any one of them. The same file and line read by several
    phones (a common file: one setting, changed in one place) is one password, not a shared one."""
    groups: dict[tuple[str, str, int], str] = {}
    counts: dict[str, int] = {}
    for (name, _value), places in line_values.items():
        if len(places) > 1:
            counts[name] = counts.get(name, 0) + 1
            for place in places:
                groups[(name, *place)] = f"{_SHARED[name][1]}-{counts[name]}"
    line_values.clear()
    if not groups:
        return
    for obj in facts.objects:
        for name, (kind, _label) in _SHARED.items():
            info = obj.secrets.get(name) if obj.kind == kind else None
            source = info.source if info is not None else None
            group = groups.get((name, source.file, source.line)) if source is not None else None
            if info is not None and group:
                obj.secrets[name] = msgspec.structs.replace(info, shared_group=group)


class _Layer:
    """One file a phone loads besides its own, read once however many phones load it: its settings and,
    computed on first use, the line numbers its keys name (so a folder of N per-MAC files sharing one
    common file costs N lookups, never N copies of the common file)."""

    def __init__(self, display: str, settings: Settings) -> None:
        self.display, self.settings = display, settings
        self._numbers: dict[str, set[int]] = {}
        self._prefixed: dict[str, list[str]] = {}
        self._credential_keys: list[str] | None = None

    def credential_keys(self) -> list[str]:
        """Keys whose value is a URL carrying a secret, found once however many phones load the file."""
        if self._credential_keys is None:
            self._credential_keys = _credential_keys(self.settings)
        return self._credential_keys

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


# One file of a phone's merge, and why the phone may not apply it ('' when it surely does): a Yealink common
# file of a model the phone may not be, a boot include for other models, a <MAC>-local.cfg the phone may not take.
_Step = tuple["_Layer", str]


class _Phone:
    """Builds the normalised objects for one phone: the ``above`` files, then its own file's settings, then the
    ``layers`` it loads too, highest precedence first. A step with a reason is a file the phone may or may not
    apply: a setting whose first holder is such a file is not known (the views report it undecidable with the
    reason, never a default's verdict). Every value keeps the file and line that set it."""

    def __init__(self, display: str, vendor: str, s: Settings, layers: tuple[_Step, ...] = (),
                 above: tuple[_Step, ...] = (), line_values: _LineValues | None = None) -> None:
        self.display, self.vendor, self.s = display, vendor, dict(s)
        self.line_values = line_values
        self.steps: tuple[tuple[_Layer | None, str], ...] = (*above, (None, ""), *layers)  # None: its own file
        self.maybe: dict[str, str] = {}  # key -> why it is not known (a file the phone may apply holds it first)
        self.src: dict[str, str] = {}  # key -> the layer file that set it (own file when absent)
        self.hidden: set[str] = set()  # keys the phone does not apply (Poly device.* without its .set)
        self.device: dict[str, tuple[str, str, int]] = {"vendor": (vendor, display, 0)}
        self.secrets: dict[str, SecretInfo] = {}
        self.accounts: list[tuple[str, dict[str, tuple[str, str, int]]]] = []
        self.account_secrets: dict[str, dict[str, SecretInfo]] = {}  # line -> its SIP password's shape
        self.problems: list[Problem] = []  # what this vendor's phone ignores in the file, as the phone decides
        self.local = False  # its <MAC>-local.cfg is merged (Yealink)
        self.boot: _Layer | None = None  # the boot file it loads (Yealink)

    def get(self, key: str) -> tuple[str, int] | None:
        if key in self.hidden:
            return None
        for layer, why in self.steps:
            hit = (self.s if layer is None else layer.settings).get(key)
            if hit is None:
                continue
            if why:  # the first file holding it is one the phone may not apply: not known
                self.maybe[key] = why
                return None
            if layer is not None:
                self.src[key] = layer.display
            return hit
        return None

    def where(self, key: str) -> str:
        """The file whose value of ``key`` the phone takes."""
        return self.src.get(key, self.display)

    def not_known(self, key: str) -> str:
        """Why ``key`` is not known for this phone ('' when it is): the first file holding it is one the phone
        may not apply."""
        if self.get(key) is None and key in self.maybe:
            return f"{key} is {self.maybe[key]}"
        return ""

    @property
    def layers(self) -> list[_Layer]:
        """The other files the phone surely applies."""
        return [layer for layer, why in self.steps if layer is not None and not why]

    def numbers(self, pattern: str) -> set[int]:
        """Line numbers named by keys matching ``pattern`` in every file the phone loads or may load."""
        rx = re.compile(pattern)
        found = {int(m.group(1)) for k in self.s if (m := rx.match(k))}
        for layer, _why in self.steps:
            if layer is not None:
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
            if value and name in _SHARED and self.line_values is not None and not self.secrets[name].placeholder:
                self.line_values.setdefault((name, value), set()).add((where, source.line))
        if hit:
            self.device[f"{name}.option"] = (key, where, hit[1])

    def line_secret(self, n: str, acct: dict, key: str, user_keys: tuple[str, ...]) -> None:
        """The SIP password of line ``n`` (its shape, never its value), as the phone takes it from its files.
        A password no file sets, or sets empty, is left out: the line's credentials then come from elsewhere
        (a per-phone file, a sign-in) and say nothing here. One only a file the phone may load sets is not known."""
        hit = self.get(key)
        if hit is None:
            self._mark_unknown(acct, "sip_password", key)
            return
        if not hit[0].strip():
            return
        user = next((u[0].strip() for k in user_keys if (u := self.get(k)) and u[0].strip()), "")
        where = self.where(key)
        source = SourceRef(file=where, line=hit[1])
        info = (SecretInfo(present=True, placeholder=True, source=source) if is_template(hit[0])
                else describe_secret(hit[0], "" if is_template(user) else user, source))
        self.account_secrets[n] = {"sip_password": info}
        acct["sip_password.option"] = (key, where, hit[1])
        if self.line_values is not None and not info.placeholder:
            self.line_values.setdefault(("sip_password", hit[0]), set()).add((where, hit[1]))

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
        found = _embedded_secret(url)
        if found:
            self.secrets["provisioning_url_password"] = describe_secret(found[1], found[0],
                                                                        SourceRef(file=display, line=hit[1]))
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
        note names it. Both flags are taken from the files the phone surely applies: where a file listed before
        the one setting them is not read here (a name not in the folder), whether the parameter applies is not
        known, and so is its value (never hidden into the factory default's verdict)."""
        def flag(key: str) -> tuple[str, str]:
            """('1' | other | '' when unset, why it is not known or '')."""
            hit = self.get(key)
            return ((hit[0].strip() if hit else ""), self.not_known(key) if hit is None else "")

        device_set, device_why = flag("device.set")
        keys = {k for k in self.s if k.startswith("device.")}
        for layer in self.layers:  # a phone's files merged: the value that wins, with the .set that wins.
            # Bounded per phone (many phones share a file): the parameters read here always, the others
            # (named in the note only) up to a cap.
            keys.update(layer.prefixed("device.")[:_MAX_NOTED_DEVICE_KEYS])
            keys.update(k for k in _POLY_DEVICE_READ if k in layer.settings)
        if device_why:  # the parameters read here always: whether any of them applies is not known
            keys.update(_POLY_DEVICE_READ)
        ignored: list[str] = []
        for k in keys:
            if k == "device.set" or k.endswith(".set"):
                continue
            own_set, own_why = flag(f"{k}.set")
            if (not device_why and device_set != "1") or (not own_why and own_set != "1"):
                ignored.append(k)  # surely not applied
            elif device_why or own_why:
                self.hidden.add(k)  # applied or not: not known
                self.maybe[k] = (f"applied only when device.set and {k}.set are 1, and "
                                 f"{device_why or own_why}")
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
        self._credential_urls()

    def _credential_urls(self) -> None:
        """Every URL the phone applies that carries a password or a token, besides its provisioning URL (a
        firmware, phone book or boot include URL): the file hands the secret to whoever fetches it, and the
        phone shows it. Each is a ``credential_url:<key>`` setting (scheme, host and port only) with its
        secret's shape; the value of the file that wins, as for every setting. At most MAX_CREDENTIAL_URLS."""
        provisioning = (self.device.get("provisioning_url.option") or ("",))[0]
        keys = set(_credential_keys(self.s))
        for layer in self.layers:
            keys.update(layer.credential_keys())
        boot = self.boot.credential_keys() if self.boot is not None else []
        for key in sorted(keys - {provisioning} | set(boot))[:MAX_CREDENTIAL_URLS]:
            name = key
            if key in boot and self.boot is not None:  # an include line of the boot file (no other file has one)
                hit, where = self.boot.settings.get(key), self.boot.display
                name = f"include:config #{key[len(BOOT_INCLUDE_PREFIX):]}"
            else:
                hit, where = self.get(key), self.where(key)
            found = _embedded_secret(hit[0]) if hit and not is_template(hit[0]) else None
            if hit is None or found is None:
                continue
            self.device[f"credential_url:{name}"] = (shown_url(hit[0]), where, hit[1])
            self.secrets[f"credential_url:{name}"] = describe_secret(found[1], found[0], SourceRef(file=where, line=hit[1]))

    def _yealink(self) -> None:
        protect = self.get("auto_provision.custom.protect")
        if protect and protect[0].strip() == "1" and not self.local:
            self.problems.append(Problem(self.where("auto_provision.custom.protect"), protect[1],
                                         "static.auto_provision.custom.protect is 1: the phone's own web and handset "
                                         "changes win over the provisioning files, and no <MAC>-local.cfg holding "
                                         "them is in the folder; settings a user can change are not known", False))
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
            self.line_secret(str(n), acct, f"account.{n}.password", (f"account.{n}.auth_name", f"account.{n}.user_name"))
            self.accounts.append((str(n), acct))

    def _polycom(self) -> None:
        self._poly_device_params()
        self.secret("admin_password", "device.auth.localadminpassword")
        server_type = self.get("device.prov.servertype")
        server = self.get("device.prov.servername")
        if server is None:
            self._mark_unknown(self.device, "provisioning_url", "device.prov.servername")
        elif server[0] and server_type is None and "://" not in server[0] and self.not_known("device.prov.servertype"):
            self._mark_unknown(self.device, "provisioning_url", "device.prov.servertype")  # the scheme is not known
        elif server[0]:
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
        # The defaults (enable 1, require 0) only where no file the phone may load could set them instead
        srtp_unknown = self.not_known("sec.srtp.enable")
        if srtp_keys:
            srtp = PLACEHOLDER
        elif srtp_unknown:
            srtp = "not known"
        elif (self.get("sec.srtp.enable") or ("1", 0))[0] in {"1", "true"}:
            srtp_unknown = self.not_known("sec.srtp.require")
            srtp = ("not known" if srtp_unknown else
                    "mandatory" if (self.get("sec.srtp.require") or ("0", 0))[0] in {"1", "true"} else "optional")
        srtp_key = "sec.srtp.require" if self.get("sec.srtp.require") else "sec.srtp.enable"
        srtp_line, srtp_file = (self.get(srtp_key) or ("", 0))[1], self.where(srtp_key)
        for n in lines:
            # a line whose address only a file the phone may load could change is still a line (judged not known)
            if not (self.get(f"reg.{n}.address") or ("", 0))[0] and not self.not_known(f"reg.{n}.address"):
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
            elif srtp_unknown:
                acct["srtp.unknown"] = (srtp_unknown, self.display, 0)
            self.line_secret(str(n), acct, f"reg.{n}.auth.password", (f"reg.{n}.auth.userid", f"reg.{n}.address"))
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
        for n, keys in _gs_accounts(self):
            self._grandstream_account(n, keys)

    def _grandstream_account(self, n: int, keys: dict[str, str]) -> None:
        """One Grandstream SIP account as its P-values (or, beyond account 6, its named items) set it. Account
        Active (P271, P401, ...: 0 No, 1 Yes): an inactive account never registers, so it is no SIP line of the
        phone; Grandstream's templates disagree on its default (GXP21xx: 1 for every account; GXP16xx: 0 for
        accounts 2-3; GRP26xx: 0 for account 1), so an account whose SIP server is set and whose flag is not is
        judged as the line its file configures. An account with no SIP server registers nowhere."""
        active = (self.get(keys["active"]) or ("1", 0))[0].strip()
        server = self.get(keys["server"])
        if active == "0" or not server or not server[0].strip():
            return
        acct: dict[str, tuple[str, str, int]] = {}
        for name, mapping in (("transport", GS_TRANSPORT), ("srtp", GS_SRTP)):
            self.put(acct, name, keys[name], mapping)
            if name not in acct:  # not set: the factory default, where Grandstream's templates agree on one
                default = GS_DEFAULTS.get((n, name))
                if default is not None:
                    if name == "transport":  # SRTP's default (off) is the views' own when none is set
                        acct[name] = (default, self.display, 0)
                else:
                    acct[name] = ("not known", self.display, 0)
                    acct[f"{name}.option"] = (keys[name], self.display, 0)
                    acct[f"{name}.unknown"] = (f"{keys[name]} is not set, and the factory default of account {n}'s "
                                               f"{_GS_WHAT[name]} is not verified (Grandstream's templates "
                                               f"{GS_UNVERIFIED.get((n, name), 'do not give it')})", self.display, 0)
        self.line_secret(str(n), acct, keys["password"], (keys["auth"], keys["user"]))
        self.accounts.append((str(n), acct))

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
            self.line_secret(str(n), acct, f"Password_{n}_", (f"Auth_ID_{n}_", f"User_ID_{n}_"))
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
    """What a phone applies besides its own file: ``above`` (files that win over it: Yealink's <MAC>-local.cfg)
    and ``layers`` (files under it), each highest precedence first with why the phone may not apply it ('' when
    it surely does); ``own``, when set, stands for the phone's own settings (a boot file holds none); and the
    problems that follow (notes naming the files; gaps for what cannot be read or found)."""

    def __init__(self) -> None:
        self.above: list[_Step] = []
        self.layers: list[_Step] = []
        self.own: Settings | None = None
        self.local = False  # a <MAC>-local.cfg of the phone is merged (or its absence said)
        self.boot: _Layer | None = None  # the Yealink boot file the phone loads (its include lines are URLs too)
        self.any_listed = False  # a Poly master lists at least one file found here
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


def _shown_names(names: list[str]) -> str:
    """File names (or URLs, scheme and host only) for a message: at most four, each a name, never a value."""
    shown = [shown_url(n) if "://" in n else label(n) for n in names[:4]]
    return ", ".join(shown) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _pair_merge(display: str, settings: Settings, folder: dict[str, str], parsed: dict[str, _Parsed],
                layer_of: Callable[[str], _Layer]) -> _Merge:
    """A Yealink phone without a boot file: the common file of its folder it loads first (Yealink: the common
    y0000000000XX.cfg, then <MAC>.cfg, later values overriding). Known when the folder holds one common file,
    or the MAC file's firmware names the model; otherwise every common file is a maybe."""
    merge = _Merge()
    if not folder:
        return merge
    name = label(Path(display).name)
    model = _firmware_model(settings)
    chosen = folder.get(model) if model else None
    if chosen is None and len(folder) == 1:
        chosen = next(iter(folder.values()))
    if chosen is not None:
        gap = _unread_gap(display, chosen, parsed[chosen], "the common file the phone loads first")
        if gap is not None:
            merge.problems.append(gap)
        if _usable(parsed[chosen]):  # what it says is merged, even when some of it was not read
            merge.layers.append((layer_of(chosen), ""))
    elif model:  # its firmware names a model whose common file is not in this folder: nothing to merge
        merge.problems.append(Problem(display, 0, f"its firmware names Yealink model id {model}, whose common "
                                                  f"file y0000000000{model}.cfg is not in the folder; the file "
                                                  "is read on its own", False, note=True))
    else:
        names = sorted(folder.values())
        shown = _shown_names([Path(n).name for n in names])
        why = (f"set only by Yealink common files ({shown}), one of which the phone loads before {name}; which "
               f"one depends on its model, which {name} does not name")
        merge.problems.append(Problem(display, 0, f"{name} and the Yealink common files {shown}: the phone loads "
                                                  "the one of its model first, and its model is not named (no "
                                                  "firmware.url); settings only they set are not known for this "
                                                  "phone", False, note=True))
        for common in names:
            gap = _unread_gap(display, common, parsed[common], "a common file the phone may load first")
            if gap is not None:
                merge.problems.append(gap)
            if _usable(parsed[common]):
                merge.layers.append((layer_of(common), why))
    return merge


def _boot_target(folder: Path, path: str) -> str | None:
    """The display name of a file a Yealink boot file lists by a path relative to it ("sip.cfg", "HTTP
    Directory/sip.cfg", "../sip.cfg"), when that stays below the scanned directory; None for a URL, an absolute
    path, a template or a name leaving the scanned directory (not a file here: a gap)."""
    import posixpath

    if (not path or len(path) > 255 or "://" in path or is_template(path) or any(c in path for c in "$\\%")
            or path.startswith("/")):
        return None
    norm = posixpath.normpath(posixpath.join(folder.as_posix(), path))
    return None if norm == ".." or norm.startswith("../") else norm


def layer_of_unread(name: str) -> _Layer:
    """A file the phone loads that is not read here (see _Unread)."""
    return _Layer(f"<not read: {name}>", _Unread())


def _boot_merge(boot: str, on: str, parsed: dict[str, _Parsed], layer_of: Callable[[str], _Layer],
                listed: dict[str, list[str]]) -> _Merge:
    """The phone of a Yealink boot file (firmware 81+): the files it lists, applied in order, a later file's
    value overriding an earlier one's (Yealink's auto provisioning guide, "Boot Files"); the boot file holds no
    setting itself. A file listed for some models only ([T46S]include:config) is a maybe (the phone's model is
    not in the files), and so is every other one when specific_model.excluded_mode = 1 makes a phone of a
    listed model skip them. A URL, or a name not in the folder, is a gap. ``on``: the phone's root (the boot
    file, or the <MAC>-local.cfg of a phone that loads the common boot file). Bounded: the parser reads at
    most MAX_CONFIG_FILES includes; boot files list .cfg files only, so nothing recurses."""
    merge = _Merge()
    merge.own = {}
    settings = parsed[boot][1]
    name = label(Path(boot).name)
    merge.boot = layer_of(boot)
    if on != boot:
        gap = _unread_gap(on, boot, parsed[boot], "the boot file the phone loads")
        if gap is not None:
            merge.problems.append(gap)
        merge.problems.append(Problem(on, 0, f"the phone loads {name} (the folder has no boot file of its MAC) and "
                                             "the files it lists", False, note=True))
    includes = boot_includes(settings)
    excluded = (settings.get("specific_model.excluded_mode") or ("0", 0))[0].strip() == "1" and any(
        models for _path, models, _line in includes)
    folder = Path(boot).parent
    missing: list[str] = []
    steps: list[_Step] = []
    for index, (path, models, line) in enumerate(includes, start=1):
        bare = f"{BOOT_INCLUDE_PREFIX}{index}{BOOT_UNQUOTED}" in settings
        # a bare word is never named (it could be anything pasted there): its line is
        shown = f"the unquoted include on line {line}" if bare else path
        found = _boot_target(folder, path)
        if found is None or found not in parsed:
            # The phone loads (or may load) a file that is not here: every setting the files read here leave
            # unset, or that only earlier files set, may be its; not known, never the factory default's verdict.
            missing.append(shown)
            steps.append((layer_of_unread(shown), f"not known: {_shown_names([shown])}, listed by {name}, is not in "
                                                   "the scanned folder and may set it"))
            continue
        other = parsed[found]
        if other[0] not in ("yealink", None):  # a boot file lists .cfg files: another boot file is none
            gap: Problem | None = Problem(on, 0, f"{label(found)} (listed by {name}) is not a Yealink configuration "
                                                 "file; the settings it gives this phone are not known", False)
        else:
            gap = _unread_gap(on, found, other, f"listed by {name}")
        if gap is not None:
            merge.problems.append(gap)
        if not _usable(other):
            continue
        why = ""
        if bare:
            why = (f"set by {label(found)}, which {name} lists on an include:config line without <...> or \"...\" "
                   "around the file: whether the phone takes that line is not known")
        elif models:
            shown = ", ".join(label(m.strip(), 16) for m in models.split(",", 8)[:8] if m.strip())
            why = (f"set by {label(found)}, which {name} lists for the phone model(s) {shown} only, and this "
                   "phone's model is not named in the files")
        elif excluded:
            why = (f"set by {label(found)}, which {name} lists for every model, but with specific_model.excluded_mode"
                   " = 1 a phone of a model the boot file lists files for skips it, and this phone's model is not "
                   "named in the files")
        steps.append((layer_of(found), why))
        if on == boot and boot not in listed.setdefault(found, []):
            listed[found].append(boot)
    merge.layers = steps[::-1]  # the last listed wins
    if missing:
        merge.problems.append(Problem(on, 0, f"{name} lists {len(missing)} file(s) that are not in the scanned "
                                             f"folder ({_shown_names(missing)}); the settings they give this phone "
                                             "are not known", False))
    if (settings.get("overwrite_mode") or ("", 0))[0].strip() != "1":
        merge.problems.append(Problem(on, 0, f"{name}: overwrite_mode is not 1, so a setting the listed files leave "
                                             "out keeps the value the phone had before; it is judged as the factory "
                                             "default", False, note=True))
    return merge


_PROTECT, _SYNC = "auto_provision.custom.protect", "auto_provision.custom.sync"


def _local_step(local: str, parsed_local: _Parsed, on: str, own: Settings, merge: _Merge,
                layer_of: Callable[[str], _Layer]) -> None:
    """Merge a phone's <MAC>-local.cfg, its own web and handset changes, as Yealink decides (auto provisioning
    guide, "Keeping User's Personalized Settings"): with static.auto_provision.custom.protect = 1 they win over
    the provisioning files, and with custom.sync = 1 the phone takes this server copy (otherwise the one it keeps
    itself, which this may not match); with protect 0 the provisioning files override them after each
    provisioning. Both are read from the phone's provisioning files as merged. What that leaves open is a maybe
    (settings it holds are not known), never this copy's verdict."""
    def value(key: str) -> tuple[str, str] | None:
        for layer, why in (*merge.above, (None, ""), *merge.layers):
            hit = (own if layer is None else layer.settings).get(key)
            if hit is not None:
                return ("<not known>" if why or is_template(hit[0]) else hit[0].strip()), why
        return None

    protect, sync = value(_PROTECT), value(_SYNC)
    name = label(Path(local).name)
    merge.local = True
    gap = _unread_gap(on, local, parsed_local, "the phone's own web and handset changes")
    if gap is not None:
        merge.problems.append(gap)
    if not _usable(parsed_local):
        return
    layer = layer_of(local)
    if protect is not None and protect[0] == "1":
        if sync is not None and sync[0] == "1":
            merge.above.insert(0, (layer, ""))
            merge.problems.append(Problem(on, 0, f"{name}, the phone's own web and handset changes, is applied over "
                                                 "the provisioning files (static.auto_provision.custom.protect and "
                                                 "custom.sync are 1)", False, note=True))
            return
        merge.above.insert(0, (layer, f"set by {name}, the phone's own changes, which win (custom.protect is 1); with "
                                      "custom.sync not 1 the phone applies the copy it keeps itself, which this one "
                                      "may not match"))
        merge.problems.append(Problem(on, 0, f"static.auto_provision.custom.protect is 1 and custom.sync is not: the "
                                             "phone's own web and handset changes win over the provisioning files and "
                                             f"stay on the phone ({name} here may be out of date); settings a user can "
                                             "change are not known", False))
        return
    if protect is not None and protect[0] == "<not known>":
        merge.above.insert(0, (layer, f"set by {name}, the phone's own changes, which win only when "
                                      "static.auto_provision.custom.protect is 1, and that is not known"))
        merge.problems.append(Problem(on, 0, f"{name}: whether the phone's own changes win over the provisioning "
                                             "files (static.auto_provision.custom.protect) is not known", False))
        return
    merge.layers.append((layer, f"set only by {name}, the phone's own changes: the provisioning files override them "
                                "(custom.protect is not 1), and where they set nothing the phone may keep them"))
    merge.problems.append(Problem(on, 0, f"{name}, the phone's own changes, is overridden by the provisioning files "
                                         "(static.auto_provision.custom.protect is not 1); settings only it holds are "
                                         "not known", False, note=True))


# Yealink boot files: the common one every phone without its own loads; <MAC>.boot; a phone's own changes
_COMMON_BOOT = "y000000000000.boot"
_MAC_BOOT_RE = re.compile(r"([0-9a-f]{12})\.boot", re.IGNORECASE)
_LOCAL_RE = re.compile(r"([0-9a-f]{12})-local\.cfg", re.IGNORECASE)


class _YealinkFolder:
    """The Yealink files of one folder by the part they play for the phones provisioned from it."""

    def __init__(self) -> None:
        self.commons: dict[str, str] = {}  # model id -> y0000000000XX.cfg
        self.macs: dict[str, str] = {}  # mac (or template name) -> <MAC>.cfg
        self.boots: dict[str, str] = {}  # mac -> <MAC>.boot
        self.common_boot: str | None = None
        self.locals: dict[str, str] = {}  # mac -> <MAC>-local.cfg
        self.odd_boots: list[str] = []  # boot files no phone requests by name


def _yealink_merges(parsed: dict[str, _Parsed], layer_of: Callable[[str], _Layer],
                    ) -> tuple[dict[str, _Merge], dict[str, Problem]]:
    """Per Yealink phone root, what it applies besides its own file, as Yealink's firmware looks for files (auto
    provisioning guide): <MAC>.boot first, else y000000000000.boot, each applying the files it lists; without a
    boot file, its model's y0000000000XX.cfg then <MAC>.cfg; over all of it, as custom.protect and custom.sync
    say, <MAC>-local.cfg. Also, per file that is part of phones or loaded by none, the note saying so (it is not
    judged on its own)."""
    folders: dict[str, _YealinkFolder] = {}
    for display, (vendor, _settings, problems, _content) in parsed.items():
        p = Path(display)
        name = p.name.lower()
        f = folders.setdefault(str(p.parent), _YealinkFolder())
        # boot, common and local files by their names (one that cannot be read is still the one the phone
        # loads: a gap of that phone); a <MAC>.cfg when it is Yealink's
        if name.endswith(".boot"):
            if name == _COMMON_BOOT:
                f.common_boot = display
            elif (m := _MAC_BOOT_RE.fullmatch(name)) and m.group(1) != "000000000000":
                f.boots[m.group(1)] = display
            elif vendor == "yealink-boot":
                f.odd_boots.append(display)
        elif m := _YEALINK_COMMON_RE.fullmatch(name):
            f.commons[m.group(1).lower()] = display
        elif m := _LOCAL_RE.fullmatch(name):
            f.locals[m.group(1).lower()] = display
        elif vendor == "yealink" and not any(x.fatal for x in problems) and _is_mac_file(name):
            f.macs[name.removesuffix(".cfg")] = display
    merges: dict[str, _Merge] = {}
    part_of: dict[str, Problem] = {}
    listed: dict[str, list[str]] = {}
    for f in folders.values():
        for boot in (*([f.common_boot] if f.common_boot else []), *f.boots.values()):
            merges[boot] = _boot_merge(boot, boot, parsed, layer_of, listed)
        for odd in f.odd_boots:
            part_of[odd] = Problem(odd, 0, "a Yealink boot file not named y000000000000.boot or <MAC>.boot: which "
                                           "phones load it (a provisioning URL naming it) is not known, and the files "
                                           "it lists are not merged into any phone", False)
        for mac, own in f.macs.items():
            if f.common_boot is None and mac not in f.boots:
                merges[own] = _pair_merge(own, parsed[own][1], f.commons, parsed, layer_of)
        for mac, local in f.locals.items():
            root = f.boots.get(mac) or (f.macs.get(mac) if f.common_boot is None else None)
            if root is None:  # no file of its own here: the phone of that MAC stands on its local file
                root = local
                if f.common_boot is not None:
                    merges[local] = _boot_merge(f.common_boot, local, parsed, layer_of, listed)
                else:
                    merges[local] = _pair_merge(local, {}, f.commons, parsed, layer_of)
                merges[local].own = {}
            else:
                part_of[local] = Problem(local, 0, f"the phone's own web and handset changes: merged into the phone "
                                                   f"{label(root)} as custom.protect and custom.sync decide, not "
                                                   "judged on its own", False, note=True)
            merge = merges.setdefault(root, _Merge())
            _local_step(local, parsed[local], root, parsed[root][1] if merge.own is None else merge.own, merge, layer_of)
        if f.common_boot is not None or f.boots:
            unloaded = [*(f.commons.values() if f.common_boot else ()),
                        *(own for mac, own in f.macs.items() if f.common_boot or mac in f.boots)]
            for display in unloaded:
                if display not in listed:
                    part_of[display] = Problem(display, 0, "loaded by no phone: a phone with a boot file (the folder "
                                                           "has y000000000000.boot or its <MAC>.boot) applies the files "
                                                           "its boot file lists instead; not judged", False, note=True)
    judged = {c for f in folders.values() if f.common_boot is None for c in f.commons.values()}
    for display, boots in listed.items():
        if display in merges or display in part_of or display in judged:
            continue  # a phone of its own, or still the common file of the phones without a boot file
        part_of[display] = Problem(display, 0, f"listed by the Yealink boot file(s) {_shown_names(boots)}: read as "
                                               "part of those phones, not judged on its own", False, note=True)
    return merges, part_of


def _listed_name(folder: Path, name: str, mac: str | None = None) -> str | None:
    """The display name of a file a Poly master file lists, looked up among the files already found below
    the scanned directory: only a plain relative name inside the master's folder ("sip.cfg",
    "config/site.cfg"), never an absolute path, a "..", a template, a URL; [PHONE_MAC_ADDRESS] only when the
    phone's MAC is known (``mac``), as Poly substitutes it."""
    import posixpath

    if mac:
        name = name.replace(PHONE_MAC_PLACEHOLDER, mac)
    if (not name or len(name) > 255 or is_template(name) or any(c in name for c in "$[]%\\")
            or name.startswith("/") or ".." in name.split("/") or "://" in name):
        return None
    return posixpath.normpath(posixpath.join(folder.as_posix(), name)).removeprefix("./")


def _macs_named(names: list[str], folder: Path, in_folder: list[str]) -> list[str]:
    """The MACs for which a file a [PHONE_MAC_ADDRESS] name stands for is in the folder (sorted): the phones
    of a default master that have their own files here. Linear in names times files (names are bounded)."""
    prefix_dir = "" if folder.as_posix() == "." else folder.as_posix() + "/"
    found: set[str] = set()
    for name in names:
        head, sep, tail = name.partition(PHONE_MAC_PLACEHOLDER)
        if not sep or PHONE_MAC_PLACEHOLDER in tail:
            continue
        head = prefix_dir + head
        for display in in_folder:
            if len(display) == len(head) + 12 + len(tail) and display.startswith(head) and display.endswith(tail):
                mac = display[len(head):len(head) + 12]
                if _HEX12_RE.fullmatch(mac) and mac != "000000000000":
                    found.add(mac)
    return sorted(found)


_HEX12_RE = re.compile(r"[0-9a-f]{12}")


def _poly_master_merge(display: str, raw: str, mac: str | None, parsed: dict[str, _Parsed],
                       layer_of: Callable[[str], _Layer], listed_by: dict[str, list[str]], on: str) -> _Merge:
    """The files a Poly master lists, for the phone of ``mac`` (None: a phone whose MAC is not known), first
    listed first. When the phone's MAC is named by ``on`` (a per-MAC phone of the default master), a name not
    resolved to a file here is this phone's gap (the master's own gap speaks for the phones without files)."""
    merge = _Merge()
    seen: set[str] = set()
    folder = Path(display).parent
    unresolved: list[str] = []
    master = label(Path(display).name)
    for name in raw.split(",", MAX_CONFIG_FILES)[:MAX_CONFIG_FILES]:
        name = name.strip()
        if not name:
            continue
        found = _listed_name(folder, name, mac)
        if found is None or found not in parsed:
            shown = name.replace(PHONE_MAC_PLACEHOLDER, mac) if mac else name
            unresolved.append(shown)
            # The phone loads (or tries to load) a file that is not here, in this place of its list: what the
            # files listed after it set, or none sets, may be its; not known, never the factory default's verdict.
            merge.layers.append((layer_of_unread(shown), f"not known: {_shown_names([shown])}, listed in the "
                                                         f"CONFIG_FILES of {master}, is not in the scanned folder "
                                                         "and may set it"))
            continue
        if found in seen or found == display:
            continue  # listed again: the first one counts
        seen.add(found)
        merge.any_listed = True
        other = parsed[found]
        if other[0] in ("polycom-master", "polycom-data"):
            continue  # a master file, a license key file or a contact directory holds no setting
        gap = _unread_gap(on, found, other, "listed in its CONFIG_FILES")
        if gap is None and other[0] != "polycom":
            gap = Problem(on, 0, f"{label(found)} (listed in its CONFIG_FILES) is not a Poly configuration "
                                 "file; the settings it gives this phone are not known", False)
        if gap is not None:
            merge.problems.append(gap)
        if other[0] == "polycom" and not any(p.fatal for p in other[2]):
            merge.layers.append((layer_of(found), ""))
            if display not in listed_by.setdefault(found, []):
                listed_by[found].append(display)
        else:  # listed, loaded, and not read here: it may set anything in its place of the list
            merge.layers.append((layer_of_unread(found), f"not known: {label(found)}, listed in the CONFIG_FILES "
                                                         f"of {master}, could not be read as a Poly configuration "
                                                         "file and may set it"))
    if raw.count(",") >= MAX_CONFIG_FILES:  # the names past the bound are files the phone loads last
        merge.layers.append((layer_of_unread("the rest of CONFIG_FILES"),
                             f"not known: {master} lists more than {MAX_CONFIG_FILES} files in CONFIG_FILES, and the "
                             "ones past those read here may set it"))
    if on != display:
        merge.problems.append(Problem(on, 0, f"the phone {mac} loads {label(display)} (no {mac}.cfg master here) with "
                                             f"{PHONE_MAC_PLACEHOLDER} read as its MAC", False, note=True))
        if unresolved:
            merge.problems.append(Problem(on, 0, f"{label(display)} lists {len(unresolved)} file(s) for this phone "
                                                 f"that are not in the folder ({_shown_names(unresolved)}); the "
                                                 "phone's settings there are not known", False))
        if raw.count(",") >= MAX_CONFIG_FILES:
            merge.problems.append(Problem(on, 0, f"{label(display)}: only the first {MAX_CONFIG_FILES} names of "
                                                 "CONFIG_FILES are read; the settings of the others are not known",
                                          False))
    return merge


def _poly_merges(parsed: dict[str, _Parsed], layer_of: Callable[[str], _Layer],
                 ) -> tuple[dict[str, _Merge], dict[str, list[str]], dict[str, tuple[str, _Merge]]]:
    """Per Poly master file (000000000000.cfg, <MAC>.cfg: <APPLICATION CONFIG_FILES="a.cfg, b.cfg">): the
    phone it stands for loads the files it lists, the first listed taking precedence (Polycom's SoundPoint
    IP / UC Software administrator guides: the files are processed left to right and a parameter found
    first in the list is the one in effect). A phone with its own <MAC>.cfg master never loads
    000000000000.cfg, so each master is a phone of its own. [PHONE_MAC_ADDRESS] in a name is the phone's MAC:
    a <MAC>.cfg master's own; for 000000000000.cfg, each MAC whose file is in the folder (and has no master of
    its own) is a phone of its own, named "000000000000.cfg (MAC <mac>)", and the master itself stands for the
    phones without files here (the parser's gap names what they lack). Also which master lists each file (that
    file is part of a phone, not one). URLs and files not here stay unread (gaps), each a step of the phone's list
whose settings are not known.
    Bounded: at most MAX_CONFIG_FILES names a master, each looked up among the files already found."""
    merges: dict[str, _Merge] = {}
    listed_by: dict[str, list[str]] = {}
    per_mac: dict[str, tuple[str, _Merge]] = {}
    by_folder: dict[str, list[str]] = {}
    for display in parsed:
        by_folder.setdefault(str(Path(display).parent), []).append(display)
    for display, (vendor, settings, problems, _content) in parsed.items():
        raw = settings.get(CONFIG_FILES_KEY)
        if vendor != "polycom-master" or raw is None or any(p.fatal for p in problems):
            continue
        mac = master_mac(Path(display).name)
        merge = _poly_master_merge(display, raw[0], mac, parsed, layer_of, listed_by, display)
        if merge.any_listed:
            merges[display] = merge
        if mac is not None or PHONE_MAC_PLACEHOLDER not in raw[0]:
            continue
        folder = Path(display).parent
        names = [n.strip() for n in raw[0].split(",", MAX_CONFIG_FILES)[:MAX_CONFIG_FILES]]
        siblings = by_folder.get(str(folder), [])
        own_masters = {m for d in siblings if (m := master_mac(Path(d).name)) and parsed[d][0] == "polycom-master"}
        for phone_mac in _macs_named(names, folder, siblings):
            if phone_mac in own_masters:
                continue  # that phone loads its own <MAC>.cfg master, never this one
            root = f"{display} (MAC {phone_mac})"
            per_mac[root] = (display, _poly_master_merge(display, raw[0], phone_mac, parsed, layer_of, listed_by,
                                                         root))
    return merges, listed_by, per_mac


def build_phone_facts(directory: Path) -> PhoneFacts:
    """One PhoneFacts for a directory of provisioning files: one resource per phone. A phone's settings are
    its own file's with the files the phone applies with it (Yealink: its boot file's list, or its model's
    common file; its <MAC>-local.cfg. Poly: its master's CONFIG_FILES), each value from the file that won; a
    file that cannot be read (or that the reader trips over) is an ERROR for that phone only."""
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

    line_values: _LineValues = {}
    merges, part_of = _yealink_merges(parsed, layer_of)
    poly, listed_by, per_mac = _poly_merges(parsed, layer_of)
    merges.update(poly)
    for display, (vendor, settings, problems, content) in parsed.items():
        merge = merges.get(display) or _Merge()
        masters = listed_by.get(display)
        if display in part_of or (masters and display not in merges):
            # part of other phones (or of none): judged in them, not as a phone of its own
            if display in part_of:
                note = part_of[display]
            else:
                shown = ", ".join(label(m) for m in masters[:3]) + (f" and {len(masters) - 3} more"
                                                                    if len(masters) > 3 else "")
                note = Problem(display, 0, f"listed in the CONFIG_FILES of the Poly master file(s) {shown}: read as "
                                           "part of that phone, not judged on its own", False, note=True)
            facts.add_file(display, [*problems, note])
            facts.configs[display].content_lines = content
            continue
        if vendor == "polycom-master" and display in merges:
            vendor = "polycom"  # the phone this master stands for: its listed files' settings, merged
        if vendor == "yealink-boot":
            vendor = "yealink"  # the phone of a boot file: the files it lists, merged
        _add_phone(facts, display, vendor, settings, problems, merge, content, line_values)
    for root, (_master, merge) in per_mac.items():
        _add_phone(facts, root, "polycom", {}, [], merge, None, line_values)
    _mark_shared_lines(facts, line_values)
    facts.reindex()
    return facts


def _add_phone(facts: PhoneFacts, display: str, vendor: str | None, settings: Settings, problems: list[Problem],
               merge: _Merge, content: int | None, line_values: _LineValues | None = None) -> None:
    """One phone root and its objects (none when it cannot be read)."""
    own = settings if merge.own is None else merge.own
    try:
        objects, problems = _read_phone(display, vendor, own, [*problems, *merge.problems], merge, line_values)
    except Exception as exc:  # noqa: BLE001 - a hostile file the reader did not foresee: this file only
        objects, problems, content = [], [Problem(display, 0, f"file could not be read ({exc.__class__.__name__})",
                                                  True)], 0
    facts.add_file(display, problems)
    facts.configs[display].content_lines = content
    if facts.configs[display].fatal_problem is None:
        facts.objects.extend(objects)


def _read_phone(display: str, vendor: str | None, settings: Settings, problems: list[Problem],
                merge: _Merge, line_values: _LineValues | None = None) -> tuple[list[ConfigObject], list[Problem]]:
    if vendor is None or vendor in ("polycom-master", "polycom-data") or any(p.fatal for p in problems):
        return [], problems
    phone = _Phone(display, vendor, settings, tuple(merge.layers), tuple(merge.above), line_values)
    phone.local, phone.boot = merge.local, merge.boot
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
            "settings": _setting(acct), "secrets": phone.account_secrets.get(n, {})}))
    return objects, problems
