"""Configuration versus wire against running Kamailio on loopback: the lab's hardened configuration
(TLS only, TLS 1.2+, the Mozilla suites) read as a configuration target of 127.0.0.1, paired with real
SIP probes and a real TLS suite enumeration of the server that actually runs there.

* the weak server runs (plaintext SIP on UDP/TCP, TLS 1.0+, DEFAULT:@SECLEVEL=0): the configuration
  says one thing and the wire another, so every drift control FAILs, naming the setting (file:line) and
  the observation (target, host:port, the answer);
* the hardened server runs the same configuration: every comparison PASSes.

Both are judged again from the saved scan (save, load, evaluate: what ``rescore`` does) and must agree.
"""
from __future__ import annotations

import time
from pathlib import Path

import msgspec
import pytest

from tests.lab import servers
from voxaudit.engine.collect import collect
from voxaudit.engine.evaluate import build_document
from voxaudit.model import Status
from voxaudit.profile import load_profile
from voxaudit.registry import load_registry
from voxaudit.scan import TargetRecord, load_scan, save_scan
from voxaudit.targets import Target

pytestmark = pytest.mark.lab

KAMAILIO = Path(__file__).resolve().parent / "kamailio"
DRIFTS = ("DRIFT-SIG-101", "DRIFT-TLS-101", "DRIFT-TLS-102")


def hardened_copy(dst: Path, tls_port: int) -> Path:
    """The hardened configuration as the lab renders it: what the clinic's configuration copy says."""
    dst.mkdir(parents=True, exist_ok=True)
    for src, name in (("hardened.cfg", "kamailio.cfg"), ("hardened-tls.cfg", "tls.cfg")):
        text = (KAMAILIO / src).read_text().replace("@DIR@", str(dst)).replace("@PORT_TLS@", str(tls_port))
        (dst / name).write_text(text.replace("@PORT_SIP@", "0"))
    return dst


def _address(rec: TargetRecord, address: str) -> TargetRecord:
    if "address" in TargetRecord.__struct_fields__:  # collect() fills it from the target once it is recorded
        return rec if getattr(rec, "address", "") else msgspec.structs.replace(rec, address=address)
    return msgspec.structs.replace(rec, source=f"ssh://audit@{address}:22{rec.source}")  # the SSH form pairs alike


def scan(lab, tmp: Path, plaintext_port: int | None) -> tuple[dict[str, object], float]:
    """Collect the configuration copy and the live probes of 127.0.0.1 with the real collectors; judge,
    save, reload and judge again."""
    copy = hardened_copy(tmp / "copy", lab.tls_port)
    closed = servers.free_port()
    targets = [
        Target(name="edge-config", platform="kamailio", clinic="Lab",
               source={"kind": "config_dir", "config_dir": str(copy), "address": "127.0.0.1"}),
        Target(name="edge-probe", platform="sip", clinic="Lab",
               source={"kind": "sip", "address": "127.0.0.1", "udp": plaintext_port or closed,
                       "tcp": plaintext_port or closed, "tls": lab.tls_port, "domain": "pbx.lab.example",
                       "ca_file": str(lab.workdir / "ca.pem"), "timeout": 1.5}),
        Target(name="edge-tls", platform="tls", clinic="Lab",
               source={"kind": "tls", "endpoints": [{"host": "127.0.0.1", "port": lab.tls_port, "purpose": "sip-tls",
                                                     "server_name": "pbx.lab.example", "cipher_suites": True,
                                                     "ca_file": str(lab.workdir / "ca.pem"), "timeout": 3}]}),
    ]
    started = time.monotonic()
    records = [collect(t) for t in targets]
    took = time.monotonic() - started
    for r in records:
        assert r.failure is None, (r.name, r.failure)
    records[0] = _address(records[0], "127.0.0.1")
    registry = load_registry()
    profile = load_profile("hipaa-security-rule", registry)
    doc = build_document(records, registry, profile, [], started_at="2026-11-23T00:00:00+00:00")
    save_scan(doc, tmp / "scan.json")
    saved = load_scan(tmp / "scan.json")
    again = build_document(saved.targets, registry, profile, [], started_at=saved.started_at)
    first = {r.check_id: r for r in doc.results if r.check_id.startswith("DRIFT-")}
    second = {r.check_id: r for r in again.results if r.check_id.startswith("DRIFT-")}
    assert {k: (r.status, r.evidence) for k, r in first.items()} == {k: (r.status, r.evidence) for k, r in second.items()}
    assert {r.target for r in first.values()} == {"edge-config"}  # judged on the configuration target
    return first, took


def test_tls_only_configuration_while_the_weak_server_runs(kamailio_weak, tmp_path):
    got, took = scan(kamailio_weak, tmp_path, kamailio_weak.sip_port)
    copy = tmp_path / "copy"
    sig = got["DRIFT-SIG-101"]
    assert sig.status == Status.FAIL, sig.evidence
    line = (copy / sig.location.file).read_text().splitlines()[sig.location.line - 1]
    assert sig.location.file == "kamailio.cfg" and line.startswith("listen=tls:127.0.0.1:")  # the setting
    port = kamailio_weak.sip_port
    assert f"edge-probe 127.0.0.1 udp/{port} answers (OPTIONS -> 200)" in sig.evidence  # the observation
    assert f"tcp/{port} answers" in sig.evidence
    ver = got["DRIFT-TLS-101"]
    assert ver.status == Status.FAIL, ver.evidence
    assert ver.location.file == "tls.cfg" and "method = TLSv1.2+" in (copy / "tls.cfg").read_text().splitlines()[
        ver.location.line - 1]
    assert f"127.0.0.1:{kamailio_weak.tls_port}: accepts TLS 1.0" in ver.evidence
    suites = got["DRIFT-TLS-102"]
    assert suites.status == Status.FAIL, suites.evidence
    assert "AES128-SHA" in suites.evidence and "not selected by the configuration" in suites.evidence
    assert got["DRIFT-MEDIA-101"].status == Status.NOT_APPLICABLE  # Kamailio relays SDP: no media policy
    print(f"weak: collected in {took:.1f} s")


def test_same_configuration_on_the_hardened_server_agrees(kamailio_hardened, tmp_path):
    got, took = scan(kamailio_hardened, tmp_path, None)
    for cid in DRIFTS:
        assert got[cid].status == Status.PASS, (cid, got[cid].evidence)
    assert "no plaintext SIP" in got["DRIFT-SIG-101"].evidence
    print(f"hardened: collected in {took:.1f} s")


def test_srtp_configuration_against_plain_rtp_sniffed_between_namespaces(netns_pair, tmp_path):
    """A 'phone' namespace sends the lab clinic's frames (tests/lab/traffic.py: plain RTP and SRTP between
    the phone 10.20.0.21 and the PBX 10.20.0.1) over a veth pair; voxaudit sniffs them in the 'switch port'
    namespace through the CLI. The PBX's configuration copy requires SDES-SRTP on its endpoint."""
    import json

    from tests.test_drift import CANARY, asterisk_tree
    from voxaudit.scan import target_from_builtins

    doc, _ = servers.sniff_lab_traffic(netns_pair, tmp_path, "Lab", "voice-span")
    capture = target_from_builtins(doc["targets"][0])
    assert capture.facts is not None and capture.facts.streams, capture.failure
    pbx = collect(Target(name="pbx", platform="asterisk", clinic="Lab",
                         source={"kind": "config_dir", "config_dir": str(asterisk_tree(tmp_path / "ast", "sdes")),
                                 "address": "10.20.0.1"}))
    registry = load_registry()
    doc = build_document([_address(pbx, "10.20.0.1"), capture], registry, load_profile("hipaa-security-rule", registry),
                         [], started_at="2026-11-23T00:00:00+00:00")
    (media,) = [r for r in doc.results if r.check_id == "DRIFT-MEDIA-101"]
    assert media.status == Status.FAIL, media.evidence
    assert media.target == "pbx" and media.resource == "endpoint 101" and media.location.file == "pjsip.conf"
    assert "media_encryption=sdes" in media.evidence  # the setting
    assert "voice-span 10.20.0.1 stream 10.20.0.21:17000 -> 10.20.0.1:18000" in media.evidence  # the observation
    assert CANARY not in json.dumps(msgspec.to_builtins(doc.results))
