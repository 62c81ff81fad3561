"""The databases FreeSWITCH modules keep their data in, as records: each DSN's password an account secret
(AUTH-SECRET-101, its shape only) and each database server beyond this machine a PHI recipient (BAA-101).

Read as each module reads its configuration (facts.freeswitch DSN_CONFIGS, dsn_server): mod_cdr_pg_csv's
``db-info`` and mod_odbc_cdr's ``odbc-dsn`` hold every call record; mod_callcenter, mod_fifo, mod_lcr,
mod_nibblebill, mod_cidlookup (caller names), mod_db, mod_directory and each mod_voicemail profile
(``odbc-dsn``, messages' callers and times) keep callers and queues there. A module that modules.conf.xml
does not load connects to nothing (not judged); one that it may load (modules.conf.xml not collected) is.
switch.conf's core-db-dsn (the core database: channels and registrations) is a recipient too; its password
is judged in authentication.py.

An ODBC DSN (``odbc://name:user:password`` or ``name:user:password``) names a data source whose server is
set in unixODBC's odbc.ini: followed there when the host evidence holds that file, else ERROR saying so. A
server written as a variable known only on the running host is ERROR, never skipped.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import LOCAL, ODBC, REMOTE, RUNTIME, UNKNOWN, FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.recipients import RecipientSet, register_fix
from voxaudit.platforms.freeswitch.authentication import secret_change, secret_record
from voxaudit.platforms.freeswitch.common import module_loaded, runtime_reason
from voxaudit.platforms.host import odbc_dsn_server
from voxaudit.records.authentication import AccountSecret
from voxaudit.records.recipients import PhiRecipient

SOURCES = ("databases", "voicemail.conf.xml")
KEY = "dsn.password"
CDR_MODULES = {"mod_cdr_pg_csv", "mod_odbc_cdr"}
CORE_ROLE = "core database (switch.conf core-db-dsn)"


def _loaded(facts: FreeSwitchFacts) -> Iterator[ConfigObject]:
    """The DSN objects of modules that load (or may: modules.conf.xml not collected)."""
    for o in facts.of_kind("database.dsn"):
        if module_loaded(facts, o.get("module") or "") is not False:
            yield o


def _where(o: ConfigObject) -> str:
    return f"{o.name} {o.get('param') or 'odbc-dsn'}"


def database_secrets(facts: FreeSwitchFacts) -> Iterator[AccountSecret]:
    """The password each loaded module's DSN logs into its database with. A DSN without one leaves the login
    to the database server (.pgpass, trust, peer) or to odbc.ini: not in the files, ERROR. A local SQLite
    file has no login: no record."""
    for o in _loaded(facts):
        subject = f"database of {o.get('module')} ({_where(o)})"
        server = o.get("dsn.server")
        hidden = runtime_reason(o, KEY)
        if hidden is not None:
            yield secret_record(o, KEY, subject, hidden[0], hidden[1])
        elif KEY in o.secrets:
            yield secret_record(o, KEY, subject)
        elif server == ODBC:
            yield secret_record(o, KEY, subject, "the ODBC DSN names no password: unixODBC takes it from the data "
                          "source's entry in odbc.ini, which the FreeSWITCH configuration does not hold; not assessed",
                          o.location("dsn"))
        elif server == LOCAL and o.get("dsn") in ("sqlite", "odbc"):
            continue  # a SQLite file on this machine (switch_core_sqldb.c: a plain name, sqlite://): no login
        else:
            yield secret_record(o, KEY, subject, "the DSN names no password: the database server decides how FreeSWITCH "
                          "logs in (.pgpass, trust or peer authentication), outside the configuration; not assessed",
                          o.location("dsn"))


def _dsn_recipients(facts: FreeSwitchFacts, o: ConfigObject, prefix: str, role: str, how: str,
                    found: RecipientSet) -> Iterator[PhiRecipient]:
    """Add the servers of one DSN (``prefix`` settings of ``o``) to ``found``; yield the undecidable ones."""
    server = o.get(f"{prefix}.server")
    source = o.location(prefix)
    if server == REMOTE:
        for host in o.values(f"{prefix}.host") or ():
            found.add(role, host, how, source)
    elif server == RUNTIME:
        yield PhiRecipient(subject=f"{role} at {how}", source=source, role=role, how=how,
                           undecidable="the DSN is a variable set on the running host; the database server it "
                                       "connects to is not in the files")
    elif server == UNKNOWN:
        yield PhiRecipient(subject=f"{role} at {how}", source=source, role=role, how=how,
                           undecidable=f"the DSN is of a kind ({o.get(prefix)}) whose database module the audit "
                                       "does not read: the server it connects to is not known")
    elif server == ODBC:
        yield from _odbc(facts, o, prefix, role, how, source, found)


def _odbc(facts: FreeSwitchFacts, o: ConfigObject, prefix: str, role: str, how: str, source: SourceRef,
          found: RecipientSet) -> Iterator[PhiRecipient]:
    """An ODBC data source, followed to the server odbc.ini names when the host evidence holds it."""
    name = o.get(f"{prefix}.odbc") or ""
    how = f"{how} -> ODBC data source {name}" if name else how
    odbc = facts.host.odbc if facts.host is not None else None
    entry = odbc.dsn(name) if odbc is not None and name and not odbc.refused else None
    if odbc is not None and entry is not None:
        host, key, why = odbc_dsn_server(entry)
        if not why:
            found.add(role, host, f"{how} -> {odbc.file} [{entry.name}] " + (key or "(driver default)"),
                      SourceRef(file=odbc.file, line=entry.lines.get(key, entry.line) if key else entry.line))
            return
    elif odbc is None:
        why = ("the ODBC data source's server is set in unixODBC's odbc.ini, which this scan did not read: capture "
               "it with the host evidence (docs/evidence.md)")
    elif odbc.refused:
        why = f"unixODBC refuses {odbc.file} (text before its first [section]): no data source in it is defined"
    else:
        why = (f"{odbc.file} has no data source of this name" + (" in the part read" if odbc.partial else "")
               + ": it may be defined in the ~/.odbc.ini of the user FreeSWITCH runs as; capture the file that "
                 "defines it")
    yield PhiRecipient(subject=f"{role} at {how}", source=source, role=role, how=how, undecidable=why)


def database_servers(facts: FreeSwitchFacts) -> Iterator[PhiRecipient]:
    """Each database server beyond this machine a loaded module writes to (loopback and Unix sockets skipped)."""
    found = RecipientSet()
    undecided: list[PhiRecipient] = []
    for o in _loaded(facts):
        module = o.get("module") or ""
        role = f"{'call records' if module in CDR_MODULES else module} database"
        undecided += _dsn_recipients(facts, o, "dsn", role, _where(o), found)
    core = facts.first("switch.settings")
    if core is not None and core.get("core-db-dsn"):
        undecided += _dsn_recipients(facts, core, "core-db-dsn", CORE_ROLE, "switch.conf core-db-dsn", found)
    yield from found.records()
    yield from undecided


SECRET_REMEDIATION = {
    "freeswitch": "Give each module's database user a random password of 16+ characters and set it in that "
                  "module's DSN (odbc-dsn, db-info) or in the variable it uses; never share it with another account.",
    "fusionpbx": "Give the database users FusionPBX's modules log in as a random password of 16+ characters "
                 "(Advanced > Variables: dsn, and each module's odbc-dsn).",
}
BAA_REMEDIATION = {
    "freeswitch": "Sign a business associate agreement with the operator of each database server a module's DSN "
                  "connects to and add it to the business_associates: register, or keep the database on this host.",
    "fusionpbx": "The database FusionPBX's modules write to is operated by a business associate unless it runs on "
                 "this host: sign a BAA with its operator and list it in the business_associates: register.",
}


def dsn_fix(cred: AccountSecret) -> list[str]:
    return ['<param name="odbc-dsn" value="pgsql://hostaddr=127.0.0.1 dbname=freeswitch user=freeswitch '
            'password=<random, 16+ characters>"/>']


BINDINGS = (
    Binding("AUTH-SECRET-101", "freeswitch", database_secrets, SOURCES, remediation=SECRET_REMEDIATION, fix=dsn_fix,
            none="no loaded module logs into a database with a DSN", change=secret_change),
    Binding("BAA-101", "freeswitch", database_servers, (*SOURCES, "switch.conf.xml"), remediation=BAA_REMEDIATION,
            fix=register_fix, none="no database server beyond this machine"),
)
