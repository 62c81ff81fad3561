"""Desk phones' idle-screen popups as provisioned, one record per provisioning file.

Assessed for Yealink, where the options are known: features.voice_mail_popup.enable and
features.missed_call_popup.enable, both on unless the files set them to 0.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.phones import PhoneFacts
from voxaudit.records.notifications import IdleScreenAlerts
from voxaudit.remediation.change import Change, set_

POPUPS = (("voicemail", "voicemail_popup"), ("missed-call", "missed_call_popup"))
REMEDIATION = {
    "yealink": "features.voice_mail_popup.enable = 0 and features.missed_call_popup.enable = 0 (the phone still "
               "lights its message indicator).",
    "polycom": "voxaudit does not read Poly's idle-screen popup options; verify on the phone that voicemail and "
               "missed-call details do not show on the idle screen.",
    "grandstream": "voxaudit does not read Grandstream's idle-screen popup options; verify them on the phone.",
    "cisco-spa": "voxaudit does not read the SPA idle-screen popup options; verify them on the phone.",
}


def idle_popups(facts: PhoneFacts) -> Iterator[IdleScreenAlerts]:
    for d in facts.of_kind("phone.device"):
        vendor = d.get("vendor") or "phone"
        if vendor != "yealink":
            # A phone whose popup options voxaudit does not read still shows voicemail and missed-call
            # details by default: not known, never "no phone here" (NOT_APPLICABLE) nor a PASS.
            yield IdleScreenAlerts(subject=f"phone {d.name}", source=d.source, section=d.name,
                                   undecidable=f"the {vendor} idle-screen voicemail and missed-call popup options are "
                                               "not read (no option name verified against the vendor's "
                                               "documentation); verify them on the phone")
            continue
        unset = [d.get(f"{key}.option") or key for _name, key in POPUPS if d.get(f"{key}.placeholder")]
        if unset:  # an unrendered template's placeholder: not known, never FAIL on the default behind it
            yield IdleScreenAlerts(subject=f"phone {d.name}", source=d.location("voicemail_popup"), section=d.name,
                                   undecidable=f"{', '.join(unset)} left to a template placeholder")
            continue
        why = [d.get(f"{key}.unknown") for _name, key in POPUPS if d.get(f"{key}.unknown")]
        if why:  # set only by a file the phone may load (a Yealink common file of an unnamed model)
            yield IdleScreenAlerts(subject=f"phone {d.name}", source=d.source, section=d.name,
                                   undecidable="; ".join(w for w in why if w))
            continue
        shown = tuple(name for name, key in POPUPS if (d.get(key) or "1").strip() != "0")  # both default to on
        yield IdleScreenAlerts(subject=f"phone {d.name}", source=d.location("voicemail_popup"), section=d.name,
                               shown=shown)


def popup_fix(alerts: IdleScreenAlerts) -> list[str]:
    return ["features.voice_mail_popup.enable = 0", "features.missed_call_popup.enable = 0"]


KEYS = {"voicemail": "features.voice_mail_popup.enable", "missed-call": "features.missed_call_popup.enable"}


def popup_change(alerts: IdleScreenAlerts) -> list[Change]:
    """Each popup still shown turned off in the phone's own file (Yealink: 0 disabled, 1 enabled)."""
    return [set_(alerts.section, alerts.section, KEYS[name], "0", kind="phone.device")
            for name in alerts.shown if name in KEYS]


BINDINGS = (
    Binding("NTF-PHI-104", "phone", idle_popups, ("provisioning",), "PHONE-NTF-101", REMEDIATION, popup_fix,
            none="no provisioning files", change=popup_change),
)
