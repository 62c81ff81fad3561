"""Staff devices: a phone's screen lock (passcode and idle lock) and how desk phones fetch their
configuration (over an encrypted channel, with no credentials in the URL, from a server that hands a
phone's file only to that phone), as configured or as seen on the wire.

A capture proves what it holds, not what it lacks: a fetch seen in clear fails, no fetch seen is
nothing to judge (NOT_APPLICABLE), never a pass.
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.devices import AutoLock, Passcode, Provisioning

PASSCODE_PARAM = Param(name="min_device_passcode", default=6, help="Shortest acceptable device passcode/PIN")
LOCK_PARAM = Param(name="max_lock_minutes", default=5, help="Longest idle time before a staff phone locks")


@control(
    id="DEV-LOCK-101", title="Staff phones require a passcode of adequate length", severity="high",
    hipaa=("164.312(a)(1)", "164.312(d)"), area="access", record=Passcode, params=[PASSCODE_PARAM],
    rationale="""Without a screen lock, every lock-screen setting is moot: the softphone, its voicemail
    and its call history open to whoever picks the phone up.""",
)
def passcode_required(code: Passcode, params: Params) -> Verdict:
    minimum = params.int("min_device_passcode")
    if not code.defined:
        return failed("no profile sets a passcode policy")
    if not code.required:
        return failed(f"{code.required_option}: no passcode required")
    if code.min_length is None or code.min_length < minimum:
        return failed(f"{code.length_option} = {code.length_text or 'unset'}, below {minimum}")
    return passed(f"passcode required, at least {code.length_text} characters")


@control(
    id="DEV-LOCK-102", title="Staff phones lock automatically when idle", severity="medium",
    hipaa=("164.312(a)(2)(iii)",), area="access", record=AutoLock, params=[LOCK_PARAM],
    rationale="""Automatic logoff: a phone left on a counter must lock before someone else can open the
    softphone or voicemail.""",
)
def auto_lock(lock: AutoLock, params: Params) -> Verdict:
    limit = params.int("max_lock_minutes")
    if lock.minutes is None or lock.minutes <= 0:
        return failed(f"{lock.option} unset: the user chooses (or never)")
    if lock.minutes > limit:
        return failed(f"{lock.option}: locks after {lock.minutes:g} minutes, more than {limit}")
    return passed(f"{lock.option}: locks after {lock.minutes:g} minutes")


@control(
    id="DEV-PRV-101", title="Phones fetch their configuration over an encrypted channel", severity="high",
    hipaa=("164.312(e)(1)", "164.312(d)"), area="transport", record=Provisioning,
    rationale="""Provisioning files carry every line's SIP password. Fetched over a cleartext protocol
    they can be read, or replaced, by anyone on the path; a capture that shows such a fetch proves it.""",
)
def provisioning_encrypted(prov: Provisioning, params: Params) -> Verdict:
    if prov.undecidable:
        return unknown(prov.undecidable)
    if prov.encrypted:
        return passed(f"{prov.setting} uses {prov.protocol}")
    if prov.observed:
        return failed(f"{prov.fetches} cleartext {prov.protocol.upper()} fetch(es) of a provisioning file")
    return failed(f"{prov.setting} = {prov.url} ({prov.protocol})")


@control(
    id="DEV-PRV-102", title="No credentials inside the provisioning URL", severity="high",
    hipaa=("164.312(d)", "164.312(a)(1)"), area="access", record=Provisioning,
    rationale="A user:password@ in the URL is shown in the phone's UI, logged by proxies and copied into every file.",
)
def provisioning_url_clean(prov: Provisioning, params: Params) -> Verdict:
    if prov.undecidable and not prov.credentials_in_url:  # a URL not known is no clean URL
        return unknown(prov.undecidable)
    if prov.credentials_in_url:
        return failed(f"{prov.setting or 'the provisioning URL'} embeds a password or token"
                      + (f" ({prov.url})" if prov.url else ""))
    return passed("no credentials in the URL")


@control(
    id="DEV-PRV-103", title="Provisioning files are handed only to a device that authenticates", severity="high",
    hipaa=("164.312(d)", "164.312(a)(1)"), area="access", record=Provisioning,
    rationale="""A phone's provisioning file carries its line's SIP password. A server that hands the file to
    whoever names the phone's MAC address (printed on the phone, seen in any ARP table, guessable from the
    vendor's prefix) gives every line's credentials to anyone who can reach it, encrypted channel or not.""",
)
def provisioning_authenticated(prov: Provisioning, params: Params) -> Verdict:
    if prov.undecidable:
        return unknown(prov.undecidable)
    if prov.authenticated is None:
        return unknown(f"{prov.subject}: whether the server asks the requester to authenticate is not known")
    if not prov.authenticated:
        return failed(f"{prov.url or prov.subject} hands a phone's file to any client: {prov.authentication}")
    return passed(f"{prov.subject}: {prov.authentication}")
