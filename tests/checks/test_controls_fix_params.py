"""A fix says the profile's own numbers: a stricter profile is told maxlogins=2, not the default."""
from __future__ import annotations

from voxaudit.check import CheckContext
from voxaudit.model import Status


def _fixes(registry, check_id, facts, **params):
    rule = registry.get(check_id)
    outcomes = rule(facts, CheckContext({**rule.defaults(), **params}))
    return [o.fix for o in outcomes if o.status == Status.FAIL]


def test_login_limit_and_pin_length_fixes_follow_the_profile(tree, registry):
    facts = tree({"voicemail.conf": "[general]\nmaxlogins=5\nminpassword=4\n[default]\n1001 => 482913,A\n"})
    assert _fixes(registry, "AST-VM-107", facts, max_logins=2) == [["[general]", "maxlogins=2"]]
    assert _fixes(registry, "AST-VM-105", facts, min_pin_length=8) == [["[general]", "minpassword=8"]]


def test_log_retention_fix_follows_the_profile(tmp_path, registry):
    from tests.conftest import write_tree
    from voxaudit.collectors.offline import collect_asterisk_tree

    conf = write_tree(tmp_path / "etc", {"logger.conf": "[logfiles]\nmessages => notice,warning,error,security\n"})
    rotate = write_tree(tmp_path / "lr", {"asterisk": "/var/log/asterisk/*.log {\n  monthly\n  rotate 12\n}\n"})
    facts = collect_asterisk_tree(conf, logrotate_files=[rotate / "asterisk"])
    fixes = _fixes(registry, "AST-LOG-106", facts, log_retention_years=7)
    assert fixes and fixes[0][-1] == "rotate 84", fixes
