"""Who an Asterisk/FreePBX system sends PHI to, as records (BAA-101).

Read as Asterisk reads each option (res_pjsip, chan_sip, app_voicemail, cdr_*/cel_* sources):

* **SIP trunks**: pjsip ``registration`` ``server_uri``, ``client_uri`` (the account's address at the
  provider) and ``outbound_proxy``; ``endpoint``/``aor`` ``outbound_proxy``; an ``aor``'s static
  ``contact`` (comma-separated URIs); an ``identify``'s ``match`` (where inbound trunk calls come from);
  chan_sip [general] ``register =>`` lines (``[transport://]user[:secret[:authuser]]@host[:port][/ext][~expiry]``,
  read after their credentials were removed), [general] and peer ``outboundproxy``, and peers with a
  ``host=`` that is not ``dynamic``. Loopback is this machine: not a recipient. A private address in a
  static contact, ``match`` or peer ``host=`` is a device on the clinic's LAN (a phone, an ATA) and is
  not listed; a private address a registration or outbound proxy names is listed, marked private
  (a vendor's hosted system on a VPN is a business associate too).
* **Voicemail email and pager**: the domain of each mailbox's email and pager address (the mailbox
  provider stores every voicemail emailed there; an email-to-SMS gateway is a carrier). The SMTP relay
  itself is not in /etc/asterisk: app_voicemail hands each message to ``mailcmd`` (default
  ``/usr/sbin/sendmail -t``), and the relay is the MTA's (Postfix ``relayhost``, Exim smarthost,
  msmtp's account): an ERROR saying so, never a guess. A ``mailcmd`` that is not a mail transfer
  agent and an ``externnotify`` program may send the message elsewhere: ERROR naming the program, to
  be checked and listed. A transcription program (platforms/asterisk/transcription.py) is listed there,
  as a "transcription service"; a known wrapper hands the email on to ``sendmail -t``, whose relay is
  still listed here.
* **Call records** (they carry patients' phone numbers): cdr_pgsql.conf and cel_pgsql.conf ``hostname``
  (default: the local socket), cdr_mysql.conf ``hostname`` (default localhost), cdr_tds.conf
  ``hostname``; and the ODBC backends (cdr_adaptive_odbc.conf and cel_odbc.conf ``connection``,
  cdr_odbc.conf ``dsn``), each a res_odbc.conf connection whose ``dsn`` is a unixODBC data source:
  its server is in /etc/odbc.ini (auditor/facts/asterisk_odbc.py reads the Asterisk side, the host
  evidence the odbc.ini). A backend counts only while its module runs (modules.conf; the ODBC ones
  also need res_odbc) and its core writes records: CDRs unless cdr.conf ``enable`` is false, CEL
  only when cel.conf ``enable`` is true. A DSN odbc.ini does not settle (not captured, not in it,
  moved by res_odbc.conf [ENV], a driver whose server this scan cannot name) is ERROR on that DSN.
* Asterisk's logger.conf writes to the local syslog daemon only (``syslog.local0 => ...``); a remote
  syslog server is set in rsyslog/syslog-ng, not here, so none is listed.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterable, Iterator, Optional, TypeVar, Union

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.asterisk_minivm import MINIVM_ROOT
from voxaudit.facts.asterisk_odbc import BACKENDS as ODBC_BACKENDS
from voxaudit.facts.asterisk_odbc import CLASS_KEY, CLASS_NAME_MAX, ODBC_ROOTS, RES_ODBC_ROOT
from voxaudit.facts.common import ConfigObject
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.common import module_state, yes
from voxaudit.platforms.host import odbc_dsn_server, relay_recipients
from voxaudit.records.recipients import MAX_HOST, PhiRecipient, is_local, is_private, normal_host

MTA_PROGRAMS = ("sendmail", "sendmail.postfix", "exim", "exim4", "msmtp", "ssmtp", "postdrop", "esmtp", "nullmailer-inject")
TRUNK = "SIP trunk"
IAX_TRUNK = "IAX2 trunk"
CDR_ROOTS = (("cdr_pgsql.conf", "cdr_pgsql.section", "localhost"), ("cel_pgsql.conf", "cel_pgsql.section", "localhost"),
             ("cdr_mysql.conf", "cdr_mysql.section", "localhost"), ("cdr_tds.conf", "cdr_tds.section", ""))

REMEDIATION = {
    "asterisk": "Sign a business associate agreement with each party listed (SIP trunk provider, the email provider "
                "of each voicemail address, the call-record database host, including the server of each ODBC DSN "
                "in /etc/odbc.ini) and add it to the inventory's business_associates: register with its hosts or "
                "domains, or stop sending PHI there (remove the mailbox email/pager address, move the trunk to a "
                "provider that signs a BAA, point the DSN at a database on this host).",
    "freepbx": "Connectivity > Trunks and Settings > Voicemail Admin (or each extension's Voicemail email) name the "
               "same parties; FreePBX's call records go through res_odbc to the DSN in /etc/odbc.ini (local MySQL "
               "unless changed): sign a BAA with each remote party and list it in the business_associates: register.",
}
CDR_ROLE = "call records database"


def uri_host(value: str) -> str:
    """The host of a SIP URI as res_pjsip parses it: ``"Name" <sip:user@host:port;transport=tls>`` -> host.
    Split on fixed characters only (linear in the text)."""
    text = value.strip()
    if "<" in text:
        text = text.split("<", 1)[1].split(">", 1)[0]
    low = text[:5].lower()
    if low.startswith(("sip:", "sips:", "tel:")):
        text = text.split(":", 1)[1]
    text = text.split(";", 1)[0].split("?", 1)[0]
    text = text.rsplit("@", 1)[-1]
    return _strip_port(text)


def _strip_port(text: str) -> str:
    text = text.strip()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.split(":", 1)[0] if text.count(":") == 1 else text


def register_host(value: str) -> str:
    """The host of a chan_sip ``register =>`` line (sip_register(): ``[transport://]user...@host[:port][/ext][~expiry]``)."""
    text = value.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.rsplit("@", 1)[-1]
    text = text.split("/", 1)[0].split("~", 1)[0]
    return _strip_port(text)


def _host_ok(host: str) -> bool:
    """Something that can name a host (not empty, not a variable, not a placeholder, not absurdly long)."""
    return bool(host) and len(host) <= MAX_HOST and not any(c in host for c in " \t${}<>")


T = TypeVar("T")
Lazy = Union[T, Callable[[], T]]  # a value, or how to work it out when it is needed


class RecipientSet:
    """Recipients by (role, host): one record per party, the first place it is named as its source."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], PhiRecipient] = {}
        self._decided: set[tuple[str, str, bool]] = set()  # (role, host, lan_is_local) already judged

    def add(self, role: str, raw_host: str, how: Lazy[str], source: Lazy[Optional[SourceRef]],
            lan_is_local: bool = False) -> None:
        """``how`` and ``source`` may be functions: worked out only for the first mention of a party
        (ten thousand mailboxes at one mail domain name it once)."""
        host = normal_host(raw_host)
        decided = (role, host, lan_is_local)
        if decided in self._decided:  # ten thousand mailboxes at one mail domain: judged once, first source kept
            return
        if not host or is_local(host):
            return
        how = how() if callable(how) else how
        source = source() if callable(source) else source
        if not _host_ok(host):  # a variable, a placeholder: a party is configured but cannot be named
            key = (role, how)
            if key not in self.seen:
                self.seen[key] = PhiRecipient(subject=f"{role} at {how}", source=source, role=role, how=how,
                                              undecidable="the host written there is a variable or not a host name "
                                                          "(it is not quoted: any value may be a secret)")
            return
        self._decided.add(decided)
        private = is_private(host)
        if private and lan_is_local:
            return
        key = (role, host)
        if key not in self.seen:
            self.seen[key] = PhiRecipient(subject=f"{host} ({role})", source=source, role=role, host=host, how=how,
                                          private=private)

    def records(self) -> Iterator[PhiRecipient]:
        return iter(self.seen.values())


def _settings(obj: ConfigObject, key: str) -> Iterable[tuple[str, SourceRef]]:
    for s in obj.settings.get(key, []):
        yield s.value, s.source


def sip_trunks(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """SIP providers named by pjsip and chan_sip objects."""
    found = RecipientSet()
    for reg in facts.of_kind("pjsip.registration"):
        for key in ("server_uri", "client_uri", "outbound_proxy"):
            for value, src in _settings(reg, key):
                found.add(TRUNK, uri_host(value), f"pjsip.conf [{reg.name}] registration {key}", src)
    for kind in ("pjsip.endpoint", "pjsip.aor"):
        for obj in facts.of_kind(kind):
            for value, src in _settings(obj, "outbound_proxy"):
                found.add(TRUNK, uri_host(value), f"pjsip.conf [{obj.name}] {kind[6:]} outbound_proxy", src)
    for aor in facts.of_kind("pjsip.aor"):
        for value, src in _settings(aor, "contact"):
            for uri in value.split(","):
                found.add(TRUNK, uri_host(uri), f"pjsip.conf [{aor.name}] aor contact", src, lan_is_local=True)
    for ident in facts.of_kind("pjsip.identify"):
        for value, src in _settings(ident, "match"):
            for item in value.split(","):
                host = item.strip().split("/", 1)[0]  # an address/prefix: the network's address names it
                found.add(TRUNK, _strip_port(host), f"pjsip.conf [{ident.name}] identify match", src, lan_is_local=True)
    general = facts.first("sip.general")
    if general is not None:
        for value, src in _settings(general, "register"):
            found.add(TRUNK, register_host(value), "sip.conf [general] register =>", src)
        for value, src in _settings(general, "outboundproxy"):
            found.add(TRUNK, _strip_port(value), "sip.conf [general] outboundproxy", src)
    for peer in facts.of_kind("sip.peer"):
        for value, src in _settings(peer, "outboundproxy"):
            found.add(TRUNK, _strip_port(value), f"sip.conf [{peer.name}] outboundproxy", src)
        host = (peer.get("host") or "").strip()
        if host and host.lower() != "dynamic":
            found.add(TRUNK, _strip_port(host), f"sip.conf [{peer.name}] host", peer.location("host"), lan_is_local=True)
    return found.records()


def iax_trunks(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """IAX2 peers called at a fixed host (build_peer(): host= is whom calls go to; dynamic: it registers)."""
    found = RecipientSet()
    if module_state(facts, "chan_iax2", "iax.conf").loaded:
        for acc in facts.of_kind("iax.account"):
            if (acc.get("type") or "").strip().lower() not in ("peer", "friend"):
                continue  # build_user() reads no host=: a user only answers calls
            host = (acc.get("host") or "").strip()
            if host and host.lower() != "dynamic":
                found.add(IAX_TRUNK, _strip_port(host), f"iax.conf [{acc.name}] host", acc.location("host"),
                          lan_is_local=True)
    return found.records()


def _domains(value: str) -> list[str]:
    """The mail domains of an address field (app_voicemail also accepts several, separated by '|')."""
    return [part.rsplit("@", 1)[1].strip() for part in value.split("|") if "@" in part]


def _mailbox_field(box: ConfigObject, field: str) -> str:
    return f"voicemail.conf mailbox {box.name} {field}"


def voicemail_email(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """The domains voicemail is emailed or paged to, and the relay that carries it (not in this configuration)."""
    found = RecipientSet()
    named: set[tuple[str, str]] = set()
    for box in facts.of_kind("voicemail.mailbox"):
        if box.get("app") == "minivm":  # app_minivm mails through its own mailcmd: minivm_email
            continue
        for field, role in (("email", "voicemail email domain"), ("pager", "voicemail pager/SMS gateway")):
            value = box.get(field)
            if not value or "@" not in value:
                continue
            for domain in _domains(value):
                if (role, domain) not in named:  # a later mention of a party changes nothing: the first is kept
                    named.add((role, domain))
                    found.add(role, domain, partial(_mailbox_field, box, field), partial(box.location, field))
    yield from found.records()
    general = facts.first("voicemail.general")
    if found.seen:
        yield from _mail_command(facts, general, "voicemail.conf", "app_voicemail")
    if general is not None and (general.get("externnotify") or "").strip():
        name = (general.get("externnotify") or "").split()[0].rsplit("/", 1)[-1]
        yield PhiRecipient(subject=f"voicemail externnotify {name}", source=general.location("externnotify"),
                           role="voicemail notification program", how="voicemail.conf externnotify",
                           undecidable=f"externnotify runs {name} on every new message: whether it sends anything "
                                       "outside (a pager, an SMS or transcription service) is in that program; check it "
                                       "and list the service it uses in the register")


def _mail_command(facts: AsteriskFacts, general: Optional[ConfigObject], conf: str, app: str) -> Iterator[PhiRecipient]:
    """The relay a voicemail application's ``mailcmd`` (kept as its program only; default sendmail) hands
    each message to: the MTA's relays from the host evidence, else an ERROR saying what to capture; a
    program that is no MTA (and no transcription service, listed by its own binding) is an ERROR naming it."""
    program = (general.get("mailcmd") if general is not None else None) or "/usr/sbin/sendmail"
    from voxaudit.platforms.asterisk import transcription  # imports this module: imported late
    name = transcription.program_of(program)[1]  # the first word, cut at shell metacharacters
    handed_to = name
    if transcription.hands_on_to_sendmail(name):  # a known transcription wrapper ends in `sendmail -t`
        name, handed_to = "sendmail", f"{name}, which hands it to sendmail"
    src = general.location("mailcmd") if general is not None and general.get("mailcmd") else \
        (general.source if general is not None else None)
    relays = relay_recipients(facts.host, handed_to, f"{conf} mailcmd") if name in MTA_PROGRAMS else None
    prefix = "voicemail" if app == "app_voicemail" else "minivm"
    if relays is not None:
        yield from relays
    elif name in MTA_PROGRAMS:
        yield PhiRecipient(subject=f"{prefix} email relay", source=src, role="voicemail email relay",
                           how=f"{conf} mailcmd ({name})",
                           undecidable=f"{app} hands each message to {name}; the relay it forwards to is set in "
                                       "the mail transfer agent's configuration (Postfix relayhost, Exim smarthost, "
                                       "msmtp account), which this scan did not read: capture it with the host "
                                       "evidence (docs/evidence.md), and list that provider in the register")
    elif not transcription.is_transcribing(name):  # a transcription program: its own binding lists it
        yield PhiRecipient(subject=f"{prefix} mail command {name}", source=src, role="voicemail mail command",
                           how=f"{conf} mailcmd",
                           undecidable=f"mailcmd runs {name}, not a mail transfer agent (transcription services and "
                                       "SMTP client scripts are installed this way): where it sends the message and "
                                       "its audio is in that program or its arguments (not kept: they may hold a "
                                       "password); check it and list the service it uses in the register")


def minivm_email(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """What app_minivm emails and through which relay (apps/app_minivm.c): MinivmNotify() sends each message
    to the account's ``email`` (default the account name, ``user@domain``) and ``pager`` through minivm.conf
    [general] ``mailcmd`` (default ``/usr/sbin/sendmail -t``). An account the dialplan names but minivm.conf
    does not define is made up at run time (``user@domain`` again), so MinivmNotify in the dialplan sends
    mail even with no account configured. app_minivm does not load without minivm.conf."""
    if not facts.has_config(MINIVM_ROOT) or not module_state(facts, "app_minivm", MINIVM_ROOT).loaded:
        return
    found = RecipientSet()
    accounts = [mb for mb in facts.of_kind("voicemail.mailbox") if mb.get("app") == "minivm"]
    for box in accounts:
        for field, role in (("email", "voicemail email domain"), ("pager", "voicemail pager/SMS gateway")):
            value = box.get(field) or (box.name if field == "email" else "")
            for domain in _domains(value):
                found.add(role, domain, f"minivm.conf account {box.name} {field}",
                          partial(box.location, field) if box.get(field) else box.source)
    notify = [s for s in facts.dialplan if s.app.lower() == "minivmnotify"]
    for step in notify:  # a literal user@domain names the party; a variable is decided at run time
        target = step.args.split(",", 1)[0].strip()
        if "@" in target and "$" not in target:
            found.add("voicemail email domain", target.rsplit("@", 1)[1], f"dialplan {step.label} MinivmNotify",
                      step.source)
    yield from found.records()
    if found.seen or notify:
        yield from _mail_command(facts, facts.first("minivm.general"), MINIVM_ROOT, "app_minivm")


def _records_written(facts: AsteriskFacts, module: str, root: str) -> bool:
    """Does this backend receive records? Its module runs (modules.conf; an ODBC backend requires res_odbc,
    which declines without res_odbc.conf) and its core is on: CDRs unless cdr.conf [general] ``enable`` is
    false (cdr.c: default yes), CEL only when cel.conf [general] ``enable`` is true (cel.c: default no).
    Both are aco booleans, read with ast_true(). A cdr.conf or cel.conf that was not fully read does not
    say: the backend is taken to receive records (its party is listed, never dropped on a guess)."""
    if not module_state(facts, module, root).loaded:
        return False
    if root in ODBC_BACKENDS and not module_state(facts, "res_odbc", RES_ODBC_ROOT).loaded:
        return False
    core = "cel.conf" if module.startswith("cel_") else "cdr.conf"
    cf = facts.configs.get(core)
    if cf is not None and (cf.fatal_problem is not None or any(p.is_gap for p in cf.problems)):
        return True  # the switch is not known (a refused or partly read file): the configured party is listed
    general = facts.first(core[:-5] + ".general")
    if core == "cel.conf":
        return general is not None and yes(general.get("enable"))
    return general is None or general.get("enable") is None or yes(general.get("enable"))


def call_record_databases(facts: AsteriskFacts) -> Iterator[PhiRecipient]:
    """Databases call and channel event records are written to (cdr_pgsql, cel_pgsql, cdr_mysql, cdr_tds, and
    the ODBC backends through res_odbc and odbc.ini)."""
    found = RecipientSet()
    for root, kind, default in CDR_ROOTS:
        if not _records_written(facts, root[:-5], root):
            continue
        for obj in facts.of_kind(kind):
            host = obj.get("hostname")
            found.add(CDR_ROLE, host if host is not None else default,
                      f"{root} [{obj.name}] hostname" + ("" if host is not None else " (default)"),
                      obj.location("hostname") if host is not None else obj.source)
    undecided = _odbc_databases(facts, found)
    return iter([*found.records(), *undecided])


def _named(value: str) -> bool:
    """A DSN or class name that can be quoted: an identifier, not a value that might be a secret typed there."""
    return 0 < len(value) <= 64 and all(c.isalnum() or c in "-_. " for c in value)


def _odbc_databases(facts: AsteriskFacts, found: RecipientSet) -> list[PhiRecipient]:
    """Each ODBC backend's connection, followed to its DSN and the server odbc.ini names: added to ``found``
    when known; one undecidable record per DSN that cannot be followed (returned)."""
    classes: dict[str, ConfigObject] = {}
    for c in facts.of_kind("res_odbc.connection"):
        classes.setdefault(c.name[:CLASS_NAME_MAX], c)
    env = facts.first("res_odbc.env")
    moved = [k.upper() for k in ("odbcini", "odbcsysini") if env is not None and env.get(k) is not None]
    odbc = facts.host.odbc if facts.host is not None else None
    undecided: dict[str, PhiRecipient] = {}
    followed: set[str] = set()
    for root, (module, _) in ODBC_BACKENDS.items():
        tables = facts.of_kind(f"{module}.table")
        if not tables or not _records_written(facts, module, root):
            continue
        for table in tables:
            cls = classes.get(table.get(CLASS_KEY) or "")
            if cls is None:  # "No such connection": the module writes nothing through it
                continue
            dsn = (cls.get("dsn") or "").strip()
            if dsn.lower() in followed:  # one DSN is one party: the first backend writing to it names it
                continue
            followed.add(dsn.lower())
            src = cls.location("dsn")
            shown = dsn if _named(dsn) else f"at {src.file}:{src.line}"
            how = f"{root} [{table.name}] -> res_odbc.conf [{cls.name}] dsn {shown}"
            if moved:
                why = (f"res_odbc.conf [ENV] sets {' and '.join(moved)}: unixODBC reads its data sources from another "
                       "odbc.ini than /etc/odbc.ini; capture that file with the host evidence")
            elif odbc is None:
                why = ("the DSN's server is set in unixODBC's /etc/odbc.ini, which this scan did not read: capture it "
                       "with the host evidence (docs/evidence.md)")
            elif odbc.refused:
                why = f"unixODBC refuses {odbc.file} (text before its first [section]): no DSN in it is defined"
            else:
                entry = odbc.dsn(dsn)
                if entry is None:
                    why = (f"{odbc.file} has no data source of this name"
                           + (" in the part read (the file is larger than is read)" if odbc.partial else "")
                           + ": either the connection fails and no record is written, or the DSN is defined in the "
                             "~/.odbc.ini of the user Asterisk runs as (read first), or unixODBC's [Default] is used; "
                             "capture the file that defines it")
                else:
                    host, key, why = odbc_dsn_server(entry)
                    if not why:
                        where = SourceRef(file=odbc.file, line=entry.lines.get(key, entry.line)) if key else \
                            SourceRef(file=odbc.file, line=entry.line)
                        port = entry.keys.get("port", "")
                        port = f" (port {port})" if port.isdigit() and len(port) <= 5 else ""
                        found.add(CDR_ROLE, host,
                                  f"{how} -> {odbc.file} [{entry.name}] " + (key or "(driver default)") + port, where)
                        continue
            key = dsn.lower()
            if key not in undecided:
                undecided[key] = PhiRecipient(subject=f"ODBC DSN {shown} ({CDR_ROLE})", source=src, role=CDR_ROLE,
                                              how=how, undecidable=why)
    return list(undecided.values())


def register_fix(rec: PhiRecipient) -> list[str]:
    """The register entry to add once the BAA is signed (every platform's fix: the register is the inventory's)."""
    return ["business_associates:", "  - vendor: <who operates it>", f'    covers: ["{rec.host}"]',
            "    baa_signed: <YYYY-MM-DD>", "    baa_expires: <YYYY-MM-DD>", "    document: <where the signed BAA is kept>"]


BINDINGS = (
    Binding("BAA-101", "asterisk", sip_trunks, ("pjsip.conf", "sip.conf", "pjsip_wizard.conf", "users.conf"),
            remediation=REMEDIATION, fix=register_fix, none="no SIP trunk to an outside host"),
    Binding("BAA-101", "asterisk", iax_trunks, ("iax.conf", "modules.conf"), remediation=REMEDIATION, fix=register_fix,
            none="no IAX2 trunk to an outside host"),
    Binding("BAA-101", "asterisk", voicemail_email, ("voicemail.conf", "users.conf"), remediation=REMEDIATION,
            fix=register_fix, none="no mailbox emails or pages voicemail"),
    Binding("BAA-101", "asterisk", minivm_email, (MINIVM_ROOT, "modules.conf"), remediation=REMEDIATION,
            fix=register_fix, none="app_minivm emails no voicemail (not loaded, or no account or MinivmNotify)"),
    Binding("BAA-101", "asterisk", call_record_databases,
            (*(r for r, _, _ in CDR_ROOTS), *ODBC_ROOTS),
            remediation=REMEDIATION, fix=register_fix, none="no remote call-record database"),
)
