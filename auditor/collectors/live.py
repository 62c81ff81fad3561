"""Network collectors as the runner calls them: SIP probes with a TLS scan of the SIP-TLS
port, and stand-alone TLS endpoints. Each raises CollectionError only when the target gave
nothing at all; partial answers are facts."""
from __future__ import annotations

from collections.abc import Callable

from voxaudit.collectors.offline import CollectionError
from voxaudit.collectors.sip import probe
from voxaudit.collectors.tls import SCANNER_MODULES, scan_tls
from voxaudit.extras import require_for_target
from voxaudit.facts.network import PacketFacts, SipFacts, SnmpFacts, TlsEndpointFacts
from voxaudit.targets import PcapSource, SipSource, SnmpSource, TlsEndpoint, TlsSource

Note = Callable[[str], None] | None


def collect_sip(spec: SipSource, vantage: str, note: Note = None) -> SipFacts:
    require_for_target("a sip target (its SIP-TLS port is scanned)", *SCANNER_MODULES)
    if note:
        note(f"SIP OPTIONS/REGISTER on {spec.address}")
    facts = probe(spec, vantage)
    # Whatever accepted a connection on the TLS port is scanned, also when SIP over it failed: a port
    # that took the connection and then refused or ignored our handshake is a TLS finding to assess
    # (an incomplete scan makes the TLS checks ERRORs), not a reason to leave them NOT_APPLICABLE.
    tls = next((t for t in facts.transports if t.transport == "tls" and t.state != "closed"), None)
    if tls is not None:
        if note:
            note(f"TLS scan of {spec.address}:{tls.port}")
        facts.tls = scan_tls([TlsEndpoint(host=spec.address, port=tls.port, purpose="sip-tls",
                                          server_name=spec.tls_server_name or spec.domain, timeout=spec.timeout * 2,
                                          ca_file=spec.ca_file)])
    return facts


def collect_tls(source: TlsSource, vantage: str, note: Note = None) -> TlsEndpointFacts:
    targets = source.endpoints
    if not targets:
        raise CollectionError("not_collected", "a tls target needs at least one endpoint")
    require_for_target("a tls target", *SCANNER_MODULES)
    if note:
        note(f"TLS scan of {len(targets)} endpoint(s)")
    scans = scan_tls(targets)
    if not any(s.completed for s in scans):
        raise CollectionError("connectivity", "; ".join(f"{s.endpoint}: {s.error}" for s in scans))
    return TlsEndpointFacts(address=targets[0].host, vantage=vantage, tls=scans)


def collect_pcap(spec: PcapSource, note: Note = None) -> PacketFacts:
    from voxaudit.collectors.packets import analyse
    return analyse(spec, note)


def collect_snmp(spec: SnmpSource, note: Note = None) -> SnmpFacts:
    from voxaudit.collectors.snmp import probe as snmp_probe
    if note:
        note(f"SNMP GETs on {spec.address}:{spec.port}")
    return snmp_probe(spec)
