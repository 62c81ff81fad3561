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
