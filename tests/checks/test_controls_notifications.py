"""NTF-PHI-101..106: what notifications carry and what screens show, judged on hand-built records,
and the same weakness judged alike on every platform bound to a control."""
from __future__ import annotations

from pathlib import Path

from tests.checks.test_freeswitch import HARDENED
from tests.conftest import write_tree
from voxaudit.checks.notifications import (
    APPS_PARAM,
    apps_managed,
    idle_screen_quiet,
    message_kept,
    no_audio_attached,
    no_caller_in_text,
    no_lock_screen_content,
)
from voxaudit.collectors.offline import collect_freeswitch_tree, collect_mdm_policies
from voxaudit.control import Params
from voxaudit.model import Severity, Status
from voxaudit.records.notifications import (
    AudioAttachment,
    IdleScreenAlerts,
    LockScreenContent,
    ManagedAppNotifications,
    MessageAfterEmail,
    NotificationText,
)

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
P = Params({"softphone_apps": APPS_PARAM.default})
MDM = Path(__file__).resolve().parent.parent / "fixtures" / "mdm"


# -- the judges, branch by branch ------------------------------------------------------------------

def test_audio_attached():
    j = no_audio_attached.judge
    v = j(AudioAttachment(subject="d", attached=True, channel="every mailbox's email", setting="attach unset",
                          inherited=True), P)
    assert (v.status, v.evidence) == (FAIL, "audio attached to every mailbox's email (attach unset), including "
                                             "mailboxes created later")
    v = j(AudioAttachment(subject="m", attached=True, channel="email", setting="attach=yes"), P)
    assert (v.status, v.evidence) == (FAIL, "audio attached to email (attach=yes)")
    v = j(AudioAttachment(subject="m", attached=False, channel="email", setting="attach=no"), P)
    assert (v.status, v.evidence) == (PASS, "no audio attached (attach=no)")
    v = j(AudioAttachment(subject="m", attached=False, channel="email", setting="x", undecidable="set at run time"), P)
    assert (v.status, v.evidence, v.error_kind is not None) == (ERROR, "set at run time", True)


def test_caller_named_in_text():
    j = no_caller_in_text.judge
    v = j(NotificationText(subject="t", channel="email", leaks=("subject includes ${X}", "body unset: default")), P)
    assert (v.status, v.evidence) == (FAIL, "subject includes ${X}; body unset: default")
    v = j(NotificationText(subject="t", channel="pager"), P)
    assert (v.status, v.evidence) == (PASS, "pager notification text carries no caller identity")


def test_only_copy_sent_away():
    j = message_kept.judge
    rec = dict(subject="m", deletion="delete=yes", attachment="attach=yes")
    v = j(MessageAfterEmail(deleted=True, attached=True, **rec), P)
    assert (v.status, v.evidence) == (FAIL, "delete=yes with audio attached (attach=yes): the message leaves only "
                                            "as an email attachment")
    assert j(MessageAfterEmail(deleted=True, attached=False, **rec), P).status == PASS  # the link, not the audio
    assert j(MessageAfterEmail(deleted=False, attached=True, **rec), P).status == PASS
    assert j(MessageAfterEmail(deleted=True, attached=True, undecidable="run time", **rec), P).status == ERROR


def test_idle_screen():
    j = idle_screen_quiet.judge
    v = j(IdleScreenAlerts(subject="p", shown=("voicemail", "missed-call")), P)
    assert (v.status, v.evidence) == (FAIL, "voicemail and missed-call popups on the idle screen")
    assert j(IdleScreenAlerts(subject="p"), P).status == PASS


def test_apps_managed_follows_the_profile_list():
    j = apps_managed.judge
    rec = ManagedAppNotifications(subject="ios", managed=("com.glip.mobile", "com.example.other"))
    v = j(rec, Params({"softphone_apps": ["com.glip.mobile", "com.counterpath.bria"]}))
    assert v.status == FAIL and "com.counterpath.bria" in v.evidence and "com.glip.mobile" not in v.evidence
    assert j(rec, Params({"softphone_apps": ["com.glip.mobile"]})).status == PASS
    assert j(ManagedAppNotifications(subject="ios"), P).status == FAIL  # nothing managed at all


def test_lock_screen_content():
    j = no_lock_screen_content.judge
    v = j(LockScreenContent(subject="a", app="com.glip.mobile", shown=True, setting="ShowInLockScreen true"), P)
    assert (v.status, v.evidence) == (FAIL, "ShowInLockScreen true: content visible while locked")
    v = j(LockScreenContent(subject="a", app="com.glip.mobile", shown=False, setting="PreviewType never"), P)
    assert (v.status, v.evidence) == (PASS, "PreviewType never")
    # an app outside the profile's list is not judged; a device-wide setting always is
    assert j(LockScreenContent(subject="a", app="com.example.game", shown=True, setting="x"), P).status == NA
    assert j(LockScreenContent(subject="policy", shown=True, setting="x"), P).status == FAIL


# -- one requirement, one verdict on every platform ------------------------------------------------

def _fs(tmp_path, params: str, vars_xml: str = ""):
    """The hardened FreeSWITCH tree of test_freeswitch, user 2001 mailing its messages with ``params``."""
    files = dict(HARDENED)
    if vars_xml:
        files["vars.xml"] = files["vars.xml"].replace("</include>", vars_xml + "\n</include>")
    files["directory/clinic/2001.xml"] = files["directory/clinic/2001.xml"].replace(
        '<param name="vm-attach-file" value="false"/>', params)
    return collect_freeswitch_tree(write_tree(tmp_path / "fs", files))


def _one(registry, cid, facts):
    out = registry.get(cid)(facts)
    assert len(out) == 1, out
    return out[0]


def test_audio_attachment_alike_on_asterisk_and_freeswitch(tree, tmp_path, registry):
    ast = _one(registry, "AST-NTF-101", tree({"voicemail.conf": "[general]\nattach=yes\n"}))
    fs = _one(registry, "FS-NTF-101", _fs(tmp_path, ""))
    assert ast.status == fs.status == FAIL
    assert registry.resolve("AST-NTF-101") == registry.resolve("FS-NTF-101") == ["NTF-PHI-101"]
    assert registry.get("NTF-PHI-101").meta.severity == Severity.HIGH
    assert fs.fix == ['<param name="vm-attach-file" value="false"/>'] and ast.fix == ["[general]", "attach=no"]
    ast = _one(registry, "AST-NTF-101", tree({"voicemail.conf": "[general]\nattach=no\n"}))
    fs = _one(registry, "FS-NTF-101", _fs(tmp_path, '<param name="vm-attach-file" value="false"/>'))
    assert ast.status == fs.status == PASS


def test_only_copy_alike_on_asterisk_and_freeswitch(tree, tmp_path, registry):
    ast = _one(registry, "AST-NTF-104", tree({"voicemail.conf": "[general]\nattach=yes\n[default]\n"
                                                                "100 => 583920,A,a@x.example,,delete=yes\n"}))
    fs = _one(registry, "FS-NTF-102", _fs(tmp_path, '<param name="vm-keep-local-after-email" value="false"/>'))
    assert ast.status == fs.status == FAIL
    assert registry.resolve("AST-NTF-104") == registry.resolve("FS-NTF-102") == ["NTF-PHI-103"]
    assert "with audio attached" in ast.evidence and "with audio attached" in fs.evidence
    ast = _one(registry, "AST-NTF-104", tree({"voicemail.conf": "[general]\nattach=no\n[default]\n"
                                                                "100 => 583920,A,a@x.example,,delete=yes\n"}))
    fs = _one(registry, "FS-NTF-102", _fs(tmp_path, '<param name="vm-keep-local-after-email" value="false"/>'
                                                    '<param name="vm-attach-file" value="false"/>'))
    assert ast.status == fs.status == PASS


def test_freeswitch_setting_known_only_at_run_time_is_an_error(tmp_path, registry):
    facts = _fs(tmp_path, '<param name="vm-attach-file" value="$${attach_vm}"/>',
                '<X-PRE-PROCESS cmd="env-set" data="attach_vm=$ATTACH_VM"/>')
    for cid in ("FS-NTF-101", "FS-NTF-102"):
        out = _one(registry, cid, facts)
        assert out.status == ERROR and "running host" in out.evidence


def test_email_and_pager_text_are_one_control(tree, registry):
    facts = tree({"voicemail.conf": "[general]\nemailsubject=From ${VM_CIDNAME}\npagerbody=From ${VM_CALLERID}\n"})
    email, pager = _one(registry, "AST-NTF-102", facts), _one(registry, "AST-NTF-103", facts)
    assert email.status == pager.status == FAIL
    assert registry.resolve("AST-NTF-102") == registry.resolve("AST-NTF-103") == ["NTF-PHI-102"]
    assert email.fix[0] == "[general]" and email.fix[1].startswith("emailsubject=")
    assert pager.fix[1].startswith("pagersubject=")
    both = registry.get("NTF-PHI-102")(facts)
    assert {o.resource for o in both} == {"voicemail.conf [general] email template",
                                          "voicemail.conf [general] pager template"}


def test_lock_screen_alike_on_ios_and_android(registry):
    weak = collect_mdm_policies(MDM / "weak")
    ios = registry.get("MDM-NTF-102")(weak)
    android = registry.get("MDM-NTF-103")(weak)
    assert FAIL in {o.status for o in ios} and {o.status for o in android} == {FAIL}
    assert registry.resolve("MDM-NTF-102") == registry.resolve("MDM-NTF-103") == ["NTF-PHI-106"]
    hardened = collect_mdm_policies(MDM / "hardened")
    assert FAIL not in {o.status for o in registry.get("NTF-PHI-106")(hardened)}
    assert PASS in {o.status for o in registry.get("MDM-NTF-103")(hardened)}


def test_citations_are_the_union_of_the_replaced_checks(registry):
    hipaa = {cid: set(registry.get(cid).meta.hipaa) for cid in
             ("NTF-PHI-101", "NTF-PHI-102", "NTF-PHI-103", "NTF-PHI-104", "NTF-PHI-105", "NTF-PHI-106")}
    assert hipaa["NTF-PHI-101"] == {"164.312(e)(1)", "164.530(c)", "164.514(d)"}
    assert hipaa["NTF-PHI-103"] == {"164.312(e)(1)", "164.310(d)(2)(i)", "164.530(c)", "164.514(d)"}
    assert hipaa["NTF-PHI-105"] == {"164.530(c)"}
    for cid in ("NTF-PHI-102", "NTF-PHI-104", "NTF-PHI-106"):
        assert hipaa[cid] == {"164.530(c)", "164.514(d)"}
