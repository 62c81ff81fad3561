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
from voxaudit.facts.freeswitch import RUNTIME_KEY, FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.freeswitch.common import (
    acl_limits,
    fs_true,
    loaded_unconfigured,
    module_loaded,
    profile_label,
    runtime_reason,
    unconfigured_reason,
)
from voxaudit.records.authentication import ACCEPTED, CHALLENGED, TRUSTED, AccountSecret, UnauthenticatedRequest
from voxaudit.records.secrets import SecretShape
from voxaudit.remediation import Change, note, set_
from voxaudit.secretinfo import describe_secret

CANNOT_JUDGE = "its strength cannot be judged from the configuration"
ESL_SUBJECT = "event socket event_socket.conf.xml"


def secret_record(obj: ConfigObject, key: str, subject: str, undecidable: str = "", where: Optional[SourceRef] = None
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
            yield secret_record(u, "password", subject, hidden[0], hidden[1])
        elif "a1-hash" in u.secrets and "password" not in u.secrets:  # unknown is never PASS
            yield secret_record(u, "password", subject, "only an a1-hash is stored: the password's strength cannot be "
                          "judged from configuration", u.secrets["a1-hash"].source)
        else:
            yield secret_record(u, "password", subject)


ESL_DEFAULT_PASSWORD = "ClueCon"  # mod_event_socket config(): set_pref_pass("ClueCon") when none is set


def _esl_default(subject: str, account: str, source: SourceRef) -> AccountSecret:
    """The password mod_event_socket uses when none is configured: the published default."""
    return AccountSecret(subject=subject, source=source, section=account, account=account,
                         secret=SecretShape.of(describe_secret(ESL_DEFAULT_PASSWORD, "", source)))


def esl_secret(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    s = facts.first("event_socket.settings")
    if s is None:
        load = loaded_unconfigured(facts, "mod_event_socket", "event_socket.settings")
        why = unconfigured_reason(facts, "mod_event_socket", "event_socket.conf.xml") if load is not None else None
        if load is not None and why is not None:
            yield AccountSecret(subject=ESL_SUBJECT, source=load.source, section="event_socket.conf.xml",
                                account="event_socket.conf.xml", secret=SecretShape.of(None), undecidable=why)
        elif load is not None:
            yield _esl_default("event socket (mod_event_socket defaults)", "event_socket.conf.xml", load.source)
        return
    hidden = runtime_reason(s, "password")
    info = s.secrets.get("password")
    if hidden is not None:
        yield secret_record(s, "password", ESL_SUBJECT, hidden[0], hidden[1])
    elif info is None or not info.present:  # no (or an empty) password: mod_event_socket falls back to ClueCon
        yield _esl_default(f"event socket {s.name}", s.name, s.location("password"))
    else:
        yield secret_record(s, "password", f"event socket {s.name}")


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
        yield secret_record(s, "auth-pass", subject, hidden[0], hidden[1])
    elif loaded is None:
        yield secret_record(s, "auth-pass", subject, "modules.conf.xml was not collected: whether mod_xml_rpc is loaded "
                      "is unknown")
    elif not s.get("auth-realm"):
        yield AccountSecret(subject=subject, source=s.source, section=s.name, account=s.name,
                            secret=SecretShape.of(None))  # no realm: no login is asked for
    elif s.get("auth-user") and "auth-pass" in s.secrets:
        yield secret_record(s, "auth-pass", subject)


CORE_DB_SUBJECT = "core database (switch.conf core-db-dsn)"
CORE_DB_KEY = "core-db-dsn.password"


def core_db_secret(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    """The password in switch.conf's core-db-dsn: the database that holds every channel, registration
    and call detail FreeSWITCH keeps (switch_core.c; the last non-empty core-db-dsn counts). A DSN
    without a password leaves the login to the database server (.pgpass, trust, peer): not judged here."""
    s = facts.first("switch.settings")
    if s is None or not s.get("core-db-dsn"):
        return
    hidden = runtime_reason(s, CORE_DB_KEY)
    if hidden is not None:
        yield secret_record(s, CORE_DB_KEY, CORE_DB_SUBJECT, hidden[0], hidden[1])
    elif CORE_DB_KEY in s.secrets:
        yield secret_record(s, CORE_DB_KEY, CORE_DB_SUBJECT)
    else:
        yield secret_record(s, CORE_DB_KEY, CORE_DB_SUBJECT, "core-db-dsn names no password: the database server decides "
                      "how FreeSWITCH logs in (.pgpass, trust or peer authentication), outside the configuration",
                      s.location("core-db-dsn"))


def cdr_upload_secrets(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    """The ``cred`` (user:password) mod_xml_cdr / mod_json_cdr log into their CDR web service with, and a
    password written into a url itself, for the modules that load."""
    for upload in facts.of_kind("cdr.upload"):
        module = {"xml_cdr.conf": "mod_xml_cdr", "json_cdr.conf": "mod_json_cdr"}.get(upload.name)
        if module is None or module_loaded(facts, module) is False:
            continue
        keys = [k for k in (*upload.secrets, *(upload.values(RUNTIME_KEY) or ())) if k.endswith(".password")]
        for key in dict.fromkeys(keys):
            subject = f"call records upload {upload.name} {key.removesuffix('.password')}"
            hidden = runtime_reason(upload, key)
            if hidden is not None:
                yield secret_record(upload, key, subject, hidden[0], hidden[1])
            else:
                yield secret_record(upload, key, subject)


def core_db_fix(cred: AccountSecret) -> list[str]:
    return ['<param name="core-db-dsn" value="pgsql://hostaddr=127.0.0.1 dbname=freeswitch user=freeswitch '
            'password=<random, 16+ characters>"/>']


def secret_fix(cred: AccountSecret) -> list[str]:
    return [f"[{cred.section}]", "password=<random, 16+ characters>"]


def xml_rpc_secret_fix(cred: AccountSecret) -> list[str]:
    return ['<param name="auth-realm" value="freeswitch"/>', '<param name="auth-user" value="freeswitch"/>',
            '<param name="auth-pass" value="<random, 16+ characters>"/>']


def inbound_acls(p: ConfigObject) -> list[tuple[str, str]]:
    """(list, fail context) sofia checks calls against: every apply-inbound-acl param adds one (``none``
    clears those before it); ``list:pass-context:fail-context`` names the list before the first colon
    (sofia.c parse of apply-inbound-acl)."""
    acls: list[tuple[str, str]] = []
    for value in p.values("apply-inbound-acl"):
        value = value.strip()
        if value.lower() == "none":
            acls = []
        elif value:
            name, _, contexts = value.partition(":")
            acls.append((name, contexts.partition(":")[2].strip()))
    return acls


def _call(p: ConfigObject, key: str, outcome: str, detail: str) -> UnauthenticatedRequest:
    return UnauthenticatedRequest(subject=profile_label(p), source=p.location(key), section=p.name, request="call",
                                  outcome=outcome, detail=detail)


def profile_calls(facts: FreeSwitchFacts) -> Iterator[UnauthenticatedRequest]:
    """sofia.c sofia_handle_sip_i_invite(): an address an inbound ACL allows is taken without a challenge
    ("Approved by acl ... Access Granted" with auth-calls on); with auth-calls on, accept-blind-auth takes
    the rest without checking a password; with it off, a list's fail context takes what the list
    rejects, and nothing is challenged."""
    for p in facts.of_kind("sofia.profile"):
        acls = inbound_acls(p)
        open_acl = next((a for a, _ in acls if not acl_limits(facts, a)), None)
        shown = ", ".join(a for a, _ in acls)
        if fs_true(p.get("auth-calls")):
            hidden = runtime_reason(p, "accept-blind-auth", "apply-inbound-acl")
            if hidden is not None:
                yield UnauthenticatedRequest(subject=profile_label(p), source=hidden[1], section=p.name,
                                             request="call", undecidable=hidden[0])
            elif fs_true(p.get("accept-blind-auth")):
                yield _call(p, "accept-blind-auth", ACCEPTED, "auth-calls=true, but accept-blind-auth=true: calls are "
                            "taken without checking a password")
            elif open_acl is not None:
                yield _call(p, "apply-inbound-acl", ACCEPTED, f"auth-calls=true, but apply-inbound-acl={open_acl} lets "
                            "every address in: sofia accepts calls the ACL allows without a digest challenge")
            else:
                yield _call(p, "auth-calls", CHALLENGED, "auth-calls=true")
            continue
        hidden = runtime_reason(p, "auth-calls", "apply-inbound-acl")
        failover = next((a for a, fail in acls if fail), None)
        # what turning auth-calls on would still leave open (the fix must close it too)
        blind = " (accept-blind-auth=true too)" if fs_true(p.get("accept-blind-auth")) else ""
        if hidden is not None:
            yield UnauthenticatedRequest(subject=profile_label(p), source=hidden[1], section=p.name, request="call",
                                         undecidable=hidden[0])
        elif not acls:
            yield _call(p, "auth-calls", ACCEPTED, "auth-calls=false and no apply-inbound-acl: unauthenticated calls "
                        f"accepted{blind}")
        elif open_acl is not None:
            yield _call(p, "apply-inbound-acl", ACCEPTED, f"auth-calls=false and apply-inbound-acl={open_acl} lets every "
                        "address in: unauthenticated calls accepted")
        elif failover is not None:
            yield _call(p, "apply-inbound-acl", ACCEPTED, f"auth-calls=false and apply-inbound-acl={failover} names a "
                        "fail context: calls the list rejects go there, unauthenticated")
        else:
            yield _call(p, "apply-inbound-acl", TRUSTED, f"auth-calls off, limited by apply-inbound-acl={shown}")


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
    if req.detail.startswith("auth-calls=true, but accept-blind-auth"):
        return ['<param name="accept-blind-auth" value="false"/>']
    if "apply-inbound-acl=" in req.detail:
        return ['<param name="apply-inbound-acl" value="<a list of the trusted networks only>"/>']
    if "accept-blind-auth=true" in req.detail:
        return ['<param name="auth-calls" value="true"/>', '<param name="accept-blind-auth" value="false"/>']
    return ['<param name="auth-calls" value="true"/>']


def blind_reg_fix(req: UnauthenticatedRequest) -> list[str]:
    return ['<param name="accept-blind-reg" value="false"/>']


VERTO_NOT_COLLECTED = "modules.conf.xml was not collected: whether mod_verto is loaded is unknown"


def _verto_requests(facts: FreeSwitchFacts, request: str) -> Iterator[UnauthenticatedRequest]:
    """mod_verto process_jrpc()/check_auth(): a profile with neither ``userauth`` nor ``root-password`` serves
    every JSON-RPC method (verto.invite: calls; the login that registers a browser) without a login; with
    ``userauth`` (``true``: user@domain, ``@domain``: that domain) the login's password is checked against
    the directory user's, except that ``blind-reg=true`` takes a user the directory does not know without
    any password; with only ``root-password`` only ``root`` logs in. Nothing counts when mod_verto is not
    loaded."""
    loaded = module_loaded(facts, "mod_verto")
    if loaded is False:
        return
    for p in facts.of_kind("verto.profile"):
        subject = f"verto profile {p.name}"

        def req(key: str, outcome: str, detail: str, p: ConfigObject = p, subject: str = subject
                ) -> UnauthenticatedRequest:
            return UnauthenticatedRequest(subject=subject, source=p.location(key), section=p.name, request=request,
                                          outcome=outcome, detail=detail)
        hidden = runtime_reason(p, "userauth", "blind-reg")
        userauth = (p.get("userauth") or "").strip()
        root = "root-password" in p.secrets or runtime_reason(p, "root-password") is not None
        if loaded is None or hidden is not None:
            yield UnauthenticatedRequest(subject=subject, source=hidden[1] if hidden else p.source, section=p.name,
                                         request=request, undecidable=hidden[0] if hidden else VERTO_NOT_COLLECTED)
        elif userauth and fs_true(p.get("blind-reg")):
            yield req("blind-reg", ACCEPTED, f"userauth={userauth} but blind-reg=true: a login with a user the "
                      "directory does not know is taken without checking a password")
        elif userauth:
            yield req("userauth", CHALLENGED, f"userauth={userauth}: logins are checked against the directory")
        elif root:
            yield req("root-password", CHALLENGED, "no userauth: only root logs in, with root-password")
        else:
            yield req("userauth", ACCEPTED, "no userauth and no root-password: every verto request (calls "
                      "included) is served without a login")


def verto_calls(facts: FreeSwitchFacts) -> Iterator[UnauthenticatedRequest]:
    return _verto_requests(facts, "call")


def verto_registrations(facts: FreeSwitchFacts) -> Iterator[UnauthenticatedRequest]:
    return _verto_requests(facts, "registration")


def verto_root_secret(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    """A profile's root-password: the login ``root`` gets every verto method with it."""
    if module_loaded(facts, "mod_verto") is False:
        return
    for p in facts.of_kind("verto.profile"):
        hidden = runtime_reason(p, "root-password")
        if "root-password" in p.secrets or hidden is not None:
            yield secret_record(p, "root-password", f"verto profile {p.name} root-password",
                                undecidable=hidden[0] if hidden else "", where=hidden[1] if hidden else None)


VERTO_AUTH_REMEDIATION = {
    "freeswitch": "In autoload_configs/verto.conf.xml set userauth=true and blind-reg=false on every profile "
                  "(browser users then log in with their directory password).",
    "fusionpbx": "Edit verto.conf.xml: userauth=true and blind-reg=false on every profile, or stop mod_verto "
                 "(Advanced > Modules) if no browser client uses it.",
}
VERTO_ROOT_REMEDIATION = {
    "freeswitch": "Remove root-password from verto.conf.xml, or set it to a random value of 16+ characters.",
    "fusionpbx": "Edit verto.conf.xml: remove root-password, or set it to a random value of 16+ characters.",
}


def verto_auth_fix(req: UnauthenticatedRequest) -> list[str]:
    return ['<param name="userauth" value="true"/>', '<param name="blind-reg" value="false"/>']


def verto_root_fix(cred: AccountSecret) -> list[str]:
    return ["<!-- remove the root-password param, or give it a random value of 16+ characters -->"]


def secret_change(cred: AccountSecret) -> list[Change]:
    """A new password is never generated into a patch: a marked comment where it is written."""
    return [note("", cred.section, f"set a new random password (16+ characters) for {cred.subject} here")]


def auth_calls_change(req: UnauthenticatedRequest) -> list[Change]:
    changes = []
    if "accept-blind-auth=true" in req.detail:
        changes.append(set_("sofia", req.section, "accept-blind-auth", "false", "sofia.profile"))
    if "apply-inbound-acl=" in req.detail:  # which networks to trust is a choice (an open list, a fail context)
        return changes + [note("sofia", req.section, "apply-inbound-acl lets calls in without a digest challenge (a "
                               "list open to every address, or a fail context): list only the carriers' and phones' "
                               "networks, with no fail context", "sofia.profile")]
    if req.detail.startswith("auth-calls=false"):
        changes.append(set_("sofia", req.section, "auth-calls", "true", "sofia.profile"))
    return changes


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

CORE_DB_REMEDIATION = {
    "freeswitch": "Give the core database user a random password of 16+ characters (ALTER ROLE ... PASSWORD) and "
                  "put it in switch.conf.xml core-db-dsn (or the variable it uses).",
    "fusionpbx": "Give the freeswitch database user a random password of 16+ characters and set it in the DSN "
                 "FusionPBX writes (Advanced > Variables: dsn / switch.conf.xml core-db-dsn).",
}

CDR_CRED_REMEDIATION = {
    "freeswitch": "Give the call-record web service a random password of 16+ characters and set it in "
                  "xml_cdr.conf.xml / json_cdr.conf.xml cred (user:password), never inside the url.",
    "fusionpbx": "Set a random 16+ character password for the CDR import (xml_cdr.conf.xml cred, and FusionPBX's "
                 "Advanced > Default Settings > CDR http_enabled credentials to match).",
}


def cdr_cred_fix(cred: AccountSecret) -> list[str]:
    return ['<param name="cred" value="<user>:<random, 16+ characters>"/>']


BINDINGS = (
    Binding("AUTH-SECRET-101", "freeswitch", core_db_secret, ("switch.conf.xml",), remediation=CORE_DB_REMEDIATION,
            fix=core_db_fix, none="switch.conf sets no core-db-dsn (the core database is a local SQLite file)",
            change=secret_change),
    Binding("AUTH-SECRET-101", "freeswitch", cdr_upload_secrets, ("cdr_csv.conf.xml",),
            remediation=CDR_CRED_REMEDIATION, fix=cdr_cred_fix,
            none="no call-record web service login (mod_xml_cdr / mod_json_cdr cred)", change=secret_change),
    Binding("AUTH-SECRET-101", "freeswitch", directory_secrets, ("directory",), "FS-ACC-103", DIRECTORY_REMEDIATION,
            secret_fix, none="no directory users", change=secret_change),
    Binding("AUTH-SECRET-101", "freeswitch", esl_secret, ("event_socket.conf.xml",), "FS-ESL-102", ESL_REMEDIATION,
            secret_fix, none="event socket not configured", change=secret_change),
    Binding("AUTH-SECRET-101", "freeswitch", xml_rpc_secret, ("xml_rpc.conf.xml",),
            remediation=XML_RPC_SECRET_REMEDIATION, fix=xml_rpc_secret_fix,
            none="mod_xml_rpc not configured, not loaded, or logged into with directory users only"),
    Binding("AUTH-SIP-101", "freeswitch", profile_calls, ("sofia",), "FS-ACC-101", AUTH_CALLS_REMEDIATION,
            auth_calls_fix, none="no sofia profiles", change=auth_calls_change),
    Binding("AUTH-SIP-101", "freeswitch", verto_calls, ("sofia",), remediation=VERTO_AUTH_REMEDIATION,
            fix=verto_auth_fix, none="no verto profiles"),
    Binding("AUTH-SIP-102", "freeswitch", verto_registrations, ("sofia",), remediation=VERTO_AUTH_REMEDIATION,
            fix=verto_auth_fix, none="no verto profiles"),
    Binding("AUTH-SECRET-101", "freeswitch", verto_root_secret, ("sofia",), remediation=VERTO_ROOT_REMEDIATION,
            fix=verto_root_fix, none="no verto root-password", change=secret_change),
    Binding("AUTH-SIP-102", "freeswitch", profile_registrations, ("sofia",), "FS-ACC-102", BLIND_REG_REMEDIATION,
            blind_reg_fix, none="no sofia profiles", change=blind_reg_change),
)
