"""Per-user mailbox authentication in app_voicemail (voicemail.conf, users.conf) and app_minivm
(minivm.conf accounts, whose ``pincode`` the dialplan checks with MINIVMACCOUNT()).

Evidence describes a PIN's shape ("PIN equals mailbox number"), never the PIN.
"""
from __future__ import annotations

import re

from auditor.check import Param, check
from auditor.facts.asterisk_dialplan import piece, separate, voicemailmain_access
from checks.asterisk._common import PLATFORMS, mailboxes, vm_general
from checks.common import MAX_LOGINS, MIN_PIN

AUTH = ["164.312(d)", "164.308(a)(5)(ii)(D)"]
VM_REMEDIATION = {
    "asterisk": "Set a new PIN in the mailbox line of voicemail.conf (box => PIN,Name,email) or have the user change "
                "it from VoiceMailMain (option 0, 5); enforce minpassword in [general].",
    "freepbx": "Applications > Extensions > (extension) > Voicemail: Voicemail Password; or Settings > Voicemail Admin.",
}


PIN_SOURCES = ["voicemail.conf", "minivm.conf"]


@check(
    id="AST-VM-105", title="minpassword enforces the profile's PIN length", severity="medium",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"], params=[MIN_PIN],
    rationale="""Without minpassword, users may change their PIN to a single digit from the
    phone; the length policy then decays after the audit.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set minpassword=<min_pin_length>.",
        "freepbx": "Settings > Voicemail Admin > Settings > General: minpassword.",
    },
)
def minpassword(facts, ctx):
    general = vm_general(facts)
    n = ctx.param("min_pin_length")
    if general is None:
        yield ctx.not_applicable("voicemail.conf", "no [general] section")
        return
    value = general.get("minpassword")
    if value is None or not value.strip().isdigit() or int(value) < n:
        yield ctx.fail("voicemail.conf [general]", f"minpassword is {value or 'unset (0)'}, below {n}",
                       general.location("minpassword"), fix=["[general]", f"minpassword={n}"])
    else:
        yield ctx.passed("voicemail.conf [general]", f"minpassword={value}", general.location("minpassword"))


@check(
    id="AST-VM-107", title="Failed PIN attempts are limited (maxlogins)", severity="medium",
    hipaa=["164.308(a)(5)(ii)(C)", "164.312(d)"], area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"],
    params=[MAX_LOGINS],
    rationale="maxlogins bounds PIN guesses per call; a high value makes brute force over a few calls practical.",
    remediation={
        "asterisk": "In voicemail.conf [general] set maxlogins=3 (and lock out repeated callers with fail2ban on the "
                    "security log).",
        "freepbx": "Settings > Voicemail Admin > Settings > General: maxlogins = 3.",
    },
)
def maxlogins(facts, ctx):
    general = vm_general(facts)
    limit = ctx.param("max_logins")
    if general is None:
        yield ctx.not_applicable("voicemail.conf", "no [general] section")
        return
    raw = general.get("maxlogins")
    value = int(raw) if raw and raw.strip().isdigit() else 3  # app_voicemail's default
    if value > limit:
        yield ctx.fail("voicemail.conf [general]", f"maxlogins={value} allows more than {limit} guesses per call",
                       general.location("maxlogins"), fix=["[general]", f"maxlogins={limit}"])
    else:
        yield ctx.passed("voicemail.conf [general]", f"maxlogins={value}{'' if raw else ' (default)'}",
                         general.location("maxlogins"))


@check(
    id="AST-VM-108", title="The dialplan never skips the voicemail PIN", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="mailbox-auth", platforms=PLATFORMS,
    sources=["extensions.conf", "extensions.ael"],
    rationale="""VoiceMailMain with the 's' option logs straight into a mailbox without a PIN,
    usually chosen by caller ID, which any softphone or SIP trunk can spoof. It counts wherever
    it runs: as a priority, inside ExecIf/Exec/TryExec, or in a ${IF()} branch, in extensions.conf
    or extensions.ael.""",
    remediation={
        "asterisk": "Remove the 's' option: VoiceMailMain(${CALLERID(num)}@default) so the PIN is always asked.",
        "freepbx": "Remove the custom context in extensions_custom.conf that calls VoiceMailMain(...,s); for *97 keep "
                   "Settings > Voicemail Admin > Settings > 'Require From Same Extension' with a password.",
    },
)
def no_pin_skip(facts, ctx):
    steps = [s for s in facts.dialplan if s.app.lower() == "voicemailmain"]
    if not steps:
        yield ctx.not_applicable("extensions.conf", "VoiceMailMain is not used in the dialplan")
        return
    for s in steps:
        verdict, why = voicemailmain_access(s.args)
        res = f"dialplan {s.label}"
        if verdict == "asks":
            yield ctx.passed(res, f"VoiceMailMain asks for the PIN ({why})", s.source)
            continue
        parts = separate(piece(s.args), ",", 2, True)
        box = parts[0].text if parts else ""
        if s.priority and not s.via:
            fix = [f"; {s.source.file} [{s.context}]", f"exten => {s.exten},{s.priority},VoiceMailMain({box})"]
        else:
            fix = [f"; {s.source} [{s.context}]" + (f" (inside {s.via})" if s.via else ""),
                   f"VoiceMailMain({box})"]
        if verdict == "skips":
            yield ctx.fail(res, f"VoiceMailMain({s.args}) skips the PIN: {why}", s.source, fix=fix)
        else:  # options computed at run time: the configuration alone cannot tell
            yield ctx.unknown(res, f"VoiceMailMain({s.args}) may skip the PIN: {why}; check what the variable "
                                   "holds at run time", location=s.source)


@check(
    id="AST-VM-109", title="Mailboxes belong to one person, not a group", severity="medium",
    hipaa=["164.312(a)(2)(i)", "164.312(d)"], area="mailbox-auth", platforms=PLATFORMS,
    sources=PIN_SOURCES,
    params=[Param(name="shared_mailbox_words", default=["front desk", "reception", "nurses", "nurse station",
                                                        "nursing station", "shared", "group", "team", "main line",
                                                        "after hours", "scheduling", "triage", "general mailbox"],
                  help="Words in a mailbox's name that mark it as shared")],
    rationale="""A 'Front Desk' or 'Nurses' mailbox is opened by several people with one PIN:
    no unique user identification, no accountability for who heard a message.""",
    remediation={
        "asterisk": "Give each person their own mailbox; for group lines use a ring group to personal mailboxes or "
                    "app_voicemail's per-user copies (box => PIN with the group as an alias).",
        "freepbx": "Replace the shared mailbox with a Ring Group whose destination-if-no-answer is each member's "
                   "voicemail, or a Queue with personal voicemail.",
    },
)
def personal_mailboxes(facts, ctx):
    boxes = mailboxes(facts)
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", "no mailboxes defined")
        return
    words = [w.lower() for w in ctx.param("shared_mailbox_words")]
    # One pattern for all words (whole words only): 10,000 mailboxes, one regex pass each.
    shared = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None
    for mb in boxes:
        name = (mb.get("fullname") or "").lower()
        found = shared.search(name) if shared else None
        hit = found.group(1) if found else None
        res = f"mailbox {mb.name}"
        if hit:
            yield ctx.fail(res, f"mailbox name suggests a shared mailbox ('{hit}')", mb.source)
        else:
            yield ctx.passed(res, "named for one person", mb.source)
