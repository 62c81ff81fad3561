"""What mod_voicemail sends out: audio attachments, deletion after email."""
from __future__ import annotations

from auditor.check import check
from checks.freeswitch._common import PLATFORMS, fs_true, not_assessable

PRIVACY = ["164.530(c)", "164.514(d)"]


def _emailing(facts):
    return [u for u in facts.of_kind("directory.user") if (u.get("vm-mailto") or "").strip()]


@check(
    id="FS-NTF-101", title="Voicemail audio is not attached to notification emails", severity="high",
    hipaa=["164.312(e)(1)"] + PRIVACY, area="notifications", platforms=PLATFORMS, sources=["directory"],
    rationale="""With vm-mailto set, mod_voicemail attaches the recording unless vm-attach-file is
    false: the patient's voice leaves the clinic through mail servers and synced phones.""",
    remediation={"freeswitch": "Set <param name=\"vm-attach-file\" value=\"false\"/> for users with vm-mailto "
                               "(or on the domain's <params>).",
                 "fusionpbx": "Apps > Voicemail > (mailbox): Voicemail File = 'Listen with link' or 'none', "
                              "not 'attach'."},
)
def no_attachment(facts, ctx):
    users = _emailing(facts)
    if not users:
        yield ctx.not_applicable("directory", "no user has vm-mailto")
        return
    for u in users:
        attach = u.get("vm-attach-file")
        unknown = not_assessable(ctx, f"user {u.name}", u, "vm-attach-file")
        if unknown is not None:
            yield unknown
        elif attach is None or fs_true(attach):
            yield ctx.fail(f"user {u.name}", f"vm-attach-file={attach or 'unset (attaches)'}", u.location("vm-mailto"),
                           fix=['<param name="vm-attach-file" value="false"/>'])
        else:
            yield ctx.passed(f"user {u.name}", "vm-attach-file=false", u.location("vm-attach-file"))


@check(
    id="FS-NTF-102", title="Messages stay on the switch after an email", severity="high",
    hipaa=["164.310(d)(2)(i)", "164.312(e)(1)"] + PRIVACY, area="notifications", platforms=PLATFORMS,
    sources=["directory"],
    rationale="""vm-keep-local-after-email=false deletes the message once mailed: the only copy
    of the PHI now lives in email, outside the switch's access control and audit log.""",
    remediation={"freeswitch": "Set vm-keep-local-after-email=true (the default) and vm-attach-file=false.",
                 "fusionpbx": "Apps > Voicemail > (mailbox): Keep Local = true."},
)
def keep_local(facts, ctx):
    users = _emailing(facts)
    if not users:
        yield ctx.not_applicable("directory", "no user has vm-mailto")
        return
    for u in users:
        keep = u.get("vm-keep-local-after-email")
        attach = u.get("vm-attach-file")
        unknown = not_assessable(ctx, f"user {u.name}", u, "vm-keep-local-after-email", "vm-attach-file")
        if unknown is not None:
            yield unknown
        elif keep is not None and not fs_true(keep) and (attach is None or fs_true(attach)):
            yield ctx.fail(f"user {u.name}", "vm-keep-local-after-email=false with the audio attached",
                           u.location("vm-keep-local-after-email"),
                           fix=['<param name="vm-keep-local-after-email" value="true"/>'])
        else:
            yield ctx.passed(f"user {u.name}", "messages kept on the switch", u.location("vm-keep-local-after-email"))
