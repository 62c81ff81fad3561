"""AST-SIP-*: chan_sip transport, SRTP, guests, secrets."""
from auditor.model import Status
from tests.conftest import only

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
    assert run("AST-SIP-101", facts) == {"sip peer p": FAIL}


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
    assert r["sip peer 1003"] == PASS


def test_no_sip_conf_is_not_applicable(tree, run):
    facts = tree({"pjsip.conf": "[t]\ntype=transport\nprotocol=tls\n"})
    for cid in ("AST-SIP-101", "AST-SIP-102", "AST-SIP-103", "AST-SIP-104"):
        assert only(run(cid, facts)) == NA
