"""Mobile-device policy facts: what staff phones show on the lock screen and how they lock.

Every policy file gives one ``mdm.profile`` (an Apple declaration too); Apple ``com.apple.notificationsettings`` entries
and Intune ``iosNotificationSettings`` give one ``mdm.app_notifications`` per app bundle;
passcode payloads (Apple ``com.apple.mobiledevice.passwordpolicy`` and the declaration
``com.apple.configuration.passcode.settings``, Android Management API
``passwordPolicies``/``passwordRequirements``, Intune password settings) give one
``mdm.passcode``; Android Management API policies give ``mdm.android_policy`` with the
keyguard features they disable. Values keep the vendor's key name in ``<setting>.option``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from voxaudit.facts.common import ConfigObject, PerFileFacts, files_under
from voxaudit.parsers.files import foreign_files
from voxaudit.parsers.mdm_profile import MAX_DEPTH, PolicyDocument, parse_policy_file
from voxaudit.parsers.problem import Problem, label

MDM_SUFFIXES = {".mobileconfig", ".plist", ".json", ".xml"}
PREVIEW = {0: "always", 1: "when-unlocked", 2: "never"}
# Android Management API password qualities that do not require any screen lock.
NO_LOCK_QUALITIES = {"PASSWORD_QUALITY_UNSPECIFIED", "BIOMETRIC_WEAK", None}
IMPLIED_LENGTH = {"COMPLEXITY_HIGH": 6, "COMPLEXITY_MEDIUM": 4, "NUMERIC_COMPLEX": 4}
INTUNE_NO_LOCK = {"deviceDefault", "lowSecurityBiometric", None}
# Android Management API qualities that do require a screen lock (PasswordQuality enum): any other
# value is refused by the API, so it is read as "unrecognised value" (a gap), never as a lock.
LOCK_QUALITIES = {"SOMETHING", "NUMERIC", "NUMERIC_COMPLEX", "ALPHABETIC", "ALPHANUMERIC", "COMPLEX",
                  "COMPLEXITY_LOW", "COMPLEXITY_MEDIUM", "COMPLEXITY_HIGH"}
INTUNE_LOCK_TYPES = {"alphabetic", "alphanumeric", "alphanumericWithSymbols", "numeric", "numericComplex", "any",
                     "required"}
UNRECOGNISED = "unrecognised value"
# Keys of Apple's com.apple.configuration.passcode.settings (device-management schema, declarative/declarations):
# any of them but RequirePasscode implies a passcode. Any other key is no passcode setting (a typo such as
# "MinimumLenght", or a hostile key): a gap, never "a passcode is required".
PASSCODE_KEYS = {"RequirePasscode", "RequireAlphanumericPasscode", "RequireComplexPasscode", "MinimumLength",
                 "MinimumComplexCharacters", "MaximumFailedAttempts", "FailedAttemptsResetInMinutes",
                 "MaximumGracePeriodInMinutes", "MaximumInactivityInMinutes", "MaximumPasscodeAgeInDays",
                 "PasscodeReuseLimit", "ChangeAtNextAuth", "CustomRegex"}
LEGACY_TYPES = ("com.apple.configuration.legacy", "com.apple.configuration.legacy.interactive")
# Objects one policy file may give: a real export gives a handful (one per app's notification settings). A binary
# plist can reference one entry from every slot of a list referenced from every slot of another: 300 x 300
# references built 90,000 objects (1.2 s), 999 x 999 a million. Past the bound the file is a gap.
MAX_OBJECTS = 2_000
# Graph managedAppNotificationRestriction: what a protected app's notifications may show
APP_NOTIFICATION_RESTRICTIONS = ("allow", "blockOrganizationalData", "block")
MAX_PROTECTED_APPS = 200
MAX_LISTED_KEYS = 10  # unknown keys named one by one


class MdmFacts(PerFileFacts, tag="mdm", kw_only=True):
    """``configs`` has one entry per policy file; the fact source is "profiles"."""

    platform: ClassVar[str] = "mdm"
    file_source: ClassVar[str] = "profiles"
    file_label: ClassVar[str] = "policy"


_ENUM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,127}")


def _enum(value: Any) -> Any:
    """An enumeration value (PASSWORD_QUALITY_..., a payload type) as read, or "unrecognised value"
    when it does not have that shape (a value in its place may be anything)."""
    if value is None or (isinstance(value, str) and _ENUM_RE.fullmatch(value)):
        return value
    return UNRECOGNISED


def _count(value: Any) -> Any:
    """A count as read (lengths, minutes): a whole number from 0 to 2**31-1 (iOS, Intune and Android all
    take an integer), or "unrecognised value" when it is not one: 8.9 characters, -3 minutes, NaN or
    true are no setting a device applies, so they are a gap, never a PASS."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 31:
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value):
        return value
    return UNRECOGNISED


def _b(value: Any) -> str:
    """A boolean as read: "yes"/"no" for a real boolean only. A string ("false"), a number or a list in
    its place is "unrecognised value" (Python's truth of "false" is True: a forcePIN written as a
    string must not read as a passcode required)."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return UNRECOGNISED


def _preview(value: Any) -> str:
    """Apple's PreviewType (0 always, 1 when unlocked, 2 never): "unset" when absent; any other value, a
    boolean (Python's True is 1) or a string, is "unrecognised value"."""
    if value is None:
        return "unset"
    if isinstance(value, int) and not isinstance(value, bool) and value in PREVIEW:
        return PREVIEW[value]
    return UNRECOGNISED


_TYPE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,127}")


def _type(value: Any) -> str:
    """A payload or declaration type as read (``com.apple.TCC.configuration-profile-policy``,
    ``com.apple.configuration.management.status-subscriptions`` hold hyphens, which ``_enum`` refuses),
    or "unrecognised value"."""
    return value if isinstance(value, str) and _TYPE_RE.fullmatch(value) else UNRECOGNISED


def _required(quality: Any, locks: set[str], no_lock: set) -> str:
    """Whether a password quality/type requires a lock: "yes" for a known locking value, "no" for a
    known non-locking one (or none), else "unrecognised value"."""
    if quality in no_lock:
        return "no"
    return "yes" if quality in locks else UNRECOGNISED


class _Builder:
    def __init__(self, display: str, doc: PolicyDocument) -> None:
        self.display, self.doc = display, doc
        self.objects: list[ConfigObject] = []
        self.problems: list[Problem] = []  # settings present but not understood (gaps)
        self.dropped = 0  # objects past MAX_OBJECTS

    def add(self, kind: str, name: str, line: int, settings: dict[str, tuple[Any, int]]) -> None:
        if len(self.objects) >= MAX_OBJECTS:
            self.dropped += 1
            return
        for k, (v, ln) in settings.items():
            if v == UNRECOGNISED and len(self.problems) < 100:  # the setting's name, never the value
                self.problems.append(Problem(self.display, ln, f"{kind} {k}: value of an unexpected type or "
                                                                f"shape; not read", False))
        self.objects.append(ConfigObject.of({
            "kind": kind, "name": name, "source": {"file": self.display, "line": line},
            "settings": {k: [{"value": str(v), "file": self.display, "line": ln}] for k, (v, ln) in settings.items()
                         if v is not None},
            "secrets": {}}))

    def build(self) -> None:
        getattr(self, self.doc.kind.replace("-", "_"))()
        if self.dropped:
            self.problems.append(Problem(self.display, 0, f"more than {MAX_OBJECTS} settings objects in one policy "
                                                          f"file ({self.dropped} more); they are not read", False))

    # Apple configuration profile ---------------------------------------------------------
    def apple_profile(self) -> None:
        d, doc = self.doc.data, self.doc
        where = doc.where if isinstance(doc.where, dict) else {}
        top_line = lambda key: where.get(key, (1, None))[0]
        content = d.get("PayloadContent")
        content = content if isinstance(content, list) else []
        payloads = [p for p in content if isinstance(p, dict)]
        payload_lines = where.get("PayloadContent", (1, []))[1]
        self.add("mdm.profile", self.display, 1, {
            "os": ("ios", 1), "format": ("configuration profile", 1), "signed": (_b(doc.signed), 1),
            "signer": (doc.signer or None, 1), "identifier": (d.get("PayloadIdentifier"), top_line("PayloadIdentifier")),
            "display_name": (d.get("PayloadDisplayName"), top_line("PayloadDisplayName")),
            "payload_types": (", ".join(sorted({_type(p.get("PayloadType")) for p in payloads})) or None, 1)})
        for i, payload in enumerate(content):
            if not isinstance(payload, dict):
                continue
            lines = payload_lines[i] if isinstance(payload_lines, list) and i < len(payload_lines) \
                and isinstance(payload_lines[i], dict) else {}
            at = lines.get("PayloadType", (1, None))[0]
            ptype = payload.get("PayloadType")
            if ptype == "com.apple.notificationsettings":
                entry_lines = lines.get("NotificationSettings", (at, []))[1]
                entries = payload.get("NotificationSettings")
                for j, entry in enumerate(entries if isinstance(entries, list) else []):
                    if not isinstance(entry, dict) or not entry.get("BundleIdentifier"):
                        continue
                    el = entry_lines[j] if isinstance(entry_lines, list) and j < len(entry_lines) \
                        and isinstance(entry_lines[j], dict) else {}
                    line = el.get("BundleIdentifier", (at, None))[0]
                    key = lambda k, el=el, line=line: el.get(k, (line, None))[0]
                    bundle = str(entry["BundleIdentifier"])
                    preview = entry.get("PreviewType")
                    self.add("mdm.app_notifications", f"{self.display} {bundle}", line, {
                        "bundle_id": (bundle, line), "os": ("ios", line), "via": ("com.apple.notificationsettings", line),
                        "notifications_enabled": (_b(entry.get("NotificationsEnabled")), key("NotificationsEnabled")),
                        "show_in_lock_screen": (_b(entry.get("ShowInLockScreen")), key("ShowInLockScreen")),
                        "preview_type": (_preview(preview), key("PreviewType")),
                        "preview_type.option": ("PreviewType", key("PreviewType"))})
            elif ptype == "com.apple.mobiledevice.passwordpolicy":
                key = lambda k, lines=lines, at=at: lines.get(k, (at, None))[0]
                self.add("mdm.passcode", f"{self.display} passcode", at, {
                    "os": ("ios", at), "via": ("com.apple.mobiledevice.passwordpolicy", at),
                    "required": (_b(payload.get("forcePIN")), key("forcePIN")),
                    "required.option": ("forcePIN", key("forcePIN")),
                    "min_length": (_count(payload.get("minLength")), key("minLength")),
                    "min_length.option": ("minLength", key("minLength")),
                    "max_inactivity_minutes": (_count(payload.get("maxInactivity")), key("maxInactivity")),
                    "max_inactivity_minutes.option": ("maxInactivity", key("maxInactivity")),
                    "allow_simple": (_b(payload.get("allowSimple")), key("allowSimple"))})

    # Apple declaration (declarative device management) -------------------------------------
    def apple_declaration(self) -> None:
        """One DDM declaration. ``com.apple.configuration.passcode.settings`` is the passcode policy (Apple's
        schema: RequirePasscode defaults to false, and "the presence of any other keys implicitly requires a
        passcode, and overrides this key's value"); ``com.apple.configuration.legacy`` installs a profile
        from a URL, which is not in the export (a gap: whatever it sets is unread); any other type is
        recorded like a profile's payload type."""
        d, doc = self.doc.data, self.doc
        dtype, payload = _type(d.get("Type")), d["Payload"]
        at = lambda key: doc.line_of(f'"{key}"')  # noqa: E731 - a key's line, as the other readers find it
        type_line = at("Type")
        self.add("mdm.profile", self.display, 1, {
            "os": ("ios", 1), "format": ("Apple declaration (declarative device management)", 1),
            "identifier": (d.get("Identifier"), at("Identifier")), "payload_types": (dtype, type_line)})
        if dtype == "com.apple.configuration.passcode.settings":
            unknown = [k for k in payload if k not in PASSCODE_KEYS]
            for k in unknown[:MAX_LISTED_KEYS]:  # the key's name, printable and bounded; never its value
                self.problems.append(Problem(self.display, at(k) or type_line, f"passcode declaration: key "
                                                                               f"{label(str(k), 64)!r} is no passcode "
                                                                               "setting; not read", False))
            if len(unknown) > MAX_LISTED_KEYS:
                self.problems.append(Problem(self.display, type_line, f"passcode declaration: {len(unknown) - MAX_LISTED_KEYS} "
                                                                      "more keys that are no passcode setting", False))
            implied = [k for k in payload if k != "RequirePasscode" and k in PASSCODE_KEYS]
            if implied:
                key = label(str(implied[0]), 64)  # a key's name, shown printable and bounded
                required, option, line = "yes", f"{key} (implies RequirePasscode)", at(implied[0]) or type_line
            else:
                flag = payload.get("RequirePasscode")
                required = "no" if flag is None else _b(flag)
                option, line = "RequirePasscode", at("RequirePasscode") or type_line
            self.add("mdm.passcode", f"{self.display} passcode", line, {
                "os": ("ios", line), "via": ("com.apple.configuration.passcode.settings", type_line),
                "required": (required, line), "required.option": (option, line),
                "min_length": (_count(payload.get("MinimumLength")), at("MinimumLength") or line),
                "min_length.option": ("MinimumLength", at("MinimumLength") or line),
                "max_inactivity_minutes": (_count(payload.get("MaximumInactivityInMinutes")),
                                           at("MaximumInactivityInMinutes") or line),
                "max_inactivity_minutes.option": ("MaximumInactivityInMinutes",
                                                  at("MaximumInactivityInMinutes") or line),
                "complex": (_b(payload.get("RequireComplexPasscode")), at("RequireComplexPasscode") or line)})
        elif dtype.startswith(LEGACY_TYPES[0]):
            # the type is named only when it is Apple's: any other text in its place is a value, never shown
            shown = dtype if dtype in LEGACY_TYPES else f"{LEGACY_TYPES[0]}..."
            self.problems.append(Problem(self.display, type_line, f"declaration {shown}: the profile it installs "
                                                                  "(ProfileURL) is not in this file; its settings "
                                                                  "are not read", False))

    # Android Management API policy --------------------------------------------------------
    def android_policy(self) -> None:
        d, doc = self.doc.data, self.doc
        self.add("mdm.profile", self.display, 1, {"os": ("android", 1), "format": ("Android Management API policy", 1),
                                                  "identifier": (d.get("name"), doc.line_of('"name"'))})
        features = d.get("keyguardDisabledFeatures")
        features = features if isinstance(features, list) else []
        kg_line = doc.line_of('"keyguardDisabledFeatures"')
        self.objects.append(ConfigObject.of({
            "kind": "mdm.android_policy", "name": f"{self.display} keyguard", "source": {"file": self.display, "line": kg_line},
            "settings": {"keyguard_disabled": [{"value": str(_enum(f)), "file": self.display, "line": kg_line}
                                               for f in features],
                         "keyguard_disabled.option": [{"value": "keyguardDisabledFeatures", "file": self.display,
                                                       "line": kg_line}],
                         **({"keyguard_off": [{"value": "yes", "file": self.display,
                                               "line": doc.line_of('"keyguardDisabled"')}]}
                            if d.get("keyguardDisabled") else {})},
            "secrets": {}}))
        listed = d.get("passwordPolicies")
        policies = [p for p in (listed if isinstance(listed, list) else []) if isinstance(p, dict)
                    and p.get("passwordScope", "SCOPE_UNSPECIFIED") in {"SCOPE_UNSPECIFIED", "SCOPE_DEVICE"}]
        req, option = (policies[0], "passwordPolicies") if policies else (d.get("passwordRequirements"), "passwordRequirements")
        line = doc.line_of(f'"{option}"')
        quality = _enum(req.get("passwordQuality")) if isinstance(req, dict) else None
        length = _count(req.get("passwordMinimumLength")) if isinstance(req, dict) else None
        ttl = d.get("maximumTimeToLock")
        minutes = None
        if ttl not in (None, "", "0", 0):
            # int64 milliseconds, written as a JSON string (or a number); anything else, or a negative
            # time, is no setting Android applies: a gap, never "unset"
            ms = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else \
                int(ttl) if isinstance(ttl, str) and re.fullmatch(r"\d{1,18}", ttl) else None
            minutes = round(ms / 60000, 1) if ms is not None and ms >= 0 else UNRECOGNISED
        self.add("mdm.passcode", f"{self.display} passcode", line, {
            "os": ("android", line), "via": (option, line),
            "required": (_required(quality, LOCK_QUALITIES, NO_LOCK_QUALITIES), line),
            "required.option": (f"{option}.passwordQuality", line),
            "quality": (quality, line),
            "min_length": (length if length is not None else IMPLIED_LENGTH.get(str(quality)), line),
            "min_length.option": (f"{option}.passwordMinimumLength", line),
            "max_inactivity_minutes": (minutes, doc.line_of('"maximumTimeToLock"')),
            "max_inactivity_minutes.option": ("maximumTimeToLock", doc.line_of('"maximumTimeToLock"'))})

    def app_protection(self, odata: str, os_: str) -> None:
        """An Intune app protection policy (iosManagedAppProtection / androidManagedAppProtection, exported with
        its ``apps``): ``notificationRestriction`` (Graph managedAppNotificationRestriction) decides what the
        managed apps' notifications show, whatever the device's own settings: ``allow`` everything,
        ``blockOrganizationalData`` no organisation data (no content), ``block`` no notification. Each listed app
        (mobileAppIdentifier bundleId / packageId) gets it; apps chosen as a group (allApps, allMicrosoftApps...)
        are not named in the export: a gap, never a guess."""
        d, doc = self.doc.data, self.doc
        line = doc.line_of('"notificationRestriction"')
        restriction = d.get("notificationRestriction")
        if restriction not in APP_NOTIFICATION_RESTRICTIONS:
            self.problems.append(Problem(self.display, line, f"{odata} notificationRestriction: not one of "
                                                             f"{', '.join(APP_NOTIFICATION_RESTRICTIONS)}", False))
            return
        apps = d.get("apps") if isinstance(d.get("apps"), list) else []
        named = []
        for app in apps[:MAX_PROTECTED_APPS]:
            ident = app.get("mobileAppIdentifier") if isinstance(app, dict) else None
            bundle = ident.get("bundleId") or ident.get("packageId") if isinstance(ident, dict) else None
            if isinstance(bundle, str) and bundle:
                named.append(bundle)
        group = d.get("appGroupType")
        if len(apps) > MAX_PROTECTED_APPS or len(named) < len(apps[:MAX_PROTECTED_APPS]) or (
                not named and group not in (None, "selectedPublicApps")):
            self.problems.append(Problem(self.display, line, f"{odata}: the apps it protects are not all named in the "
                                                             "export (an app group, an entry without a bundle or package "
                                                             "ID, or more than the first "
                                                             f"{MAX_PROTECTED_APPS}); their notifications are not judged",
                                         False))
        for bundle in named:
            at = doc.line_of(f'"{bundle}"')
            self.add("mdm.app_notifications", f"{self.display} {bundle}", at, {
                "bundle_id": (bundle, at), "os": (os_, at), "via": (f"{odata} notificationRestriction", line),
                "notifications_enabled": ("no" if restriction == "block" else "yes", line),
                "show_in_lock_screen": ("unset", line),
                "preview_type": ("never" if restriction == "blockOrganizationalData" else "always", line),
                "preview_type.option": (f"notificationRestriction {restriction}", line)})

    # Intune Graph export ------------------------------------------------------------------
    def intune_policy(self) -> None:
        d, doc = self.doc.data, self.doc
        odata = str(d.get("@odata.type", "")).rsplit(".", 1)[-1]
        os_ = "ios" if odata.lower().startswith("ios") else "android" if odata.lower().startswith("android") else "other"
        self.add("mdm.profile", self.display, 1, {"os": (os_, 1), "format": (f"Intune {odata}", 1),
                                                  "display_name": (d.get("displayName"), doc.line_of('"displayName"'))})
        for entry in _walk(d):
            if "bundleID" in entry and "showOnLockScreen" in entry:
                bundle = str(entry["bundleID"])
                line = doc.line_of(f'"{bundle}"')
                self.add("mdm.app_notifications", f"{self.display} {bundle}", line, {
                    "bundle_id": (bundle, line), "os": ("ios", line), "via": ("iosNotificationSettings", line),
                    "notifications_enabled": (_b(entry.get("enabled")), line),
                    "show_in_lock_screen": (_b(entry.get("showOnLockScreen")), doc.line_of('"showOnLockScreen"', line)),
                    "preview_type": ("unset", line),
                    "preview_type.option": ("(not settable in iosNotificationSettings)", line)})
        if odata.endswith("ManagedAppProtection") and "notificationRestriction" in d:
            self.app_protection(odata, os_)
        if os_ == "ios" and any(k.startswith("passcode") for k in d):
            line = doc.line_of('"passcodeRequired"')
            self.add("mdm.passcode", f"{self.display} passcode", line, {
                "os": ("ios", line), "via": (odata, line),
                "required": (_b(d.get("passcodeRequired")), line), "required.option": ("passcodeRequired", line),
                "min_length": (_count(d.get("passcodeMinimumLength")), doc.line_of('"passcodeMinimumLength"')),
                "min_length.option": ("passcodeMinimumLength", doc.line_of('"passcodeMinimumLength"')),
                "max_inactivity_minutes": (_count(d.get("passcodeMinutesOfInactivityBeforeLock")),
                                           doc.line_of('"passcodeMinutesOfInactivityBeforeLock"')),
                "max_inactivity_minutes.option": ("passcodeMinutesOfInactivityBeforeLock",
                                                  doc.line_of('"passcodeMinutesOfInactivityBeforeLock"'))})
        elif os_ == "android" and any(k.startswith("password") for k in d):
            line = doc.line_of('"passwordRequiredType"')
            required = _enum(d.get("passwordRequiredType"))
            needed = _required(required, INTUNE_LOCK_TYPES, INTUNE_NO_LOCK)
            option = "passwordRequiredType"
            if "passwordRequired" in d and _b(d["passwordRequired"]) != "yes":  # the switch itself says no
                needed, option, line = _b(d["passwordRequired"]), "passwordRequired", doc.line_of('"passwordRequired"')
            self.add("mdm.passcode", f"{self.display} passcode", line, {
                "os": ("android", line), "via": (odata, line),
                "required": (needed, line),
                "required.option": (option, line), "quality": (required, line),
                "min_length": (_count(d.get("passwordMinimumLength")), doc.line_of('"passwordMinimumLength"')),
                "min_length.option": ("passwordMinimumLength", doc.line_of('"passwordMinimumLength"')),
                "max_inactivity_minutes": (_count(d.get("passwordMinutesOfInactivityBeforeScreenTimeout")),
                                           doc.line_of('"passwordMinutesOfInactivityBeforeScreenTimeout"')),
                "max_inactivity_minutes.option": ("passwordMinutesOfInactivityBeforeScreenTimeout",
                                                  doc.line_of('"passwordMinutesOfInactivityBeforeScreenTimeout"'))})


def _walk(node: Any) -> Iterator[dict]:
    """Every dict in a decoded JSON document, depth-first, without recursion (the parser already
    refused documents nested deeper than MAX_DEPTH; the bound here keeps this safe on its own)."""
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, dict):
            yield node
            stack.extend((v, depth + 1) for v in reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in reversed(node))


def build_mdm_facts(path: Path) -> MdmFacts:
    """One MdmFacts for a directory of policy exports: each file stands alone, so a file that cannot
    be read (or that the reader trips over) is an ERROR for that policy only."""
    facts = MdmFacts()
    base, files, unread = files_under(path, MDM_SUFFIXES)
    for display, reason in unread:
        facts.add_file(display, [Problem(display, 0, reason, True)])
    if not files and not unread:
        for problem in foreign_files(path, "an MDM policy export", MDM_SUFFIXES):
            facts.add_file(problem.file, [problem])
    for f in files:
        display = str(f.relative_to(base))
        try:
            doc, problems = parse_policy_file(f, display)
            objects: list[ConfigObject] = []
            if doc is not None and not any(p.fatal for p in problems):
                builder = _Builder(display, doc)
                builder.build()
                objects = builder.objects
                problems = [*problems, *builder.problems]
        except Exception as exc:  # noqa: BLE001 - a hostile file the reader did not foresee: this file only
            doc, objects = None, []
            problems = [Problem(display, 0, f"file could not be read ({exc.__class__.__name__})", True)]
        facts.add_file(display, problems)
        facts.configs[display].content_lines = (len([ln for ln in doc.lines if ln.strip()]) or 1) if doc else None
        if facts.configs[display].fatal_problem is None:
            facts.objects.extend(objects)
    facts.reindex()
    return facts
