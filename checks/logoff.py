"""Automatic logoff: administrative sessions end after at most the profile's idle time.

An unset option has already been replaced by the platform's real default in the adapter, so the
judge sees a number of seconds, "never", "no session here that could be left open" (nothing to end:
a PASS, as "no telnet" passes the plaintext-administration control) or "cannot tell" (ERROR, never PASS).
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.logoff import AdminSession

IDLE_PARAM = Param(name="max_idle_minutes", default=15,
                   help="Longest idle time before an administrative session (web UI, terminal line) must end")


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


@control(
    id="ACC-LOGOFF-101", title="Administrative sessions end after a short idle time",
    severity="medium", hipaa=("164.312(a)(2)(iii)",), area="access", record=AdminSession, params=[IDLE_PARAM],
    rationale="""An administrator who walks away from a logged-in PBX web interface, phone web UI or switch
    console leaves every control it gives (call routing, voicemail settings, recordings, the voice VLAN)
    to whoever sits down next. HIPAA's automatic logoff specification asks that electronic sessions end
    after a predetermined time of inactivity; an interface whose timeout is disabled, or set longer than
    the profile's limit, keeps them open.""",
    references=("https://www.ecfr.gov/current/title-45/part-164/section-164.312#p-164.312(a)(2)(iii)",),
)
def admin_session_idle_limit(session: AdminSession, params: Params) -> Verdict:
    """FAIL when sessions never end or end later than ``max_idle_minutes``; ERROR when unknown."""
    limit = params.int("max_idle_minutes")
    if session.undecidable:
        return unknown(session.undecidable)
    if session.no_sessions:
        return passed(f"{session.service}: {session.no_sessions}")
    how = f"{session.setting} not set: the platform's default" if session.default else session.setting
    if session.idle_seconds is None:
        return failed(f"{session.service}: idle sessions never end ({how})")
    if session.idle_seconds > limit * 60:
        return failed(f"{session.service}: idle sessions end after {_duration(session.idle_seconds)} ({how}), "
                      f"longer than {limit} min")
    return passed(f"{session.service}: idle sessions end after {_duration(session.idle_seconds)} ({how})")
