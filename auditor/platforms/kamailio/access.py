"""Flood and scan protection in a Kamailio or OpenSIPS front end: a rate limiter module (pike,
ratelimit, pipelimit) loaded and its check called from the routing logic. Both speak the SER
configuration language; the remediation is in each one's own terms."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.kamailio import ROUTING, KamailioFacts
from voxaudit.platforms.kamailio.common import kemi_routing
from voxaudit.records.access import RateLimit

LIMITERS = {"pike", "ratelimit", "pipelimit"}
LIMIT_CALLS = {"pike_check_req", "pike_check_ip", "rl_check", "pl_check"}
REMEDIATION = {"kamailio": "Add #!define WITH_ANTIFLOOD (pike.so with pike_check_req() in route[REQINIT]).",
               "opensips": "loadmodule \"pike.so\" and call pike_check_req() first in the request route (or "
                           "ratelimit.so with rl_check())."}


def rate_limit(facts: KamailioFacts) -> Iterator[RateLimit]:
    mods = {m.name for m in facts.of_kind("kamailio.module")} & LIMITERS
    kemi = kemi_routing(facts)
    if kemi:  # whether the KEMI script calls the limiter is not read: unknown, never "no protection"
        yield RateLimit(subject="routing", limiters=tuple(sorted(mods)), undecidable=kemi)
        return
    calls = {c.name for c in facts.of_kind("kamailio.call")} & LIMIT_CALLS
    yield RateLimit(subject="routing", limiters=tuple(sorted(mods)), checks=tuple(sorted(calls)))


def flood_fix(guard: RateLimit) -> list[str]:
    return ["#!define WITH_ANTIFLOOD"]


BINDINGS = tuple(
    Binding("ACC-NET-102", platform, rate_limit, ("kamailio.cfg", ROUTING), "KAM-ACC-102", REMEDIATION, flood_fix)
    for platform in ("kamailio", "opensips")
)
