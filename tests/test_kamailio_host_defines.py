"""``#!ifdef``/``#!ifndef`` of names Kamailio defines itself, decided as Kamailio decides them.

Kamailio's source (kamailio/kamailio 38711a3e, src/core): ppcfg.c ``pp_define_core()`` (called by main.c before
the configuration is read) defines ``KAMAILIO_X``, ``KAMAILIO_X_Y``, ``KAMAILIO_X_Y_Z`` (since 5.2.0),
``KAMAILIO_VERSION`` and ``OS_NAME`` (since 5.7.0) from the running binary; sr_module.c ``register_module()``
defines ``MOD_<name>`` (since 4.1) when cfg.y's ``LOADMODULE STRING`` action loads a module, i.e. while the
file is parsed. OpenSIPS's cfg.lex has no ``#!`` preprocessor (``#`` is a comment to the end of the line) and
defines no such names. The reader used to take every one of them for undefined, silently.
"""
from __future__ import annotations

import pytest

from tests.conftest import write_tree
from tests.test_reader_fuzz import assert_linear, write
from voxaudit.collectors.offline import collect_kamailio_tree
from voxaudit.parsers.kamailio_cfg import MAX_HOST_GAPS_PER_FILE, parse_kamailio

CANARY = "Zq7-canary-Wx9-host-define"


def gaps(cfg) -> list:
    return [p for p in cfg.problems if not p.fatal and not p.note]


def debug_values(cfg) -> list[str]:
    return [i.value for i in cfg.items if i.kind == "global" and i.name == "debug"]


@pytest.mark.parametrize("name", ["KAMAILIO_5", "KAMAILIO_5_8", "KAMAILIO_6_0_1", "KAMAILIO_VERSION", "OS_NAME"])
@pytest.mark.parametrize("directive", ["ifdef", "ifndef"])
def test_a_name_the_binary_defines_is_a_gap_naming_it_and_neither_branch_is_read(tmp_path, name, directive):
    root = write_tree(tmp_path, {"kamailio.cfg": f'#!define DBURL "mysql://kamailio:{CANARY}@db/kamailio"\n'
                                                 f'#!{directive} {name}\ndebug=5\n'
                                                 f'modparam("auth_db", "db_url", "{CANARY}")\n'
                                                 '#!else\ndebug=4\n#!endif\ndebug=2\n'})
    cfg = parse_kamailio(root)
    [gap] = gaps(cfg)
    assert (gap.file, gap.line) == ("kamailio.cfg", 2)
    assert f"#!{directive} {name}" in gap.message and "running Kamailio" in gap.message
    assert CANARY not in gap.message
    assert debug_values(cfg) == ["2"]  # neither the block nor its #!else: never silently false
    assert cfg.fatal is None


def test_the_gap_reaches_the_facts_as_a_gap_not_a_note(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": 'debug=2\n#!ifndef KAMAILIO_5\nenable_tls=no\n#!endif\n'})
    facts = collect_kamailio_tree(root)
    problems = facts.configs["kamailio.cfg"].problems
    assert [(p.line, p.fatal, p.note) for p in problems] == [(2, False, False)]
    assert "KAMAILIO_5" in problems[0].message


def test_mod_name_is_decided_from_loadmodule_as_the_file_is_read(tmp_path):
    """register_module defines MOD_<name> when the loadmodule statement is parsed: false before it, true
    after it, whatever form the module's path takes; a module loaded in a false block is not loaded."""
    root = write_tree(tmp_path, {"kamailio.cfg": '#!ifdef MOD_tls\ndebug=1\n#!endif\n'
                                                 'loadmodule "/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so"\n'
                                                 'loadmodule("sl")\n'
                                                 '#!ifdef NOPE\nloadmodule "htable.so"\n#!endif\n'
                                                 '#!ifdef MOD_tls\ndebug=2\n#!endif\n'
                                                 '#!ifndef MOD_sl\ndebug=3\n#!else\ndebug=4\n#!endif\n'
                                                 '#!ifdef MOD_htable\ndebug=5\n#!endif\n'
                                                 '#!ifexp MOD_tls && !MOD_htable\ndebug=6\n#!endif\n'})
    cfg = parse_kamailio(root)
    assert not gaps(cfg), cfg.problems
    assert debug_values(cfg) == ["2", "4", "6"]


def test_a_computed_loadmodulex_leaves_mod_names_unknown(tmp_path):
    """ksr_load_modulex evaluates a '$' name at startup: which module it loads is not in the files."""
    root = write_tree(tmp_path, {"kamailio.cfg": 'loadmodule "sl.so"\nloadmodulex "$def(DBMOD).so"\n'
                                                 '#!ifdef MOD_sl\ndebug=1\n#!endif\n'
                                                 '#!ifdef MOD_db_mysql\ndebug=2\n#!endif\n'})
    cfg = parse_kamailio(root)
    [gap] = gaps(cfg)
    assert gap.line == 6 and "MOD_db_mysql" in gap.message and "line 2" in gap.message
    assert debug_values(cfg) == ["1"]


def test_a_module_loaded_in_an_unknown_block_is_unknown_after_it(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": '#!ifdef KAMAILIO_6\nloadmodule "tls.so"\n#!endif\n'
                                                 '#!ifdef MOD_tls\ndebug=1\n#!endif\n'
                                                 '#!ifdef MOD_sl\ndebug=2\n#!else\ndebug=3\n#!endif\n'
                                                 'loadmodule "tls.so"\n#!ifdef MOD_tls\ndebug=4\n#!endif\n'})
    cfg = parse_kamailio(root)
    assert [(g.line, "MOD_tls" in g.message) for g in gaps(cfg)] == [(1, False), (4, True)]
    assert debug_values(cfg) == ["3", "4"]


def test_an_undecidable_ifexp_reads_neither_branch(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": '#!ifexp KAMAILIO_VERSION >= 5007000\ndebug=1\n#!else\ndebug=2\n'
                                                 '#!endif\nloadmodule "sl.so"\n#!ifexp MOD_sl && !MOD_tls\ndebug=3\n'
                                                 '#!endif\n'})
    cfg = parse_kamailio(root)
    assert [g.line for g in gaps(cfg)] == [1]
    assert debug_values(cfg) == ["3"]


def test_what_an_unknown_block_defines_is_unknown_until_the_file_decides_it(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": '#!ifdef KAMAILIO_5_8\n#!define WITH_NEW\n#!else\n'
                                                 '#!substdef "!OLD!1!g"\n#!endif\n'
                                                 '#!ifdef WITH_NEW\ndebug=1\n#!endif\n'
                                                 '#!ifexp OLD == "1"\ndebug=2\n#!endif\n'
                                                 '#!define WITH_NEW\n#!ifdef WITH_NEW\ndebug=3\n#!endif\n'})
    cfg = parse_kamailio(root)
    assert [g.line for g in gaps(cfg)] == [1, 6, 9]
    assert "WITH_NEW" in gaps(cfg)[1].message and "line 2" in gaps(cfg)[1].message
    assert debug_values(cfg) == ["3"]


def test_the_file_setting_a_host_name_decides_it(tmp_path):
    """``#!trydef KAMAILIO_5`` leaves it defined whatever the binary is; after ``#!undef`` it is not."""
    root = write_tree(tmp_path, {"kamailio.cfg": '#!trydef KAMAILIO_5\n#!ifdef KAMAILIO_5\ndebug=1\n#!endif\n'
                                                 '#!undef OS_NAME\n#!ifdef OS_NAME\ndebug=2\n#!else\ndebug=3\n'
                                                 '#!endif\n'})
    cfg = parse_kamailio(root)
    assert not gaps(cfg), cfg.problems
    assert debug_values(cfg) == ["1", "3"]


def test_no_gap_inside_a_block_that_is_not_read(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": '#!ifdef NOPE\n#!ifdef KAMAILIO_5\ndebug=1\n#!endif\n#!endif\n'
                                                 '#!ifdef OS_NAME\n#!ifndef KAMAILIO_6\ndebug=2\n#!endif\n#!endif\n'
                                                 'debug=3\n'})
    cfg = parse_kamailio(root)
    assert [g.line for g in gaps(cfg)] == [6]
    assert debug_values(cfg) == ["3"]


def test_opensips_reads_them_as_comments(tmp_path):
    """OpenSIPS cfg.lex: COM_LINE '#' to the end of the line; no preprocessor, no MOD_ names."""
    root = write_tree(tmp_path, {"opensips.cfg": '#!ifdef KAMAILIO_5\nloadmodule "tls_mgm.so"\n#!else\n'
                                                 'debug_mode=yes\n#!endif\n#!ifdef MOD_tls_mgm\nlog_level=3\n#!endif\n'})
    cfg = parse_kamailio(root, "opensips.cfg")
    assert not gaps(cfg), cfg.problems
    assert "MOD_tls_mgm" not in cfg.defines
    assert {(i.kind, i.name) for i in cfg.items} == {("loadmodule", "tls_mgm"), ("global", "debug_mode"),
                                                     ("global", "log_level")}


def test_many_host_ifdefs_are_one_message_per_file_beyond_the_bound(tmp_path):
    block = "".join(f"#!ifdef KAMAILIO_{i}\ndebug={i}\n#!endif\n" for i in range(300))
    root = write_tree(tmp_path, {"kamailio.cfg": block + 'import_file "b.cfg"\n', "b.cfg": block})
    cfg = parse_kamailio(root)
    per_file = {f: [g for g in gaps(cfg) if g.file == f] for f in ("kamailio.cfg", "b.cfg")}
    for found in per_file.values():
        assert len(found) == MAX_HOST_GAPS_PER_FILE + 1
        assert f"{300 - MAX_HOST_GAPS_PER_FILE} more" in found[-1].message
        assert found[-1].line == 3 * MAX_HOST_GAPS_PER_FILE + 1  # where the unnamed ones begin
    assert debug_values(cfg) == []


@pytest.mark.parametrize("shape", ["flat", "nested-unknown", "tainted"])
def test_host_ifdefs_stay_linear(tmp_path, shape):
    """10,000 host-decided #!ifdef (n=1000 -> 10x) cost linear time and stay bounded in messages."""
    def make(n: int):
        text = {
            "flat": "".join(f"#!ifdef KAMAILIO_{i}\ndebug={i}\n#!else\nx=1\n#!endif\n" for i in range(n)),
            "nested-unknown": "".join(f"#!ifndef OS_NAME\n#!define D{i % 400}\n#!ifdef D{i % 400}\n#!endif\n#!endif\n"
                                      for i in range(n)),
            "tainted": "#!ifdef KAMAILIO_5\n" + "".join(f"#!define T{i % 400}\n" for i in range(n)) + "#!endif\n"
                       + "".join(f"#!ifdef T{i % 400}\n#!endif\n" for i in range(n)),
        }[shape]
        root = write(tmp_path / f"{shape}{n}", {"kamailio.cfg": text})

        def go() -> object:
            cfg = parse_kamailio(root)
            assert len(cfg.problems) <= MAX_HOST_GAPS_PER_FILE + 2
            return cfg
        return go
    assert_linear(make, 1000, shape)
