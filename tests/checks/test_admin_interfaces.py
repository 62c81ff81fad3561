"""AST-HTTP-101, AST-ARI-*, AST-AMI-*: management interfaces."""
from tests.conftest import only, stage_corpus
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE

HTTP_OPEN = "[general]\nenabled=yes\nbindaddr=0.0.0.0\ntlsenable=yes\ntlsbindaddr=0.0.0.0:8089\n"
HTTP_SAFE = "[general]\nenabled=yes\nbindaddr=127.0.0.1\ntlsenable=yes\ntlsbindaddr=0.0.0.0:8089\n"
ARI = "[general]\nenabled=yes\n[app]\ntype=user\npassword=app\n[good]\ntype=user\npassword=Xq9Lz2Wv8Rt4Nm7Kc1Pb\n" \
      "[hashed]\ntype=user\npassword=$6$salt$abcdefghijkl\npassword_format=crypt\n"


def test_http_plaintext_listener(tree, run):
    assert only(run("AST-HTTP-101", tree({"http.conf": HTTP_OPEN}))) == FAIL
    assert only(run("AST-HTTP-101", tree({"http.conf": HTTP_SAFE}))) == PASS


def test_corpus_http_and_ari_samples(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path,
                                               {"http.conf.sample": "http.conf", "ari.conf.sample": "ari.conf"}))
    assert only(run("AST-HTTP-101", facts)) == NA  # enabled=yes is commented out in the sample
    assert only(run("AST-ARI-101", facts)) == NA


def test_ari_over_plaintext_and_passwords(tree, run):
    assert only(run("AST-ARI-101", tree({"http.conf": HTTP_OPEN, "ari.conf": ARI}))) == FAIL
    assert only(run("AST-ARI-101", tree({"http.conf": HTTP_SAFE, "ari.conf": ARI}))) == PASS
    p = run("AST-ARI-102", tree({"ari.conf": ARI}))
    assert p == {"ari user app": FAIL, "ari user good": PASS, "ari user hashed": Status.ERROR}


MANAGER = """
[general]
enabled = yes
port = 5038
bindaddr = 0.0.0.0

[admin]
secret = amp111
deny=0.0.0.0/0.0.0.0
permit=127.0.0.1/255.255.255.0

[monitor]
secret = Zr7Qw2Lx9Vb4Nk8Tc1Mp
permit=0.0.0.0/0.0.0.0

[open]
secret = Hn3Wq8Lz1Xc6Vb9Tr4Mk
"""


def test_ami_exposure_secrets_and_acl(tree, run):
    facts = tree({"manager.conf": MANAGER})
    assert only(run("AST-AMI-101", facts)) == FAIL
    s = run("AST-AMI-102", facts)
    assert s == {"manager user admin": FAIL, "manager user monitor": PASS, "manager user open": PASS}
    a = run("AST-AMI-103", facts)
    assert a == {"manager user admin": PASS, "manager user monitor": FAIL, "manager user open": FAIL}
    local = tree({"manager.conf": MANAGER.replace("bindaddr = 0.0.0.0", "bindaddr = 127.0.0.1")})
    assert only(run("AST-AMI-101", local)) == PASS


def test_corpus_manager_sample_is_disabled(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {"manager.conf.sample": "manager.conf"}))
    for cid in ("AST-AMI-101", "AST-AMI-102", "AST-AMI-103"):
        assert only(run(cid, facts)) == NA
