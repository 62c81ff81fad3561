"""chan_iax2 (iax.conf) as records: IAX2 carries signalling and audio together, so an unencrypted IAX2
trunk or extension is plaintext signalling and plain media at once, and ``auth=plaintext`` sends the
account's secret itself. The effective settings follow chan_iax2.c (see auditor/facts/asterisk_iax.py):
accounts start from [general]'s encryption and can only add to it; ``forceencryption`` turns the silent
fallback to clear calls off."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_modules import ModuleState
from voxaudit.facts.asterisk_sip import ast_false, ast_true
from voxaudit.facts.common import ConfigObject, Setting
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.authentication import account_secret, secret_change, secret_fix
from voxaudit.platforms.asterisk.common import module_state
from voxaudit.platforms.common import is_loopback
from voxaudit.records.authentication import ACCEPTED, CHALLENGED, TRUSTED, AccountSecret, UnauthenticatedRequest
from voxaudit.records.transport import MediaPolicy, SignallingPath
from voxaudit.remediation import Change, note, set_

# users.conf: its hasiax users are IAX2 friends too (auditor/facts/asterisk_sip.py _users_iax)
SOURCES = ("iax.conf", "users.conf", "modules.conf")
IAX_OFF = "chan_iax2 is not loaded (no iax.conf, or modules.conf does not load it)"
DEFAULT_BIND = "0.0.0.0:4569"

ENCRYPTION_REMEDIATION = {
    "asterisk": "In iax.conf [general] set encryption=aes128 and forceencryption=yes (every user and peer "
                "inherits them; encryption needs MD5 authentication, so no auth=plaintext or rsa-only "
                "accounts), or bind chan_iax2 to 127.0.0.1 and unload it (noload => chan_iax2.so) when IAX2 is "
                "not used.",
    "freepbx": "Settings > Asterisk IAX Settings: Encryption = Yes and Force Encryption = Yes (or, for one trunk or "
               "extension, its IAX settings: encryption = aes128, forceencryption = yes); unload chan_iax2 "
               "when no IAX2 trunk or extension is used.",
}
AUTH_REMEDIATION = {
    "asterisk": "Give every IAX2 user a secret (or RSA inkeys) and auth=md5; a user that must take calls without "
                "credentials lists the peers' addresses with deny=0.0.0.0/0.0.0.0 and permit=<address>.",
    "freepbx": "Applications > Extensions / Connectivity > Trunks (IAX2): set a secret on each; remove the guest "
               "user from iax_custom.conf, or restrict it with deny/permit.",
}
SECRET_REMEDIATION = {
    "asterisk": "Set a random secret of 16+ characters on each IAX2 user and peer (and auth=md5).",
    "freepbx": "Applications > Extensions (IAX2) or Connectivity > Trunks (IAX2): set a random secret of 16+ characters.",
}


def _state(facts: AsteriskFacts) -> ModuleState:
    return module_state(facts, "chan_iax2", "iax.conf")


def _encrypt_methods(value: str) -> bool:
    """get_encrypt_methods(): aes128, or any ast_true() value, means AES-128."""
    v = value.strip()
    return v.lower() == "aes128" or ast_true(v)


@dataclass(frozen=True)
class Encryption:
    """An account's (or [general]'s) effective encryption: on, forced (no fallback to clear calls),
    the deciding settings in chan_iax2's words, and the line of the last one."""

    on: bool
    forced: bool
    setting: str
    where: Optional[SourceRef]


def _ordered(obj: Optional[ConfigObject], keys: tuple[str, ...]) -> list[tuple[str, Setting]]:
    found = [(k, s) for k in keys for s in (obj.settings.get(k, []) if obj is not None else [])]
    return sorted(found, key=lambda ks: (ks[1].file, ks[1].line))


def _encryption(obj: Optional[ConfigObject], base: Optional[Encryption]) -> Encryption:
    """build_peer()/build_user()/set_config(): encryption adds methods (never removes them) and clears the
    force flag only when no method is left; forceencryption sets it, or clears it when ast_false()."""
    on = base.on if base is not None else False
    forced = base.forced if base is not None else False
    said = [base.setting] if base is not None and base.setting else []
    where = base.where if base is not None else None
    for key, s in _ordered(obj, ("encryption", "forceencryption")):
        value = s.value.strip()
        if key == "encryption":
            on = on or _encrypt_methods(value)
            forced = forced and on
        elif ast_false(value):
            forced = False
        else:
            on = on or _encrypt_methods(value)
            forced = forced or on
        said.append(f"{key}={value}")
        where = s.source
    return Encryption(on, forced, "; ".join(said), where)


def _general(facts: AsteriskFacts) -> Optional[ConfigObject]:
    return facts.first("iax.general")


def _accounts(facts: AsteriskFacts) -> list[ConfigObject]:
    return facts.of_kind("iax.account")


def _kind(acc: ConfigObject) -> str:
    return (acc.get("type") or "").strip().lower()


def _subject(acc: ConfigObject) -> str:
    return f"iax2 {_kind(acc)} {acc.name}"


USERS_PREFIX = "users.conf "


def _section(facts: AsteriskFacts, acc: ConfigObject) -> str:
    """Where the account's settings are written: ``[name]`` in iax.conf, or ``users.conf [name]`` for a
    users.conf user with hasiax (its options go there: an iax.conf section without type= is skipped)."""
    users = facts.configs.get("users.conf")
    if users is not None and acc.source.file in users.files:
        return f"{USERS_PREFIX}[{acc.name}]"
    return f"[{acc.name}]"


def _where(section: str) -> tuple[str, str, str]:
    """(root, section name, object kind) a fix of ``section`` (as ``_section`` wrote it) edits."""
    if section.startswith(USERS_PREFIX):
        return "users.conf", section[len(USERS_PREFIX):].strip("[]"), "users.user"
    return "iax.conf", section.strip("[]"), "iax.account"


def _auth_methods(acc: ConfigObject, general: Optional[ConfigObject]) -> tuple[tuple[str, ...], Optional[SourceRef]]:
    """get_auth_methods() of the account's ``auth`` (else [general]'s): the methods its text names, by
    substring as chan_iax2 matches them, and the line; () when neither sets it. Only method names are
    kept for evidence, never the text written there."""
    for obj in (acc, general):
        s = obj.setting("auth") if obj is not None else None
        if s is not None:
            return tuple(m for m in ("rsa", "md5", "plaintext") if m in s.value), s.source
    return (), None


def _host(bindaddr: str) -> str:
    """The address of a bindaddr (``1.2.3.4``, ``1.2.3.4:4569``, ``[2001:db8::1]:4569``, a bare IPv6)."""
    if bindaddr.startswith("["):
        return bindaddr[1:].split("]", 1)[0]
    return bindaddr.split(":", 1)[0] if bindaddr.count(":") == 1 else bindaddr


# -- signalling ---------------------------------------------------------------------------------------

def iax_signalling(facts: AsteriskFacts) -> Iterator[SignallingPath]:
    """The IAX2 listener and every account: plaintext unless encryption is forced, or when plaintext
    authentication can send the secret itself."""
    if not _state(facts).loaded:
        return
    general = _general(facts)
    base = _encryption(general, None)
    binds = general.settings.get("bindaddr", []) if general is not None else []
    addresses = [b.value.strip() for b in binds] or [DEFAULT_BIND]
    loopback = all(is_loopback(_host(a)) for a in addresses)
    where = binds[0].source if binds else (general.source if general is not None else None)
    shown = ", ".join(addresses) + ("" if binds else " (the default)")
    yield SignallingPath(subject="iax2 listener", source=base.where or where, section="[general]", protocol="IAX2",
                         plaintext=not base.forced,
                         loopback=loopback, address=addresses[0],
                         setting=f"chan_iax2 listens on UDP {shown}; " + (
                             "forceencryption in [general]" if base.forced else
                             f"calls may be unencrypted ({base.setting or 'encryption unset: off by default'})"))
    for acc in _accounts(facts):
        enc = _encryption(acc, base)
        methods, auth_at = _auth_methods(acc, general)
        if "plaintext" in methods:
            yield SignallingPath(subject=_subject(acc), source=auth_at or acc.source, section=_section(facts, acc),
                                 protocol="IAX2", plaintext=True,
                                 setting=f"auth allows {', '.join(methods)}: with plaintext the secret itself can "
                                         "cross the network")
            continue
        yield SignallingPath(subject=_subject(acc), source=enc.where or acc.source, section=_section(facts, acc),
                             protocol="IAX2", plaintext=not enc.forced,
                             setting="encryption forced (" + enc.setting + ")" if enc.forced else
                             f"not forced to encrypt ({enc.setting or 'encryption unset: off by default'})")


# -- media --------------------------------------------------------------------------------------------

def iax_media(facts: AsteriskFacts) -> Iterator[MediaPolicy]:
    """Each account's audio (inside its IAX2 frames): encrypted when encryption is on; a fallback to clear
    calls unless forced."""
    if not _state(facts).loaded:
        return
    base = _encryption(_general(facts), None)
    for acc in _accounts(facts):
        enc = _encryption(acc, base)
        setting = enc.setting or "encryption unset: off by default"
        yield MediaPolicy(subject=_subject(acc), source=enc.where or acc.source, section=_section(facts, acc),
                          carrier="IAX2 frames", encrypted=enc.on, fallback=enc.on and not enc.forced,
                          setting=f"IAX2 encryption: {setting}")


def iax_encrypting(facts: AsteriskFacts) -> Iterator[MediaPolicy]:
    """The accounts that encrypt: is clear still accepted when the other side does not?"""
    return (m for m in iax_media(facts) if m.encrypted)


# -- credentials --------------------------------------------------------------------------------------

def iax_secrets(facts: AsteriskFacts) -> Iterator[AccountSecret]:
    if not _state(facts).loaded:
        return
    for acc in _accounts(facts):
        label = f"iax2 {_kind(acc)}"
        if "secret" in acc.secrets:
            yield account_secret(acc, "secret", label)
        elif "dbsecret" in acc.secrets:
            yield account_secret(acc, "dbsecret", label, "the secret is kept in the Asterisk database (dbsecret)")


def iax_calls(facts: AsteriskFacts) -> Iterator[UnauthenticatedRequest]:
    """check_access(): a user (or friend) with no secret, dbsecret or inkeys takes calls without
    credentials, from the addresses its permit/deny admit (from anyone without them)."""
    if not _state(facts).loaded:
        return
    for acc in _accounts(facts):
        if _kind(acc) not in ("user", "friend"):
            continue
        subject, section = _subject(acc), _section(facts, acc)
        if any(k in acc.secrets for k in ("secret", "dbsecret")) or acc.get("inkeys"):
            how = "secret" if "secret" in acc.secrets else "dbsecret" if "dbsecret" in acc.secrets else "inkeys (RSA)"
            yield UnauthenticatedRequest(subject=subject, source=acc.source, section=section, request="call",
                                         outcome=CHALLENGED, detail=f"credentials required ({how})")
        elif acc.settings.get("permit") or acc.settings.get("acl"):
            yield UnauthenticatedRequest(subject=subject, source=acc.location("permit"), section=section,
                                         request="call", outcome=TRUSTED,
                                         detail="no secret; calls taken only from the addresses permit/deny admit")
        else:
            yield UnauthenticatedRequest(subject=subject, source=acc.source, section=section, request="call",
                                         outcome=ACCEPTED, detail="no secret, dbsecret or inkeys, and no permit/deny: "
                                                                  "chan_iax2 takes calls to this user from anyone")


# -- fixes --------------------------------------------------------------------------------------------

def encryption_fix(rec: SignallingPath | MediaPolicy) -> list[str]:
    if rec.section == "[general]":
        return ["[general]", "encryption=aes128", "forceencryption=yes"]
    if rec.setting.startswith("auth allows"):
        return [rec.section, "auth=md5", "encryption=aes128", "forceencryption=yes"]
    return [rec.section, "encryption=aes128", "forceencryption=yes"]


def encryption_change(rec: SignallingPath | MediaPolicy) -> list[Change]:
    if rec.section == "[general]":
        return [set_("iax.conf", "general", "encryption", "aes128", "iax.general"),
                set_("iax.conf", "general", "forceencryption", "yes", "iax.general")]
    root, name, kind = _where(rec.section)
    changes = [set_(root, name, "encryption", "aes128", kind),
               set_(root, name, "forceencryption", "yes", kind)]
    if rec.setting.startswith("auth allows"):
        changes.insert(0, set_(root, name, "auth", "md5", kind))
    return changes


def calls_fix(req: UnauthenticatedRequest) -> list[str]:
    return [req.section, "secret=<random, 16+ characters>", "auth=md5"]


def calls_change(req: UnauthenticatedRequest) -> list[Change]:
    root, name, _ = _where(req.section)
    return [note(root, name, f"{req.subject}: give it a secret (auth=md5), or restrict it "
                             "with deny=0.0.0.0/0.0.0.0 and permit=<peer address>, here")]


BINDINGS = (
    Binding("ENC-SIG-101", "asterisk", iax_signalling, SOURCES, remediation=ENCRYPTION_REMEDIATION, fix=encryption_fix,
            none=IAX_OFF, change=encryption_change),
    Binding("ENC-MEDIA-101", "asterisk", iax_media, SOURCES, remediation=ENCRYPTION_REMEDIATION, fix=encryption_fix,
            none=IAX_OFF + ", or it has no users or peers", change=encryption_change),
    Binding("ENC-MEDIA-102", "asterisk", iax_encrypting, SOURCES, remediation=ENCRYPTION_REMEDIATION,
            fix=encryption_fix, none="no IAX2 account encrypts", change=encryption_change),
    Binding("AUTH-SECRET-101", "asterisk", iax_secrets, SOURCES, remediation=SECRET_REMEDIATION,
            fix=secret_fix("secret", "auth=md5"), none="chan_iax2 is not loaded or no IAX2 account has a secret",
            change=secret_change),
    Binding("AUTH-SIP-101", "asterisk", iax_calls, SOURCES, remediation=AUTH_REMEDIATION, fix=calls_fix,
            none="chan_iax2 is not loaded or has no users", change=calls_change),
)
