"""ENC-TLS-108/109 on the cipher lists PBXes hand to OpenSSL: PJSIP transports (``cipher=``, or pjlib's
default HIGH:-COMPLEMENTOFDEFAULT) and mod_sofia profiles (``tls-ciphers``, or ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH).

The expansion is checked against a real OpenSSL server given the same list: what the configuration
says a listener admits is what the collector's suite listing sees on the wire."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.checks.tls_server import scan_loopback_server
from tests.conftest import write_tree
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_asterisk_tree, collect_freeswitch_tree
from voxaudit.model import Status
from voxaudit.platforms.asterisk.tls import MOZILLA_PJSIP, PJSIP_DEFAULT_CIPHERS
from voxaudit.platforms.asterisk.tls import accepted_suites as pjsip_suites
from voxaudit.platforms.freeswitch.tls import SOFIA_DEFAULT_CIPHERS
from voxaudit.platforms.openssl import expand_cipher_list, suites_by_id

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
CONTROLS = ("ENC-TLS-108", "ENC-TLS-109")


def _judge(registry, facts) -> dict[str, dict[str, tuple[Status, str]]]:
    out: dict[str, dict[str, tuple[Status, str]]] = {}
    for cid in CONTROLS:
        ctl = registry.get(cid)
        out[cid] = {o.resource: (o.status, o.evidence) for o in ctl(facts, CheckContext(ctl.defaults()))}
    return out


def _pjsip(tmp_path: Path, transport_lines: str) -> object:
    return collect_asterisk_tree(write_tree(tmp_path, {"pjsip.conf": (
        "[tls-t]\ntype=transport\nprotocol=tls\nbind=0.0.0.0:5061\ncert_file=/etc/asterisk/keys/pbx.crt\n"
        "priv_key_file=/etc/asterisk/keys/pbx.key\n" + transport_lines)}))


def test_pjsip_without_cipher_uses_pjlibs_default_list_which_keeps_cbc_and_static_rsa(tmp_path, registry):
    got = _judge(registry, _pjsip(tmp_path, "method=tlsv1_2\n"))
    status, evidence = got["ENC-TLS-108"]["transport tls-t"]
    assert status == FAIL and "HIGH:-COMPLEMENTOFDEFAULT" in evidence and "(not AEAD)" in evidence
    status, evidence = got["ENC-TLS-109"]["transport tls-t"]
    assert status == FAIL and "AES256-GCM-SHA384 (static key exchange)" in evidence


def test_pjsip_listing_the_mozilla_suites_passes_by_name_or_number(tmp_path, registry):
    by_name = _judge(registry, _pjsip(tmp_path / "name", f"cipher={MOZILLA_PJSIP}\n"))
    assert {cid: v["transport tls-t"][0] for cid, v in by_name.items()} == {"ENC-TLS-108": PASS, "ENC-TLS-109": PASS}
    # res_pjsip takes IANA numbers too ("0x..." as hex, else atoi), and several cipher= lines add up
    numbers = _judge(registry, _pjsip(tmp_path / "num", "cipher=0xC02F, 0xc030\ncipher=49199\n"))
    assert numbers["ENC-TLS-108"]["transport tls-t"][0] == PASS
    assert suites_by_id()[0xC02F] == "ECDHE-RSA-AES128-GCM-SHA256"


def test_pjsip_naming_one_static_rsa_suite_fails_only_where_it_should(tmp_path, registry):
    got = _judge(registry, _pjsip(tmp_path, "method=tlsv1_2\ncipher=ECDHE-RSA-AES128-GCM-SHA256,AES128-GCM-SHA256\n"))
    assert got["ENC-TLS-109"]["transport tls-t"][0] == FAIL
    assert "AES128-GCM-SHA256 (static key exchange)" in got["ENC-TLS-109"]["transport tls-t"][1]
    assert "ECDHE-RSA-AES128-GCM-SHA256" not in got["ENC-TLS-109"]["transport tls-t"][1].split(":", 1)[1]


def test_pjsip_an_item_that_is_no_suite_is_unknown_never_pass(tmp_path, registry):
    # PJSIP looks each item up as one suite: "HIGH" is none, and the transport fails to load
    got = _judge(registry, _pjsip(tmp_path, "cipher=ECDHE-RSA-AES128-GCM-SHA256,HIGH\n"))
    for cid in CONTROLS:
        status, evidence = got[cid]["transport tls-t"]
        assert status == ERROR and "item 2" in evidence and "HIGH" not in evidence


def test_pjsip_method_pinned_below_tls13_adds_no_tls13_suites(tmp_path):
    facts = _pjsip(tmp_path, "method=tlsv1_2\ncipher=ECDHE-RSA-AES128-GCM-SHA256\n")
    (rec,) = pjsip_suites(facts)
    assert rec.suites == (("", "ECDHE-RSA-AES128-GCM-SHA256"),)
    (rec13,) = pjsip_suites(_pjsip(tmp_path / "13", "cipher=ECDHE-RSA-AES128-GCM-SHA256\n"))
    assert any(n.startswith("TLS_") for _, n in rec13.suites)


def _sofia(tmp_path: Path, params: str) -> object:
    return collect_freeswitch_tree(write_tree(tmp_path, {
        "vars.xml": "<include>\n</include>\n",
        "sip_profiles/internal.xml": ('<profile name="internal">\n  <settings>\n    <param name="tls" value="true"/>\n'
                                      f"{params}  </settings>\n</profile>\n")}))


def test_sofia_default_list_fails_and_the_mozilla_list_passes(tmp_path, registry):
    unset = _judge(registry, _sofia(tmp_path / "unset", ""))
    status, evidence = unset["ENC-TLS-109"]["sofia profile internal"]
    assert status == FAIL and "mod_sofia's default" in evidence
    from voxaudit.records.tls import MOZILLA_CIPHERS
    good = _judge(registry, _sofia(tmp_path / "good", f'    <param name="tls-ciphers" value="{MOZILLA_CIPHERS}"/>\n'))
    assert {cid: v["sofia profile internal"][0] for cid, v in good.items()} == {"ENC-TLS-108": PASS, "ENC-TLS-109": PASS}


def test_sofia_list_selecting_nothing_or_set_at_run_time_is_unknown(tmp_path, registry):
    nothing = _judge(registry, _sofia(tmp_path / "none", '    <param name="tls-ciphers" value="canary7:!ALL"/>\n'))
    assert nothing["ENC-TLS-108"]["sofia profile internal"][0] == ERROR
    assert "canary7" not in nothing["ENC-TLS-108"]["sofia profile internal"][1]
    runtime = _judge(registry, _sofia(tmp_path / "rt", '    <param name="tls-ciphers" value="${tls_ciphers}"/>\n'))
    assert runtime["ENC-TLS-109"]["sofia profile internal"][0] == ERROR


def test_a_huge_cipher_list_is_read_in_linear_time(tmp_path):
    items = ",".join(["ECDHE-RSA-AES128-GCM-SHA256"] * 20000)
    start = time.perf_counter()
    (rec,) = pjsip_suites(_pjsip(tmp_path, f"cipher={items}\n"))
    assert time.perf_counter() - start < 5 and len(rec.suites) >= 1


# -- the expansion is what a real OpenSSL server given the same list accepts ---------------------------------

def _serve_and_list(tmp_path: Path, cipher_list: str) -> list[str]:
    """The suites voxaudit's TLS collector lists on a real OpenSSL server given ``cipher_list`` (with DH
    parameters, as a PBX server offering DHE suites)."""
    return sorted(scan_loopback_server(tmp_path, cipher_list, dh=True).suites.get("TLS 1.2", []))


@pytest.mark.parametrize("cipher_list", [PJSIP_DEFAULT_CIPHERS, SOFIA_DEFAULT_CIPHERS])
def test_the_default_lists_expand_to_what_an_openssl_server_accepts(tmp_path, cipher_list):
    expanded = expand_cipher_list(cipher_list) or ()
    # The server holds an RSA certificate: the list also admits suites for ECDSA and DSA keys, and
    # anonymous ECDH (OpenSSL's security level refuses it at handshake), which it cannot negotiate.
    # Those stay in the configured view: the same list with an ECDSA certificate negotiates them.
    needs_other_key = ("ECDSA", "-DSS-", "AECDH")
    rsa_only = sorted(n for n in expanded if not any(k in n for k in needs_other_key))
    assert _serve_and_list(tmp_path, cipher_list) == rsa_only
    assert len(rsa_only) >= 10
