"""Who a FreeSWITCH system sends PHI to, as records (BAA-101).

Read as mod_sofia and mod_voicemail read them:

* **SIP trunks**: each sofia gateway's ``proxy`` (default: its ``realm``, which defaults to the
  gateway's name: sofia.c ``parse_gateways``), ``register-proxy`` and ``outbound-proxy``, for the gateways
  sofia loads (gateways.py ``loaded_gateways``: a duplicate name, an unsupported transport or TLS on a
  profile without tls are refused). A carrier is one party however many gateways reach it (two tenants'
  registrations to sip.telnyx.com): one record per host, naming every gateway and setting that sends to it
  (the first :data:`MAX_NAMED`, then a count), its source the first. Loopback is this machine; a private
  address a gateway names is listed, marked private.
* **Voicemail email**: the domain of each directory user's ``vm-mailto`` and ``vm-notify-mailto``
  (comma-separated addresses). FreeSWITCH sends them through switch.conf.xml's ``mailer-app``
  (default sendmail), whose relay is set in the MTA's configuration: an ERROR saying so.
* **Call-record uploads**: the host of each ``url`` of xml_cdr.conf / json_cdr.conf (mod_xml_cdr.c,
  mod_json_cdr.c do_config: every non-empty url, at most 20) when its module loads: each call's record
  (numbers, names, times) is posted there.
* Call-record and other module databases (mod_cdr_pg_csv db-info, mod_odbc_cdr and the other modules'
  odbc-dsn, switch.conf core-db-dsn): databases.py.
* Other call-record destinations (mod_cdr_sqlite, mod_cdr_mongodb, mod_format_cdr) are in files the FreeSWITCH
  reader does not yet read: it reports each present one as an unread part of cdr_csv.conf.xml (a gap),
  a source of the gateway binding, so BAA-101 is ERROR there rather than silently missing a recipient.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix, uri_host
from voxaudit.platforms.freeswitch.common import module_loaded
from voxaudit.platforms.freeswitch.gateways import loaded_gateways
from voxaudit.platforms.host import relay_recipients
from voxaudit.records.recipients import PhiRecipient, normal_host

TRUNK = "SIP trunk"
REMEDIATION = {
    "freeswitch": "Sign a business associate agreement with each party listed (the provider of each sofia gateway, "
                  "the email provider of each vm-mailto address) and add it to the inventory's business_associates: "
                  "register with its hosts or domains, or stop sending PHI there.",
    "fusionpbx": "Accounts > Gateways and each extension's Voicemail email name the same parties: sign a BAA with each "
                 "and list it in the business_associates: register.",
}


MAX_NAMED = 8  # gateways named in one carrier's record; more are counted (bounded text on any tree)


class _Uses:
    """Where one host is named: the first :data:`MAX_NAMED` mentions ("<gateway> <param>"), how many in all,
    and the first one's source."""

    def __init__(self, source: SourceRef) -> None:
        self.named: list[str] = []
        self.count = 0
        self.source = source

    def add(self, mention: str) -> None:
        self.count += 1
        if len(self.named) < MAX_NAMED and mention not in self.named:
            self.named.append(mention)

    def how(self) -> str:
        if len(self.named) == 1 and self.count == 1:
            return f"sofia gateway {self.named[0]}"
        more = self.count - len(self.named)
        return "sofia gateways " + ", ".join(self.named) + (f" and {more} more" if more > 0 else "")


def gateways(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    """One record per carrier host, naming each gateway setting that sends to it (module docstring)."""
    uses: dict[str, tuple[str, _Uses]] = {}  # normalised host -> (host as first written, its mentions)

    def named(value: str, mention: str, source: SourceRef) -> None:
        host = uri_host(value)
        entry = uses.setdefault(normal_host(host), (host, _Uses(source)))
        entry[1].add(mention)

    for gw in loaded_gateways(facts):
        proxy = gw.get("proxy")
        realm = gw.get("realm")
        if proxy is not None:
            named(proxy, f"{gw.name} proxy", gw.location("proxy"))
        else:
            named(realm if realm is not None else gw.name,
                  f"{gw.name} realm" + ("" if realm is not None else " (its name)"),
                  gw.location("realm") if realm is not None else gw.source)
        for key in ("register-proxy", "outbound-proxy"):
            value = gw.get(key)
            if value is not None:
                named(value, f"{gw.name} {key}", gw.location(key))
    found = RecipientSet()
    for host, use in uses.values():
        found.add(TRUNK, host, use.how, use.source)
    return found.records()


def voicemail_email(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    found = RecipientSet()
    for user in facts.of_kind("directory.user"):
        for key in ("vm-mailto", "vm-notify-mailto"):
            for address in (user.get(key) or "").split(","):
                if "@" in address:
                    found.add("voicemail email domain", address.rsplit("@", 1)[1], f"directory user {user.name} {key}",
                              user.location(key))
    yield from found.records()
    relays = relay_recipients(facts.host, "the mailer-app", "mod_voicemail") if found.seen else None
    if relays is not None:
        yield from relays
    elif found.seen:
        yield PhiRecipient(subject="voicemail email relay", role="voicemail email relay",
                           how="switch.conf.xml mailer-app",
                           undecidable="mod_voicemail hands each message to switch.conf.xml's mailer-app (default "
                                       "sendmail); the relay it forwards to is set in the mail transfer agent's "
                                       "configuration, which this scan did not read: capture it with the host evidence "
                                       "(docs/evidence.md), and list that provider in the register")


CDR_MODULES = {"xml_cdr.conf": "mod_xml_cdr", "json_cdr.conf": "mod_json_cdr"}


def cdr_uploads(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    """The web services the loaded CDR modules post every call record to (module docstring)."""
    found = RecipientSet()
    for upload in facts.of_kind("cdr.upload"):
        module = CDR_MODULES.get(upload.name)
        if module is None or module_loaded(facts, module) is False:
            continue  # not loaded: nothing is sent (None, modules.conf.xml not collected: it may be)
        role = f"call records upload ({module})"
        for key in sorted((k for k in upload.settings if k.startswith("url.") and k.count(".") == 1),
                          key=lambda k: int(k.split(".")[1]) if k.split(".")[1].isdigit() else 0):
            url = upload.get(key) or ""
            if "$${" in url:  # known only on the running host
                yield PhiRecipient(subject=f"{role} at {upload.name} url", source=upload.location(key), role=role,
                                   how=f"{upload.name} url", undecidable="the url is a variable set on the running "
                                   "host; the party it posts call records to is not in the files")
                continue
            found.add(role, _url_host(url), f"{upload.name} url", upload.location(key))
    yield from found.records()


def _url_host(url: str) -> str:
    """The host of an http(s) URL (split on fixed characters: linear in the text)."""
    rest = url.strip().split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


BINDINGS = (
    Binding("BAA-101", "freeswitch", cdr_uploads, ("cdr_csv.conf.xml",), remediation=REMEDIATION,
            none="no call records are posted to a web service (mod_xml_cdr / mod_json_cdr)", fix=register_fix),
    Binding("BAA-101", "freeswitch", gateways, ("sofia", "cdr_csv.conf.xml"), remediation=REMEDIATION,
            fix=register_fix, none="no sofia gateway"),
    Binding("BAA-101", "freeswitch", voicemail_email, ("directory",), remediation=REMEDIATION,
            fix=register_fix, none="no directory user has vm-mailto"),
)
