"""Per-user mailbox authentication: every mailbox has its own PIN, not trivial, not the number, long enough.

Evidence describes a PIN's shape ("PIN equals mailbox number"), never the PIN.
"""
from __future__ import annotations

from typing import Optional

from voxaudit.checks.params import MIN_PIN
from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed, unknown
from voxaudit.records.mailbox import MailboxPin

AUTH = ("164.312(d)", "164.308(a)(5)(ii)(D)")
WEAKNESS = {"known-weak": "PIN is a known default or common PIN",
            "sequential": "PIN is a sequential run of digits",
            "repeated": "PIN repeats one digit"}


def _cannot_tell(box: MailboxPin) -> Optional[Verdict]:
    """A PIN whose shape the configuration does not show is unknown, never acceptable."""
    if box.undecidable:
        return unknown(box.undecidable)
    if not box.pin.present:
        return passed("no PIN to judge (see MBX-PIN-101)")
    return None


@control(
    id="MBX-PIN-101", title="Every mailbox has a PIN", severity="critical", hipaa=AUTH, area="mailbox-auth",
    record=MailboxPin,
    rationale="A mailbox without a PIN plays its messages (PHI) to anyone who reaches the voicemail menu for it.",
)
def mailbox_has_pin(box: MailboxPin, params: Params) -> Verdict:
    if box.pin.present:
        return passed("mailbox has a PIN")
    if box.optional:
        return not_applicable(box.optional)
    if box.undecidable:
        return unknown(box.undecidable)
    return failed("mailbox has no PIN")


@control(
    id="MBX-PIN-102", title="No PIN equals its mailbox number", severity="high", hipaa=AUTH, area="mailbox-auth",
    record=MailboxPin,
    rationale="""Setting the PIN to the extension number is the most common provisioning shortcut and
    the first guess of anyone trying a colleague's voicemail.""",
)
def pin_not_mailbox(box: MailboxPin, params: Params) -> Verdict:
    return _cannot_tell(box) or (failed("PIN equals mailbox number") if box.pin.equals_identity
                                 else passed("PIN differs from the mailbox number"))


@control(
    id="MBX-PIN-103", title="No trivial PINs (defaults, sequences, repeats)", severity="high", hipaa=AUTH,
    area="mailbox-auth", record=MailboxPin,
    rationale="1234, 0000, 1111 and the vendor sample PINs open a large share of mailboxes in a few tries.",
)
def pin_not_trivial(box: MailboxPin, params: Params) -> Verdict:
    return _cannot_tell(box) or (failed(WEAKNESS.get(box.pin.weakness, "PIN is trivial")) if box.pin.weakness
                                 else passed("PIN is not a default, sequence or repeat"))


@control(
    id="MBX-PIN-104", title="PINs meet the profile's minimum length", severity="medium", hipaa=AUTH,
    area="mailbox-auth", record=MailboxPin, params=[MIN_PIN],
    rationale="A 4-digit PIN has 10,000 values; with login limits reset per call, it falls to a patient caller.",
)
def pin_length(box: MailboxPin, params: Params) -> Verdict:
    n = params.int("min_pin_length")
    return _cannot_tell(box) or (failed(f"PIN is {box.pin.length} digits, shorter than {n}") if box.pin.length < n
                                 else passed(f"PIN is at least {n} digits"))


@control(
    id="MBX-PIN-105", title="No PIN is shared by several mailboxes", severity="high",
    hipaa=("164.312(a)(2)(i)", "164.312(d)"), area="mailbox-auth", record=MailboxPin,
    rationale="""A PIN handed out to several staff stops identifying anyone: every holder can open every
    mailbox that uses it, and the logs cannot tell them apart.""",
)
def pin_not_shared(box: MailboxPin, params: Params) -> Verdict:
    return _cannot_tell(box) or (failed(f"PIN is shared with other mailboxes ({box.pin.shared_with})")
                                 if box.pin.shared_with else passed("PIN is not shared"))
