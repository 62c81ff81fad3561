"""AST-NTF-*: what voicemail notifications carry."""
from auditor.collectors.offline import collect_asterisk_tree
from auditor.model import Status
from tests.conftest import only, stage_corpus

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE

SAFE_GENERAL = """
[general]
attach=no
emailsubject=New voicemail in mailbox ${VM_MAILBOX}
emailbody=You have a new voicemail (${VM_DUR}). Call *97 to listen.\\n
pagerbody=New voicemail in box ${VM_MAILBOX}
"""


def test_attach_general_and_per_mailbox(tree, run):
    facts = tree({"voicemail.conf": SAFE_GENERAL + """
[default]
100 => 583920,A,a@clinic.example
101 => 583921,B,b@clinic.example,,attach=yes
102 => 583922,C
"""})
    assert run("AST-NTF-101", facts) == {"mailbox 100@default": PASS, "mailbox 101@default": FAIL}


def test_caller_identity_in_templates_and_defaults(tree, run):
    leaky = tree({"voicemail.conf": """
[general]
emailsubject=New message from ${VM_CALLERID}
emailbody=Hi ${VM_NAME}, ${VM_CIDNAME} left a message
[default]
100 => 583920,A,a@clinic.example,5551234@sms.example
101 => 583921,B,b@clinic.example,,emailsubject=Voicemail|emailbody=You have a new voicemail
"""})
    email = run("AST-NTF-102", leaky)
    assert email == {"voicemail.conf [general] email template": FAIL, "mailbox 101@default email template": PASS}
    assert run("AST-NTF-103", leaky) == {"voicemail.conf [general] pager template": FAIL}  # default pager body
    safe = tree({"voicemail.conf": SAFE_GENERAL + "[default]\n100 => 583920,A,a@x.example,555@sms.example\n"})
    assert only(run("AST-NTF-102", safe)) == PASS
    assert only(run("AST-NTF-103", safe)) == PASS


def test_corpus_sample_default_body_and_attach(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {"voicemail.conf.sample": "voicemail.conf"}))
    assert run("AST-NTF-101", facts)["mailbox 1234@default"] == FAIL  # attach=yes in the sample's [general]
    assert run("AST-NTF-102", facts) == {"voicemail.conf [general] email template": FAIL}  # emailbody unset
    assert only(run("AST-NTF-103", facts)) == NA  # no mailbox has a pager address


def test_delete_after_email(tree, run):
    facts = tree({"voicemail.conf": SAFE_GENERAL + """
[default]
100 => 583920,A,a@clinic.example,,attach=yes|delete=yes
101 => 583921,B,b@clinic.example,,delete=yes
102 => 583922,C,c@clinic.example
"""})
    assert run("AST-NTF-104", facts) == {"mailbox 100@default": FAIL, "mailbox 101@default": PASS,
                                         "mailbox 102@default": PASS}


def test_no_email_is_not_applicable(tree, run):
    facts = tree({"voicemail.conf": "[general]\nattach=yes\n[default]\n100 => 583920,A\n"})
    for cid in ("AST-NTF-101", "AST-NTF-102", "AST-NTF-104"):
        assert only(run(cid, facts)) == NA
