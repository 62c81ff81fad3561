"""Staff phones: what softphone and voicemail notifications show on a locked screen, and
whether the phone locks at all.

A voicemail notification preview ("Dr Patel: your biopsy results...") or a softphone's missed
call banner is PHI on a lock screen anyone can read. The app list is a profile parameter.
"""
from __future__ import annotations

from auditor.check import Param, check

PLATFORMS = ["mdm"]
SOURCES = ["profiles"]

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
PASSCODE_PARAM = Param(name="min_device_passcode", default=6, help="Shortest acceptable device passcode/PIN")
LOCK_PARAM = Param(name="max_lock_minutes", default=5, help="Longest idle time before a staff phone locks")
REDACTING = {"UNREDACTED_NOTIFICATIONS", "NOTIFICATIONS", "ALL_FEATURES"}


def _entries(facts):
    return {o.get("bundle_id"): o for o in facts.of_kind("mdm.app_notifications")}


def _has_os(facts, os_: str) -> bool:
    return any(p.get("os") == os_ for p in facts.of_kind("mdm.profile"))


@check(
    id="MDM-NTF-101", title="Every softphone and voicemail app has a managed notification setting (iOS)",
    severity="medium", hipaa=["164.530(c)"], area="notifications", platforms=PLATFORMS, sources=SOURCES,
    params=[APPS_PARAM],
    rationale="""An app the MDM does not manage falls back to the user's choice, and iOS shows previews on
    the lock screen by default.""",
    remediation={
        "ios": "Add a com.apple.notificationsettings payload with a NotificationSettings entry per app: "
               "BundleIdentifier=<app>, ShowInLockScreen=false (or PreviewType=2, never).",
        "intune": "Device features > App notifications: add each app's bundle ID with 'Show on Lock Screen' off.",
    },
)
def apps_managed(facts, ctx):
    if not _has_os(facts, "ios"):
        yield ctx.not_applicable("profiles", "no iOS profiles")
        return
    entries = _entries(facts)
    for app in ctx.param("softphone_apps"):
        if app in entries:
            yield ctx.passed(f"app {app}", f"managed by {entries[app].source.file}", entries[app].source)
        else:
            yield ctx.fail(f"app {app}", "no notification setting for this app in any profile: the user's "
                                         "default (previews on the lock screen) applies",
                           fix=[f"NotificationSettings: BundleIdentifier={app}, ShowInLockScreen=false"])


@check(
    id="MDM-NTF-102", title="Softphone and voicemail notifications show no preview on the lock screen (iOS)",
    severity="high", hipaa=["164.530(c)", "164.514(d)"], area="notifications", platforms=PLATFORMS,
    sources=SOURCES, params=[APPS_PARAM],
    rationale="""With ShowInLockScreen on and PreviewType 'always' (or unset), caller names, message
    transcripts and SMS voicemail alerts are readable without unlocking the phone.""",
    remediation={
        "ios": "In the app's NotificationSettings entry: ShowInLockScreen=false, or PreviewType=1 (when "
               "unlocked) / 2 (never).",
        "intune": "App notifications: 'Show on Lock Screen' = off for the app (Intune cannot set the preview type).",
    },
)
def no_lock_screen_preview(facts, ctx):
    apps = set(ctx.param("softphone_apps"))
    entries = [o for bundle, o in _entries(facts).items() if bundle in apps]
    if not entries:
        yield ctx.not_applicable("profiles", "no notification settings for the listed apps")
        return
    for o in entries:
        name = f"app {o.get('bundle_id')} ({o.source.file})"
        if o.get("notifications_enabled") == "no":
            yield ctx.passed(name, "notifications disabled", o.location("notifications_enabled"))
        elif o.get("show_in_lock_screen") == "no":
            yield ctx.passed(name, "not shown on the lock screen", o.location("show_in_lock_screen"))
        elif o.get("preview_type") in {"when-unlocked", "never"}:
            yield ctx.passed(name, f"PreviewType {o.get('preview_type')}", o.location("preview_type"))
        else:
            shown = "ShowInLockScreen " + ("true" if o.get("show_in_lock_screen") == "yes" else "unset (default true)")
            yield ctx.fail(name, f"{shown}, preview {o.get('preview_type')}: content visible while locked",
                           o.location("show_in_lock_screen"),
                           fix=[f"{o.get('bundle_id')}: ShowInLockScreen=false or PreviewType=2"])


@check(
    id="MDM-NTF-103", title="Android work phones hide notification content on the lock screen", severity="high",
    hipaa=["164.530(c)", "164.514(d)"], area="notifications", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Android shows full notification content on a secure lock screen unless the policy disables
    unredacted notifications.""",
    remediation={
        "android": "Policy keyguardDisabledFeatures: add \"UNREDACTED_NOTIFICATIONS\" (or \"NOTIFICATIONS\").",
    },
)
def android_redacted(facts, ctx):
    policies = facts.of_kind("mdm.android_policy")
    if not policies:
        yield ctx.not_applicable("profiles", "no Android Management API policies")
        return
    for p in policies:
        features = set(p.values("keyguard_disabled"))
        hit = features & REDACTING
        if hit:
            yield ctx.passed(f"policy {p.source.file}", f"keyguardDisabledFeatures has {', '.join(sorted(hit))}",
                             p.source)
        else:
            have = ", ".join(sorted(features)) or "nothing"
            yield ctx.fail(f"policy {p.source.file}", f"keyguardDisabledFeatures disables {have}: notification "
                                                      "content is shown on the lock screen", p.source,
                           fix=['keyguardDisabledFeatures += "UNREDACTED_NOTIFICATIONS"'])


def _passcodes(facts, ctx, os_: str):
    return [p for p in facts.of_kind("mdm.passcode") if p.get("os") == os_]


@check(
    id="MDM-ACC-101", title="Staff phones require a passcode of adequate length", severity="high",
    hipaa=["164.312(a)(1)", "164.312(d)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    params=[PASSCODE_PARAM],
    rationale="""Without a screen lock, every lock-screen setting is moot: the softphone, its voicemail
    and its call history open to whoever picks the phone up.""",
    remediation={
        "ios": "com.apple.mobiledevice.passwordpolicy: forcePIN=true, minLength=6 (or more), allowSimple=false.",
        "android": "passwordPolicies: [{passwordScope: SCOPE_DEVICE, passwordQuality: NUMERIC_COMPLEX "
                   "(or COMPLEXITY_HIGH), passwordMinimumLength: 6}].",
        "intune": "Device restrictions > Password: required, minimum length 6 (passcodeRequired / "
                  "passwordRequiredType and passcodeMinimumLength / passwordMinimumLength).",
    },
)
def passcode_required(facts, ctx):
    minimum = ctx.param("min_device_passcode")
    for os_ in ("ios", "android"):
        if not _has_os(facts, os_):
            continue
        policies = _passcodes(facts, ctx, os_)
        if not policies:
            yield ctx.fail(f"{os_} devices", "no profile sets a passcode policy", fix=["add a passcode payload"])
            continue
        for p in policies:
            name = f"{os_} passcode ({p.source.file})"
            length = p.get("min_length")
            if p.get("required") != "yes":
                yield ctx.fail(name, f"{p.get('required.option')}: no passcode required", p.location("required"),
                               fix=[f"{p.get('required.option')} -> required"])
            elif not (length or "").replace(".", "").isdigit() or float(length) < minimum:
                yield ctx.fail(name, f"{p.get('min_length.option')} = {length or 'unset'}, below {minimum}",
                               p.location("min_length"), fix=[f"{p.get('min_length.option')} -> {minimum}"])
            else:
                yield ctx.passed(name, f"passcode required, at least {length} characters", p.location("min_length"))


@check(
    id="MDM-ACC-102", title="Staff phones lock automatically when idle", severity="medium",
    hipaa=["164.312(a)(2)(iii)"], area="access", platforms=PLATFORMS, sources=SOURCES, params=[LOCK_PARAM],
    rationale="""Automatic logoff: a phone left on a counter must lock before someone else can open the
    softphone or voicemail.""",
    remediation={
        "ios": "com.apple.mobiledevice.passwordpolicy: maxInactivity=5 (minutes) or less.",
        "android": "Policy maximumTimeToLock: \"300000\" (milliseconds) or less.",
        "intune": "passcodeMinutesOfInactivityBeforeLock / passwordMinutesOfInactivityBeforeScreenTimeout = 5 or less.",
    },
)
def auto_lock(facts, ctx):
    limit = ctx.param("max_lock_minutes")
    found = False
    for os_ in ("ios", "android"):
        for p in _passcodes(facts, ctx, os_):
            found = True
            name = f"{os_} passcode ({p.source.file})"
            minutes = p.get("max_inactivity_minutes")
            option = p.get("max_inactivity_minutes.option")
            try:
                value = float(minutes) if minutes is not None else None
            except ValueError:
                value = None
            if value is None or value <= 0:
                yield ctx.fail(name, f"{option} unset: the user chooses (or never)", p.location("max_inactivity_minutes"),
                               fix=[f"{option} -> {limit} minutes"])
            elif value > limit:
                yield ctx.fail(name, f"{option}: locks after {value:g} minutes, more than {limit}",
                               p.location("max_inactivity_minutes"), fix=[f"{option} -> {limit} minutes"])
            else:
                yield ctx.passed(name, f"{option}: locks after {value:g} minutes", p.location("max_inactivity_minutes"))
    if not found:
        yield ctx.not_applicable("profiles", "no passcode policy (MDM-ACC-101 reports it)")
