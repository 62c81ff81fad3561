"""The Asterisk .conf reader reads exactly what Asterisk's ``main/config.c`` reads.

Each test states one rule of config.c (Asterisk master, ``config_text_file_load`` and
``process_text_line`` unless said otherwise) in its docstring and checks our reader against it.
Then: the auditor's own guards (includes outside the configuration directory, secrets in messages,
unreadable files), linear time on hostile input, and real public configurations
(``tests/fixtures/asterisk_fidelity/README.md``).
"""
from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLE, write_tree
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.parsers import asterisk_conf
from voxaudit.parsers import files as config_files
from voxaudit.parsers.asterisk_conf import (
    MAX_INCLUDE_LEVEL,
    MAX_LINE_BYTES,
    MAX_NESTED_COMMENTS,
    ParsedConfig,
    parse_config,
    parse_text,
)

FIXTURES = Path(__file__).parent / "fixtures" / "asterisk_fidelity"


def entries(pc: ParsedConfig, name: str, nth: int = 0) -> list[tuple[str, str]]:
    sections = [s for s in pc.sections if s.name == name]
    return [(e.key, e.value) for e in sections[nth].entries]


def gaps(pc: ParsedConfig) -> list:
    return [p for p in pc.problems if not p.fatal and not p.note]


def notes(pc: ParsedConfig) -> list:
    return [p for p in pc.problems if p.note]


def raw_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Files written exactly as given (write_tree dedents, which some rules must not see)."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return root


# --- comments ------------------------------------------------------------------------------------

def test_banner_of_dashes_is_an_ordinary_comment():
    """config.c: a block comment starts at ';--' only if ``comment_p[3] != '-'``, so
    ``;-------- transports --------`` is a line comment and everything after it is read."""
    pc = parse_text(";-------- transports --------\n[udp]\ntype=transport\n;--------\n[tls]\ntype=transport\n")
    assert [s.name for s in pc.sections] == ["udp", "tls"]
    assert not pc.problems


def test_block_comment_needs_exactly_two_dashes_and_a_non_dash():
    """``;--x`` and a bare ``;--`` at the end of a line open a block; ``;---`` does not."""
    pc = parse_text("[a]\nx=1 ;--- not a block\ny=2 ;--x\nz=3\n--;\nw=4 ;--\nv=5\n--;\nu=6\n")
    assert entries(pc, "a") == [("x", "1"), ("y", "2"), ("w", "4"), ("u", "6")]


def test_freepbx_banner_closed_by_a_semicolon_is_an_ordinary_comment():
    """``;-----...-----;``: the first ';' is followed by '---', a line comment, so the closing ';' is
    never looked at (the loop stops at the first ordinary comment)."""
    banner = ";" + "-" * 80 + ";\n"
    pc = parse_text(banner + "; Do NOT edit\n" + banner + "[general]\nenabled=yes\n")
    assert entries(pc, "general") == [("enabled", "yes")]


def test_block_comments_span_lines_and_nest():
    """Each ';--' increments ``comment``, each '--;' decrements it; lines are processed only at 0."""
    pc = parse_text("[a]\nx=1\n;-- outer\ny=2\n;-- inner --;\nz=3\n--;\nw=4\n")
    assert entries(pc, "a") == [("x", "1"), ("w", "4")]


def test_text_before_and_after_an_inline_block_joins_up():
    """When a block closes back to depth 0, the rest of the line is moved over the opener
    (``memmove(oldptr, new_buf, ...)``): ``u=5;--c--;6`` is ``u=56``."""
    pc = parse_text("[a]\nu=5;--c--;6\nv=1 ;-- x --; ; trailing\nw=a;--1;--2--;3--;b;c\n")
    assert entries(pc, "a") == [("u", "56"), ("v", "1"), ("w", "ab")]


def test_opener_and_closer_cannot_share_dashes():
    """After ';--' scanning resumes 3 characters later and a closer needs both '-' at or after that
    point (``comment_p >= new_buf + 2``): ``;--;`` opens a block and does not close it."""
    pc = parse_text("[a]\nx=1\n;--;\ny=2\n--;\nz=3\n")
    assert entries(pc, "a") == [("x", "1"), ("z", "3")]


def test_stray_closer_drives_depth_negative_and_hides_lines_until_an_opener():
    """'--;' with no block open still decrements ``comment`` (to -1) and leaves the ';' in the text;
    from the next line on Asterisk processes nothing until a ';--' brings the depth back to 0 (that
    line itself is not processed either). A gap: the operator cannot see this."""
    pc = parse_text("[a]\nx=1 --;\ny=2\n[b]\n;-- back to zero\nz=3\n")
    assert entries(pc, "a") == [("x", "1 --;"), ("z", "3")]
    assert [s.name for s in pc.sections] == ["a"]
    [gap] = [p for p in gaps(pc) if "not open" in p.message]
    assert gap.line == 2


def test_nesting_limit_is_fatal():
    """MAX_NESTED_COMMENTS is 128; at the 129th ';--' config.c logs an error but does not advance
    ``new_buf``, so its loop never ends: Asterisk hangs loading the file. Fatal, and we stop at once."""
    ok = parse_text("[a]\n" + ";--\n" * MAX_NESTED_COMMENTS + "--;\n" * MAX_NESTED_COMMENTS + "x=1\n")
    assert ok.fatal is None and entries(ok, "a") == [("x", "1")]
    bad = parse_text("[a]\n" + ";--\n" * (MAX_NESTED_COMMENTS + 1) + "x=1\n")
    assert bad.fatal is not None and bad.fatal.line == MAX_NESTED_COMMENTS + 2


def test_unterminated_block_comment_is_a_gap_at_its_opening_line():
    """"Unterminated comment detected beginning on line %d": Asterisk ignores the rest of the file."""
    pc = parse_text("[a]\nx=1\n;-- never closed\ny=2\n")
    assert entries(pc, "a") == [("x", "1")]
    [gap] = gaps(pc)
    assert gap.line == 3 and "unterminated" in gap.message and not gap.note


def test_block_comment_hiding_section_headers_is_a_note():
    """Lines inside a block are never processed; one that looks like ``[section]`` is an object the
    operator may believe exists: one note per block, at the first such line. A note, not a gap:
    Asterisk ignores it too, so nothing it runs is hidden from the audit (its samples do this)."""
    pc = parse_text("[a]\nx=1\n;--\n[hidden]\nsecret=1\n[hidden2]\n--;\n[b]\n")
    assert [s.name for s in pc.sections] == ["a", "b"]
    assert not gaps(pc)
    [note] = notes(pc)
    assert note.line == 4 and "[section]" in note.message


def test_block_comment_carries_into_the_next_file_of_the_same_glob(tmp_path):
    """``comment`` is a local of config_text_file_load(), which loops over every file a pattern
    globs to without resetting it: a block left open in a.conf swallows the start of b.conf."""
    root = raw_tree(tmp_path, {"x.conf": "[s]\n#include parts/*.conf\n",
                               "parts/a.conf": "a=1\n;-- open\n", "parts/b.conf": "b=1\n--;\nc=1\n"})
    pc = parse_config(root, "x.conf")
    assert entries(pc, "s") == [("a", "1"), ("c", "1")]
    assert any("unterminated" in p.message and p.file == "parts/a.conf" for p in gaps(pc))


def test_escaped_semicolon():
    """``\\;`` is a literal ';' (the backslash is removed); ``\\\\;`` leaves one backslash; an
    escaped ';' at the start of a line makes it a variable whose name starts with ';'."""
    pc = parse_text("[g]\nemailbody=Hello\\; world ; comment\nb=x\\\\;y\n\\;k=v\nc=\\;-- not a block\n")
    assert entries(pc, "g") == [("emailbody", "Hello; world"), ("b", "x\\;y"), (";k", "v"), ("c", ";-- not a block")]


# --- lines and whitespace ------------------------------------------------------------------------

def test_blanks_are_the_bytes_below_33():
    """ast_strip() removes leading/trailing bytes < 33 (so also \\v, \\f, other controls), not a
    non-breaking space."""
    pc = parse_text("[a]\n\x0b x \x0c= \x01val\x1f \n y = \u00a0v\u00a0\n")
    assert entries(pc, "a") == [("x", "val"), ("y", "\u00a0v\u00a0")]


def test_crlf_line_ends(tmp_path):
    """fgets() keeps '\\r'; ast_strip() removes it with the other blanks."""
    raw_tree(tmp_path, {"a.conf": b"[a]\r\nx=1\r\n;c\r\n[b](!)\r\ny=2 ; c\r\n"})
    pc = parse_config(tmp_path, "a.conf")
    assert entries(pc, "a") == [("x", "1")] and pc.sections[1].is_template and not pc.problems


def test_lone_carriage_return_does_not_end_a_line(tmp_path):
    """Lines end at '\\n' only (fgets); a bare '\\r' stays inside the value."""
    raw_tree(tmp_path, {"a.conf": b"[a]\nx=1\ry=2\n"})
    assert entries(parse_config(tmp_path, "a.conf"), "a") == [("x", "1\ry=2")]


def test_last_line_without_newline(tmp_path):
    raw_tree(tmp_path, {"a.conf": b"[a]\nx=1"})
    assert entries(parse_config(tmp_path, "a.conf"), "a") == [("x", "1")]


def test_utf8_bom_is_dropped_from_the_first_line_only(tmp_path):
    """config.c skips a UTF-8 BOM when ``lineno == 1``."""
    raw_tree(tmp_path, {"a.conf": "\ufeff[a]\nx=\ufeff1\n".encode()})
    pc = parse_config(tmp_path, "a.conf")
    assert [s.name for s in pc.sections] == ["a"] and entries(pc, "a") == [("x", "\ufeff1")]


def test_bom_of_a_second_globbed_file_is_kept(tmp_path):
    """``lineno`` is not reset between the files of one glob, so only the first file loses its BOM;
    in the second, ``\\ufeff[b]`` is not a header (no '=' either: ignored, a gap)."""
    raw_tree(tmp_path, {"x.conf": "[s]\n#include p/*.conf\n", "p/a.conf": "\ufeff[a]\nx=1\n".encode(),
                        "p/b.conf": "\ufeff[b]\ny=1\n".encode()})
    pc = parse_config(tmp_path, "x.conf")
    assert [s.name for s in pc.sections] == ["s", "a"] and entries(pc, "a") == [("x", "1"), ("y", "1")]
    assert any(p.file == "p/b.conf" and p.line == 1 for p in gaps(pc))


def test_lines_longer_than_the_buffer_are_skipped():
    """fgets() into ``buf[8192]``: a line of more than 8190 bytes (before '\\n') is skipped with a
    warning ("Line %d too long, skipping"); it still counts as one line. A gap (LOW_MEMORY builds
    use 512 bytes, so what Asterisk reads depends on the build)."""
    fits = "x=" + "a" * (MAX_LINE_BYTES - 2)
    too_long = "y=" + "é" * ((MAX_LINE_BYTES - 2) // 2) + "x"  # 'é' is 2 bytes: 8191 bytes in all
    assert len(fits.encode()) == MAX_LINE_BYTES and len(too_long.encode()) == MAX_LINE_BYTES + 1
    pc = parse_text(f"[a]\n{fits}\n{too_long}\nz=1\n")
    assert [k for k, _ in entries(pc, "a")] == ["x", "z"]
    [gap] = gaps(pc)
    assert gap.line == 3 and str(MAX_LINE_BYTES) in gap.message


def test_content_lines_counts_what_is_left_after_comments():
    """``content_lines``: lines that carried text after comment stripping, not directives (a file of
    #includes of empty files is empty, not unread; what an include reads is counted in its file)."""
    pc = parse_text("; only a comment\n\n[a] ; c\nx=1\n;--\ny=2\n--;\n#exec /bin/true\njunk\n")
    assert pc.content_lines == 3
    assert parse_text(";--\n[a]\nx=1\n--;\n").content_lines == 0


# --- section headers -----------------------------------------------------------------------------

def test_section_name_is_kept_exactly_as_written():
    """The name is the text between '[' and the first ']', not trimmed: ``[ general ]`` is named
    " general ", which modules looking for "general" do not find (a note says so)."""
    pc = parse_text("[ general ]\nx=1\n")
    assert pc.sections[0].name == " general " and pc.section("general") is None
    assert notes(pc) and not gaps(pc)


def test_text_after_the_header_is_ignored():
    """Options are read only if '(' follows ']' immediately; anything after ']' or after ')' is
    ignored. ``[a] (!)`` is therefore a real object, not a template (a note says so)."""
    pc = parse_text("[a] (!)\nx=1\n[b](!) junk\ny=1\n")
    assert [(s.name, s.is_template) for s in pc.sections] == [("a", False), ("b", True)]
    assert len(notes(pc)) == 2 and pc.fatal is None


def test_unclosed_header_or_options_is_fatal_in_the_root_file():
    """"parse error: no closing ']'" / "no closing ')'": process_text_line returns -1 and the file
    is invalid, so Asterisk refuses the configuration."""
    assert "']'" in parse_text("[a]\nx=1\n[broken\ny=1\n").fatal.message
    assert "')'" in parse_text("[a](!\nx=1\n").fatal.message


def test_section_name_is_cut_to_79_bytes():
    """``struct ast_category`` holds ``char name[80]``; ast_copy_string() cuts longer names."""
    pc = parse_text(f"[{'n' * 100}]\nx=1\n")
    assert pc.sections[0].name == "n" * 79 and notes(pc)


def test_duplicate_sections_stay_separate_and_lookup_gets_the_first():
    """A repeated ``[name]`` is a new category (pjsip objects of several types share names);
    ast_category_get() returns the first non-template one."""
    pc = parse_text("[114]\ntype=endpoint\n[114]\ntype=aor\n")
    assert [entries(pc, "114", i) for i in (0, 1)] == [[("type", "endpoint")], [("type", "aor")]]
    assert pc.section("114").get("type") == "endpoint"


def test_options_are_not_trimmed():
    """The option list is split with strsep(",") and each token is used as is: ``(!, base)`` asks
    for a category named " base", which does not exist: fatal."""
    pc = parse_text("[base](!)\na=1\n[o](!, base)\n")
    assert pc.fatal is not None and "' base'" in pc.fatal.message


def test_empty_option_inherits_from_the_first_section():
    """An empty token is looked up with an empty name and ``TEMPLATES=include``: does_category_match
    skips the name test, so the first category of the file matches."""
    pc = parse_text("[first]\na=1\n[second]\nb=1\n[o]()\nc=1\n")
    assert pc.section("o").templates == ["first"] and entries(pc, "o") == [("a", "1"), ("c", "1")]


def test_template_is_not_an_instance():
    pc = parse_text("[t](!)\na=1\n[o](t)\n")
    assert [s.name for s in pc.instances()] == ["o"] and pc.section("t") is None


def test_multiple_inheritance_copies_entries_in_option_order():
    """ast_category_inherit() appends a copy of each base's variables, base after base in the order
    written, then the section's own lines follow; the last value of a key wins on lookup."""
    pc = parse_text("[b1](!)\na=1\nb=1\n[b2](!)\nb=2\nc=2\n[o](b1,b2)\nc=3\n")
    o = pc.section("o")
    assert o.templates == ["b1", "b2"]
    assert entries(pc, "o") == [("a", "1"), ("b", "1"), ("b", "2"), ("c", "2"), ("c", "3")]
    assert (o.get("b"), o.get("c")) == ("2", "3") and [e.value for e in o.all("c")] == ["2", "3"]


def test_inheritance_copies_the_base_as_it_is_at_that_line():
    """Variables are cloned when the header is read: a later ``(+)`` to the base is not inherited."""
    pc = parse_text("[b]\na=1\n[o](b)\n[b](+)\nlate=1\n")
    assert entries(pc, "o") == [("a", "1")] and entries(pc, "b") == [("a", "1"), ("late", "1")]


def test_inheritance_uses_the_first_section_of_that_name_template_or_not():
    """Bases are found with ``TEMPLATES=include``: the first category of that name, even a template."""
    pc = parse_text("[x](!)\nv=tpl\n[x]\nv=obj\n[o](x)\n")
    assert pc.section("o").get("v") == "tpl"


def test_addition_that_inherits_from_itself_is_fatal():
    """``[a](+,a)``: ast_category_inherit(a, a) appends clones to the list it is walking and never
    ends; Asterisk hangs, so this is fatal even in an included file."""
    assert "itself" in parse_text("[a]\nx=1\n[a](+,a)\n").fatal.message


def test_inheritance_from_an_undefined_section_is_fatal():
    """"Inheritance requested, but category '%s' does not exist": the file is invalid."""
    assert "not defined" in parse_text("[o](nosuch)\nx=1\n").fatal.message


def test_addition_goes_to_the_first_non_template_of_that_name():
    """``(+)`` looks the name up with an empty filter, which matches only non-templates, first first."""
    pc = parse_text("[114](!)\nt=1\n[114]\ntype=endpoint\n[114]\ntype=aor\n[114](+)\nadded=yes\n")
    assert entries(pc, "114", 1) == [("type", "endpoint"), ("added", "yes")]
    assert entries(pc, "114", 0) == [("t", "1")] and entries(pc, "114", 2) == [("type", "aor")]
    assert len(pc.sections) == 3


def test_addition_to_a_template_only_is_fatal():
    """No non-template of that name: "Category addition requested, but category '%s' does not exist"."""
    pc = parse_text("[t](!)\na=1\n[t](+)\nb=2\n")
    assert pc.fatal is not None and "does not exist" in pc.fatal.message


def test_addition_with_a_filter_picks_the_matching_section():
    """``(+type=aor)``: the filter (pairs joined by '&', POSIX regexes over one variable's name and
    value) picks which of the same-named sections receives the lines."""
    pc = parse_text("[114]\ntype=endpoint\n[114]\ntype=aor\n[114](+type=aor)\nmax_contacts=1\n"
                    "[t](!)\ntype=aor\n[t](+TEMPLATES=include&type=^aor$)\nq=1\n")
    assert entries(pc, "114", 1) == [("type", "aor"), ("max_contacts", "1")]
    assert entries(pc, "t") == [("type", "aor"), ("q", "1")] and pc.fatal is None


def test_addition_filter_with_a_regex_we_do_not_evaluate_is_a_gap():
    """Regexes with repetition are not evaluated (linear time): the lines are not added anywhere,
    and a gap says so."""
    pc = parse_text("[a]\ntype=aor\n[a](+type=a(o+)r)\nsecret=1\n[b]\nx=1\n")
    assert entries(pc, "a") == [("type", "aor")] and entries(pc, "b") == [("x", "1")]
    assert len(gaps(pc)) == 1 and pc.fatal is None


def test_addition_moves_what_the_header_inherited_and_can_make_a_template():
    """Options are applied in order to ``*cat``: bases inherited before '+' go into the existing
    section (move_variables), '!' marks it a template (``ignored |= newcat->ignored``)."""
    pc = parse_text("[base](!)\nb=1\n[a]\nx=1\n[a](base,!,+)\ny=1\n")
    assert entries(pc, "a") == [("x", "1"), ("b", "1"), ("y", "1")]
    assert pc.sections[1].is_template and len(pc.sections) == 2


# --- variables -----------------------------------------------------------------------------------

def test_equals_arrow_and_first_equals_sign():
    """The first '=' splits; ``=>`` only marks an object (``v->object``); both sides are stripped."""
    pc = parse_text("[a]\nk = b = c\nexten => 100,1,NoOp()\nempty=\n")
    assert entries(pc, "a") == [("k", "b = c"), ("exten", "100,1,NoOp()"), ("empty", "")]
    assert pc.section("a").entry("exten").op == "=>"


def test_plus_equals_appends_in_place():
    """``key += more``: the last variable whose name is exactly ``key`` (strcmp) gets ``more``
    appended (leading blanks kept, then the whole value is trimmed) and is replaced where it stands
    (ast_variable_update), so list-valued options keep their order. With no such variable, or one
    differing in case, it is a plain new variable."""
    pc = parse_text("[g]\nemailbody=Hello\nother=1\nemailbody+= world\nnew+=only\nFoo=1\nfoo+=2\nz=\nz+=  v \n")
    assert entries(pc, "g") == [("emailbody", "Hello world"), ("other", "1"), ("new", "only"),
                                ("foo", "1"), ("foo", "2"), ("z", "v")]


def test_plus_equals_on_an_inherited_value_replaces_the_copy_only():
    pc = parse_text("[t](!)\nallow=ulaw\n[o](t)\nallow+=,alaw\n")
    assert entries(pc, "o") == [("allow", "ulaw,alaw")] and entries(pc, "t") == [("allow", "ulaw")]


def test_line_without_equals_or_name_is_ignored_as_a_gap():
    """"No '=' (equal sign) in line %d" and "No variable name in line %d" are warnings; the line is
    ignored (voicemail's ``401 1234,Name`` without ``=>`` creates no mailbox)."""
    pc = parse_text("[g]\n401 1234,Name\n= value\nx=1\n")
    assert entries(pc, "g") == [("x", "1")]
    assert [p.line for p in gaps(pc)] == [2, 3] and pc.fatal is None


def test_escaped_first_character_of_a_key():
    """A leading '\\' is dropped and the next character is part of the name even if it is '[', '#'
    or '='; a blank or nothing after it is "Invalid escape": fatal."""
    pc = parse_text("[a]\n\\[x]=1\n\\#y=2\n\\=z=3\n")
    assert entries(pc, "a") == [("[x]", "1"), ("#y", "2"), ("=z", "3")]
    assert "escape" in parse_text("[a]\n\\ x=1\n").fatal.message


def test_setting_before_any_section_is_fatal():
    """"parse error: No category context for line %d"."""
    assert parse_text("key=value\n").fatal.message.startswith("setting outside")


def test_error_in_an_included_file_stops_only_that_file(tmp_path):
    """An included file's parse error makes *its* load invalid; the includer checks only for a NULL
    result, so it goes on: the rest of the included file is silently not in effect. A gap."""
    root = write_tree(tmp_path, {"r.conf": "[a]\n#include b.conf\nafter=1\n", "b.conf": "x=1\n[broken\ny=2\n"})
    pc = parse_config(root, "r.conf")
    assert pc.fatal is None and entries(pc, "a") == [("x", "1"), ("after", "1")]
    [gap] = gaps(pc)
    assert (gap.file, gap.line) == ("b.conf", 2) and "stops reading" in gap.message


# --- directives ----------------------------------------------------------------------------------

def test_include_is_relative_to_the_configuration_directory(tmp_path):
    """A relative name is ``ast_config_AST_CONFIG_DIR/name``, whatever file includes it."""
    root = write_tree(tmp_path, {"r.conf": "[a]\n#include sub/b.conf\n", "sub/b.conf": "#include c.conf\n",
                                 "c.conf": "top=1\n", "sub/c.conf": "nested=1\n"})
    assert entries(parse_config(root, "r.conf"), "a") == [("top", "1")]


def test_include_quoting(tmp_path):
    """``"name"`` and ``<name>`` lose their quotes only when the closing one matches."""
    root = write_tree(tmp_path, {"r.conf": '[a]\n#include "q.conf"\n#include <b.conf>\n#tryinclude <q.conf"\n',
                                 "q.conf": "q=1\n", "b.conf": "b=1\n"})
    pc = parse_config(root, "r.conf")
    assert entries(pc, "a") == [("q", "1"), ("b", "1")] and pc.fatal is None
    assert [p.line for p in notes(pc)] == [4]  # '<q.conf"' is a name that does not exist


def test_include_glob_is_sorted_skips_dot_files_and_expands_braces(tmp_path):
    """glob(GLOB_NOMAGIC | GLOB_BRACE) on Linux: matches sorted, '*' does not match a leading '.',
    ``{b,a}`` alternatives come in the order written (each sorted), a missing alternative is dropped."""
    root = write_tree(tmp_path, {"r.conf": "[s]\n#include d/*.conf\n#include e/{b,a,none}.conf\n",
                                 "d/2.conf": "v=d2\n", "d/1.conf": "v=d1\n", "d/.hidden.conf": "v=hidden\n",
                                 "e/a.conf": "v=ea\n", "e/b.conf": "v=eb\n"})
    pc = parse_config(root, "r.conf")
    assert [v for _, v in entries(pc, "s")] == ["d1", "d2", "eb", "ea"] and pc.fatal is None


def test_include_pattern_matching_nothing(tmp_path):
    """No match: ``count == 0``, the load returns NULL, and "The file '%s' was listed as a #include
    but it does not exist" makes the includer invalid (fatal in the root file); ``#tryinclude`` is
    skipped silently (a note)."""
    root = write_tree(tmp_path, {"r.conf": "[s]\n#tryinclude none/*.conf\n#include none/*.conf\n"})
    pc = parse_config(root, "r.conf")
    assert notes(pc)[0].line == 2 and pc.fatal.line == 3 and "missing" in pc.fatal.message


def test_tryinclude_of_a_missing_file_is_a_note(tmp_path):
    root = write_tree(tmp_path, {"r.conf": "[s]\n#tryinclude nothere.conf\nx=1\n"})
    pc = parse_config(root, "r.conf")
    assert entries(pc, "s") == [("x", "1")] and [p.note for p in pc.problems] == [True]


def test_include_missing_in_an_included_file_stops_that_file(tmp_path):
    root = write_tree(tmp_path, {"r.conf": "[s]\n#include b.conf\nz=1\n", "b.conf": "x=1\n#include gone.conf\ny=1\n"})
    pc = parse_config(root, "r.conf")
    assert entries(pc, "s") == [("x", "1"), ("z", "1")] and pc.fatal is None and len(gaps(pc)) == 1


def test_after_an_include_the_includer_continues_in_its_own_section(tmp_path):
    """``cat`` is a local of each config_text_file_load() call: sections opened by an included file
    do not carry back into the includer."""
    root = write_tree(tmp_path, {"r.conf": "[a]\n#include b.conf\ny=2\n", "b.conf": "[b]\nx=1\n"})
    pc = parse_config(root, "r.conf")
    assert entries(pc, "a") == [("y", "2")] and entries(pc, "b") == [("x", "1")]


def test_an_included_file_starts_in_the_configs_current_section(tmp_path):
    """An included file starts in ``cfg->current``: the last category appended (or added to with
    ``(+)``), which after an earlier include may be one the includer never saw."""
    root = write_tree(tmp_path, {"r.conf": "[a]\n#include b.conf\n#include c.conf\n",
                                 "b.conf": "[b]\n", "c.conf": "z=1\n"})
    pc = parse_config(root, "r.conf")
    assert entries(pc, "a") == [] and entries(pc, "b") == [("z", "1")]


def test_include_depth_limit(tmp_path):
    """MAX_INCLUDE_LEVEL is 10: the root is level 1 and the 10th nested include is the last read;
    the 11th is refused ("Maximum Include level (10) exceeded"), which the including file reports
    as a missing #include (its own load stops: a gap)."""
    files = {f"f{i}.conf": f"v{i}=1\n#include f{i + 1}.conf\n" for i in range(12)}
    files["f0.conf"] = "[s]\n" + files["f0.conf"]
    pc = parse_config(write_tree(tmp_path, files), "f0.conf")
    assert [k for k, _ in entries(pc, "s")] == [f"v{i}" for i in range(MAX_INCLUDE_LEVEL + 1)]
    assert pc.fatal is None and [p.file for p in gaps(pc)] == [f"f{MAX_INCLUDE_LEVEL}.conf"]


def test_include_loop_is_fatal(tmp_path):
    """config.c has no loop check (it re-reads the file up to the level limit); the auditor refuses."""
    pc = parse_config(write_tree(tmp_path, {"a.conf": "[x]\n#include b.conf\n", "b.conf": "#include a.conf\n"}), "a.conf")
    assert pc.fatal is not None and "loop" in pc.fatal.message


def test_directive_words(tmp_path):
    """The directive is the run of characters > 32 after '#', compared case-insensitively; the
    argument is the rest, stripped. ``# include x`` and ``#include<x>`` are unknown directives
    (ignored: gaps); ``#include`` alone "needs an argument" (ignored: a note)."""
    root = write_tree(tmp_path, {"r.conf": "[s]\n#INCLUDE b.conf\n# include b.conf\n#include<b.conf>\n#include\n",
                                 "b.conf": "b=1\n"})
    pc = parse_config(root, "r.conf")
    assert entries(pc, "s") == [("b", "1")]
    assert [p.line for p in gaps(pc)] == [3, 4] and [p.line for p in notes(pc)] == [5]


def test_exec_is_never_run_and_is_a_gap(tmp_path):
    """``#exec`` runs a program when asterisk.conf has execincludes=yes; the auditor never runs it
    and says its output is not audited."""
    marker = tmp_path / "ran"
    root = write_tree(tmp_path, {"extensions.conf": f"[g]\n#exec /bin/touch {marker}\n"})
    pc = parse_config(root, "extensions.conf")
    assert not marker.exists()
    [gap] = gaps(pc)
    assert "#exec" in gap.message and "not audited" in gap.message


def test_absolute_include_below_the_asterisk_directory_is_read_from_the_tree(tmp_path):
    """Asterisk reads ``/etc/asterisk/x.conf`` from its own directory; in a copied tree that is
    ``config_dir/x.conf``, never the scanning machine's /etc/asterisk."""
    root = write_tree(tmp_path, {"r.conf": "[s]\n#include /etc/asterisk/x.conf\n", "x.conf": "x=1\n"})
    assert entries(parse_config(root, "r.conf"), "s") == [("x", "1")]
    other = write_tree(tmp_path / "o", {"r.conf": "[s]\n#include /srv/pbx/x.conf\n", "x.conf": "x=1\n"})
    assert entries(parse_config(other, "r.conf", asterisk_dir="/srv/pbx"), "s") == [("x", "1")]


# --- the auditor's guards ------------------------------------------------------------------------

CANARY = "CANARY-7f3a9c"


def test_includes_outside_the_configuration_directory_are_refused(tmp_path):
    """After resolving '..' and symlinks an include must stay inside the configuration directory;
    otherwise a fatal Problem at the including line (a gap for #tryinclude), and not one byte of
    the target is read: not in sections, problems, messages or facts."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.conf").write_text(f"[leak]\npassword={CANARY}\n")
    etc = tmp_path / "etc" / "asterisk"
    etc.mkdir(parents=True)
    (etc / "linkdir").symlink_to(outside, target_is_directory=True)
    (etc / "link.conf").symlink_to(outside / "secret.conf")
    cases = {
        "#include ../../outside/secret.conf": True,
        f"#include {outside}/secret.conf": True,
        "#include /etc/shadow": True,
        "#include link.conf": True,
        "#include linkdir/*.conf": True,
        "#include {x,../../outside/secret}.conf": True,
        "#tryinclude ../../outside/secret.conf": False,
        "#tryinclude linkdir/secret.conf": False,
    }
    for line, fatal in cases.items():
        (etc / "extensions.conf").write_text(f"[ctx]\nx=1\n{line}\n")
        pc = parse_config(etc, "extensions.conf")
        dump = json.dumps([[s.name, [(e.key, e.value) for e in s.entries]] for s in pc.sections]
                          + [p.message for p in pc.problems] + pc.files)
        assert CANARY not in dump and "leak" not in dump, line
        refused = [p for p in pc.problems if "outside the configuration directory" in p.message]
        assert refused and refused[0].fatal == fatal and (refused[0].file, refused[0].line) == ("extensions.conf", 3), line
        facts = collect_asterisk_tree(tmp_path)
        assert CANARY not in msgspec.json.encode(facts).decode(), line


def test_root_file_that_is_a_link_outside_is_refused(tmp_path):
    (tmp_path / "secret").write_text(f"[x]\nsecret={CANARY}\n")
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "manager.conf").symlink_to(tmp_path / "secret")
    pc = parse_config(etc, "manager.conf")
    assert pc.fatal is not None and not pc.sections and CANARY not in pc.fatal.message


HOSTILE_LINES = [
    f"password: {CANARY}", f"401 {CANARY},Name", f"[{CANARY}", f"[s](!{CANARY}", f"#{CANARY}", f"#include {CANARY}(",
    f"=\t{CANARY}", f"\\ {CANARY}=1", f"secret={CANARY} --;", f"x={'y' * 9000}{CANARY}", f";--\n[{CANARY}]",
    f"{CANARY}", f"\x01\x02{CANARY}", f"\ufeff{CANARY}",
]


@pytest.mark.parametrize("line", HOSTILE_LINES)
def test_problem_messages_never_quote_a_line_or_a_value(tmp_path, line):
    """A Problem names file, line and at most a key, section or include name; never the raw line or
    a value. Checked in the root file (fatal) and in an included file (gap)."""
    pc = parse_text(f"[s]\n{line}\n")
    root = write_tree(tmp_path, {"r.conf": "[s]\n#include inc.conf\n", "inc.conf": f"{line}\n"})
    for parsed in (pc, parse_config(root, "r.conf")):
        for p in parsed.problems:
            assert CANARY not in p.message, (line, p.message)


def test_names_in_messages_are_sanitised_and_capped():
    pc = parse_text("[a]\n[b](" + "\x1b[31m" + "n" * 200 + ")\n")
    msg = pc.fatal.message
    assert "\x1b" not in msg and "n" * 41 not in msg and "..." in msg


def test_symlink_loops(tmp_path):
    """stat() fails with ELOOP; Asterisk skips the name. For the auditor: a Problem on that file,
    fatal for the root or a literal #include, a gap for a glob member; never an exception."""
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "loop1.conf").symlink_to(etc / "loop2.conf")
    (etc / "loop2.conf").symlink_to(etc / "loop1.conf")
    (etc / "pjsip.conf").symlink_to(etc / "pjsip.conf")
    assert parse_config(etc, "pjsip.conf").fatal is not None
    (etc / "r.conf").write_text("[s]\n#include loop*.conf\n#include ok.conf\n")
    (etc / "ok.conf").write_text("ok=1\n")
    pc = parse_config(etc, "r.conf")
    assert pc.fatal is not None and pc.fatal.line == 2  # no match readable: a #include that loads nothing
    assert {p.file for p in gaps(pc)} == {"loop1.conf", "loop2.conf"}
    (etc / "r.conf").write_text("[s]\n#tryinclude loop1.conf\n#include ok.conf\n")
    pc = parse_config(etc, "r.conf")
    assert pc.fatal is None and entries(pc, "s") == [("ok", "1")] and gaps(pc)[0].file == "loop1.conf"


def test_unreadable_file(tmp_path, monkeypatch):
    """Permission denied is a Problem on that file (fatal for the root / a literal #include, a gap
    for #tryinclude or a glob member). As root chmod does not deny, so the refusal is then made by
    the open() the reader uses."""
    root = write_tree(tmp_path, {"r.conf": "[s]\n#tryinclude locked.conf\nx=1\n", "locked.conf": f"k={CANARY}\n",
                                 "s.conf": "[s]\n#include locked.conf\n"})
    locked = root / "locked.conf"
    locked.chmod(0)
    if os.geteuid() == 0:
        real_open = config_files._open

        def denying(path: str) -> int:
            if path.endswith("locked.conf"):
                raise PermissionError(13, "Permission denied", path)
            return real_open(path)
        monkeypatch.setattr(config_files, "_open", denying)
    pc = parse_config(root, "r.conf")
    assert pc.fatal is None and entries(pc, "s") == [("x", "1")]
    assert [(p.file, "Permission denied" in p.message) for p in gaps(pc)] == [("locked.conf", True)]
    assert parse_config(root, "s.conf").fatal.file == "locked.conf"
    locked.chmod(0o644)


def test_directory_where_a_file_is_expected(tmp_path):
    """stat() then ``!S_ISREG``: "'%s' is not a regular file, ignoring". A root that is a directory
    cannot be loaded (fatal); a literal #include of one is a missing include (fatal in the root
    file); a glob member that is a directory (or a FIFO) is ignored: a note, and never opened."""
    etc = tmp_path / "etc"
    (etc / "pjsip.conf").mkdir(parents=True)
    assert parse_config(etc, "pjsip.conf").fatal is not None
    (etc / "d.conf").mkdir()
    os.mkfifo(etc / "fifo.conf")
    (etc / "a.conf").write_text("a=1\n")
    (etc / "root.conf").write_text("[s]\n#include ?.conf\n#tryinclude *o.conf\n")
    pc = parse_config(etc, "root.conf")
    assert pc.fatal is None and entries(pc, "s") == [("a", "1")]
    assert {p.file for p in notes(pc)} == {"d.conf", "fifo.conf"}
    (etc / "root.conf").write_text("[s]\n#include *o.conf\n")  # nothing Asterisk would load: a missing #include
    assert parse_config(etc, "root.conf").fatal.line == 2
    (etc / "root.conf").write_text("[s]\n#include d.conf\n")
    assert "regular" in parse_config(etc, "root.conf").fatal.message


def test_file_that_vanishes_before_it_is_read(tmp_path, monkeypatch):
    """A file deleted between the directory listing and open(): a Problem, not an exception."""
    root = write_tree(tmp_path, {"r.conf": "[s]\n#include p/*.conf\n", "p/a.conf": "a=1\n", "p/b.conf": "b=1\n"})
    real_open = config_files._open

    def vanishing(path: str) -> int:
        if path.endswith("b.conf"):
            os.unlink(path)
        return real_open(path)
    monkeypatch.setattr(config_files, "_open", vanishing)
    pc = parse_config(root, "r.conf")
    assert entries(pc, "s") == [("a", "1")] and [p.file for p in gaps(pc)] == ["p/b.conf"]


def test_binary_or_huge_glob_member_is_a_gap_not_fatal(tmp_path):
    """A file of NUL bytes matched by a glob is not read (a gap); as the root or a literal #include
    it is fatal."""
    raw_tree(tmp_path, {"r.conf": "[s]\n#include p/*\n", "p/a.conf": "a=1\n", "p/b.wav": b"RIFF\x00\x00WAVE"})
    pc = parse_config(tmp_path, "r.conf")
    assert pc.fatal is None and entries(pc, "s") == [("a", "1")] and [p.file for p in gaps(pc)] == ["p/b.wav"]
    raw_tree(tmp_path, {"r.conf": "[s]\n#include p/b.wav\n"})
    assert parse_config(tmp_path, "r.conf").fatal.file == "p/b.wav"


def test_problems_per_file_are_capped():
    """Every ignored line is a gap, but a hostile file cannot fill the facts with them: 50 are
    listed per file, then one line counts the rest."""
    pc = parse_text("[s]\n" + "junk\n" * 10_000)
    assert len(pc.problems) == asterisk_conf.MAX_PROBLEMS_PER_FILE + 1
    assert pc.problems[-1].message.startswith(f"{10_000 - asterisk_conf.MAX_PROBLEMS_PER_FILE} more problems")


# --- linear time ---------------------------------------------------------------------------------

HOSTILE_INPUTS = {
    "2 MB single line": "[a]\nx=" + ";--\\;--;" * 250_000,
    "200k lines of ;--": "[a]\n" + ";--\n" * 200_000,
    "200k lines of --;": "[a]\n" + "--;\n" * 200_000,
    "200k alternating ;-- and --; lines": "[a]\n" + ";-- x\n--; y\n" * 100_000,
    "200k inline blocks": "[a]\n" + "k=1;--x--;2;--y--;3 ; c\n" * 200_000,
    "2 MB of lines full of ';'": "[a]\n" + ("k=" + ";" * 8000 + "\n") * 256,
    "deep nesting on one line": "[a]\n" + ";--" * 2700 + "\n",
    "nesting just below the limit, then 100k lines": "[a]\n" + ";--\n" * 128 + "x\n" * 100_000,
    "escapes on lines at the length limit": "[a]\n" + ("x=" + "\\;" * 4000 + "\n") * 250,
    "100k headers": "".join(f"[s{i}](!)\n" for i in range(100_000)),
    "100k additions to a template name": "[t](!)\n" * 2000 + "[t](+)\n" * 2000,
    "100k appends": "[a]\nk=1\n" + "k+=1\n" * 100_000,
    "appends under case-differing names": "[a]\nk=1\n" + "K=1\n" * 50_000 + "k+=1\n" * 50_000,
    "deep brace glob": "[a]\n#tryinclude " + "{" * 2000 + "a" + "}" * 2000 + "\n",
    "wide brace glob": "[a]\n#tryinclude " + "{a,b}" * 40 + "\n",
    "star glob": "[a]\n#tryinclude " + "*a" * 1000 + "\n",
}


@pytest.mark.parametrize("name", list(HOSTILE_INPUTS))
def test_hostile_input_is_read_in_bounded_time(name):
    text = HOSTILE_INPUTS[name]
    started = time.perf_counter()
    pc = parse_text(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{name}: {elapsed:.2f}s"
    assert isinstance(pc, ParsedConfig)


TOKENS = ["[", "]", "(", ")", "!", "+", ",", "=", "=>", "+=", ";", ";--", "--;", ";---", "-", "\\", "\\;", "#include ",
          "#tryinclude ", "#exec ", "#", "*", "{", "}", "?", "..", "/", " ", "\t", "\r", "\n", "\ufeff", "é", "a", "b", "x",
          "[s]", "[t](!)", "[s](+)", "[u](t)", "[s](+type=a)", "type=a", "\x0b"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=400))
def test_arbitrary_text_never_raises_and_runs_in_proportional_time(parts):
    text = "".join(parts)
    started = time.perf_counter()
    pc = parse_text(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5 + len(text) * 1e-4
    assert pc.content_lines >= 0 and all(isinstance(p.message, str) for p in pc.problems)


def test_time_grows_linearly_with_size():
    """Four times the input takes about four times as long, far from sixteen (seeded random lines
    that can never be fatal, so the whole input is read)."""
    rng = random.Random(20261123)
    line_tokens = [t for t in TOKENS if t not in ("\n", "\r", ";--", "--;", ";---")]
    lines = []
    for i in range(4000):
        body = "".join(rng.choice(line_tokens) for _ in range(rng.randint(0, 12)))
        lines.append(f"k{i % 7}=" + body if i % 50 else f"[s{i}] ;-- {body} --; ;--- banner")
    unit = "[s]\n" + "\n".join(lines) + "\n"

    def timed(copies: int) -> float:
        text = unit * copies
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            pc = parse_text(text)
            best = min(best, time.perf_counter() - started)
        assert pc.fatal is None and pc.content_lines > 3000 * copies
        return best

    small, large = timed(2), timed(8)
    assert large < small * 4 * 2.5 + 0.05


def _c_comment_loop(line: str, comment: int) -> tuple[str, int]:
    """A literal transcription of config_text_file_load()'s comment loop over a NUL-terminated
    buffer (memmove, '\\0' writes and all), to check the reader's index arithmetic against."""
    buf = list(line) + ["\n", "\0"]

    def strlen(i: int) -> int:
        j = i
        while buf[j] != "\0":
            j += 1
        return j - i

    def strchr(i: int) -> int:
        j = i
        while buf[j] != "\0":
            if buf[j] == ";":
                return j
            j += 1
        return -1

    new_buf = 0
    process_buf = None if comment else 0
    while (cp := strchr(new_buf)) >= 0:
        if cp > new_buf and buf[cp - 1] == "\\":
            new_buf = cp
            n = strlen(cp) + 1
            buf[cp - 1:cp - 1 + n] = buf[cp:cp + n]
        elif buf[cp + 1] == "-" and buf[cp + 2] == "-" and buf[cp + 3] != "-":
            if comment >= MAX_NESTED_COMMENTS:
                raise asterisk_conf._NestLimit
            buf[cp] = "\0"
            new_buf = cp + 3
            comment += 1
        elif cp >= new_buf + 2 and buf[cp - 1] == "-" and buf[cp - 2] == "-":
            comment -= 1
            new_buf = cp + 1
            if not comment:
                if process_buf is not None:
                    oldptr = process_buf + strlen(process_buf)
                    n = strlen(new_buf) + 1
                    buf[oldptr:oldptr + n] = buf[new_buf:new_buf + n]
                    new_buf = oldptr
                else:
                    process_buf = new_buf
        elif not comment:
            buf[cp] = "\0"
            new_buf = cp
        else:
            new_buf = cp + 1
    if process_buf is None:
        return "", comment
    return "".join(buf[process_buf:process_buf + strlen(process_buf)]).strip(asterisk_conf._BLANKS), comment


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=";-\\a= \t", max_size=40), st.integers(min_value=-3, max_value=MAX_NESTED_COMMENTS))
def test_comment_stripping_matches_a_transcription_of_config_c(line, depth):
    """The reader's linear comment scan gives exactly what the C loop gives, for any line and depth."""
    try:
        expected: object = _c_comment_loop(line, depth)
    except asterisk_conf._NestLimit:
        expected = "nest limit"
    try:
        got: object = asterisk_conf._strip_comment(line, depth)
    except asterisk_conf._NestLimit:
        got = "nest limit"
    assert got == expected


# --- real configurations -------------------------------------------------------------------------

def test_matt_jordan_pjsip_conf_with_banners():
    """Banners ``;-----------------------------------------------`` between the transports and the
    templates: the old reader took them for an unterminated block and lost templates and phones."""
    pc = parse_config(FIXTURES / "matt-jordan-asterisk-configs", "pjsip.conf")
    assert not pc.problems
    assert [s.name for s in pc.instances()] == ["global", "transport-udp", "transport-tcp",
                                                "alice", "alice", "alice", "bob", "bob", "bob"]
    assert [s.name for s in pc.sections if s.is_template] == ["aor-single-template", "auth-basic-template",
                                                               "endpoint-basic-template"]
    alice_ep = [s for s in pc.sections if s.name == "alice"][2]
    assert alice_ep.templates == ["endpoint-basic-template"]
    assert (alice_ep.get("type"), alice_ep.get("context"), alice_ep.get("aors")) == ("endpoint", "default", "alice")
    assert alice_ep.get("allow") == "!all,g722,ulaw,alaw,gsm"
    assert [s.get("username") for s in pc.instances() if s.get("type") == "auth"] == ["alice", "bob"]


def test_matt_jordan_extensions_conf_with_banners():
    pc = parse_config(FIXTURES / "matt-jordan-asterisk-configs", "extensions.conf")
    assert not pc.problems and [s.name for s in pc.sections] == ["globals", "dial_subroutines", "default"]
    default = pc.section("default")
    assert [e.value for e in default.all("exten")] == ["_XXXX,1,NoOp()", "10000,1,NoOp()"]
    assert len(default.all("same")) == 8 and pc.section("globals").get("2000_exten") == "bob"


def test_mlan_privatedial_pjsip_conf_and_its_tryinclude():
    pc = parse_config(FIXTURES / "mlan-docker-asterisk", "pjsip.conf")
    assert not pc.problems and pc.files == ["pjsip.conf", "pjsip_transport.conf"]
    assert [s.name for s in pc.instances()] == ["global", "udp", "tcp", "tls"]
    tls = pc.section("tls")
    assert tls.templates == ["t_wan"] and tls.entry("method").file == "pjsip_transport.conf"
    assert [tls.get(k) for k in ("type", "protocol", "bind", "method")] == ["transport", "tls", "0.0.0.0:5061", "tlsv1_2"]
    assert [e.value for e in tls.all("bind")] == ["0.0.0.0:5060", "0.0.0.0:5061"]


def test_mlan_privatedial_wizard_multiple_inheritance_order():
    """``[w_term_io](!,_nat,_qos,_sdes,_hint,_term,_inout)``: six templates, copied in that order."""
    pc = parse_config(FIXTURES / "mlan-docker-asterisk", "pjsip_wizard.conf")
    assert not pc.problems and pc.files == ["pjsip_wizard.conf", "pjsip_endpoint.conf"]
    io = next(s for s in pc.sections if s.name == "w_term_io")
    assert io.is_template and io.templates == ["_nat", "_qos", "_sdes", "_hint", "_term", "_inout"]
    keys = [e.key for e in io.entries]
    assert keys[:3] == ["endpoint/rewrite_contact", "endpoint/direct_media", "endpoint/rtp_symmetric"]  # _nat first
    assert keys[3] == "endpoint/tos_audio" and keys[-2:] == ["endpoint/message_context", "type"]
    john = pc.section("john.doe")
    assert john.templates == ["w_term:mydoe"] and john.get("endpoint/media_encryption") == "sdes"
    assert john.get("endpoint/set_var") == "WEBSMS_INDEX=" and len(john.all("endpoint/set_var")) == 2
    assert [s.name for s in pc.instances()] == ["itsp:mydoe", "john.doe", "jane.doe"]


def test_mlan_privatedial_extensions_add_to_sections_of_an_included_file():
    pc = parse_config(FIXTURES / "mlan-docker-asterisk", "extensions.conf")
    assert not pc.problems and pc.files == ["extensions.conf", "extensions_local.conf"]
    globals_ = pc.section("globals")
    assert globals_.file == "extensions_local.conf" and globals_.get("contry_code") == "46"
    assert globals_.entry("app_sms").file == "extensions.conf"  # from [globals](+) in extensions.conf
    assert len(pc.sections) == 22 and pc.section("dp_entry_call_in").get("include") == "dp_call_in"


def test_asterisk_geolocation_sample_is_all_block_comments():
    pc = parse_config(FIXTURES / "asterisk-samples", "geolocation.conf.sample")
    assert pc.sections == [] and pc.content_lines == 0 and pc.fatal is None
    assert [p.line for p in notes(pc)] == [52, 169] and not gaps(pc)


def test_corpus_samples(corpus):
    """Asterisk's own samples: no fatal problem, no gap, and every header and setting is a content line."""
    expected = {"voicemail.conf.sample": ["general", "zonemessages", "default", "myaliases", "other"],
                "extensions.conf.sample": 30, "pjsip.conf.sample": 0}
    for path in sorted((corpus / "asterisk").glob("*.sample")):
        pc = parse_config(path.parent, path.name)
        assert pc.fatal is None and not gaps(pc), path.name
        want = expected.get(path.name)
        if isinstance(want, list):
            assert [s.name for s in pc.sections] == want
        elif want is not None:
            assert len(pc.sections) == want
        assert pc.content_lines == len(pc.sections) + sum(len(s.entries) for s in pc.sections), path.name


def test_example_clinic():
    """The example clinic (FreePBX-shaped): banners closed by ';', a block comment in
    pjsip_custom.conf, 14 #include and 2 #tryinclude, voicemail's ``emailbody+=``."""
    etc = EXAMPLE / "etc" / "asterisk"
    pjsip = parse_config(etc, "pjsip.conf")
    assert pjsip.fatal is None and len(pjsip.files) == 15 and len(pjsip.sections) == 60
    assert [p.note for p in pjsip.problems] == [True]  # #tryinclude pjsip.acl_custom.conf
    vm = parse_config(etc, "voicemail.conf")
    general = vm.section("general")
    [body] = general.all("emailbody")  # += replaced it in place
    assert body.value.endswith("--Riverside Voicemail\\n") and body.op == "+="
    manager = parse_config(etc, "manager.conf")
    assert [s.name for s in manager.sections] == ["general", "admin", "wallboard"] and not manager.problems
