"""Per-user mailbox authentication in app_voicemail (voicemail.conf, users.conf) and app_minivm
(minivm.conf accounts, whose ``pincode`` the dialplan checks with MINIVMACCOUNT()).

Evidence describes a PIN's shape ("PIN equals mailbox number"), never the PIN.
"""
from __future__ import annotations

import re

from auditor.check import Param, check
from auditor.facts.asterisk_dialplan import piece, separate, voicemailmain_access
from checks.asterisk._common import PLATFORMS, mailboxes, pins_elsewhere, vm_general
from checks.common import MAX_LOGINS, MIN_PIN

AUTH = ["164.312(d)", "164.308(a)(5)(ii)(D)"]
VM_REMEDIATION = {
    "asterisk": "Set a new PIN in the mailbox line of voicemail.conf (box => PIN,Name,email) or have the user change "
                "it from VoiceMailMain (option 0, 5); enforce minpassword in [general].",
    "freepbx": "Applications > Extensions > (extension) > Voicemail: Voicemail Password; or Settings > Voicemail Admin.",
}


PIN_SOURCES = ["voicemail.conf", "minivm.conf"]


def _is_minivm(mb) -> bool:
    return mb.get("app") == "minivm"


def _pin_results(facts, ctx, judge, fix_text="box => <new PIN>,Name,email", absent_minivm=None):
    """Judge every mailbox's PIN; ``absent_minivm``, when given, is what a minivm account without a
    pincode is (instead of judging its absent PIN)."""
    boxes = mailboxes(facts)
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", "no mailboxes defined")
        return
    spool = pins_elsewhere(facts)
    if spool and not all(_is_minivm(mb) for mb in boxes):
        # app_voicemail reads these PINs from the spool (secret.conf); minivm.conf accounts are still here.
        yield ctx.not_applicable("voicemail.conf", "passwordlocation=spooldir: PINs are kept in the spool, not here")
    for mb in boxes:
        minivm = _is_minivm(mb)
        if spool and not minivm:
            continue
        pin = mb.secrets.get("pin")
        res = f"mailbox {mb.name}"
        if minivm and absent_minivm is not None and (pin is None or not pin.present):
            yield ctx.not_applicable(res, absent_minivm, mb.source)
            continue
        problem = judge(pin) if pin is not None else "mailbox has no PIN"
        if problem:
            where = f"; minivm.conf [{mb.name}]" if minivm else f"; voicemail.conf [{mb.get('context')}]"
            yield ctx.fail(res, problem, mb.source, fix=[where, "pincode=<new PIN>" if minivm else fix_text])
        else:
            yield ctx.passed(res, "PIN acceptable for this check", mb.source)


@check(
    id="AST-VM-101", title="Every mailbox has a PIN", severity="critical",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=PIN_SOURCES,
    rationale="A mailbox without a PIN plays its messages (PHI) to anyone who reaches VoiceMailMain for it.",
    remediation=VM_REMEDIATION,
)
def mailbox_has_pin(facts, ctx):
    yield from _pin_results(facts, ctx, lambda pin: None if pin.present else "mailbox has no PIN",
                            absent_minivm="MiniVM account without a pincode: app_minivm keeps no messages to "
                                          "listen to by phone (it mails them), so no PIN guards them")


@check(
    id="AST-VM-102", title="No PIN equals its mailbox number", severity="high",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=PIN_SOURCES,
    rationale="""Setting the PIN to the extension number is the most common provisioning
    shortcut and the first guess of anyone trying a colleague's voicemail.""",
    remediation=VM_REMEDIATION,
)
def pin_not_mailbox(facts, ctx):
    yield from _pin_results(facts, ctx, lambda pin: "PIN equals mailbox number" if pin.present and pin.equals_identity else None)


@check(
    id="AST-VM-103", title="No trivial PINs (defaults, sequences, repeats)", severity="high",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=PIN_SOURCES,
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
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=PIN_SOURCES, params=[MIN_PIN],
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
    hipaa=["164.312(a)(2)(i)", "164.312(d)"], area="mailbox-auth", platforms=PLATFORMS, sources=PIN_SOURCES,
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
    hipaa=["164.312(a)(2)(i)", "164.308(a)(3)(ii)(B)"], area="mailbox-auth", platforms=PLATFORMS,
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
