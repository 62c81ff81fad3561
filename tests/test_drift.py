"""Configuration versus wire (auditor/engine/drift.py): real configuration trees read by the real
collectors, probe facts as the SIP/TLS collectors save them, and a real capture file (scapy frames
written as pcap, read by the packet collector), compared after a save and a reload as ``rescore`` does."""
from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from voxaudit.engine.collect import collect
from voxaudit.engine.drift import host_key, target_host
from voxaudit.engine.evaluate import build_document
from voxaudit.facts.network import SipFacts, SipResponse, SipTransportProbe, TlsScan
from voxaudit.model import ErrorKind, Status
from voxaudit.profile import load_profile
from voxaudit.registry import load_registry
from voxaudit.scan import CollectionFailure, TargetRecord, load_scan, save_scan
from voxaudit.targets import Target

KAMAILIO = Path(__file__).resolve().parent / "lab" / "kamailio"
MOZILLA_12 = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"]
CANARY = "Canary-Secret-Value-93x"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def profile(registry):
    return load_profile("hipaa-security-rule", registry)


def _at(rec: TargetRecord, address: str) -> TargetRecord:
    """The record as the collector writes it for a config_dir target with ``address:``."""
    return msgspec.structs.replace(rec, address=address)


def kamailio_tree(dst: Path, variant: str, listen: str = "") -> Path:
    """The lab's real Kamailio configuration, rendered as the lab renders it (optionally other listen lines)."""
    dst.mkdir(parents=True, exist_ok=True)
    for src, name in ((f"{variant}.cfg", "kamailio.cfg"), (f"{variant}-tls.cfg", "tls.cfg")):
        text = (KAMAILIO / src).read_text().replace("@DIR@", str(dst)).replace("@PORT_TLS@", "5061")
        text = text.replace("@PORT_SIP@", "5060")
        if listen and name == "kamailio.cfg":
            text = "\n".join(listen if line.startswith("listen=") and "tls:" in line else line
                             for line in text.splitlines() if not line.startswith("listen=") or "tls:" in line)
        (dst / name).write_text(text)
    return dst


def config_record(tree: Path, platform: str = "kamailio", name: str = "edge-config", clinic: str = "Lab") -> TargetRecord:
    return collect(Target(name=name, platform=platform, clinic=clinic,
                          source={"kind": "config_dir", "config_dir": str(tree)}))


def sip_record(address: str = "127.0.0.1", *, plaintext: str = "answered", versions=("TLS 1.2", "TLS 1.3"),
               suites=None, tls_completed: bool = True, clinic: str = "Lab", name: str = "edge-probe") -> TargetRecord:
    """A sip target's facts as live.collect_sip saves them: UDP/TCP probes, and the TLS port's scan."""
    suites = {"TLS 1.2": MOZILLA_12} if suites is None else suites
    probes = [SipTransportProbe(transport=t, port=5060, state=plaintext,  # type: ignore[arg-type]
                                detail="" if plaintext == "answered" else "connection refused",
                                options=SipResponse(status=200, reason="OK") if plaintext == "answered" else None)
              for t in ("udp", "tcp")]
    probes.append(SipTransportProbe(transport="tls", port=5061, state="answered", options=SipResponse(status=200)))
    scan = TlsScan(endpoint=f"{address}:5061", purpose="sip-tls", completed=tls_completed,
                   error="" if tls_completed else "handshake timed out",
                   accepted_versions=list(versions) if tls_completed else [], suites=suites if tls_completed else {},
                   suites_listed=tls_completed)
    return TargetRecord(name=name, platform="sip", clinic=clinic, source=f"sip://{address}",
                        facts=SipFacts(address=address, transports=probes, tls=[scan], probes_sent=6))


def drift(records, registry, profile, tmp: Path) -> dict[tuple[str, str], object]:
    """Judge the scan, save it, read it back and judge the saved facts again (rescore): both must agree."""
    doc = build_document(records, registry, profile, [], started_at="2026-11-23T00:00:00+00:00")
    save_scan(doc, tmp / "scan.json")
    saved = load_scan(tmp / "scan.json")
    again = build_document(saved.targets, registry, profile, [], started_at=saved.started_at)
    first = {(r.check_id, r.target): r for r in doc.results if r.check_id.startswith("DRIFT-")}
    second = {(r.check_id, r.target): r for r in again.results if r.check_id.startswith("DRIFT-")}
    assert {k: (r.status, r.evidence) for k, r in first.items()} == {k: (r.status, r.evidence) for k, r in second.items()}
    return first


def test_tls_only_configuration_but_plaintext_answers(tmp_path, registry, profile):
    cfg = _at(config_record(kamailio_tree(tmp_path / "hard", "hardened")), "127.0.0.1")
    got = drift([cfg, sip_record(versions=("TLS 1.0", "TLS 1.2"), suites={"TLS 1.2": ["AES128-SHA", *MOZILLA_12]})],
                registry, profile, tmp_path)
    sig = got[("DRIFT-SIG-101", "edge-config")]
    assert sig.status == Status.FAIL
    assert sig.location is not None and sig.location.file == "kamailio.cfg"  # the setting ...
    assert "listen=tls:" in (tmp_path / "hard" / "kamailio.cfg").read_text().splitlines()[sig.location.line - 1]
    assert "edge-probe 127.0.0.1 udp/5060 answers" in sig.evidence  # ... and the observation
    assert sig.fix
    ver = got[("DRIFT-TLS-101", "edge-config")]
    assert ver.status == Status.FAIL and ver.location.file == "tls.cfg"
    assert "nothing below TLS 1.2" in ver.evidence and "accepts TLS 1.0" in ver.evidence
    suites = got[("DRIFT-TLS-102", "edge-config")]
    assert suites.status == Status.FAIL and "AES128-SHA" in suites.evidence
    assert got[("DRIFT-MEDIA-101", "edge-config")].status == Status.NOT_APPLICABLE  # a proxy sets no media policy


def test_agreement_passes(tmp_path, registry, profile):
    cfg = _at(config_record(kamailio_tree(tmp_path / "hard", "hardened")), "127.0.0.1")
    got = drift([cfg, sip_record(plaintext="closed")], registry, profile, tmp_path)
    for cid in ("DRIFT-SIG-101", "DRIFT-TLS-101", "DRIFT-TLS-102"):
        assert got[(cid, "edge-config")].status == Status.PASS, got[(cid, "edge-config")].evidence
    assert "wire agrees" in got[("DRIFT-SIG-101", "edge-config")].evidence


def test_wire_stricter_than_configuration_passes_with_note(tmp_path, registry, profile):
    cfg = _at(config_record(kamailio_tree(tmp_path / "weak", "weak", listen="listen=tls:10.0.0.5:5061")), "10.0.0.5")
    got = drift([cfg, sip_record("10.0.0.5", plaintext="closed")], registry, profile, tmp_path)
    ver = got[("DRIFT-TLS-101", "edge-config")]  # method = TLSv1+ configured, only 1.2/1.3 accepted
    assert ver.status == Status.PASS and "stricter" in ver.evidence


def test_loopback_only_plaintext_cannot_be_told_from_loopback(tmp_path, registry, profile):
    """The weak lab config listens udp/tcp on 127.0.0.1: a probe from the same host proves nothing."""
    cfg = _at(config_record(kamailio_tree(tmp_path / "weak", "weak")), "127.0.0.1")
    got = drift([cfg, sip_record()], registry, profile, tmp_path)
    assert got[("DRIFT-SIG-101", "edge-config")].status == Status.NOT_APPLICABLE


def test_loopback_plaintext_answering_on_the_network_address(tmp_path, registry, profile):
    """Configuration: plaintext only on 127.0.0.1; the probe reached plaintext SIP on the host's LAN address."""
    tree = kamailio_tree(tmp_path / "lo", "hardened")
    text = (tree / "kamailio.cfg").read_text().replace("listen=tls:127.0.0.1:5061",
                                                       "listen=tls:10.0.0.5:5061\nlisten=udp:127.0.0.1:5060")
    (tree / "kamailio.cfg").write_text(text)
    got = drift([_at(config_record(tree), "10.0.0.5"), sip_record("10.0.0.5")], registry, profile, tmp_path)
    sig = got[("DRIFT-SIG-101", "edge-config")]
    assert sig.status == Status.FAIL and "plaintext SIP on loopback only" in sig.evidence


def test_configuration_admitting_plaintext_is_not_drift(tmp_path, registry, profile):
    cfg = _at(config_record(kamailio_tree(tmp_path / "w", "weak", listen="listen=tls:10.0.0.5:5061")), "10.0.0.5")
    text = (tmp_path / "w" / "kamailio.cfg").read_text().replace("listen=tls:", "listen=udp:10.0.0.5:5060\nlisten=tls:")
    (tmp_path / "w" / "kamailio.cfg").write_text(text)
    cfg = _at(config_record(tmp_path / "w"), "10.0.0.5")
    got = drift([cfg, sip_record("10.0.0.5")], registry, profile, tmp_path)
    sig = got[("DRIFT-SIG-101", "edge-config")]
    assert sig.status == Status.NOT_APPLICABLE and "ENC-SIG-101 judges it" in sig.evidence


def test_no_pair_is_not_applicable(tmp_path, registry, profile):
    tree = kamailio_tree(tmp_path / "hard", "hardened")
    other_host = sip_record("10.9.9.9")
    other_clinic = sip_record(clinic="Elsewhere", name="elsewhere-probe")
    got = drift([_at(config_record(tree), "127.0.0.1"), other_host, other_clinic], registry, profile, tmp_path)
    for cid in ("DRIFT-SIG-101", "DRIFT-MEDIA-101", "DRIFT-TLS-101", "DRIFT-TLS-102"):
        r = got[(cid, "edge-config")]
        assert r.status == Status.NOT_APPLICABLE and "no live target in this clinic" in r.evidence
    unsaid = drift([config_record(tree), sip_record()], registry, profile, tmp_path)  # no address: never guessed
    assert unsaid[("DRIFT-SIG-101", "edge-config")].status == Status.NOT_APPLICABLE
    assert "does not say which host" in unsaid[("DRIFT-SIG-101", "edge-config")].evidence


def test_failed_evidence_is_error_never_pass(tmp_path, registry, profile):
    tree = kamailio_tree(tmp_path / "hard", "hardened")
    got = drift([_at(config_record(tree), "127.0.0.1"), sip_record(plaintext="closed", tls_completed=False)],
                registry, profile, tmp_path)
    assert got[("DRIFT-TLS-101", "edge-config")].status == Status.ERROR
    assert "handshake timed out" in got[("DRIFT-TLS-101", "edge-config")].evidence
    assert got[("DRIFT-SIG-101", "edge-config")].status == Status.PASS  # that side's evidence is fine
    silent = sip_record(plaintext="no-answer")
    got = drift([_at(config_record(tree), "127.0.0.1"), silent], registry, profile, tmp_path)
    assert got[("DRIFT-SIG-101", "edge-config")].status == Status.ERROR  # UDP silence proves nothing
    failed = _at(TargetRecord(name="edge-config", platform="kamailio", clinic="Lab", source=str(tree),
                              failure=CollectionFailure(kind=ErrorKind.CONNECTIVITY, reason="host unreachable")), "127.0.0.1")
    got = drift([failed, sip_record()], registry, profile, tmp_path)
    assert all(got[(cid, "edge-config")].status == Status.ERROR
               for cid in ("DRIFT-SIG-101", "DRIFT-TLS-101", "DRIFT-TLS-102"))
    assert "host unreachable" in got[("DRIFT-SIG-101", "edge-config")].evidence
    alone = drift([failed], registry, profile, tmp_path)  # not collected and unpaired: ERROR, as its other rules
    assert {alone[(cid, "edge-config")].status for cid in ("DRIFT-SIG-101", "DRIFT-TLS-101")} == {Status.ERROR}
    # Kamailio never states a media policy (it relays SDP), failed or not: nothing to compare
    assert got[("DRIFT-MEDIA-101", "edge-config")].status == Status.NOT_APPLICABLE


def test_unreadable_configuration_is_error_and_names_no_value(tmp_path, registry, profile):
    tree = kamailio_tree(tmp_path / "hard", "hardened")
    with (tree / "kamailio.cfg").open("a") as fh:  # a line Kamailio would refuse, carrying a canary
        fh.write(f'\nmodparam("tls" "config" "{CANARY}"\n')
    got = drift([_at(config_record(tree), "127.0.0.1"), sip_record()], registry, profile, tmp_path)
    sig = got[("DRIFT-SIG-101", "edge-config")]
    assert sig.status == Status.ERROR and "configuration evidence missing" in sig.evidence
    assert CANARY not in repr(got)


def _capture(path: Path) -> Path:
    from scapy.utils import wrpcap

    from tests.lab.traffic import clinic_frames
    wrpcap(str(path), clinic_frames())
    return path


def asterisk_tree(dst: Path, media: str) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "pjsip.conf").write_text(
        "[transport-tls]\ntype=transport\nprotocol=tls\nbind=10.20.0.1:5061\ncert_file=/etc/asterisk/keys/pbx.crt\n"
        "priv_key_file=/etc/asterisk/keys/pbx.key\nmethod=tlsv1_2\n\n"
        f"[101]\ntype=endpoint\ntransport=transport-tls\nmedia_encryption={media}\ncontext=phones\n"
        "auth=101\naors=101\n\n[101]\ntype=aor\nmax_contacts=1\n\n"
        f"[101]\ntype=auth\nauth_type=userpass\nusername=101\npassword={CANARY}\n")
    return dst


def test_srtp_configured_but_capture_holds_plain_rtp(tmp_path, registry, profile):
    pcap = collect(Target(name="voice-span", platform="pcap", clinic="Lab",
                          source={"kind": "pcap", "file": str(_capture(tmp_path / "clinic.pcap"))}))
    assert pcap.failure is None and pcap.facts.streams
    pbx = _at(config_record(asterisk_tree(tmp_path / "ast", "sdes"), "asterisk", "pbx"), "10.20.0.1")
    got = drift([pbx, pcap], registry, profile, tmp_path)
    media = got[("DRIFT-MEDIA-101", "pbx")]
    assert media.status == Status.FAIL
    assert media.location.file == "pjsip.conf" and media.resource == "endpoint 101"
    assert "voice-span 10.20.0.1 stream 10.20.0.21:17000 -> 10.20.0.1:18000" in media.evidence
    assert "plain RTP" in media.evidence
    assert CANARY not in repr(got)
    # the capture says nothing about how this host's signalling listens: that drift has no pair
    assert got[("DRIFT-SIG-101", "pbx")].status == Status.NOT_APPLICABLE
    # a host none of the capture's streams touches is not paired with it
    far = _at(config_record(asterisk_tree(tmp_path / "ast2", "sdes"), "asterisk", "far-pbx"), "10.99.0.1")
    assert drift([far, pcap], registry, profile, tmp_path)[("DRIFT-MEDIA-101", "far-pbx")].status == Status.NOT_APPLICABLE
    # configuration that admits plain RTP itself: ENC-MEDIA-101 judges it, no drift
    plain = _at(config_record(asterisk_tree(tmp_path / "ast3", "no"), "asterisk", "plain-pbx"), "10.20.0.1")
    assert drift([plain, pcap], registry, profile, tmp_path)[("DRIFT-MEDIA-101", "plain-pbx")].status == Status.NOT_APPLICABLE


def test_host_keys():
    assert host_key("[::1]") == host_key("0:0:0:0:0:0:0:1") == "::1"
    assert host_key("PBX.Example.") == "pbx.example"
    rec = TargetRecord(name="x", platform="asterisk", source="ssh://audit@[2001:db8::5]:22/etc/asterisk")
    assert target_host(rec) == "2001:db8::5"
    rec = TargetRecord(name="x", platform="asterisk", source="ssh://audit@pbx.lan:2222/etc/asterisk")
    assert target_host(rec) == "pbx.lan"
    for hostile in ("ssh://", "ssh://@@@:::/", "ssh://[", "ssh://" + "[" * 100_000, "ssh://a@" + ":" * 100_000):
        target_host(TargetRecord(name="x", platform="asterisk", source=hostile))  # saved scans are input too


def test_config_dir_address_in_inventory_layout(tmp_path):
    t = Target.validate({"name": "pbx", "platform": "asterisk", "config_dir": "/srv/copy", "address": "10.0.0.5"})
    assert t.source.kind == "config_dir" and t.source.address == "10.0.0.5"
    # the collector keeps it on the saved record (also when collection fails), which is what drift pairs by
    from voxaudit.engine.collect import collect
    from voxaudit.engine.local import failed_record
    from voxaudit.model import ErrorKind
    rec = collect(t)
    assert rec.address == "10.0.0.5" and rec.failure is not None  # /srv/copy does not exist here
    assert failed_record(t, ErrorKind.TIMEOUT, "stopped").address == "10.0.0.5"
    assert Target.validate({"name": "pbx", "platform": "asterisk", "config_dir": "/c"}).source.address == ""
    for bad in ("10.0.0.5 extra", "/etc/x", "a" * 300):
        with pytest.raises(ValueError) as err:  # msgspec.ValidationError
            Target.validate({"name": "pbx", "platform": "asterisk", "config_dir": "/c", "address": bad})
        assert "address" in str(err.value)


def test_drift_controls_are_scored_by_both_profiles(registry):
    for name in ("hipaa-security-rule", "hipaa-2025-nprm"):
        ids = load_profile(name, registry).check_ids()
        assert {"DRIFT-SIG-101", "DRIFT-MEDIA-101", "DRIFT-TLS-101", "DRIFT-TLS-102"} <= set(ids)


# -- management interfaces: configuration keeps them on loopback, a connection from the scanner says otherwise ----

def _ami_tree(dst: Path, bindaddr: str) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "manager.conf").write_text(f"[general]\nenabled=yes\nport=5038\nbindaddr={bindaddr}\n\n"
                                      f"[admin]\nsecret={CANARY}\ndeny=0.0.0.0/0.0.0.0\npermit=127.0.0.1/255.255.255.255\n")
    return dst


def _admin_probe(address: str, *ports: tuple[int, str, str]) -> TargetRecord:
    from voxaudit.facts.network import AdminPortProbe
    probes = [AdminPortProbe(port=p, state=s, service=svc) for p, s, svc in ports]
    return TargetRecord(name="pbx-ports", platform="sip", clinic="Lab", source=f"sip://{address}", address=address,
                        facts=SipFacts(address=address, admin_ports=probes))


def test_ami_on_loopback_in_configuration_but_the_port_answers(tmp_path, registry, profile):
    pbx = _at(config_record(_ami_tree(tmp_path / "ast", "127.0.0.1"), "asterisk", "pbx"), "10.20.0.1")
    got = drift([pbx, _admin_probe("10.20.0.1", (5038, "open", "AMI"))], registry, profile, tmp_path)
    admin = got[("DRIFT-ADMIN-101", "pbx")]
    assert admin.status == Status.FAIL, admin.evidence
    assert admin.location.file == "manager.conf" and admin.resource == "manager.conf [general]"
    assert "AMI 127.0.0.1:5038" in admin.evidence and "pbx-ports 10.20.0.1 port 5038: accepted a connection (AMI)" in \
        admin.evidence
    assert CANARY not in repr(got)
    # the same probe on its own: plaintext AMI reachable beyond loopback
    (own,) = [r for r in build_document([_admin_probe("10.20.0.1", (5038, "open", "AMI"))], registry, profile, [],
                                        started_at="x").results if r.check_id == "ACC-ADMIN-101"]
    assert own.status == Status.FAIL and "plaintext AMI listening on 10.20.0.1" in own.evidence


def test_ami_port_closed_or_filtered_agrees(tmp_path, registry, profile):
    pbx = _at(config_record(_ami_tree(tmp_path / "ast", "127.0.0.1"), "asterisk", "pbx"), "10.20.0.1")
    for state in ("closed", "filtered"):
        got = drift([pbx, _admin_probe("10.20.0.1", (5038, state, ""))], registry, profile, tmp_path / state)
        assert got[("DRIFT-ADMIN-101", "pbx")].status == Status.PASS, state


def test_ami_not_on_loopback_or_port_not_probed_is_not_drift(tmp_path, registry, profile):
    wide = _at(config_record(_ami_tree(tmp_path / "wide", "0.0.0.0"), "asterisk", "pbx"), "10.20.0.1")
    got = drift([wide, _admin_probe("10.20.0.1", (5038, "open", "AMI"))], registry, profile, tmp_path / "w")
    assert got[("DRIFT-ADMIN-101", "pbx")].status == Status.NOT_APPLICABLE  # ACC-ADMIN-101 judges the setting itself
    narrow = _at(config_record(_ami_tree(tmp_path / "narrow", "127.0.0.1"), "asterisk", "pbx"), "10.20.0.1")
    got = drift([narrow, _admin_probe("10.20.0.1", (8088, "open", ""))], registry, profile, tmp_path / "n")
    assert got[("DRIFT-ADMIN-101", "pbx")].status == Status.NOT_APPLICABLE  # 5038 was not probed


def test_admin_port_probe_connects_and_names_what_answers():
    """Real sockets on loopback: a listener that greets as AMI does (Asterisk is not packaged for Debian 12,
    so its greeting line stands in), one that says nothing, and a port nothing listens on."""
    import socket
    import threading

    from voxaudit.collectors.sip import probe_admin_port

    def listener(greeting: bytes) -> socket.socket:
        s = socket.create_server(("127.0.0.1", 0))

        def serve() -> None:
            try:
                conn, _ = s.accept()
                with conn:
                    if greeting:
                        conn.sendall(greeting)
                    conn.recv(1)
            except OSError:
                pass
        threading.Thread(target=serve, daemon=True).start()
        return s

    ami, silent = listener(b"Asterisk Call Manager/7.0.3\r\n"), listener(b"")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    try:
        got = probe_admin_port("127.0.0.1", ami.getsockname()[1], 2.0)
        assert (got.state, got.service) == ("open", "AMI")
        got = probe_admin_port("127.0.0.1", silent.getsockname()[1], 0.5)
        assert (got.state, got.service) == ("open", "answers without a greeting")
        assert probe_admin_port("127.0.0.1", closed.getsockname()[1], 1.0).state == "closed"
    finally:
        for s in (ami, silent, closed):
            s.close()
