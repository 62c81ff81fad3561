"""Configuration versus wire: what a host's configuration claims and what probes or a capture of the same
host saw must agree. A disagreement means the audited configuration is not what runs (a stale copy, a
second instance, a change made by hand on the host), and the wire is the side that reaches patients' data.

Judged on the configuration target; the records come from the drift stage (docs/drift.md), which pairs
a configuration target with the live targets of the same host in its clinic.
"""
from __future__ import annotations

from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed, unknown
from voxaudit.records.drift import WireComparison

TRANSIT = ("164.312(e)(1)", "164.312(e)(2)(ii)")


def _compare(c: WireComparison) -> Verdict:
    """One judgement for every drift control: the comparison decides, the control states the requirement."""
    if c.undecidable:
        return unknown(c.undecidable)
    if not c.claimed:
        return not_applicable(c.configured)
    if c.drift:
        return failed(f"configuration: {c.configured}; but the wire: {c.wire}")
    if c.stricter:
        return passed(f"the wire is stricter than the configuration (is the copy current?): configuration: "
                      f"{c.configured}; wire: {c.wire}")
    return passed(f"configuration: {c.configured}; wire agrees: {c.wire}")


@control(
    id="DRIFT-SIG-101", title="Plaintext SIP the configuration does not admit does not answer", severity="high",
    hipaa=TRANSIT, area="transport", record=WireComparison, compares="ENC-SIG-101",
    rationale="""A configuration that offers SIP only over TLS is judged compliant, but if the running host
    still answers SIP over UDP or TCP, signalling with caller identities and digest exchanges crosses the
    network in clear. The audit of that configuration then describes a server that is not the one running.""",
)
def plaintext_drift(c: WireComparison, params: Params) -> Verdict:
    return _compare(c)


@control(
    id="DRIFT-MEDIA-101", title="Media the configuration requires to be SRTP is not captured as plain RTP",
    severity="high", hipaa=TRANSIT, area="transport", record=WireComparison, compares="ENC-MEDIA-101",
    rationale="""Call audio is PHI. A configuration that requires SRTP on every endpoint while a capture of the
    same host holds plain RTP shows that some call path (an endpoint, a trunk, a dialplan override or a
    different running configuration) sends audio anyone on the path can replay.""",
)
def media_drift(c: WireComparison, params: Params) -> Verdict:
    return _compare(c)


@control(
    id="DRIFT-TLS-101", title="The wire accepts no TLS version older than the configuration admits",
    severity="medium", hipaa=TRANSIT, area="transport", record=WireComparison, compares="ENC-TLS-101",
    rationale="""The configured minimum TLS version is what the configuration audit judged; a server that
    still negotiates older versions (another listener, an old build, a setting the running process never
    loaded) exposes signalling to the downgrade attacks the minimum was set to prevent.""",
)
def version_drift(c: WireComparison, params: Params) -> Verdict:
    return _compare(c)


@control(
    id="DRIFT-TLS-102", title="The wire accepts no cipher suite the configuration does not select",
    severity="medium", hipaa=TRANSIT, area="transport", record=WireComparison, compares="ENC-TLS-108",
    rationale="""A configured cipher list judged strong protects nothing if the running server accepts other
    suites (CBC, static RSA, export): the handshake a client actually makes is the one the wire allows.""",
)
def suite_drift(c: WireComparison, params: Params) -> Verdict:
    return _compare(c)


@control(
    id="DRIFT-ADMIN-101", title="Management interfaces the configuration keeps on loopback do not answer from the network",
    severity="high", hipaa=("164.312(a)(1)", "164.312(e)(1)"), area="access", record=WireComparison, compares="ACC-ADMIN-101",
    rationale="""AMI, ARI/HTTP and the FreeSWITCH event socket can originate calls, read every call event and
    reload configuration. A configuration that binds them to loopback is judged safe; if the running host
    accepts connections on those ports from the network (another bind, a port forward, a firewall rule that
    maps it), anyone who reaches the port can try logins the audit believed were impossible.""",
)
def admin_drift(c: WireComparison, params: Params) -> Verdict:
    return _compare(c)
