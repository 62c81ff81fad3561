"""TLS outside PJSIP transports: Asterisk's HTTP server over TLS (http.conf), chan_sip's TLS (sip.conf
[general]) and the Manager Interface over TLS (manager.conf [general]), as TLS policy records (ENC-TLS-101,
-102, -103, -108, -109).

All three are read by ``ast_tls_read_conf()`` (main/tcptls.c) and set up by ``__ssl_setup()``:

* A server context is ``SSLv23_server_method()`` with SSLv2 and SSLv3 off: it admits TLS 1.0 and later
  (TLS 1.3 with OpenSSL 1.1.1+), less each of ``tlsdisablev1``, ``tlsdisablev11``, ``tlsdisablev12``
  that is true (ast_true). No option turns TLS 1.3 off. ``tlscipher`` (alias ``sslcipher``) is handed
  to ``SSL_CTX_set_cipher_list``; a list OpenSSL refuses turns the listener off. Empty or unset:
  OpenSSL's own default list. ``tlsdontverifyserver`` (default no) stops a *client* from checking
  the server's certificate and name.
* **http.c** ``__ast_http_load()``: before reading [general] it sets ``tlsdisablev1`` and
  ``tlsservercipherorder`` on and its own cipher list (Mozilla intermediate of July 2015, which keeps
  CBC and static-RSA suites and names DES-CBC3-SHA); it refuses ``tlscafile``, ``tlscapath``,
  ``tlsverifyclient``, ``tlsdontverifyserver`` and ``tlsclientmethod`` (the HTTP server is no
  client, and asks browsers for no certificate: there is no peer verification to judge). The HTTPS
  listener runs when ``tlsenable`` is true and it has an address: ``tlsbindaddr``, or the plain
  server's ``bindaddr`` (port 8089) when ``enabled`` is true.
* **chan_sip.c** ``reload_config()``: [general] only; no cipher list of its own (OpenSSL's default);
  ``tlsverifyclient`` is ignored. The listener runs when chan_sip loads and ``tlsenable`` is true;
  the same settings serve its outgoing TLS connections, where ``tlsclientmethod=sslv3``/``sslv2``
  asks for SSL (OpenSSL builds that still have it honour it).
* **manager.c** ``__init_manager()``: [general]; no cipher list and no version option of its own (OpenSSL's
  default list, TLS 1.0 and later); it refuses ``tlscafile``, ``tlscapath``/``tlscadir``,
  ``tlsverifyclient``, ``tlsdontverifyserver`` and ``tlsclientmethod`` (logged as invalid keywords: AMI
  asks clients for no certificate). The TLS listener ("AMI TLS server") starts when ``tlsenable`` is
  true and it has an address: with ``enabled`` true, ``tlsbindaddr`` or else ``bindaddr`` (port 5039 when
  none is given or it equals ``port``); with ``enabled`` false the address is only what ``tlsbindaddr``
  wrote (manager.c copies the computed addresses only when enabled, but ``ast_tls_read_conf`` has already
  stored ``tlsbindaddr``), so ``enabled=no`` with ``tlsenable=yes`` and a ``tlsbindaddr`` still listens.

**Certificate and key (ENC-TLS-104)**: http.c, chan_sip.c (reload_config) and manager.c (manager_set_defaults)
reset ``certfile`` to ``AST_CERTFILE`` (tcptls.h: ``"asterisk.pem"``, a *relative* name, not
/etc/asterisk/keys/asterisk.pem) and ``pvtfile`` to "" before reading the file; ``tlscertfile`` (aliases ``sslcert``, ``tlscert``) and
``tlsprivatekey`` (``sslprivatekey``) replace them. ``__ssl_setup()`` loads the key from ``pvtfile``, or from the
certificate file when ``pvtfile`` is empty (one PEM holding both), and a server whose certificate or key does not
load turns the listener off (``cfg->enabled = 0``); an empty ``certfile`` loads no certificate at all. So
``tlscertfile`` unset or empty names no certificate: unset, OpenSSL opens ``asterisk.pem`` in Asterisk's
working directory (asterisk.c chdir("/") when it runs in the background), a file no configuration names, and
the listener is off when it is not there. Both are FAIL ("without tlscertfile"); ``tlsprivatekey`` unset is not
missing (the key is read from the certificate file). Whether the named files exist and match is not in the
configuration: the live TLS probe (ENC-TLS-105/106) reads what the listener presents.
"""
from __future__ import annotations

from typing import Callable, Iterator, Optional, TypeVar

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.common import ConfigObject, Setting
from voxaudit.platforms.asterisk.common import WEAK_CIPHER_RE, chan_sip_state, yes
from voxaudit.platforms.openssl import admitted_suites, how_read
from voxaudit.records.tls import (
    MOZILLA_CIPHERS,
    AcceptedSuites,
    CipherSuites,
    PeerVerification,
    ProtocolVersions,
    ServerCredentials,
)
from voxaudit.remediation import Change, note, set_

R = TypeVar("R")
HTTP = "http.conf TLS listener"
SIP = "chan_sip TLS"
AMI = "manager.conf TLS listener"
# main/http.c __ast_http_load(): the list the HTTPS server uses when tlscipher is not set
HTTP_DEFAULT_CIPHERS = (
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-DSS-AES128-GCM-SHA256:kEDH+AESGCM:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:"
    "ECDHE-ECDSA-AES256-SHA:DHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA:DHE-DSS-AES128-SHA256:DHE-RSA-AES256-SHA256:"
    "DHE-DSS-AES256-SHA:DHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:"
    "AES256-SHA:AES:CAMELLIA:DES-CBC3-SHA:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!aECDH:!EDH-DSS-DES-CBC3-SHA:"
    "!EDH-RSA-DES-CBC3-SHA:!KRB5-DES-CBC3-SHA")
OPENSSL_DEFAULT = "DEFAULT"  # SSL_CTX_new()'s list when tlscipher is empty or unset
VERSIONS = (("tlsdisablev1", 1.0), ("tlsdisablev11", 1.1), ("tlsdisablev12", 1.2))
SOURCES_HTTP = ("http.conf",)
SOURCES_SIP = ("sip.conf", "modules.conf")
SOURCES_AMI = ("manager.conf",)
KINDS = {"http.conf": "http.general", "sip.conf": "sip.general", "manager.conf": "manager.general"}

CERT_KEYS = ("tlscertfile", "sslcert", "tlscert")  # tcptls.c ast_tls_read_conf(): the last one read wins
KEY_KEYS = ("tlsprivatekey", "sslprivatekey")
AST_CERTFILE = "asterisk.pem"  # include/asterisk/tcptls.h: the default, relative to Asterisk's working directory

VERSION_REMEDIATION = {
    "asterisk": "In http.conf [general] (HTTPS) and sip.conf [general] (chan_sip TLS) set tlsdisablev1=yes and "
                "tlsdisablev11=yes (and no tlsclientmethod=sslv3).",
    "freepbx": "FreePBX has no field for these: put tlsdisablev1=yes and tlsdisablev11=yes in http_custom.conf "
               "(HTTPS; no section header: the lines continue http_additional.conf's [general]) and "
               "sip_general_custom.conf (chan_sip); Settings > Asterisk SIP Settings > Chan SIP > TLS/SSL/SRTP "
               "Settings: SSL Method = tlsv1 (outgoing connections).",
}
CIPHER_REMEDIATION = {
    "asterisk": f"In http.conf [general] and sip.conf [general] set tlscipher={MOZILLA_CIPHERS}",
    "freepbx": f"Put tlscipher={MOZILLA_CIPHERS} in http_custom.conf (HTTPS; no section header) and "
               "sip_general_custom.conf (chan_sip): FreePBX's pages have no cipher field.",
}
AMI_VERSION_REMEDIATION = {
    "asterisk": "In manager.conf [general] set tlsdisablev1=yes and tlsdisablev11=yes (AMI over TLS).",
    "freepbx": "Settings > Advanced Settings has no AMI TLS field: put tlsdisablev1=yes and tlsdisablev11=yes in "
               "manager_custom.conf under a [general](+) header (the file is included after the [admin] user, and "
               "FreePBX rewrites manager_general_additional.conf).",
}
AMI_CIPHER_REMEDIATION = {
    "asterisk": f"In manager.conf [general] set tlscipher={MOZILLA_CIPHERS}",
    "freepbx": f"Put tlscipher={MOZILLA_CIPHERS} in manager_custom.conf under a [general](+) header: FreePBX has no "
               "AMI TLS field.",
}
CREDENTIALS_REMEDIATION = {
    "asterisk": "Set tlscertfile to the certificate issued for this PBX (full path, e.g. "
                "/etc/asterisk/keys/asterisk.crt) and tlsprivatekey to its key, in [general] of http.conf (HTTPS), "
                "sip.conf (chan_sip TLS) or manager.conf (AMI over TLS): unset, Asterisk looks for asterisk.pem in "
                "its working directory and turns the listener off when it is not there.",
    "freepbx": "Admin > Certificate Management: create or import the PBX's certificate, then name its files in "
               "tlscertfile and tlsprivatekey: http_custom.conf (HTTPS; no section header), sip_general_custom.conf "
               "(chan_sip) or manager_custom.conf under a [general](+) header (AMI over TLS).",
}
VERIFY_REMEDIATION = {
    "asterisk": "In sip.conf [general] remove tlsdontverifyserver=yes (and set tlscafile to the CA bundle).",
    "freepbx": "Settings > Asterisk SIP Settings > Chan SIP > TLS/SSL/SRTP Settings: Don't Verify Server = No.",
}


def _last(obj: ConfigObject, *keys: str) -> Optional[Setting]:
    """The value ast_tls_read_conf() keeps when an option is written under several names (tlscipher and
    sslcipher): the one read last (exact within one file, where both are written in practice)."""
    found = [s for k in keys for s in obj.settings.get(k, [])]
    return max(found, key=lambda s: (s.file, s.line), default=None)


def _on(obj: ConfigObject, *keys: str) -> bool:
    s = _last(obj, *keys)
    return s is not None and yes(s.value)


class Listener:
    """One TLS listener as configured: where, its file and section, and the settings __ssl_setup() reads."""

    def __init__(self, subject: str, root: str, kind: str, obj: ConfigObject, default_list: str, list_name: str,
                 disabled_by_default: tuple[str, ...] = ()) -> None:
        self.subject, self.root, self.kind, self.obj = subject, root, kind, obj
        cipher = _last(obj, "tlscipher", "sslcipher")
        self.cipher = cipher.value.strip() if cipher is not None and cipher.value.strip() else ""
        self.cipher_source = cipher.source if cipher is not None else obj.source
        self.default_list, self.list_name = default_list, list_name
        self.disabled = {key: (_on(obj, key) if obj.settings.get(key) else key in disabled_by_default)
                         for key, _ in VERSIONS}
        self.defaults = disabled_by_default

    def cipher_list(self) -> tuple[str, str]:
        """(the list OpenSSL is given, how it is named in evidence)."""
        if self.cipher:
            return self.cipher, "tlscipher"
        return self.default_list, f"tlscipher unset: {self.list_name}"


def _http(facts: AsteriskFacts) -> Optional[Listener]:
    http = facts.first("http.general")
    if http is None or not _on(http, "tlsenable", "sslenable"):
        return None
    bound = _last(http, "tlsbindaddr", "sslbindaddr")
    if (bound is None or not bound.value.strip()) and not yes(http.get("enabled")):
        return None  # no TLS address and no plain server to take one from: http.c starts no HTTPS listener
    return Listener(HTTP, "http.conf", "http.general", http, HTTP_DEFAULT_CIPHERS, "Asterisk's HTTP default list",
                    ("tlsdisablev1",))


def _sip(facts: AsteriskFacts) -> Optional[Listener]:
    general = facts.first("sip.general")
    if general is None or not chan_sip_state(facts).loaded or not _on(general, "tlsenable", "sslenable"):
        return None
    return Listener(SIP, "sip.conf", "sip.general", general, OPENSSL_DEFAULT, "OpenSSL's default list")


def ami_tls_listener(facts: AsteriskFacts) -> Optional[Listener]:
    """The AMI TLS server, when __init_manager() gives it an address (see the module's docstring)."""
    general = facts.first("manager.general")
    if general is None or not _on(general, "tlsenable", "sslenable"):
        return None
    bound = _last(general, "tlsbindaddr", "sslbindaddr")
    if not yes(general.get("enabled")) and (bound is None or not bound.value.strip()):
        return None  # AMI off and no tlsbindaddr: amis_desc keeps a null address, ast_tcptls_server_start stops
    return Listener(AMI, "manager.conf", "manager.general", general, OPENSSL_DEFAULT, "OpenSSL's default list")


LISTENERS: dict[str, Callable[[AsteriskFacts], Optional[Listener]]] = {"http": _http, "sip": _sip, "ami": ami_tls_listener}


def _listeners(facts: AsteriskFacts, which: str) -> list[Listener]:
    x = LISTENERS[which](facts)
    return [x] if x is not None else []


def _versions(x: Listener) -> tuple[tuple[float, ...], str]:
    admitted = [v for key, v in VERSIONS if not x.disabled[key]] + [1.3]
    said = [f"{key}={'yes' if x.disabled[key] else 'no'}" + ("" if x.obj.settings.get(key) else " (default)")
            for key, _ in VERSIONS]
    if x.subject == SIP:
        method = (_last(x.obj, "tlsclientmethod", "sslclientmethod") or Setting(value="", file="", line=0)).value
        extra = {"sslv3": 0.3, "sslv2": 0.2}.get(method.strip().lower())
        if extra is not None:
            admitted.insert(0, extra)
            said.append(f"tlsclientmethod={method.strip().lower()} (outgoing connections)")
    return tuple(admitted), ", ".join(said)


def protocol_versions(facts: AsteriskFacts, which: str) -> Iterator[ProtocolVersions]:
    for x in _listeners(facts, which):
        versions, setting = _versions(x)
        where = _last(x.obj, *[k for k, _ in VERSIONS])
        yield ProtocolVersions(subject=x.subject, source=where.source if where else x.obj.source,
                               section=f"{x.root} [general]", versions=versions, setting=setting)


def _weak(cipher_list: str) -> tuple[str, ...]:
    """The broken suites a list names (not those it removes with ! or -)."""
    tokens = cipher_list.replace(",", ":").replace(" ", ":").split(":")
    return tuple(t for t in tokens[:1024] if t and t[0] not in "!-" and WEAK_CIPHER_RE.search(t))


def cipher_suites(facts: AsteriskFacts, which: str) -> Iterator[CipherSuites]:
    for x in _listeners(facts, which):
        section = f"{x.root} [general]"
        if not x.cipher and x.default_list == OPENSSL_DEFAULT:
            yield CipherSuites(subject=x.subject, source=x.obj.source, section=section,
                               setting="tlscipher unset: the library's default list")
            continue
        listed, how = x.cipher_list()
        weak = _weak(listed)
        if not weak and listed.upper() in {"ALL", "DEFAULT:ALL"}:
            weak = (listed,)
        yield CipherSuites(subject=x.subject, source=x.cipher_source, section=section, weak=weak, setting=how)


def accepted_suites(facts: AsteriskFacts, which: str) -> Iterator[AcceptedSuites]:
    """Every suite each listener admits: its list as OpenSSL expands it, and OpenSSL's TLS 1.3 suites (no
    Asterisk option turns TLS 1.3 off)."""
    for x in _listeners(facts, which):
        listed, how = x.cipher_list()
        suites, lacking = admitted_suites(listed, True)
        section = f"{x.root} [general]"
        if not suites:
            yield AcceptedSuites(subject=x.subject, source=x.cipher_source, section=section, undecidable=(
                "not evaluated: OpenSSL selects no suite from tlscipher, and Asterisk then turns this TLS listener "
                "off; check the list against the PBX's OpenSSL"))
            continue
        yield AcceptedSuites(subject=x.subject, source=x.cipher_source, section=section,
                             suites=tuple(("", n) for n in suites), setting=how_read(how, lacking))


def peer_verification(facts: AsteriskFacts) -> Iterator[PeerVerification]:
    """chan_sip's outgoing TLS connections check the server's certificate and name unless tlsdontverifyserver
    is true. The HTTP server has no peer to verify (it refuses the option)."""
    x = _sip(facts)
    if x is not None:
        off = _on(x.obj, "tlsdontverifyserver")
        yield PeerVerification(subject=x.subject, source=x.obj.location("tlsdontverifyserver"),
                               section="sip.conf [general]", verifies=not off,
                               setting="tlsdontverifyserver=yes" if off else
                               "tlsdontverifyserver is off: chan_sip checks the server's certificate and name")


def server_credentials(facts: AsteriskFacts, which: str) -> Iterator[ServerCredentials]:
    """The certificate and key each listener is configured with, as __ssl_setup() loads them (module docstring):
    ``tlscertfile`` unset or empty is missing; ``tlsprivatekey`` unset means the key is in the certificate file."""
    for x in _listeners(facts, which):
        cert = _last(x.obj, *CERT_KEYS)
        named = cert is not None and bool(cert.value.strip())
        yield ServerCredentials(subject=x.subject, source=cert.source if cert is not None else x.obj.source,
                                section=f"{x.root} [general]", missing=() if named else ("tlscertfile",))


def credentials_fix(rec: ServerCredentials) -> list[str]:
    return [f"; {rec.section}", "tlscertfile=/etc/asterisk/keys/<certificate>.crt",
            "tlsprivatekey=/etc/asterisk/keys/<certificate>.key"]


def credentials_change(rec: ServerCredentials) -> list[Change]:
    """A note: the certificate issued for this PBX is the administrator's to name (no path is guessed)."""
    return [note(_root(rec.section), "general", f"{rec.subject}: set tlscertfile and tlsprivatekey to the certificate "
                                                "and key issued for this PBX")]


def _root(section: str) -> str:
    return section.split(" ", 1)[0]


def _kind(section: str) -> str:
    return KINDS[_root(section)]


def version_fix(rec: ProtocolVersions) -> list[str]:
    return [f"; {rec.section}", "tlsdisablev1=yes", "tlsdisablev11=yes"]


def version_change(rec: ProtocolVersions) -> list[Change]:
    root, kind = _root(rec.section), _kind(rec.section)
    out = [set_(root, "general", key, "yes", kind) for key in ("tlsdisablev1", "tlsdisablev11")]
    if "tlsclientmethod" in rec.setting:
        out.append(set_(root, "general", "tlsclientmethod", "tlsv1", kind))
    return out


def cipher_fix(rec: CipherSuites | AcceptedSuites) -> list[str]:
    return [f"; {rec.section}", f"tlscipher={MOZILLA_CIPHERS}"]


def cipher_change(rec: CipherSuites | AcceptedSuites) -> list[Change]:
    return [set_(_root(rec.section), "general", "tlscipher", MOZILLA_CIPHERS, _kind(rec.section))]


def verify_fix(rec: PeerVerification) -> list[str]:
    return ["; sip.conf [general]", "tlsdontverifyserver=no", "tlscafile=/etc/ssl/certs/ca-certificates.crt"]


def verify_change(rec: PeerVerification) -> list[Change]:
    return [set_("sip.conf", "general", "tlsdontverifyserver", "no", "sip.general")]


def _one(view: Callable[[AsteriskFacts, str], Iterator[R]], which: str) -> Callable[[AsteriskFacts], Iterator[R]]:
    """``view`` for one listener type, as a view of the facts alone (the engine passes a second argument to a
    view that takes one: the profile's parameters)."""
    def records(facts: AsteriskFacts) -> Iterator[R]:
        return view(facts, which)
    records.__name__ = f"{view.__name__}_{which}"
    return records


def _bindings(which: str, sources: tuple[str, ...], none: str,
              remediation: tuple[dict[str, str], dict[str, str]] = (VERSION_REMEDIATION, CIPHER_REMEDIATION),
              ) -> tuple[Binding, ...]:  # type: ignore[type-arg]
    """One listener type's bindings (kept apart: a sip.conf Asterisk refuses leaves the HTTPS listener judged);
    ``remediation``: its (versions, ciphers) remediation texts."""
    versions, ciphers, suites, creds = (_one(f, which) for f in (protocol_versions, cipher_suites, accepted_suites,
                                                                   server_credentials))
    version_rem, cipher_rem = remediation
    return (
        Binding("ENC-TLS-104", "asterisk", creds, sources, remediation=CREDENTIALS_REMEDIATION, fix=credentials_fix,
                none=none, change=credentials_change),
        Binding("ENC-TLS-101", "asterisk", versions, sources, remediation=version_rem, fix=version_fix,
                none=none, change=version_change),
        Binding("ENC-TLS-102", "asterisk", ciphers, sources, remediation=cipher_rem, fix=cipher_fix,
                none=none, change=cipher_change),
        Binding("ENC-TLS-108", "asterisk", suites, sources, remediation=cipher_rem, fix=cipher_fix,
                none=none, change=cipher_change),
        Binding("ENC-TLS-109", "asterisk", suites, sources, remediation=cipher_rem, fix=cipher_fix,
                none=none, change=cipher_change),
    )


BINDINGS = (
    *_bindings("http", SOURCES_HTTP, "no HTTPS listener in http.conf"),
    *_bindings("sip", SOURCES_SIP, "no chan_sip TLS listener"),
    *_bindings("ami", SOURCES_AMI, "no AMI TLS listener (manager.conf tlsenable off, or AMI disabled)",
               (AMI_VERSION_REMEDIATION, AMI_CIPHER_REMEDIATION)),
    Binding("ENC-TLS-103", "asterisk", peer_verification, SOURCES_SIP, remediation=VERIFY_REMEDIATION, fix=verify_fix,
            none="no chan_sip TLS", change=verify_change),
)
