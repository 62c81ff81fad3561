"""mod_voicemail authentication: vm-password per user, empty-password logins, attempts."""
from __future__ import annotations

from auditor.check import check
from checks.common import MAX_LOGINS, MIN_PIN
from checks.freeswitch._common import PLATFORMS, fs_true, not_assessable

AUTH = ["164.312(d)", "164.308(a)(5)(ii)(D)"]
REMEDIATION = {
    "freeswitch": "Set a unique vm-password of 6+ digits in each user's <params> (directory/<domain>/<user>.xml), "
                  "not the extension number.",
    "fusionpbx": "Apps > Voicemail > (mailbox): Voicemail Password.",
}


def _users(facts):
    return facts.of_kind("directory.user")


@check(
    id="FS-VM-101", title="Every voicemail PIN is set, not the extension, not trivial, long enough", severity="high",
    hipaa=AUTH, area="mailbox-auth", platforms=PLATFORMS, sources=["directory"], params=[MIN_PIN],
    rationale="""The vanilla users have vm-password equal to the extension (1000 => 1000): anyone
    who knows an extension number can hear its messages.""",
    remediation=REMEDIATION,
)
def vm_password(facts, ctx):
    users = _users(facts)
    if not users:
        yield ctx.not_applicable("directory", "no directory users")
        return
    n = ctx.param("min_pin_length")
    for u in users:
        pin = u.secrets.get("vm-password")
        res = f"user {u.name}"
        unknown = not_assessable(ctx, res, u, "vm-password")
        if unknown is not None:
            yield unknown
            continue
        loc = pin.source if pin else u.source
        if pin is None or not pin.present:
            why = "no vm-password (falls back to the SIP password, or none)"
        elif pin.equals_identity:
            why = "vm-password equals the user id"
        elif pin.weakness:
            why = f"vm-password is {'a known default' if pin.weakness == 'known-weak' else 'a ' + pin.weakness + ' sequence'}"
        elif pin.length < n:
            why = f"vm-password is {pin.length} digits, shorter than {n}"
        else:
            why = ""
        if why:
            yield ctx.fail(res, why, loc, fix=['<param name="vm-password" value="<unique, 6+ digits>"/>'])
        else:
            yield ctx.passed(res, "vm-password acceptable", loc)


@check(
    id="FS-VM-102", title="No voicemail PIN is shared by several users", severity="high",
    hipaa=["164.312(a)(2)(i)", "164.312(d)"], area="mailbox-auth", platforms=PLATFORMS, sources=["directory"],
    rationale="A PIN shared by several staff identifies no one; each can open the others' mailboxes.",
    remediation=REMEDIATION,
)
def vm_password_shared(facts, ctx):
    users = [u for u in _users(facts) if "vm-password" in u.secrets and u.secrets["vm-password"].present]
    if not users:
        yield ctx.not_applicable("directory", "no user has a vm-password")
        return
    for u in users:
        pin = u.secrets["vm-password"]
        if pin.shared_group:
            yield ctx.fail(f"user {u.name}", f"vm-password shared with other users ({pin.shared_group})", pin.source)
        else:
            yield ctx.passed(f"user {u.name}", "vm-password unique", pin.source)


@check(
    id="FS-VM-103", title="Voicemail never opens without a password", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="mailbox-auth", platforms=PLATFORMS, sources=["voicemail.conf.xml"],
    rationale="""allow-empty-password-auth=true (the vanilla value) lets a mailbox whose
    vm-password is empty be opened by just pressing # at the prompt.""",
    remediation={"freeswitch": "In autoload_configs/voicemail.conf.xml set allow-empty-password-auth=false in "
                               "every profile.",
                 "fusionpbx": "Edit voicemail.conf.xml (Advanced > XML Editor): allow-empty-password-auth = false."},
)
def vm_empty_password(facts, ctx):
    profiles = facts.of_kind("voicemail.profile")
    if not profiles:
        yield ctx.not_applicable("voicemail.conf.xml", "no voicemail profiles")
        return
    for p in profiles:
        unknown = not_assessable(ctx, f"voicemail profile {p.name}", p, "allow-empty-password-auth")
        if unknown is not None:
            yield unknown
            continue
        value = p.get("allow-empty-password-auth") or "true"  # mod_voicemail's default
        if fs_true(value):
            yield ctx.fail(f"voicemail profile {p.name}", f"allow-empty-password-auth={value}",
                           p.location("allow-empty-password-auth"),
                           fix=['<param name="allow-empty-password-auth" value="false"/>'])
        else:
            yield ctx.passed(f"voicemail profile {p.name}", "empty passwords refused", p.location("allow-empty-password-auth"))


@check(
    id="FS-VM-104", title="Failed voicemail logins are limited", severity="medium",
    hipaa=["164.308(a)(5)(ii)(C)", "164.312(d)"], area="mailbox-auth", platforms=PLATFORMS,
    sources=["voicemail.conf.xml"],
    params=[MAX_LOGINS],
    rationale="max-login-attempts bounds PIN guesses per call.",
    remediation={"freeswitch": "Set max-login-attempts=3 in each voicemail profile.",
                 "fusionpbx": "voicemail.conf.xml: max-login-attempts = 3."},
)
def vm_login_attempts(facts, ctx):
    profiles = facts.of_kind("voicemail.profile")
    if not profiles:
        yield ctx.not_applicable("voicemail.conf.xml", "no voicemail profiles")
        return
    limit = ctx.param("max_logins")
    for p in profiles:
        unknown = not_assessable(ctx, f"voicemail profile {p.name}", p, "max-login-attempts")
        if unknown is not None:
            yield unknown
            continue
        raw = p.get("max-login-attempts") or "3"
        value = int(raw) if raw.isdigit() else 3
        if value > limit:
            yield ctx.fail(f"voicemail profile {p.name}", f"max-login-attempts={value} above {limit}",
                           p.location("max-login-attempts"), fix=[f'<param name="max-login-attempts" value="{limit}"/>'])
        else:
            yield ctx.passed(f"voicemail profile {p.name}", f"max-login-attempts={value}", p.location("max-login-attempts"))
