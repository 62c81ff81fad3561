"""Red team, round 3: extconfig.conf mappings Asterisk honours that the reader ignored (auditor.facts.asterisk_realtime).

main/config.c ast_config_internal_load() looks a file's name up in the static realtime mappings, then the family
``global``; an ``#include`` loads through the same function. Both cases were silent: ``global => odbc,...`` (every
file from the database) and ``sip_custom.conf => mysql,...`` (an included file from the database) left the copies
on disk judged as if Asterisk ran them."""
from __future__ import annotations

from tests.conftest import write_tree
from tests.test_asterisk_realtime_identify_minivm import CANARY, everything, of, run

SIP = (f"[general]\nallowguest=yes\nbindaddr=0.0.0.0\n#include sip_custom.conf\n[100]\ntype=friend\nhost=dynamic\n"
       f"secret={CANARY}\n")
CUSTOM = f"[101]\ntype=friend\nhost=dynamic\nsecret={CANARY}\n"


def _tree(extconfig: str, modules: str = "[modules]\nautoload=yes\n") -> dict[str, str]:
    return {"modules.conf": modules, "extconfig.conf": f"[settings]\n{extconfig}\n", "sip.conf": SIP,
            "sip_custom.conf": CUSTOM}


def test_a_global_mapping_makes_every_file_static_realtime(tmp_path, registry):
    record, results = run(write_tree(tmp_path, _tree("global => odbc,asterisk,ast_config")), registry)
    got = of(results, "AST-SIP-103")
    assert got and all(s == "ERROR" and "static realtime" in e for s, _, e in got), got
    assert CANARY not in everything(record, results)
    assert "ast_config" not in "\n".join(p.message for cf in record.facts.configs.values() for p in cf.problems)


def test_a_global_mapping_whose_driver_does_not_load_is_inert(tmp_path, registry):
    tree = _tree("global => odbc,asterisk,ast_config", "[modules]\nautoload=yes\nnoload => res_config_odbc.so\n")
    _record, results = run(write_tree(tmp_path, tree), registry)
    assert any(s == "FAIL" for s, _, _ in of(results, "AST-SIP-103"))


def test_a_mapped_include_is_not_judged_from_disk(tmp_path, registry):
    record, results = run(write_tree(tmp_path, _tree("sip_custom.conf => mysql,pbx,custom_table")), registry)
    got = of(results, "AST-SIP-103")
    assert got and all(s == "ERROR" and "sip_custom.conf" in e for s, _, e in got), got
    assert "custom_table" not in "\n".join(p.message for cf in record.facts.configs.values() for p in cf.problems)


def test_a_file_mapping_of_its_own_wins_over_global(tmp_path, registry):
    """find_engine(filename) first: a root mapped by name is flagged once, by its own mapping."""
    record, _results = run(write_tree(tmp_path, _tree("sip.conf => mysql,pbx,sip\nglobal => odbc,asterisk,x")),
                           registry)
    messages = [p.message for p in record.facts.configs["sip.conf"].problems]
    assert len(messages) == 1 and "'global'" not in messages[0]
