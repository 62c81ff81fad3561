"""The models are msgspec structs (issue #11: a scan imports no pydantic), and what people write is still
validated with every error naming file, line and key and never the value: each kind of msgspec error
(an enum or Literal value, a tag, a pattern, a type, a date, an unknown or missing key, a bound, our own
checks) is put in our words. YAML is read through libyaml when present, with the same data, guards and
error lines as PyYAML's pure-Python loader."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import msgspec
import pytest
import yaml

from tests.conftest import EXAMPLE, REPO
from voxaudit import structured
from voxaudit.engine.broker import MESSAGE_VERSION, collect_entry
from voxaudit.inventory import InventoryError, load_baa_register, load_inventory
from voxaudit.profile import ProfileError, load_profile
from voxaudit.registry import load_registry
from voxaudit.structured import Invalid, StructuredFileError, invalid, line_of, load_yaml
from voxaudit.targets import SipSource, Target
from voxaudit.waivers import WaiverError, load_waivers

CANARY = "Canary-S3cr3t-9f2"


# -- a scan imports no pydantic -------------------------------------------------------------------------

def test_a_scan_never_imports_pydantic(tmp_path):
    """The whole command, as installed, with an inventory, a waivers file and a register: pydantic is
    never imported (its import and our models built with it were ~90 ms of every start)."""
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"clinics:\n  - name: Riverside\n    sites:\n      - name: main\n        targets:\n"
                   f"          - {{name: pbx, platform: asterisk, config_dir: {EXAMPLE}}}\n")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {check: AST-VM-101, owner: IT, reason: retiring, expires: 2099-01-01}\n")
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('\\nPYDANTIC=%s\\n' % sorted(m for m in sys.modules "
             "if m.split('.')[0] == 'pydantic')))\n"
             "from voxaudit.cli import main\n"
             "sys.argv = ['voxaudit'] + sys.argv[1:]\n"
             "main()\n")
    runs = [["scan", "--config-dir", str(EXAMPLE), "--format", "json", "-o", str(tmp_path / "a"), "--no-history"],
            ["scan", str(inv), "-w", str(waivers), "--baa-register", str(REPO / "tests/fixtures/recipients/baa-register.yaml"),
             "--format", "json", "-o", str(tmp_path / "b"), "--no-history"]]
    for args in runs:
        proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=300,
                              cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        assert "PYDANTIC=[]" in proc.stderr, proc.stderr[-2000:]
        assert json.loads((Path(args[args.index("-o") + 1]) / "scan.json").read_text())["results"]


# -- every kind of validation error: file, line, key, never the value -----------------------------------

def _inventory(entry: str) -> str:
    return "clinics:\n- name: C\n  sites:\n  - name: S\n    targets:\n    - name: t\n      " + entry + "\n"


INVENTORY_CASES = [
    # an invalid Literal (msgspec: "Invalid enum value '...'")
    (_inventory(f"platform: snmp\n      address: 10.0.0.2\n      snmp:\n        users: [{{username: m, auth_protocol: {CANARY}}}]"),
     10, "clinics.0.sites.0.targets.0.snmp.users.0.auth_protocol", "not one of the accepted values"),
    # a pattern (msgspec quotes the pattern; a value is never quoted)
    (_inventory(f"platform: sip\n      address: \"{CANARY} x\""), 8, "clinics.0.sites.0.targets.0.address",
     "not in the accepted form"),
    (_inventory(f"platform: sip\n      address: 10.0.0.5\n      sip: {{domain: \"{CANARY}\\r\\nX: y\"}}"), 9,
     "clinics.0.sites.0.targets.0.sip.domain", "not in the accepted form"),
    # a wrong type, a bound, a list given where a mapping goes
    (_inventory(f"platform: snmp\n      address: 10.0.0.2\n      snmp: {{port: [{CANARY}]}}"), 9,
     "clinics.0.sites.0.targets.0.snmp.port", "expected int, not array"),
    (_inventory("platform: snmp\n      address: 10.0.0.2\n      snmp: {port: 70000}"), 9,
     "clinics.0.sites.0.targets.0.snmp.port", "expected int <= 65535"),
    (_inventory(f"platform: asterisk\n      address: 10.0.0.5\n      ssh: [{CANARY}]"), 6,
     "clinics.0.sites.0.targets.0", "ssh: expected a mapping of settings"),
    # an unknown key that looks like a secret (not echoed) and one that looks like a key (named)
    (f"clinics:\n- name: C\n  {CANARY}: 1\n  sites: []\n", 3, "clinics.0.(unknown key)", "Extra inputs are not permitted"),
    (_inventory(f"platform: asterisk\n      config_dir: x\n      {CANARY}: 1"), 9, "clinics.0.sites.0.targets.0.(unknown key)",
     "Extra inputs are not permitted"),
    # a missing key; our own checks (one naming its field); a credential reference (a custom type's hook)
    (f"clinics:\n- sites: []\n  business_associates: [{{vendor: {CANARY}, covers: [a.example], internal: true}}]\n",
     2, "clinics.0.name", "Field required"),
    (_inventory(f"platform: asterisk\n      address: 10.0.0.5\n      ssh: {{username: {CANARY}, config_dir: /etc}}"), 9,
     "clinics.0.sites.0.targets.0.ssh", "give key: file:PATH or password: env:NAME"),
    (_inventory(f"platform: snmp\n      address: 10.0.0.2\n      snmp: {{communities: [{CANARY}]}}"), 9,
     "clinics.0.sites.0.targets.0.snmp.communities.0", "credentials are references"),
    (_inventory(f"platform: {CANARY}\n      config_dir: x"), 7, "clinics.0.sites.0.targets.0.platform",
     "unknown platform (supported platforms: asterisk"),
    (f"business_associates:\n  - {{vendor: A, covers: [\"*.{CANARY}.*\"], baa_signed: 2025-01-01}}\n"
     "clinics: []\n", 2, "business_associates.0.covers", "a host, mail domain"),
    (f"business_associates:\n  - {{vendor: A, covers: [a.example], baa_signed: {CANARY}}}\nclinics: []\n", 2,
     "business_associates.0.baa_signed", "Invalid RFC3339 encoded date"),
    (f"business_associates:\n  - {{vendor: A, covers: [a.example], internal: \"{CANARY}\"}}\nclinics: []\n", 2,
     "business_associates.0.internal", "expected bool, not str"),
]


@pytest.mark.parametrize("text, line, key, says", INVENTORY_CASES)
def test_inventory_errors_of_every_kind_name_file_line_and_key_never_the_value(tmp_path, text, line, key, says):
    inv = tmp_path / "inventory.yaml"
    inv.write_text(text)
    with pytest.raises(InventoryError) as exc:
        load_inventory(inv)
    message = str(exc.value)
    assert message.startswith(f"{inv}:{line}: {key}: "), message
    assert says in message and CANARY not in message and "\n" not in message, message


def test_a_register_file_error_is_worded_the_same(tmp_path):
    path = tmp_path / "baa.yaml"
    path.write_text(f"business_associates:\n  - vendor: A\n    covers: [a.example]\n    internal: \"{CANARY}\"\n")
    with pytest.raises(InventoryError) as exc:
        load_baa_register(path)
    assert str(exc.value) == f"{path}:4: business_associates.0.internal: expected bool, not str"
    path.write_text(f"business_associates:\n  - vendor: A\n    {CANARY}: x\n")
    with pytest.raises(InventoryError) as exc:
        load_baa_register(path)
    assert str(exc.value) == f"{path}:3: business_associates.0.(unknown key): Extra inputs are not permitted"


@pytest.mark.parametrize("body, line, key, says", [
    (f"safeguards:\n  - {{id: S, title: T, level: {CANARY}}}\n", 4, "safeguards.0.level", "not one of the accepted values"),
    (f"safeguards:\n  - {{id: S, title: T, weight: [{CANARY}]}}\n", 4, "safeguards.0.weight", "expected float | null, not array"),
    (f"not_scored: {{\"164.312(a)\": [{CANARY}]}}\n", 3, "not_scored.[...]", "expected str, not array"),
    (f"{CANARY}: 1\n", 3, "(unknown key)", "Extra inputs are not permitted"),
])
def test_profile_errors_of_every_kind_name_file_line_and_key_never_the_value(tmp_path, registry, body, line, key, says):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: P\n" + body)
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), registry)
    message = str(exc.value)
    assert message.startswith(f"{path}:{line}: {key}: "), message
    assert says in message and CANARY not in message, message


@pytest.mark.parametrize("entry, line, key, says", [
    (f"check: X\n    owner: IT\n    reason: r\n    expires: {CANARY}", 5, "expires", "Invalid RFC3339 encoded date"),
    ("check: X\n    owner: \"  \"\n    reason: r\n    expires: 2030-01-01", 3, "owner", "must not be empty"),
    (f"check: X\n    owner: [{CANARY}]\n    reason: r\n    expires: 2030-01-01", 3, "owner", "expected str, not array"),
    ("owner: IT\n    reason: r\n    expires: 2030-01-01", 2, "check", "Field required"),
])
def test_waiver_errors_of_every_kind_name_file_line_and_key_never_the_value(tmp_path, entry, line, key, says):
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - " + entry + "\n")
    with pytest.raises(WaiverError) as exc:
        load_waivers(path)
    message = str(exc.value)
    assert message.startswith(f"{path}:{line}: waiver #1: {key}: "), message
    assert says in message and CANARY not in message, message


@pytest.mark.parametrize("target, says", [
    ({"name": "t", "platform": "sip", "source": {"kind": CANARY, "address": "10.0.0.5"}}, "source.kind: not one of the accepted values"),
    ({"name": "t", "platform": "sip", "source": {"kind": "sip", "address": "10.0.0.5", CANARY: 1}},
     "source.sip.(unknown key): Extra inputs are not permitted"),
    ({"name": "t", "platform": "sip", "source": {"kind": "sip", "address": "10.0.0.5", "domain": CANARY + "\r\n"}},
     "source.sip.domain: not in the accepted form"),
    ({"name": "t", "platform": "sip", CANARY: 1, "source": {"kind": "sip", "address": "10.0.0.5"}},
     "(unknown key): Extra inputs are not permitted"),
])
def test_the_site_collector_refuses_a_message_by_key_never_by_value(target, says):
    record = collect_entry({"v": MESSAGE_VERSION, "target": target, "timeout": 5})["record"]
    reason = record["failure"]["reason"]
    assert reason.startswith("this collector refused the target at ") and says in reason, reason
    assert CANARY not in json.dumps(record)


def test_a_hand_built_source_is_checked_as_the_inventory_is():
    """A struct's constructor does not check types: ours does (a Path becomes its text, a CR LF is refused)."""
    with pytest.raises(msgspec.ValidationError):
        SipSource(address="10.0.0.5", udp=0)
    with pytest.raises(ValueError, match="not read through config_dir"):
        Target(name="t", platform="sip", source={"kind": "config_dir", "config_dir": EXAMPLE})
    t = Target(name="t", platform="asterisk", config_dir=EXAMPLE)
    assert t.source.config_dir == str(EXAMPLE) and isinstance(t.source.config_dir, str)
    with pytest.raises(msgspec.ValidationError):
        msgspec.structs.replace(t.source, logrotate=[1])  # a copy with a change is checked too


class Inner(msgspec.Struct, forbid_unknown_fields=True):
    kind: str


class Outer(msgspec.Struct):
    items: list[Inner]
    names: dict[str, int] = {}


def test_invalid_places_msgspec_paths_and_never_quotes_a_value():
    cases: list[tuple[Any, tuple[Any, ...], str]] = [
        ({"items": [{"kind": "a"}, {"kind": 1}]}, ("items", 1, "kind"), "expected str, not int"),
        ({"items": [{"kind": "a", CANARY: 1}]}, ("items", 0, CANARY), "Extra inputs are not permitted"),
        ({"items": [{}]}, ("items", 0, "kind"), "Field required"),
        ({"items": [], "names": {CANARY: CANARY}}, ("names", structured.DICT_KEY), "expected int, not str"),
    ]
    for data, loc, message in cases:
        with pytest.raises(msgspec.ValidationError) as exc:
            msgspec.convert(data, Outer)
        assert invalid(exc.value) == (loc, message)
        assert CANARY not in structured.field(loc) + message


# -- YAML: libyaml when present, the same as PyYAML's Python loader -------------------------------------

LOADERS = {"libyaml": structured._LOADER, "python": structured._SafeLoader}  # libyaml: the default loader


def test_libyaml_is_used_when_present():
    assert yaml.__with_libyaml__, "this environment's PyYAML has libyaml (as the wheels do)"
    assert structured._LOADER is structured._CSafeLoader


def _lines(node: Any) -> list[tuple[str, int, Any]]:
    """Every node's tag, line and (for a scalar) value, depth first, without recursion."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        out.append((n.tag, n.start_mark.line, n.value if isinstance(n, yaml.ScalarNode) else None))
        if isinstance(n, yaml.MappingNode):
            stack.extend(x for pair in reversed(n.value) for x in reversed(pair))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(reversed(n.value))
    return out


YAML_FILES = sorted(p for p in REPO.rglob("*.y*ml") if ".venv" not in p.parts and ".cache" not in p.parts)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_both_loaders_read_every_yaml_file_of_the_repository_alike(path):
    got = {}
    for name, loader in LOADERS.items():
        try:
            data, tree = load_yaml(path, "file", loader_class=loader)
            got[name] = (data, _lines(tree))
        except StructuredFileError as exc:
            got[name] = str(exc)
    assert got["libyaml"] == got["python"]


HOSTILE_YAML = {
    "alias": "a: &x [1, 2]\nb: *x\n",
    "alias-bomb": "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
    "duplicate-key": "targets: [a]\nname: x\ntargets: [b]\n",
    "duplicate-nested": "a:\n  b: 1\n  c: 2\n  b: 3\n",
    "deep-flow": "[" * 10_000 + "]" * 10_000,
    "deep-block": "".join(f"{'  ' * i}k{i}:\n" for i in range(500)),
    "deep-at-limit": "[" * 64 + "]" * 64,
    "unterminated-quote": f"a: '{CANARY}\nb: 2\n",
    "mapping-in-plain": f"a: b: {CANARY}\n",
    "bad-indent": "a:\n  - b\n c: d\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "timestamp-kept-as-text": "expires: 2027-01-14\nat: 2027-01-14 10:00:00\nbad: 2027-13-45\n",
    "huge-int": "n: " + "9" * 5_000 + "\n",
    "python-tag": f"a: !!python/object:os.system {CANARY}\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "merge-key": "base: {x: 1}\nother: {<<: {x: 2}, y: 3}\n",
    "flow-junk": f"\t\t: : : [ {{ {CANARY}\n",
    "empty": "",
    "only-comment": "# nothing\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_both_loaders_refuse_and_accept_alike(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(HOSTILE_YAML[name])
    got = {}
    for loader_name, loader in LOADERS.items():
        try:
            data, tree = load_yaml(path, "file", loader_class=loader)
            got[loader_name] = ("data", data, _lines(tree))
        except StructuredFileError as exc:
            got[loader_name] = ("error", str(exc))
            assert CANARY not in str(exc) and "\n" not in str(exc)
    assert got["libyaml"] == got["python"]
    if name.startswith(("alias", "duplicate", "deep-flow", "deep-block")):
        assert got["python"][0] == "error" and "(" in got["python"][1]  # our own refusal says why
    if name == "timestamp-kept-as-text":
        assert got["python"][1] == {"expires": "2027-01-14", "at": "2027-01-14 10:00:00", "bad": "2027-13-45"}


def _with_loader(monkeypatch: pytest.MonkeyPatch, loader: type, call: Callable[[], Any]) -> str:
    monkeypatch.setattr(structured, "_LOADER", loader)
    try:
        call()
    except (InventoryError, ProfileError, WaiverError) as exc:
        return str(exc)
    return "loaded"


@pytest.mark.parametrize("text", [case[0] for case in INVENTORY_CASES] + [
    "clinics:\n- name: C\n  sites:\n  - name: S\n    targets:\n    - {name: t, platform: asterisk, config_dir: x}\n"
    "    - {name: t, platform: asterisk, config_dir: y}\n",
    "clinics:\n- name: C\n  name: D\n",
    "clinics: [\n",
])
def test_inventory_errors_are_the_same_with_either_loader(tmp_path, monkeypatch, text):
    inv = tmp_path / "inventory.yaml"
    inv.write_text(text)
    got = {name: _with_loader(monkeypatch, loader, lambda: load_inventory(inv)) for name, loader in LOADERS.items()}
    assert got["libyaml"] == got["python"] != "loaded"


def test_profiles_and_waivers_load_the_same_with_either_loader(tmp_path, monkeypatch, registry):
    for ref in ("hipaa-security-rule", "hipaa-2025-nprm"):
        profiles = {}
        for name, loader in LOADERS.items():
            monkeypatch.setattr(structured, "_LOADER", loader)
            profiles[name] = load_profile(ref, registry).as_json()
        assert profiles["libyaml"] == profiles["python"]
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - check: AST-VM-1*\n    resource: \"mailbox 1@*\"\n    owner: IT\n"
                       "    reason: retiring\n    expires: 2030-01-01\n")
    loaded = {}
    for name, loader in LOADERS.items():
        monkeypatch.setattr(structured, "_LOADER", loader)
        loaded[name] = load_waivers(waivers)
    assert loaded["libyaml"] == loaded["python"] and loaded["python"][0].expires == "2030-01-01"


def test_line_of_follows_either_loaders_tree(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a:\n  b:\n    - x\n    - {c: 1}\n")
    for loader in LOADERS.values():
        _, tree = load_yaml(path, "file", loader_class=loader)
        assert line_of(tree, ("a", "b", 1, "c")) == 4 and line_of(tree, ("a", "zz")) == 2


def test_a_credential_reference_a_collector_noted_is_written_as_text():
    """A collector may note which reference it used (SNMP attempts name their community's env:NAME): the
    reference is a str subclass (targets.CredentialRef), which msgspec hands to the scan's hook; it is
    written as text, never refused (a distributed SNMP target was lost as a TypeError)."""
    from voxaudit.scan import encode
    from voxaudit.targets import CredentialRef

    assert encode({"attempts": [CredentialRef("env:NORTH_COMMUNITY")]}) == b'{"attempts":["env:NORTH_COMMUNITY"]}'


def test_a_value_outside_a_fixed_set_is_answered_with_the_set(tmp_path):
    """As pydantic did: a device_type, protocol, safeguard level or source kind that is not one of ours is
    answered with ours (taken from the type, so never anything from the file), and the value is not echoed."""
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(_inventory(f"platform: switch\n      address: 10.0.0.9\n      cli: {{username: u, password: "
                                    f"env:P, device_type: {CANARY}}}"))
    with pytest.raises(InventoryError) as exc:
        load_inventory(inventory)
    assert str(exc.value).endswith("clinics.0.sites.0.targets.0.cli.device_type: not one of the accepted values: "
                                   "arista_eos, aruba_procurve, cisco_ios, cisco_xe, hp_procurve"), exc.value
    assert CANARY not in str(exc.value)

    profile = tmp_path / "profile.yaml"
    profile.write_text(f"id: x\ntitle: y\nsafeguards:\n  - {{id: S, title: T, level: {CANARY}}}\n")
    with pytest.raises(ProfileError) as perr:
        load_profile(str(profile), load_registry())
    assert "safeguards.0.level: not one of the accepted values: addressable, required" in str(perr.value)
    assert CANARY not in str(perr.value)

    with pytest.raises(Invalid) as terr:
        Target.validate({"name": "t", "platform": "sip", "source": {"kind": CANARY, "address": "10.0.0.5"}})
    assert str(terr.value) == "source.kind: not one of the accepted values: config_dir, ssh, sip, tls, pcap, snmp, cli"


def test_accepted_values_follow_the_type_not_the_file():
    """The set is read from the validated type along the error's path; a path that leads to no fixed set
    (free text, a list index past the type) gives none, and nothing is made up."""
    from voxaudit.inventory import InventoryIn
    from voxaudit.structured import accepted_values

    at = ("clinics", 0, "sites", 0, "targets", 0)
    assert accepted_values(InventoryIn, at) == []  # a target is validated on its own (Target.validate)
    assert accepted_values(Target, ("source", "users", 0, "priv_protocol")) == ["aes", "aes256", "des"]
    assert accepted_values(Target, ("name",)) == []
    assert accepted_values(Target, ("nowhere", 3)) == []
