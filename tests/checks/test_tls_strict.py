"""ENC-TLS-108..111 (Mozilla intermediate suites, forward secrecy, certificate lifetime, subjectAltName)
and the expired and self-signed certificates ENC-TLS-105/107 judge, on certificates the openssl command
makes at test time, read by the collector's own certificate reader, and on Kamailio tls.cfg cipher lists."""
from __future__ import annotations

import datetime
import json
import re
import ssl
import subprocess
from pathlib import Path

import msgspec
import pytest

from tests.checks.tls_server import scan_loopback_server
from tests.conftest import write_tree
from voxaudit.check import CheckContext
from voxaudit.checks.tls import certificate_lifetime, certificate_san, forward_secrecy, mozilla_suites
from voxaudit.collectors.offline import collect_kamailio_tree, collect_opensips_tree
from voxaudit.control import Params
from voxaudit.facts.network import SipFacts, TlsEndpointFacts, TlsScan
from voxaudit.model import Status
from voxaudit.records.tls import (
    MOZILLA_CIPHERS,
    MOZILLA_INTERMEDIATE_TLS12,
    MOZILLA_INTERMEDIATE_TLS13,
    AcceptedSuites,
    CertificateInfo,
    PresentedCertificate,
    aead,
    forward_secret,
)

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
LAB_KAMAILIO = Path(__file__).resolve().parents[1] / "lab" / "kamailio"
P = Params({"max_cert_lifetime_days": 398})


# -- the profile is sslyze's, and OpenSSL agrees with the suite classification -------------------------------

def test_mozilla_intermediate_is_the_list_sslyze_checks_against():
    pytest.importorskip("sslyze")
    from sslyze.mozilla_tls_profile.tls_config_checker import MozillaTlsConfiguration, TlsConfigurationEnum

    profile = MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE)
    assert MOZILLA_INTERMEDIATE_TLS12 == profile.ciphers.openssl
    assert MOZILLA_INTERMEDIATE_TLS13 == profile.ciphersuites
    assert set(MOZILLA_CIPHERS.split(":")) <= MOZILLA_INTERMEDIATE_TLS12  # the fix we print is in the profile


def test_forward_secrecy_and_aead_read_from_names_agree_with_openssl():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    ephemeral = {"kx-ecdhe", "kx-dhe", "kx-ecdhe-psk", "kx-dhe-psk", "kx-any"}
    suites = ctx.get_ciphers()
    assert len(suites) > 100
    for c in suites:
        assert forward_secret(c["name"]) == (c["kea"] in ephemeral), c["description"]
        assert aead(c["name"]) == c["aead"], c["description"]
    # the legacy names nassl's OpenSSL reports for suites OpenSSL 3 no longer has
    assert not forward_secret("DES-CBC3-SHA") and not forward_secret("RC4-MD5") and forward_secret("EDH-RSA-DES-CBC3-SHA")


# -- the suite controls on records ---------------------------------------------------------------------------

def test_suites_outside_the_profile_and_static_rsa_fail():
    seen = AcceptedSuites(subject="tls h:5061", observed=True, setting="listed per version: TLS 1.2, TLS 1.3", suites=(
        ("TLS 1.2", "ECDHE-RSA-AES128-GCM-SHA256"), ("TLS 1.2", "ECDHE-RSA-AES128-SHA"), ("TLS 1.2", "AES256-GCM-SHA384"),
        ("TLS 1.3", "TLS_AES_128_GCM_SHA256")))
    v = mozilla_suites.judge(seen, P)
    assert v.status == FAIL
    assert v.evidence == ("accepts 2 suite(s) outside Mozilla intermediate 5.7: TLS 1.2 ECDHE-RSA-AES128-SHA (not AEAD); "
                          "TLS 1.2 AES256-GCM-SHA384 (static key exchange)")
    v = forward_secrecy.judge(seen, P)
    assert v.status == FAIL and v.evidence == "accepts 1 suite(s) without forward secrecy: TLS 1.2 AES256-GCM-SHA384 (static key exchange)"
    good = AcceptedSuites(subject="t", observed=True, setting="s", suites=(
        ("TLS 1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"), ("TLS 1.2", "DHE-RSA-AES256-GCM-SHA384"), ("TLS 1.3", "TLS_AES_256_GCM_SHA384")))
    assert mozilla_suites.judge(good, P).status == PASS and forward_secrecy.judge(good, P).status == PASS
    # TLS 1.3 CCM: ephemeral and AEAD, but not one of the profile's
    ccm = AcceptedSuites(subject="t", observed=True, suites=(("TLS 1.3", "TLS_AES_128_CCM_SHA256"),))
    assert mozilla_suites.judge(ccm, P).status == FAIL and forward_secrecy.judge(ccm, P).status == PASS
    many = AcceptedSuites(subject="t", suites=tuple(("", f"AES{i}-SHA") for i in range(9)))
    assert mozilla_suites.judge(many, P).evidence.endswith("and 3 more")


def test_unknown_suites_are_errors_never_passes():
    for rec in (AcceptedSuites(subject="t", undecidable="not evaluated: the listing stopped"),
                AcceptedSuites(subject="t", setting="nothing listed")):
        for ctl in (mozilla_suites, forward_secrecy):
            assert ctl.judge(rec, P).status == ERROR, ctl.id


def test_certificate_lifetime_and_san_on_records():
    def seen(**kw: object) -> PresentedCertificate:
        return PresentedCertificate(subject="tls h", observed=True, certificate=CertificateInfo(holder="CN=pbx", **kw))  # type: ignore[arg-type]
    assert certificate_lifetime.judge(seen(lifetime_days=398), P).status == PASS
    v = certificate_lifetime.judge(seen(lifetime_days=825), P)
    assert v.status == FAIL and v.evidence == "CN=pbx: valid 825 days, over 398"
    assert certificate_lifetime.judge(seen(lifetime_days=825), Params({"max_cert_lifetime_days": 900})).status == PASS
    assert certificate_san.judge(seen(san_names=("pbx.example",)), P).status == PASS
    assert certificate_san.judge(seen(san_names=()), P).status == FAIL
    for ctl in (certificate_lifetime, certificate_san):  # an older scan recorded neither: unknown, not fine
        assert ctl.judge(seen(), P).status == ERROR
        assert ctl.judge(PresentedCertificate(subject="t", observed=True, certificate=None), P).status == ERROR


# -- real certificates, made by the openssl command --------------------------------------------------------

CA_CNF = """[ca]
default_ca = lab
[lab]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = supplied
"""


def _openssl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def _stamp(days: int) -> str:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)).strftime("%Y%m%d%H%M%SZ")


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> dict[str, tuple[object, bool]]:
    """name -> (the leaf as cryptography reads it, whether `openssl verify` trusts it under the test CA)."""
    from cryptography import x509

    d = tmp_path_factory.mktemp("certs")
    (d / "ca.cnf").write_text(CA_CNF)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    assert _openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days",
                    "30", "-subj", "/CN=Test Clinic CA").returncode == 0
    plans = {  # name: (start, end in days from now, subjectAltName or "")
        "good": (-1, 89, "DNS:pbx.example"), "long": (-1, 824, "DNS:pbx.example"),
        "nosan": (-1, 89, ""), "expired": (-100, -10, "DNS:pbx.example"),
    }
    out: dict[str, tuple[object, bool]] = {}
    for name, (start, end, san) in plans.items():
        (d / f"{name}.ext").write_text(f"basicConstraints=CA:FALSE\n{'subjectAltName=' + san if san else ''}\n")
        assert _openssl(d, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                        "-subj", "/CN=pbx.example").returncode == 0
        made = _openssl(d, "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", f"{name}.csr",
                        "-out", f"{name}.pem", "-startdate", _stamp(start), "-enddate", _stamp(end), "-extfile", f"{name}.ext")
        assert made.returncode == 0, made.stderr
    assert _openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days",
                    "90", "-subj", "/CN=pbx.example", "-addext", "subjectAltName=DNS:pbx.example").returncode == 0
    for name in (*plans, "self"):
        trusted = _openssl(d, "verify", "-CAfile", "ca.pem", f"{name}.pem").returncode == 0
        out[name] = (x509.load_pem_x509_certificate((d / f"{name}.pem").read_bytes()), trusted)
    return out


def _judge(registry, cert_and_trust: tuple[object, bool], platform: str = "tls") -> dict[str, tuple[Status, str]]:
    from voxaudit.collectors.tls import certificate_facts

    leaf, trusted = cert_and_trust
    scan = TlsScan(endpoint="10.0.0.5:5061", server_name="pbx.example", completed=True,
                   accepted_versions=["TLS 1.2", "TLS 1.3"], suites_listed=True,
                   suites={"TLS 1.2": ["ECDHE-RSA-AES128-GCM-SHA256"], "TLS 1.3": ["TLS_AES_128_GCM_SHA256"]},
                   certificate=certificate_facts(leaf, trusted, "pbx.example"))
    facts = TlsEndpointFacts(address="10.0.0.5", tls=[scan]) if platform == "tls" else SipFacts(address="10.0.0.5", tls=[scan])
    out = {}
    for cid in ("ENC-TLS-105", "ENC-TLS-107", "ENC-TLS-108", "ENC-TLS-109", "ENC-TLS-110", "ENC-TLS-111"):
        ctl = registry.get(cid)
        (o,) = ctl(facts, CheckContext(ctl.defaults()))
        out[cid] = (o.status, o.evidence)
    return out


def test_a_good_ca_issued_certificate_passes_every_control(certs, registry):
    for platform in ("tls", "sip"):
        got = _judge(registry, certs["good"], platform)
        assert {s for s, _ in got.values()} == {PASS}, got
    assert _judge(registry, certs["good"])["ENC-TLS-111"][1] == "subjectAltName pbx.example"


def test_a_certificate_valid_over_398_days_fails_only_the_lifetime(certs, registry):
    got = _judge(registry, certs["long"])
    assert got["ENC-TLS-110"] == (FAIL, "CN=pbx.example: valid 825 days, over 398")
    assert all(s == PASS for cid, (s, _) in got.items() if cid != "ENC-TLS-110"), got


def test_a_certificate_without_subject_alt_name_fails_the_san_control(certs, registry):
    got = _judge(registry, certs["nosan"])
    assert got["ENC-TLS-111"][0] == FAIL and "no subjectAltName" in got["ENC-TLS-111"][1]
    assert got["ENC-TLS-110"][0] == PASS and got["ENC-TLS-105"][0] == PASS  # the common name still matches


def test_an_expired_certificate_fails_validity_and_expiry(certs, registry):
    got = _judge(registry, certs["expired"])
    assert not certs["expired"][1]  # openssl verify refuses it too
    for cid in ("ENC-TLS-105", "ENC-TLS-107"):
        assert got[cid][0] == FAIL and re.search(r"expired 1[01] days ago", got[cid][1]), (cid, got[cid])
    assert got["ENC-TLS-110"][0] == PASS and got["ENC-TLS-111"][0] == PASS


def test_a_self_signed_certificate_is_not_trusted(certs, registry):
    assert not certs["self"][1]
    got = _judge(registry, certs["self"])
    assert got["ENC-TLS-105"][0] == FAIL and "self-signed" in got["ENC-TLS-105"][1]
    assert got["ENC-TLS-110"] == (PASS, "valid 90 days (at most 398)")


def test_scans_saved_before_the_new_fields_load_and_are_not_assessed(registry):
    old = {"platform": "tls", "address": "10.0.0.5", "tls": [{
        "endpoint": "10.0.0.5:5061", "completed": True, "accepted_versions": ["TLS 1.2"],
        "certificate": {"subject": "CN=pbx", "issuer": "CN=CA", "not_after": "2027-06-01", "days_left": 190,
                        "key_type": "RSA", "key_bits": 3072, "trusted": True, "hostname_match": True}}]}
    facts = msgspec.json.decode(json.dumps(old).encode(), type=TlsEndpointFacts)
    for cid in ("ENC-TLS-108", "ENC-TLS-109", "ENC-TLS-110", "ENC-TLS-111"):
        ctl = registry.get(cid)
        (o,) = ctl(facts, CheckContext(ctl.defaults()))
        assert o.status == ERROR and "not evaluated" in o.evidence, (cid, o)
    assert registry.get("ENC-TLS-105")(facts, CheckContext({}))[0].status == PASS  # the old controls still judge it


# -- configured cipher lists: Kamailio tls.cfg and OpenSIPS tls_mgm -----------------------------------------

KAMAILIO_CFG = """#!KAMAILIO
enable_tls=yes
listen=tls:10.20.30.5:5061
loadmodule "tls.so"
modparam("tls", "config", "/etc/kamailio/tls.cfg")
"""


def _kamailio(tmp_path: Path, tls_cfg: str, registry) -> dict[str, list[tuple[str, Status, str]]]:
    facts = collect_kamailio_tree(write_tree(tmp_path, {"kamailio.cfg": KAMAILIO_CFG, "tls.cfg": tls_cfg}))
    out = {}
    for cid in ("ENC-TLS-108", "ENC-TLS-109"):
        ctl = registry.get(cid)
        out[cid] = [(o.resource, o.status, o.evidence) for o in ctl(facts, CheckContext(ctl.defaults()))]
    return out


def test_the_lab_tls_cfg_files_are_judged_as_their_servers_are(tmp_path, registry):
    """The same tls.cfg the lab's Kamailio runs (tests/lab/kamailio): weak fails both, hardened passes both."""
    weak = _kamailio(tmp_path / "weak", (LAB_KAMAILIO / "weak-tls.cfg").read_text().replace("@DIR@", "/etc/kamailio"),
                     registry)
    for cid, outcomes in weak.items():
        assert {s for _, s, _ in outcomes} == {FAIL}, (cid, outcomes)  # server: DEFAULT; client: unset (DEFAULT too)
    assert "AES128-SHA (static key exchange, not AEAD)" in dict((r, e) for r, _, e in weak["ENC-TLS-109"])[
        "tls [server:default]"]
    hardened = _kamailio(tmp_path / "hard", (LAB_KAMAILIO / "hardened-tls.cfg").read_text().replace("@DIR@", "/etc/k"),
                         registry)
    for cid, outcomes in hardened.items():
        assert [(r, s) for r, s, _ in outcomes] == [("tls [server:default]", PASS), ("tls [client:default]", PASS)], (cid,
                                                                                                                    outcomes)


def test_an_unset_or_unreadable_cipher_list(tmp_path, registry):
    # a tls.cfg without a client default still has one, with the module's defaults (tls_mod.c): judged too
    server = "tls [server:default]"
    unset = _kamailio(tmp_path / "unset", "[server:default]\nmethod = TLSv1.2+\n", registry)
    assert {r: s for r, s, _ in unset["ENC-TLS-108"]} == {server: FAIL, "tls [client:default]": FAIL}
    assert all("OpenSSL's DEFAULT" in e for _, _, e in unset["ENC-TLS-108"])
    nothing = _kamailio(tmp_path / "nothing", "[server:default]\ncipher_list = canary7:!ALL\n", registry)
    for cid, outcomes in nothing.items():
        (resource, status, evidence), = [o for o in outcomes if o[0] == server]
        assert status == ERROR and "selects no suite" in evidence and "canary7" not in evidence, (cid, outcomes)
    # suites OpenSSL 3 no longer has are judged by name: the PBX's OpenSSL may still have them
    legacy = _kamailio(tmp_path / "legacy", "[server:default]\nmethod = TLSv1.2\ncipher_list = RC4-SHA:DES-CBC3-SHA:!aNULL\n",
                       registry)
    (_, status, evidence), = [o for o in legacy["ENC-TLS-109"] if o[0] == server]
    assert status == FAIL and "unknown to this OpenSSL: RC4-SHA, DES-CBC3-SHA" in evidence and "aNULL" not in evidence
    tls12_only = _kamailio(tmp_path / "tls12", f"[server:default]\nmethod = TLSv1.2\ncipher_list = {MOZILLA_CIPHERS}\n",
                           registry)
    (_, status, evidence), = [o for o in tls12_only["ENC-TLS-108"] if o[0] == server]
    assert "TLS_AES" not in evidence and status == PASS


def test_opensips_ciphers_list_is_judged_the_same_way(tmp_path, registry):
    """tls_mgm domains without ciphers_list use OpenSSL's DEFAULT list (CBC, static RSA): FAIL; a domain
    given the profile's list passes. The OpenSIPS fixture is tests/fixtures/opensips/hardened."""
    import shutil

    root = tmp_path / "opensips"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "opensips" / "hardened", root)

    def judged() -> dict[str, Status]:
        facts = collect_opensips_tree(root)
        ctl = registry.get("ENC-TLS-109")
        return {o.resource: o.status for o in ctl(facts, CheckContext({}))}

    before = judged()
    assert before and set(before.values()) == {FAIL}, before
    cfg = (root / "opensips.cfg").read_text()
    line = 'modparam("tls_mgm", "tls_method", "[clinic]TLSv1_2-TLSv1_3")\n'
    assert line in cfg
    (root / "opensips.cfg").write_text(cfg.replace(line, line + f'modparam("tls_mgm", "ciphers_list", "[clinic]{MOZILLA_CIPHERS}")\n'))
    after = judged()
    assert after["tls [server:clinic]"] == PASS and after["tls [client:default]"] == FAIL, after


# -- the collector lists every accepted suite (a Python TLS server on loopback) -------------------------------

def test_the_scan_lists_exactly_the_suites_a_server_accepts(tmp_path, registry):
    """A TLS 1.2-only server accepting one static-RSA CBC suite and one ECDHE-GCM suite: the scan lists
    both (and no other), the Mozilla and forward-secrecy controls fail on the first."""
    scan = scan_loopback_server(tmp_path, "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256")
    assert scan.accepted_versions == ["TLS 1.2"]
    assert sorted(scan.suites["TLS 1.2"]) == ["AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]
    facts = TlsEndpointFacts(address="127.0.0.1", tls=[scan])
    for cid, expected in (("ENC-TLS-108", FAIL), ("ENC-TLS-109", FAIL), ("ENC-TLS-110", PASS), ("ENC-TLS-111", PASS)):
        (o,) = registry.get(cid)(facts, CheckContext(registry.get(cid).defaults()))
        assert o.status == expected, (cid, o.evidence)
    assert "TLS 1.2 AES128-SHA (static key exchange, not AEAD)" in registry.get("ENC-TLS-109")(
        facts, CheckContext({}))[0].evidence
