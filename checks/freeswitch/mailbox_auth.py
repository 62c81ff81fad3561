"""mod_voicemail authentication: vm-password per user, empty-password logins, attempts."""
from __future__ import annotations

from auditor.check import check
from checks.common import MAX_LOGINS
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
