"""The dialplan as Asterisk runs it: pbx_config's extensions.conf, pbx_ael's extensions.ael, and the
applications ExecIf/Exec/TryExec/GosubIf and ${IF()} run (auditor/facts/asterisk_dialplan.py,
auditor/parsers/asterisk_ael.py). Fixtures and their provenance: tests/fixtures/asterisk_dialplan/README.md."""
from __future__ import annotations

import collections
import random
import shutil
import time
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, statuses, write_tree
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.facts.asterisk import ASTERISK_ROOTS, build_asterisk_facts
from voxaudit.facts.asterisk_dialplan import (
    ROOT_READERS,
    expand_application,
    if_alternatives,
    piece,
    separate,
    substitution_mask,
    voicemailmain_access,
)
from voxaudit.facts.asterisk_dialplan import _Budget as Budget
from voxaudit.model import Status
from voxaudit.parsers.asterisk_ael import parse_ael, parse_ael_text
from voxaudit.parsers.asterisk_conf import parse_config, parse_text

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = REPO / "tests" / "fixtures" / "asterisk_dialplan"


def collect(root: Path):
    """What collect_asterisk_tree does once it reads each root with ROOT_READERS (extensions.ael with the
    AEL reader, every other root with parse_config): the change this piece asks of the collector."""
    parsed = {name: ROOT_READERS.get(name, parse_config)(root, name) for name in ASTERISK_ROOTS}
    return build_asterisk_facts(parsed)


def texts(pieces):
    return [p.text for p in pieces]


# -- the argument scanner ------------------------------------------------------------------------

def test_separate_follows_ast_app_separate_args():
    # Parentheses, brackets and double quotes protect the delimiter; the last piece is the unscanned rest.
    assert texts(separate(piece('a,b(c,d),"e,f",[g,h],i'), ",", 10, False)) == ["a", "b(c,d)", '"e,f"', "[g,h]", "i"]
    assert texts(separate(piece("a,b,c,d"), ",", 2, False)) == ["a", "b,c,d"]
    # AST_STANDARD_APP_ARGS drops quotes and backslashes from what it scans, not from the rest.
    assert texts(separate(piece('"a,b"\\,c,"d"'), ",", 2, True)) == ["a,b,c", '"d"']
    # A trailing delimiter makes one more, empty, argument; an empty string none.
    assert texts(separate(piece("100@default,"), ",", 2, True)) == ["100@default", ""]
    assert separate(piece(""), ",", 2, True) == []
    # ${...} and $[...] are substituted before the application splits its data: their commas never count.
    assert texts(separate(piece("${CUT(a,b,1)},$[${X}?1:2],s"), ",", 5, False)) == ["${CUT(a,b,1)}", "$[${X}?1:2]", "s"]
    assert substitution_mask("a${B}c$[d]e") == "a\x00\x00\x00\x00c\x00\x00\x00\x00e"
    # An unterminated ${ runs to the end, as pbx_substitute_variables_helper_full reads it.
    assert substitution_mask("x${y,z") == "x" + "\x00" * 5


def test_if_branches_are_literal_text_of_the_data():
    alts = {label: p.text for label, p in if_alternatives("Box${IF($[${A}=1]?,s:,a(Old))}", Budget(10_000))}
    assert alts == {"true": "Box,s", "false": "Box,a(Old)"}
    # IF inside an IF branch; a substring of an IF and other functions stay opaque.
    nested = {label for label, _ in if_alternatives("${IF(${X}?${IF(${Y}?a:b)}:c)}", Budget(10_000))}
    assert nested == {"true/true", "true/false", "false"}
    assert [label for label, _ in if_alternatives("${IF(${X}?a:b):1}${CUT(x,y,1)}", Budget(10_000))] == [""]
    # IFTIME splits at the first '?' and then the first ':' (a time range's colons come before the '?').
    assert {p.text for _, p in if_alternatives('${IFTIME(08:00-17:00,mon-fri,*,*?VoiceMailMain(1,s):Hangup())}',
                                               Budget(10_000))} == {"VoiceMailMain(1,s)", "Hangup()"}


def test_wrapped_applications_are_runs_of_the_same_priority():
    runs = expand_application("ExecIf", '$["${X}"="1"]?Exec(VoiceMailMain(1,s)):GosubIf(${Y}?sub,s,1(a,b):other,s,1)')
    assert [(a, v) for a, _, v in runs.runs] == [
        ("ExecIf", ""), ("Exec", "ExecIf(true)"), ("VoiceMailMain", "ExecIf(true)>Exec"),
        ("GosubIf", "ExecIf(false)"), ("Gosub", "ExecIf(false)>GosubIf(true)"), ("Gosub", "ExecIf(false)>GosubIf(false)")]
    assert ("Gosub", "sub,s,1(a,b)") in [(a, args) for a, args, _ in runs.runs]
    assert not runs.gaps
    # ExecIf without a '?' is the deprecated ExecIf(expr,app,args) form; ' Playback' (space) stays as written.
    old = expand_application("ExecIf", "${X},VoiceMailMain,100@default,s")
    assert ("VoiceMailMain", "100@default,s", "ExecIf(true)") in old.runs
    spaced = expand_application("ExecIf", "1? Playback(x)")
    assert (" Playback", "x", "ExecIf(true)") in spaced.runs


@pytest.mark.parametrize("args,verdict", [
    ("100@default,s", "skips"), ("100@default", "asks"), ("@default,s", "asks"), ("", "asks"),
    ("s100", "skips"), ("sp100", "asks"), ("100,s,extra", "skips"), ("100,g(3)s", "skips"), ("100,g(3", "asks"),
    ("100,${OPTS}", "unknown"), ("100,s${OPTS}", "skips"), ("${CALLERID(num)},s", "skips"), ('"100",s', "skips"),
])
def test_voicemailmain_access_follows_vm_execmain(args, verdict):
    assert voicemailmain_access(args)[0] == verdict


# -- extensions.conf (pbx_config) -------------------------------------------------------------------

def test_pbx_config_priorities_labels_and_lines_asterisk_skips(tree):
    facts = tree({"extensions.conf": """
[c]
same => n,NoOp(before any exten)
exten => 1,n,NoOp(next on the first line)
exten => 1,1,Answer()
 same => n(top),Playback(a)
 same => s,Playback(b)
exten => 1,top+10,Playback(c)
exten => 2,n,Playback(d)
exten => 1,2,Playback(duplicate)
exten => 3,hint,PJSIP/3
exten => 3,n,Playback(after hint)
exten => 4,1,Dial,PJSIP/4
exten => 5,1,Playback(no close
exten => _[1,2]X,1,Playback(e)
frobnicate => x
switch => Realtime/c@extensions
"""})
    steps = [(s.exten, s.priority, s.app) for s in facts.dialplan]
    # 'same => s' and '1,2' again repeat priority 2 (the first one stays); 'top+10' is label top (2) + 10;
    # '2,n' continues from the context's last priority (12); 'n' right after a hint is priority 0.
    assert steps == [("1", "1", "Answer"), ("1", "2", "Playback"), ("1", "12", "Playback"), ("2", "13", "Playback"),
                     ("4", "1", "Dial,PJSIP/4"), ("5", "1", "Playback"), ("_[1,2]X", "1", "Playback")]
    problems = {(p.line, p.note) for p in facts.configs["extensions.conf"].problems}
    # notes: lines Asterisk skips or runs to no effect; a gap: extensions served from a database
    assert problems == {(2, True), (3, True), (6, True), (9, True), (11, True), (12, True), (13, True), (15, True),
                        (16, False)}


def test_secret_assignments_and_dial_credentials_are_not_kept(tmp_path):
    facts = collect(write_tree(tmp_path, {
        "extensions.conf": "[c]\nexten => 1,1,Set(DB_PASSWORD=Canary-Set-77)\n"
                           " same => n,ExecIf(1?MSet(A=1,TRUNK_SECRET=Canary-MSet-78))\n"
                           " same => n,Dial(SIP/clinic:Canary-Dial-80@trunk.example/${EXTEN})\n",
        "extensions.ael": "context a { 1 => { db_password=Canary-Ael-79; NoOp(x); } };\n"}))
    dump = msgspec.json.encode(facts).decode()
    for canary in ("Canary-Set-77", "Canary-MSet-78", "Canary-Ael-79", "Canary-Dial-80"):
        assert canary not in dump
    args = {(s.app, s.args) for s in facts.dialplan}
    assert ("Set", "DB_PASSWORD=<redacted>") in args and ("MSet", "A=1,TRUNK_SECRET=<redacted>") in args


def test_recording_started_inside_execif_is_seen(tmp_path, tree, run):
    now = time.time()
    mon = tmp_path / "spool" / "monitor"
    mon.mkdir(parents=True)
    (mon / "old.wav").write_bytes(b"\0" * 10)
    import os
    os.utime(mon / "old.wav", (now - 400 * 86400, now - 400 * 86400))
    facts = tree({"extensions.conf": '[c]\nexten => 1,1,ExecIf($["${REC}" = "1"]?MixMonitor(${UNIQUEID}.wav))\n'},
                 spool_dir=tmp_path / "spool", now=now)
    assert run("AST-RET-104", facts) == {"call recordings": FAIL}


def test_corpus_extensions_sample_reads_without_problems(corpus, tmp_path):
    shutil.copy(corpus / "asterisk" / "extensions.conf.sample", tmp_path / "extensions.conf")
    facts = collect_asterisk_tree(tmp_path)
    assert not facts.configs["extensions.conf"].problems
    vm = [s for s in facts.dialplan if s.app == "VoiceMailMain"]
    assert [(s.context, s.exten, s.priority) for s in vm] == [("stdexten", "a", "1"), ("stdPrivacyexten", "a", "1"),
                                                               ("demo", "8500", "1")]


def test_minivm_sample_dialplan_priorities(tmp_path):
    """Asterisk's extensions_minivm.conf.sample: 'n' continues from the previous line of the context even
    for another extension (pbx_config's lastpri), and a bad label or '${ARGV1]' stays as written."""
    shutil.copy(FIXTURES / "minivm" / "extensions.conf", tmp_path / "extensions.conf")
    facts = collect_asterisk_tree(tmp_path)
    steps = {(s.context, s.exten, s.priority): s.app for s in facts.dialplan}
    assert steps[("macro-minivmfunctest", "minivm", "2")] == "verbose"
    assert steps[("minivm-scenario1", "minivmcleanup", "5")] == "minivmNotify"
    assert [p for p in facts.configs["extensions.conf"].problems if p.is_gap] == []


# -- extensions.ael (pbx_ael) -----------------------------------------------------------------------

GENERATED = {"goto", "gotoif", "gotoiftime", "mset", "set", "return", "noop", "random"}


def _compiled(ref: Path) -> collections.Counter:
    """(context, application, data) of the priorities aelparse compiled (an extensions.conf dump)."""
    out: collections.Counter = collections.Counter()
    pc = parse_text(ref.read_text(), "compiled.conf")
    for section in pc.instances():
        for e in section.entries:
            if e.key != "exten":
                continue
            _, pri, app = e.value.split(",", 2)
            if pri == "hint":
                continue
            name, _, data = app.partition("(")
            out[(section.name, name, data[:data.rfind(")")] if ")" in data else data)] += 1
    return out


@pytest.mark.parametrize("name", ["ael-vtest13", "ael-vtest17"])
def test_ael_reader_compiles_the_applications_aelparse_compiles(name):
    """Asterisk's own AEL regression tests with aelparse's compiled dump: every application call (and
    every &macro() call, compiled to Gosub) with its exact arguments, in the same contexts."""
    pc = parse_ael(FIXTURES / name)
    assert not [p for p in pc.problems if not p.note], pc.problems
    mine = collections.Counter((c.context, c.app, c.args) for c in pc.calls if c.kind in ("app", "gosub"))
    ref = _compiled(FIXTURES / name / "compiled.conf.ref")

    def user(counter):
        return collections.Counter({k: v for k, v in counter.items() if k[1].lower() not in GENERATED or k[1] == "Gosub"})

    assert user(mine) == user(ref)
    assert sum(user(ref).values()) > (600 if name == "ael-vtest13" else 15)
    if name == "ael-vtest13":
        assert len(pc.files) == 7  # extensions.ael and the six files it #includes


def test_ael_syntax_errors_are_where_pbx_ael_reports_them():
    # ref.ael-test6: "Line 165 ... syntax error, unexpected '=', expecting ')'" (after a mismatched '}').
    pc = parse_ael(FIXTURES / "ael-test6")
    fatal = [p for p in pc.problems if p.fatal]
    assert [(p.file, p.line) for p in fatal] == [("extensions.ael", 165)]
    assert "unexpected '=', expecting ')'" in fatal[0].message and not pc.calls
    # ref.ael-ntest23: the error is in a globbed include, t1/c.ael line 3.
    pc = parse_ael(FIXTURES / "ael-ntest23")
    assert [(p.file, p.line) for p in pc.problems if p.fatal] == [("t1/c.ael", 3)]
    assert {"t1/a.ael", "t1/b.ael", "t1/c.ael"} <= set(pc.files)


AEL = """
// A clinic's AEL dialplan
globals {
    TRUNK_PASS=Canary-Globals-31;
};

macro checkmail(box) {
    VoiceMailMain(${box}@default,s);
    catch a {
        VoiceMailMain(${box}@default);
    }
}

context from-internal {
    includes {
        parkedcalls;
    }
    *97 => {
        if ("${CALLERID(num)}" = "100") {
            VoiceMailMain(${CALLERID(num)}@default,s);
        } else
            VoiceMailMain(${CALLERID(num)}@default);
    }
    *98 => {
        switch (${EXTEN}) {
        case *98:
            ExecIf($[1]?VoiceMailMain(${CALLERID(num)}@default,s));
            break;
        default:
            &checkmail(${CALLERID(num)});
        }
    }
    _9X. => Dial(IAX2/clinic:Canary-Dial-42@trunk.example/${EXTEN:1});
    /* VoiceMailMain(200,s); is a comment */
};
"""


def test_ael_voicemailmain_found_by_the_check(tmp_path, run):
    facts = collect(write_tree(tmp_path, {"extensions.ael": AEL}))
    r = run("AST-VM-108", facts)
    assert statuses(r, FAIL) == {
        "dialplan checkmail,s (extensions.ael:7)", "dialplan from-internal,*97 (extensions.ael:19)",
        "dialplan from-internal,*98 (extensions.ael:26) via ExecIf(true)"}
    assert statuses(r, PASS) == {"dialplan checkmail,a (extensions.ael:9)",
                                 "dialplan from-internal,*97 (extensions.ael:21)"}
    dump = msgspec.json.encode(facts).decode()
    assert "Canary-Dial-42" not in dump and "Canary-Globals-31" not in dump
    assert not facts.configs["extensions.ael"].problems


def test_ael_secrets_and_values_stay_out_of_facts_and_messages(tmp_path):
    root = tmp_path / "a"
    shutil.copytree(FIXTURES / "ael-vtest13", root)
    facts = collect(root)
    dump = msgspec.json.encode(facts).decode()
    assert "zilchnoodle" not in dump and "tlhfckoct" not in dump and "zingledoodle" not in dump
    assert any("IAX2/zorch:<redacted>@" in s.args for s in facts.dialplan)
    bad = parse_ael_text("context c {\n 1 => Dial(Canary-Value-99) Canary-Value-98 ;\n}\n")
    assert bad.fatal is not None and "Canary" not in bad.fatal.message


def test_ael_includes_outside_missing_and_loops_are_visible(tmp_path):
    root = write_tree(tmp_path / "etc", {
        "extensions.ael": '#include "parts/*.ael"\n#include "/etc/passwd"\n#include "missing.ael"\n'
                          '#include "../outside.ael"\ncontext c { 1 => NoOp(x); };\n',
        "parts/a.ael": 'context a { 1 => NoOp(a); };\n#include "parts/b.ael"\n',
        "parts/b.ael": 'context b { 1 => NoOp(b); };\n#include "parts/a.ael"\n',
    })
    (tmp_path / "outside.ael").write_text("context o { 1 => VoiceMailMain(1,s); };\n")
    pc = parse_ael(root)
    assert pc.fatal is None
    assert {c.context for c in pc.calls} == {"a", "b", "c"}
    gaps = [(p.file, p.line) for p in pc.problems if not p.note and not p.fatal]
    assert gaps == [("extensions.ael", 2), ("extensions.ael", 3), ("extensions.ael", 4)]
    assert any(p.note and "already being included" in p.message for p in pc.problems)


def test_ael_realtime_switch_and_unrecognized_characters_are_visible():
    pc = parse_ael_text("context c {\r\n  switches {\r\n    Realtime/c@extensions;\r\n  }\r\n"
                        "  1 => NoOp(x);\r\n};\r\n")
    assert pc.fatal is None and [c.app for c in pc.calls] == ["NoOp"]
    assert [(p.line, p.note) for p in pc.problems] == [(1, True), (3, False)]  # '\r' is skipped (and noted)


def test_extensions_ael_is_never_silently_skipped_by_the_collector(tmp_path):
    """Today collect_asterisk_tree reads every root with the .conf reader; extensions.ael must then be a
    gap, never silently empty (and once the collector uses ROOT_READERS, it is read as AEL)."""
    facts = collect_asterisk_tree(write_tree(tmp_path, {"extensions.ael": AEL}))
    cf = facts.configs["extensions.ael"]
    from_ael = [s for s in facts.dialplan if s.source.file == "extensions.ael"]
    assert from_ael or any(p.is_gap for p in cf.problems) or cf.fatal_problem is not None


# -- bounds: linear time, never an exception ---------------------------------------------------------

def test_one_megabyte_of_nested_execif_is_bounded():
    data = "1?ExecIf(" * 110_000 + "1?VoiceMailMain(1,s)" + ")" * 110_000
    started = time.perf_counter()
    result = expand_application("ExecIf", data)
    assert time.perf_counter() - started < 2
    assert result.gaps  # too large to analyze: a gap, not silence
    # Under the size bound, nesting is followed to its limit and then reported.
    deep = "1?ExecIf(" * 40 + "1?VoiceMailMain(1,s)" + ")" * 40
    started = time.perf_counter()
    result = expand_application("ExecIf", deep)
    assert time.perf_counter() - started < 2
    assert any("nested more than" in g for g in result.gaps)
    # The same megabyte as an AEL application call: pbx_ael's own bracket stack (400) bounds it.
    started = time.perf_counter()
    pc = parse_ael_text("context c {\n 1 => ExecIf(" + data + ");\n};\n")
    assert time.perf_counter() - started < 2
    assert pc.fatal is None and any(not p.note and "400 deep" in p.message for p in pc.problems)
    shallow = expand_application("ExecIf", "1?ExecIf(" * 5 + "1?VoiceMailMain(1,s)" + ")" * 5)
    assert ("VoiceMailMain", "1,s") in [(a, b) for a, b, _ in shallow.runs] and not shallow.gaps


def test_many_if_alternatives_are_bounded():
    data = "${IF(${A}?a:b)}" * 2000
    started = time.perf_counter()
    result = expand_application("VoiceMailMain", data)
    assert time.perf_counter() - started < 2 and result.gaps and len(result.runs) == 1


def test_hundred_thousand_line_ael_reads_in_linear_time():
    def make(n: int) -> str:
        lines = []
        for i in range(n):
            r = i % 10
            lines.append(f"    _{i}X => {{" if r == 0 else "    };" if r == 9 else
                         f'        if ("${{CALLERID(num)}}" = "{i}") VoiceMailMain(${{EXTEN}}@default,s);' if r == 5 else
                         f"        Set(CDR(userfield)=${{EXTEN}}-{i});  // note {i}" if r == 3 else
                         "        Dial(PJSIP/${EXTEN},20,tT);")
        return "context big {\n" + "\n".join(lines) + "\n};\n"

    small, large = make(10_000), make(100_000)
    started = time.perf_counter()
    parse_ael_text(small)
    t_small = time.perf_counter() - started
    started = time.perf_counter()
    pc = parse_ael_text(large)
    t_large = time.perf_counter() - started
    assert pc.fatal is None and not pc.problems and len(pc.calls) == 80_000
    assert pc.calls[-1].line == 100_000 and pc.calls[-1].exten == "_99990X"
    assert t_large < 2, t_large
    assert t_large < 25 * max(t_small, 0.01)  # about 10x the work: linear, not quadratic


def test_deeply_nested_ael_blocks_are_a_gap_not_a_crash():
    pc = parse_ael_text("context c { 1 => " + "{" * 5000 + "NoOp(x);" + "}" * 5000 + " }")
    assert pc.fatal is None and any(not p.note and "nested" in p.message for p in pc.problems)
    pc = parse_ael_text("context c { 1 => NoOp(" + "(" * 10_000 + ");}")
    assert any(not p.note for p in pc.problems)


ALPHABET = st.sampled_from([
    "context", "macro", "globals", "if", "else", "switch", "case", "default", ":", "pattern", "catch",
    "ifTime", "random", "for", "while", "goto", "jump", "&", "includes", "hint", "regexten", "local",
    "{", "}", "(", ")", "[", "]", ";", ",", "=", "=>", "|", "@", " ", "\n", "\t", "\\", "${", "$[", "\"",
    "//", "/*", "*/", "#include \"x.ael\"", "VoiceMailMain", "ExecIf", "?", "s", "1", "_X.", "\r", "\x00", "é",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=200))
def test_ael_reader_never_raises(tokens):
    pc = parse_ael_text("".join(tokens))
    for p in pc.problems:
        assert p.message and isinstance(p.line, int)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ExecIf(?):,\\\"[]${}VoiceMailMain s@IF") + ["${IF(", "$[", "a(", "IFTIME("]),
                max_size=300).map("".join))
def test_argument_scanner_never_raises(data):
    result = expand_application("ExecIf", data)
    for _app, args, _ in result.runs:
        voicemailmain_access(args)
    expand_application("Exec", data)
    expand_application("GosubIf", data)
    voicemailmain_access(data)


def test_mangled_real_ael_never_raises_and_stays_linear():
    rng = random.Random(20261201)
    original = (FIXTURES / "ael-vtest13" / "extensions.ael").read_text()
    junk = ["{", "}", "(", ")", ";", "${", "$[", "]", "\\", "//", "/*", "\"", "=>", "if", "#include \"*\"", "\x00"]
    for _ in range(40):
        chars = list(original)
        for _ in range(rng.randint(1, 30)):
            chars.insert(rng.randrange(len(chars)), rng.choice(junk))
        started = time.perf_counter()
        pc = parse_ael_text("".join(chars))
        assert time.perf_counter() - started < 2
        assert all(isinstance(p.message, str) for p in pc.problems)


def test_extensions_ael_is_read_by_the_collector(tmp_path, registry):
    """The offline collector reads extensions.ael with the AEL reader (not the .conf one), so a PIN
    skip written in AEL is found with its line, and the file is not a gap."""
    from tests.conftest import write_tree
    from voxaudit.collectors.offline import collect_asterisk_tree

    root = write_tree(tmp_path, {"extensions.ael": """
        context from-internal {
            *98 => {
                VoiceMailMain(${CALLERID(num)}@default,s);
                Hangup();
            };
        };
        """})
    facts = collect_asterisk_tree(root)
    assert not [p for p in facts.configs["extensions.ael"].problems if not p.note]
    outcomes = registry.get("AST-VM-108")(facts)
    assert [(o.status.value, o.location.file, o.location.line) for o in outcomes] == [("FAIL", "extensions.ael", 3)]
