"""TLS beyond PJSIP transports: Asterisk's HTTPS server (http.conf), chan_sip's TLS (sip.conf [general]) and
AMI over TLS (manager.conf [general]), judged by ENC-TLS-101/102/103/108/109 as main/tcptls.c
(ast_tls_read_conf, __ssl_setup), main/http.c (__ast_http_load: tlsdisablev1 and its own cipher list by
default), chan_sip.c (reload_config) and main/manager.c (__init_manager) read them.

Fixtures: http.conf of tests/real_trees/fedenunez-docker-asterisk18 (tlsenable with the defaults) and of
tests/real_trees/opusvl-asterisk-realtime (tlsdisablev1/v11=yes), sip.conf and modules.conf of
tests/real_trees/cosmiccable-asterisk (tlsenable=yes, nothing else): provenance in each PROVENANCE.md."""
from __future__ import annotations

import pytest

from tests.conftest import REPO, scan_secret_free, write_tree
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status
from voxaudit.platforms.asterisk.tls_listeners import AMI, HTTP_DEFAULT_CIPHERS, SIP, protocol_versions

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
TREES = REPO / "tests" / "real_trees"
HTTP = "http.conf TLS listener"
GOOD_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
CANARY = "Tls-Canary-3Kp8"
CONTROLS = ("ENC-TLS-101", "ENC-TLS-102", "ENC-TLS-103", "ENC-TLS-108", "ENC-TLS-109")


def real(tree: str, name: str) -> str:
    return (TREES / tree / "conf" / name).read_text()


def listeners(run, facts, **params) -> dict[str, dict[str, Status]]:
    """Each control's results on the HTTPS and chan_sip listeners (PJSIP transports answer too)."""
    return {cid: {k: v for k, v in run(cid, facts, **params).items() if k in (HTTP, SIP, AMI)} for cid in CONTROLS}


def test_https_with_asterisks_defaults_admits_tls11_and_cbc_suites(tree, run):
    """fedenunez: tlsenable=yes, nothing else: http.c disables TLS 1.0 only, and its own 2015 list keeps CBC,
    static RSA and names DES-CBC3-SHA."""
    facts = tree({"http.conf": real("fedenunez-docker-asterisk18", "http.conf")})
    got = listeners(run, facts)
    assert got == {"ENC-TLS-101": {HTTP: FAIL}, "ENC-TLS-102": {HTTP: FAIL}, "ENC-TLS-103": {},
                   "ENC-TLS-108": {HTTP: FAIL}, "ENC-TLS-109": {HTTP: FAIL}}
    (rec,) = protocol_versions(facts, "http")
    assert rec.versions == (1.1, 1.2, 1.3) and "tlsdisablev1=yes (default)" in rec.setting
    assert listeners(run, facts, min_tls_version="1.1")["ENC-TLS-101"] == {HTTP: PASS}  # TLS 1.0 is off by default


def test_https_hardened_as_the_sample_suggests_passes(tree, run):
    """opusvl's http.conf sets tlsdisablev1/v11=yes: TLS 1.2 and 1.3 only; a Mozilla list passes the suites."""
    text = real("opusvl-asterisk-realtime", "http.conf")
    facts = tree({"http.conf": text})
    assert listeners(run, facts)["ENC-TLS-101"] == {HTTP: PASS}
    facts = tree({"http.conf": text.replace("tlsdisablev11=yes", f"tlsdisablev11=yes\ntlscipher={GOOD_CIPHERS}")})
    got = listeners(run, facts)
    assert got["ENC-TLS-102"] == got["ENC-TLS-108"] == got["ENC-TLS-109"] == {HTTP: PASS}


@pytest.mark.parametrize("http, on", [
    ("[general]\nenabled=yes\ntlsenable=yes\n", True),           # address taken from the plain server
    ("[general]\nenabled=no\ntlsenable=yes\n", False),          # nothing to take it from
    ("[general]\nenabled=no\ntlsenable=yes\ntlsbindaddr=0.0.0.0:8089\n", True),
    ("[general]\nenabled=no\nsslenable=yes\nsslbindaddr=0.0.0.0:8089\n", True),  # the old names
    ("[general]\nenabled=yes\ntlsenable=maybe\n", False),       # ast_true
    ("[general]\nenabled=yes\n", False),
])
def test_https_listener_exists_as_http_c_starts_it(tree, run, http, on):
    assert bool(listeners(run, tree({"http.conf": http}))["ENC-TLS-101"]) is on


def test_tls_disable_options_and_tlsv1_back_on(tree, run):
    base = "[general]\nenabled=yes\ntlsenable=yes\n"
    assert listeners(run, tree({"http.conf": base + "tlsdisablev11=yes\n"}))["ENC-TLS-101"] == {HTTP: PASS}
    assert listeners(run, tree({"http.conf": base + "tlsdisablev1=no\ntlsdisablev11=yes\n"}))[
        "ENC-TLS-101"] == {HTTP: FAIL}  # tlsdisablev1=no clears http.c's default


def test_a_list_openssl_refuses_is_not_judged_on_its_suites(tree, run):
    facts = tree({"http.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlscipher=NOSUCHCIPHER\n"})
    assert listeners(run, facts)["ENC-TLS-108"] == {HTTP: ERROR}


def test_chan_sip_tls_real_tree(tree, run):
    """cosmiccable: chan_sip loads (autoload=yes), tlsenable=yes: TLS 1.0 and 1.1 admitted, OpenSSL's default
    list (no named broken suite: 102 passes; its CBC and static-RSA suites: 108/109 fail), server verified."""
    facts = tree({"sip.conf": real("cosmiccable-asterisk", "sip.conf"),
                  "modules.conf": real("cosmiccable-asterisk", "modules.conf")})
    got = listeners(run, facts)
    assert got == {"ENC-TLS-101": {SIP: FAIL}, "ENC-TLS-102": {SIP: PASS}, "ENC-TLS-103": {SIP: PASS},
                   "ENC-TLS-108": {SIP: FAIL}, "ENC-TLS-109": {SIP: FAIL}}


@pytest.mark.parametrize("extra, versions, verify", [
    ("tlsdisablev1=yes\ntlsdisablev11=yes\n", PASS, PASS),
    ("tlsdisablev1=yes\ntlsdisablev11=yes\ntlsclientmethod=sslv3\n", FAIL, PASS),
    ("tlsdontverifyserver=yes\n", FAIL, FAIL),
    ("tlsdisablev1=yes\ntlsdisablev11=yes\ntlsdontverifyserver=no\n", PASS, PASS),
])
def test_chan_sip_options(tree, run, extra, versions, verify):
    facts = tree({"sip.conf": f"[general]\ntlsenable=yes\ntlscertfile=/etc/asterisk/keys/a.pem\n{extra}"})
    got = listeners(run, facts)
    assert got["ENC-TLS-101"] == {SIP: versions} and got["ENC-TLS-103"] == {SIP: verify}


def test_chan_sip_not_loaded_or_tls_off_is_not_judged(tree, run):
    sip = "[general]\ntlsenable=yes\ntlsdontverifyserver=yes\n"
    assert listeners(run, tree({"sip.conf": sip, "modules.conf": "[modules]\nautoload=yes\nnoload=chan_sip.so\n"})) == \
        {cid: {} for cid in CONTROLS}
    assert listeners(run, tree({"sip.conf": "[general]\ntlsenable=no\n"})) == {cid: {} for cid in CONTROLS}
    # a tlsenable inside a peer is no chan_sip option: [general] only
    assert listeners(run, tree({"sip.conf": "[general]\n[p]\ntype=peer\ntlsenable=yes\n"}))["ENC-TLS-101"] == {}


def test_a_refused_sip_conf_is_an_error_and_leaves_https_judged(tree, registry):
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord

    facts = tree({"sip.conf": "[general]\ntlsenable=yes\n#include missing_file.conf\n",
                  "http.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlsdisablev11=yes\n"})
    record = TargetRecord(name="pbx", platform="asterisk", facts=facts)
    got = {(r.resource, r.status) for r in evaluate_target(record, [registry.get("ENC-TLS-101")],
                                                           {"min_tls_version": "1.2"})}
    assert (HTTP, PASS) in got and ("(target)", ERROR) in got, got


def test_the_patches_fix_https_and_chan_sip(tmp_path):
    """voxaudit fix writes tlsdisablev1/v11=yes and the Mozilla list; the rescan has nothing left to fail here."""
    from tests.test_fix import round_trip

    tree = tmp_path / "tree"
    write_tree(tree, {"http.conf": real("fedenunez-docker-asterisk18", "http.conf"),
                      "sip.conf": "[general]\ntlsenable=yes\ntlsdontverifyserver=yes\ntlsclientmethod=sslv3\n"})
    (tmp_path / "work").mkdir()
    manifest, _ = round_trip(tree, "asterisk", tmp_path / "work")
    patched = {(o["check_id"], o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    for cid in ("ENC-TLS-101", "ENC-TLS-102", "ENC-TLS-108", "ENC-TLS-109"):
        assert (cid, HTTP) in patched, cid
    assert ("ENC-TLS-103", SIP) in patched and ("ENC-TLS-101", SIP) in patched
    http = (tree / "http.conf").read_text().replace(" ", "")
    assert "tlsdisablev11=yes" in http and f"tlscipher={GOOD_CIPHERS}" in http
    assert "tlsclientmethod=tlsv1" in (tree / "sip.conf").read_text().replace(" ", "")


def test_no_secret_in_reports(tmp_path):
    root = write_tree(tmp_path / "etc" / "asterisk", {
        "http.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlsprivatekey=/etc/asterisk/keys/pbx.key\n",
        "sip.conf": f"[general]\ntlsenable=yes\n[trunk]\ntype=peer\nhost=dynamic\nsecret={CANARY}\n",
        "manager.conf": f"[general]\nenabled=yes\n[admin]\nsecret={CANARY}\n"})
    doc = scan_secret_free(root, tmp_path / "out", "json,sarif,html", CANARY, platform="asterisk")
    assert {(r["check_id"], r["resource"]) for r in doc["results"]} >= {("ENC-TLS-101", HTTP), ("ENC-TLS-101", SIP)}


def test_http_default_list_is_asterisks(tmp_path):
    """The list http.c sets (kept verbatim from main/http.c): it names DES-CBC3-SHA and removes single DES."""
    assert HTTP_DEFAULT_CIPHERS.startswith("ECDHE-RSA-AES128-GCM-SHA256:") and ":DES-CBC3-SHA:!aNULL" in HTTP_DEFAULT_CIPHERS


def test_hostile_cipher_lines_are_linear(tmp_path):
    from tests.test_reader_fuzz import assert_linear
    from voxaudit.platforms.asterisk.tls_listeners import _weak, accepted_suites

    assert_linear(lambda n: lambda: _weak("!" + ":-DES" * n + ":" + "A" * n), 20_000, "tlscipher tokens")

    def make(n: int):
        root = write_tree(tmp_path / f"t{n}", {"http.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlscipher="
                                                           + "DES-CBC3-SHA:" * n + "\n"})
        facts = collect_asterisk_tree(root)
        return lambda: list(accepted_suites(facts, "http"))
    assert_linear(make, 2_000, "http.conf tlscipher expanded")


# --- AMI over TLS (manager.conf [general], main/manager.c __init_manager) ---

AMI_ON = "[general]\nenabled=yes\nport=5038\nbindaddr=127.0.0.1\ntlsenable=yes\ntlsbindaddr=0.0.0.0:5039\n"
AMI_USER = f"[admin]\nsecret={CANARY}\ndeny=0.0.0.0/0.0.0.0\npermit=10.0.0.5/255.255.255.255\nread=system\n"
AMI_HARDENED = f"tlsdisablev1=yes\ntlsdisablev11=yes\ntlscipher={GOOD_CIPHERS}\n"


def test_ami_tls_with_the_defaults_admits_tls10_and_cbc_suites(tree, run):
    """manager.c sets no version option and no list: TLS 1.0 and later, OpenSSL's default list (102 passes: it
    names no broken suite; 108/109 fail on its CBC and static-RSA suites). AMI verifies no peer: 103 unjudged."""
    facts = tree({"manager.conf": AMI_ON + AMI_USER})
    assert listeners(run, facts) == {"ENC-TLS-101": {AMI: FAIL}, "ENC-TLS-102": {AMI: PASS}, "ENC-TLS-103": {},
                                     "ENC-TLS-108": {AMI: FAIL}, "ENC-TLS-109": {AMI: FAIL}}
    (rec,) = protocol_versions(facts, "ami")
    assert rec.versions == (1.0, 1.1, 1.2, 1.3) and "tlsdisablev1=no (default)" in rec.setting
    assert rec.section == "manager.conf [general]"


def test_ami_tls_hardened_passes(tree, run):
    got = listeners(run, tree({"manager.conf": AMI_ON + AMI_HARDENED + AMI_USER}))
    assert got == {"ENC-TLS-101": {AMI: PASS}, "ENC-TLS-102": {AMI: PASS}, "ENC-TLS-103": {},
                   "ENC-TLS-108": {AMI: PASS}, "ENC-TLS-109": {AMI: PASS}}
    weak = listeners(run, tree({"manager.conf": AMI_ON + "tlsdisablev1=yes\ntlsdisablev11=yes\n"
                                "sslcipher=DES-CBC3-SHA:AES128-SHA\n"}))  # the old name of tlscipher
    assert weak["ENC-TLS-101"] == {AMI: PASS} and weak["ENC-TLS-102"] == {AMI: FAIL}


@pytest.mark.parametrize("manager, on", [
    ("[general]\nenabled=yes\ntlsenable=yes\n", True),                   # bindaddr's address, port 5039
    ("[general]\nenabled=yes\nbindaddr=0.0.0.0\nsslenable=yes\n", True),  # the old name
    ("[general]\nenabled=yes\ntlsenable=no\ntlsbindaddr=0.0.0.0:5039\n", False),
    ("[general]\nenabled=yes\ntlsenable=maybe\n", False),                # ast_true
    ("[general]\nenabled=yes\n", False),                                  # tlsenable defaults to no
    ("[general]\nenabled=no\ntlsenable=yes\n", False),                   # AMI off: no address at all
    ("[general]\ntlsenable=yes\n", False),                                # enabled defaults to no
    # AMI off but tlsbindaddr written: ast_tls_read_conf already stored it in amis_desc, and the TLS server starts
    ("[general]\nenabled=no\ntlsenable=yes\ntlsbindaddr=0.0.0.0:5039\n", True),
    ("[general]\nenabled=yes\n[admin]\ntlsenable=yes\n", False),        # [general] only
])
def test_ami_tls_listener_exists_as_manager_c_starts_it(tree, run, manager, on):
    assert bool(listeners(run, tree({"manager.conf": manager}))["ENC-TLS-101"]) is on


def test_ami_client_options_manager_c_refuses_change_nothing(tree, run):
    """tlsclientmethod=sslv3 is refused by manager.c (an invalid keyword there): it adds no SSL version."""
    facts = tree({"manager.conf": AMI_ON + "tlsdisablev1=yes\ntlsdisablev11=yes\ntlsclientmethod=sslv3\n"})
    assert listeners(run, facts)["ENC-TLS-101"] == {AMI: PASS}
    (rec,) = protocol_versions(facts, "ami")
    assert rec.versions == (1.2, 1.3)


def test_a_refused_manager_conf_is_an_error_and_leaves_the_others_judged(tree, registry):
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord

    facts = tree({"manager.conf": AMI_ON + "#include missing_file.conf\n",
                  "http.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlsdisablev11=yes\n"})
    record = TargetRecord(name="pbx", platform="asterisk", facts=facts)
    got = {(r.resource, r.status) for r in evaluate_target(record, [registry.get("ENC-TLS-101")],
                                                           {"min_tls_version": "1.2"})}
    assert (HTTP, PASS) in got and ("(target)", ERROR) in got, got
    assert not any(res == AMI and status != ERROR for res, status in got), got


def test_ami_reachable_beyond_loopback_only_over_tls_passes_acc_admin_101(tree, run):
    """ACC-ADMIN-101 judges the plaintext AMI listener (bindaddr): loopback with TLS on every address passes;
    a plaintext bindaddr beyond loopback fails whatever tlsenable says (manager.c starts both listeners)."""
    assert run("ACC-ADMIN-101", tree({"manager.conf": AMI_ON + AMI_USER}))["manager.conf [general]"] == PASS
    open_too = AMI_ON.replace("bindaddr=127.0.0.1", "bindaddr=0.0.0.0")
    assert run("ACC-ADMIN-101", tree({"manager.conf": open_too + AMI_USER}))["manager.conf [general]"] == FAIL


def test_the_patches_fix_ami_tls(tmp_path):
    """voxaudit fix writes tlsdisablev1/v11=yes and the Mozilla list into manager.conf [general]; the rescan
    passes ENC-TLS-101/102/108/109 on the AMI TLS listener."""
    from tests.test_fix import round_trip

    tree = tmp_path / "tree"
    write_tree(tree, {"manager.conf": AMI_ON + AMI_USER})
    (tmp_path / "work").mkdir()
    manifest, _ = round_trip(tree, "asterisk", tmp_path / "work")
    patched = {(o["check_id"], o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    for cid in ("ENC-TLS-101", "ENC-TLS-108", "ENC-TLS-109"):
        assert (cid, AMI) in patched, cid
    text = (tree / "manager.conf").read_text()
    general = text.replace(" ", "").split("[admin]")[0]
    assert "tlsdisablev1=yes" in general and "tlsdisablev11=yes" in general and f"tlscipher={GOOD_CIPHERS}" in general
    assert f"secret={CANARY}" in text  # the user is left as it was
    facts = collect_asterisk_tree(tree)
    assert protocol_versions(facts, "ami").__next__().versions == (1.2, 1.3)


def test_no_manager_secret_in_ami_tls_reports(tmp_path):
    root = write_tree(tmp_path / "etc" / "asterisk", {"manager.conf": AMI_ON + AMI_USER})
    doc = scan_secret_free(root, tmp_path / "out", "json,sarif,html", CANARY, platform="asterisk")
    got = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]}
    assert got[("ENC-TLS-101", AMI)] == "FAIL" and got[("ENC-TLS-108", AMI)] == "FAIL", got


def test_ami_tls_alone_with_enabled_no_is_judged_by_the_access_controls(tree, run):
    """enabled=no with tlsenable=yes and a tlsbindaddr: manager.c starts the TLS server only. ACC-ADMIN-101 sees no
    plaintext listener (pass, not "AMI disabled"); ACC-ADMIN-103 judges the users that can log in there."""
    tls_only = ("[general]\nenabled=no\nbindaddr=0.0.0.0\ntlsenable=yes\ntlsbindaddr=0.0.0.0:5039\n"
                f"[open]\nsecret={CANARY}\nread=system\n")
    facts = tree({"manager.conf": tls_only})
    assert run("ACC-ADMIN-101", facts) == {"manager.conf [general]": PASS}
    assert run("ACC-ADMIN-103", facts) == {"manager user open": FAIL}
    off = tree({"manager.conf": tls_only.replace("tlsbindaddr=0.0.0.0:5039\n", "")})
    assert "manager.conf [general]" not in run("ACC-ADMIN-101", off)
    assert "manager user open" not in run("ACC-ADMIN-103", off)
    # the users who log in there have their secrets judged too (AUTH-SECRET-101), as on a plaintext AMI
    weak = tree({"manager.conf": tls_only.replace(f"secret={CANARY}", "secret=amp111")})
    assert run("AUTH-SECRET-101", weak).get("manager user open") == FAIL
    assert "manager user open" not in run("AUTH-SECRET-101", tree({"manager.conf": weak_off(tls_only)}))


def weak_off(manager_conf: str) -> str:
    """The same manager.conf with AMI off everywhere (no tlsbindaddr: the TLS server has no address either)."""
    return manager_conf.replace("tlsbindaddr=0.0.0.0:5039\n", "").replace(f"secret={CANARY}", "secret=amp111")


# -- ENC-TLS-104: the certificate and key each listener is configured with ---------------------------------------

def credentials(run, facts) -> dict[str, Status]:
    return {k: v for k, v in run("ENC-TLS-104", facts).items() if k in (HTTP, SIP, AMI)}


def test_listeners_without_tlscertfile_fail_enc_tls_104(tree, run):
    """fedenunez's http.conf names /etc/asterisk/keys/asterisk.crt and .key: PASS. cosmiccable's sip.conf (and an
    AMI with tlsenable alone) name no certificate: chan_sip.c and manager.c default certfile to AST_CERTFILE, the
    relative "asterisk.pem" (tcptls.h), which OpenSSL opens in Asterisk's working directory, not
    /etc/asterisk/keys; no file the configuration names, so FAIL (never PASS)."""
    facts = tree({"http.conf": real("fedenunez-docker-asterisk18", "http.conf"),
                  "sip.conf": real("cosmiccable-asterisk", "sip.conf"),
                  "modules.conf": real("cosmiccable-asterisk", "modules.conf"),
                  "manager.conf": "[general]\nenabled=yes\ntlsenable=yes\n"})
    assert credentials(run, facts) == {HTTP: PASS, SIP: FAIL, AMI: FAIL}


@pytest.mark.parametrize("lines, status", [
    ("tlscertfile=/etc/asterisk/keys/pbx.crt\ntlsprivatekey=/etc/asterisk/keys/pbx.key\n", PASS),
    ("tlscertfile=/etc/asterisk/keys/pbx.pem\n", PASS),           # no tlsprivatekey: the key is read from the cert file
    ("sslcert=/etc/asterisk/keys/pbx.pem\n", PASS),               # the old names (ast_tls_read_conf)
    ("tlscert=/etc/asterisk/keys/pbx.pem\n", PASS),
    ("tlsprivatekey=/etc/asterisk/keys/pbx.key\n", FAIL),         # the certificate is still asterisk.pem in the cwd
    ("tlscertfile=\n", FAIL),                                     # empty: __ssl_setup loads no certificate at all
    ("tlscertfile=/etc/asterisk/keys/pbx.pem\ntlscertfile=\n", FAIL),  # the last line wins
    ("tlscertfile=\nsslcert=/etc/asterisk/keys/pbx.pem\n", PASS),
])
def test_certificate_options_as_tcptls_reads_them(tmp_path, run, lines, status):
    for name, conf, subject in (("http.conf", "[general]\nenabled=yes\ntlsenable=yes\n", HTTP),
                                ("sip.conf", "[general]\ntlsenable=yes\n", SIP),
                                ("manager.conf", "[general]\nenabled=yes\ntlsenable=yes\n", AMI)):
        facts = collect_asterisk_tree(write_tree(tmp_path / name, {name: conf + lines}))
        assert credentials(run, facts) == {subject: status}, name


def test_no_tls_listener_leaves_enc_tls_104_to_pjsip(tree, run):
    """tlsenable off (or chan_sip not loaded): no listener, no ENC-TLS-104 record for it."""
    facts = tree({"http.conf": "[general]\nenabled=yes\ntlscertfile=/x.pem\n",
                  "sip.conf": "[general]\ntlsenable=yes\n",
                  "modules.conf": "[modules]\nautoload=yes\nnoload=chan_sip.so\n"})
    assert credentials(run, facts) == {}


def test_enc_tls_104_fix_names_the_settings_and_no_value(tmp_path):
    """The scan's ENC-TLS-104 failure names the file and the settings, never a value (a canary in a password)."""
    conf = write_tree(tmp_path / "etc-asterisk", {
        "http.conf": "[general]\nenabled=yes\ntlsenable=yes\n",
        "manager.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlsprivatekey=/k/pbx.key\n"
                        f"[admin]\nsecret={CANARY}\nread=all\nwrite=all\n",
        "sip.conf": f"[general]\ntlsenable=yes\ntlscertfile=/k/pbx.pem\n[trunk]\ntype=peer\nsecret={CANARY}\n"})
    out = scan_secret_free(conf, tmp_path / "out", "json,md,sarif", CANARY)
    got = {r["resource"]: r for r in out["results"] if r["check_id"] == "ENC-TLS-104" and r["resource"] in (HTTP, SIP, AMI)}
    assert {k: r["status"] for k, r in got.items()} == {HTTP: "FAIL", AMI: "FAIL", SIP: "PASS"}
    assert "tlscertfile" in got[HTTP]["evidence"] and "tlscertfile" in got[AMI]["evidence"]


def test_enc_tls_104_fix_is_a_note_for_a_person(tmp_path):
    """No certificate path is guessed: the fix writer leaves a note in the listener's [general] and the round
    trip (patch applied, scanned again) holds."""
    from tests.test_fix import round_trip
    conf = write_tree(tmp_path / "conf", {"http.conf": "[general]\nenabled=yes\ntlsenable=yes\ntlsdisablev11=yes\n",
                                          "sip.conf": "[general]\ntlsenable=yes\ntlsdisablev1=yes\ntlsdisablev11=yes\n"})
    manifest, out = round_trip(conf, "asterisk", tmp_path)
    got = {o["resource"]: o["outcome"] for o in manifest["findings"] if o["check_id"] == "ENC-TLS-104"}
    assert got == {HTTP: "person", SIP: "person"}, got
