"""Per-user mailbox authentication in app_voicemail.

Evidence describes a PIN's shape ("PIN equals mailbox number"), never the PIN.
"""
from __future__ import annotations

import re

from auditor.check import Param, check
from checks.asterisk._common import PLATFORMS, mailboxes, pins_elsewhere, vm_general
from checks.common import MAX_LOGINS, MIN_PIN

AUTH = ["164.312(d)", "164.308(a)(5)(ii)(D)"]
VM_REMEDIATION = {
    "asterisk": "Set a new PIN in the mailbox line of voicemail.conf (box => PIN,Name,email) or have the user change "
                "it from VoiceMailMain (option 0, 5); enforce minpassword in [general].",
    "freepbx": "Applications > Extensions > (extension) > Voicemail: Voicemail Password; or Settings > Voicemail Admin.",
}


def _pin_results(facts, ctx, judge, fix_text="box => <new PIN>,Name,email"):
    boxes = mailboxes(facts)
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", "no mailboxes defined")
        return
    if pins_elsewhere(facts):
        yield ctx.not_applicable("voicemail.conf", "passwordlocation=spooldir: PINs are kept in the spool, not here")
        return
    for mb in boxes:
        problem = judge(mb.secrets["pin"])
        res = f"mailbox {mb.name}"
        if problem:
            yield ctx.fail(res, problem, mb.source, fix=[f"; voicemail.conf [{mb.get('context')}]", fix_text])
        else:
            yield ctx.passed(res, "PIN acceptable for this check", mb.source)


@check(
    id="AST-VM-101", title="Every mailbox has a PIN", severity="critical",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="A mailbox without a PIN plays its messages (PHI) to anyone who reaches VoiceMailMain for it.",
    remediation=VM_REMEDIATION,
)
def mailbox_has_pin(facts, ctx):
    yield from _pin_results(facts, ctx, lambda pin: None if pin.present else "mailbox has no PIN")


@check(
    id="AST-VM-102", title="No PIN equals its mailbox number", severity="high",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="""Setting the PIN to the extension number is the most common provisioning
    shortcut and the first guess of anyone trying a colleague's voicemail.""",
    remediation=VM_REMEDIATION,
)
def pin_not_mailbox(facts, ctx):
    yield from _pin_results(facts, ctx, lambda pin: "PIN equals mailbox number" if pin.present and pin.equals_identity else None)


@check(
    id="AST-VM-103", title="No trivial PINs (defaults, sequences, repeats)", severity="high",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="1234, 0000, 1111 and the vendor sample PINs open a large share of mailboxes in a few tries.",
    remediation=VM_REMEDIATION,
)
def pin_not_trivial(facts, ctx):
    def judge(pin):
        if pin.present and pin.weakness:
            return {"known-weak": "PIN is a known default or common PIN",
                    "sequential": "PIN is a sequential run of digits",
                    "repeated": "PIN repeats one digit"}[pin.weakness]
        return None
    yield from _pin_results(facts, ctx, judge)


@check(
    id="AST-VM-104", title="PINs meet the profile's minimum length", severity="medium",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"], params=[MIN_PIN],
    rationale="A 4-digit PIN has 10,000 values; with maxlogins resets per call, it falls to a patient caller.",
    remediation=VM_REMEDIATION,
)
def pin_length(facts, ctx):
    n = ctx.param("min_pin_length")
    yield from _pin_results(
        facts, ctx, lambda pin: f"PIN is {pin.length} digits, shorter than {n}" if pin.present and pin.length < n else None)


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
    id="AST-VM-106", title="No PIN is shared by several mailboxes", severity="high",
    hipaa=["164.312(a)(2)(i)", "164.312(d)"], area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="""A PIN handed out to several staff stops identifying anyone: every holder can
    open every mailbox that uses it, and the logs cannot tell them apart.""",
    remediation=VM_REMEDIATION,
)
def pin_not_shared(facts, ctx):
    def judge(pin):
        return f"PIN is shared with other mailboxes ({pin.shared_group})" if pin.present and pin.shared_group else None
    yield from _pin_results(facts, ctx, judge)


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


_OPTS_RE = re.compile(r"^(?P<box>[^,@]*)(@[^,]*)?(,(?P<opts>.*))?$")


@check(
    id="AST-VM-108", title="The dialplan never skips the voicemail PIN", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="mailbox-auth", platforms=PLATFORMS, sources=["extensions.conf"],
    rationale="""VoiceMailMain with the 's' option logs straight into a mailbox without a PIN,
    usually chosen by caller ID, which any softphone or SIP trunk can spoof.""",
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
        m = _OPTS_RE.match(s.args.strip())
        opts = (m.group("opts") or "") if m else ""
        res = f"dialplan {s.context},{s.exten},{s.priority}"
        if "s" in opts.lower():
            yield ctx.fail(res, f"VoiceMailMain({s.args}) skips the PIN ('s' option)", s.source,
                           fix=[f"; extensions.conf [{s.context}]",
                                f"exten => {s.exten},{s.priority},VoiceMailMain({m.group('box') if m else ''})"])
        else:
            yield ctx.passed(res, "VoiceMailMain asks for the PIN", s.source)


@check(
    id="AST-VM-109", title="Mailboxes belong to one person, not a group", severity="medium",
    hipaa=["164.312(a)(2)(i)", "164.308(a)(3)(ii)(B)"], area="mailbox-auth", platforms=PLATFORMS,
    sources=["voicemail.conf"],
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
