"""FreeSWITCH authentication as records: directory users' SIP passwords and the event socket password;
what each sofia profile does with calls (auth-calls, apply-inbound-acl) and registrations
(accept-blind-reg) that carry no credentials.

A value that exists only on the running host ($${var} from exec-set/env-set, a core variable, a
deployment template) cannot be judged from the files: undecidable, never strong.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.freeswitch.common import acl_limits, fs_true, module_loaded, profile_label, runtime_reason
from voxaudit.records.authentication import ACCEPTED, CHALLENGED, TRUSTED, AccountSecret, UnauthenticatedRequest
from voxaudit.records.secrets import SecretShape
from voxaudit.remediation import Change, note, set_

CANNOT_JUDGE = "its strength cannot be judged from the configuration"
ESL_SUBJECT = "event socket event_socket.conf.xml"


def _secret(obj: ConfigObject, key: str, subject: str, undecidable: str = "", where: Optional[SourceRef] = None
            ) -> AccountSecret:
    info = obj.secrets.get(key)
    source: Optional[SourceRef]
    if not undecidable and info is not None and info.placeholder:
        undecidable = f"{key} is a placeholder filled in at deployment; {CANNOT_JUDGE}"
        source = info.source or obj.source
    else:
        source = info.source if info else obj.source
    return AccountSecret(subject=subject, source=where if where is not None else source,
                         section=obj.name, account=obj.name, secret=SecretShape.of(info), undecidable=undecidable)


def directory_secrets(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    for u in facts.of_kind("directory.user"):
        subject = f"user {u.name}"
        hidden = runtime_reason(u, "password", "a1-hash")
        if hidden is not None:
            yield _secret(u, "password", subject, hidden[0], hidden[1])
        elif "a1-hash" in u.secrets and "password" not in u.secrets:  # unknown is never PASS
            yield _secret(u, "password", subject, "only an a1-hash is stored: the password's strength cannot be "
                          "judged from configuration", u.secrets["a1-hash"].source)
        else:
            yield _secret(u, "password", subject)


def esl_secret(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    s = facts.first("event_socket.settings")
    if s is None:
        return
    hidden = runtime_reason(s, "password")
    if hidden is not None:
        yield _secret(s, "password", ESL_SUBJECT, hidden[0], hidden[1])
    else:
        yield _secret(s, "password", f"event socket {s.name}")


def xml_rpc_secret(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    """mod_xml_rpc's own login (auth-user / auth-pass). Without auth-realm it asks for nothing at all
    (is_authorized(): no realm and no user let every request in); with a realm but no user/password
    only directory users log in, and their passwords are judged as directory users."""
    s = facts.first("xml_rpc.settings")
    loaded = module_loaded(facts, "mod_xml_rpc")
    if s is None or loaded is False:
        return
    subject = "xml_rpc HTTP API xml_rpc.conf.xml"
    hidden = runtime_reason(s, "auth-realm", "auth-user", "auth-pass")
    if hidden is not None:
        yield _secret(s, "auth-pass", subject, hidden[0], hidden[1])
    elif loaded is None:
        yield _secret(s, "auth-pass", subject, "modules.conf.xml was not collected: whether mod_xml_rpc is loaded "
                      "is unknown")
    elif not s.get("auth-realm"):
        yield AccountSecret(subject=subject, source=s.source, section=s.name, account=s.name,
                            secret=SecretShape.of(None))  # no realm: no login is asked for
    elif s.get("auth-user") and "auth-pass" in s.secrets:
        yield _secret(s, "auth-pass", subject)


def secret_fix(cred: AccountSecret) -> list[str]:
    return [f"[{cred.section}]", "password=<random, 16+ characters>"]


def xml_rpc_secret_fix(cred: AccountSecret) -> list[str]:
    return ['<param name="auth-realm" value="freeswitch"/>', '<param name="auth-user" value="freeswitch"/>',
            '<param name="auth-pass" value="<random, 16+ characters>"/>']


def profile_calls(facts: FreeSwitchFacts) -> Iterator[UnauthenticatedRequest]:
    for p in facts.of_kind("sofia.profile"):
        subject = profile_label(p)
        acl = p.get("apply-inbound-acl")
        hidden = None if fs_true(p.get("auth-calls")) else runtime_reason(p, "auth-calls", "apply-inbound-acl")
        if fs_true(p.get("auth-calls")):
            yield UnauthenticatedRequest(subject=subject, source=p.location("auth-calls"), section=p.name,
                                         request="call", outcome=CHALLENGED, detail="auth-calls=true")
        elif hidden is not None:
            yield UnauthenticatedRequest(subject=subject, source=hidden[1], section=p.name, request="call",
                                         undecidable=hidden[0])
        elif acl_limits(facts, acl):
            yield UnauthenticatedRequest(subject=subject, source=p.location("apply-inbound-acl"), section=p.name,
                                         request="call", outcome=TRUSTED,
                                         detail=f"auth-calls off, limited by apply-inbound-acl={acl}")
        elif acl:
            yield UnauthenticatedRequest(subject=subject, source=p.location("apply-inbound-acl"), section=p.name,
                                         request="call", outcome=ACCEPTED,
                                         detail=f"auth-calls=false and apply-inbound-acl={acl} lets every address in: "
                                                "unauthenticated calls accepted")
        else:
            yield UnauthenticatedRequest(subject=subject, source=p.location("auth-calls"), section=p.name,
                                         request="call", outcome=ACCEPTED,
                                         detail="auth-calls=false and no apply-inbound-acl: unauthenticated calls accepted")


def profile_registrations(facts: FreeSwitchFacts) -> Iterator[UnauthenticatedRequest]:
    for p in facts.of_kind("sofia.profile"):
        subject = profile_label(p)
        hidden = runtime_reason(p, "accept-blind-reg")
        if hidden is not None:
            yield UnauthenticatedRequest(subject=subject, source=hidden[1], section=p.name, request="registration",
                                         undecidable=hidden[0])
        elif fs_true(p.get("accept-blind-reg")):
            yield UnauthenticatedRequest(subject=subject, source=p.location("accept-blind-reg"), section=p.name,
                                         request="registration", outcome=ACCEPTED, detail="accept-blind-reg=true")
        else:
            yield UnauthenticatedRequest(subject=subject, source=p.location("accept-blind-reg"), section=p.name,
                                         request="registration", outcome=CHALLENGED, detail="blind registration refused")


def auth_calls_fix(req: UnauthenticatedRequest) -> list[str]:
    return ['<param name="auth-calls" value="true"/>']


def blind_reg_fix(req: UnauthenticatedRequest) -> list[str]:
    return ['<param name="accept-blind-reg" value="false"/>']


def secret_change(cred: AccountSecret) -> list[Change]:
    """A new password is never generated into a patch: a marked comment where it is written."""
    return [note("", cred.section, f"set a new random password (16+ characters) for {cred.subject} here")]


def auth_calls_change(req: UnauthenticatedRequest) -> list[Change]:
    return [set_("sofia", req.section, "auth-calls", "true", "sofia.profile")]


def blind_reg_change(req: UnauthenticatedRequest) -> list[Change]:
    return [set_("sofia", req.section, "accept-blind-reg", "false", "sofia.profile")]


DIRECTORY_REMEDIATION = {
    "freeswitch": "Give each user a random password of 16+ characters in directory/<domain>/<user>.xml "
                  "(and change default_password in vars.xml).",
    "fusionpbx": "Accounts > Extensions > (extension): Password (use the generated one).",
}
ESL_REMEDIATION = {
    "freeswitch": "Set a random password of 16+ characters in event_socket.conf.xml and in every "
                  "client (fs_cli's ~/.fs_cli_conf).",
    "fusionpbx": "Change the event socket password in event_socket.conf.xml and in FusionPBX's "
                 "Advanced > Settings > Event Socket.",
}
XML_RPC_SECRET_REMEDIATION = {
    "freeswitch": "Remove mod_xml_rpc from modules.conf.xml; if it must stay, set auth-realm, auth-user and a random "
                  "auth-pass of 16+ characters in xml_rpc.conf.xml.",
    "fusionpbx": "Advanced > Modules: stop and disable XML RPC.",
}
AUTH_CALLS_REMEDIATION = {
    "freeswitch": "Set auth-calls=true on user-facing profiles; on carrier-facing profiles keep auth-calls=false "
                  "only with apply-inbound-acl naming the carrier's addresses.",
    "fusionpbx": "Advanced > SIP Profiles > (profile): auth-calls = true; for the external profile, "
                 "apply-inbound-acl = providers.",
}
BLIND_REG_REMEDIATION = {
    "freeswitch": "Set accept-blind-reg=false (the default) on every profile.",
    "fusionpbx": "Advanced > SIP Profiles > (profile): accept-blind-reg = false.",
}

BINDINGS = (
    Binding("AUTH-SECRET-101", "freeswitch", directory_secrets, ("directory",), "FS-ACC-103", DIRECTORY_REMEDIATION,
            secret_fix, none="no directory users", change=secret_change),
    Binding("AUTH-SECRET-101", "freeswitch", esl_secret, ("event_socket.conf.xml",), "FS-ESL-102", ESL_REMEDIATION,
            secret_fix, none="event socket not configured", change=secret_change),
    Binding("AUTH-SECRET-101", "freeswitch", xml_rpc_secret, ("xml_rpc.conf.xml",),
            remediation=XML_RPC_SECRET_REMEDIATION, fix=xml_rpc_secret_fix,
            none="mod_xml_rpc not configured, not loaded, or logged into with directory users only"),
    Binding("AUTH-SIP-101", "freeswitch", profile_calls, ("sofia",), "FS-ACC-101", AUTH_CALLS_REMEDIATION,
            auth_calls_fix, none="no sofia profiles", change=auth_calls_change),
    Binding("AUTH-SIP-102", "freeswitch", profile_registrations, ("sofia",), "FS-ACC-102", BLIND_REG_REMEDIATION,
            blind_reg_fix, none="no sofia profiles", change=blind_reg_change),
)
