"""Notifications and lock screens: the minimum necessary leaves the system, and screens anyone can
read show no message details.

Email and SMS alerts land on phones whose lock screens show previews; the minimum necessary is
"you have a new message", not who called or what they said. Evidence quotes settings as the
platform writes them (record fields).
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed, unknown
from voxaudit.records.notifications import (
    AudioAttachment,
    IdleScreenAlerts,
    LockScreenContent,
    ManagedAppNotifications,
    MessageAfterEmail,
    NotificationText,
)

PRIVACY = ("164.530(c)", "164.514(d)")
APPS_PARAM = Param(name="softphone_apps", help="iOS bundle IDs of the softphone, voicemail and messaging apps "
                                               "whose notifications can carry PHI", default=[
    "com.apple.mobilephone",        # Phone: visual voicemail and missed calls
    "com.apple.MobileSMS",          # Messages: voicemail-to-SMS notifications
    "com.glip.mobile",              # RingCentral
    "com.microsoft.skype.teams",    # Microsoft Teams (Teams Phone)
    "us.zoom.videomeetings",        # Zoom (Zoom Phone)
    "com.cisco.squared",            # Webex
    "com.counterpath.bria",         # Bria
])


@control(
    id="NTF-PHI-101", title="Voicemail audio is not attached to notifications", severity="high",
    hipaa=("164.312(e)(1)",) + PRIVACY, area="notifications", record=AudioAttachment,
    rationale="""An attached recording (the patient's voice and words) travels through mail servers
    outside the clinic's control, usually unencrypted, and onto every device that syncs the mailbox.
    A system default that attaches reaches every mailbox created later as well as today's.""",
)
def no_audio_attached(att: AudioAttachment, params: Params) -> Verdict:
    if att.undecidable:
        return unknown(att.undecidable)
    if att.attached:
        later = ", including mailboxes created later" if att.inherited else ""
        return failed(f"audio attached to {att.channel} ({att.setting}){later}")
    return passed(f"no audio attached ({att.setting})")


@control(
    id="NTF-PHI-102", title="Voicemail notifications do not name the caller", severity="high",
    hipaa=PRIVACY, area="notifications", record=NotificationText,
    rationale="""A subject like 'New message from JANE DOE <555-0100>' shows on a locked phone, in every
    mail client preview and on SMS gateways: the fact that a patient called is PHI. A built-in text
    that names the caller leaks as well, for every mailbox given an address now or later.""",
)
def no_caller_in_text(text: NotificationText, params: Params) -> Verdict:
    if text.leaks:
        return failed("; ".join(text.leaks))
    return passed(f"{text.channel} notification text carries no caller identity")


@control(
    id="NTF-PHI-103", title="The only copy of a message is not sent away by email", severity="high",
    hipaa=("164.312(e)(1)", "164.310(d)(2)(i)") + PRIVACY, area="notifications", record=MessageAfterEmail,
    rationale="""Deleting a message once it is mailed with its audio leaves the only copy of the PHI in an
    email system, beyond the voice system's retention, access control and audit log.""",
)
def message_kept(msg: MessageAfterEmail, params: Params) -> Verdict:
    if msg.undecidable:
        return unknown(msg.undecidable)
    if msg.deleted and msg.attached:
        return failed(f"{msg.deletion} with audio attached ({msg.attachment}): the message leaves only as an "
                      "email attachment")
    return passed("messages stay on the system")


@control(
    id="NTF-PHI-104", title="Idle screens do not pop up voicemail and missed-call details", severity="medium",
    hipaa=PRIVACY, area="notifications", record=IdleScreenAlerts,
    rationale="""On shared exam-room and front-desk phones, idle-screen popups show who called and left a
    message to whoever walks by; the message indicator alone says enough.""",
)
def idle_screen_quiet(alerts: IdleScreenAlerts, params: Params) -> Verdict:
    if alerts.undecidable:
        return unknown(alerts.undecidable)
    if alerts.shown:
        return failed(f"{' and '.join(alerts.shown)} popups on the idle screen")
    return passed("idle-screen popups off")


@control(
    id="NTF-PHI-105", title="Every softphone and voicemail app has a managed notification setting",
    severity="medium", hipaa=("164.530(c)",), area="notifications", record=ManagedAppNotifications,
    params=[APPS_PARAM],
    rationale="""An app the device policy does not manage falls back to the user's choice, and phones show
    previews on the lock screen by default.""",
)
def apps_managed(apps: ManagedAppNotifications, params: Params) -> Verdict:
    listed = params.strs("softphone_apps")
    missing = [a for a in listed if a not in apps.managed]
    if missing:
        return failed(f"no notification setting in any profile for {', '.join(missing)}: the user's default "
                      "(previews on the lock screen) applies")
    return passed(f"every listed app has a managed notification setting ({len(listed)} apps)")


@control(
    id="NTF-PHI-106", title="Softphone and voicemail notifications show no content on the lock screen",
    severity="high", hipaa=PRIVACY, area="notifications", record=LockScreenContent, params=[APPS_PARAM],
    rationale="""Notification previews on a locked phone show caller names, message transcripts and SMS
    voicemail alerts to anyone who picks it up, without unlocking it.""",
)
def no_lock_screen_content(screen: LockScreenContent, params: Params) -> Verdict:
    if screen.app and screen.app not in params.strs("softphone_apps"):
        return not_applicable("not a listed softphone, voicemail or messaging app")
    if screen.shown:
        return failed(f"{screen.setting}: content visible while locked")
    return passed(screen.setting)
