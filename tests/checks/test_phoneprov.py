"""res_phoneprov: Asterisk serving each provisioned phone's file (its SIP secret filled in) from http.conf's
server, judged by DEV-PRV-101 (encrypted channel) and DEV-PRV-103 (only to a device that authenticates) with
res_phoneprov.c's own rules (profiles, the users provider's autoprov and macaddress, default_profile) and http.c's
listeners."""
from pathlib import Path

import pytest

from tests.conftest import scan_secret_free
from voxaudit.model import Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "phoneprov"
FAIL, PASS = Status.FAIL, Status.PASS
CANARY = "Prov-Canary-7Tq2Lm"
SAMPLE = (FIXTURES / "phoneprov.conf.sample").read_text()
AUTOLOAD = "[modules]\nautoload=yes\nnoload => chan_sip.so\n"
USER = f"[6001]\nfullname = Front Desk\nsecret = {CANARY}\nmacaddress = 0004f2aabbcc\nautoprov = yes\n"
HTTP_PLAIN = "[general]\nenabled=yes\nbindaddr=0.0.0.0\nbindport=8088\n"
HTTP_TLS = ("[general]\nenabled=yes\nbindaddr=127.0.0.1\ntlsenable=yes\ntlsbindaddr=0.0.0.0:8089\n"
            "tlscertfile=/etc/asterisk/keys/asterisk.pem\n")


def prov(result: dict[str, Status]) -> dict[str, Status]:
    return {k: v for k, v in result.items() if k.startswith("res_phoneprov")}


def test_phones_provisioned_over_plain_http_fail(tree, run):
    facts = tree({"phoneprov.conf": SAMPLE, "phoneprov_users.conf": USER, "http.conf": HTTP_PLAIN,
                  "modules.conf": AUTOLOAD})
    assert prov(run("DEV-PRV-101", facts)) == {"res_phoneprov over HTTP (0.0.0.0:8088)": FAIL}
    assert prov(run("DEV-PRV-103", facts)) == {"res_phoneprov over HTTP (0.0.0.0:8088)": FAIL}
    assert "secret" in facts.first("phoneprov_users.user").secrets  # kept as its shape only


def test_served_over_tls_only_passes(tree, run):
    facts = tree({"phoneprov.conf": SAMPLE, "phoneprov_users.conf": USER, "http.conf": HTTP_TLS,
                  "modules.conf": AUTOLOAD})
    assert prov(run("DEV-PRV-101", facts)) == {"res_phoneprov over HTTPS (0.0.0.0:8089)": PASS}


def test_over_tls_a_file_is_still_handed_to_anyone_who_names_the_mac(tree, run, registry):
    """phoneprov_callback() answers any GET of a route with the file, and http.c asks no credentials for it: TLS
    hides the secret on the way, not from whoever asks. DEV-PRV-103 fails on every listener beyond loopback."""
    facts = tree({"phoneprov.conf": SAMPLE, "phoneprov_users.conf": USER, "http.conf": HTTP_TLS,
                  "modules.conf": AUTOLOAD})
    assert prov(run("DEV-PRV-103", facts)) == {"res_phoneprov over HTTPS (0.0.0.0:8089)": FAIL}
    outcome, = [o for o in registry.get("DEV-PRV-103")(facts) if o.resource.startswith("res_phoneprov")]
    assert outcome.evidence.startswith("https://0.0.0.0:8089/phoneprov/ hands a phone's file to any client")
    assert outcome.fix[:2] == ["; modules.conf [modules]", "noload => res_phoneprov.so"]
    meta = registry.get("DEV-PRV-103").meta
    assert meta.severity == "high" and set(meta.hipaa) == {"164.312(d)", "164.312(a)(1)"}
    assert "asterisk" in meta.platforms


def test_before_asterisk_21_the_users_come_from_users_conf(tree, run):
    facts = tree({"phoneprov.conf": SAMPLE, "users.conf": USER, "http.conf": HTTP_PLAIN, "modules.conf": AUTOLOAD})
    assert prov(run("DEV-PRV-101", facts)) == {"res_phoneprov over HTTP (0.0.0.0:8088)": FAIL}


@pytest.mark.parametrize("files, why", [
    ({"phoneprov_users.conf": USER.replace("autoprov = yes", "autoprov = no")}, "autoprov off: not provisioned"),
    ({"phoneprov_users.conf": USER.replace("autoprov = yes\n", "")}, "autoprov must be in the user's own section"),
    ({"phoneprov_users.conf": USER.replace("macaddress = 0004f2aabbcc\n", "")}, "no MAC: skipped"),
    ({"phoneprov_users.conf": USER + "profile = yealink\n"}, "a profile phoneprov.conf does not define"),
    ({"phoneprov.conf": SAMPLE.replace("default_profile=polycom", ";default_profile=polycom")},
     "no default profile: the provider provisions nobody"),
    ({"phoneprov.conf": "[general]\ndefault_profile=polycom\n"}, "no profile at all: the module declines"),
    ({"http.conf": HTTP_PLAIN.replace("enabled=yes", "enabled=no")}, "the HTTP server is off"),
    ({"http.conf": HTTP_PLAIN.replace("bindaddr=0.0.0.0", "bindaddr=127.0.0.1")}, "loopback only: no phone reaches it"),
    ({"modules.conf": AUTOLOAD + "noload => res_phoneprov.so\n"}, "res_phoneprov not loaded"),
])
def test_what_res_phoneprov_does_not_serve_is_not_judged(tree, run, files, why):
    base = {"phoneprov.conf": SAMPLE, "phoneprov_users.conf": USER, "http.conf": HTTP_PLAIN, "modules.conf": AUTOLOAD}
    facts = tree({**base, **files})
    assert prov(run("DEV-PRV-101", facts)) == {}, why
    assert prov(run("DEV-PRV-103", facts)) == {}, why


def test_the_secret_is_never_written(tmp_path):
    root = tmp_path / "etc" / "asterisk"
    root.mkdir(parents=True)
    for name, text in {"phoneprov.conf": SAMPLE, "phoneprov_users.conf": USER, "http.conf": HTTP_PLAIN,
                       "modules.conf": AUTOLOAD}.items():
        (root / name).write_text(text)
    doc = scan_secret_free(root, tmp_path / "out", "json,md,sarif", CANARY)
    got = {r["resource"]: r for r in doc["results"] if r["check_id"] == "DEV-PRV-101"}
    served = got["res_phoneprov over HTTP (0.0.0.0:8088)"]
    assert served["status"] == "FAIL" and "phoneprov_users.conf [6001]" in served["evidence"]
    assert served["location"]["file"] == "http.conf"
    handed = {r["resource"]: r for r in doc["results"] if r["check_id"] == "DEV-PRV-103"}
    assert handed["res_phoneprov over HTTP (0.0.0.0:8088)"]["status"] == "FAIL"


def test_an_unreadable_users_file_makes_the_answer_unknown_never_no_phone(tree, run):
    """res_phoneprov runs (phoneprov.conf with a profile, loaded), but the file its users come from is refused:
    which phones it serves cannot be told, so DEV-PRV-101 is ERROR, not 'provisions no phone'."""
    facts = tree({"phoneprov.conf": SAMPLE, "phoneprov_users.conf": "[6001](missing-template)\nautoprov=yes\n",
                  "http.conf": HTTP_PLAIN, "modules.conf": AUTOLOAD})
    assert facts.source_state("phoneprov_users.conf")[0] == "error"
    assert prov(run("DEV-PRV-101", facts)) == {"res_phoneprov": Status.ERROR}
    assert prov(run("DEV-PRV-103", facts)) == {"res_phoneprov": Status.ERROR}
