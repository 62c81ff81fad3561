"""ENC-TLS-*: the TLS policy controls on hand-built records, and the same weakness judged alike on every
platform that binds them (real configuration text and scan facts)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import write_tree
from voxaudit.check import CheckContext
from voxaudit.checks.tls import (
    certificate_expiry,
    certificate_key,
    certificate_valid,
    no_weak_ciphers,
    peer_verified,
    protocol_floor,
    server_credentials,
)
from voxaudit.collectors.offline import collect_freeswitch_tree, collect_kamailio_tree, collect_opensips_tree
from voxaudit.control import Params
from voxaudit.facts.network import CertificateFacts, SipFacts, TlsEndpointFacts, TlsScan
from voxaudit.model import Severity, Status
from voxaudit.records.tls import (
    CertificateInfo,
    CipherSuites,
    PeerVerification,
    PresentedCertificate,
    ProtocolVersions,
    ServerCredentials,
    version_name,
)

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
P12 = Params({"min_tls_version": "1.2", "cert_warning_days": 30})
P13 = Params({"min_tls_version": "1.3", "cert_warning_days": 30})
GOOD_CERT = CertificateInfo(holder="CN=pbx.example", issuer="CN=Clinic CA", not_after="2027-06-01T00:00:00+00:00",
                            days_left=190, key_type="RSA", key_bits=3072, trusted=True, hostname_match=True)
OPENSIPS = Path(__file__).resolve().parent.parent / "fixtures" / "opensips" / "hardened"


def cert(**kw: object) -> PresentedCertificate:
    fields = {f: getattr(GOOD_CERT, f) for f in GOOD_CERT.__struct_fields__}
    fields.update(kw)
    return PresentedCertificate(subject="tls 10.0.0.5:5061", observed=True, certificate=CertificateInfo(**fields),
                                server_name="pbx.example")


# -- the controls on records ---------------------------------------------------------------------------------

def test_version_names():
    assert [version_name(v) for v in (0.2, 0.3, 1.0, 1.1, 1.2, 1.3, 0.0)] == [
        "SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3", "an unrecognised protocol version"]


def test_protocol_floor_configured():
    old = ProtocolVersions(subject="transport t", versions=(1.0,), setting="method=tlsv1")
    v = protocol_floor.judge(old, P12)
    assert v.status == FAIL and v.evidence == "method=tlsv1 admits TLS 1.0"
    ok = ProtocolVersions(subject="transport t", versions=(1.2,), setting="method=tlsv1_2")
    assert protocol_floor.judge(ok, P12) == protocol_floor.judge(ok, P12)
    assert protocol_floor.judge(ok, P12).status == PASS and protocol_floor.judge(ok, P12).evidence == "method=tlsv1_2"
    assert protocol_floor.judge(ok, P13).status == FAIL
    listed = ProtocolVersions(subject="p", versions=(1.0, 1.1, 1.2), setting="versions=a,b,c")
    assert protocol_floor.judge(listed, P12).evidence == "versions=a,b,c admits TLS 1.0, TLS 1.1"
    assert protocol_floor.judge(listed, Params({"min_tls_version": "1.0"})).status == PASS


def test_protocol_floor_observed_and_unknown():
    seen = ProtocolVersions(subject="tls h:5061", observed=True, versions=(1.0, 1.2))
    v = protocol_floor.judge(seen, P12)
    assert v.status == FAIL and v.evidence == "accepts TLS 1.0 (all: TLS 1.0, TLS 1.2)"
    good = ProtocolVersions(subject="tls h:5061", observed=True, versions=(1.2, 1.3))
    assert protocol_floor.judge(good, P12).evidence == "accepts only TLS 1.2, TLS 1.3"
    hidden = ProtocolVersions(subject="p", versions=(), undecidable="set on the running host; not assessed")
    v = protocol_floor.judge(hidden, P12)
    assert v.status == ERROR and "not assessed" in v.evidence


def test_weak_ciphers():
    listed = CipherSuites(subject="t", weak=("RC4-MD5",), setting="cipher list")
    assert no_weak_ciphers.judge(listed, P12).evidence == "cipher list admits weak suites (RC4-MD5)"
    clean = CipherSuites(subject="t", setting="cipher list")
    assert no_weak_ciphers.judge(clean, P12).status == PASS
    seen = CipherSuites(subject="tls h", observed=True, weak=tuple(f"TLS 1.0 S{i}" for i in range(9)), setting="TLS 1.2")
    v = no_weak_ciphers.judge(seen, P12)
    assert v.status == FAIL and v.evidence.count("TLS 1.0 S") == 6  # at most six quoted
    ok = no_weak_ciphers.judge(CipherSuites(subject="tls h", observed=True, setting="TLS 1.3 only"), P12)
    assert ok.status == PASS and ok.evidence.endswith("(TLS 1.3 only)")


def test_peer_verification_and_server_credentials():
    off = PeerVerification(subject="t", verifies=False, setting="verify=off")
    assert peer_verified.judge(off, P12).evidence == "verify=off: any certificate is accepted from peers"
    assert peer_verified.judge(PeerVerification(subject="t", verifies=True, setting="verify=on"), P12).status == PASS
    hidden = PeerVerification(subject="t", verifies=False, setting="", undecidable="runtime; not assessed")
    assert peer_verified.judge(hidden, P12).status == ERROR
    missing = server_credentials.judge(ServerCredentials(subject="t", missing=("cert", "key")), P12)
    assert missing.status == FAIL and missing.evidence == "TLS listener without cert, key"
    assert server_credentials.judge(ServerCredentials(subject="t"), P12).status == PASS


def test_presented_certificate_validity():
    assert certificate_valid.judge(cert(), P12).status == PASS
    assert "matches pbx.example" in certificate_valid.judge(cert(), P12).evidence
    v = certificate_valid.judge(cert(trusted=False, self_signed=True, hostname_match=False, days_left=-3,
                                     not_after="2026-11-20T00:00:00"), P12)
    assert v.status == FAIL
    assert v.evidence == "CN=pbx.example: expired 3 days ago (2026-11-20); self-signed; does not match pbx.example"
    assert "not trusted (issuer CN=Clinic CA)" in certificate_valid.judge(cert(trusted=False), P12).evidence
    unread = PresentedCertificate(subject="tls h", observed=True, certificate=None)
    for ctl in (certificate_valid, certificate_key, certificate_expiry):
        assert ctl.judge(unread, P12).status == ERROR, ctl.id


def test_certificate_key_and_expiry():
    assert certificate_key.judge(cert(), P12).status == PASS
    for key_type, bits in (("RSA", 1024), ("DSA", 1024), ("EC", 224)):
        v = certificate_key.judge(cert(key_type=key_type, key_bits=bits), P12)
        assert v.status == FAIL and v.evidence == f"{key_type} {bits}-bit key"
    assert certificate_key.judge(cert(key_type="EC", key_bits=256), P12).status == PASS
    assert certificate_key.judge(cert(key_type="GOST", key_bits=256), P12).status == ERROR
    assert certificate_key.judge(cert(key_type="", key_bits=0), P12).status == ERROR
    assert certificate_expiry.judge(cert(), P12).status == PASS
    assert certificate_expiry.judge(cert(days_left=10), P12).evidence == "expires in 10 days"
    assert certificate_expiry.judge(cert(days_left=10), Params({"cert_warning_days": 7})).status == PASS
    expired = certificate_expiry.judge(cert(days_left=-31, not_after="2026-01-01T00:00:00"), P12)
    assert expired.status == FAIL and expired.evidence == "expired 31 days ago (2026-01-01)"


def test_controls_are_vendor_neutral(registry):
    for cid in ("ENC-TLS-101", "ENC-TLS-102", "ENC-TLS-103", "ENC-TLS-104", "ENC-TLS-105", "ENC-TLS-106",
                "ENC-TLS-107"):
        meta = registry.get(cid).meta
        text = f"{meta.title} {meta.rationale}".lower()
        for word in ("asterisk", "pjsip", "freeswitch", "sofia", "kamailio", "opensips", "tls.cfg", "method="):
            assert word not in text, (cid, word)
    assert registry.resolve("AST-TLS-103") == ["ENC-TLS-103", "ENC-TLS-104"]
    assert registry.resolve("TLS-NET-104") == ["ENC-TLS-106", "ENC-TLS-107"]
    assert registry.get("ENC-TLS-101").meta.aliases == {
        "asterisk": ["AST-TLS-102"], "freeswitch": ["FS-TLS-102"], "kamailio": ["KAM-TLS-103"],
        "opensips": ["KAM-TLS-103"], "sip": ["TLS-NET-101"], "tls": ["TLS-NET-101"]}


# -- one weakness, every platform ------------------------------------------------------------------------------

KAMAILIO_CFG = """#!KAMAILIO
enable_tls=yes
listen=tls:10.20.30.5:5061
loadmodule "tls.so"
modparam("tls", "config", "/etc/kamailio/tls.cfg")
"""
KAMAILIO_TLS = """
[server:default]
method = {method}
private_key = /etc/kamailio/kamailio.key
certificate = /etc/kamailio/kamailio.pem

[client:default]
method = {method}
verify_certificate = {verify}
"""
FS_PROFILE = """<profile name="internal">
  <settings>
    <param name="tls" value="true"/>
    <param name="tls-only" value="true"/>
    <param name="tls-version" value="{versions}"/>
    <param name="tls-verify-policy" value="{policy}"/>
  </settings>
</profile>
"""
PJSIP = """
[tls]
type=transport
protocol=tls
bind=0.0.0.0:5061
cert_file=/etc/asterisk/keys/pbx.crt
priv_key_file=/etc/asterisk/keys/pbx.key
method={method}
verify_server={verify}
cipher={cipher}
"""


def _scan(versions: list[str], weak: list[str]) -> TlsScan:
    return TlsScan(endpoint="10.0.0.5:5061", completed=True, accepted_versions=versions, weak_ciphers=weak,
                   certificate=CertificateFacts(subject="CN=pbx", issuer="CN=CA", not_after="2027-06-01", days_left=190,
                                                key_type="RSA", key_bits=3072, trusted=True, hostname_match=True))


def _platforms(tmp_path: Path, tree, weak: bool) -> dict[str, object]:
    """The same policy on each platform: weak = TLS 1.0 admitted, peers unverified, RC4 admitted."""
    opensips = tmp_path / "opensips"
    shutil.copytree(OPENSIPS, opensips)
    if weak:
        cfg = (opensips / "opensips.cfg").read_text()
        cfg = cfg.replace('"[carrier]TLSv1_2-TLSv1_3"', '"[carrier]TLSv1"').replace('"[carrier]1"', '"[carrier]0"')
        (opensips / "opensips.cfg").write_text(cfg)
    scan = _scan(["TLS 1.0", "TLS 1.2"] if weak else ["TLS 1.2", "TLS 1.3"], ["TLS 1.0 RC4-MD5"] if weak else [])
    return {
        "asterisk": tree({"pjsip.conf": PJSIP.format(method="tlsv1" if weak else "tlsv1_2", verify="no" if weak else "yes",
                                                     cipher="AES256-SHA:RC4-MD5" if weak else "ECDHE-RSA-AES256-GCM-SHA384")}),
        "freeswitch": collect_freeswitch_tree(write_tree(tmp_path / "fs", {"sip_profiles/internal.xml": FS_PROFILE.format(
            versions="tlsv1,tlsv1.2" if weak else "tlsv1.2,tlsv1.3", policy="none" if weak else "out")})),
        "kamailio": collect_kamailio_tree(write_tree(tmp_path / "kam", {
            "kamailio.cfg": KAMAILIO_CFG, "tls.cfg": KAMAILIO_TLS.format(method="TLSv1+" if weak else "TLSv1.2+",
                                                                       verify="no" if weak else "yes")})),
        "opensips": collect_opensips_tree(opensips),
        "sip": SipFacts(address="10.0.0.5", tls=[scan]),
        "tls": TlsEndpointFacts(address="10.0.0.5", tls=[scan]),
    }


@pytest.mark.parametrize("cid, platforms", [
    ("ENC-TLS-101", ("asterisk", "freeswitch", "kamailio", "opensips", "sip", "tls")),
    ("ENC-TLS-102", ("asterisk", "sip", "tls")),
    ("ENC-TLS-103", ("asterisk", "freeswitch", "kamailio", "opensips")),
])
def test_same_weakness_same_status_and_severity_on_every_platform(tmp_path, tree, registry, cid, platforms):
    ctl = registry.get(cid)
    severity = {"ENC-TLS-101": Severity.HIGH, "ENC-TLS-102": Severity.HIGH, "ENC-TLS-103": Severity.MEDIUM}[cid]
    assert ctl.meta.severity == severity
    assert set(ctl.meta.platforms) == set(platforms)
    for weak, expected in ((True, FAIL), (False, PASS)):
        facts = _platforms(tmp_path / str(weak), tree, weak)
        for platform in platforms:
            assert facts[platform].platform == platform
            outcomes = ctl(facts[platform], CheckContext(ctl.defaults()))
            judged = {o.resource: o.status for o in outcomes}
            assert expected in judged.values(), (cid, platform, weak, judged)
            if not weak:
                assert FAIL not in judged.values(), (cid, platform, judged)
            # through the 1.x ID the platform's binding replaced: the same severity
            for alias in ctl.meta.aliases[platform]:
                assert registry.get(alias).meta.severity == severity


def test_weak_asterisk_transport_fix_lines(tree, registry):
    facts = tree({"pjsip.conf": PJSIP.format(method="tlsv1", verify="no", cipher="ALL")})
    by_id = {cid: registry.get(cid)(facts, CheckContext(registry.get(cid).defaults())) for cid in (
        "ENC-TLS-101", "ENC-TLS-102", "ENC-TLS-103")}
    assert by_id["ENC-TLS-101"][0].fix == ["[tls]", "method=tlsv1_2"]
    assert by_id["ENC-TLS-102"][0].evidence == "cipher list admits weak suites (ALL)"
    assert by_id["ENC-TLS-103"][0].fix == ["[tls]", "verify_server=yes", "ca_list_file=/etc/ssl/certs/ca-certificates.crt"]
    bare = tree({"pjsip.conf": "[t]\ntype=transport\nprotocol=tls\nverify_server=yes\n"})
    out = registry.get("ENC-TLS-104")(bare, CheckContext({}))
    assert [(o.resource, o.status, o.fix) for o in out] == [
        ("transport t", FAIL, ["[t]", "cert_file=/etc/asterisk/keys/<file>", "priv_key_file=/etc/asterisk/keys/<file>"])]
    assert {o.status for o in registry.get("AST-TLS-103")(bare, CheckContext({}))} == {FAIL}


def test_freeswitch_runtime_settings_are_not_assessed(tmp_path, registry):
    vars_xml = ('<include>\n  <X-PRE-PROCESS cmd="env-set" data="tls_versions=$TLS_VERSIONS"/>\n'
                '  <X-PRE-PROCESS cmd="exec-set" data="verify_policy=cat /etc/verify"/>\n</include>\n')
    facts = collect_freeswitch_tree(write_tree(tmp_path / "fs", {"vars.xml": vars_xml, "sip_profiles/internal.xml": FS_PROFILE.format(
        versions="$${tls_versions}", policy="$${verify_policy}")}))
    for cid in ("ENC-TLS-101", "ENC-TLS-103"):
        outcomes = registry.get(cid)(facts, CheckContext(registry.get(cid).defaults()))
        assert {o.status for o in outcomes} == {ERROR}, (cid, [(o.status, o.evidence) for o in outcomes])


def test_a_minimum_that_is_no_tls_version_is_unknown_never_pass():
    """Profiles are checked at load, but the judge itself never passes on a floor it cannot compare with."""
    from voxaudit.checks.tls import protocol_floor
    from voxaudit.control import Params
    from voxaudit.records.tls import ProtocolVersions

    rec = ProtocolVersions(subject="tls", versions=(1.0, 1.2), setting="method=tlsv1")
    for bad in ("nan", "inf", "TLSv1.2", "0.5"):
        v = protocol_floor.judge(rec, Params({"min_tls_version": bad}))
        assert v.status.value == "ERROR", bad
    assert protocol_floor.judge(rec, Params({"min_tls_version": "1.2"})).status.value == "FAIL"
