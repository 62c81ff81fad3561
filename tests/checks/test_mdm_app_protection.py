"""Intune app protection policies (Graph iosManagedAppProtection / androidManagedAppProtection, exported with
their ``apps``): ``notificationRestriction`` decides what a protected app's notifications show, whatever the
device's own settings (Graph managedAppNotificationRestriction: allow, blockOrganizationalData, block). Before,
such an export was read as a profile with nothing in it: Teams on a policy that blocks organisational data in
its notifications was "not managed" (NTF-PHI-105 FAIL)."""
from __future__ import annotations

import json

import pytest

from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_mdm_policies
from voxaudit.model import Status

TEAMS = "com.microsoft.skype.teams"


def _policy(restriction: object, apps: list | None = None, group: str = "selectedPublicApps",
            odata: str = "iosManagedAppProtection") -> str:
    key = "bundleId" if odata.startswith("ios") else "packageId"
    kind = "iosMobileAppIdentifier" if odata.startswith("ios") else "androidMobileAppIdentifier"
    return json.dumps({
        "@odata.type": f"#microsoft.graph.{odata}", "displayName": "Clinic phones", "appGroupType": group,
        "notificationRestriction": restriction, "pinRequired": True,
        "apps": [{"@odata.type": "#microsoft.graph.managedMobileApp",
                  "mobileAppIdentifier": {"@odata.type": f"#microsoft.graph.{kind}", key: a}} for a in (apps or [])],
    }, indent=2)


def _gaps(facts) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems if p.is_gap]


@pytest.mark.parametrize("restriction, lock", [("blockOrganizationalData", Status.PASS), ("block", Status.PASS),
                                               ("allow", Status.FAIL)])
def test_notification_restriction_decides_what_a_protected_app_shows(tmp_path, run, registry, restriction, lock):
    (tmp_path / "app-protection.json").write_text(_policy(restriction, [TEAMS]))
    facts = collect_mdm_policies(tmp_path)
    assert not _gaps(facts)
    assert run("NTF-PHI-106", facts) == {f"app {TEAMS} (app-protection.json)": lock}
    chk = registry.get("NTF-PHI-105")  # Teams is managed now: only the other softphone apps are named
    (outcome,) = chk(facts, CheckContext(chk.defaults()))
    assert TEAMS not in outcome.evidence and "com.apple.mobilephone" in outcome.evidence


def test_apps_chosen_as_a_group_are_a_gap_never_a_guess(tmp_path):
    (tmp_path / "p.json").write_text(_policy("blockOrganizationalData", [], group="allMicrosoftApps"))
    (gap,) = _gaps(collect_mdm_policies(tmp_path))
    assert "not all named" in gap.message


def test_an_unknown_restriction_is_a_gap_without_its_value(tmp_path):
    canary = "CANARY-app-prot-3c1"
    (tmp_path / "p.json").write_text(_policy(canary, [TEAMS]))
    facts = collect_mdm_policies(tmp_path)
    (gap,) = _gaps(facts)
    assert "notificationRestriction" in gap.message and canary not in gap.message
    assert not facts.of_kind("mdm.app_notifications")


def test_android_app_protection_is_read_too(tmp_path, run):
    (tmp_path / "a.json").write_text(_policy("block", ["com.microsoft.teams"], odata="androidManagedAppProtection"))
    facts = collect_mdm_policies(tmp_path)
    (app,) = facts.of_kind("mdm.app_notifications")
    assert app.get("os") == "android" and app.get("notifications_enabled") == "no"
