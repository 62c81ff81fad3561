"""voxaudit's TLS verdicts against sslyze's own Mozilla-intermediate check, side by side on the lab's
weak and hardened Kamailio (tests/lab/kamailio/*-tls.cfg): both say the weak one is not compliant,
for the same reasons where voxaudit judges them, and both pass the hardened one."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from voxaudit.check import CheckContext
from voxaudit.facts.network import TlsEndpointFacts
from voxaudit.model import Status

pytestmark = pytest.mark.lab

TLS_CONTROLS = ("ENC-TLS-101", "ENC-TLS-102", "ENC-TLS-105", "ENC-TLS-106", "ENC-TLS-107", "ENC-TLS-108", "ENC-TLS-109",
                "ENC-TLS-110", "ENC-TLS-111")
# sslyze's issue -> the voxaudit control that judges the same thing. sslyze's curve, DH/ECDH size,
# certificate type/signature and TLS-vulnerability checks have no voxaudit control (yet): on the
# hardened server they are held absent, so agreement there is not luck, except the curves (KNOWN_GAPS).
SAME_QUESTION = {"tls_versions": "ENC-TLS-101", "ciphers": "ENC-TLS-108", "ciphersuites": "ENC-TLS-108",
                 "certificate_path_validation": "ENC-TLS-105", "maximum_certificate_lifespan": "ENC-TLS-110",
                 "rsa_key_size": "ENC-TLS-106", "certificate_curves": "ENC-TLS-106"}


def _voxaudit(lab, registry) -> tuple[dict[str, tuple[Status, str]], object]:
    from voxaudit.collectors.tls import TlsTarget, scan_tls

    (scan,) = scan_tls([TlsTarget(host="127.0.0.1", port=lab.tls_port, purpose="sip-tls", server_name="pbx.lab.example",
                                  ca_file=str(lab.workdir / "ca.pem"), timeout=3)])
    assert scan.completed and scan.suites_listed, (scan.error, scan.suites_error)
    facts = TlsEndpointFacts(address="127.0.0.1", tls=[scan])
    out = {}
    for cid in TLS_CONTROLS:
        ctl = registry.get(cid)
        (o,) = ctl(facts, CheckContext(ctl.defaults()))
        out[cid] = (o.status, o.evidence)
    return out, scan


def _sslyze(lab):
    """sslyze's scan with every command its Mozilla checker needs, and the checker's verdict: {} when
    compliant, else its issues. The lab CA is given to sslyze as the clinic's own CA, as voxaudit gets it."""
    from sslyze import Scanner, ServerNetworkLocation, ServerScanRequest
    from sslyze.mozilla_tls_profile.tls_config_checker import (
        SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
        MozillaTlsConfiguration,
        ServerNotCompliantWithTlsConfiguration,
        TlsConfigurationEnum,
        check_server_against_tls_configuration,
    )
    from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
    from sslyze.scanner.models import ScanCommandsExtraArguments

    request = ServerScanRequest(
        server_location=ServerNetworkLocation(hostname="127.0.0.1", port=lab.tls_port),
        scan_commands=SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(lab.workdir / "ca.pem"))))
    scanner = Scanner(per_server_concurrent_connections_limit=1)  # Kamailio drops suites under parallel load
    scanner.queue_scans([request])
    (result,) = list(scanner.get_results())
    try:
        check_server_against_tls_configuration(result, MozillaTlsConfiguration.get(
            TlsConfigurationEnum.MOZILLA_INTERMEDIATE))
        return {}, result
    except ServerNotCompliantWithTlsConfiguration as exc:
        return exc.issues, result


def _sslyze_suites(result) -> dict[str, set[str]]:
    """Every suite sslyze saw accepted, per version, in OpenSSL's names (as voxaudit lists them)."""
    labels = {"ssl_3_0_cipher_suites": "SSL 3.0", "tls_1_0_cipher_suites": "TLS 1.0", "tls_1_1_cipher_suites": "TLS 1.1",
              "tls_1_2_cipher_suites": "TLS 1.2", "tls_1_3_cipher_suites": "TLS 1.3"}
    out = {}
    for attr, label in labels.items():
        accepted = getattr(result.scan_result, attr).result.accepted_cipher_suites
        if accepted:
            out[label] = {c.cipher_suite.openssl_name for c in accepted}
    return out


@pytest.fixture(scope="module")
def side_by_side(kamailio_weak, kamailio_hardened, registry):
    pytest.importorskip("sslyze")
    out = {}
    for name, lab in (("weak", kamailio_weak), ("hardened", kamailio_hardened)):
        started = time.monotonic()
        verdicts, scan = _voxaudit(lab, registry)
        voxaudit_s = time.monotonic() - started
        started = time.monotonic()
        issues, result = _sslyze(lab)
        sslyze_s = time.monotonic() - started
        print(f"\n{name}: voxaudit {voxaudit_s:.2f} s, sslyze (Mozilla checker's commands) {sslyze_s:.2f} s;"
              f" sslyze issues: {sorted(issues)};"
              f" voxaudit FAIL: {sorted(c for c, (s, _) in verdicts.items() if s != Status.PASS)}")
        out[name] = (verdicts, scan, issues, result)
    return out


def test_weak_server_fails_in_both_for_the_same_reasons(side_by_side):
    verdicts, scan, issues, result = side_by_side["weak"]
    assert issues, "sslyze finds the weak server compliant"
    for issue, cid in SAME_QUESTION.items():
        if issue in issues:
            assert verdicts[cid][0] == Status.FAIL, (issue, cid, issues[issue], verdicts[cid])
    assert {"tls_versions", "ciphers", "certificate_path_validation", "maximum_certificate_lifespan"} <= set(issues)
    for cid in ("ENC-TLS-101", "ENC-TLS-105", "ENC-TLS-107", "ENC-TLS-108", "ENC-TLS-109", "ENC-TLS-110", "ENC-TLS-111"):
        assert verdicts[cid][0] == Status.FAIL, (cid, verdicts[cid])
    assert "AES128-SHA (static key exchange, not AEAD)" in verdicts["ENC-TLS-109"][1]
    assert "valid 800 days, over 398" in verdicts["ENC-TLS-110"][1]
    assert "no subjectAltName" in verdicts["ENC-TLS-111"][1]
    assert "expired 3" in verdicts["ENC-TLS-107"][1] and "self-signed" in verdicts["ENC-TLS-105"][1]


@pytest.mark.parametrize("server", ["weak", "hardened"])
def test_voxaudit_lists_exactly_the_suites_sslyze_accepted(side_by_side, server):
    """Suite by suite and version by version: voxaudit's elimination lists what sslyze's one-handshake-
    per-suite enumeration found accepted (sslyze reaches every suite nassl's OpenSSL knows). sslyze runs
    one connection at a time here: with its default five, Kamailio 5.6 dropped some handshakes and
    sslyze missed a suite (AES256-SHA on TLS 1.1) or its ROBOT result in about one run in three."""
    _verdicts, scan, _issues, result = side_by_side[server]
    ours = {v: set(names) for v, names in scan.suites.items()}
    assert ours == _sslyze_suites(result)
    rejected = set().union(*ours.values()) - {n for n in set().union(*ours.values())
                                             if n.startswith("TLS_") or "GCM" in n or "CHACHA20" in n}
    if server == "weak":
        assert {"AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-SHA"} <= rejected  # static RSA and CBC, both seen
    else:
        assert not rejected


# What sslyze judges and no voxaudit control does yet, on the hardened server: OpenSSL 3's default
# key-exchange groups include X448 and P-521, which Mozilla's intermediate profile leaves out, and
# Kamailio 5.6 cannot limit them (tls.cfg has no option; OPENSSL_CONF crashed its TLS workers).
KNOWN_GAPS = {"tls_curves"}


def test_hardened_server_passes_in_both(side_by_side):
    verdicts, scan, issues, _result = side_by_side["hardened"]
    assert set(issues) <= KNOWN_GAPS, issues
    assert {c: s for c, (s, _) in verdicts.items() if s != Status.PASS} == {}, verdicts
    assert scan.accepted_versions == ["TLS 1.2", "TLS 1.3"]
    assert scan.certificate.lifetime_days == 91 and scan.certificate.san_names == ["pbx.lab.example", "127.0.0.1"]
