"""DEV-PRV-102 on every URL a phone applies with a password or token in it, not only its provisioning URL.

A firmware URL ``http://fw:pw@host/T46S.rom``, a phone book ``?token=``, a Yealink boot file's
``include:config "http://u:p@host/site.cfg"`` or a Poly master's ``CONFIG_FILES="http://u:p@host/x.cfg"`` hands
the secret to whoever fetches the file and shows it in the phone's UI, as a provisioning URL does. Before, only the
provisioning URL was judged (the others passed silently), and the Poly master's "not in the folder" gap quoted
the URL whole, password included, in every report."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import scan_secret_free, write_tree
from tests.test_reader_fuzz import assert_linear
from voxaudit.facts.phones import MAX_CREDENTIAL_URLS, build_phone_facts
from voxaudit.model import Status
from voxaudit.parsers.problem import label

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "CANARY-cr3d-url-77b1"
SITE = f"""#!version:1.0.0.1
static.auto_provision.server.url = https://prov.clinic.example/
static.firmware.url = http://fw:{CANARY}@10.0.0.9/T46S-66.86.0.15.rom
remote_phonebook.data.1.url = https://pb.clinic.example/book.xml?token={CANARY}
remote_phonebook.data.2.url = https://pb.clinic.example/open.xml
account.1.enable = 1
account.1.sip_server.1.transport_type = 2
"""
BOOT = (f'#!version:1.0.0.1\ninclude:config "http://prov:{CANARY}@10.0.0.9/extra.cfg"\n'
        "include:config <site.cfg>\noverwrite_mode = 1\n")


def _prv102(doc: dict) -> dict[str, tuple[str, str]]:
    return {r["resource"]: (r["status"], r["evidence"]) for r in doc["results"] if r["check_id"] == "DEV-PRV-102"}


def test_every_url_with_a_secret_fails_and_none_is_shown(tmp_path: Path):
    write_tree(tmp_path / "p", {"y000000000000.boot": BOOT, "site.cfg": SITE})
    doc = scan_secret_free(tmp_path / "p", tmp_path / "o", "json,md,html,sarif,csv", CANARY, platform="phone")
    got = _prv102(doc)
    phone = "phone y000000000000.boot"
    assert got[phone][0] == PASS  # its provisioning URL itself is clean
    assert got[f"{phone} firmware.url"] == (FAIL, "firmware.url embeds a password or token (http://<redacted>@10.0.0.9/...)")
    assert got[f"{phone} remote_phonebook.data.1.url"][0] == FAIL
    assert got[f"{phone} include:config #1"][0] == FAIL
    assert f"{phone} remote_phonebook.data.2.url" not in got  # no secret in it: no record
    # DEV-PRV-101 (HTTPS) still judges the provisioning URL only: a firmware image is no PHI
    assert not [r for r in doc["results"] if r["check_id"] == "DEV-PRV-101" and "firmware" in r["resource"]]


def test_a_poly_master_listing_a_url_with_credentials(tmp_path: Path):
    master = ('<?xml version="1.0" standalone="yes"?>\n<APPLICATION APP_FILE_PATH="sip.ld" '
              f'CONFIG_FILES="http://admin:{CANARY}@10.1.1.1/phone1.cfg, site.cfg" />\n')
    site = ('<?xml version="1.0" standalone="yes"?>\n<polycomConfig><device device.set="1" device.prov.serverType="3" '
            'device.prov.serverType.set="1" device.prov.serverName="prov.clinic.example" device.prov.serverName.set="1"/>'
            '</polycomConfig>\n')
    write_tree(tmp_path / "p", {"000000000000.cfg": master, "site.cfg": site})
    doc = scan_secret_free(tmp_path / "p", tmp_path / "o", "json,md,html,sarif", CANARY, platform="phone")
    got = _prv102(doc)
    assert got["phone 000000000000.cfg application.config_files"][0] == FAIL
    assert any("http://<redacted>@10.1.1.1/..." in w for w in doc["warnings"]) or any(
        "http://<redacted>@10.1.1.1" in r["evidence"] for r in doc["results"] if r["status"] == ERROR)


def test_the_winning_value_is_judged_and_templates_are_not(tmp_path: Path):
    """A MAC file's clean firmware URL wins over the common file's: nothing to find. A server placeholder is no
    URL with a secret in it (its value is not known; the provisioning URL's placeholder rule covers that)."""
    write_tree(tmp_path, {
        "y000000000028.cfg": f"#!version:1.0.0.1\nstatic.firmware.url = http://fw:{CANARY}@10.0.0.9/T46S.rom\n",
        "805ec0aa0001.cfg": "#!version:1.0.0.1\nstatic.firmware.url = https://fw.clinic.example/T46S.rom\n"
                            "account.1.enable = 1\nremote_phonebook.data.1.url = {$phonebook_url}\n",
    })
    device = next(o for o in build_phone_facts(tmp_path).objects if o.kind == "phone.device")
    assert not [k for k in device.settings if k.startswith("credential_url:")]


def test_credential_urls_are_bounded_and_linear(tmp_path: Path):
    many = "".join(f"remote_phonebook.data.{n}.url = https://pb.example/{n}.xml?token=t{n}\n" for n in range(200))
    write_tree(tmp_path / "b", {"805ec0aa0001.cfg": f"#!version:1.0.0.1\naccount.1.enable = 1\n{many}"})
    device = next(o for o in build_phone_facts(tmp_path / "b").objects if o.kind == "phone.device")
    assert len([k for k in device.settings if k.startswith("credential_url:")]) == MAX_CREDENTIAL_URLS

    def make(n: int):
        d = tmp_path / f"l{n}"
        write_tree(d, {"805ec0aa0001.cfg": "#!version:1.0.0.1\nstatic.firmware.url = http://u:" + "p" * n
                       + "@" + "h" * n + "/x?token=" + "t" * n + "\n"})
        return lambda: build_phone_facts(d)

    assert_linear(make, 20_000, "a phone file's URL with a long password, host and token")


@pytest.mark.parametrize("name, shown", [
    (f"http://admin:{CANARY}@10.1.1.1/phone1.cfg", "http://<redacted>@10.1.1.1/..."),
    (f"https://prov.example/{CANARY}/x.cfg?token={CANARY}", "https://prov.example/..."),
    (f"http://admin:{CANARY}/x.cfg", "http://<not a host name>/..."),  # user:password with no "@": no host
    ("https://[2001:db8::1]:8443/x.cfg", "https://[2001:db8::1]:8443/..."),
    ("site.cfg", "site.cfg"),
])
def test_a_name_that_is_a_url_is_labelled_without_its_secrets(name: str, shown: str):
    assert label(name, 80) == shown
