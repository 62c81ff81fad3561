"""Administrative interfaces and network exposure: management interfaces kept off the network in
plaintext and limited to known hosts, endpoints limited to the voice network, flood and scan protection,
no version disclosure, and voice services out of reach of the data network.

Evidence quotes what the records say (an address, a limit); it never quotes a secret.
"""
from __future__ import annotations

from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed, unknown
from voxaudit.records.access import AddressLimit, AdminInterface, Banner, RateLimit, Reachability


@control(
    id="ACC-ADMIN-101", title="Administrative interfaces are not reachable in plaintext beyond loopback",
    severity="high", hipaa=("164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation", "NPRM-mfa"), area="access",
    record=AdminInterface,
    rationale="""Call-control APIs, event sockets and the web server that carries them can originate calls,
    read every call event (caller names and numbers) and reload configuration. On a plaintext listener
    beyond loopback their logins and events cross the network in clear and anyone who reaches the port
    can try them; enabling an encrypted listener does not turn the plaintext one off. Keep them on
    loopback, or encrypted, or limited to known management hosts.""",
)
def admin_not_plaintext(iface: AdminInterface, params: Params) -> Verdict:
    if iface.undecidable:
        return unknown(iface.undecidable)
    if iface.loopback:
        return passed(f"{iface.service} bound to {iface.listen}")
    if not iface.plaintext:
        return passed(f"{iface.service} has no plaintext listener beyond loopback")
    if iface.limited:
        return passed(f"{iface.service} on {iface.listen}, limited by {iface.limit}")
    return failed(f"plaintext {iface.service} listening on {iface.listen}" + (f" with {iface.limit}" if iface.limit else ""))


@control(
    id="ACC-ADMIN-102", title="Device administration is encrypted (no plaintext management protocols)",
    severity="high", hipaa=("164.312(e)(1)", "164.312(d)"), area="transport", record=AdminInterface,
    rationale="""Terminal and web administration in clear text send the admin password to anyone on the
    management path, and with it control over voice segmentation.""",
)
def admin_encrypted(iface: AdminInterface, params: Params) -> Verdict:
    if iface.undecidable:
        return unknown(iface.undecidable)
    if iface.plaintext and not iface.loopback:
        return failed("; ".join(iface.plaintext_paths) or f"plaintext {iface.service}")
    return passed(f"no {iface.service}")


def _limited(lim: AddressLimit, none: str) -> Verdict:
    if not lim.limit:
        return failed(none)
    if lim.open:
        return failed(lim.open)
    return passed(lim.limit)


@control(
    id="ACC-ADMIN-103", title="Administrative logins are limited to known hosts (deny all, permit some)",
    severity="high", hipaa=("164.312(a)(1)", "NPRM-mfa"), area="access", record=AddressLimit,
    rationale="""Without an address limit an administrative account can log in from anywhere that reaches
    the port; a limit that permits every address says the same thing explicitly.""",
)
def admin_login_limited(lim: AddressLimit, params: Params) -> Verdict:
    return _limited(lim, "no permit/deny: login accepted from any address")


@control(
    id="ACC-NET-101", title="SIP endpoints are limited to the voice network", severity="medium",
    hipaa=("164.312(a)(1)", "NPRM-segmentation"), area="access", record=AddressLimit,
    rationale="""Without an address limit an extension can register from anywhere its password works,
    including the guest Wi-Fi and the internet. Limiting endpoints to the voice VLAN's addresses is
    segmentation enforced at the server.""",
)
def endpoint_limited(lim: AddressLimit, params: Params) -> Verdict:
    return _limited(lim, "no address limit: accepted from any network")


@control(
    id="ACC-NET-102", title="Flood and scan protection is active", severity="medium",
    hipaa=("164.308(a)(5)(ii)(C)", "164.312(a)(1)"), area="access", record=RateLimit,
    rationale="""A per-source rate limit checked on every incoming request blocks SIP scanners and
    password-guessing floods at the edge.""",
)
def flood_protection(guard: RateLimit, params: Params) -> Verdict:
    if guard.undecidable:
        return unknown(guard.undecidable)
    if guard.limiters and guard.checks:
        return passed(f"{', '.join(guard.limiters)} with {', '.join(guard.checks)}")
    if guard.limiters:
        return failed(f"{', '.join(guard.limiters)} loaded but never checked on incoming requests")
    return failed("no rate-limit check on incoming requests")


@control(
    id="ACC-NET-103", title="Services do not reveal their software and version", severity="low",
    hipaa=("164.308(a)(1)(ii)(B)",), area="access", record=Banner,
    rationale="A banner with product and version tells a scanner which exploits to try.",
)
def no_version_banner(banner: Banner, params: Params) -> Verdict:
    if any(ch.isdigit() for ch in banner.text):
        return failed(f"{banner.header}: {banner.text}")
    return passed(f"{banner.header}: {banner.text or '(none)'}")


@control(
    id="ACC-NET-104", title="Voice services are not reachable from the data network", severity="high",
    hipaa=("164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"), area="access", record=Reachability,
    rationale="""If a workstation on the data network can reach the phone system's SIP or admin ports, one
    infected PC can attack it; voice and data must be segmented (required under HHS's 2025 proposal).""",
)
def not_reachable_from_data(seen: Reachability, params: Params) -> Verdict:
    if not seen.data_network:
        return not_applicable(f"scanner sits on '{seen.vantage}', not a data network")
    if seen.reached:
        return failed(f"reachable from the {seen.vantage} network: {', '.join(seen.reached)}")
    return passed(f"nothing answered from the {seen.vantage} network")
