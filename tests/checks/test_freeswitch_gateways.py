"""FreeSWITCH sofia gateways (carrier trunks) over plain transports: ENC-SIG-101 judges each gateway apart from its
profile's listener, as sofia.c parse_gateways builds it (auditor/platforms/freeswitch/gateways.py).

The gateway is tests/real_trees/fs-kam-pbx-freeswitch/conf/sip_profiles/external/telnyx_store1.xml (provenance in
that tree's PROVENANCE.md), its credentials replaced by a canary."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.checks.test_freeswitch import HARDENED
from tests.conftest import scan_secret_free, write_tree
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_freeswitch_tree
from voxaudit.model import Status

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "Gw-Canary-9Tq4Lm"
REAL = Path(__file__).resolve().parent.parent / "real_trees" / "fs-kam-pbx-freeswitch" / "conf"
TELNYX = (REAL / "sip_profiles" / "external" / "telnyx_store1.xml").read_text().replace("12345678", CANARY)


def external(tls: str = "true", gateway: str = TELNYX) -> str:
    """An external profile with the gateway file included in its <gateways> (the vanilla layout)."""
    return f"""<profile name="external">
  <gateways>
    <X-PRE-PROCESS cmd="include" data="external/*.xml"/>
  </gateways>
  <settings>
    <param name="sip-ip" value="203.0.113.10"/>
    <param name="tls" value="{tls}"/>
    <param name="tls-only" value="true"/>
  </settings>
</profile>
"""


def tree(tmp_path: Path, gateway: str = TELNYX, tls: str = "true") -> Path:
    files = dict(HARDENED)
    # a value only the running host knows (exec-set runs a command when FreeSWITCH starts)
    files["vars.xml"] = files["vars.xml"].replace(
        "</include>", '  <X-PRE-PROCESS cmd="exec-set" data="gw_transport=cat /etc/gw-transport"/>\n</include>')
    files["sip_profiles/external.xml"] = external(tls)
    files["sip_profiles/external/gw.xml"] = gateway
    return write_tree(tmp_path / "conf", files)


def gateways(run, root: Path) -> dict[str, Status]:
    return {k: v for k, v in run("ENC-SIG-101", collect_freeswitch_tree(root)).items() if k.startswith("gateway ")}


def param(gw: str, name: str, value: str) -> str:
    """The gateway with ``name`` set to ``value`` (replaced when present, added otherwise)."""
    line = f'<param name="{name}" value="'
    if line in gw:
        start = gw.index(line) + len(line)
        return gw[:start] + value + gw[gw.index('"', start):]
    return gw.replace("  </gateway>", f'    <param name="{name}" value="{value}"/>\n  </gateway>')


def test_real_udp_gateway_is_plaintext_signalling(tmp_path, run):
    # the profile itself is tls-only: before, the carrier leg over UDP was silent
    facts = collect_freeswitch_tree(tree(tmp_path))
    result = run("ENC-SIG-101", facts)
    assert result["sofia profile external"] == PASS
    assert result["gateway telnyx_store1"] == FAIL


@pytest.mark.parametrize("changes, expected, why", [
    ({"register-transport": "tls", "proxy": "sip.telnyx.com:5061"}, PASS, "TLS to the carrier"),
    ({"register-transport": "tls", "proxy": "sip.telnyx.com:5061;transport=tls"}, PASS, "explicit TLS"),
    ({"register-transport": "tls", "proxy": "sip.telnyx.com;transport=udp"}, FAIL, "the proxy overrides with UDP"),
    ({"register-transport": "tls", "outbound-proxy": "sbc.telnyx.com;transport=tcp"}, FAIL, "outbound proxy TCP"),
    ({"register-transport": "tcp"}, FAIL, "TCP is plaintext"),
    ({"register-transport": "udp", "proxy": "127.0.0.1", "realm": "127.0.0.1"}, PASS, "loopback only"),
    ({"register-transport": "$${gw_transport}"}, ERROR, "known only on the running host"),
])
def test_what_the_gateway_files_settle(tmp_path, run, changes, expected, why):
    gw = TELNYX
    for name, value in changes.items():
        gw = param(gw, name, value)
    assert gateways(run, tree(tmp_path, gw)) == {"gateway telnyx_store1": expected}, why


def test_register_transport_unset_is_udp(tmp_path, run):
    gw = TELNYX.replace('    <param name="register-transport" value="udp"/>\n', "")
    assert "register-transport" not in gw
    assert gateways(run, tree(tmp_path, gw)) == {"gateway telnyx_store1": FAIL}


@pytest.mark.parametrize("transport, tls", [("quic", "true"), ("tls", "false")])
def test_a_gateway_sofia_refuses_signals_nothing(tmp_path, run, transport, tls):
    # sofia.c: an unknown register-transport, or a TLS one on a profile without tls=true: "unsupported transport"
    assert gateways(run, tree(tmp_path, param(TELNYX, "register-transport", transport), tls=tls)) == {}


def test_no_gateway_secret_in_any_report(tmp_path):
    doc = scan_secret_free(tree(tmp_path), tmp_path / "out", "json,html,sarif,csv", CANARY, platform="freeswitch")
    found = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]}
    assert found[("ENC-SIG-101", "gateway telnyx_store1")] == "FAIL"


def test_many_gateways_are_read_in_linear_time(tmp_path):
    def make(n: int):
        root = tmp_path / f"n{n}"
        body = "".join(param(TELNYX, "register-transport", "tls").replace("telnyx_store1", f"gw{k}")
                       .replace("<include>", "").replace("</include>", "") for k in range(n))
        tree(root, f"<include>{body}</include>")

        def go():
            from voxaudit.platforms.freeswitch.gateways import gateway_signalling
            return list(gateway_signalling(collect_freeswitch_tree(root / "conf")))
        return go
    start = time.monotonic()
    assert_linear(make, 40, "sofia gateways")
    assert time.monotonic() - start < 60


def test_fix_patches_register_transport_and_the_gateway_then_passes(tmp_path):
    from tests.test_fix import round_trip
    manifest, out = round_trip(tree(tmp_path), "freeswitch", tmp_path)
    (finding,) = [o for o in manifest["findings"] if o["resource"] == "gateway telnyx_store1"]
    assert finding["outcome"] == "patch", finding
    assert '<param name="register-transport" value="tls"/>' in (tmp_path / "conf" / "sip_profiles" / "external" /
                                                                "gw.xml").read_text()
