"""AST-NTF-*: what voicemail notifications carry."""
import msgspec

from tests.conftest import only, stage_corpus
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

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
    # [general] is judged once for every mailbox that inherits it; a mailbox on what it sets itself.
    assert run("AST-NTF-101", facts) == {"voicemail.conf [general]": PASS, "mailbox 101@default": FAIL}


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
    assert run("AST-NTF-101", facts) == {"voicemail.conf [general]": FAIL}  # attach=yes in the sample's [general]
    assert run("AST-NTF-102", facts) == {"voicemail.conf [general] email template": FAIL}  # emailbody unset
    # No mailbox has a pager address yet, but any given one later gets the default body, which names the caller.
    assert run("AST-NTF-103", facts) == {"voicemail.conf [general] pager template": FAIL}


def test_delete_after_email(tree, run):
    facts = tree({"voicemail.conf": SAFE_GENERAL + """
[default]
100 => 583920,A,a@clinic.example,,attach=yes|delete=yes
101 => 583921,B,b@clinic.example,,delete=yes
102 => 583922,C,c@clinic.example
"""})
    assert run("AST-NTF-104", facts) == {"mailbox 100@default": FAIL, "mailbox 101@default": PASS,
                                         "mailbox 102@default": PASS}


def test_general_defaults_are_findings_before_any_mailbox_exists(tree, run):
    """FreePBX creates mailboxes later and they inherit [general]: its settings are judged on their own."""
    facts = tree({"voicemail.conf": """
[general]
attach=yes
emailsubject=Voicemail from ${VM_CIDNAME}
pagerbody=New message from ${VM_CALLERID:0:12}
"""})
    assert run("AST-NTF-101", facts) == {"voicemail.conf [general]": FAIL}
    assert run("AST-NTF-102", facts) == {"voicemail.conf [general] email template": FAIL}
    assert run("AST-NTF-103", facts) == {"voicemail.conf [general] pager template": FAIL}
    assert only(run("AST-NTF-104", facts)) == NA  # delete= is a mailbox option: nothing to judge yet
    email = _outcomes("AST-NTF-102", facts)
    assert "emailsubject includes ${VM_CIDNAME}" in email[0].evidence and email[0].location.line == 3
    pager = _outcomes("AST-NTF-103", facts)
    assert "${VM_CALLERID}" in pager[0].evidence


def test_attach_defaults_to_yes_when_general_is_silent(tree, run):
    # app_voicemail load_config: attach unset in [general] is "yes".
    facts = tree({"voicemail.conf": "[general]\nmaxlogins=3\n[default]\n100 => 583920,A,a@x.example,,delete=yes\n"})
    assert run("AST-NTF-101", facts) == {"voicemail.conf [general]": FAIL}
    assert run("AST-NTF-104", facts) == {"mailbox 100@default": FAIL}
    no_general = tree({"voicemail.conf": "[default]\n100 => 583920,A\n"})
    assert run("AST-NTF-101", no_general) == {"voicemail.conf [general]": FAIL}
    assert run("AST-NTF-102", no_general) == {"voicemail.conf [general] email template": FAIL}


def test_mailbox_without_email_inherits_but_is_not_a_resource(tree, run):
    facts = tree({"voicemail.conf": SAFE_GENERAL + "[default]\n100 => 583920,A,,,attach=yes\n"})
    assert run("AST-NTF-101", facts) == {"voicemail.conf [general]": PASS}  # 100 sends no email
    assert only(run("AST-NTF-104", facts)) == NA


def test_no_voicemail_configuration_is_not_applicable(tree, run):
    facts = tree({"extensions.conf": "[x]\nexten => 1,1,Answer()\n"})
    for cid in ("AST-NTF-101", "AST-NTF-102", "AST-NTF-103", "AST-NTF-104"):
        assert only(run(cid, facts)) == NA


def test_mailcmd_arguments_are_not_kept(tree):
    facts = tree({"voicemail.conf": "[general]\nmailcmd=/usr/bin/sendemail -f pbx@x.example -xp Canary-Smtp-77\n"})
    assert "Canary-Smtp-77" not in msgspec.json.encode(facts).decode()
    assert facts.first("voicemail.general").get("mailcmd") == "/usr/bin/sendemail <arguments not kept>"


def _outcomes(check_id, facts):
    from voxaudit.check import CheckContext
    from voxaudit.registry import load_registry
    chk = load_registry().get(check_id)
    return chk(facts, CheckContext(chk.defaults()))
