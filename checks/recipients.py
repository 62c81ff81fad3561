"""Business associates: every outside party that receives PHI is covered by a BAA on file, in force.

The records are the parties a configuration sends PHI to (a platform adapter finds them); the
register is the clinic's list of signed business-associate agreements (the inventory's
``business_associates:`` or ``voxaudit scan --baa-register``), passed per target by the engine with
the scan's date. No register at all is ERROR (nothing on file is known), never PASS.
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.recipients import REGISTER_PARAM, Associate, PhiRecipient, matching, register_of

WARN_PARAM = Param(name="baa_expiry_warning_days", default=60,
                   help="A business-associate agreement expiring within this many days still passes, with a warning")

NO_REGISTER = ("no business-associate register was given (the inventory's business_associates:, or "
               "voxaudit scan --baa-register FILE): whether a BAA covers it is not known")


def _entry(a: Associate) -> str:
    signed = f", signed {a.signed.isoformat()}" if a.signed else ""
    until = f", expires {a.expires.isoformat()}" if a.expires else ", no expiry date"
    kept = f", kept at {a.document}" if a.document else ""
    return f"BAA with {a.vendor}{signed}{until}{kept}"


@control(
    id="BAA-101", title="Every outside party that receives PHI is covered by a business associate agreement in force",
    severity="high", hipaa=("164.308(b)(1)", "164.314(a)(1)"), area="business-associates", record=PhiRecipient,
    params=[WARN_PARAM],
    rationale="""A SIP trunk carries every call, an email provider stores every voicemail emailed to staff,
    a remote call-record database keeps patients' phone numbers: each is a business associate, and HIPAA
    lets a clinic send them PHI only under a written business associate agreement (164.308(b)(1),
    164.314(a)). An agreement that has expired no longer covers them. The configuration names who
    receives PHI; the register says which agreements are on file.""",
    references=("https://www.ecfr.gov/current/title-45/part-164/section-164.308#p-164.308(b)(1)",
                "https://www.ecfr.gov/current/title-45/part-164/section-164.314#p-164.314(a)(1)",
                "https://www.hhs.gov/hipaa/for-professionals/covered-entities/sample-business-associate-agreement-provisions/index.html"),
)
def recipient_has_baa(rec: PhiRecipient, params: Params) -> Verdict:
    """FAIL without a matching register entry or with only expired ones; ERROR when the party or the
    register is not known; PASS (with a warning near expiry) otherwise."""
    what = f"{rec.role} {rec.host}".strip() + (f" ({rec.how})" if rec.how else "")
    if rec.undecidable:
        return unknown(f"{what}: {rec.undecidable}")
    try:
        register = register_of(params.str(REGISTER_PARAM))
    except KeyError:
        register = None
    if register is None:
        return unknown(f"{what}: {NO_REGISTER}")
    found = matching(register, rec.host)
    internal = [a for a in found if a.internal]
    if internal:
        return passed(f"{what}: the clinic's own system ({internal[0].vendor} in the register): no BAA needed")
    today = register.today
    in_force = [a for a in found if (a.signed is None or a.signed <= today) and (a.expires is None or a.expires >= today)]
    if in_force:
        best = max(in_force, key=lambda a: a.expires or today.max)
        days = (best.expires - today).days if best.expires else None
        if days is not None and days <= params.int("baa_expiry_warning_days"):
            return passed(f"{what}: {_entry(best)}; warning: it expires in {days} day(s), renew it")
        return passed(f"{what}: {_entry(best)}")
    if found:
        a = max(found, key=lambda a: a.expires or today)
        why = (f"its BAA with {a.vendor} expired on {a.expires.isoformat()}" if a.expires and a.expires < today
               else f"its BAA with {a.vendor} is dated {a.signed.isoformat() if a.signed else '?'}, after today")
        return failed(f"{what}: {why}")
    if rec.private:
        return unknown(f"{what}: a private address not in the register: it may be the clinic's own system or a "
                       "vendor's hosted one; list it (internal: true for the clinic's own)")
    return failed(f"{what}: no business associate agreement in the register covers it")
