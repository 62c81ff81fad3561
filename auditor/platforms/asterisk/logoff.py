"""Idle limits of Asterisk's and FreePBX's administrative sessions, as records.

Read from Asterisk's own source (asterisk/asterisk main/manager.c, main/http.c; commit f0c1c1a7):

* AMI over HTTP (``/manager``, ``/rawman``, ``/mxml``) keeps a login session (the ``mansession_id``
  cookie) only when manager.conf [general] has ``enabled`` and ``webenabled`` true (both default
  no, manager.c ``manager_enabled``/``webmanager_enabled``) and http.conf [general] ``enabled`` is
  true. The session ends ``httptimeout`` seconds after its last action (manager.c: default 60,
  ``newhttptimeout = atoi(val)``, applied only when > 0, so 0, a negative or a non-number keeps 60;
  the last line wins). configs/samples/manager.conf.sample documents the same.
* http.conf ``session_inactivity``/``session_keep_alive`` (http.c, default 30000/15000 ms) close idle
  TCP connections, not logins: they are not an automatic logoff and are not judged.
* AMI's TCP sessions end only when the client leaves (``authtimeout`` bounds the login, not the idle
  time after it): they are programs (FreePBX itself keeps one open), not people, and are not judged.
  ARI authenticates every request and keeps no session.
* The FreePBX web interface keeps its login in a PHP session: its lifetime is set outside
  /etc/asterisk (PHP's session settings on the host, FreePBX's database), which this scan does not
  collect; it is an ERROR saying so, never a PASS.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding, Params
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.platforms.asterisk.common import yes
from voxaudit.records.logoff import AdminSession

HTTPTIMEOUT_DEFAULT = 60  # seconds, manager.c ``static int httptimeout = 60``
SUBJECT = "manager.conf [general]"
SETTING = "manager.conf httptimeout"

REMEDIATION = {
    "asterisk": "In manager.conf [general] keep webenabled=no unless AMI over HTTP is needed; if it is, set "
                "httptimeout to the idle limit in seconds (default 60).",
    "freepbx": "FreePBX writes manager.conf: leave AMI over HTTP off (webenabled is not enabled by FreePBX). For the "
               "FreePBX web UI, set PHP's session.gc_maxlifetime (php.ini on the PBX, seconds) to the idle limit and "
               "log out of the Administrator Control Panel when leaving the desk.",
}
FREEPBX_UNREAD = ("the FreePBX web UI keeps its login in a PHP session whose lifetime is set on the PBX host (PHP's "
                  "session settings) and in FreePBX's database, neither of which is in the Asterisk configuration "
                  "read; collect them to judge it")


def atoi(value: str) -> int:
    """C's atoi(), as manager.c reads ``httptimeout``: leading blanks, a sign, then digits (0 if none).
    At most 9 digits are read, so a hostile value stays a small number (Asterisk's int would overflow)."""
    text = value.lstrip(" \t")
    sign = -1 if text[:1] == "-" else 1
    if text[:1] in "+-" and text:
        text = text[1:]
    digits = ""
    for ch in text[:9]:
        if not ch.isdigit() or not ch.isascii():
            break
        digits += ch
    return sign * int(digits) if digits else 0


def _off(facts: AsteriskFacts) -> Optional[str]:
    """Why AMI over HTTP keeps no session here, or None when it does."""
    general = facts.first("manager.general")
    if general is None or not yes(general.get("enabled")):
        return "AMI is disabled (manager.conf enabled is not yes): no web manager sessions"
    if not yes(general.get("webenabled")):
        return "AMI over HTTP is off (manager.conf webenabled is not yes): no web manager sessions"
    http = facts.first("http.general")
    if http is None or not yes(http.get("enabled")):
        return "the HTTP server is off (http.conf enabled is not yes): no web manager sessions"
    return None


def manager_http_sessions(facts: AsteriskFacts) -> Iterator[AdminSession]:
    """One record for manager.conf [general]: the web manager's idle limit, or why it has no sessions."""
    general = facts.first("manager.general")
    if general is None:
        return
    off = _off(facts)
    raw = general.get("httptimeout")
    value = atoi(raw) if raw is not None else 0
    default = value <= 0
    yield AdminSession(subject=SUBJECT, source=general.location("httptimeout" if raw is not None else "webenabled"),
                       section=SUBJECT, service="AMI over HTTP", setting=SETTING,
                       idle_seconds=HTTPTIMEOUT_DEFAULT if default else value, default=default, no_sessions=off or "")


def freepbx_web_ui(facts: AsteriskFacts) -> Iterator[AdminSession]:
    if facts.flavor == "freepbx":
        yield AdminSession(subject="FreePBX web UI", section="FreePBX web UI", service="FreePBX web UI",
                           undecidable=FREEPBX_UNREAD)


def manager_fix(session: AdminSession, params: Params) -> list[str]:
    limit = params.int("max_idle_minutes")
    return ["[general]", "webenabled=no", f"; or, if AMI over HTTP is needed: httptimeout={limit * 60}"]


BINDINGS = (
    Binding("ACC-LOGOFF-101", "asterisk", manager_http_sessions, ("manager.conf", "http.conf"),
            remediation=REMEDIATION, fix=manager_fix, none="no manager.conf [general]: AMI, and so AMI over HTTP, is disabled"),
    Binding("ACC-LOGOFF-101", "asterisk", freepbx_web_ui, (), remediation=REMEDIATION,
            none="not a FreePBX system"),
)
