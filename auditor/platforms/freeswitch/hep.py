"""mod_sofia's SIP capture (HEP) as records: sofia-sip copies every SIP message a capturing profile sends and
receives (patients' numbers and names, the SDP with SDES keys) to a Homer capture server, so the server is a
PHI recipient (BAA-101) and the copies travel in clear (ENC-SIG-101).

Read as mod_sofia reads it (src/mod/endpoints/mod_sofia/sofia.c and sofia_glue.c, read at freeswitch
cc93a683): ``capture-server`` in sofia.conf.xml ``<global_settings>`` (``protocol:host:port[;hep=N;
capture_id=N]``, no default: without it nothing can be captured) is the one destination; a profile's
``sip-capture`` (switch_true, default off) sets TPTAG_CAPT for that profile. At run time ``sofia global
capture on`` and ``sofia profile <name> capture on`` hand every (or one) profile the same capture-server,
so a capture-server with no capturing profile is a decision the files cannot settle: ERROR, never PASS.
The capture is HEP over UDP or TCP; sofia-sip has no TLS for it.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix
from voxaudit.platforms.common import is_loopback
from voxaudit.platforms.freeswitch.common import fs_true, profile_label, runtime_var
from voxaudit.platforms.kamailio.hep import NOT_A_HOST, capture_host_ok
from voxaudit.records.recipients import PhiRecipient
from voxaudit.records.transport import SignallingPath
from voxaudit.remediation import Change, set_

SOURCES = ("sofia",)
ROLE = "SIP capture server (HEP)"
MAX_VALUE = 1024

REMEDIATION = {
    "freeswitch": "In each sip_profiles/<profile>.xml set <param name=\"sip-capture\" value=\"no\"/> and remove "
                  "capture-server from sofia.conf.xml <global_settings> unless call capture is needed; if it is, send "
                  "it to a capture agent on this host (udp:127.0.0.1:9060) that forwards over an encrypted tunnel, "
                  "and list the Homer operator in the business-associate register.",
    "fusionpbx": "Advanced > SIP Profiles > (profile): sip-capture = false; Advanced > SIP Profiles > Settings "
                 "(sofia.conf global settings): remove capture-server, or point it at 127.0.0.1; reload the profile.",
}
BAA_REMEDIATION = {
    "freeswitch": "Sign a business associate agreement with the operator of the capture server sofia.conf.xml "
                  "capture-server names and add it to the business_associates: register, or capture on this host.",
    "fusionpbx": "Advanced > SIP Profiles names the capture-server: sign a BAA with its operator and list it in the "
                 "business_associates: register, or capture on this host only.",
}


def _server(value: str) -> tuple[str, str, str]:
    """(protocol, host, host:port) of ``udp:host:port;hep=3;capture_id=100``; fixed-character splits (linear)."""
    head = value.strip()[:MAX_VALUE].partition(";")[0].strip()
    proto, sep, rest = head.partition(":")
    if not sep or proto.lower() not in ("udp", "tcp"):
        proto, rest = "udp", head
    rest = rest.rpartition("@")[2]
    if rest.startswith("["):
        host = rest[1:].partition("]")[0]
    else:
        host = rest.partition(":")[0] if rest.count(":") <= 1 else rest
    return proto.lower(), host.strip(), rest.strip()


def _capture(facts: FreeSwitchFacts) -> Optional[tuple[ConfigObject, str, str, str, list[ConfigObject], str]]:
    """(global settings, protocol, host, address, capturing profiles, why undecidable), or None: nothing sent."""
    glob = facts.first("sofia.global")
    value = (glob.get("capture-server") or "").strip() if glob is not None else ""
    if glob is None or not value:
        return None  # TPTAG_CAPT(NULL): no capture server, nothing to send to, whatever the profiles say
    proto, host, address = _server(value)
    profiles = [p for p in facts.of_kind("sofia.profile") if fs_true(p.get("sip-capture"))]
    undecidable = ""
    if runtime_var(value) or "$${" in value:
        undecidable = "capture-server is a variable known only on the running host; not assessed"
    elif not profiles:
        undecidable = ("capture-server is set but no profile has sip-capture on: 'sofia global capture on' or "
                       "'sofia profile <name> capture on' starts capture at run time, which the files cannot show")
    return glob, proto, host, address, profiles, undecidable


def capture_servers(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    got = _capture(facts)
    if got is None:
        return
    glob, _proto, host, _address, _profiles, undecidable = got
    how = "sofia.conf.xml global_settings capture-server"
    if undecidable and not capture_host_ok(host):
        yield PhiRecipient(subject=f"{ROLE} at {how}", source=glob.location("capture-server"), role=ROLE, how=how,
                           undecidable=undecidable)
        return
    found = RecipientSet()
    found.add(ROLE, host, how, glob.location("capture-server"))
    yield from found.records()


def capture_copies(facts: FreeSwitchFacts) -> Iterator[SignallingPath]:
    got = _capture(facts)
    if got is None:
        return
    glob, proto, host, address, profiles, undecidable = got
    names = ", ".join(profile_label(p) for p in profiles) or "no profile yet"
    if not capture_host_ok(host):
        yield SignallingPath(subject="HEP copies to sofia.conf.xml capture-server", source=glob.location("capture-server"),
                             section="sofia.conf.xml global_settings", plaintext=True, protocol="SIP (HEP copies)",
                             setting="", undecidable=undecidable or NOT_A_HOST)
        return
    yield SignallingPath(subject=f"HEP copies to {host}", source=glob.location("capture-server"),
                         section="sofia.conf.xml global_settings", plaintext=True, loopback=is_loopback(host),
                         address=address, protocol="SIP (HEP copies)", undecidable=undecidable,
                         setting=f"sofia-sip copies every SIP message of {names} (sip-capture) as HEP over "
                                 f"{proto.upper()}, unencrypted, to capture-server {host}")


def capture_fix(path: SignallingPath) -> list[str]:
    return ['<param name="sip-capture" value="no"/>']


def capture_change(path: SignallingPath, params: object, facts: FreeSwitchFacts) -> list[Change]:
    """sip-capture=no on each capturing profile (one setting each): nothing is captured at start."""
    return [set_("sofia", p.name, "sip-capture", "no", "sofia.profile")
            for p in facts.of_kind("sofia.profile") if fs_true(p.get("sip-capture"))]


BINDINGS = (
    Binding("BAA-101", "freeswitch", capture_servers, SOURCES, remediation=BAA_REMEDIATION, fix=register_fix,
            none="no HEP capture server receives copies of the calls' signalling"),
    Binding("ENC-SIG-101", "freeswitch", capture_copies, SOURCES, remediation=REMEDIATION, fix=capture_fix,
            none="mod_sofia sends no copies of SIP messages", change=capture_change),
)
