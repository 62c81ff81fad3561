"""pjsip_wizard.conf and users.conf, turned into the same facts as hand-written objects.

Asterisk builds ordinary PJSIP objects from ``type = wizard`` sections (res_pjsip_config_wizard.c) and
ordinary chan_sip peers and app_voicemail mailboxes from users.conf (chan_sip.c ``reload_config``,
app_voicemail.c ``actual_load_config``). Building them here as ``pjsip.endpoint``, ``pjsip.auth``,
``sip.peer``, ``voicemail.mailbox``... objects means every check that judges a hand-written object
judges these too, with each setting's own file and line as evidence.

Versions: the auditor does not know which Asterisk reads the tree, so it models the releases that
read these files: users.conf is read by app_voicemail up to Asterisk 22 (removed in 23) and by
chan_sip, which itself is gone from Asterisk 21 on; pjsip_wizard.conf is read from Asterisk 13.2 on.

``auditor.facts.asterisk`` imports this module for its ``ROOT_BUILDERS`` table, so helpers from
there (``_object``) are imported inside the functions that use them.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from voxaudit.facts.common import (
    ConfigObject,
    ParseProblem,
    is_secret_key,
    redact_inline_credentials,
)
from voxaudit.model import SourceRef
from voxaudit.parsers.asterisk_conf import Entry, ParsedConfig, Section
from voxaudit.parsers.problem import label
from voxaudit.secretinfo import SecretInfo, describe_secret

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

WIZARD_ROOT = "pjsip_wizard.conf"
USERS_ROOT = "users.conf"
# Roots pjsip objects come from: a check judging endpoints/auths/aors/registrations/identifies lists
# both, so a gap or an unreadable wizard file makes it ERROR, while a missing one is fine.
PJSIP_OBJECT_SOURCES = ["pjsip.conf", WIZARD_ROOT]

# Bounds: a template shared by many sections is copied into each object built from them, so the
# work is (sections x inherited settings); past this many copied settings a root is not built further.
MAX_EXPANDED_SETTINGS = 2_000_000
MAX_REMOTE_HOSTS = 256  # each host is a registration, a contact and a match

_AST_TRUE = {"yes", "true", "y", "t", "1", "on"}  # main/utils.c ast_true()
_AST_FALSE = {"no", "false", "n", "f", "0", "off"}  # main/utils.c ast_false()

# Options the wizard itself reads (res_pjsip_config_wizard.c); anything else unprefixed is ignored by it.
WIZARD_KEYS = frozenset({
    "type", "transport", "remote_hosts", "outbound_proxy", "sends_auth", "accepts_auth",
    "sends_registrations", "sends_line_with_registrations", "accepts_registrations", "has_phoneprov",
    "server_uri_pattern", "client_uri_pattern", "contact_pattern", "has_hint", "hint_context",
    "hint_exten", "hint_application",
})
WIZARD_PREFIXES = ("endpoint/", "aor/", "inbound_auth/", "outbound_auth/", "identify/", "registration/",
                   "phoneprov/")
_PATTERN_VAR_RE = re.compile(r"\$\{(REMOTE_HOST|USERNAME)\}")


def typed_section(section: Section, known: tuple[str, ...], driver: str, problems: list[ParseProblem]) -> str:
    """A channel driver's ``type=`` of a section (lowercased, as strcasecmp compares), or "" when the driver
    skips the section (no type=, or one it does not know), which a note then says."""
    kind = (section.get("type") or "").strip().lower()
    if kind not in known:
        why = "lacks type=" if not kind else f"has a type {driver} does not know"
        problems.append(ParseProblem(file=section.file, line=section.line, fatal=False, note=True,
                                     message=f"[{label(section.name)}] {why}; {driver} skips it"))
        return ""
    return kind


def ast_true(value: str | None) -> bool:
    """Asterisk's ast_true(): only these words are true; anything else, or nothing, is false."""
    return value is not None and value.lower() in _AST_TRUE


def ast_false(value: str | None) -> bool:
    """Asterisk's ast_false(): an option that defaults to on is off only for these words."""
    return value is not None and value.lower() in _AST_FALSE


def _gap(file: str, line: int, message: str, note: bool = False) -> ParseProblem:
    return ParseProblem(file=file, line=line, message=message, fatal=False, note=note)


class _Budget:
    """How many more settings may be copied into objects built from one root."""

    def __init__(self, limit: int = MAX_EXPANDED_SETTINGS) -> None:
        self.left = limit
        self.exhausted = False

    def take(self, n: int) -> bool:
        """False once the limit is passed (``exhausted`` tells whether that was already said)."""
        if self.left < n:
            return False
        self.left -= n
        return True


def _add_objects(b: BuildContext, built: list[tuple[str, str, list[Entry]]], where: Section,
                 track: bool = True, skip_track: frozenset[str] = frozenset()) -> None:
    """Turn (kind, name, settings) into objects the way ``_object`` turns pjsip.conf sections into
    them (secrets described, never kept), registering secrets with the shared-secret tracker."""
    from voxaudit.facts.asterisk import _object

    for kind, name, entries in built:
        obj, secrets = _object(kind, Section(name=name, file=where.file, line=where.line, entries=entries))
        if track:
            for key, value in secrets.items():
                if key not in skip_track:
                    b.sip_tracker.add(value, obj.secrets[key])
        b.objects.append(obj)


# -- pjsip_wizard.conf ------------------------------------------------------------------------------

def is_wizard(section: Section) -> bool:
    """res_pjsip_config_wizard browses with the filter ``type=^wizard$``: a variable whose name matches
    the regex ``type`` (so contains it) with the value exactly ``wizard`` (case-sensitive)."""
    return any("type" in e.key and e.value == "wizard" for e in section.entries)


class _Wizard:
    """One ``type = wizard`` section and the objects handle_auth/aor/endpoint/identify/registrations/
    phoneprov would create from it, in the order they append their variables (last one wins)."""

    def __init__(self, section: Section, problems: list[ParseProblem]) -> None:
        self.s = section
        self.id = section.name
        self.problems = problems

    def last(self, key: str) -> Entry | None:
        return self.s.entry(key)  # ast_variable_find_last_in_list: case-insensitive, last one

    def true(self, key: str) -> bool:
        e = self.last(key)
        return e is not None and ast_true(e.value)

    def prefixed(self, prefix: str) -> list[Entry]:
        """get_object_variables(): ``prefix/name`` passed on as ``name`` (a bare prefix is skipped)."""
        n = len(prefix)
        return [Entry(e.key[n:], e.value, e.file, e.line, e.op) for e in self.s.entries
                if e.key.startswith(prefix) and len(e.key) > n]

    def made(self, key: str, value: str, at: Entry | None = None) -> Entry:
        """A variable the wizard adds itself, located at the option that caused it (or the header)."""
        return Entry(key, value, at.file if at else self.s.file, at.line if at else self.s.line)

    def gap(self, message: str, at: Entry | None = None) -> None:
        self.problems.append(_gap(at.file if at else self.s.file, at.line if at else self.s.line,
                                  f"[{self.id}] {message}"))

    def remote_hosts(self) -> tuple[list[str], Entry | None]:
        e = self.last("remote_hosts")
        if e is None or not e.value:
            return [], e
        hosts = [h.strip() for h in e.value.split(",", MAX_REMOTE_HOSTS)]
        if len(hosts) > MAX_REMOTE_HOSTS:
            self.gap(f"remote_hosts lists more than {MAX_REMOTE_HOSTS} hosts; only the first "
                     f"{MAX_REMOTE_HOSTS} are assessed", e)
            hosts = hosts[:MAX_REMOTE_HOSTS]
        return hosts, e

    def objects(self) -> list[tuple[str, str, list[Entry]]]:
        out: list[tuple[str, str, list[Entry]]] = []
        hosts, hosts_at = self.remote_hosts()
        proxy = self.last("outbound_proxy")
        transport = self.last("transport")
        sends_auth, accepts_auth = self.last("sends_auth"), self.last("accepts_auth")

        # handle_auths: outbound first; when it fails, the inbound auth is not built either.
        for direction, flag, suffix in (("outbound", "sends_auth", "oauth"), ("inbound", "accepts_auth", "iauth")):
            if not self.true(flag):
                continue
            settings = self.prefixed(f"{direction}_auth/")
            if not any(e.key == "username" for e in settings):
                also = " (nor the inbound one)" if direction == "outbound" and self.true("accepts_auth") else ""
                self.gap(f"{flag}=yes without {direction}_auth/username: Asterisk logs an error and creates no "
                         f"{direction} auth{also}", self.last(flag))
                break
            if not any(e.key == "auth_type" for e in settings):
                settings.append(self.made("auth_type", "userpass", self.last(flag)))
            out.append(("pjsip.auth", f"{self.id}-{suffix}", settings))

        aor = self.prefixed("aor/")
        if proxy is not None and proxy.value:
            aor.append(self.made("outbound_proxy", proxy.value, proxy))
        if not any(e.key == "contact" for e in aor):
            pattern_at = self.last("contact_pattern")
            pattern = pattern_at.value if pattern_at is not None else "sip:${REMOTE_HOST}"
            if pattern:
                aor += [self.made("contact", _substitute(pattern, h, ""), pattern_at or hosts_at) for h in hosts]
        out.append(("pjsip.aor", self.id, aor))

        endpoint = self.prefixed("endpoint/")
        endpoint.append(self.made("aors", self.id))
        if proxy is not None and proxy.value:
            endpoint.append(self.made("outbound_proxy", proxy.value, proxy))
        if transport is not None and transport.value:
            endpoint.append(self.made("transport", transport.value, transport))
        if self.true("sends_auth"):
            endpoint.append(self.made("outbound_auth", f"{self.id}-oauth", sends_auth))
        if self.true("accepts_auth"):
            endpoint.append(self.made("auth", f"{self.id}-iauth", accepts_auth))
        out.append(("pjsip.endpoint", self.id, endpoint))

        # handle_identify: none for registering phones or lines sent with registrations.
        if not (self.true("accepts_registrations") or self.true("sends_line_with_registrations")):
            if not hosts:
                self.gap("neither accepts_registrations nor remote_hosts: Asterisk logs an error and creates "
                         "no identify for it")
            else:
                identify = self.prefixed("identify/")
                identify.append(self.made("endpoint", self.id))
                if not any(e.key == "match" for e in identify):
                    identify += [self.made("match", h, hosts_at) for h in hosts]
                out.append(("pjsip.identify", f"{self.id}-identify", identify))

        if self.true("has_phoneprov"):
            if self.last("phoneprov/mac") is None:
                self.gap("has_phoneprov=yes without phoneprov/MAC: Asterisk creates no phoneprov object",
                         self.last("has_phoneprov"))
            else:
                out.append(("pjsip.phoneprov", f"{self.id}-phoneprov",
                            self.prefixed("phoneprov/") + [self.made("endpoint", self.id)]))

        out += self.registrations(hosts, hosts_at, proxy, transport, sends_auth)
        return out

    def registrations(self, hosts: list[str], hosts_at: Entry | None, proxy: Entry | None,
                      transport: Entry | None, sends_auth: Entry | None) -> list[tuple[str, str, list[Entry]]]:
        """handle_registrations: one registration per remote host, ``<id>-reg-<n>``."""
        if not self.true("sends_registrations"):
            return []
        if not hosts:
            self.gap("sends_registrations=yes without remote_hosts: Asterisk logs an error and creates no "
                     "registration", self.last("sends_registrations"))
            return []
        if self.true("sends_auth"):
            user_at = self.last("outbound_auth/username")
            if user_at is None:
                self.gap("sends_registrations with sends_auth=yes but no outbound_auth/username: Asterisk logs "
                         "an error and creates no registration", self.last("sends_registrations"))
                return []
            username = user_at.value
        else:
            username = self.id
        base = self.prefixed("registration/")
        if proxy is not None and proxy.value:
            base.append(self.made("outbound_proxy", proxy.value, proxy))
        server_at, client_at = self.last("server_uri_pattern"), self.last("client_uri_pattern")
        server = server_at.value if server_at is not None else "sip:${REMOTE_HOST}"
        client = client_at.value if client_at is not None else "sip:${USERNAME}@${REMOTE_HOST}"
        line_at = self.last("sends_line_with_registrations")
        out = []
        for n, host in enumerate(hosts):
            reg = list(base)
            if server:
                reg.append(self.made("server_uri", _substitute(server, host, username), server_at or hosts_at))
            if client:
                reg.append(self.made("client_uri", _substitute(client, host, username), client_at or hosts_at))
            if self.true("sends_auth"):
                reg.append(self.made("outbound_auth", f"{self.id}-oauth", sends_auth))
            if transport is not None and transport.value:
                reg.append(self.made("transport", transport.value, transport))
            if self.true("sends_line_with_registrations"):
                reg += [self.made("line", "yes", line_at), self.made("endpoint", self.id, line_at)]
            out.append(("pjsip.registration", f"{self.id}-reg-{n}", reg))
        return out


def _substitute(pattern: str, host: str, username: str) -> str:
    """The wizard's ``${REMOTE_HOST}`` / ``${USERNAME}`` substitution (one pass, linear)."""
    values = {"REMOTE_HOST": host, "USERNAME": username}
    return _PATTERN_VAR_RE.sub(lambda m: values[m.group(1)], pattern)


def build_wizard(pc: ParsedConfig, b: BuildContext) -> None:
    """pjsip_wizard.conf: every ``type = wizard`` section becomes the pjsip objects Asterisk creates
    from it. Other sections are ignored by Asterisk and reported as gaps (what was meant is unknown);
    options the wizard does not read are notes (Asterisk ignores them silently and they hide nothing)."""
    budget = _Budget()
    noted: set[tuple[str, int]] = set()
    for section in pc.instances():
        if not is_wizard(section):
            if section.entries:
                b.problems.append(_gap(section.file, section.line, f"[{section.name}] is not a type = wizard "
                                       "section (the value is case-sensitive); the PJSIP config wizard ignores it"))
            else:
                b.problems.append(_gap(section.file, section.line, f"[{section.name}] is empty and not a wizard; "
                                       "ignored", note=True))
            continue
        for e in section.entries:
            if e.key not in WIZARD_KEYS and not e.key.startswith(WIZARD_PREFIXES) and (e.file, e.line) not in noted:
                noted.add((e.file, e.line))
                b.problems.append(_gap(e.file, e.line, f"[{section.name}] option {e.key!r} is not a wizard option; "
                                       "the wizard ignores it", note=True))
        built = _Wizard(section, b.problems).objects()
        if not budget.take(sum(len(entries) for _, _, entries in built)):
            b.problems.append(_gap(section.file, section.line, f"wizard sections expand to more than "
                                   f"{MAX_EXPANDED_SETTINGS} settings; [{section.name}] and later ones not assessed"))
            return
        _add_objects(b, built, section)


# -- users.conf -------------------------------------------------------------------------------------

def _userscontext(b: BuildContext) -> str | None:
    """The voicemail context users.conf mailboxes go to (voicemail.conf [general] userscontext, default
    ``default``), or None when app_voicemail reads no users.conf mailbox: it loads them only while
    loading a readable voicemail.conf."""
    vm = b.parsed.get("voicemail.conf")
    if vm is None or not vm.found or vm.fatal is not None:
        return None
    general = vm.section("general")
    return (general.get("userscontext") if general is not None else None) or "default"


def _readable(b: BuildContext, root: str) -> bool:
    pc = b.parsed.get(root)
    return bool(pc is not None and pc.found and pc.fatal is None)


def _users_mailbox(user: Section, context: str) -> tuple[ConfigObject, str]:
    """A users.conf mailbox in the shape voicemail.conf mailboxes have (``_mailboxes``), as
    apply_options_full() fills it: only the user's own options count ([general] does not), the PIN is
    ``vmsecret``, else ``secret``/``password`` when no PIN is set yet and it does not start with '*'.
    Returns the object and the PIN value (for the shared-PIN tracker; never stored)."""
    password, password_at = "", None
    for e in user.entries:
        # vmsecret always sets it; secret/password only while none is set, and not '*'-prefixed values
        fallback = e.key in ("secret", "password") and not password and not e.value.startswith("*")
        if e.key == "vmsecret" or fallback:
            password, password_at = e.value, e
    locked = password.startswith("-")  # vm_change_password: a leading '-' forbids changing it
    pin = password[1:] if locked else password
    settings: dict[str, list[dict]] = {}

    def put(key: str, value: str, at: Entry | None) -> None:
        settings.setdefault(key, []).append({"value": value, "file": at.file if at else user.file,
                                             "line": at.line if at else user.line})

    put("mailbox", user.name, None)
    put("context", context, None)
    for key in ("fullname", "email", "pager"):
        at = user.entry(key)
        put(key, at.value if at is not None else "", at)
    put("pin_locked", "yes" if locked else "no", password_at)
    handled = {"mailbox", "context", "fullname", "email", "pager"}
    for e in user.entries:
        if e.key not in handled and not is_secret_key(e.key):
            put(e.key, redact_inline_credentials(e.value), e)
    src = SourceRef(file=password_at.file, line=password_at.line) if password_at else SourceRef(
        file=user.file, line=user.line)
    secrets: dict[str, SecretInfo] = {"pin": describe_secret(pin, user.name, src)}
    obj = ConfigObject.of({"kind": "voicemail.mailbox", "name": f"{user.name}@{context}",
                                       "source": {"file": user.file, "line": user.line},
                                       "settings": settings, "secrets": secrets})
    return obj, pin


def build_users(pc: ParsedConfig, b: BuildContext) -> None:
    """users.conf: each user is a ``users.user`` object; with ``hassip`` (its own, else [general]'s)
    it is also a chan_sip peer, built as build_peer() does from the user's options followed by
    [general]'s (so [general] wins where both set one); with ``hasiax`` it is also a chan_iax2 friend
    (``_users_iax``); with ``hasvoicemail`` it is also a mailbox.

    Order matters: this runs after voicemail.conf and sip.conf are built (ASTERISK_ROOTS order).
    app_voicemail loads users.conf mailboxes first and find_or_create() then ignores any later
    mailbox of the same box@context (any context with searchcontexts=yes), so a voicemail.conf
    duplicate is dropped here; a sip.conf peer of the same name is merged by chan_sip (a gap)."""
    general = pc.section("general")
    general_entries = list(general.entries) if general is not None else []
    general_hassip = ast_true(general.get("hassip") if general is not None else None)
    context = _userscontext(b)
    vm = b.parsed.get("voicemail.conf")
    vm_general = vm.section("general") if context is not None and vm is not None else None
    search_all = ast_true(vm_general.get("searchcontexts") if vm_general is not None else None)
    sip_loaded = _readable(b, "sip.conf")
    sip_peers = {o.name for o in b.objects if o.kind == "sip.peer" and o.source.file not in pc.files}
    general_hasiax = ast_true(general.get("hasiax") if general is not None else None)
    iax_loaded = _readable(b, "iax.conf")
    # iax.conf is built after users.conf (ASTERISK_ROOTS order) but chan_iax2 reads it first
    iax = b.parsed.get("iax.conf")
    iax_accounts = {s.name for s in iax.instances()} if iax_loaded and iax is not None else set()
    budget = _Budget()
    boxes = _MailboxIndex(b, search_all)
    for section in pc.instances():
        if section.name.lower() == "general":  # both chan_sip and app_voicemail skip it (strcasecmp)
            _add_objects(b, [("users.general", section.name, section.entries)], section, track=False)
            continue
        _add_objects(b, [("users.user", section.name, section.entries)], section, track=False)
        own = section.entry("hassip")
        peer = False
        if ast_true(own.value) if own is not None else general_hassip:
            peer = _users_peer(b, section, general_entries, sip_loaded, sip_peers, budget)
        own = section.entry("hasiax")
        if ast_true(own.value) if own is not None else general_hasiax:
            _users_iax(b, section, general_entries, iax_loaded, iax_accounts, budget, track=not peer)
        has_vm = section.get("hasvoicemail")
        if ast_true(has_vm if has_vm is not None else (general.get("hasvoicemail") if general is not None else None)):
            if context is None:
                b.problems.append(_gap(section.file, section.line, f"[{section.name}] hasvoicemail=yes but "
                                       "voicemail.conf is absent or unreadable: app_voicemail creates no mailbox "
                                       "from users.conf", note=True))
            elif section.name.startswith("*") or boxes.seen(section.name, context):
                b.problems.append(_gap(section.file, section.line, f"[{section.name}] app_voicemail ignores this "
                                       "mailbox (it starts with '*' or repeats an earlier users.conf one)", note=True))
            else:
                box, pin = _users_mailbox(section, context)
                b.pin_tracker.add(pin, box.secrets["pin"])
                b.objects.append(box)
                boxes.replace(section, context)
    boxes.drop_replaced()


class _MailboxIndex:
    """app_voicemail's find_or_create() rules between users.conf mailboxes (loaded first) and the
    voicemail.conf ones already built: box and context compare case-insensitively, and with
    searchcontexts=yes a box repeated in any context is ignored too."""

    def __init__(self, b: BuildContext, search_all: bool) -> None:
        self.b = b
        self.search_all = search_all
        self.users: set[tuple[str, str]] = set()
        self.vm: dict[tuple[str, str], list[ConfigObject]] = {}
        for o in b.objects:
            if o.kind == "voicemail.mailbox":
                self.vm.setdefault(self._key(o.get("mailbox") or "", o.get("context") or ""), []).append(o)
        self.dropped: set[int] = set()

    def _key(self, box: str, context: str) -> tuple[str, str]:
        return box.lower(), "" if self.search_all else context.lower()

    def seen(self, box: str, context: str) -> bool:
        return self._key(box, context) in self.users

    def replace(self, user: Section, context: str) -> None:
        """This users.conf mailbox exists now: the voicemail.conf ones it shadows are ignored."""
        key = self._key(user.name, context)
        self.users.add(key)
        for o in self.vm.pop(key, []):
            self.dropped.add(id(o))
            self.b.problems.append(_gap(user.file, user.line, f"[{user.name}] mailbox is also defined at "
                                        f"{o.source.file}:{o.source.line}; app_voicemail loads users.conf first and "
                                        "ignores that later definition", note=True))

    def drop_replaced(self) -> None:
        if self.dropped:
            self.b.objects[:] = [o for o in self.b.objects if id(o) not in self.dropped]


def _users_peer(b: BuildContext, user: Section, general_entries: list[Entry],
                sip_loaded: bool, sip_peers: set[str], budget: _Budget) -> bool:
    """The chan_sip peer of a users.conf user; True when one was built."""
    if not sip_loaded:
        b.problems.append(_gap(user.file, user.line, f"[{user.name}] hassip=yes but sip.conf is absent or "
                               "unreadable: chan_sip does not load, so no peer is created", note=True))
        return False
    if user.name in sip_peers:
        b.problems.append(_gap(user.file, user.line, f"[{user.name}] is also a sip.conf peer: chan_sip merges "
                               "the two definitions and the merged peer is not modelled; judged as sip.conf's"))
        return False
    entries = user.entries + general_entries
    if not _take(b, user, budget, len(entries)):
        return False
    # users.conf peers are always friends (chan_sip sets the type after build_peer).
    entries = entries + [Entry("type", "friend", user.file, user.line)]
    _add_objects(b, [("sip.peer", user.name, entries)], user, skip_track=frozenset({"vmsecret"}))
    return True


def _take(b: BuildContext, user: Section, budget: _Budget, n: int) -> bool:
    """Spend ``n`` expanded settings; past the limit, say once (a gap) that the rest is not assessed."""
    if budget.take(n):
        return True
    if not budget.exhausted:
        budget.exhausted = True
        b.problems.append(_gap(user.file, user.line, f"users.conf accounts expand to more than "
                               f"{MAX_EXPANDED_SETTINGS} settings; [{user.name}] and later ones not assessed"))
    return False


def _users_iax(b: BuildContext, user: Section, general_entries: list[Entry], iax_loaded: bool,
               iax_accounts: set[str], budget: _Budget, track: bool) -> None:
    """chan_iax2 set_config(): a users.conf user with ``hasiax`` (its own, else [general]'s) becomes an
    IAX2 user and peer, build_user()/build_peer() run over [general]'s options then the user's own (so
    the user's win), after iax.conf's accounts: an ``iax.account`` friend like iax.conf's. Without
    iax.conf chan_iax2 declines to load (a note). A name iax.conf also defines is merged by chan_iax2
    onto the earlier account: not modelled, a gap. ``track``: register the secret with the
    shared-secret tracker (not when the same user's chan_sip peer already did: one account, one secret)."""
    if not iax_loaded:
        b.problems.append(_gap(user.file, user.line, f"[{user.name}] hasiax=yes but iax.conf is absent or "
                               "unreadable: chan_iax2 does not load, so no IAX2 friend is created", note=True))
        return
    if user.name in iax_accounts:
        b.problems.append(_gap(user.file, user.line, f"[{user.name}] is also an iax.conf account: chan_iax2 "
                               "merges the two definitions and the merged account is not modelled"))
        return
    entries = general_entries + user.entries
    if not _take(b, user, budget, len(entries)):
        return
    entries = entries + [Entry("type", "friend", user.file, user.line)]
    _add_objects(b, [("iax.account", user.name, entries)], user, track=track,
                 skip_track=frozenset({"vmsecret", "password", "dbsecret"}))
    obj = b.objects[-1]
    reference = obj.secrets.get("dbsecret")
    if reference is not None:  # an AstDB key, not a secret (as in iax.conf: auditor/facts/asterisk_iax.py)
        obj.secrets["dbsecret"] = SecretInfo(present=True, placeholder=True, source=reference.source)
