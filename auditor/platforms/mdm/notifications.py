"""Staff phones' notification policies: which apps' notifications an iOS policy manages (Apple
com.apple.notificationsettings payloads, Intune app notification exports), what each shows on the
lock screen, and whether Android policies redact notification content on the keyguard.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.mdm import MdmFacts
from voxaudit.records.notifications import LockScreenContent, ManagedAppNotifications

SOURCES = ("profiles",)
# keyguardDisabledFeatures values that keep notification content off a secure lock screen
REDACTING = {"UNREDACTED_NOTIFICATIONS", "NOTIFICATIONS", "ALL_FEATURES"}
HIDDEN_PREVIEWS = {"when-unlocked", "never"}


def _entries(facts: MdmFacts) -> dict[str, ConfigObject]:
    return {o.get("bundle_id") or "": o for o in facts.of_kind("mdm.app_notifications")}


def managed_apps(facts: MdmFacts) -> Iterator[ManagedAppNotifications]:
    if not any(p.get("os") == "ios" for p in facts.of_kind("mdm.profile")):
        return
    yield ManagedAppNotifications(subject="ios notification settings", section="NotificationSettings",
                                  managed=tuple(sorted(b for b in _entries(facts) if b)))


def managed_fix(apps: ManagedAppNotifications) -> list[str]:
    return ["NotificationSettings: BundleIdentifier=<each listed app>, ShowInLockScreen=false"]


def ios_previews(facts: MdmFacts) -> Iterator[LockScreenContent]:
    for bundle, o in _entries(facts).items():
        subject = f"app {bundle} ({o.source.file})"
        preview = o.get("preview_type")
        if o.get("notifications_enabled") == "no":
            shown, setting, loc = False, "notifications disabled", o.location("notifications_enabled")
        elif o.get("show_in_lock_screen") == "no":
            shown, setting, loc = False, "not shown on the lock screen", o.location("show_in_lock_screen")
        elif preview in HIDDEN_PREVIEWS:
            shown, setting, loc = False, f"PreviewType {preview}", o.location("preview_type")
        else:
            lock = "ShowInLockScreen " + ("true" if o.get("show_in_lock_screen") == "yes" else "unset (default true)")
            shown, setting, loc = True, f"{lock}, preview {preview}", o.location("show_in_lock_screen")
        yield LockScreenContent(subject=subject, source=loc, section=bundle, shown=shown, setting=setting, app=bundle)


def ios_fix(screen: LockScreenContent) -> list[str]:
    return [f"{screen.app}: ShowInLockScreen=false or PreviewType=2"]


def android_redaction(facts: MdmFacts) -> Iterator[LockScreenContent]:
    for p in facts.of_kind("mdm.android_policy"):
        features = set(p.values("keyguard_disabled"))
        hit = features & REDACTING
        setting = (f"keyguardDisabledFeatures has {', '.join(sorted(hit))}" if hit else
                   f"keyguardDisabledFeatures disables {', '.join(sorted(features)) or 'nothing'}")
        yield LockScreenContent(subject=f"policy {p.source.file}", source=p.source, section=p.source.file,
                                shown=not hit, setting=setting)


def android_fix(screen: LockScreenContent) -> list[str]:
    return ['keyguardDisabledFeatures += "UNREDACTED_NOTIFICATIONS"']


BINDINGS = (
    Binding("NTF-PHI-105", "mdm", managed_apps, SOURCES, "MDM-NTF-101", {
        "ios": "Add a com.apple.notificationsettings payload with a NotificationSettings entry per app: "
               "BundleIdentifier=<app>, ShowInLockScreen=false (or PreviewType=2, never).",
        "intune": "Device features > App notifications: add each app's bundle ID with 'Show on Lock Screen' off.",
    }, managed_fix, none="no iOS profiles"),
    Binding("NTF-PHI-106", "mdm", ios_previews, SOURCES, "MDM-NTF-102", {
        "ios": "In the app's NotificationSettings entry: ShowInLockScreen=false, or PreviewType=1 (when "
               "unlocked) / 2 (never).",
        "intune": "App notifications: 'Show on Lock Screen' = off for the app (Intune cannot set the preview type).",
    }, ios_fix, none="no notification settings for the listed apps"),
    Binding("NTF-PHI-106", "mdm", android_redaction, SOURCES, "MDM-NTF-103", {
        "android": "Policy keyguardDisabledFeatures: add \"UNREDACTED_NOTIFICATIONS\" (or \"NOTIFICATIONS\").",
    }, android_fix, none="no Android Management API policies"),
)
