"""FreeSWITCH / FusionPBX facts: sofia profiles and gateways, directory users, voicemail,
logging, CDR, event socket, ACLs and loaded modules, from the one XML document FreeSWITCH loads.

FreeSWITCH reads ``freeswitch.xml`` and what it includes as a single document, then each module
looks up its ``<configuration name="...">`` in ``<section name="configuration">`` and mod_sofia or
mod_voicemail look users up in ``<section name="directory">`` (first match wins, names compared
case-insensitively). Whether a part is written inline in ``freeswitch.xml`` (container images),
in files it includes (``config.xml``, ``autoload_configs/*.xml``) or in the vanilla tree, the same
facts come out, each with the file and line it was written at. A tree without ``freeswitch.xml``
is read as FreeSWITCH's packaged ``freeswitch.xml`` would include it (a note says so).

Fact sources (what checks declare): ``sofia``, ``directory``, ``voicemail.conf.xml``,
``logfile.conf.xml``, ``cdr_csv.conf.xml``, ``event_socket.conf.xml``, ``xml_rpc.conf.xml``,
``acl.conf.xml``, ``modules.conf.xml``, ``switch.conf.xml``, ``databases`` (the DSNs of the modules that keep
their data in a database: DSN_CONFIGS), ``rayo.conf.xml``, and ``freeswitch.xml`` for the document itself. A problem inside a part
belongs to that part; one outside every part (a top-level include, an ``exec`` at the top) concerns
them all: when it stops the document (FreeSWITCH would refuse it) every part is ERROR, when it is a
gap every part reports it. What FreeSWITCH would load and the audit does not read is listed: as a
gap when it bears on what the checks judge (another endpoint, another CDR or log destination,
configuration served at run time by mod_xml_curl or a Lua handler), as a note otherwise.
"""
from __future__ import annotations

import bisect
import os
import re
from pathlib import Path
from typing import ClassVar, Literal, Optional

from voxaudit.facts.common import (
    OBJECT_ORDER,
    ConfigFileFacts,
    ConfigObject,
    ParseProblem,
    PlatformFacts,
    Setting,
    describe_gaps,
    inline_credentials,
    is_secret_key,
    redact_inline_credentials,
)
from voxaudit.facts.host import HostEvidence
from voxaudit.model import SourceRef
from voxaudit.parsers.freeswitch_xml import (
    Element,
    FsDocument,
    Preprocessor,
    runtime_value,
    tag_label,
)
from voxaudit.parsers.problem import Problem, label
from voxaudit.secretinfo import SecretInfo, SharedSecretTracker, describe_secret

ROOT = "freeswitch.xml"
# fact source -> (where it lives, configuration names or the section name)
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # mod_verto's profiles are SIP-equivalent endpoints (JSON-RPC over WebSocket): read with sofia
    "sofia": ("configuration", ("sofia.conf", "verto.conf")),
    "directory": ("section", ("directory",)),
    "voicemail.conf.xml": ("configuration", ("voicemail.conf",)),
    "logfile.conf.xml": ("configuration", ("logfile.conf",)),
    # mod_cdr_csv's files, and the web services mod_xml_cdr / mod_json_cdr post every call record to
    "cdr_csv.conf.xml": ("configuration", ("cdr_csv.conf", "xml_cdr.conf", "json_cdr.conf")),
    "event_socket.conf.xml": ("configuration", ("event_socket.conf",)),
    # mod_xml_rpc's HTTP API (do_config(): http-port, auth-realm/user/pass); judged when the module loads
    "xml_rpc.conf.xml": ("configuration", ("xml_rpc.conf",)),
    "acl.conf.xml": ("configuration", ("acl.conf",)),
    "modules.conf.xml": ("configuration", ("pre_load_modules.conf", "modules.conf", "post_load_modules.conf")),
    # the core's own settings: core-db-dsn, the database FreeSWITCH keeps its channels and registrations in
    "switch.conf.xml": ("configuration", ("switch.conf",)),
    # the modules that keep call records, queues, billing or caller names in a database named by a DSN
    # (DSN_CONFIGS); voicemail.conf's per-profile odbc-dsn is read with voicemail.conf.xml
    "databases": ("configuration", ("cdr_pg_csv.conf", "odbc_cdr.conf", "callcenter.conf", "lcr.conf",
                                    "cidlookup.conf", "nibblebill.conf", "db.conf", "fifo.conf", "directory.conf")),
    # mod_rayo's XMPP server: its listeners (call control for any client that logs in) and their users
    "rayo.conf.xml": ("configuration", ("rayo.conf",)),
}
# Parts that only one module reads: nothing asks for them at run time when it does not load.
PART_MODULES = {"xml_rpc.conf.xml": "mod_xml_rpc", "rayo.conf.xml": "mod_rayo"}
# Where each module of the "databases" part reads its DSN (src/mod/*/mod_*.c, read at freeswitch cc93a683):
# configuration -> (module, the <settings> params that set it, which one counts). "first": the module reads
# its settings with switch_xml_config_parse(), whose event keeps the first param of a name (even an empty
# one: the module then uses its default, a local SQLite file); "last": every param assigns, an empty one too
# (mod_callcenter load_config); "last-set": every non-empty one assigns (``!zstr(val)``).
DSN_CONFIGS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "cdr_pg_csv.conf": ("mod_cdr_pg_csv", ("db-info",), "first"),   # a libpq conninfo; default "dbname=cdr"
    "odbc_cdr.conf": ("mod_odbc_cdr", ("odbc-dsn",), "last-set"),
    "callcenter.conf": ("mod_callcenter", ("odbc-dsn",), "last"),
    "lcr.conf": ("mod_lcr", ("odbc-dsn",), "last-set"),
    "cidlookup.conf": ("mod_cidlookup", ("odbc-dsn",), "first"),
    "nibblebill.conf": ("mod_nibblebill", ("odbc-dsn", "db_dsn"), "last-set"),  # db_dsn: the deprecated name
    "db.conf": ("mod_db", ("odbc-dsn",), "first"),
    "fifo.conf": ("mod_fifo", ("odbc-dsn",), "last-set"),
    "directory.conf": ("mod_directory", ("odbc-dsn",), "last-set"),
}
CONF_PART = {conf: part for part, (kind, names) in PARTS.items() if kind == "configuration" for conf in names}
CONFIGURATION_PARTS = tuple(p for p, (kind, _) in PARTS.items() if kind == "configuration")
# Configurations the audit does not read that bear on what the checks judge: (part, module, what).
UNREAD_GAPS: dict[str, tuple[str, str, str]] = {
    "skinny.conf": ("sofia", "mod_skinny", "another endpoint: its listeners"),
    "rtmp.conf": ("sofia", "mod_rtmp", "another endpoint: its listeners and authentication"),
    "erlang_event.conf": ("event_socket.conf.xml", "mod_erlang_event", "remote call control"),
    "event_multicast.conf": ("event_socket.conf.xml", "mod_event_multicast", "events sent on the network"),
    "kazoo.conf": ("event_socket.conf.xml", "mod_kazoo", "remote call control"),
    # mod_amqp (mod_amqp_utils.c): <producers> publish channel events (caller numbers) to a broker,
    # <commands> run API commands taken from it, <logging> ships the log; each with broker credentials
    "amqp.conf": ("event_socket.conf.xml", "mod_amqp", "events sent to an AMQP broker and API commands taken "
                  "from it, with the broker's credentials"),
    "cdr_sqlite.conf": ("cdr_csv.conf.xml", "mod_cdr_sqlite", "a call record database"),
    "cdr_mongodb.conf": ("cdr_csv.conf.xml", "mod_cdr_mongodb", "a call record database and its credentials"),
    "format_cdr.conf": ("cdr_csv.conf.xml", "mod_format_cdr", "where call records are sent"),
    "syslog.conf": ("logfile.conf.xml", "mod_syslog", "another log destination and its levels"),
    "graylog2.conf": ("logfile.conf.xml", "mod_graylog2", "another log destination"),
    "voicemail_ivr.conf": ("voicemail.conf.xml", "mod_voicemail_ivr", "voicemail menus and their PIN handling"),
}
# Configurations read only in part: what the audit leaves out of them is a gap of its own (part, module, what).
PARTIAL_GAPS: dict[str, tuple[str, str, str]] = {
    "verto.conf": ("sofia", "mod_verto", "the TLS of its secure listeners (certificate, versions, ciphers) is "
                   "not audited (its listeners and logins are)"),
}
# Modules that serve sections at run time instead of (before) the static XML.
RUNTIME_SOURCES = {"xml_curl.conf": "mod_xml_curl", "lua.conf": "mod_lua"}
SECTION_NAMES = ("configuration", "directory", "dialplan", "chatplan", "languages", "phrases", "channels")
FS_SECRET_KEYS = {"a1-hash", "vm-a1-hash", "auth-pass"}  # auth-pass: mod_xml_rpc's password
RUNTIME_KEY = "(runtime)"   # settings key listing the secret keys whose value exists only at run time
# A secret that is only a template placeholder is filled in at deployment: its real shape is unknown.
_PLACEHOLDER = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]{0,80}|\$\{[A-Za-z_][A-Za-z0-9_.]{0,80}\}|\{\{[^{}]{1,80}\}\}")
MAX_LISTED = 20
MAX_PARSED_DOMAINS = 16  # profile <domain parse="true"> entries whose directory gateways are read
MAX_WALK_ENTRIES = 10_000

# What FreeSWITCH's packaged freeswitch.xml (conf/vanilla) includes: a tree without freeswitch.xml
# is read as if it were there.
VANILLA_ROOT = """<document type="freeswitch/xml">
  <X-PRE-PROCESS cmd="include" data="vars.xml"/>
  <section name="configuration" description="Various Configuration">
    <X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>
{sofia}  </section>
  <section name="dialplan" description="Regex/XML Dialplan">
    <X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>
  </section>
  <section name="chatplan" description="Regex/XML Chatplan">
    <X-PRE-PROCESS cmd="include" data="chatplan/*.xml"/>
  </section>
  <section name="directory" description="User Directory">
    <X-PRE-PROCESS cmd="include" data="directory/*.xml"/>
  </section>
  <section name="languages" description="Language Management">
    <X-PRE-PROCESS cmd="include" data="lang/*/*.xml"/>
  </section>
</document>
"""
# sip_profiles/ without autoload_configs/sofia.conf.xml: what the vanilla sofia.conf.xml would add.
VANILLA_SOFIA = """    <configuration name="sofia.conf">
      <profiles>
        <X-PRE-PROCESS cmd="include" data="sip_profiles/*.xml"/>
      </profiles>
    </configuration>
"""
ASSUMED_ROOT = "freeswitch.xml (assumed: the packaged one)"


class FreeSwitchFacts(PlatformFacts, tag="freeswitch", kw_only=True):
    platform: ClassVar[str] = "freeswitch"
    flavor: Literal["freeswitch", "fusionpbx"] = "freeswitch"
    unresolved_variables: list[str] = []  # noqa: RUF012 (msgspec copies mutable defaults; the saved schema keeps "default": [])
    host: Optional[HostEvidence] = None  # None: no host evidence (mounts, backup jobs) was collected

    def resource_errors(self, name: str) -> list[tuple[str, str]]:
        """A part's own gaps, plus the document's (outside every part: they concern every part)."""
        out = super().resource_errors(name)
        root = self.configs.get(ROOT)
        if name in PARTS and root is not None and root.fatal_problem is None:
            gap = describe_gaps(root.problems)
            if gap:
                out.append((f"(unread parts of {ROOT})", gap))
        return out


# libpq / MariaDB connection-string keywords (key=value, blank- or ';'-separated, values maybe quoted)
_DSN_KV_RE = re.compile(r"(?:^|[\s;])(password|pwd|user|uid|username)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s;]*)",
                        re.IGNORECASE)
MAX_DSN_CHARS = 4096
MAX_CDR_URLS = 20  # mod_xml_cdr.c / mod_json_cdr.c MAX_URLS


def dsn_credentials(dsn: str) -> tuple[str, str, str | None]:
    """(database kind, user, password) of a FreeSWITCH database DSN: a URI ("postgresql://user:pw@host/db",
    also after "pgsql://"), libpq or MariaDB keywords ("pgsql://hostaddr=... user=x password='y'",
    "mariadb://Server=...;Uid=x;Pwd=y"), or ODBC's "dsn:user:password" (switch_odbc.c). The password is
    None when the DSN names none (the database then authenticates otherwise: .pgpass, trust, peer)."""
    text = dsn.strip()[:MAX_DSN_CHARS]
    scheme, sep, rest = text.partition("://")
    kind = scheme.lower() if sep and scheme.replace("_", "").isalnum() else "odbc"
    inner, nested, _ = rest.partition("://")
    if sep and nested and inner.replace("_", "").isalnum():  # "pgsql://postgresql://user:pw@host/db"
        return (kind, *dsn_credentials(rest)[1:])
    creds = inline_credentials(text)
    if creds:
        return kind, creds[0][0], creds[0][1]
    found: dict[str, str] = {}
    for m in _DSN_KV_RE.finditer(rest if sep else text):
        key, value = m.group(1).lower(), m.group(2)
        if value.startswith("'") and value.endswith("'") and len(value) >= 2:
            value = value[1:-1].replace("\\'", "'").replace("\\\\", "\\")
        found["password" if key in {"password", "pwd"} else "user"] = value
    if found:
        return kind, found.get("user", ""), found.get("password") or None
    if kind == "odbc" and "=" not in text:  # ODBC "dsn:user:password"
        fields = (rest if sep else text).split(":", 2)
        if len(fields) == 3:
            return kind, fields[1], fields[2] or None
    return kind, "", None


MAX_DSN_HOSTS = 8      # libpq takes a comma-separated host list: the servers kept of one DSN
MAX_RAYO_ELEMENTS = 200  # mod_rayo users and listeners kept (bounded facts on any input)
MAX_VERTO_BIND = 25      # mod_verto.h MAX_BIND: further bind-local params are refused ("Max Bindings Reached!")
MAX_VERTO_PROFILES = 200
# DSN "server" values: where a database DSN connects
LOCAL, REMOTE, ODBC, RUNTIME, UNKNOWN = "local", "remote", "odbc", "runtime", "unknown"


def _libpq_keywords(text: str) -> dict[str, str]:
    """libpq conninfo_parse(): ``key = value`` pairs, blank-separated, a value maybe '...' quoted, a backslash
    escaping the next character; a later keyword replaces an earlier one. One pass over the text (linear)."""
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        start = i
        while i < n and text[i] != "=" and not text[i].isspace():
            i += 1
        key = text[start:i].lower()
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            break  # libpq: "missing = after keyword": the whole DSN is refused
        i += 1
        while i < n and text[i].isspace():
            i += 1
        value: list[str] = []
        quoted = i < n and text[i] == "'"
        i += 1 if quoted else 0
        while i < n and (text[i] != "'" if quoted else not text[i].isspace()):
            if text[i] == "\\" and i + 1 < n:
                i += 1
            value.append(text[i])
            i += 1
        i += 1 if quoted else 0
        if key:
            out[key] = "".join(value)
    return out


def _split_hosts(value: str) -> list[str]:
    """The servers of a libpq host list ("h1,h2:5433", "[::1]:5432"): ports dropped, empty entries skipped."""
    hosts: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if part.startswith("["):
            part = part[1:].partition("]")[0]
        elif part.count(":") == 1:
            part = part.partition(":")[0]
        if part:
            hosts.append(part)
    return hosts


def _pg_servers(conninfo: str) -> tuple[str, list[str]]:
    """(LOCAL or REMOTE, servers) of a libpq connection string: a URI's host list (and its ``host=`` /
    ``hostaddr=`` query parameters), or the ``hostaddr`` (else ``host``) keyword. No host, or a path (a
    directory holding the Unix socket), is this machine."""
    scheme, sep, rest = conninfo.partition("://")
    if sep and scheme.lower() in ("postgres", "postgresql"):
        netloc, _, query = rest.partition("?")
        netloc = netloc.partition("/")[0].rpartition("@")[2]
        params = {k.lower(): v for k, _, v in (q.partition("=") for q in query.split("&"))}
        value = params.get("hostaddr") or params.get("host") or netloc
    else:
        kw = _libpq_keywords(conninfo)
        value = kw.get("hostaddr") or kw.get("host") or ""
    hosts = [h for h in _split_hosts(value) if not h.startswith(("/", "@", "%2f", "%2F"))]
    return (REMOTE, hosts[:MAX_DSN_HOSTS]) if hosts else (LOCAL, [])


def dsn_server(dsn: str, libpq: bool = False) -> tuple[str, list[str], str]:
    """Where a FreeSWITCH database DSN connects, as switch_core_sqldb.c _switch_cache_db_get_db_handle_dsn_ex()
    dispatches it: (LOCAL|REMOTE|ODBC|RUNTIME|UNKNOWN, servers, the ODBC data source's name).

    ``pgsql://`` (mod_pgsql: libpq keywords or a postgresql:// URI), ``mariadb://`` (mod_mariadb
    mariadb_dsn.cpp: ``;``-separated keys, ``server``/``host``, the last one counting; none is localhost),
    ``sqlite://`` and a plain name (a SQLite file) are read from the DSN; ``odbc://`` and ``dsn:user:password``
    connect to an ODBC data source whose server is in odbc.ini; a DSN whose form is set only on the running
    host is RUNTIME; any other scheme (a database module the audit does not know) UNKNOWN. ``libpq``: the
    text goes to PQconnectdb() as it is (mod_cdr_pg_csv's db-info)."""
    text = dsn.strip()[:MAX_DSN_CHARS]
    scheme, sep, rest = text.partition("://")
    low = scheme.lower()
    if "\x01" in (scheme if sep else text if libpq else text.partition(":")[0]):
        return RUNTIME, [], ""
    if libpq:
        return (*_pg_servers(text), "")
    if sep and low in ("pgsql", "postgres", "postgresql"):
        return (*_pg_servers(rest if low == "pgsql" else text), "")
    if sep and low == "mariadb":
        host = ""
        for item in rest.split(";"):
            key, eq, value = item.partition("=")
            if eq and key.strip().lower() in ("server", "host"):
                host = value.partition("=")[0]
        hosts = _split_hosts(host)[:1]
        return (REMOTE, hosts, "") if hosts else (LOCAL, [], "")
    if sep and low == "sqlite":
        return LOCAL, [], ""
    if sep and low == "odbc":
        return ODBC, [], rest.partition(":")[0]
    if sep:
        return UNKNOWN, [], ""
    if ":" in text[2:]:
        return ODBC, [], text.partition(":")[0]
    return LOCAL, [], ""  # a core database file name


def _switch_true(value: str | None) -> bool:
    """switch_true(): yes, on, true, t, enabled, active, allow and non-zero numbers."""
    v = (value or "").strip().lower()
    return v in {"yes", "on", "true", "t", "enabled", "active", "allow"} or (v.isdigit() and v.strip("0") != "")


class _Builder:
    def __init__(self, conf_dir: Path, doc: FsDocument, assumed: bool) -> None:
        self.conf_dir = conf_dir
        self.doc = doc
        self.assumed = assumed
        self.facts = FreeSwitchFacts()
        self.password_tracker = SharedSecretTracker("shared-password")
        self.vm_tracker = SharedSecretTracker("shared-vm-password")
        self.part_problems: dict[str, list[Problem]] = {p: [] for p in PARTS}
        self.root_problems: list[Problem] = []
        self.spans: list[tuple[int, int, str]] = []     # (start, end, part) of the elements each part reads
        self.found: dict[str, bool] = {p: False for p in PARTS}
        self.modules: set[str] | None = None            # loaded modules, None when not known
        self.read_sections: list[Element] = []
        self.skipped: list[tuple[int, int]] = []       # spans not read, each already reported (or irrelevant)
        self.parsed_domains: list[tuple[str, str]] = []  # (profile, directory domain or "all") with parse="true"
        self.gateway_names: set[tuple[str, str]] = set()

    # -- problems -----------------------------------------------------------------------------------
    def at(self, el: Element) -> tuple[str, int]:
        return self.doc.where(el.pos)

    def note(self, part: str | None, el: Element | None, message: str, gap: bool = False) -> None:
        file, line = self.at(el) if el is not None else (self.doc.root_file, 0)
        p = Problem(file, line, message, False, note=not gap)
        (self.part_problems[part] if part else self.root_problems).append(p)

    def skip(self, el: Element) -> None:
        """An element the audit does not read, and says so: neither misplaced nor a file read for nothing."""
        el.used = True
        self.skipped.append((el.pos, el.end))

    def part_of(self, pos: int) -> str | None:
        """The part whose element holds a problem's offset (one recorded at an element's very start
        happened before it: an include that failed just before it)."""
        for start, end, part in self.spans:
            if start < pos < end:
                return part
        return None

    # -- objects ------------------------------------------------------------------------------------
    def obj(self, kind: str, name: str, el: Element, pairs: list[tuple[str, str, Element]],
            identity: str = "") -> tuple[ConfigObject, dict[str, str]]:
        file, line = self.at(el)
        settings: dict[str, list[dict]] = {}
        secrets: dict[str, SecretInfo] = {}
        raw_secrets: dict[str, str] = {}
        runtime: dict[str, tuple[str, int]] = {}   # secret keys whose last value exists only at run time
        for key, value, src in pairs:
            f, ln = self.at(src)
            key = key.lower()
            if is_secret_key(key) or key in FS_SECRET_KEYS:
                secrets.pop(key, None)
                raw_secrets.pop(key, None)
                runtime.pop(key, None)
                if "\x01" in value or _PLACEHOLDER.fullmatch(value.strip()):  # set on the running host (exec-set,
                    # env-set, a core variable) or by a deployment template ($NAME, ${NAME}, {{ name }}): unknown
                    runtime[key] = (f, ln)
                else:
                    raw_secrets[key] = value
                    secrets[key] = describe_secret(value, identity or name, SourceRef(file=f, line=ln))
            else:
                settings.setdefault(key, []).append({"value": runtime_value(value), "file": f, "line": ln})
        if runtime:
            settings[RUNTIME_KEY] = [{"value": k, "file": f, "line": ln} for k, (f, ln) in runtime.items()]
        o = ConfigObject.of({"kind": kind, "name": name, "source": {"file": file, "line": line},
                                         "settings": settings, "secrets": secrets})
        self.facts.objects.append(o)
        return o, raw_secrets

    @staticmethod
    def pairs(container: Element | None, tag: str = "param") -> list[tuple[str, str, Element]]:
        if container is None:
            return []
        return [(p.get("name") or "", p.get("value") or "", p) for p in container.children if p.tag == tag]

    def configuration(self, el: Element, name: str) -> None:
        self.obj("freeswitch.configuration", name, el, [])

    # -- the document -------------------------------------------------------------------------------
    def build(self) -> FreeSwitchFacts:
        doc = self.doc
        root = doc.root
        if root is not None:
            root.used = True
            sections = self.sections(root)
            self.read_sections = [sections[n] for n in ("configuration", "directory") if n in sections]
            conf_sec = sections.get("configuration")
            if conf_sec is not None:
                self.read_configurations(conf_sec)
            dir_sec = sections.get("directory")
            if dir_sec is not None:
                self.spans.append((dir_sec.pos, dir_sec.end, "directory"))
                self.found["directory"] = True
                self.read_directory(dir_sec)
                self.directory_gateways(dir_sec)
            dialplan = sections.get("dialplan")
            if dialplan is not None:
                self.dialplan_srtp(dialplan)
            self.unplaced(root)
        self.assign_problems()
        self.not_included()
        self.record_configs()
        self.password_tracker.assign()
        self.vm_tracker.assign()
        self.facts.unresolved_variables = sorted(doc.used_runtime | {v for v, how in doc.runtime.items() if how != "core"})
        self.facts.objects.sort(key=OBJECT_ORDER)
        self.facts.reindex()
        return self.facts

    def sections(self, root: Element) -> dict[str, Element]:
        """switch_xml_find_child(root, "section", "name", X): the first section of each name."""
        found: dict[str, Element] = {}
        skipped: list[str] = []
        for sec in root.children:
            if sec.tag != "section":
                continue
            sec.used = True
            name = (sec.get("name") or "").lower()
            if name in found:
                self.note(None, sec, f"a second <section name={label(name)!r}>: FreeSWITCH reads only the first "
                          f"(line {self.at(found[name])[1]} of {self.at(found[name])[0]}); this one is not in effect")
                self.skip(sec)
                continue
            found[name] = sec
            if name not in ("configuration", "directory"):
                self.skip(sec)
                if name != "dialplan":
                    skipped.append(label(name) or "(no name)")
        if "dialplan" in found:
            skipped.insert(0, "dialplan (except where it sets rtp_secure_media)")
        if skipped:
            self.note(None, None, f"section(s) not audited (no check reads them): {', '.join(skipped)}")
        return found

    def read_configurations(self, sec: Element) -> None:
        seen: dict[str, Element] = {}
        unread: list[str] = []
        readers = {"sofia.conf": self.sofia, "voicemail.conf": self.voicemail, "logfile.conf": self.logfile,
                   "acl.conf": self.acl, "event_socket.conf": self.settings_part, "xml_rpc.conf": self.xml_rpc,
                   "cdr_csv.conf": self.settings_part, "modules.conf": self.modules_part,
                   "pre_load_modules.conf": self.modules_part, "post_load_modules.conf": self.modules_part,
                   "switch.conf": self.switch_conf, "xml_cdr.conf": self.cdr_upload, "json_cdr.conf": self.cdr_upload,
                   "rayo.conf": self.rayo, "verto.conf": self.verto,
                   **{conf: self.databases for conf in DSN_CONFIGS}}
        for el in sec.children:
            if el.tag != "configuration":
                continue  # FreeSWITCH looks only for <configuration>; the rest is reported as unplaced
            name = (el.get("name") or "").lower()
            if name in seen:
                first = self.at(seen[name])
                self.note(CONF_PART.get(name), el, f"a second <configuration name={label(name)!r}>: FreeSWITCH uses "
                          f"only the first ({first[0]}:{first[1]}); this one is not in effect")
                self.skip(el)
                continue
            seen[name] = el
            _mark(el)
            if name in readers:
                part = CONF_PART[name]
                self.spans.append((el.pos, el.end, part))
                # verto.conf alone does not make sofia.conf present (no sofia profile is then "none")
                self.found[part] = self.found[part] or name not in PARTIAL_GAPS
                self.configuration(el, name)
                readers[name](el, name)
        # module-dependent ones once the loaded modules are known (not when their configuration has a problem)
        if any(not p.note and any(s < pos < e for s, e, part in self.spans if part == "modules.conf.xml")
               for pos, p in self.doc.problems):
            self.modules = None
        for name, el in seen.items():
            if name in PARTIAL_GAPS:
                part, module, what = PARTIAL_GAPS[name]
                if self.modules is None or module in self.modules:
                    self.note(part, el, f"configuration {label(name)}: {what}", gap=True)
                else:
                    unread.append(label(name))
                continue
            if name in readers:
                continue
            self.skip(el)
            if name in RUNTIME_SOURCES:
                self.configuration(el, name)
                self.runtime_source(el, name)
            elif name in UNREAD_GAPS:
                part, module, what = UNREAD_GAPS[name]
                if self.modules is not None and module not in self.modules:
                    unread.append(label(name))
                    continue
                self.note(part, el, f"configuration {label(name)} ({what}) is not audited", gap=True)
                self.spans.append((el.pos, el.end, part))
            else:
                unread.append(label(name) or "(no name)")
        if unread:
            shown = ", ".join(unread[:40]) + (f" and {len(unread) - 40} more" if len(unread) > 40 else "")
            self.note(None, None, f"{len(unread)} configuration(s) not audited (no check reads them, or their module "
                      f"is not loaded): {shown}")

    # -- parts --------------------------------------------------------------------------------------
    def sofia(self, cfg: Element, _name: str) -> None:
        glob = cfg.child("global_settings")
        if glob is not None:
            self.obj("sofia.global", "sofia.conf", glob, self.pairs(glob))
        profiles = cfg.child("profiles")
        self.extra(cfg, "profiles", "sofia")
        if profiles is None:
            return
        names: set[str] = set()
        for prof in profiles.children_named("profile"):
            name = prof.get("name") or "?"
            if name.lower() in names:
                self.note("sofia", prof, f"a second sofia profile named {label(name)!r}: FreeSWITCH cannot start it")
            names.add(name.lower())
            self.extra(prof, "settings", "sofia")
            self.obj("sofia.profile", name, prof, self.pairs(prof.child("settings")))
            self.gateways(prof.child("gateways"), name)
            domains = prof.child("domains")
            for dom in domains.children_named("domain") if domains is not None else []:
                if dom.get("name") and _switch_true(dom.get("parse")):
                    self.parsed_domains.append((name, dom.get("name") or ""))

    def gateways(self, gateways: Element | None, profile: str) -> None:
        """sofia.c parse_gateways(): each <gateway> of a profile's <gateways> (or of a directory user's)."""
        for gw in gateways.children_named("gateway") if gateways is not None else []:
            gw_name = gw.get("name") or "?"
            key = (profile.lower(), gw_name.lower())
            if key in self.gateway_names:
                continue  # sofia.c parse_gateways(): "Ignoring duplicate gateway" (same profile and name)
            self.gateway_names.add(key)
            params = gw.child("params")
            o, _ = self.obj("sofia.gateway", gw_name, gw, self.pairs(params if params is not None else gw))
            o.settings.setdefault("profile", []).append(Setting(value=profile, file=o.source.file, line=o.source.line))

    def directory_gateways(self, sec: Element) -> None:
        """A profile's <domain name="all"|"D" parse="true"/>: sofia.c parse_domain_tag() adds the gateways
        of the domain's users (<user> directly in the domain, and in <groups><group><users>)."""
        if not self.parsed_domains:
            return
        by_name: dict[str, list[Element]] = {}      # domain name -> its users' <gateways>, found once
        in_order: list[list[Element]] = []
        for dom in sec.children_named("domain"):
            users = list(dom.children_named("user"))
            for groups in dom.children_named("groups"):
                for group in groups.children_named("group"):
                    for us in group.children_named("users"):
                        users += us.children_named("user")
            found = [gws for user in users for gws in user.children_named("gateways")[:1]]
            by_name.setdefault((dom.get("name") or "").lower(), found)
            in_order.append(found)
        wanted_pairs = list(dict.fromkeys((p, w.lower()) for p, w in self.parsed_domains))
        if len(wanted_pairs) > MAX_PARSED_DOMAINS:  # bounded work on any input: profiles x gateways
            self.note("sofia", None, f"{len(wanted_pairs)} profile <domain parse=\"true\"> entries: the directory "
                      f"gateways of those after the first {MAX_PARSED_DOMAINS} are not read", gap=True)
        for profile, wanted in wanted_pairs[:MAX_PARSED_DOMAINS]:
            for found in in_order if wanted == "all" else [by_name.get(wanted, [])]:
                for gws in found:
                    self.gateways(gws, profile)

    def read_directory(self, sec: Element) -> None:
        names: set[str] = set()
        for el in sec.children:
            if el.tag != "domain":
                continue  # reported as unplaced
            name = el.get("name") or ""
            if name.lower() in names:
                self.note("directory", el, f"a second domain named {label(name)!r}: FreeSWITCH finds only the first")
                self.skip(el)
                continue
            names.add(name.lower())
            _mark(el)
            inherited = self.pairs(el.child("params")) + self.pairs(el.child("variables"), tag="variable")
            self.obj("directory.domain", name or "?", el, inherited)
            self.domain_users(el, inherited)

    def domain_users(self, domain: Element, inherited: list) -> None:
        """switch_xml_locate_user_in_domain(): users of <groups> when the domain has them, else of <users>,
        else the domain's own <user> children; a pointer is not a user; the first id wins."""
        reached: list[tuple[Element, Element | None]] = []
        groups = domain.child("groups")
        if groups is not None:
            for group in groups.children_named("group"):
                users = group.child("users")
                reached += [(u, group) for u in (users.children_named("user") if users is not None else [])]
        else:
            users = domain.child("users")
            reached = [(u, None) for u in (users if users is not None else domain).children_named("user")]
        ids: set[str] = set()
        seen: set[int] = set()
        for user, group in reached:
            seen.add(id(user))
            if (user.get("type") or "").lower() == "pointer":
                continue
            uid = user.get("id") or "?"
            if uid.lower() in ids:
                self.note("directory", user, f"a second user {label(uid)!r} in this domain: FreeSWITCH finds only "
                          "the first")
                continue
            ids.add(uid.lower())
            group_pairs = (self.pairs(group.child("params")) + self.pairs(group.child("variables"), tag="variable")
                           if group is not None else [])
            own = self.pairs(user.child("params")) + self.pairs(user.child("variables"), tag="variable")
            o, raw = self.obj("directory.user", uid, user, inherited + group_pairs + own, identity=uid)
            if "password" in raw:
                self.password_tracker.add(raw["password"], o.secrets["password"])
            if "vm-password" in raw:
                self.vm_tracker.add(raw["vm-password"], o.secrets["vm-password"])
        stray = [u for u in domain.walk() if u.tag == "user" and id(u) not in seen
                 and (u.get("type") or "").lower() != "pointer"]
        if stray:
            where = "the domain has <groups>, so only users in <groups><group><users> are" if groups is not None \
                else "only users in the domain's <users> (or directly in the domain) are"
            self.note("directory", stray[0], f"{len(stray)} user(s) here are never found by FreeSWITCH ({where} "
                      "looked up); not in effect")

    def voicemail(self, cfg: Element, _name: str) -> None:
        profiles = cfg.child("profiles")
        for prof in profiles.children_named("profile") if profiles is not None else []:
            email = prof.child("email")
            own = self.pairs(prof)
            # load_profile(): switch_xml_config_parse() of the profile's params: the first odbc-dsn counts
            dsn = next(((k, v, e) for k, v, e in own if k.lower() == "odbc-dsn"), None)
            pairs = [p for p in own if p[0].lower() != "odbc-dsn"] + [(f"email.{k}", v, e) for k, v, e in self.pairs(email)]
            self.obj("voicemail.profile", prof.get("name") or "?", prof, pairs)
            if dsn is not None and dsn[1].strip():
                self.dsn_object("mod_voicemail", f"voicemail.conf profile {prof.get('name') or '?'}", *dsn)

    def logfile(self, cfg: Element, _name: str) -> None:
        profiles = cfg.child("profiles")
        for prof in profiles.children_named("profile") if profiles is not None else []:
            mappings = prof.child("mappings")
            maps = [(f"map.{m.get('name') or ''}", m.get("value") or "", m)
                    for m in (mappings.children_named("map") if mappings is not None else [])]
            self.obj("logfile.profile", prof.get("name") or "?", prof, self.pairs(prof.child("settings")) + maps)

    def acl(self, cfg: Element, _name: str) -> None:
        lists = cfg.child("network-lists")
        for lst in lists.children_named("list") if lists is not None else []:
            nodes = [(f"node.{i}", f"{n.get('type') or ''} {n.get('cidr') or n.get('domain') or n.get('host') or ''}", n)
                     for i, n in enumerate(lst.children_named("node"))]
            self.obj("acl.list", lst.get("name") or "?", lst, [("default", lst.get("default") or "", lst)] + nodes)

    def settings_part(self, cfg: Element, name: str) -> None:
        part = CONF_PART[name]
        settings = cfg.child("settings")
        self.obj(part.replace(".conf.xml", "") + ".settings", part, settings if settings is not None else cfg,
                 self.pairs(settings))

    def switch_conf(self, cfg: Element, name: str) -> None:
        """switch_core.c switch_load_core_config(): the last non-empty core-db-dsn counts. The DSN itself
        is never kept (it holds the database password): only its kind, and its password and user as a
        secret judged against that user."""
        settings = cfg.child("settings")
        pairs: list[tuple[str, str, Element]] = []
        dsn: tuple[str, Element] | None = None
        for key, value, el in self.pairs(settings):
            if key.lower().endswith("dsn"):
                if key.lower() == "core-db-dsn" and value:
                    dsn = (value, el)
                continue
            pairs.append((key, value, el))
        user = ""
        if dsn is not None:
            more, user = self.dsn_pairs("core-db-dsn", *dsn)
            pairs += more
        self.obj("switch.settings", CONF_PART[name], settings if settings is not None else cfg, pairs,
                 identity="" if "\x01" in user else user)

    @staticmethod
    def dsn_pairs(prefix: str, value: str, el: Element, libpq: bool = False) -> tuple[list[tuple[str, str, Element]], str]:
        """A DSN as settings that never hold it whole (it holds the password): ``prefix`` its kind,
        ``.password`` a secret, ``.server`` where it connects (dsn_server), ``.host`` each server, ``.odbc``
        the ODBC data source's name (when it is a plain name: anything else may be a secret typed there). Also
        the user it logs in as (the password is judged against it). ``libpq``: a bare libpq conninfo."""
        kind, user, password = dsn_credentials(value)
        server, hosts, odbc = dsn_server(value, libpq)
        pairs = [(prefix, "pgsql" if libpq else kind, el), (f"{prefix}.server", server, el)]
        if password is not None:
            pairs.append((f"{prefix}.password", password, el))
        elif "\x01" in value:  # the DSN (or its credentials) exists only on the running host
            pairs.append((f"{prefix}.password", "\x01", el))
        pairs += [(f"{prefix}.host", host, el) for host in hosts]
        if 0 < len(odbc) <= 64 and all(c.isalnum() or c in "-_." for c in odbc):
            pairs.append((f"{prefix}.odbc", odbc, el))
        return pairs, user

    def databases(self, cfg: Element, name: str) -> None:
        """The DSN of a module of DSN_CONFIGS, read as that module reads its <settings> (see DSN_CONFIGS): one
        ``database.dsn`` object when one is set (without one the module keeps a local SQLite file)."""
        module, params, which = DSN_CONFIGS[name]
        chosen: tuple[str, str, Element] | None = None
        for key, value, el in self.pairs(cfg.child("settings")):
            if key.lower() not in params:
                continue
            if which == "first":
                chosen = chosen or (key, value, el)
            elif which == "last" or value:
                chosen = (key, value, el)
        if chosen is not None and chosen[1].strip():
            self.dsn_object(module, name, *chosen)

    def dsn_object(self, module: str, name: str, key: str, value: str, el: Element) -> None:
        pairs, user = self.dsn_pairs("dsn", value, el, libpq=module == "mod_cdr_pg_csv")
        self.obj("database.dsn", name, el, [("module", module, el), ("param", key.lower(), el), *pairs],
                 identity="" if "\x01" in user else user)

    def rayo(self, cfg: Element, name: str) -> None:
        """mod_rayo do_config() (mod_rayo.c, read at freeswitch 07572484, before its removal from the tree):
        the first <domain> is the XMPP server (no name: do_config fails and the module does not load); its
        ``shared-secret`` (server dialback), ``cert`` and ``key`` (with both, client streams must STARTTLS);
        <users><user name password> log clients in (SASL PLAIN; a later user of a name replaces the earlier);
        each <listen type="c2s|s2s" address port acl> is a listener (a wrong type, no address or a non-numeric
        port fails do_config); each <connect> an outbound server connection."""
        part = CONF_PART[name]
        self.extra(cfg, "domain", part)
        domain = cfg.child("domain")
        if domain is None:
            return  # no <domain>: mod_rayo serves nobody
        dname = domain.get("name") or ""
        tls = bool(domain.get("cert")) and bool(domain.get("key"))
        if not dname:
            self.note(part, domain, "<domain> has no name: mod_rayo's do_config() fails and the module does not "
                      "load; not assessed", gap=True)
            return
        self.obj("rayo.domain", dname, domain, [("shared-secret", domain.get("shared-secret") or "", domain),
                                               ("tls", "yes" if tls else "no", domain)])
        users: dict[str, Element] = {}
        listens = list(domain.children_named("listen"))
        lists = domain.children_named("users")[:1]
        for u in lists[0].children_named("user") if lists else []:
            users.pop(u.get("name") or "", None)
            users[u.get("name") or ""] = u   # xmpp_stream_context_add_user(): a hash insert, the last one stays
        for el in [*users.values(), *listens][MAX_RAYO_ELEMENTS:MAX_RAYO_ELEMENTS + 1]:
            self.note(part, el, f"more than {MAX_RAYO_ELEMENTS} rayo users and listeners: the rest are not read",
                      gap=True)
        for uname, u in list(users.items())[:MAX_RAYO_ELEMENTS]:
            self.obj("rayo.user", uname or "?", u, [("password", u.get("password") or "", u),
                                                   ("domain", dname, u)], identity=uname)
        for el in listens[:MAX_RAYO_ELEMENTS]:
            kind, address, port = (el.get("type") or ""), (el.get("address") or ""), (el.get("port") or "")
            if kind not in ("c2s", "s2s") or not address or (port and "\x01" not in port and not port.isdigit()):
                self.note(part, el, "a <listen> with a type other than c2s or s2s, no address or a port that is "
                          "not a number: mod_rayo's do_config() fails (the module does not load, after starting "
                          "the listeners before it); not assessed", gap=True)
                continue
            self.obj("rayo.listen", f"{kind} {runtime_value(address)}:{port or ('5222' if kind == 'c2s' else '5269')}", el,
                     [("type", kind, el), ("address", address, el), ("port", port, el), ("acl", el.get("acl") or "", el),
                      ("tls", "yes" if tls and kind == "c2s" else "no", el)])
        for el in domain.children_named("connect")[:MAX_RAYO_ELEMENTS]:
            self.obj("rayo.connect", runtime_value(el.get("address") or el.get("domain") or "?"), el,
                     [("address", el.get("address") or "", el), ("domain", el.get("domain") or "", el),
                      ("port", el.get("port") or "", el)])

    def verto(self, cfg: Element, name: str) -> None:
        """mod_verto parse_config() (mod_verto.c): each <profiles><profile name> (no name, or a name already
        taken: refused, "Profile %s already exists") reads its <param>s in order; every ``bind-local``
        "ip:port" (parse_ip()) is one WebSocket listener, TLS (WSS) only when the param has
        ``secure="true"`` (switch_true()), up to MAX_BIND of them. Only the listeners are kept as facts
        (``verto.listen``) with the profile's login settings (``verto.profile``: ``userauth``, ``blind-reg``,
        ``root-password``); the TLS of the secure listeners is a gap (PARTIAL_GAPS)."""
        part = CONF_PART[name]
        self.extra(cfg, "profiles", part)
        profiles = cfg.child("profiles")
        names: set[str] = set()
        for prof in (profiles.children_named("profile") if profiles is not None else [])[:MAX_VERTO_PROFILES]:
            pname = prof.get("name") or ""
            if not pname or pname.lower() in names:
                self.note(part, prof, "a verto profile without a name, or with the name of an earlier one: "
                          "mod_verto refuses it; not in effect")
                continue
            names.add(pname.lower())
            # the login settings: each non-empty one assigns (``!zstr(val)``), the last one stays
            login = {k: (v, el) for k, v, el in self.pairs(prof)
                     if k.lower() in ("userauth", "blind-reg", "root-password") and v}
            self.obj("verto.profile", pname, prof, [(k, v, el) for k, (v, el) in login.items()],
                     identity=f"verto profile {pname}")
            binds = [p for p in prof.children_named("param") if (p.get("name") or "").lower() == "bind-local"]
            for el in binds[MAX_VERTO_BIND:MAX_VERTO_BIND + 1]:
                self.note(part, el, f"more than {MAX_VERTO_BIND} bind-local in verto profile {label(pname)!r}: "
                          "mod_verto refuses the rest (Max Bindings Reached); not in effect")
            for el in binds[:MAX_VERTO_BIND]:
                value = el.get("value") or ""
                host, sep, port = value.strip().rpartition(":")
                if not sep:
                    host, port = value.strip(), ""
                secure = "yes" if _switch_true(el.get("secure")) else "no"
                self.obj("verto.listen", f"{pname} {runtime_value(value)}", el,
                         [("profile", pname, el), ("address", host.strip().strip("[]"), el), ("port", port.strip(), el),
                          ("secure", secure, el)])

    def cdr_upload(self, cfg: Element, name: str) -> None:
        """mod_xml_cdr / mod_json_cdr do_config(): each non-empty ``url`` param is one more destination (at
        most MAX_CDR_URLS, "maximum urls configured!" past them), the last non-empty ``cred`` ("user:password")
        logs into all of them. A URL is kept without any ``user:password@`` it carries; the password is a
        secret judged against the user."""
        settings = cfg.child("settings")
        pairs: list[tuple[str, str, Element]] = []
        urls = 0
        cred: tuple[str, Element] | None = None
        for key, value, el in self.pairs(settings):
            low = key.lower()
            if low == "url" and value:
                if urls >= MAX_CDR_URLS:
                    self.note("cdr_csv.conf.xml", el, f"more than {MAX_CDR_URLS} url params: {label(name)}'s module "
                              "refuses the rest (\"maximum urls configured!\"); not in effect")
                    continue
                for _user, password in inline_credentials(value)[:1]:
                    pairs.append((f"url.{urls}.password", password, el))
                pairs.append((f"url.{urls}", redact_inline_credentials(value), el))
                urls += 1
            elif low == "cred":
                if value:
                    cred = (value, el)
            elif not is_secret_key(low):
                pairs.append((key, value, el))
        user = ""
        if cred is not None:
            user, _, password = cred[0].partition(":")
            pairs.append(("cred.password", password, cred[1]))
        self.obj("cdr.upload", name, settings if settings is not None else cfg, pairs,
                 identity="" if "\x01" in user else user)

    def xml_rpc(self, cfg: Element, name: str) -> None:
        """mod_xml_rpc's do_config(): the last non-empty value of each <settings> param counts (an
        empty value is skipped); the password is judged against auth-user, the account it belongs to."""
        settings = cfg.child("settings")
        pairs = [(k, v, el) for k, v, el in self.pairs(settings) if k and v]
        user = next((v for k, v, _ in reversed(pairs) if k.lower() == "auth-user"), "")
        self.obj("xml_rpc.settings", CONF_PART[name], settings if settings is not None else cfg, pairs,
                 identity="" if "\x01" in user else user)

    def modules_part(self, cfg: Element, _name: str) -> None:
        mods = cfg.child("modules")
        if self.modules is None:
            self.modules = set()
        for load in mods.children_named("load") if mods is not None else []:
            module = load.get("module") or "?"
            self.modules.add(module)
            self.obj("modules.load", module, load, [])

    def extra(self, parent: Element, tag: str, part: str) -> None:
        """FreeSWITCH reads only the first <tag> of ``parent`` (switch_xml_child)."""
        more = parent.children_named(tag)[1:]
        if more:
            self.note(part, more[0], f"a second <{tag}> here: FreeSWITCH reads only the first; not in effect")

    def runtime_source(self, cfg: Element, name: str) -> None:
        """mod_xml_curl bindings and mod_lua's xml-handler serve sections at run time, before the static XML."""
        module = RUNTIME_SOURCES[name]
        bound: set[str] = set()
        if name == "xml_curl.conf":
            bindings = cfg.child("bindings")
            for binding in bindings.children_named("binding") if bindings is not None else []:
                for p in binding.children_named("param"):
                    if (p.get("name") or "").lower() == "gateway-url":
                        mask = (p.get("bindings") or "").lower()
                        bound |= {s for s in SECTION_NAMES if s in mask}
        else:
            handler = ""
            settings = cfg.child("settings")
            for p in settings.children_named("param") if settings is not None else []:
                if p.get("name") == "xml-handler-script":
                    handler = p.get("value") or ""
                    if "app.lua" in handler:
                        self.facts.flavor = "fusionpbx"
                elif p.get("name") == "xml-handler-bindings" and handler:
                    bound |= {s for s in SECTION_NAMES if s in (p.get("value") or "").lower()}
        bound &= {"configuration", "directory"}
        if not bound:
            return
        if self.modules is not None and module not in self.modules:
            self.note(None, cfg, f"{label(name)} binds {', '.join(sorted(bound))} but {module} is not loaded; "
                      "FreeSWITCH uses the static XML")
            return
        parts = ["directory"] if "directory" in bound else []
        # a configuration whose module does not load is asked for by nobody, whoever could serve it
        parts += [p for p in CONFIGURATION_PARTS if p not in PART_MODULES or self.modules is None
                  or PART_MODULES[p] in self.modules] if "configuration" in bound else []
        for part in parts:
            self.note(part, cfg, f"{module} ({label(name)}) serves the {'directory' if part == 'directory' else 'configuration'} "
                      "section at run time, before this XML: what FreeSWITCH uses may differ from what is audited",
                      gap=True)

    def dialplan_srtp(self, sec: Element) -> None:
        """rtp_secure_media set or exported in the dialplan: it decides SRTP per call, under conditions the
        audit does not evaluate (FS-SRTP-101 says so instead of judging from the directory alone)."""
        for el in sec.walk():
            if el.tag not in ("action", "anti-action") or (el.get("application") or "").lower() not in ("set", "export"):
                continue
            var, eq, value = (el.get("data") or "").partition("=")
            if eq and var.strip().lower().removeprefix("nolocal:") == "rtp_secure_media":
                pairs = [("value", value, el), ("application", el.get("application") or "", el),
                         ("branch", el.tag, el)]
                cond = el.parent
                if cond is not None and cond.tag == "condition":  # what the call must match for it to apply
                    pairs += [("condition-field", cond.get("field") or "", cond),
                              ("condition-expression", cond.get("expression") or "", cond)]
                self.obj("dialplan.set", "rtp_secure_media", el, pairs)

    def unplaced(self, root: Element) -> None:
        """Elements where FreeSWITCH never looks (a <configuration> outside a section, a <user> outside a
        domain): gaps, since what they say is not in effect and may be believed to be. Only the document's
        children and its sections' children can be such: deeper ones belong to something read or noted."""
        shown: dict[str, int] = {}
        candidates = list(root.children) + [c for sec in self.read_sections for c in sec.children]
        for el in candidates:
            if el.used or el.parent is None or not el.parent.used:
                continue
            part = (CONF_PART.get((el.get("name") or "").lower()) if el.tag == "configuration"
                    else "directory" if el.tag in ("domain", "user", "group", "users", "groups") else None)
            file, _ = self.at(el)
            shown[file] = shown.get(file, 0) + 1
            if shown[file] <= MAX_LISTED:
                self.note(part, el, f"{tag_label(el.tag)} directly in {tag_label(el.parent.tag)}: FreeSWITCH never "
                          "reads it there; not in effect", gap=True)
        for file, count in shown.items():
            if count > MAX_LISTED:
                self.root_problems.append(Problem(file, 0, f"{count - MAX_LISTED} more misplaced elements", False))

    # -- bookkeeping --------------------------------------------------------------------------------
    def assign_problems(self) -> None:
        overflow: dict[tuple[str | None, str], int] = {}
        for pos, file in self.doc.overflow_fatal:
            key = (self.part_of(pos), file)
            overflow[key] = overflow.get(key, 0) + 1
        more = [(0 if part is None else next(s for s, _, p in self.spans if p == part) + 1,
                 Problem(file, 0, f"{count} more problems that stop reading this file are not listed", True))
                for (part, file), count in overflow.items()]
        for pos, p in self.doc.problems + more:
            part = self.part_of(pos)
            if part is not None:
                self.part_problems[part].append(p)
            elif p.fatal:  # outside every part: the whole document is in doubt
                self.root_problems.append(p)
                for problems in self.part_problems.values():
                    problems.append(p)
            else:
                self.root_problems.append(p)

    def not_included(self) -> None:
        """XML files in the tree that the document never includes: FreeSWITCH does not read them (a note);
        with an assumed root the audit may have missed them (a gap)."""
        read = set(self.doc.files) | self.doc.matched  # what an include matched is reported where it failed
        missed: list[str] = []
        entries = 0
        for dirpath, dirs, names in os.walk(self.conf_dir):
            dirs.sort()
            entries += len(dirs) + len(names)
            if entries > MAX_WALK_ENTRIES:
                break
            for name in sorted(names):
                if name.lower().endswith(".xml"):
                    rel = os.path.relpath(os.path.join(dirpath, name), self.conf_dir)
                    if rel not in read:
                        missed.append(rel)
        if not missed:
            return
        if any(m.startswith("fusionpbx") or "/fusionpbx" in m for m in missed):
            self.facts.flavor = "fusionpbx"
        shown = ", ".join(label(m, 80) for m in missed[:MAX_LISTED]) + \
            (f" and {len(missed) - MAX_LISTED} more" if len(missed) > MAX_LISTED else "")
        if self.assumed:
            self.root_problems.append(Problem(ASSUMED_ROOT, 0, f"{len(missed)} XML file(s) not included by the "
                                              f"assumed freeswitch.xml, so not audited: {shown}", False))
        else:
            self.root_problems.append(Problem(self.doc.root_file, 0, f"{len(missed)} XML file(s) in the tree are not "
                                              f"included by {label(self.doc.root_file)}; FreeSWITCH does not read "
                                              f"them: {shown}", False, note=True))

    def record_configs(self) -> None:
        doc = self.doc
        lines_by_part: dict[str, set[tuple[str, int]]] = {p: set() for p in PARTS}
        files_by_part: dict[str, dict[str, None]] = {p: {} for p in PARTS}
        all_lines: set[tuple[str, int]] = set()
        spans = sorted(self.spans)
        starts = [s for s, _, _ in spans]
        skipped = sorted(self.skipped)
        skipped_starts = [s for s, _ in skipped]
        used = {o.source.file for o in self.facts.objects}
        used |= {s.file for o in self.facts.objects for values in o.settings.values() for s in values}
        first_el: dict[str, Element] = {}   # the first element of each file that nothing read or skipped
        counts: dict[str, int] = {}
        for el in doc.elements:
            where = doc.where(el.pos)
            all_lines.add(where)
            i = bisect.bisect_right(starts, el.pos) - 1
            part = spans[i][2] if i >= 0 and el.pos < spans[i][1] else None
            if part is not None:
                lines_by_part[part].add(where)
                files_by_part[part][where[0]] = None
            j = bisect.bisect_right(skipped_starts, el.pos) - 1
            if el.tag in ("document", "section") or (j >= 0 and el.pos < skipped[j][1]):
                used.add(where[0])
            elif where[0] not in used:
                first_el.setdefault(where[0], el)
                counts[where[0]] = counts.get(where[0], 0) + 1
        for file, el in first_el.items():
            if file not in used:  # present, with elements, and nothing FreeSWITCH reads for the audit came from it
                part = self.part_of(el.pos + 1)
                p = Problem(file, self.at(el)[1], f"{counts[file]} element(s) in this file and none of them is where "
                            "FreeSWITCH reads what the audit checks (misplaced?); not assessed", False)
                (self.part_problems[part] if part else self.root_problems).append(p)
        self.facts.configs[ROOT] = ConfigFileFacts(
            root=ROOT, found=doc.found, files=list(doc.files),
            problems=[ParseProblem.of(p) for p in self.root_problems], content_lines=len(all_lines))
        for part in PARTS:
            self.facts.configs[part] = ConfigFileFacts(
                root=part, found=self.found[part] or (doc.root is None and doc.found),
                files=list(files_by_part[part]), problems=[ParseProblem.of(p) for p in self.part_problems[part]],
                content_lines=len(lines_by_part[part]))


def _mark(el: Element) -> None:
    """Read, or reported as not read: not a misplaced element."""
    el.used = True


def vanilla_root(conf_dir: Path) -> tuple[bytes, bool]:
    """The packaged freeswitch.xml, with sofia.conf's profile include when only sip_profiles/ is there."""
    synth = (conf_dir / "sip_profiles").is_dir() and not (conf_dir / "autoload_configs" / "sofia.conf.xml").exists()
    return VANILLA_ROOT.format(sofia=VANILLA_SOFIA if synth else "").encode(), synth


def build_freeswitch_facts(conf_dir: Path, root_file: str | None = None) -> FreeSwitchFacts:
    """Facts of the document FreeSWITCH would load from ``conf_dir``: ``root_file`` (default
    ``freeswitch.xml``), or the packaged root when the tree has none."""
    conf_dir = Path(conf_dir)
    root_file = root_file or ROOT
    pre = Preprocessor(conf_dir)
    assumed = not os.path.lexists(conf_dir / root_file)
    if assumed:
        text, synth = vanilla_root(conf_dir)
        doc = pre.run(ASSUMED_ROOT, text=text)
        doc.files.remove(ASSUMED_ROOT)
        doc.problems.insert(0, (0, Problem(ASSUMED_ROOT, 0, "no freeswitch.xml in the tree: read as FreeSWITCH's "
                                           "packaged freeswitch.xml includes it (vars.xml, autoload_configs, "
                                           "directory, dialplan)" + ("; sip_profiles/*.xml as the packaged "
                                           "sofia.conf.xml includes them" if synth else ""), False, note=True)))
    else:
        doc = pre.run(root_file)
    b = _Builder(conf_dir, doc, assumed)
    if (conf_dir.parent / "fusionpbx").exists():
        b.facts.flavor = "fusionpbx"
    return b.build()
