"""Asterisk knowledge shared by the adapter's views: option values as Asterisk reads them (no I/O)."""
from __future__ import annotations

import re
from typing import Optional

from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_modules import ModuleState, module_loaded
from voxaudit.facts.asterisk_sip import ast_true
from voxaudit.facts.common import ConfigObject

PLATFORMS = ["asterisk"]



TLS_METHODS = {
    "sslv2": 0.2, "sslv3": 0.3, "sslv23": 1.0, "tlsv1": 1.0, "tlsv1_1": 1.1, "tlsv1_2": 1.2, "tlsv1_3": 1.3,
}
WEAK_CIPHER_RE = re.compile(r"(^|[:+!-])(RC4|DES|3DES|NULL|EXP|EXPORT|MD5|aNULL|eNULL|ADH|AECDH|SEED|IDEA)", re.IGNORECASE)


def tls_version(value: Optional[str]) -> float:
    return TLS_METHODS.get((value or "").strip().lower(), 1.0)


def transports(facts: AsteriskFacts) -> dict[str, ConfigObject]:
    return {t.name: t for t in facts.of_kind("pjsip.transport")}


def endpoint_transports(facts: AsteriskFacts, ep: ConfigObject) -> list[ConfigObject]:
    """The transports an endpoint can use: the pinned one, or any when none is pinned."""
    pinned = ep.get("transport")
    t = facts.named("pjsip.transport", pinned) if pinned else None
    return [t] if t is not None else facts.of_kind("pjsip.transport")


def mailboxes(facts: AsteriskFacts) -> list[ConfigObject]:
    return facts.of_kind("voicemail.mailbox")


def vm_general(facts: AsteriskFacts) -> Optional[ConfigObject]:
    return facts.first("voicemail.general")


def yes(value: Optional[str]) -> bool:
    """ast_true() of a value that may be missing or padded."""
    return ast_true((value or "").strip())


def pins_elsewhere(facts: AsteriskFacts) -> bool:
    """passwordlocation=spooldir keeps PINs out of voicemail.conf; they cannot be judged here."""
    general = vm_general(facts)
    return bool(general and (general.get("passwordlocation") or "").lower() == "spooldir")


ChanSip = ModuleState  # the name chan_sip's bindings know it by


def module_state(facts: AsteriskFacts, module: str, conf: str) -> ModuleState:
    """Whether ``module`` (configured by ``conf``) runs, as modules.conf decides (auditor.facts.asterisk_modules)."""
    return module_loaded(module, conf, facts.has_config(conf), facts.has_config("modules.conf"),
                         facts.first("modules.modules"))


def chan_sip_state(facts: AsteriskFacts) -> ModuleState:
    return module_state(facts, "chan_sip", "sip.conf")
