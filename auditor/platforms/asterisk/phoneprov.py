"""res_phoneprov (phoneprov.conf) as records: Asterisk serves each provisioned phone's configuration file,
its SIP username and secret filled in, from its own HTTP server (http.conf) to whoever asks for the phone's
MAC address. Served over plain HTTP beyond loopback, every phone's secret crosses the network in clear
(DEV-PRV-101); served beyond loopback at all, anyone who names a phone's MAC address gets its secret, since
res_phoneprov asks no one to authenticate (DEV-PRV-103).

Read as res/res_phoneprov.c reads it: every phoneprov.conf section but ``[general]`` is a profile (the
module declines without one); its users provider (reading phoneprov_users.conf since Asterisk 21, users.conf
before: the first when present) provisions a user only when its own section (not ``[general]`` or
``[authentication]``) sets ``autoprov`` true and a ``macaddress``, with the user's ``profile`` or
``[general] default_profile`` (without a default profile it provisions nobody), naming an existing profile
(names compared exactly);
PJSIP's provider (res_pjsip_phoneprov_provider) does the same for ``type=phoneprov`` objects with ``MAC``
and ``PROFILE``. The files are served at ``<http.conf prefix>/phoneprov/`` by the HTTP server: in clear
on ``bindaddr``, over TLS on ``tlsbindaddr`` when ``tlsenable`` is true.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.common import ConfigObject
from voxaudit.platforms.asterisk.access import HTTP_PORT, HTTPS_PORT, http_general
from voxaudit.platforms.asterisk.common import module_state, yes
from voxaudit.platforms.common import config_int, host_of, is_loopback
from voxaudit.records.devices import Provisioning

PHONEPROV_ROOT = "phoneprov.conf"
USERS_ROOTS = ("phoneprov_users.conf", "users.conf")  # Asterisk 21+, and before it
# What decides whether the module runs; the files the answer also depends on (the users, the HTTP server) are
# looked at only when it does: one of them unreadable then makes the answer unknown, never "no phone".
SOURCES = (PHONEPROV_ROOT, "modules.conf")
DEPENDS_ON = (*USERS_ROOTS, "http.conf")

REMEDIATION = {
    "asterisk": "Serve phone provisioning over HTTPS only: in http.conf [general] set tlsenable=yes, tlsbindaddr, "
                "tlscertfile and tlsprivatekey, keep bindaddr=127.0.0.1, and point the phones at https://; or stop "
                "provisioning from Asterisk (noload => res_phoneprov.so) and use the phones' HTTPS provisioning server.",
    "freepbx": "Settings > Advanced Settings: serve the mini-HTTP server on HTTPS only (Enable TLS, bind the plain "
               "server to 127.0.0.1); FreePBX's Endpoint Manager: provision over HTTPS.",
}


# res_phoneprov.c phoneprov_callback(): any GET or HEAD of a route (a provisioned phone's file name, built from
# its MAC address) is answered with the file, variables substituted; neither it nor http.c asks who is asking.
UNAUTHENTICATED = ("res_phoneprov answers any request for a phone's file (named by its MAC address) with that "
                   "file, SIP secret filled in; Asterisk's HTTP server asks no credentials for it")
AUTH_REMEDIATION = {
    "asterisk": "res_phoneprov cannot ask a phone to authenticate. Stop it (modules.conf: noload => res_phoneprov.so) "
                "and provision from a server that authenticates each phone (HTTPS with per-device credentials or "
                "device certificates); until then bind http.conf's server to the voice VLAN's address only and "
                "firewall it to the phones' subnet.",
    "freepbx": "Do not provision with res_phoneprov: use Endpoint Manager (or the phone vendor's provisioning "
               "service) with HTTPS and per-device authentication, and restrict the provisioning port to the "
               "voice VLAN in Connectivity > Firewall.",
}


def _phones(facts: AsteriskFacts) -> list[str]:
    """The users and PJSIP objects res_phoneprov makes a configuration file for (each with its SIP secret)."""
    general = facts.first("phoneprov.general")
    profiles = {p.name for p in facts.of_kind("phoneprov.profile")}
    default = (general.get("default_profile") or "") if general is not None else ""
    phones: list[str] = []
    if default and module_state(facts, "res_phoneprov", PHONEPROV_ROOT).loaded:
        root, kind = ("phoneprov_users.conf", "phoneprov_users.user") if facts.has_config("phoneprov_users.conf") \
            else ("users.conf", "users.user")
        for user in facts.of_kind(kind):  # the users provider (load_users)
            if user.name.lower() == "authentication":
                continue
            if yes(user.get("autoprov")) and user.get("macaddress") and (user.get("profile") or default) in profiles:
                phones.append(f"{root} [{user.name}]")
    if module_state(facts, "res_pjsip_phoneprov_provider", "pjsip.conf").loaded:
        for obj in facts.of_kind("pjsip.phoneprov"):
            if obj.get("mac") and (obj.get("profile") or default) in profiles:
                phones.append(f"pjsip.conf [{obj.name}]")
    return phones


def _listeners(http: ConfigObject) -> Iterator[tuple[str, str, int, str]]:
    """(scheme, address, port, option) of each listener the HTTP server opens beyond loopback."""
    bind = (http.get("bindaddr") or "").strip()
    if bind and not is_loopback(bind):
        yield "http", bind, config_int(http.get("bindport")) or HTTP_PORT, "bindaddr"
    tls_bind = (http.get("tlsbindaddr") or "").strip()
    if yes(http.get("tlsenable")) and tls_bind and not is_loopback(tls_bind):
        port = tls_bind.rsplit(":", 1)[1] if tls_bind.count(":") == 1 or "]:" in tls_bind else ""
        yield "https", host_of(tls_bind), config_int(port) or HTTPS_PORT, "tlsbindaddr"


def phone_provisioning(facts: AsteriskFacts) -> Iterator[Provisioning]:
    """How res_phoneprov serves the phones' files, one record per listener that reaches beyond this host."""
    if not module_state(facts, "res_phoneprov", PHONEPROV_ROOT).loaded or not facts.of_kind("phoneprov.profile"):
        return  # load_common(): without a profile the module declines
    unread = [f"{root}: {reason}" for root in DEPENDS_ON for state, reason in [facts.source_state(root)]
              if state in ("error", "not_collected")]
    if unread:
        general = facts.first("phoneprov.general")
        yield Provisioning(subject="res_phoneprov", source=general.source if general is not None else None,
                           section="phoneprov.conf", protocol="", encrypted=False,
                           undecidable="res_phoneprov runs, but which phones it serves and how cannot be told: "
                                       + "; ".join(unread))
        return
    phones = _phones(facts)
    http = http_general(facts)  # the HTTP server, when enabled
    if not phones or http is None:
        return
    prefix = (http.get("prefix") or "").strip("/")
    shown = ", ".join(phones[:3]) + (f" and {len(phones) - 3} more" if len(phones) > 3 else "")
    for scheme, address, port, option in _listeners(http):
        path = f"/{prefix}/phoneprov/" if prefix else "/phoneprov/"
        yield Provisioning(subject=f"res_phoneprov over {scheme.upper()} ({address}:{port})",
                           source=http.location(option), section="http.conf [general]", protocol=scheme,
                           encrypted=scheme == "https", url=f"{scheme}://{address}:{port}{path}",
                           setting=f"http.conf {option} serves the configuration files, SIP secrets included, of "
                                   f"{len(phones)} phone(s) ({shown})",
                           authenticated=False, authentication=UNAUTHENTICATED)


def provisioning_fix(prov: Provisioning) -> list[str]:
    return ["; http.conf [general]", "bindaddr=127.0.0.1", "tlsenable=yes", "tlsbindaddr=0.0.0.0:8089",
            "; and point the phones at https://<this host>:8089/phoneprov/"]


def stop_phoneprov_fix(prov: Provisioning) -> list[str]:
    return ["; modules.conf [modules]", "noload => res_phoneprov.so",
            "; and provision the phones from a server that authenticates each one (HTTPS, per-device credentials)"]


NONE = "Asterisk provisions no phone (res_phoneprov not loaded, no provisioned user, or no HTTP server)"
BINDINGS = (
    Binding("DEV-PRV-101", "asterisk", phone_provisioning, SOURCES, remediation=REMEDIATION, fix=provisioning_fix,
            none=NONE),
    Binding("DEV-PRV-103", "asterisk", phone_provisioning, SOURCES, remediation=AUTH_REMEDIATION,
            fix=stop_phoneprov_fix, none=NONE),
)
