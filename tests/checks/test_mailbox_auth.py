"""AST-VM-*: per-user mailbox authentication."""
from auditor.collectors.offline import collect_asterisk_tree
from auditor.model import Status
from tests.conftest import only, stage_corpus, statuses

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE

VM = """
[general]
minpassword=6
maxlogins=3

[default]
100 => 583920,Dr. Able,able@clinic.example
101 => ,Dr. Baker,baker@clinic.example
102 => 102,Carol Chen,carol@clinic.example
103 => 1234,Dan Diaz,dan@clinic.example
104 => 987654,Eve East,eve@clinic.example
105 => 4455,Fay Fox,fay@clinic.example
106 => 730281,Front Desk,desk@clinic.example
107 => 730281,Gus Green,gus@clinic.example
108 => -11111111,Hal Hill,hal@clinic.example
"""


def test_pin_checks_one_defect_each(tree, run):
    facts = tree({"voicemail.conf": VM})
    assert statuses(run("AST-VM-101", facts), FAIL) == {"mailbox 101@default"}
    assert statuses(run("AST-VM-102", facts), FAIL) == {"mailbox 102@default"}
    assert statuses(run("AST-VM-103", facts), FAIL) == {"mailbox 103@default", "mailbox 104@default", "mailbox 108@default"}
    assert statuses(run("AST-VM-104", facts), FAIL) == {"mailbox 102@default", "mailbox 103@default", "mailbox 105@default"}
    assert statuses(run("AST-VM-106", facts), FAIL) == {"mailbox 106@default", "mailbox 107@default"}
    assert run("AST-VM-101", facts)["mailbox 100@default"] == PASS


def test_pin_length_parameter(tree, run):
    facts = tree({"voicemail.conf": VM})
    assert statuses(run("AST-VM-104", facts, min_pin_length=4), FAIL) == {"mailbox 102@default"}


def test_evidence_never_contains_the_pin(tree, registry):
    from auditor.check import CheckContext
    facts = tree({"voicemail.conf": VM})
    text = facts.model_dump_json()
    for pin in ("583920", "987654", "730281", "11111111"):
        assert pin not in text
    for cid in ("AST-VM-101", "AST-VM-102", "AST-VM-103", "AST-VM-104", "AST-VM-106"):
        chk = registry.get(cid)
        for o in chk(facts, CheckContext(chk.defaults())):
            assert "583920" not in o.evidence and "4455" not in o.evidence


def test_passwordlocation_spooldir_is_not_judged(tree, run):
    facts = tree({"voicemail.conf": "[general]\npasswordlocation=spooldir\n[default]\n100 => ,A,a@x.example\n"})
    assert only(run("AST-VM-101", facts)) == NA


def test_minpassword_and_maxlogins(tree, run):
    good = tree({"voicemail.conf": VM})
    assert only(run("AST-VM-105", good)) == PASS
    assert only(run("AST-VM-107", good)) == PASS
    weak = tree({"voicemail.conf": "[general]\nminpassword=4\nmaxlogins=10\n[default]\n1 => 1,A\n"})
    assert only(run("AST-VM-105", weak)) == FAIL
    assert only(run("AST-VM-107", weak)) == FAIL


def test_corpus_voicemail_sample(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {"voicemail.conf.sample": "voicemail.conf"}))
    assert only(run("AST-VM-105", facts)) == FAIL   # minpassword is commented out in the sample
    assert only(run("AST-VM-107", facts)) == PASS   # maxlogins=3
    # [myaliases] holds alias mappings, not mailboxes; 4242 is the sample's PIN, 5678 a sequence.
    assert run("AST-VM-103", facts) == {"mailbox 1234@default": FAIL, "mailbox 1234@other": FAIL}


def test_voicemailmain_s_option(tree, run):
    facts = tree({"extensions.conf": """
[from-internal]
exten => *97,1,VoiceMailMain(${CALLERID(num)}@default)
exten => *98,1,VoiceMailMain(${CALLERID(num)}@default,s)
 same => n,Hangup()
exten => *99,1,VoiceMailMain(@default,s)
exten => 8500,1,VoiceMailMain()
"""})
    r = run("AST-VM-108", facts)
    assert statuses(r, FAIL) == {"dialplan from-internal,*98,1", "dialplan from-internal,*99,1"}
    assert statuses(r, PASS) == {"dialplan from-internal,*97,1", "dialplan from-internal,8500,1"}


def test_corpus_extensions_sample_never_skips_pin(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {"extensions.conf.sample": "extensions.conf"}))
    r = run("AST-VM-108", facts)
    assert r and only(r) == PASS


def test_shared_mailbox_names(tree, run):
    r = run("AST-VM-109", tree({"voicemail.conf": VM}))
    assert statuses(r, FAIL) == {"mailbox 106@default"}
    r = run("AST-VM-109", tree({"voicemail.conf": VM}), shared_mailbox_words=["dr."])
    assert statuses(r, FAIL) == {"mailbox 100@default", "mailbox 101@default"}
