"""AST-TLS-*, AST-SRTP-*: signalling and media encryption on chan_pjsip."""
from tests.conftest import only, stage_corpus
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE

TRANSPORTS = """
[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0:5060

[transport-local]
type=transport
protocol=tcp
bind=127.0.0.1:5060

[transport-tls]
type=transport
protocol=tls
bind=0.0.0.0:5061
cert_file=/etc/asterisk/keys/pbx.crt
priv_key_file=/etc/asterisk/keys/pbx.key
method=tlsv1_2
verify_server=yes

[transport-tls-old]
type=transport
protocol=tls
bind=0.0.0.0:5062
method=tlsv1
cipher=ALL
"""


def test_plaintext_transports_fail_tls_and_loopback_pass(tree, run):
    r = run("AST-TLS-101", tree({"pjsip.conf": TRANSPORTS}))
    assert r["transport transport-udp"] == FAIL
    assert r["transport transport-local"] == PASS
    assert r["transport transport-tls"] == PASS


def test_tls_min_version(tree, run):
    facts = tree({"pjsip.conf": TRANSPORTS + "\n[tls-default]\ntype=transport\nprotocol=tls\nbind=0.0.0.0:5063\n"})
    r = run("AST-TLS-102", facts)
    assert r["transport transport-tls"] == PASS
    assert r["transport transport-tls-old"] == FAIL
    assert r["transport tls-default"] == FAIL  # PJSIP's default admits TLS 1.0
    assert run("AST-TLS-102", facts, min_tls_version="1.3")["transport transport-tls"] == FAIL


def test_tls_verification_and_ciphers(tree, run):
    facts = tree({"pjsip.conf": TRANSPORTS})
    v = run("AST-TLS-103", facts)
    assert v["transport transport-tls"] == PASS and v["transport transport-tls-old"] == FAIL
    c = run("AST-TLS-104", facts)
    assert c["transport transport-tls"] == PASS and c["transport transport-tls-old"] == FAIL
    weak = tree({"pjsip.conf": "[t]\ntype=transport\nprotocol=tls\ncipher=AES256-SHA:RC4-MD5\n"})
    assert run("AST-TLS-104", weak) == {"transport t": FAIL}


def test_no_tls_transport_is_not_applicable(tree, run):
    facts = tree({"pjsip.conf": "[u]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n"})
    for cid in ("AST-TLS-102", "AST-TLS-103", "AST-TLS-104"):
        assert only(run(cid, facts)) == NA


ENDPOINTS = TRANSPORTS + """
[phone](!)
type=endpoint
context=from-internal
transport=transport-tls
media_encryption=sdes

[201](phone)
[202](phone)
media_encryption_optimistic=yes
[203]
type=endpoint
context=from-internal
[204](phone)
transport=transport-udp
[205]
type=endpoint
media_encryption=dtls
"""


def test_endpoint_srtp_and_optimistic_and_sdes_over_plaintext(tree, run):
    facts = tree({"pjsip.conf": ENDPOINTS})
    srtp = run("AST-SRTP-101", facts)
    assert srtp == {"endpoint 201": PASS, "endpoint 202": PASS, "endpoint 203": FAIL,
                    "endpoint 204": PASS, "endpoint 205": PASS}
    opt = run("AST-SRTP-102", facts)
    assert opt["endpoint 202"] == FAIL and opt["endpoint 201"] == PASS
    sdes = run("AST-SRTP-103", facts)
    assert sdes["endpoint 201"] == PASS
    assert sdes["endpoint 204"] == FAIL  # pinned to udp: keys in clear
    assert "endpoint 205" not in sdes   # dtls needs no TLS signalling


def test_unpinned_sdes_endpoint_fails_when_plaintext_transport_exists(tree, run):
    facts = tree({"pjsip.conf": TRANSPORTS + "[300]\ntype=endpoint\nmedia_encryption=sdes\n"})
    assert run("AST-SRTP-103", facts) == {"endpoint 300": FAIL}


def test_trunks(tree, run):
    facts = tree({"pjsip.conf": TRANSPORTS + """
[carrier]
type=registration
transport=transport-udp
server_uri=sip:trunk.carrier.example
[carrier]
type=endpoint
transport=transport-udp
[secure]
type=registration
transport=transport-tls
server_uri=sip:sbc.example:5061;transport=tls
[secure]
type=endpoint
transport=transport-tls
"""})
    r = run("AST-TLS-105", facts)
    assert r == {"registration carrier": FAIL, "registration secure": PASS,
                 "trunk endpoint carrier": FAIL, "trunk endpoint secure": PASS}


def test_corpus_pjsip_sample_has_nothing_active(corpus, tmp_path, run):
    from voxaudit.collectors.offline import collect_asterisk_tree
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {"pjsip.conf.sample": "pjsip.conf"}))
    for cid in ("AST-TLS-101", "AST-SRTP-101", "AST-TLS-105"):
        assert only(run(cid, facts)) == NA
