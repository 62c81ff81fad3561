"""AST-SIP-*: chan_sip transport, SRTP, guests, secrets, listeners; whether chan_sip runs at all."""
import shutil
from pathlib import Path

import msgspec

from tests.conftest import only, write_tree
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk_sip"

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE

SIP = """
[general]
tlsenable=yes
tlsbindaddr=0.0.0.0:5061
transport=udp
allowguest=yes
alwaysauthreject=no

[common](!)
type=friend
host=dynamic
context=from-internal

[1000](common)
secret=1000
transport=tls
encryption=yes

[1001](common)
secret=q8Zr2Lw9Xc4Vb7Nm1Tk5
transport=udp,tls

[1002](common)
secret=q8Zr2Lw9Xc4Vb7Nm1Tk5
transport=tls
encryption=yes

[1003](common)
md5secret=0f2a7c1d9e8b6a5f4e3d2c1b0a998877
transport=tls
"""


def test_chan_sip_transport_and_srtp(tree, run):
    facts = tree({"sip.conf": SIP})
    t = run("AST-SIP-101", facts)
    assert t["sip peer 1000"] == PASS and t["sip peer 1001"] == FAIL
    s = run("AST-SIP-102", facts)
    assert s["sip peer 1000"] == PASS and s["sip peer 1001"] == FAIL


def test_chan_sip_tls_off_fails_even_with_transport_tls(tree, run):
    facts = tree({"sip.conf": "[general]\n[p]\ntype=peer\ntransport=tls\nsecret=x\n"})
    assert run("AST-SIP-101", facts) == {"chan_sip udp listener": FAIL, "sip peer p": FAIL}


def test_guests(tree, run):
    assert run("AST-SIP-103", tree({"sip.conf": SIP})) == {"sip.conf [general]": FAIL}
    good = tree({"sip.conf": "[general]\nallowguest=no\nalwaysauthreject=yes\n"})
    assert run("AST-SIP-103", good) == {"sip.conf [general]": PASS}
    default = tree({"sip.conf": "[general]\ncontext=default\n"})
    assert run("AST-SIP-103", default) == {"sip.conf [general]": FAIL}  # allowguest defaults to yes


def test_secrets_equal_shared_and_md5(tree, run):
    r = run("AST-SIP-104", tree({"sip.conf": SIP}))
    assert r["sip peer 1000"] == FAIL  # equals the peer name
    assert r["sip peer 1001"] == FAIL and r["sip peer 1002"] == FAIL  # shared
    assert r["sip peer 1003"] == Status.ERROR  # md5secret: strength unknown


def test_no_sip_conf_is_not_applicable(tree, run):
    facts = tree({"pjsip.conf": "[t]\ntype=transport\nprotocol=tls\n"})
    for cid in ("AST-SIP-101", "AST-SIP-102", "AST-SIP-103", "AST-SIP-104"):
        assert only(run(cid, facts)) == NA


# -- chan_sip running with its [general] policy, as modules.conf and sip.conf decide -----------------

def test_sip_conf_without_peers_or_general_still_has_a_policy(tree, run):
    facts = tree({"sip.conf": "; nothing but a comment\n"})
    assert run("AST-SIP-103", facts) == {"sip.conf [general]": FAIL}  # allowguest defaults to yes
    assert run("AST-SIP-101", facts) == {"chan_sip udp listener": FAIL}  # bindaddr defaults to 0.0.0.0
    assert only(run("AST-SIP-104", facts)) == NA  # no peers to judge


def test_guest_and_authreject_values_read_as_ast_true(tree, run):
    off = tree({"sip.conf": "[general]\nallowguest=nope\nalwaysauthreject=yes\n"})
    assert run("AST-SIP-103", off) == {"sip.conf [general]": PASS}  # only yes/true/y/t/1/on are true
    weird = tree({"sip.conf": "[general]\nallowguest=no\nalwaysauthreject=enabled\n"})
    assert run("AST-SIP-103", weird) == {"sip.conf [general]": FAIL}  # 'enabled' is not true: off


def test_general_encryption_is_not_a_peer_default(tree, registry):
    facts = tree({"sip.conf": "[general]\nencryption=yes\n[p]\ntype=peer\nsecret=x\n"})
    [o] = registry.get("AST-SIP-102")(facts)
    assert o.status == FAIL and "ignores it" in o.evidence


def test_listeners(tree, run):
    local = tree({"sip.conf": "[general]\nudpbindaddr=127.0.0.1:5060\ntcpenable=no\n"})
    assert run("AST-SIP-101", local) == {"chan_sip udp listener": PASS}
    tcp = tree({"sip.conf": "[general]\nbindaddr=127.0.0.1\ntcpenable=maybe\n"})  # tcp is on unless ast_false()
    assert run("AST-SIP-101", tcp) == {"chan_sip udp listener": PASS, "chan_sip tcp listener": PASS}  # follows bindaddr
    tcp_out = tree({"sip.conf": "[general]\nudpbindaddr=127.0.0.1\ntcpenable=yes\ntcpbindaddr=0.0.0.0\n"})
    assert run("AST-SIP-101", tcp_out) == {"chan_sip udp listener": PASS, "chan_sip tcp listener": FAIL}


def test_modules_conf_decides_whether_chan_sip_runs(tree, run, registry):
    sip = "[general]\nallowguest=yes\n[p]\ntype=peer\nsecret=1\n"
    ids = ("AST-SIP-101", "AST-SIP-102", "AST-SIP-103", "AST-SIP-104")
    cases = {
        "[modules]\nautoload=yes\nnoload => chan_sip.so\n": False,
        "[modules]\nautoload=yes\nnoload => CHAN_SIP\n": False,  # loader.c: case-insensitive, .so optional
        "[modules]\nautoload=no\nload => chan_sip.so\n": True,
        "[modules]\nautoload=no\nload => chan_pjsip.so\n": False,
        "[modules]\nautoload=yes\n": True,
        "[modules]\nload => chan_sip.so\nnoload => chan_sip.so\n": False,  # noload removes explicit loads too
        "; no [modules] section\n": False,
    }
    for modules, loaded in cases.items():
        facts = tree({"sip.conf": sip, "modules.conf": modules})
        for cid in ids:
            result = run(cid, facts)
            assert (only(result) != NA) == loaded, (modules, cid, result)
    facts = tree({"sip.conf": sip, "modules.conf": "[modules]\nautoload=yes\n\nnoload => chan_sip.so\n"})
    [o] = registry.get("AST-SIP-103")(facts)
    assert "noload" in o.evidence and (o.location.file, o.location.line) == ("modules.conf", 4)


def test_home_asterisk_autoloads_chan_sip_with_its_defaults(tmp_path, run):
    root = tmp_path / "home"
    shutil.copytree(FIXTURES / "home-asterisk", root)
    facts = collect_asterisk_tree(root)
    assert run("AST-SIP-103", facts) == {"sip.conf [general]": FAIL}  # no allowguest: guests allowed
    assert run("AST-SIP-101", facts) == {"chan_sip udp listener": FAIL, "chan_sip tcp listener": FAIL,
                                         "sip peer bryan": FAIL}  # transport=udp
    assert run("AST-SIP-102", facts) == {"sip peer bryan": FAIL}
    assert run("AST-SIP-104", facts) == {"sip peer bryan": FAIL}  # secret=secret
    assert facts.named("sip.peer", "provider") is None  # a template, not a peer


def test_unreadable_modules_conf_blocks_chan_sip_checks(tmp_path, registry):
    from voxaudit.profile import load_profile
    from voxaudit.runner import TargetSpec, build_document, collect

    root = write_tree(tmp_path, {"sip.conf": "[general]\n", "modules.conf": "[modules]\n#include nowhere.conf\n"})
    record = collect(TargetSpec(name="pbx", platform="asterisk", config_dir=root))
    doc = build_document([record], registry, load_profile("hipaa-security-rule", registry), [], started_at="now")
    sip = {(r.alias or r.check_id): r for r in doc.results if (r.alias or r.check_id).startswith("AST-SIP-")}
    assert set(sip) == {"AST-SIP-101", "AST-SIP-102", "AST-SIP-103", "AST-SIP-104"}
    assert all(r.status == Status.ERROR and "modules.conf" in r.evidence for r in sip.values())


def test_sections_chan_sip_skips_are_notes_not_peers(tree):
    """reload_config(): [authentication] is outbound realm credentials, and a section without a
    peer/user/friend type= is skipped with a warning; neither is a peer to judge."""
    facts = tree({"sip.conf": """
[general]
allowguest=no

[authentication]
auth=trunkuser:Trunk-Secret-77@provider.example

[template-only]
host=dynamic

[101]
type=friend
secret=Str0ng-Enough-Secret-101
"""})
    assert [o.name for o in facts.of_kind("sip.peer")] == ["101"]
    notes = [p for p in facts.configs["sip.conf"].problems if p.note]
    assert [p.line for p in notes] == [4, 7] and not facts.resource_errors("sip.conf")
    assert "Trunk-Secret-77" not in msgspec.json.encode(facts).decode()
