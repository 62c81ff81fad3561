"""res_hep (hep.conf) as records: copies of every SIP message PJSIP sends and receives (res_hep_pjsip) and
of RTCP reports (res_hep_rtcp), sent as HEPv3 over UDP, in clear, to a Homer/SIPCAPTURE server. The copies
hold what the calls' signalling holds (patients' numbers and names, the SDP with SDES media keys), so the
capture server is a recipient of PHI (BAA-101) and the copies are plaintext signalling (ENC-SIG-101).

Read as res/res_hep.c reads hep.conf (the config framework, ``aco_option_register``): one ``[general]``;
``enabled`` is a boolean that defaults to yes; ``capture_address`` (host:port, the port required) must be
set when enabled, or the module declines to load; ``capture_password``, ``capture_id`` (an unsigned
number) and ``uuid_type`` (``call-id`` or ``channel``) are the only other options. Any other section or
option, or a bad ``uuid_type``/``capture_id``, makes the framework refuse the file, and the module then
declines: nothing is sent. res_hep alone sends nothing; res_hep_pjsip and res_hep_rtcp send through it.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_hep import HEP_ROOT, OPTIONS, UUID_TYPES
from voxaudit.facts.asterisk_sip import ast_true
from voxaudit.facts.common import ConfigObject
from voxaudit.platforms.asterisk.common import module_state
from voxaudit.platforms.asterisk.recipients import REMEDIATION as BAA_REMEDIATION
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix
from voxaudit.platforms.common import host_of, is_loopback
from voxaudit.records.recipients import PhiRecipient
from voxaudit.records.transport import SignallingPath
from voxaudit.remediation import Change, set_

SOURCES = (HEP_ROOT, "modules.conf")
SENDERS = ("res_hep_pjsip", "res_hep_rtcp")  # the modules that hand res_hep what it sends
ROLE = "SIP capture server (HEP)"

REMEDIATION = {
    "asterisk": "In hep.conf [general] set enabled=no (or noload => res_hep_pjsip.so and res_hep_rtcp.so in "
                "modules.conf) unless call capture is needed; if it is, send it to a capture agent on this host "
                "(capture_address=127.0.0.1:9060) that forwards over an encrypted tunnel, and list the Homer "
                "operator in the business-associate register.",
    "freepbx": "FreePBX has no page for HEP: edit /etc/asterisk/hep.conf as for Asterisk (enabled=no, or a "
               "capture agent on 127.0.0.1), then reload res_hep; list a hosted Homer service in the register.",
}


def _sent_to(facts: AsteriskFacts) -> Optional[tuple[ConfigObject, str]]:
    """([general], capture_address) when res_hep runs and sends, as res_hep.c decides; None otherwise."""
    general = facts.first("hep.general")
    if general is None or facts.of_kind("hep.other"):  # no [general], or a section the framework refuses
        return None
    if not module_state(facts, "res_hep", HEP_ROOT).loaded:
        return None
    if not any(module_state(facts, m, HEP_ROOT).loaded for m in SENDERS):
        return None
    if any(key not in OPTIONS for key in general.settings) or general.secrets.keys() - OPTIONS:
        return None  # the framework refuses an option it does not know: the module declines
    uuid_type = general.get("uuid_type")
    if uuid_type is not None and uuid_type.strip().lower() not in UUID_TYPES:
        return None
    capture_id = general.get("capture_id")
    if capture_id is not None and not capture_id.strip().isdigit():
        return None
    enabled = general.get("enabled")
    if enabled is not None and not ast_true(enabled):
        return None
    address = (general.get("capture_address") or "").strip()
    if not address:
        return None  # hepv3_config_pre_apply(): enabled without capture_address refuses the configuration
    return general, address


def hep_capture_servers(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """The capture server every SIP message is copied to: an outside party unless it is this host."""
    sent = _sent_to(facts)
    if sent is None:
        return
    general, address = sent
    found = RecipientSet()
    found.add(ROLE, host_of(address), f"{HEP_ROOT} [general] capture_address", general.location("capture_address"))
    yield from found.records()


def hep_copies(facts: AsteriskFacts) -> Iterator[SignallingPath]:
    """HEPv3 has no encryption in res_hep: the copies travel as UDP in clear to the capture server."""
    sent = _sent_to(facts)
    if sent is None:
        return
    general, address = sent
    senders = [m for m in SENDERS if module_state(facts, m, HEP_ROOT).loaded]
    yield SignallingPath(subject=f"HEP copies to {host_of(address)}", source=general.location("capture_address"),
                         section=f"{HEP_ROOT} [general]", plaintext=True, loopback=is_loopback(address),
                         address=address, protocol="SIP (HEP copies)",
                         setting=f"res_hep sends a copy of every SIP message ({', '.join(senders)}) over UDP, "
                                 f"unencrypted, to capture_address {host_of(address)}")


def hep_fix(path: SignallingPath) -> list[str]:
    return ["[general]", "enabled=no"]


def hep_change(path: SignallingPath) -> list[Change]:
    return [set_(HEP_ROOT, "general", "enabled", "no", "hep.general")]


BINDINGS = (
    Binding("BAA-101", "asterisk", hep_capture_servers, SOURCES, remediation=BAA_REMEDIATION, fix=register_fix,
            none="no HEP capture server receives copies of the calls' signalling"),
    Binding("ENC-SIG-101", "asterisk", hep_copies, SOURCES, remediation=REMEDIATION, fix=hep_fix,
            none="res_hep sends no copies of SIP messages", change=hep_change),
)
