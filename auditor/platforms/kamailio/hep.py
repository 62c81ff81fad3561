"""SIP capture (HEP, or plain SIP duplicates) from Kamailio and OpenSIPS as records: every traced SIP message
(patients' numbers and names, the SDP with SDES keys) is copied to a Homer/capture server, so the server is
a PHI recipient (BAA-101) and the copies are signalling that may travel in clear (ENC-SIG-101).

**Kamailio** (src/modules/siptrace/siptrace.c, read at kamailio 38711a3e): the ``siptrace`` module copies a
message when the routing calls ``sip_trace()`` / ``sip_trace_mode()``, or for all traffic when ``trace_mode``
has bit 1 (HEP) or 4 (plain SIP to duplicate_uri) set. Each path first checks ``*trace_on_flag``, which
``trace_on`` sets (default 0) and the RPC command ``siptrace.status on|off`` changes at run time: with
trace_on unset or 0 the files cannot say whether copies leave (ERROR). The destination is ``duplicate_uri``
(or the call's own argument, which this reader does not keep: ERROR when no duplicate_uri says where).
The copy goes over the URI's ``transport`` (``parse_siptrace_uri``/mod_init: ``proto`` defaults to UDP):
``transport=tls`` is the only encrypted one; ``hep_mode_on`` only chooses HEP or plain SIP encapsulation.

**OpenSIPS** (modules/tracer/tracer.c, modules/proto_hep/hep.c, read at opensips 8f4f1e1b): ``tracer`` (3.x)
or ``siptrace`` (2.x) sends when the routing calls ``trace()`` / ``sip_trace()``; each ``trace_id``
(``[tid]uri=hep:<hep_id>`` or ``uri=sip:host:port``) is a destination, and a ``hep:`` one names a
proto_hep ``hep_id`` (``[name]host[:port];transport=udp|tcp|tls;version=N``: transport defaults to TCP,
version to 3, and TCP or TLS with a version below 3 falls back to UDP). ``trace_on`` defaults to 1; 0 is a
run-time switch (MI ``trace``), ERROR. Database trace_ids (mysql:, postgres:...) are not copies of SIP on
the wire and are left to the call-record controls.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import ROUTING, KamailioFacts, OpenSipsFacts
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix
from voxaudit.platforms.common import config_int, is_loopback
from voxaudit.platforms.kamailio.common import kemi_routing
from voxaudit.records.recipients import PhiRecipient
from voxaudit.records.transport import SignallingPath
from voxaudit.remediation import Change, note

SOURCES = ("kamailio.cfg", ROUTING)
ROLE = "SIP capture server (HEP)"
KAMAILIO_CALLS = frozenset({"sip_trace", "sip_trace_mode"})
OPENSIPS_CALLS = frozenset({"trace", "sip_trace", "trace_dialog"})
OPENSIPS_MODULES = ("tracer", "siptrace")
MAX_VALUE = 1024  # a URI longer than this is not read as one (bounded work on hostile values)

REMEDIATION = {
    "kamailio": "Stop copying SIP to a capture server beyond this host: remove sip_trace() and trace_mode, or set "
                "modparam(\"siptrace\", \"trace_on\", 0) and never switch it on (kamcmd siptrace.status); if capture "
                "is needed, send it to an agent on this host (modparam(\"siptrace\", \"duplicate_uri\", "
                "\"sip:127.0.0.1:9060\")) or over TLS (\";transport=tls\"), and list the Homer operator in the "
                "business-associate register.",
    "opensips": "Stop tracing to a capture server beyond this host: remove trace()/sip_trace() calls or set "
                "modparam(\"tracer\", \"trace_on\", 0); if capture is needed, use a proto_hep hep_id on 127.0.0.1 "
                "or with transport=tls (HEPv3), and list the Homer operator in the business-associate register.",
}
BAA_REMEDIATION = {
    "kamailio": "Sign a business associate agreement with the operator of the capture server siptrace copies every "
                "SIP message to (duplicate_uri), and add it to the business_associates: register, or capture on "
                "this host only.",
    "opensips": "Sign a business associate agreement with the operator of the capture server each trace_id / hep_id "
                "names, and add it to the business_associates: register, or capture on this host only.",
}


def uri_parts(uri: str) -> tuple[str, str, str]:
    """(host, host:port as written, transport) of a SIP URI or a proto_hep address; fixed-character splits only
    (linear). ``user:password@`` is dropped, never kept: the host is what follows the last ``@``."""
    uri = uri.strip().strip('"')[:MAX_VALUE]
    head, _, params = uri.partition(";")
    for scheme in ("sips:", "sip:"):
        if head.lower().startswith(scheme):
            head = head[len(scheme):]
            break
    head = head.rpartition("@")[2].strip()
    transport = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "transport":
            transport = value.strip().lower()
    if head.startswith("["):
        host = head[1:].partition("]")[0]
    else:
        host = head.partition(":")[0] if head.count(":") <= 1 else head
    return host, head, transport


_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%")
NOT_A_HOST = "the capture host written there is a variable or not a host name (not quoted: any value may be a secret)"


def capture_host_ok(host: str) -> bool:
    """A host name or address (IPv6 included), not a variable, placeholder or junk: only then is it named."""
    return 0 < len(host) <= 253 and all(c in _HOST_CHARS for c in host)


class _Copy:
    """One place copies are sent: where it is configured, the host, whether it is encrypted, and why the files
    cannot settle it ("" when they can)."""

    def __init__(self, where: ConfigObject, how: str, host: str, address: str, encrypted: bool, setting: str,
                 undecidable: str = "") -> None:
        self.where, self.how, self.host, self.address = where, how, host, address
        self.encrypted, self.setting, self.undecidable = encrypted, setting, undecidable


def _params(facts: KamailioFacts, module: str) -> dict[str, list[ConfigObject]]:
    out: dict[str, list[ConfigObject]] = {}
    for o in facts.of_kind("kamailio.modparam"):
        mod, _, param = o.name.partition(".")
        if mod == module:
            out.setdefault(param, []).append(o)
    return out


def _loaded(facts: KamailioFacts, module: str) -> bool:
    return facts.named("kamailio.module", module) is not None


def _switch(param: Optional[ConfigObject], default: int) -> tuple[int, str]:
    """The value of an integer on/off parameter and, when it is unreadable, why (a define, a variable)."""
    if param is None:
        return default, ""
    number = config_int((param.get("value") or "").strip('"'))
    if number is None:
        return default, f"{param.name} is not a number the audit can read"
    return number, ""


def _kamailio_copies(facts: KamailioFacts) -> list[_Copy]:
    module = facts.named("kamailio.module", "siptrace")
    if module is None:
        return []
    params = _params(facts, "siptrace")
    last = {k: v[-1] for k, v in params.items()}  # PARAM_STR / PARAM_INT: the last modparam wins
    calls = [c for c in facts.of_kind("kamailio.call") if c.name in KAMAILIO_CALLS]
    # sip_trace("<uri>", ...) sends to its own argument; sip_trace() and sip_trace_mode() to duplicate_uri
    aimed = [c for c in calls if c.name == "sip_trace" and c.get("args")]
    plain = sorted({c.name for c in calls if c.name != "sip_trace" or not c.get("args")})
    mode, mode_bad = _switch(last.get("trace_mode"), 0)
    hep, hep_bad = _switch(last.get("hep_mode_on"), 0)
    to_db, db_bad = _switch(last.get("trace_to_database"), 1)
    on, on_bad = _switch(last.get("trace_on"), 0)
    bad = mode_bad or hep_bad or db_bad or on_bad
    kemi = kemi_routing(facts)
    # sip_trace_store(): without a destination argument a copy is sent (to duplicate_uri) only in HEP mode
    # or when trace_to_database is 0; trace_mode bit 1 (HEP) or 4 (SIP) mirrors all traffic there
    triggers = [f"{name}()" for name in plain if hep or not to_db or bad]
    if mode & (1 | 4):
        triggers.append(f"trace_mode {mode}")
    if not triggers and not aimed and not kemi:
        return []  # nothing asks the module to copy anything (sip_trace() into the database only)
    gate = ""
    if bad:
        gate = f"siptrace {bad}"
    elif not on:
        gate = ("siptrace trace_on is " + ("0" if "trace_on" in last else "unset (default 0)") +
                ": copies are sent only once switched on at run time (RPC siptrace.status on), which the files "
                "cannot show")
    out: list[_Copy] = []
    dup = last.get("duplicate_uri")
    if triggers and dup is not None:
        host, address, transport = uri_parts(dup.get("value") or "")
        encrypted = transport == "tls"
        setting = (f"siptrace copies every traced SIP message ({', '.join(triggers)}) as "
                   f"{'HEP' if hep else 'SIP duplicates'} over {transport.upper() if transport else 'UDP'}"
                   f"{'' if encrypted else ', unencrypted,'} to duplicate_uri {host}")
        out.append(_Copy(dup, "kamailio.cfg modparam siptrace duplicate_uri", host, address, encrypted, setting,
                         gate))
    if aimed:
        out.append(_Copy(aimed[0], "kamailio.cfg sip_trace(<destination>)", "", "", False, "",
                         gate or "sip_trace() is called with a destination argument, which the audit does not read "
                                 "(it may name any capture server)"))
    elif kemi and not triggers:
        out.append(_Copy(module, "kamailio.cfg siptrace", "", "", False, "",
                         f"siptrace is loaded and {kemi}: whether it calls sip_trace(), and to where, is not read"))
    return out


def _bracketed(value: str) -> tuple[str, str]:
    """'[name] rest' -> ('name', 'rest'); ('', value) without a bracketed name."""
    value = value.strip().strip('"')[:MAX_VALUE]
    if value.startswith("["):
        name, sep, rest = value[1:].partition("]")
        if sep:
            return name.strip(), rest.strip()
    return "", value


def _opensips_copies(facts: KamailioFacts) -> list[_Copy]:
    modules = [m for m in OPENSIPS_MODULES if _loaded(facts, m)]
    if not modules:
        return []
    calls = sorted({c.name for c in facts.of_kind("kamailio.call")} & OPENSIPS_CALLS)
    if not calls:
        return []  # tracer/siptrace copy only what trace()/sip_trace() hands them
    module = modules[0]
    params = _params(facts, module)
    # tracer.c: trace_on = 1; the 1.x siptrace documented 0: unset there is left to the run time too
    trace_on = params.get("trace_on") or []
    on, on_bad = _switch(trace_on[-1] if trace_on else None, 1 if module == "tracer" else 0)
    state = "0" if params.get("trace_on") else "unset (0 in the 1.x siptrace)"
    undecidable = (f"{module} {on_bad}" if on_bad else
                   f"{module} trace_on is {state}: tracing is switched on at run time (MI sip_trace/trace on), which "
                   "the files cannot show" if not on else "")
    hep_ids: dict[str, tuple[ConfigObject, str]] = {}
    for o in _params(facts, "proto_hep").get("hep_id", []):
        name, rest = _bracketed(o.get("value") or "")
        hep_ids.setdefault(name, (o, rest))
    triggers = ", ".join(f"{c}()" for c in calls)
    out: list[_Copy] = []
    old = params.get("duplicate_uri")  # OpenSIPS 1.x/2.1 siptrace: one duplicate_uri, duplicate_with_hep
    if module == "siptrace" and old:
        host, address, transport = uri_parts(old[-1].get("value") or "")
        setting = (f"siptrace copies every traced SIP message ({triggers}) over {(transport or 'udp').upper()}, "
                   f"unencrypted, to duplicate_uri {host}")
        out.append(_Copy(old[-1], "opensips.cfg modparam siptrace duplicate_uri", host, address, transport == "tls",
                         setting, undecidable))
    for tid in params.get("trace_id", []):
        _name, rest = _bracketed(tid.get("value") or "")
        uri = next((a.strip()[4:] for a in rest.split(";") if a.strip().lower().startswith("uri=")), "")
        scheme, _, target = uri.partition(":")
        scheme = scheme.strip().lower()
        if scheme == "hep":
            ref = hep_ids.get(target.strip())
            if ref is None:
                out.append(_Copy(tid, f"opensips.cfg modparam {module} trace_id", "", "", False, "",
                                 f"a {module} trace_id names a proto_hep hep_id that no modparam defines (OpenSIPS "
                                 "refuses to start); destination not known"))
                continue
            hid, spec = ref
            fields = [f.strip() for f in spec.split(";")]
            host, address, _ = uri_parts(fields[0])
            opts = {k.strip().lower(): v.strip().lower() for k, _, v in (f.partition("=") for f in fields[1:])}
            transport = opts.get("transport") or "tcp"
            version = config_int(opts.get("version")) or 3
            if transport in ("tcp", "tls") and version < 3:
                transport = "udp"  # new_hep_id(): TCP and TLS need HEPv3
            encrypted = transport == "tls"
            setting = (f"{module} copies every traced SIP message ({triggers}) as HEPv{version} over "
                       f"{transport.upper()}{'' if encrypted else ', unencrypted,'} to proto_hep hep_id {host}")
            out.append(_Copy(hid, "opensips.cfg modparam proto_hep hep_id", host, address, encrypted, setting,
                             undecidable))
        elif scheme in ("sip", "sips"):
            host, address, transport = uri_parts(uri)
            setting = (f"{module} copies every traced SIP message ({triggers}) as SIP over "
                       f"{(transport or 'udp').upper()}, unencrypted, to trace_id uri {host}")
            out.append(_Copy(tid, f"opensips.cfg modparam {module} trace_id", host, address, transport == "tls",
                             setting, undecidable))
    return out


def _copies(facts: KamailioFacts) -> list[_Copy]:
    return _opensips_copies(facts) if isinstance(facts, OpenSipsFacts) else _kamailio_copies(facts)


def capture_servers(facts: KamailioFacts) -> Iterator[PhiRecipient]:
    """The capture servers traced SIP messages are copied to: outside parties unless on this host."""
    found = RecipientSet()
    for c in _copies(facts):
        if not c.host and c.undecidable:
            yield PhiRecipient(subject=f"{ROLE} at {c.how}", source=c.where.location(), role=ROLE, how=c.how,
                               undecidable=c.undecidable)
            continue
        found.add(ROLE, c.host, c.how, c.where.location())
    yield from found.records()


def capture_copies(facts: KamailioFacts) -> Iterator[SignallingPath]:
    """Each capture destination as a signalling path: plaintext unless the copies go over TLS."""
    for c in _copies(facts):
        named = capture_host_ok(c.host)
        yield SignallingPath(subject=f"HEP copies to {c.host if named else c.how}", source=c.where.location(),
                             section=c.how, plaintext=not c.encrypted, loopback=named and is_loopback(c.host),
                             address=c.address if named else "", protocol="SIP (HEP copies)",
                             setting=c.setting if named else "", undecidable=c.undecidable or ("" if named else NOT_A_HOST))


def kamailio_fix(path: SignallingPath) -> list[str]:
    return ['modparam("siptrace", "trace_on", 0)']


def opensips_fix(path: SignallingPath) -> list[str]:
    return ['modparam("tracer", "trace_on", 0)']


def capture_change(path: SignallingPath, params: object, facts: KamailioFacts) -> list[Change]:
    """One setting switches every copy off (trace_on 0: sip_trace() and trace_mode both check it), but the
    Kamailio writer changes tls.cfg lines only, so the patch is a note before the line the finding names."""
    module = "siptrace" if not isinstance(facts, OpenSipsFacts) else "tracer"
    return [note(facts.cfg_name, "", f"{path.subject}: SIP copies leave this host; set "
                                     f"modparam(\"{module}\", \"trace_on\", 0) or capture on 127.0.0.1 only")]


BINDINGS = tuple(
    b for platform, fix in (("kamailio", kamailio_fix), ("opensips", opensips_fix)) for b in (
        Binding("BAA-101", platform, capture_servers, SOURCES, remediation=BAA_REMEDIATION, fix=register_fix,
                none="no SIP capture server receives copies of the calls' signalling"),
        Binding("ENC-SIG-101", platform, capture_copies, SOURCES, remediation=REMEDIATION, fix=fix,
                none="no SIP messages are copied to a capture server",
                change=capture_change),
    )
)
