"""Pure helpers shared by Asterisk checks (no I/O)."""
from __future__ import annotations

import ipaddress
import re
from typing import Callable, Iterable, Optional

from auditor.check import CheckContext, Outcome, Param

from auditor.facts.asterisk import AsteriskFacts
from auditor.facts.common import ConfigObject

PLATFORMS = ["asterisk"]

TLS_METHODS = {
    "sslv2": 0.2, "sslv3": 0.3, "sslv23": 1.0, "tlsv1": 1.0, "tlsv1_1": 1.1, "tlsv1_2": 1.2, "tlsv1_3": 1.3,
}
WEAK_CIPHER_RE = re.compile(r"(^|[:+!-])(RC4|DES|3DES|NULL|EXP|EXPORT|MD5|aNULL|eNULL|ADH|AECDH|SEED|IDEA)", re.IGNORECASE)
CALLER_VARS_RE = re.compile(r"\$\{(ORIG_)?VM_(CALLERID|CIDNAME|CIDNUM)\}", re.IGNORECASE)


def host_of(bind: Optional[str]) -> str:
    """'0.0.0.0:5061' -> '0.0.0.0'; '[::1]:5060' -> '::1'."""
    if not bind:
        return ""
    bind = bind.strip()
    if bind.startswith("["):
        return bind[1:].split("]")[0]
    if bind.count(":") == 1:
        return bind.split(":")[0]
    return bind


def is_loopback(bind: Optional[str]) -> bool:
    host = host_of(bind)
    if host in {"localhost"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_version(value: Optional[str]) -> float:
    return TLS_METHODS.get((value or "").strip().lower(), 1.0)


def weak_secret_reason(info, min_length: int) -> Optional[str]:
    """Describe what is wrong with a secret's shape, never the secret."""
    if info is None or not info.present:
        return "no secret set"
    if info.equals_identity:
        return "secret equals the account name"
    if info.weakness == "known-weak":
        return "secret is a known default or common value"
    if info.weakness in {"sequential", "repeated"}:
        return f"secret is a {info.weakness} sequence"
    if info.shared_group:
        return f"secret is shared with other accounts ({info.shared_group})"
    if info.length < min_length:
        return f"secret is {info.length} characters, shorter than {min_length}"
    return None


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


def mailbox_option(facts: AsteriskFacts, mb: ConfigObject, key: str) -> tuple[Optional[str], str]:
    """A voicemail option as Asterisk resolves it: the mailbox's own, else [general]."""
    own = mb.get(key)
    if own is not None:
        return own, f"mailbox option {key}"
    general = vm_general(facts)
    if general is not None and general.get(key) is not None:
        return general.get(key), f"[general] {key}"
    return None, "default"


def yes(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in {"yes", "true", "y", "t", "1", "on"}


def pins_elsewhere(facts: AsteriskFacts) -> bool:
    """passwordlocation=spooldir keeps PINs out of voicemail.conf; they cannot be judged here."""
    general = vm_general(facts)
    return bool(general and (general.get("passwordlocation") or "").lower() == "spooldir")


SECRET_PARAM = Param(name="min_secret_length", default=12, help="Shortest acceptable SIP/AMI/ARI secret")


def judge_secrets(ctx: CheckContext, accounts: Iterable[ConfigObject], key: str, label: str,
                  stored_hashed: Optional[Callable[[ConfigObject], Optional[str]]] = None,
                  extra_fix: tuple[str, ...] = ()) -> Iterable[Outcome]:
    """One outcome per account: is its ``key`` secret strong, not default, not shared?

    ``stored_hashed`` returns a note when the secret is stored hashed (md5/crypt), whose
    strength cannot be judged from configuration.
    """
    for obj in accounts:
        res = f"{label} {obj.name}"
        note = stored_hashed(obj) if stored_hashed else None
        if note:
            yield ctx.passed(res, note, obj.source)
            continue
        info = obj.secrets.get(key)
        reason = weak_secret_reason(info, ctx.param("min_secret_length"))
        loc = info.source if info else obj.source
        if reason:
            yield ctx.fail(res, reason, loc, fix=[f"[{obj.name}]", f"{key}=<random, 16+ characters>", *extra_fix])
        else:
            yield ctx.passed(res, "secret is long, not default, not shared", loc)
