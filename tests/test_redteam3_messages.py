"""Red team, round 3: names that are URLs in problem messages (auditor.parsers.problem.label).

Each failed before its fix: an encoded path ("h%2F<token>") passed for a host name; "http:\\\\host" and
"http:/\\\\host" (read as http://host by browsers and many HTTP clients) and scheme-relative "//user:pw@host"
kept their path, query and bare tokens."""
from __future__ import annotations

import pytest

from voxaudit.facts.common import ParseProblem
from voxaudit.parsers.problem import label

CANARY = "CANARY7f3a9c"


@pytest.mark.parametrize("name", [
    f"http://u:{CANARY}@h%2F{CANARY}",
    f"https://{CANARY}@h.example%2F{CANARY}/x.cfg",
    f"http:\\\\u:{CANARY}@h/{CANARY}.cfg?t={CANARY}",
    f"http:/\\{CANARY}@h",
    f"tftp:\\/h/{CANARY}/x.cfg",
    f"//u:{CANARY}@h/x?t={CANARY}",
    f"//{CANARY}@h",
])
def test_a_url_shaped_name_shows_scheme_host_and_port_only(name: str) -> None:
    shown = label(name, 200)
    assert CANARY not in shown
    assert CANARY not in ParseProblem(file="f", line=1, message=f"file {shown} missing", fatal=False).message


@pytest.mark.parametrize("name,shown", [
    ("http://[fe80::1%eth0]:5060/x", "http://[fe80::1%eth0]:5060/..."),
    ("https://prov.example:8443/p?x", "https://prov.example:8443/..."),
    ("http:\\\\prov.example", "http://prov.example"),
    ("sip.conf", "sip.conf"),
    ("sub//x.conf", "sub//x.conf"),
])
def test_names_and_hosts_stay_readable(name: str, shown: str) -> None:
    assert label(name, 200) == shown
