"""AST-ACC-*: pjsip authentication, anonymous endpoints, ACLs."""
from tests.conftest import statuses
from voxaudit.model import Status

FAIL, PASS = Status.FAIL, Status.PASS

PJSIP = """
[201]
type=endpoint
auth=201-auth
contact_deny=0.0.0.0/0.0.0.0
contact_permit=10.20.30.0/255.255.255.0
[201-auth]
type=auth
auth_type=userpass
username=201
password=201
[202]
type=endpoint
auth=202-auth
[202-auth]
type=auth
username=202
password=Vx8Kq2Lm9Zr4Tw7Nb1Hc
[203]
type=endpoint
context=from-internal
[anonymous]
type=endpoint
context=from-pstn
[carrier]
type=endpoint
outbound_auth=carrier-auth
[carrier]
type=identify
endpoint=carrier
match=203.0.113.10
[carrier-auth]
type=auth
username=acct
password=Vx8Kq2Lm9Zr4Tw7Nb1Hc
[md5]
type=auth
username=md5
md5_cred=8a9f0c1e2d3b4a5968778695a4b3c2d1
"""


def test_auth_required(tree, run):
    r = run("AST-ACC-102", tree({"pjsip.conf": PJSIP}))
    assert statuses(r, FAIL) == {"endpoint 203", "endpoint anonymous"}
    assert statuses(r, PASS) == {"endpoint 201", "endpoint 202", "endpoint carrier"}


def test_sip_passwords(tree, run):
    r = run("AST-ACC-103", tree({"pjsip.conf": PJSIP}))
    assert r["auth 201-auth"] == FAIL           # equals username
    assert r["auth 202-auth"] == FAIL           # shared with carrier-auth
    assert r["auth carrier-auth"] == FAIL
    assert r["auth md5"] == Status.ERROR  # stored hashed: strength unknown, never PASS
    alone = tree({"pjsip.conf": "[a]\ntype=auth\nusername=a\npassword=Vx8Kq2Lm9Zr4Tw7Nb1Hc\n"})
    assert run("AST-ACC-103", alone) == {"auth a": PASS}


def test_endpoint_acl(tree, run):
    r = run("AST-ACC-101", tree({"pjsip.conf": PJSIP}))
    assert statuses(r, PASS) == {"endpoint 201", "endpoint carrier"}
    assert statuses(r, FAIL) == {"endpoint 202", "endpoint 203", "endpoint anonymous"}
    glob = tree({"pjsip.conf": PJSIP + "[acl]\ntype=acl\ndeny=0.0.0.0/0.0.0.0\npermit=10.20.30.0/24\n"})
    assert statuses(run("AST-ACC-101", glob), FAIL) == set()
