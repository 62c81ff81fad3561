"""AST-LOG-*: what is logged, where, and for how long."""
from tests.conftest import only, stage_corpus, write_tree
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE


def test_corpus_logger_sample(corpus, tmp_path, run):
    facts = collect_asterisk_tree(stage_corpus(corpus / "asterisk", tmp_path, {
        "logger.conf.sample": "logger.conf", "cdr.conf.sample": "cdr.conf", "cel.conf.sample": "cel.conf"}))
    assert only(run("AST-LOG-101", facts)) == FAIL  # no security level in the stock logger.conf
    assert only(run("AST-LOG-102", facts)) == PASS  # messages.log => notice,warning,error
    assert only(run("AST-LOG-103", facts)) == FAIL
    assert only(run("AST-LOG-104", facts)) == PASS
    assert only(run("AST-LOG-105", facts)) == FAIL  # CEL is off unless enabled


def test_hardened_logger(tree, run):
    facts = tree({"logger.conf": """
[general]
dateformat=%F %T.%3q
[logfiles]
console => notice,warning,error
security.log => [plain]security
messages.log => notice,warning,error,security
syslog.local0 => notice,warning,error,security
""", "cel.conf": "[general]\nenable=yes\napps=voicemailmain\n", "cdr.conf": "[general]\nenable=no\n"})
    for cid in ("AST-LOG-101", "AST-LOG-102", "AST-LOG-103", "AST-LOG-105"):
        assert only(run(cid, facts)) == PASS, cid
    assert only(run("AST-LOG-104", facts)) == FAIL


def test_console_alone_is_not_a_log(tree, run):
    facts = tree({"logger.conf": "[logfiles]\nconsole => notice,warning,error,security\n"})
    assert only(run("AST-LOG-101", facts)) == FAIL
    assert only(run("AST-LOG-102", facts)) == FAIL


def test_logrotate_retention_corpus_and_fixed(corpus, tmp_path, tree, run):
    facts = tree({"logger.conf": "[logfiles]\nmessages => notice\n"}, logrotate_files=[corpus / "asterisk" / "asterisk.logrotate"])
    r = run("AST-LOG-106", facts)
    assert only(r) == FAIL  # weekly, rotate 52: one year, not six
    good = write_tree(tmp_path / "lr", {"asterisk": "/var/log/asterisk/*.log {\n  monthly\n  rotate 72\n  compress\n}\n"})
    facts = tree({"logger.conf": "[logfiles]\nmessages => notice\n"}, logrotate_files=[good / "asterisk"])
    assert only(run("AST-LOG-106", facts)) == PASS
    assert only(run("AST-LOG-106", facts, log_retention_years=7)) == FAIL


def test_logrotate_without_asterisk_rule(tmp_path, tree, run):
    other = write_tree(tmp_path / "lr", {"rsyslog": "/var/log/syslog {\n daily\n rotate 7\n}\n"})
    facts = tree({"logger.conf": "[logfiles]\nmessages => notice\n"}, logrotate_files=[other / "rsyslog"])
    assert only(run("AST-LOG-106", facts)) == FAIL
