"""The Asterisk .conf parser, feature by feature, and on every real corpus file."""
from __future__ import annotations

from tests.conftest import write_tree
from voxaudit.parsers.asterisk_conf import parse_config, parse_text


def test_sections_assignments_and_object_arrow():
    pc = parse_text("""
[general]
key = value  ; trailing comment
other=>thing
[second]
x=1
""")
    assert [s.name for s in pc.sections] == ["general", "second"]
    g = pc.section("general")
    assert g.get("key") == "value"
    assert g.get("other") == "thing"
    assert g.entry("other").op == "=>"
    assert not pc.problems


def test_escaped_semicolon_is_kept():
    pc = parse_text("[g]\nemailbody=Hello\\; world ; comment\n")
    assert pc.section("g").get("emailbody") == "Hello; world"


def test_block_comments_nest_and_span_lines():
    pc = parse_text("""
[a]
x=1
;-- outer
y=2
;-- inner --;
z=3
--;
w=4 ;-- inline --;
u=5;--c--;6
""")
    a = pc.section("a")
    assert a.get("x") == "1" and a.get("w") == "4"
    assert a.get("u") == "56"  # text after an inline block comment continues the line
    assert a.get("y") is None and a.get("z") is None


def test_unterminated_block_comment_is_a_warning():
    pc = parse_text("[a]\nx=1\n;-- never closed\ny=2\n")
    assert pc.fatal is None
    assert any("unterminated" in p.message for p in pc.problems)


def test_templates_and_multiple_inheritance():
    pc = parse_text("""
[base](!)
a=1
b=1
[extra](!)
b=2
c=3
[obj](base,extra)
c=4
""")
    assert [s.name for s in pc.instances()] == ["obj"]
    obj = pc.section("obj")
    assert obj.templates == ["base", "extra"]
    assert (obj.get("a"), obj.get("b"), obj.get("c")) == ("1", "2", "4")


def test_template_that_inherits_and_is_a_template():
    pc = parse_text("[t1](!)\na=1\n[t2](!,t1)\nb=2\n[o](t2)\n")
    o = pc.section("o")
    assert o.get("a") == "1" and o.get("b") == "2"
    assert pc.section("t2") is None  # a template is not an instance


def test_add_to_existing_section():
    pc = parse_text("[ep]\na=1\n[other]\nz=9\n[ep](+)\nb=2\n")
    assert pc.section("ep").get("b") == "2"
    assert len(pc.sections) == 2


def test_add_goes_to_the_first_section_of_that_name():
    # pjsip objects of different types share names (endpoint 114, aor 114): (+) picks the first.
    pc = parse_text("[114]\ntype=endpoint\n[114]\ntype=aor\n[114](+)\nmedia_encryption_optimistic=yes\n")
    first, second = pc.sections
    assert first.get("media_encryption_optimistic") == "yes"
    assert second.get("media_encryption_optimistic") is None


def test_plus_equals_appends_to_previous_value():
    pc = parse_text("[g]\nemailbody=Hello\nemailbody+= world\nnew+=only\n")
    g = pc.section("g")
    assert g.get("emailbody") == "Hello world"
    assert g.get("new") == "only"


def test_include_relative_glob_and_tryinclude(tmp_path):
    root = write_tree(tmp_path, {
        "pjsip.conf": "#include pjsip_custom.conf\n#include \"parts/*.conf\"\n#tryinclude <missing.conf>\n",
        "pjsip_custom.conf": "[t](!)\ntype=endpoint\n",
        "parts/a.conf": "[a](t)\nx=1\n",
        "parts/b.conf": "[b](t)\nx=2\n",
    })
    pc = parse_config(root, "pjsip.conf")
    assert [s.name for s in pc.instances()] == ["a", "b"]
    assert pc.section("a").get("type") == "endpoint"
    assert pc.section("b").entry("x").file == "parts/b.conf"
    assert pc.fatal is None
    assert set(pc.files) == {"pjsip.conf", "pjsip_custom.conf", "parts/a.conf", "parts/b.conf"}


def test_include_continues_the_current_section(tmp_path):
    root = write_tree(tmp_path, {"voicemail.conf": "[general]\n#include vm_general.inc\n",
                                 "vm_general.inc": "attach=yes\n"})
    pc = parse_config(root, "voicemail.conf")
    assert pc.section("general").get("attach") == "yes"


def test_missing_include_is_fatal_and_located(tmp_path):
    root = write_tree(tmp_path, {"manager.conf": "[general]\nenabled=yes\n#include nothere.conf\n"})
    pc = parse_config(root, "manager.conf")
    assert pc.fatal is not None
    assert (pc.fatal.file, pc.fatal.line) == ("manager.conf", 3)
    assert "nothere.conf" in pc.fatal.message


def test_include_loop_is_bounded(tmp_path):
    root = write_tree(tmp_path, {"a.conf": "[x]\n#include a.conf\n"})
    pc = parse_config(root, "a.conf")
    assert pc.fatal is not None and "loop" in pc.fatal.message


def test_glob_including_itself_is_refused_quickly(tmp_path):
    files = {f"f{i}.conf": "[s]\n#include *.conf\n" for i in range(20)}
    root = write_tree(tmp_path, files)
    pc = parse_config(root, "f0.conf")
    assert pc.fatal is not None and "loop" in pc.fatal.message
    assert len(pc.files) <= 2000


def test_exec_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    root = write_tree(tmp_path, {"extensions.conf": f"[g]\n#exec /bin/touch {marker}\n"})
    pc = parse_config(root, "extensions.conf")
    assert not marker.exists()
    assert any("#exec" in p.message and not p.fatal for p in pc.problems)


def test_fatal_problems_as_asterisk_rejects_them():
    assert parse_text("key=value\n").fatal.message.startswith("setting outside")
    assert "closing" in parse_text("[broken\nx=1\n").fatal.message
    assert "not defined" in parse_text("[o](nosuch)\nx=1\n").fatal.message
    assert "does not exist" in parse_text("[o](+)\nx=1\n").fatal.message


def test_line_without_equals_is_a_warning():
    pc = parse_text("[g]\nthis is junk\nx=1\n")
    assert pc.fatal is None
    assert pc.section("g").get("x") == "1"
    assert any(p.line == 2 for p in pc.problems)


def test_binary_file_is_fatal(tmp_path):
    (tmp_path / "sip.conf").write_bytes(b"[general]\x00\x01\x02")
    pc = parse_config(tmp_path, "sip.conf")
    assert pc.fatal is not None and "binary" in pc.fatal.message


def test_missing_root_is_not_found_not_error(tmp_path):
    pc = parse_config(tmp_path, "sip.conf")
    assert pc.found is False and pc.fatal is None


def test_every_corpus_asterisk_file_parses_without_fatal_problems(corpus):
    files = sorted(p for p in (corpus / "asterisk").iterdir() if p.name.endswith((".conf", ".sample")))
    assert files, "no Asterisk files in the corpus"
    for path in files:
        pc = parse_config(path.parent, path.name)
        assert pc.fatal is None, f"{path.name}: {pc.fatal}"


def test_corpus_voicemail_sample_as_asterisk_reads_it(corpus):
    pc = parse_config(corpus / "asterisk", "voicemail.conf.sample")
    general = pc.section("general")
    assert general.get("attach") == "yes" and general.get("maxlogins") == "3"
    assert pc.section("default").get("1234") == "4242,Example Mailbox,root@localhost"
    assert pc.section("zonemessages").get("eastern").startswith("America/New_York|")


def test_corpus_manager_sample_block_comments_hide_examples(corpus):
    pc = parse_config(corpus / "asterisk", "manager.conf.sample")
    assert [s.name for s in pc.sections] == ["general"]
    assert pc.section("general").get("enabled") == "no"


def test_templates_that_double_at_every_line_are_refused_not_expanded(tmp_path):
    """[tN](tN-1,tN-1) copies twice what the template before it holds: 40 lines would be 2**40 settings.
    Asterisk never finishes loading such a file; the reader stops at a bound, in linear time and memory."""
    import time

    from voxaudit.parsers.asterisk_conf import MAX_INHERITED_ENTRIES, parse_config

    (tmp_path / "pjsip.conf").write_text("[t0](!)\ntype=endpoint\n" + "".join(f"[t{i}](t{i - 1},t{i - 1})\n"
                                                                              for i in range(1, 40)))
    start = time.perf_counter()
    pc = parse_config(tmp_path, "pjsip.conf")
    assert time.perf_counter() - start < 5
    (fatal,) = [p for p in pc.problems if p.fatal]
    assert str(MAX_INHERITED_ENTRIES) in fatal.message and fatal.line < 30
    assert sum(len(s.entries) for s in pc.sections) <= 2 * MAX_INHERITED_ENTRIES + 2


def test_one_file_per_extension_is_read_however_many_and_a_fan_out_is_stopped(tmp_path):
    """Asterisk reads #include "users/*.conf" without a bound: 2,500 per-extension files are read (more than 2,000
    used to be refused). A fan-out (a few files each including the next level's glob) re-loads the same files
    without end: it stops at a few loads per distinct file, with numbers only in the message."""
    users = tmp_path / "site"
    (users / "users").mkdir(parents=True)
    (users / "pjsip.conf").write_text('#include "users/*.conf"\n')
    for i in range(2500):
        (users / "users" / f"{10000 + i}.conf").write_text(f"[{10000 + i}]\ntype=aor\nmax_contacts=1\n")
    parsed = parse_config(users, "pjsip.conf")
    assert len(parsed.instances()) == 2500 and not [p for p in parsed.problems if p.fatal]

    bomb = tmp_path / "bomb"
    bomb.mkdir()
    (bomb / "pjsip.conf").write_text('#include "l1/*.conf"\n')
    for level in range(1, 7):
        (bomb / f"l{level}").mkdir()
        for i in range(20):
            include = f'#include "l{level + 1}/*.conf"\n' if level < 6 else ""
            (bomb / f"l{level}" / f"f{i}.conf").write_text(f"{include}[e{level}_{i}]\ntype=aor\n")
    parsed = parse_config(bomb, "pjsip.conf")
    fatal, = [p for p in parsed.problems if p.fatal]
    assert "include fan-out" in fatal.message and "distinct files" in fatal.message
    assert len(parsed.files) <= 2000 + 4 * 121  # bounded by the 121 files given, not by 20**6 loads (LoadBudget)
