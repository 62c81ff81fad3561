"""AST-VM-*: per-user mailbox authentication."""
import msgspec

from tests.conftest import REPO, only, stage_corpus, statuses
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = REPO / "tests" / "fixtures" / "asterisk_dialplan"

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
    from voxaudit.check import CheckContext
    facts = tree({"voicemail.conf": VM})
    text = msgspec.json.encode(facts).decode()
    for pin in ("583920", "987654", "730281", "11111111"):
        assert pin not in text
    for cid in ("AST-VM-101", "AST-VM-102", "AST-VM-103", "AST-VM-104", "AST-VM-106"):
        chk = registry.get(cid)
        for o in chk(facts, CheckContext(chk.defaults())):
            assert "583920" not in o.evidence and "4455" not in o.evidence


def test_passwordlocation_spooldir_is_unknown_not_judged(tree, run, registry):
    """PINs kept in the spool are not in the files: unknown (ERROR), never a pass or "nothing here"."""
    facts = tree({"voicemail.conf": "[general]\npasswordlocation=spooldir\n[default]\n100 => ,A,a@x.example\n"})
    for cid in ("AST-VM-101", "AST-VM-102", "AST-VM-103", "AST-VM-104", "AST-VM-106"):
        assert only(run(cid, facts)) == Status.ERROR, cid
    outcome = registry.get("MBX-PIN-103")(facts)[0]
    assert "spool" in outcome.evidence and outcome.error_kind is not None


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
exten => 8501,1,VoiceMailMain(s${CALLERID(num)}@default)
exten => 8502,1,VoiceMailMain(ps100@default)
exten => 8503,1,VoiceMailMain(100@default,a(Friends))
exten => 8504,1,VoiceMailMain(100@default,"s")
exten => 8505,1,VoiceMailMain(100@default,${VMOPTS})
"""})
    r = run("AST-VM-108", facts)
    # vm_execmain: 's' skips the PIN only when a mailbox is named ('@default,s' asks for mailbox and PIN);
    # with a single argument the old 's<mailbox>' prefix skips it too, unless 'p' (prefix mode) is there;
    # 'a(Friends)' is the autoplay option with a folder argument, not 's'; options from a variable may be 's':
    # unknown from the configuration alone, so ERROR with the reason, never PASS.
    assert statuses(r, FAIL) == {"dialplan from-internal,*98,1", "dialplan from-internal,8501,1",
                                 "dialplan from-internal,8504,1"}
    assert statuses(r, Status.ERROR) == {"dialplan from-internal,8505,1"}
    assert statuses(r, PASS) == {"dialplan from-internal,*97,1", "dialplan from-internal,*99,1",
                                 "dialplan from-internal,8500,1", "dialplan from-internal,8502,1",
                                 "dialplan from-internal,8503,1"}


def test_voicemailmain_hidden_in_execif_exec_and_if_branches(tree, run, registry):
    """The PIN skip is found wherever the application runs, with the line it is written on."""
    facts = tree({"extensions.conf": """
[from-internal]
exten => *97,1,ExecIf($["${CALLERID(num)}" = "${EXTEN:1}"]?VoiceMailMain(${CALLERID(num)}@default,s):VoiceMailMain(@default))
exten => *96,1,ExecIf($["${X}" = "1"],VoiceMailMain,${CALLERID(num)}@default,s)
exten => *95,1,Exec(VoiceMailMain(100@default,s))
exten => *94,1,TryExec(VoiceMailMain(101@default))
exten => *93,1,VoiceMailMain(102@default${IF($["${SKIP}" = "1"]?,s)})
exten => *92,1,Exec(${IF($[${A}]?VoiceMailMain(103,s):Playback(vm-goodbye))})
exten => *91,1,ExecIf(1?ExecIf(1?TryExec(VoiceMailMain(104,s))))
exten => *90,1,ExecIf(1?${APP}(105,s))
exten => *89,1,ExecIf($[1] ? VoiceMailMain(106,s))
"""})
    r = run("AST-VM-108", facts)
    assert statuses(r, FAIL) == {
        "dialplan from-internal,*97,1 via ExecIf(true)", "dialplan from-internal,*96,1 via ExecIf(true)",
        "dialplan from-internal,*95,1 via Exec", "dialplan from-internal,*93,1 via IF(true)",
        "dialplan from-internal,*92,1 via IF(true)>Exec",
        "dialplan from-internal,*91,1 via ExecIf(true)>ExecIf(true)>TryExec"}
    assert statuses(r, PASS) == {"dialplan from-internal,*97,1 via ExecIf(false)",
                                 "dialplan from-internal,*94,1 via TryExec", "dialplan from-internal,*93,1 via IF(false)"}
    # ' VoiceMailMain' (with the space) is no application Asterisk knows: nothing runs, nothing to judge.
    assert not any("*89" in res for res in r)
    step = next(s for s in facts.dialplan if s.via == "ExecIf(true)" and s.exten == "*97")
    assert (step.source.file, step.source.line) == ("extensions.conf", 2)
    # An application whose name comes from a variable cannot be judged: a gap, so the check is ERROR there.
    gaps = [p for p in facts.configs["extensions.conf"].problems if p.is_gap]
    assert [(p.line, "computed at run time" in p.message) for p in gaps] == [(9, True)]
    from voxaudit.model import Status as S
    from voxaudit.runner import evaluate_target
    from voxaudit.scan import TargetRecord
    results = evaluate_target(TargetRecord(name="t", platform="asterisk", facts=facts), [registry.get("AST-VM-108")], {})
    assert any(x.status == S.ERROR and x.resource == "(unread parts of extensions.conf)" for x in results)


def test_freepbx_generated_dialplan_real_file(tmp_path, run):
    """A real FreePBX extensions_additional.conf (tests/fixtures/asterisk_dialplan/README.md): its vm-callme
    '*' and app-vmmain '*97' (no-password path) skip the PIN; nothing else does."""
    import shutil
    root = tmp_path / "etc-asterisk"
    root.mkdir()
    shutil.copy(FIXTURES / "freepbx-dring" / "extensions_additional.conf", root)
    (root / "extensions.conf").write_text("[general]\nstatic=yes\n#include extensions_additional.conf\n")
    (root / "globals_custom.conf").write_text("")  # FreePBX creates it empty; the file #includes it
    facts = collect_asterisk_tree(root)
    r = run("AST-VM-108", facts)
    # *97: 1-9, then 'check+101(mbexist)' = 5 + 101 = 106, so the 's' one is 109 (line 1973).
    assert statuses(r, FAIL) == {"dialplan vm-callme,*,2", "dialplan app-vmmain,*97,109"}
    assert statuses(r, PASS) == {"dialplan app-dialvm,*98,12", "dialplan app-dialvm,_*98.,4",
                                 "dialplan app-vmmain,*97,7", "dialplan app-vmmain,*97,112",
                                 "dialplan macro-vm,adef,1"}
    skip = next(s for s in facts.dialplan if s.label == "app-vmmain,*97,109")
    assert (skip.source.file, skip.source.line) == ("extensions_additional.conf", 1973)
    assert facts.flavor == "freepbx"
    assert not [p for p in facts.configs["extensions.conf"].problems if p.is_gap]
    # GosubIf both branches become Gosub steps on the GosubIf's line.
    gosubs = [s for s in facts.dialplan if s.via.startswith("GosubIf(")]
    assert {s.via for s in gosubs} == {"GosubIf(true)", "GosubIf(false)"}
    assert len([s for s in facts.dialplan if s.via.startswith("ExecIf(")]) >= 90


def test_corpus_extensions_sample_never_skips_pin(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {"extensions.conf.sample": "extensions.conf"}))
    r = run("AST-VM-108", facts)
    assert r and only(r) == PASS


def test_shared_mailbox_names(tree, run):
    r = run("AST-VM-109", tree({"voicemail.conf": VM}))
    assert statuses(r, FAIL) == {"mailbox 106@default"}
    r = run("AST-VM-109", tree({"voicemail.conf": VM}), shared_mailbox_words=["dr."])
    assert statuses(r, FAIL) == {"mailbox 100@default", "mailbox 101@default"}
