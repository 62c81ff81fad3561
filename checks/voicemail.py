"""Voicemail access policy: what the system itself enforces on PINs and logins, that no way into
the voicemail menu skips the PIN, and that mailboxes are personal.

Evidence quotes settings as the platform writes them (record fields), never a PIN.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from voxaudit.check import Param
from voxaudit.checks.params import MAX_LOGINS, MIN_PIN
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.voicemail import BlankPinLogin, LoginLimit, MailboxOwner, PinPolicy, PinPrompt

AUTH = ("164.312(d)", "164.308(a)(5)(ii)(D)")
SHARED_WORDS = Param(name="shared_mailbox_words", default=["front desk", "reception", "nurses", "nurse station",
                                                             "nursing station", "shared", "group", "team", "main line",
                                                             "after hours", "scheduling", "triage", "general mailbox"],
                     help="Words in a mailbox's name that mark it as shared")


@control(
    id="MBX-POL-101", title="The system enforces the profile's minimum PIN length", severity="medium", hipaa=AUTH,
    area="mailbox-auth", record=PinPolicy, params=[MIN_PIN],
    rationale="""Without a length policy enforced by the voicemail system, users may change their PIN to
    a single digit from the phone; the length policy then decays after the audit.""",
)
def pin_length_enforced(policy: PinPolicy, params: Params) -> Verdict:
    n = params.int("min_pin_length")
    if policy.min_length < n:
        return failed(f"{policy.setting}, below {n}")
    return passed(policy.setting)


@control(
    id="MBX-POL-102", title="Failed PIN attempts are limited", severity="medium",
    hipaa=("164.308(a)(5)(ii)(C)", "164.312(d)"), area="mailbox-auth", record=LoginLimit, params=[MAX_LOGINS],
    rationale="""A limit on PIN attempts per call bounds guessing; a high value makes brute force over a
    few calls practical.""",
)
def login_attempts_limited(limit: LoginLimit, params: Params) -> Verdict:
    if limit.undecidable:
        return unknown(limit.undecidable)
    most = params.int("max_logins")
    if limit.attempts > most:
        return failed(f"{limit.setting} allows more than {most} guesses per call")
    return passed(limit.setting + (" (default)" if limit.defaulted else ""))


@control(
    id="MBX-POL-103", title="Voicemail never opens without a password", severity="critical",
    hipaa=("164.312(d)", "164.312(a)(1)"), area="mailbox-auth", record=BlankPinLogin,
    rationale="""When the voicemail system accepts an empty password, a mailbox whose password is empty
    opens to anyone who just presses # at the prompt.""",
)
def no_blank_pin_login(login: BlankPinLogin, params: Params) -> Verdict:
    if login.undecidable:
        return unknown(login.undecidable)
    return failed(login.setting) if login.accepted else passed("empty passwords refused")


@control(
    id="MBX-POL-104", title="No way into voicemail skips the PIN", severity="critical",
    hipaa=("164.312(d)", "164.312(a)(1)"), area="mailbox-auth", record=PinPrompt,
    rationale="""An entry to the voicemail menu that logs straight into a mailbox without its PIN,
    usually chosen by caller ID, which any softphone or SIP trunk can spoof, opens the messages to
    anyone. It counts wherever it runs, including inside conditional or nested calls.""",
)
def pin_never_skipped(prompt: PinPrompt, params: Params) -> Verdict:
    if prompt.access == "asks":
        return passed(f"{prompt.menu} asks for the PIN ({prompt.why})")
    if prompt.access == "skips":
        return failed(f"{prompt.call} skips the PIN: {prompt.why}")
    return unknown(f"{prompt.call} may skip the PIN: {prompt.why}; check what the variable holds at run time")


@lru_cache(maxsize=16)
def _shared(words: tuple[str, ...]) -> Optional[re.Pattern[str]]:
    """One pattern for all words (whole words only): 10,000 mailboxes, one regex pass each."""
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None


# The pattern of the last Params seen: the engine passes one Params to every record of a run (10,000
# mailboxes), so the word list is read, lowered and looked up once per run, not per mailbox. One slot,
# replaced whole (a tuple), so concurrent runs at worst look the words up again.
_last_params: list[tuple[Optional[Params], Optional[re.Pattern[str]]]] = [(None, None)]


def _shared_for(params: Params) -> Optional[re.Pattern[str]]:
    held, pattern = _last_params[0]
    if held is not params:
        pattern = _shared(tuple(w.lower() for w in params.strs("shared_mailbox_words")))
        _last_params[0] = (params, pattern)
    return pattern


@control(
    id="MBX-POL-105", title="Mailboxes belong to one person, not a group", severity="medium",
    hipaa=("164.312(a)(2)(i)", "164.312(d)"), area="mailbox-auth", record=MailboxOwner, params=[SHARED_WORDS],
    rationale="""A 'Front Desk' or 'Nurses' mailbox is opened by several people with one PIN:
    no unique user identification, no accountability for who heard a message.""",
)
def personal_mailbox(box: MailboxOwner, params: Params) -> Verdict:
    pattern = _shared_for(params)
    found = pattern.search(box.name.lower()) if pattern else None
    if found:
        return failed(f"mailbox name suggests a shared mailbox ('{found.group(1)}')")
    return passed("named for one person")
