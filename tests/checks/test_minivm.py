"""minivm.conf (app_minivm): accounts feed the PIN checks, templates the notification checks
(auditor/facts/asterisk_minivm.py). The sample is Asterisk's own (tests/fixtures/asterisk_dialplan/README.md)."""
from __future__ import annotations

import shutil

import msgspec

from tests.conftest import REPO, only, statuses
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = REPO / "tests" / "fixtures" / "asterisk_dialplan"

MINIVM = """
[general]
format=wav49
mailcmd=/usr/sbin/sendmail -t -oi --auth=Canary-Mail-55
emailsubject=Voicemail from ${MVM_CIDNAME}
emailbody=Dear ${MVM_NAME}, a ${MVM_DUR} long message is waiting.
pagerbody=New message ${MVM_COUNTER}

[template-clean]
subject=New voicemail
messagebody=You have a new voicemail. Call the voicemail system to listen.
attachmedia=no

[template-chatty]
subject=Message from ${MVM_CALLERID:0:20}
fromemail=pbx@clinic.example

[template-sms]
messagebody=Call from ${MVM_CIDNUM}
attachmedia=no

[template-fromfile]
templatefile=templates/body.txt
attachmedia=no

[100@clinic.example]
fullname=Dr. Able
pincode=583920
etemplate=clean
ptemplate=sms
pager=5550100@sms.example
setvar=SERVICE=Canary-Setvar-66

[101@clinic.example]
fullname=Front Desk
pincode=101
email=desk@clinic.example
colour=blue

[102@clinic.example]
fullname=Dr. Baker

[103@clinic.example]
fullname=Dr. Chen
pincode=730281

[orphan]
pincode=9
"""

VOICEMAIL = """
[general]
attach=no
emailsubject=New voicemail in ${VM_MAILBOX}
emailbody=You have a new voicemail.
pagerbody=New voicemail
[default]
200 => 730281,Dr. Dee,dee@clinic.example
"""


def _outcomes(registry, check_id, facts):
    chk = registry.get(check_id)
    return {o.resource: o for o in chk(facts, CheckContext(chk.defaults()))}


def test_minivm_accounts_are_mailboxes_for_the_pin_checks(tree, run):
    facts = tree({"minivm.conf": MINIVM, "voicemail.conf": VOICEMAIL})
    boxes = {mb.name: mb for mb in facts.of_kind("voicemail.mailbox")}
    assert set(boxes) == {"100@clinic.example", "101@clinic.example", "102@clinic.example", "103@clinic.example",
                          "200@default"}
    assert boxes["102@clinic.example"].get("email") == "102@clinic.example"  # sendmail(): user@domain by default
    # An account without a pincode keeps no phone-accessible messages: nothing for a PIN to guard.
    r = run("AST-VM-101", facts)
    assert r["mailbox 102@clinic.example"] == NA and r["mailbox 100@clinic.example"] == PASS
    assert statuses(run("AST-VM-102", facts), FAIL) == {"mailbox 101@clinic.example"}
    assert statuses(run("AST-VM-104", facts), FAIL) == {"mailbox 101@clinic.example"}
    # The same PIN in minivm.conf and voicemail.conf is one shared PIN.
    assert statuses(run("AST-VM-106", facts), FAIL) == {"mailbox 103@clinic.example", "mailbox 200@default"}
    assert statuses(run("AST-VM-109", facts), FAIL) == {"mailbox 101@clinic.example"}
    problems = {(p.line, p.note) for p in facts.configs["minivm.conf"].problems}
    # unknown option (note), no @domain (note), the templatefile body that is not read (gap)
    assert problems == {(37, True), (46, True), (22, False)}


def test_minivm_pins_are_judged_even_when_app_voicemail_keeps_its_pins_in_the_spool(tree, run):
    facts = tree({"minivm.conf": MINIVM, "voicemail.conf": "[general]\npasswordlocation=spooldir\n"
                                                          "[default]\n200 => ,Dr. Dee\n"})
    r = run("AST-VM-102", facts)
    # app_voicemail's PIN is in the spool, which is not read: unknown (ERROR), never judged
    assert r["mailbox 101@clinic.example"] == FAIL and r["mailbox 200@default"] == Status.ERROR


def test_minivm_templates_for_the_notification_checks(tree, run, registry):
    facts = tree({"minivm.conf": MINIVM, "voicemail.conf": VOICEMAIL})
    assert run("AST-NTF-101", facts) == {
        "voicemail.conf [general]": PASS,
        "minivm.conf [template-clean]": PASS, "minivm.conf [template-chatty]": FAIL,  # attachmedia defaults to yes
        "minivm.conf [template-sms]": PASS, "minivm.conf [template-fromfile]": PASS,
        "minivm.conf email-default template ([general])": FAIL,  # app_minivm always attaches with it
        "minivm.conf pager-default template ([general])": PASS}
    # Email: every template but the one used only as a pager template; the templatefile body is not read,
    # so that template gets no verdict here (the gap makes the check ERROR for it).
    assert run("AST-NTF-102", facts) == {
        "voicemail.conf [general] email template": PASS, "minivm.conf [template-clean]": PASS,
        "minivm.conf [template-chatty]": FAIL, "minivm.conf email-default template ([general])": FAIL}
    assert run("AST-NTF-103", facts) == {
        "voicemail.conf [general] pager template": PASS, "minivm.conf [template-sms]": FAIL,
        "minivm.conf pager-default template ([general])": PASS}
    email = _outcomes(registry, "AST-NTF-102", facts)
    assert "${MVM_CALLERID}" in email["minivm.conf [template-chatty]"].evidence
    assert "built-in text names the caller" in email["minivm.conf [template-chatty]"].evidence
    assert "${MVM_CIDNAME}" in email["minivm.conf email-default template ([general])"].evidence
    dump = msgspec.json.encode(facts).decode()
    assert "Canary-Mail-55" not in dump and "Canary-Setvar-66" not in dump and "583920" not in dump
    for cid in ("AST-NTF-101", "AST-NTF-102", "AST-NTF-103", "AST-VM-101", "AST-VM-104", "AST-VM-106"):
        for o in _outcomes(registry, cid, facts).values():
            assert "583920" not in o.evidence and "730281" not in o.evidence


def test_asterisk_minivm_sample(tmp_path, run):
    """configs/samples/minivm.conf.sample: two templates that attach media and name the caller, the
    built-in templates from a [general] whose email/pager texts are commented out; no accounts."""
    shutil.copy(FIXTURES / "minivm" / "minivm.conf", tmp_path / "minivm.conf")
    facts = collect_asterisk_tree(tmp_path)
    assert run("AST-NTF-101", facts) == {
        "minivm.conf [template-sv_SE_email]": FAIL, "minivm.conf [template-en_US_email]": FAIL,
        "minivm.conf email-default template ([general])": FAIL, "minivm.conf pager-default template ([general])": PASS}
    assert run("AST-NTF-102", facts) == {
        "minivm.conf [template-sv_SE_email]": FAIL, "minivm.conf [template-en_US_email]": FAIL,
        "minivm.conf email-default template ([general])": FAIL}
    assert run("AST-NTF-103", facts) == {"minivm.conf pager-default template ([general])": FAIL}
    assert only(run("AST-VM-101", facts)) == NA  # no accounts (the sample's are commented out)
    # The sample is ISO-8859-1: read byte for byte (as Asterisk reads bytes), which the reader notes;
    # nothing is replaced or hidden, so it is not a gap.
    probs = facts.configs["minivm.conf"].problems
    assert any(p.note and "UTF-8" in p.message for p in probs) and not any(p.is_gap for p in probs)
