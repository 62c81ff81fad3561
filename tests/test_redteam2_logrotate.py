"""Red team, round 2: logrotate policies that rotate by size. ``size`` (written after the period) and
``maxsize`` make logrotate rotate when a log grows past a size, so ``monthly`` + ``rotate 80`` no longer
means 80 months: with ``size 1M`` a busy PBX's logs rotate daily and are gone in 80 days. The policy
read as 80 months of retention (a PASS); it is now a parse error naming the file, line and directive,
and the retention control is ERROR (logrotate(8): "the last specified option takes the precedence")."""
from __future__ import annotations

import pytest

from voxaudit.parsers.logrotate import LogrotateError, parse_logrotate


@pytest.mark.parametrize("text, line, directive", [
    ("/var/log/asterisk/*log {\n  monthly\n  size 1M\n  rotate 80\n}\n", 3, "size"),
    ("/var/log/asterisk/*log {\n  monthly\n  maxsize 1M\n  rotate 80\n}\n", 3, "maxsize"),
    ("maxsize 1M\n/var/log/asterisk/*log {\n  monthly\n  rotate 80\n}\n", 1, "maxsize"),
    ("monthly\nsize 1M\n/var/log/asterisk/*log {\n  rotate 80\n}\n", 2, "size"),
])
def test_size_based_rotation_is_not_read_as_time_based(text, line, directive):
    with pytest.raises(LogrotateError) as err:
        parse_logrotate(text, "etc/logrotate.d/asterisk")
    assert err.value.line == line and f"'{directive}'" in str(err.value) and "1M" not in str(err.value)


@pytest.mark.parametrize("text", [
    "/var/log/asterisk/*log {\n  size 1M\n  monthly\n  rotate 80\n}\n",   # the period written last decides
    "size 1M\n/var/log/asterisk/*log {\n  monthly\n  rotate 80\n}\n",
    "/var/log/asterisk/*log {\n  monthly\n  minsize 1M\n  rotate 80\n}\n",  # minsize only delays a rotation
])
def test_time_based_rotation_is_still_read(text):
    (rule,) = parse_logrotate(text, "etc/logrotate.d/asterisk")
    assert (rule.period, rule.rotate) == ("monthly", 80)


@pytest.mark.parametrize("count, rotate", [("-1", -1), ("0", 0), ("12", 12), ("+12", 12), ("0x10", 16), ("010", 8)])
def test_counts_are_read_as_logrotate_reads_them(count, rotate):
    """config.c reads 'rotate' with strtol(key, &end, 0): -1 (never remove), hexadecimal and octal included."""
    (rule,) = parse_logrotate(f"/var/log/asterisk/*log {{\n  monthly\n  rotate {count}\n}}\n", "a")
    assert rule.rotate == rotate


@pytest.mark.parametrize("line", ["rotate -2", "rotate 08", "rotate 1e3", "rotate", "maxage -5", "maxage 0x"])
def test_counts_logrotate_refuses_are_refused(line):
    with pytest.raises(LogrotateError) as err:
        parse_logrotate(f"/var/log/asterisk/*log {{\n  monthly\n  {line}\n}}\n", "a")
    assert err.value.line == 3


def test_rotate_minus_one_keeps_logs_for_ever_unless_maxage(tmp_path, registry):
    """logrotate(8): with rotate -1 old logs are not removed at all, except by maxage. LOG-AUD-106 used to read it
    as 0 days (a FAIL on a policy that keeps everything)."""
    from tests.conftest import write_tree
    from voxaudit.collectors.offline import collect_asterisk_tree
    from voxaudit.model import Status

    def retention(policy: str) -> tuple[Status, str]:
        root = write_tree(tmp_path / str(abs(hash(policy))), {
            "etc/asterisk/logger.conf": "[logfiles]\nmessages => notice,warning,error,security\n",
            "etc/logrotate.d/asterisk": f"/var/log/asterisk/*log {{\n  monthly\n  {policy}\n}}\n"})
        (out,) = registry.get("LOG-AUD-106")(collect_asterisk_tree(root))
        return out.status, out.evidence

    status, evidence = retention("rotate -1")
    assert status == Status.PASS and "never removed" in evidence
    status, evidence = retention("rotate -1\n  maxage 90")
    assert status == Status.FAIL and "about 90 days" in evidence
    status, evidence = retention("rotate -1\n  maxage 3000")
    assert status == Status.PASS and "about 3000 days" in evidence
