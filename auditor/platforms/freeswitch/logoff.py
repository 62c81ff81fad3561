"""Idle limit of the FusionPBX web interface, as a record.

FreeSWITCH itself keeps no interactive login session: the event socket is a program's connection
(it has no idle logoff, as AMI's has none) and mod_xml_rpc authenticates each request. FusionPBX does:
read from its source (fusionpbx/fusionpbx, commit c7a00dcb), the login is a PHP session
(resources/check_auth.php rotates its id every 900 s but never ends it), whose lifetime is PHP's own
session setting on the host, and Default Settings > login > remember_me (app_config.php, default true)
offers a "Remember Me" token valid 7 days (resources/classes/remember_me.php ``expiry_days = 7``) that
logs the browser back in without a password. FusionPBX keeps no session-timeout setting of its own.
Both live outside /etc/freeswitch (php.ini, and FusionPBX's database ``v_default_settings``), which
this scan does not collect: a FusionPBX system gets an ERROR saying so, never a PASS.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import ROOT, FreeSwitchFacts
from voxaudit.records.logoff import AdminSession

REMEDIATION = {
    "freeswitch": "FreeSWITCH keeps no interactive admin session; keep the event socket on loopback.",
    "fusionpbx": "Advanced > Default Settings > login > remember_me = false (the Remember Me token keeps a browser "
                 "logged in for 7 days); set PHP's session.gc_maxlifetime (php.ini of the web server's PHP-FPM, "
                 "seconds) to the idle limit.",
}
UNREAD = ("the FusionPBX web UI's idle limit is PHP's session lifetime (php.ini on the host) and its 'Remember Me' "
          "login (Default Settings login > remember_me, in FusionPBX's database); neither is in the FreeSWITCH "
          "configuration read: collect them to judge it")


def fusionpbx_web_ui(facts: FreeSwitchFacts) -> Iterator[AdminSession]:
    state, reason = facts.source_state(ROOT)
    if state == "error":  # a refused document leaves even the flavor unknown: ERROR, never N/A
        yield AdminSession(subject="(target)", section="FusionPBX web UI", service="FusionPBX web UI",
                           undecidable=f"whether a FusionPBX web UI runs here is unknown: {reason}")
    elif facts.flavor == "fusionpbx":
        yield AdminSession(subject="FusionPBX web UI", section="FusionPBX web UI", service="FusionPBX web UI",
                           undecidable=UNREAD)


BINDINGS = (
    Binding("ACC-LOGOFF-101", "freeswitch", fusionpbx_web_ui, (), remediation=REMEDIATION,
            none="FreeSWITCH without FusionPBX keeps no interactive admin session (event socket: program "
                 "connections; mod_xml_rpc: per-request authentication)"),
)
