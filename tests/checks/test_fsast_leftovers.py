"""FreeSWITCH BAA-101: a carrier is one party however many gateways reach it.

sofia.c ``parse_gateways`` sends each gateway's requests to its ``proxy`` (default its ``realm``, default its
name); two tenants' registrations to one carrier (tests/real_trees/fs-kam-pbx-freeswitch:
sip_profiles/external/telnyx_store1.xml and telnyx_store2.xml, both to sip.telnyx.com; provenance in that tree's
PROVENANCE.md, credentials replaced by a canary) are one recipient naming both gateways. A gateway sofia refuses
(duplicate name, unsupported transport, TLS on a profile without tls) sends nothing and names no recipient."""
from __future__ import annotations

import time
from pathlib import Path

from tests.checks.test_freeswitch_gateways import CANARY, REAL, param, tree
from tests.conftest import scan_secret_free
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_freeswitch_tree
from voxaudit.platforms.freeswitch.recipients import MAX_NAMED, gateways

STORE1 = (REAL / "sip_profiles" / "external" / "telnyx_store1.xml").read_text().replace("12345678", CANARY)
STORE2 = (REAL / "sip_profiles" / "external" / "telnyx_store2.xml").read_text()


def both(tmp_path: Path, second: str = STORE2) -> Path:
    """The hardened tree with both real Telnyx gateways in the external profile."""
    root = tree(tmp_path, STORE1)
    (root / "sip_profiles" / "external" / "gw2.xml").write_text(second)
    return root


def test_two_gateways_to_one_carrier_are_one_recipient_naming_both(tmp_path):
    assert "sip.telnyx.com" in STORE2 and CANARY not in STORE2
    recs = list(gateways(collect_freeswitch_tree(both(tmp_path))))
    assert [(r.host, r.how) for r in recs] == [
        ("sip.telnyx.com", "sofia gateways telnyx_store1 proxy, telnyx_store2 proxy")]
    assert recs[0].source is not None and recs[0].source.file.endswith("gw.xml")  # the first mention's line
    assert CANARY not in repr(recs)


def test_one_gateway_keeps_its_single_wording(tmp_path):
    (rec,) = gateways(collect_freeswitch_tree(tree(tmp_path, STORE1)))
    assert (rec.host, rec.how) == ("sip.telnyx.com", "sofia gateway telnyx_store1 proxy")


def test_hosts_compare_as_hosts_and_each_setting_is_named(tmp_path):
    """SIP.Telnyx.com. and sip:sip.telnyx.com:5060 are the same carrier; an outbound-proxy elsewhere is another."""
    second = param(param(STORE2, "proxy", "sip:SIP.Telnyx.com.:5060"), "outbound-proxy", "sbc.telnyx.com;transport=udp")
    recs = {r.host: r.how for r in gateways(collect_freeswitch_tree(both(tmp_path, second)))}
    assert recs == {"sip.telnyx.com": "sofia gateways telnyx_store1 proxy, telnyx_store2 proxy",
                    "sbc.telnyx.com": "sofia gateway telnyx_store2 outbound-proxy"}


def test_a_gateway_sofia_refuses_names_no_recipient(tmp_path):
    """Unsupported transport (sofia: "unsupported transport"), and a duplicate name ("Ignoring duplicate gateway"):
    only the first telnyx_store1 is loaded, so other.example (the duplicate's proxy) receives nothing."""
    refused = param(param(STORE2, "register-transport", "quic"), "proxy", "refused.example")
    recs = {r.host: r.how for r in gateways(collect_freeswitch_tree(both(tmp_path, refused)))}
    assert recs == {"sip.telnyx.com": "sofia gateway telnyx_store1 proxy"}
    dup = param(STORE1, "proxy", "other.example")
    recs = {r.host for r in gateways(collect_freeswitch_tree(both(tmp_path / "dup", dup)))}
    assert recs == {"sip.telnyx.com"}


def test_a_transport_only_the_host_knows_keeps_the_gateway(tmp_path):
    """register-transport from exec-set (tree() defines gw_transport that way): never dropped on a guess."""
    runtime = param(param(STORE2, "register-transport", "$${gw_transport}"), "proxy", "runtime.example")
    recs = {r.host for r in gateways(collect_freeswitch_tree(both(tmp_path, runtime)))}
    assert recs == {"sip.telnyx.com", "runtime.example"}


def test_many_gateways_to_one_carrier_are_named_boundedly_and_in_linear_time(tmp_path):
    def gws(n: int) -> str:
        return "<include>" + "".join(STORE1.replace("telnyx_store1", f"gw{k}").replace("<include>", "")
                                     .replace("</include>", "") for k in range(n)) + "</include>"

    (rec,) = gateways(collect_freeswitch_tree(tree(tmp_path / "many", gws(30))))
    assert rec.how.startswith("sofia gateways gw0 proxy, gw1 proxy") and rec.how.endswith(f"and {30 - MAX_NAMED} more")
    assert rec.how.count(" proxy") == MAX_NAMED

    def make(n: int):
        root = tree(tmp_path / f"n{n}", gws(n))

        def go():
            return list(gateways(collect_freeswitch_tree(root)))
        return go
    start = time.monotonic()
    assert_linear(make, 40, "gateways to one carrier")
    assert time.monotonic() - start < 60


def test_the_scan_says_the_carrier_once_and_no_secret(tmp_path):
    doc = scan_secret_free(both(tmp_path), tmp_path / "out", "json,md,sarif", CANARY, platform="freeswitch")
    baa = [r for r in doc["results"] if r["check_id"] == "BAA-101" and "telnyx" in r["resource"]]
    assert [r["resource"] for r in baa] == ["sip.telnyx.com (SIP trunk)"]
    assert "telnyx_store1 proxy, telnyx_store2 proxy" in baa[0]["evidence"]
