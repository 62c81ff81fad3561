"""The second line of defence for secrets in messages: every parse problem and every collection failure is
cut of any ``user:password@`` before it is saved or shown, whatever reader wrote it. The first line is each
reader naming files, lines and keys only (tests/test_no_secret_in_errors.py); this holds when one slips."""
from __future__ import annotations

import msgspec

from voxaudit.collectors.offline import CollectionError
from voxaudit.facts.common import ParseProblem

SECRET = "S3cret-Canary-91x"


def test_a_parse_problem_never_keeps_inline_credentials():
    p = ParseProblem(file="x.cfg", line=3, fatal=False,
                     message=f"could not fetch http://admin:{SECRET}@10.0.0.9/y.cfg; mailbox 100@default; sip:alice@pbx")
    assert SECRET not in p.message and "http://admin:<redacted>@10.0.0.9/y.cfg" in p.message
    assert "100@default" in p.message and "sip:alice@pbx" in p.message  # names with an '@' are kept
    # the same on a saved scan read back (msgspec runs __post_init__ on decode)
    raw = msgspec.json.encode({"file": "x", "line": 1, "fatal": True, "message": f"ftp://u:{SECRET}@h/f"})
    assert SECRET not in msgspec.json.decode(raw, type=ParseProblem).message


def test_a_collection_error_never_keeps_inline_credentials():
    err = CollectionError("connectivity", f"cannot reach sips://bob:{SECRET}@pbx.example:5061")
    assert SECRET not in err.reason and SECRET not in str(err)


def test_a_parse_problem_keeps_no_control_character():
    """A section name quoted without label() carried a terminal escape into scan.json."""
    p = ParseProblem(file="pjsip.conf", line=1, fatal=False, message="[evil\x1b[2J\x1b[31mRED\u2028x] has no type=")
    assert p.message == "[evil?[2J?[31mRED?x] has no type=" and p.message.isprintable()
