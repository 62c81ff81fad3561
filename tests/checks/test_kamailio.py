"""KAM-*: the Debian default kamailio.cfg (real corpus file) and hardened variants."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from tests.conftest import only, statuses, write_tree
from voxaudit.collectors.offline import collect_kamailio_tree
from voxaudit.model import Status
from voxaudit.parsers.kamailio_cfg import parse_kamailio

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE


def default_cfg(corpus: Path) -> str:
    return (corpus / "kamailio" / "kamailio.cfg").read_text()


def test_debian_default_as_shipped(corpus, tmp_path, run):
    shutil.copy(corpus / "kamailio" / "kamailio.cfg", tmp_path)
    facts = collect_kamailio_tree(tmp_path)
    assert facts.configs["kamailio.cfg"].fatal_problem is None
    assert "WITH_AUTH" not in facts.defines
    assert only(run("KAM-TLS-101", facts)) == FAIL   # no listen=: all interfaces, UDP/TCP
    assert only(run("KAM-TLS-102", facts)) == FAIL
    assert only(run("KAM-TLS-103", facts)) == NA
    assert only(run("KAM-ACC-101", facts)) == FAIL   # auth behind WITH_AUTH
    assert only(run("KAM-ACC-102", facts)) == FAIL   # pike behind WITH_ANTIFLOOD
    assert only(run("KAM-ACC-103", facts)) == NA     # DBURL behind WITH_MYSQL
    assert only(run("KAM-LOG-101", facts)) == PASS   # log_stderror=no, LOG_LOCAL0
    assert only(run("KAM-LOG-102", facts)) == PASS   # acc with FLT_ACC


TLS_GOOD = """
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = /etc/kamailio/kamailio-selfsigned.key
certificate = /etc/kamailio/kamailio-selfsigned.pem

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
"""


def hardened(corpus: Path, extra: str = "") -> str:
    head = ("#!KAMAILIO\n#!define WITH_MYSQL\n#!define WITH_AUTH\n#!define WITH_TLS\n#!define WITH_ANTIFLOOD\n"
            "#!define DBURL \"mysql://kamailio:Qz8Lw2Xc9Vb4Nm7Tk1Rp@localhost/kamailio\"\n" + extra)
    body = default_cfg(corpus).replace("#!KAMAILIO\n", "", 1)
    assert "# listen=udp:10.0.0.10:5060" in body
    return head + body.replace("# listen=udp:10.0.0.10:5060", "listen=tls:10.20.30.5:5061\nlisten=udp:127.0.0.1:5060", 1)


def test_hardened_default_passes(corpus, tmp_path, run, registry):
    facts = collect_kamailio_tree(write_tree(tmp_path, {"kamailio.cfg": hardened(corpus), "tls.cfg": TLS_GOOD}))
    assert facts.configs["kamailio.cfg"].fatal_problem is None, facts.configs["kamailio.cfg"].problems
    assert {"WITH_AUTH", "WITH_TLS", "WITH_ANTIFLOOD"} <= set(facts.defines)
    for cid in [i for i in registry.known_ids() if i.startswith("KAM-")]:
        assert FAIL not in run(cid, facts).values(), (cid, run(cid, facts))
    assert statuses(run("KAM-TLS-101", facts), PASS) == {"listen tls:10.20.30.5:5061", "listen udp:127.0.0.1:5060"}
    text = msgspec.json.encode(facts).decode()
    assert "Qz8Lw2Xc9Vb4Nm7Tk1Rp" not in text and "<redacted>" in text


def test_weak_tls_cfg_default_db_password_and_stderr(corpus, tmp_path, run):
    weak_tls = TLS_GOOD.replace("TLSv1.2+", "TLSv1+").replace("verify_certificate = yes", "verify_certificate = no")
    cfg = hardened(corpus).replace("Qz8Lw2Xc9Vb4Nm7Tk1Rp", "kamailiorw").replace("log_stderror=no", "log_stderror=yes")
    cfg = cfg.replace("listen=udp:127.0.0.1:5060", "listen=udp:10.20.30.5:5060")
    facts = collect_kamailio_tree(write_tree(tmp_path, {"kamailio.cfg": cfg, "tls.cfg": weak_tls}))
    assert run("KAM-TLS-103", facts) == {"tls [server:default]": FAIL, "tls [client:default]": FAIL}
    assert run("KAM-TLS-104", facts) == {"tls [client:default]": FAIL}
    assert run("KAM-TLS-101", facts)["listen udp:10.20.30.5:5060"] == FAIL
    assert statuses(run("KAM-ACC-103", facts), FAIL)  # the packaged default password
    assert only(run("KAM-LOG-101", facts)) == FAIL


def test_preprocessor_nesting_else_comments_and_includes(tmp_path):
    root = write_tree(tmp_path, {
        "kamailio.cfg": """#!KAMAILIO
#!define A
#!ifdef A
  #!ifndef B
debug=3
  #!else
debug=9
  #!endif
#!endif
/* listen=udp:0.0.0.0:5060
   listen=tcp:0.0.0.0:5060 */
// listen=udp:1.2.3.4
# listen=udp:5.6.7.8
import_file "missing-local.cfg"
include_file "modules.cfg"
request_route {
    if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "1"); exit; }
}
""",
        "modules.cfg": 'loadmodule "auth.so"\n'})
    cfg = parse_kamailio(root)
    assert cfg.fatal is None
    items = {(i.kind, i.name): i for i in cfg.items}
    assert items[("global", "debug")].value == "3"
    assert ("global", "listen") not in items
    assert items[("loadmodule", "auth")].file == "modules.cfg"
    assert items[("call", "auth_check")].route == "request_route"


def test_malformed_config_reports_file_and_line(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": "#!KAMAILIO\ndebug=2\ninclude_file \"nothere.cfg\"\n"})
    facts = collect_kamailio_tree(root)
    state, reason = facts.source_state("kamailio.cfg")
    assert state == "error" and reason.startswith("kamailio.cfg:3:")
    unbalanced = write_tree(tmp_path / "u", {"kamailio.cfg": "#!ifdef X\ndebug=2\n"})
    assert collect_kamailio_tree(unbalanced).source_state("kamailio.cfg")[0] == "error"


def test_lexer_follows_cfg_lex(tmp_path):
    """Rules of Kamailio's src/core/cfg.lex, one per statement below."""
    root = write_tree(tmp_path, {
        "kamailio.cfg": r'''#!KAMAILIO
#!define DBURL "mysql://u:pw@db/k"
#!define FLAGS 3 \
  + 1
#!define LATE 7 # a define's value runs to the end of its line, comment included
/* COM_START nests: /* inner */ still a comment: debug=9 */
#!ifdef NOT_DEFINED
/* IFDEF_SKIP does not lex comments, so this one never opens
#!else
debug=2 // COM_LINE '//' ends the statement
#!endif
log_prefix="a#b//c" # '#' and '//' inside STRING1 are text
alias="one" "two"
xlog_buf_size='x\n'
modparam("usrloc",
         "db_url", DBURL)
modparam("acc", "log_flag", FLAGS)
modparam("tm", "fr_timer", "DBURL")
#!substdef "!MYIP!10.1.2.3!g"
listen=udp:MYIP:5060
advertise_str="MYIP"
tcp_max_connections=LATE)
''',
    })
    cfg = parse_kamailio(root)
    assert cfg.fatal is None, cfg.problems
    items = {(i.kind, i.name): i for i in cfg.items}
    assert items[("global", "debug")].value == "2"  # only the #!else branch
    assert items[("global", "log_prefix")].value == "a#b//c"
    assert items[("global", "alias")].value == "onetwo"  # STR_BETWEEN joins adjacent strings
    assert items[("global", "xlog_buf_size")].value == "x\\n"  # STRING2 has no escapes
    assert items[("modparam", "usrloc.db_url")].value == "mysql://u:pw@db/k"  # across lines, define re-lexed
    assert items[("modparam", "acc.log_flag")].value == "3 + 1"  # DEFINE_DATA eats the escaped newline
    # unput: the define's '#' comment eats the rest of the line where it is used, ')' included
    assert items[("global", "tcp_max_connections")].value == "7"
    assert items[("modparam", "tm.fr_timer")].value == "DBURL"  # no define substitution inside strings
    assert items[("global", "listen")].value == "udp:10.1.2.3:5060"  # #!substdef defines MYIP
    assert items[("global", "advertise_str")].value == "10.1.2.3"  # ...and substitutes it in strings
    assert ("global", "debug") in items and not any(i.value == "9" for i in cfg.items)


def test_opensips_has_no_preprocessor_and_no_slash_comments(tmp_path):
    """OpenSIPS's cfg.lex: COM_LINE is '#' only, and '#!define' is a comment."""
    root = write_tree(tmp_path, {"opensips.cfg": '#!define X 1\nlog_level=3\nsocket=udp:127.0.0.1:5060\n'})
    cfg = parse_kamailio(root, "opensips.cfg")
    assert cfg.fatal is None and "X" not in cfg.defines
    assert {(i.kind, i.name) for i in cfg.items} == {("global", "log_level"), ("global", "socket")}


def test_what_is_not_followed_is_a_gap(tmp_path):
    """KEMI routing (cfgengine), a tls config named but absent, an include the copy cannot read and a
    statement the reader does not know are gaps (warnings that lower coverage), never silence."""
    root = write_tree(tmp_path, {
        "kamailio.cfg": 'loadmodule "tls.so"\nloadmodule "app_python3.so"\n'
                        'modparam("tls", "config", "/etc/kamailio/tls-clinic.cfg")\n'
                        'modparam("app_python3", "load", "/etc/kamailio/kamailio.py")\ncfgengine "python"\n'
                        'include_file "locked.cfg"\nfrobnicate 3\n',
        "locked.cfg": "debug=2\n"})
    (root / "locked.cfg").chmod(0)
    try:
        facts = collect_kamailio_tree(root)
    finally:
        (root / "locked.cfg").chmod(0o644)
    gaps = {(p.file, p.line): p.message for cf in facts.configs.values() for p in cf.problems if p.is_gap}
    assert "KEMI script" in gaps[("kamailio.cfg", 5)]
    assert "not understood" in gaps[("kamailio.cfg", 7)]
    assert "tls-clinic.cfg" in gaps[("kamailio.cfg", 3)] and "not in the copy" in gaps[("kamailio.cfg", 3)]
    assert facts.configs["kamailio.cfg"].fatal_problem is None
    if os.geteuid() != 0:  # root reads any file: the unreadable include cannot be staged as root
        assert "could not be read by the audit" in gaps[("locked.cfg", 0)]
