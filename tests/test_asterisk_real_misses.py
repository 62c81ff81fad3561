"""Asterisk misses found on real public trees (tests/real_trees/*-asterisk*), each fixed in general.

* fedenunez-docker-asterisk18: ``webrtc=yes`` on an endpoint (or ``endpoint/webrtc=yes`` in a
  pjsip_wizard.conf template) makes res_pjsip use DTLS-SRTP whatever ``media_encryption`` says
  (pjsip_configuration.c, sip_endpoint_apply_handler, Asterisk 15+): its media was reported as
  unencrypted RTP (a false FAIL), and an overridden ``media_encryption=sdes`` as an SDES key exchange.
* amac00-freepbx-pjsip-asterisk: ``#media_use_received_transport=no``, a setting "commented out" with
  ``#``, is an unknown directive Asterisk ignores: a gap turned every PJSIP check into ERROR for a
  line that is simply not in effect; it is now a note. Other unknown directives (``# include x``,
  ``#incude x``) stay gaps: they may be a mistyped include whose content would be missing.
"""
from __future__ import annotations

import os

import msgspec

from tests.conftest import write_tree
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status
from voxaudit.parsers.asterisk_conf import parse_config
from voxaudit.platforms.asterisk.transport import endpoint_media

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
CANARY = "CANARY-5e1b77"

PJSIP = """
[udp]
type=transport
protocol=udp
bind=127.0.0.1

[plain]
type=endpoint
auth=plain

[browser]
type=endpoint
webrtc=yes
auth=plain

[forced]
type=endpoint
media_encryption=sdes
webrtc=yes
auth=plain

[off]
type=endpoint
media_encryption=sdes
webrtc=no
auth=plain

[plain]
type=auth
username=plain
password=q8Zr2Lw9Xc4Vb7Nm1Tk5
"""

WIZARD = """
[tpl](!)
type=wizard
accepts_auth=yes
endpoint/webrtc=yes
inbound_auth/password=q8Zr2Lw9Xc4Vb7Nm1Tk5

[3000](tpl)
inbound_auth/username=3000
"""


def test_webrtc_yes_means_dtls_srtp(tree, run):
    facts = tree({"pjsip.conf": PJSIP})
    media = run("AST-SRTP-101", facts)
    assert media == {"endpoint plain": FAIL, "endpoint browser": PASS, "endpoint forced": PASS,
                     "endpoint off": PASS}
    # SRTP is required (no optimistic fallback) on the WebRTC endpoints too
    assert run("AST-SRTP-102", facts)["endpoint browser"] == PASS
    # webrtc=yes replaces the written sdes by DTLS: only [off] exchanges SDES keys (over plain UDP)
    assert run("AST-SRTP-103", facts) == {"endpoint off": FAIL}


def test_webrtc_from_a_wizard_template(tree, run):
    facts = tree({"pjsip.conf": "[udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n", "pjsip_wizard.conf": WIZARD})
    assert run("AST-SRTP-101", facts) == {"endpoint 3000": PASS}


def test_webrtc_evidence_names_the_option(tree, tmp_path):
    facts = tree({"pjsip.conf": PJSIP})
    by_subject = {m.subject: m for m in endpoint_media(facts)}
    forced = by_subject["endpoint forced"]
    assert forced.encrypted and "webrtc=yes" in forced.setting and "media_encryption=sdes" in forced.setting
    written = (tmp_path / "etc-asterisk" / "pjsip.conf").read_text().splitlines()
    assert written[forced.source.line - 1] == "webrtc=yes"
    assert written.index("[forced]") < forced.source.line - 1 < written.index("[off]")


def test_hash_commented_setting_is_a_note_not_a_gap(tmp_path):
    root = write_tree(tmp_path, {"pjsip.conf": (
        "[e]\ntype=endpoint\n"
        f"#media_encryption={CANARY}\n"       # a setting "commented out" with '#': ignored, a note
        f"#password = {CANARY}\n"             # the same with blanks around '='
        "# include other.conf\n"             # unknown directive ' ' (could be a mistyped include): a gap
        "#incude other.conf\n"               # a typo of include: a gap
        "context=x\n"), "other.conf": "x=1\n"})
    pc = parse_config(root, "pjsip.conf")
    assert pc.fatal is None
    notes = [p for p in pc.problems if p.note]
    gaps = [p for p in pc.problems if not p.note and not p.fatal]
    assert [p.line for p in notes] == [3, 4] and [p.line for p in gaps] == [5, 6]
    assert all("commented-out setting" in p.message for p in notes)
    # the ignored lines set nothing; the section goes on after them
    assert [(e.key, e.value) for e in pc.section("e").entries] == [("type", "endpoint"), ("context", "x")]
    assert CANARY not in msgspec.json.encode(pc.problems).decode()


def test_hash_commented_setting_keeps_pjsip_checks_judged(tree, run):
    """A FreePBX endpoint with '#option=value' is judged, not ERROR(parse)."""
    facts = tree({"pjsip.conf": "[udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n"
                                "[110]\ntype=endpoint\n#media_use_received_transport=no\nmedia_encryption=no\n"})
    assert run("AST-SRTP-101", facts) == {"endpoint 110": FAIL}
    assert not [p for p in facts.configs["pjsip.conf"].problems if not p.note]


def test_collected_facts_keep_no_commented_value(tmp_path):
    root = write_tree(tmp_path, {"pjsip.conf": f"[e]\ntype=endpoint\n#password={CANARY}\n"})
    assert CANARY not in msgspec.json.encode(collect_asterisk_tree(root)).decode()


# -- extensions.lua (startelua-newast-asterisk) --------------------------------------------------------

LUA = f"""-- the dialplan, in Lua
--[[ a long
comment ]]
local secret = "{CANARY}"
extensions = {{
  ["from-internal"] = {{
    ["*98"] = function() app.voicemailmain("${{CALLERID(num)}}@default,s") end;
  }};
}}
"""
EXT = "[from-internal]\nexten => 100,1,Dial(PJSIP/100)\n"


def _dialplan_results(facts, registry):
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord

    record = TargetRecord(name="pbx", platform="asterisk", facts=facts)
    checks = [registry.get(c) for c in ("MBX-POL-104", "RET-PHI-104")]
    return {(r.check_id, r.resource): (r.status, r.evidence) for r in evaluate_target(record, checks, {})}


def test_a_lua_dialplan_pbx_lua_loads_is_a_gap_on_the_dialplan_controls(tree, registry, tmp_path):
    """pbx_lua registers extensions.lua's contexts as live dialplan; voxaudit does not read Lua: a gap
    (ERROR on MBX-POL-104 and RET-PHI-104), never a silent 'VoiceMailMain is not used'."""
    spool = tmp_path / "spool"
    (spool / "voicemail").mkdir(parents=True)
    facts = tree({"extensions.conf": EXT, "extensions.lua": LUA, "modules.conf": "[modules]\nautoload=yes\n"},
                 spool_dir=spool)
    (gap,) = facts.configs["extensions.lua"].problems
    assert gap.is_gap and "pbx_lua loads" in gap.message and "6 line(s)" in gap.message
    got = _dialplan_results(facts, registry)
    assert got[("MBX-POL-104", "(unread parts of extensions.lua)")][0] == Status.ERROR
    assert got[("RET-PHI-104", "(unread parts of extensions.lua)")][0] == Status.ERROR
    assert CANARY not in msgspec.json.encode(facts).decode()
    assert CANARY not in repr(got)


def test_a_lua_dialplan_without_pbx_lua_is_a_note(tree, registry):
    facts = tree({"extensions.conf": EXT, "extensions.lua": LUA,
                  "modules.conf": "[modules]\nautoload=yes\nnoload => pbx_lua.so\n"})
    (note,) = facts.configs["extensions.lua"].problems
    assert note.note and "noload => pbx_lua.so" in note.message
    assert not [k for k in _dialplan_results(facts, registry) if "extensions.lua" in k[1]]


def test_lua_comments_only_and_links_out_of_the_tree(tree, tmp_path):
    facts = tree({"extensions.conf": EXT, "extensions.lua": "-- nothing\n--[==[\nold = 1\n]==]\n\n",
                  "modules.conf": "[modules]\nautoload=yes\n"})
    assert facts.configs["extensions.lua"].problems == [] and facts.configs["extensions.lua"].content_lines == 0
    outside = tmp_path / "outside.lua"
    outside.write_text(LUA)
    root = write_tree(tmp_path / "t2", {"extensions.conf": EXT, "modules.conf": "[modules]\nautoload=yes\n"})
    (root / "extensions.lua").symlink_to(outside)
    linked = collect_asterisk_tree(root)
    (fatal,) = linked.configs["extensions.lua"].problems
    assert fatal.fatal and "symbolic link" in fatal.message
    assert CANARY not in msgspec.json.encode(linked).decode()


def test_lua_line_count_is_linear():
    """Measuring never backtracks: 20 times the text takes about 20 times as long (generous bound)."""
    import time

    from voxaudit.facts.asterisk_lua import _code_lines

    unit = "--[==[ x ]]\n" * 2000 + "a()\n" * 2000 + "--[[" + "y" * 5000 + "\n"

    def timed(text: str) -> float:
        start = time.perf_counter()
        _code_lines(text)
        return time.perf_counter() - start

    small, big = timed(unit), timed(unit * 20)
    assert big < 60 * small + 0.05


# -- roots of modules modules.conf does not load (startelua-newast-asterisk) ----------------------------

SIP_WITH_FOREIGN_INCLUDE = "[general]\nudpbindaddr=0.0.0.0\n#include /opt/asterisk/users.conf\n"
ARI = f"[general]\nenabled=yes\n[ops]\ntype=user\npassword={CANARY}\npassword_format=plain\n"
HTTP = "[general]\nenabled=yes\nbindaddr=0.0.0.0\n"


def _all_results(facts, registry, *check_ids):
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord

    record = TargetRecord(name="pbx", platform="asterisk", facts=facts)
    return {(r.check_id, r.resource): r.status for r in evaluate_target(record, [registry.get(c) for c in check_ids], {})}


def test_a_broken_root_of_a_noloaded_module_is_a_note_not_an_error(tree, registry):
    """sip.conf refuses an #include outside /etc/asterisk (fatal) but chan_sip is noload: Asterisk never
    opens sip.conf, so the SIP checks are NOT_APPLICABLE (chan_sip not loaded), never ERROR."""
    facts = tree({"sip.conf": SIP_WITH_FOREIGN_INCLUDE, "modules.conf": "[modules]\nautoload=yes\nnoload => chan_sip.so\n"})
    problems = facts.configs["sip.conf"].problems
    assert problems and all(p.note for p in problems)
    assert any("noload => chan_sip.so" in p.message and p.line == 0 for p in problems)
    got = _all_results(facts, registry, "AUTH-SIP-101", "ENC-SIG-101", "AUTH-SECRET-101")
    assert Status.ERROR not in got.values()
    # the same file with chan_sip loading stays fatal: the checks reading it are ERROR
    loaded = tree({"sip.conf": SIP_WITH_FOREIGN_INCLUDE, "modules.conf": "[modules]\nautoload=yes\n"})
    assert loaded.configs["sip.conf"].fatal_problem is not None
    assert Status.ERROR in _all_results(loaded, registry, "AUTH-SIP-101").values()


def test_objects_of_a_noloaded_module_are_not_judged(run, tmp_path):
    """ARI users exist only while res_ari loads; without modules.conf (unknown) they are judged."""
    def facts(name: str, modules: str | None):
        files = {"ari.conf": ARI, "http.conf": HTTP, **({"modules.conf": modules} if modules else {})}
        return collect_asterisk_tree(write_tree(tmp_path / name, files))

    off = facts("off", "[modules]\nautoload=yes\nnoload => res_ari.so\n")
    assert "ari user ops" not in run("AUTH-SECRET-101", off)
    assert "ari.conf [general]" not in run("ACC-ADMIN-101", off)
    assert any("res_ari" in p.message and p.note for p in off.configs["ari.conf"].problems)
    assert CANARY not in msgspec.json.encode(off).decode()
    for name, modules in (("on", "[modules]\nautoload=yes\n"), ("unknown", None)):
        judged = facts(name, modules)
        assert "ari user ops" in run("AUTH-SECRET-101", judged), name
        assert run("ACC-ADMIN-101", judged)["ari.conf [general]"] == FAIL, name


def test_hostile_extensions_lua_is_a_problem_never_an_exception(tmp_path):
    """A directory, a FIFO, a binary or an oversized extensions.lua: a fatal problem naming no content."""
    from voxaudit.facts.asterisk_lua import read_lua
    from voxaudit.parsers.asterisk_conf import MAX_FILE_BYTES

    cases = {"dir": None, "fifo": None, "binary": f"x = '{CANARY}'\x00\n".encode(),
             "huge": b"-" * (MAX_FILE_BYTES + 1)}
    for name, raw in cases.items():
        root = tmp_path / name
        root.mkdir()
        path = root / "extensions.lua"
        if name == "dir":
            path.mkdir()
        elif name == "fifo":
            os.mkfifo(path)
        else:
            path.write_bytes(raw)
        pc = read_lua(root)
        assert pc.fatal is not None, name
        assert CANARY not in pc.fatal.message
    # a fatal extensions.lua under a noload'ed pbx_lua is only a note
    root = write_tree(tmp_path / "off", {"modules.conf": "[modules]\nautoload=yes\nnoload => pbx_lua.so\n"})
    (root / "extensions.lua").mkdir()
    facts = collect_asterisk_tree(root)
    assert all(p.note for p in facts.configs["extensions.lua"].problems)


# -- pripyat-remotepi-asterisk: a bare "[aor]" heading left uncommented in pjsip.conf -------------

BARE_HEADING = f"""
[udp]
type=transport
protocol=udp
bind=127.0.0.1

;==========================AOR SECTION OPTIONS=========================
[aor]
;  SYNOPSIS: The configuration for a location of an endpoint
;contact=       ; Permanent contacts assigned to AoR (default: "")

[leftover]
password={CANARY}

[110]
type=endpoint
media_encryption=no
"""


def test_an_empty_typeless_pjsip_section_is_a_note_not_a_gap(tree, run):
    """res_sorcery_config matches no criteria on a header without variables: it sets nothing and hides
    nothing, so the PJSIP checks stay judged. A typeless section with variables stays a gap."""
    facts = tree({"pjsip.conf": BARE_HEADING})
    problems = {p.message.split("]")[0] + "]": p for p in facts.configs["pjsip.conf"].problems}
    assert problems["[aor]"].note and not problems["[aor]"].fatal
    assert not problems["[leftover]"].note and not problems["[leftover]"].fatal
    assert CANARY not in msgspec.json.encode(facts.configs["pjsip.conf"].problems).decode()
    # without [leftover], nothing is left unread: the endpoint is judged, not ERROR(parse)
    judged = tree({"pjsip.conf": BARE_HEADING.replace(f"[leftover]\npassword={CANARY}\n", "")})
    assert run("AST-SRTP-101", judged) == {"endpoint 110": FAIL}
    assert all(p.note for p in judged.configs["pjsip.conf"].problems)


# -- pripyat-remotepi-asterisk: users.conf hasiax users are IAX2 friends (chan_iax2 set_config) ------

USERS_IAX = f"""
[general]
hasvoicemail = no
hassip = yes
hasiax = yes

[alice]
secret = alice

[bob]
secret = {CANARY}
hasiax = no

[carol]
secret = Zq8r2Lw9Xc4Vb7Nm1Tk5
encryption = aes128
forceencryption = yes
"""
IAX = "[general]\nbindaddr=0.0.0.0\n"


def test_users_conf_hasiax_users_are_iax2_friends(tree, run):
    """chan_iax2 builds a user and a peer from every users.conf user with hasiax (its own, else
    [general]'s), [general]'s options first: they were silently missing from every IAX2 check."""
    facts = tree({"users.conf": USERS_IAX, "iax.conf": IAX})
    assert {o.name for o in facts.of_kind("iax.account")} == {"alice", "carol"}
    assert run("AUTH-SECRET-101", facts)["iax2 friend alice"] == FAIL       # secret equals the name
    assert run("AUTH-SECRET-101", facts)["iax2 friend carol"] == PASS
    sig = run("ENC-SIG-101", facts)
    assert sig["iax2 friend alice"] == FAIL and sig["iax2 friend carol"] == PASS
    assert CANARY not in msgspec.json.encode(facts).decode()
    # the fix goes where chan_iax2 reads the friend's options: users.conf [alice], not a typeless
    # iax.conf [alice] that chan_iax2 would skip
    from voxaudit.platforms.asterisk.iax import encryption_change, encryption_fix, iax_signalling

    (alice,) = [r for r in iax_signalling(facts) if r.subject == "iax2 friend alice"]
    assert encryption_fix(alice)[0] == "users.conf [alice]"
    assert {(c.root, c.section, c.kind) for c in encryption_change(alice)} == {("users.conf", "alice", "users.user")}


def test_users_conf_hasiax_without_iax_conf_or_with_a_same_named_account(tree):
    """No iax.conf: chan_iax2 declines to load, a note and no account. A name iax.conf also defines is
    merged by chan_iax2 onto the earlier account: a gap (the IAX2 checks become ERROR), never silence."""
    facts = tree({"users.conf": USERS_IAX})
    assert not facts.of_kind("iax.account")
    assert any(p.note and "[alice] hasiax=yes but iax.conf is absent" in p.message
               for p in facts.configs["users.conf"].problems)
    merged = tree({"users.conf": USERS_IAX, "iax.conf": IAX + "[alice]\ntype=user\nsecret=Zq8r2Lw9Xc4Vb7Nm1Tk5\n"})
    (gap,) = [p for p in merged.configs["users.conf"].problems if "also an iax.conf account" in p.message]
    assert not gap.note and not gap.fatal
    # the IAX2 checks read users.conf, so the runner turns that gap into their ERROR
    from voxaudit.platforms.asterisk.iax import SOURCES
    assert "users.conf" in SOURCES


# -- pripyat-remotepi-asterisk: chan-sccp-b's sccp.conf (Cisco SCCP phones) was read by nothing -----

SCCP = f"""[general]
bindaddr = 0.0.0.0
port = 2000
[SEP001122334455]
type = device
button = line,300
[300]
type = line
pin = {CANARY}
"""


def test_chan_sccp_configuration_is_a_gap_on_the_transport_controls(tree, registry):
    """sccp.conf while modules.conf loads chan_sccp: a gap naming the driver (ENC-SIG-101/ENC-MEDIA-101
    ERROR for it), never silence; with noload => chan_sccp.so only a note."""
    facts = tree({"sccp.conf": SCCP, "modules.conf": "[modules]\nautoload=no\nload => chan_sccp.so\n"})
    (gap,) = facts.configs["sccp.conf"].problems
    assert gap.is_gap and "chan_sccp loads" in gap.message and "SCCP" in gap.message
    assert CANARY not in gap.message
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord

    checks = [registry.get(c) for c in ("ENC-SIG-101", "ENC-MEDIA-101")]
    got = {(r.check_id, r.resource): r.status
           for r in evaluate_target(TargetRecord(name="pbx", platform="asterisk", facts=facts), checks, {})}
    assert got[("ENC-SIG-101", "(unread parts of sccp.conf)")] == Status.ERROR
    assert got[("ENC-MEDIA-101", "(unread parts of sccp.conf)")] == Status.ERROR
    off = tree({"sccp.conf": SCCP, "modules.conf": "[modules]\nautoload=yes\nnoload => chan_sccp.so\n"})
    (note,) = off.configs["sccp.conf"].problems
    assert note.note and "noload => chan_sccp.so" in note.message
