"""chan_iax2 (iax.conf): IAX2 trunks and extensions judged by the transport and authentication controls,
with chan_iax2's own rules (channels/chan_iax2.c set_config, build_peer, build_user, check_access)."""
import shutil
from pathlib import Path

from tests.conftest import EXAMPLE, only, scan_secret_free
from voxaudit.model import Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "iax"
FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
CANARY = "Iax-Canary-9d2f7Qx"


def iax(result: dict[str, Status]) -> dict[str, Status]:
    """The IAX2 resources of a control's results (its SIP bindings answer too)."""
    return {k: v for k, v in result.items() if k.startswith("iax2")}

TRUNK = """
[general]
bindport=4569
bindaddr=0.0.0.0
disallow=all
allow=ulaw

[branch-office]
type=friend
host=203.0.113.7
username=clinic
secret=%s
context=from-internal
""" % CANARY


def test_the_asterisk_sample_encrypts_without_forcing_and_admits_a_guest(tree, run):
    """The real iax.conf.sample: [general] encryption=yes (not forced) and a [guest] user with no secret
    and no permit/deny, which chan_iax2's check_access() takes calls for from anyone."""
    facts = tree({"iax.conf": (FIXTURES / "iax.conf.sample").read_text()})
    assert iax(run("ENC-MEDIA-101", facts)) == {"iax2 user guest": PASS}
    assert iax(run("ENC-MEDIA-102", facts)) == {"iax2 user guest": FAIL}  # fallback to clear calls
    assert iax(run("ENC-SIG-101", facts)) == {"iax2 listener": FAIL, "iax2 user guest": FAIL}
    assert iax(run("AUTH-SIP-101", facts)) == {"iax2 user guest": FAIL}
    assert iax(run("AUTH-SECRET-101", facts)) == {}  # the guest has no secret to judge: AUTH-SIP-101 says so


def test_an_unencrypted_trunk_fails_transport_and_is_a_business_associate(tree, run):
    facts = tree({"iax.conf": TRUNK})
    assert iax(run("ENC-SIG-101", facts)) == {"iax2 listener": FAIL, "iax2 friend branch-office": FAIL}
    assert iax(run("ENC-MEDIA-101", facts)) == {"iax2 friend branch-office": FAIL}
    assert only(iax(run("ENC-MEDIA-102", facts))) is None  # nothing encrypts: nothing to enforce
    assert iax(run("AUTH-SIP-101", facts)) == {"iax2 friend branch-office": PASS}
    assert iax(run("AUTH-SECRET-101", facts)) == {"iax2 friend branch-office": PASS}
    assert "203.0.113.7 (IAX2 trunk)" in run("BAA-101", facts)
    user = tree({"iax.conf": TRUNK.replace("type=friend", "type=user")})
    assert "203.0.113.7 (IAX2 trunk)" not in run("BAA-101", user)  # build_user() reads no host=


def test_forced_encryption_in_general_covers_every_account(tree, run):
    facts = tree({"iax.conf": TRUNK.replace("allow=ulaw", "allow=ulaw\nencryption=aes128\nforceencryption=yes")})
    assert iax(run("ENC-SIG-101", facts)) == {"iax2 listener": PASS, "iax2 friend branch-office": PASS}
    assert iax(run("ENC-MEDIA-101", facts)) == {"iax2 friend branch-office": PASS}
    assert iax(run("ENC-MEDIA-102", facts)) == {"iax2 friend branch-office": PASS}


def test_an_account_cannot_turn_off_what_general_turned_on(tree, run, registry):
    """build_peer(): ``peer->encmethods |= get_encrypt_methods(value)``: encryption=no adds nothing and
    takes nothing away; forceencryption=no does drop the force flag."""
    text = TRUNK.replace("allow=ulaw", "allow=ulaw\nforceencryption=yes").replace(
        "context=from-internal", "context=from-internal\nencryption=no")
    facts = tree({"iax.conf": text})
    assert iax(run("ENC-MEDIA-101", facts)) == {"iax2 friend branch-office": PASS}
    assert iax(run("ENC-MEDIA-102", facts)) == {"iax2 friend branch-office": PASS}
    unforced = tree({"iax.conf": text.replace("encryption=no", "forceencryption=no")})
    assert iax(run("ENC-MEDIA-102", unforced)) == {"iax2 friend branch-office": FAIL}
    assert iax(run("ENC-SIG-101", unforced))["iax2 friend branch-office"] == FAIL


def test_plaintext_authentication_fails_even_when_encrypted(tree, run, registry):
    text = TRUNK.replace("allow=ulaw", "allow=ulaw\nforceencryption=yes").replace(
        "context=from-internal", "context=from-internal\nauth=md5,plaintext")
    facts = tree({"iax.conf": text})
    sig = iax(run("ENC-SIG-101", facts))
    assert sig == {"iax2 listener": PASS, "iax2 friend branch-office": FAIL}
    (o,) = [o for o in registry.get("ENC-SIG-101")(facts) if o.resource == "iax2 friend branch-office"]
    assert "plaintext IAX2: auth allows md5, plaintext" in o.evidence and o.location.line == 14
    general = tree({"iax.conf": TRUNK.replace("allow=ulaw", "allow=ulaw\nauth=plaintext\nforceencryption=yes")})
    assert iax(run("ENC-SIG-101", general))["iax2 friend branch-office"] == FAIL  # [general] auth is the default


def test_users_without_credentials(tree, run):
    text = """
[general]
[guest]
type=user
context=public
[sitea]
type=user
deny=0.0.0.0/0.0.0.0
permit=198.51.100.4/255.255.255.255
[siteb]
type=user
inkeys=siteb
[sitec]
type=user
dbsecret=iax/sitec
[trunkout]
type=peer
host=198.51.100.9
"""
    facts = tree({"iax.conf": text})
    assert iax(run("AUTH-SIP-101", facts)) == {"iax2 user guest": FAIL, "iax2 user sitea": PASS, "iax2 user siteb": PASS,
                                          "iax2 user sitec": PASS}  # a peer only places calls
    assert iax(run("AUTH-SECRET-101", facts)) == {"iax2 user sitec": ERROR}  # dbsecret: the secret is in AstDB


def test_chan_iax2_not_loaded_is_not_applicable(tree, run):
    facts = tree({"iax.conf": TRUNK, "modules.conf": "[modules]\nautoload=yes\nnoload => chan_iax2.so\n"})
    for cid in ("ENC-SIG-101", "ENC-MEDIA-101", "AUTH-SIP-101", "AUTH-SECRET-101"):
        assert iax(run(cid, facts)) == {}, cid
    assert "203.0.113.7 (IAX2 trunk)" not in run("BAA-101", facts)
    loaded = tree({"iax.conf": TRUNK, "modules.conf": "[modules]\nautoload=no\nload => chan_iax2.so\n"})
    assert iax(run("ENC-MEDIA-101", loaded)) == {"iax2 friend branch-office": FAIL}


def test_sections_chan_iax2_skips_are_notes_and_loopback_listeners_pass(tree, run):
    text = "[general]\nbindaddr=127.0.0.1:4569\n[callnumberlimits]\n10.0.0.0/255.0.0.0 = 16\n[old]\ncontext=x\n" \
           "[odd]\ntype=pbx\n"
    facts = tree({"iax.conf": text})
    assert iax(run("ENC-SIG-101", facts)) == {"iax2 listener": PASS}
    notes = [p.message for p in facts.configs["iax.conf"].problems]
    assert any("[callnumberlimits]" in m for m in notes) and any("[old] lacks type=" in m for m in notes)
    assert any("[odd] has a type chan_iax2 does not know" in m for m in notes)
    assert all(p.note for p in facts.configs["iax.conf"].problems)


def test_freepbx_layout_through_the_cli_keeps_the_secret_out(tmp_path):
    """FreePBX's iax.conf includes its generated files; the scan reads the extension in
    iax_additional.conf, and no output holds its secret (nor FreePBX's secret_origional copy)."""
    etc = tmp_path / "etc" / "asterisk"
    shutil.copytree(EXAMPLE / "etc" / "asterisk", etc)
    (etc / "iax.conf").write_text("[general]\n#include iax_general_additional.conf\n#include iax_general_custom.conf\n"
                                  "#include iax_registrations.conf\n#include iax_custom.conf\n"
                                  "#include iax_additional.conf\n")
    for empty in ("iax_general_custom.conf", "iax_registrations.conf", "iax_custom.conf"):  # FreePBX writes them
        (etc / empty).write_text("")
    (etc / "iax_general_additional.conf").write_text("bindport=4569\nbindaddr=0.0.0.0\ndelayreject=yes\n")
    (etc / "iax_additional.conf").write_text(
        f"[2000]\ndeny=0.0.0.0/0.0.0.0\nsecret={CANARY}\ntransfer=yes\nhost=dynamic\ntype=friend\nport=4569\n"
        f"qualify=yes\npermit=0.0.0.0/0.0.0.0\nrequirecalltoken=yes\ncontext=from-internal\n"
        f"secret_origional={CANARY}\n")
    doc = scan_secret_free(tmp_path, tmp_path / "out", "json,md,sarif,csv", CANARY)
    got = {(r["check_id"], r["resource"]): r for r in doc["results"] if "iax2" in r["resource"]}
    assert got[("ENC-MEDIA-101", "iax2 friend 2000")]["status"] == "FAIL"
    assert got[("ENC-MEDIA-101", "iax2 friend 2000")]["location"]["file"] == "iax_additional.conf"
    assert got[("AUTH-SECRET-101", "iax2 friend 2000")]["status"] == "PASS"
    assert got[("ENC-SIG-101", "iax2 listener")]["location"]["file"] == "iax_general_additional.conf"


def test_patches_encrypt_and_drop_plaintext_auth(tmp_path):
    """voxaudit fix writes iax.conf's own lines (encryption, forceencryption, auth=md5); the rescan passes."""
    from tests.test_fix import round_trip

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "iax.conf").write_text(TRUNK.replace("context=from-internal", "context=from-internal\nauth=plaintext"))
    (tmp_path / "work").mkdir()
    manifest, _ = round_trip(tree, "asterisk", tmp_path / "work", extra_secrets=(CANARY,))
    patched = {(o["check_id"], o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    assert {("ENC-SIG-101", "iax2 listener"), ("ENC-SIG-101", "iax2 friend branch-office"),
            ("ENC-MEDIA-101", "iax2 friend branch-office")} <= patched
    text = (tree / "iax.conf").read_text()
    assert "auth=md5" in text and "forceencryption=yes" in text and "auth=plaintext" not in text


# -- channel drivers voxaudit does not read ------------------------------------------------------------

SKINNY = "[general]\nbindaddr=0.0.0.0\nbindport=2000\n[lobby-phone]\ndevice=SEP001122334455\nline => 200\n"


def test_a_loaded_driver_voxaudit_does_not_read_is_a_gap_on_the_transport_controls(tree, registry):
    """chan_skinny with devices, loaded by autoload: the gap names the driver, and ENC-SIG-101/ENC-MEDIA-101
    get an ERROR for it (coverage drops) instead of passing over SCCP phones."""
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord

    facts = tree({"skinny.conf": SKINNY, "modules.conf": "[modules]\nautoload=yes\nnoload => chan_sip.so\n"})
    (gap,) = facts.configs["skinny.conf"].problems
    assert gap.is_gap and "chan_skinny loads" in gap.message and "SCCP" in gap.message
    record = TargetRecord(name="pbx", platform="asterisk", facts=facts)
    checks = [registry.get(c) for c in ("ENC-SIG-101", "ENC-MEDIA-101")]
    got = {(r.check_id, r.resource): r.status for r in evaluate_target(record, checks, {})}
    assert got[("ENC-SIG-101", "(unread parts of skinny.conf)")] == ERROR
    assert got[("ENC-MEDIA-101", "(unread parts of skinny.conf)")] == ERROR
    off = tree({"skinny.conf": SKINNY, "modules.conf": "[modules]\nautoload=yes\nnoload => chan_skinny.so\n"})
    (note,) = off.configs["skinny.conf"].problems
    assert note.note and "noload => chan_skinny.so" in note.message
    record = TargetRecord(name="pbx", platform="asterisk", facts=off)
    assert not [r for r in evaluate_target(record, checks, {}) if "skinny" in r.resource]


def test_hostile_iax_values_are_not_quoted_and_size_grows_linearly(tree, registry, tmp_path):
    """auth= is quoted only as the method names chan_iax2 finds in it; 20,000 accounts take about ten
    times what 2,000 do (the effective encryption is worked out per account, never across accounts)."""
    import time

    from voxaudit.check import CheckContext

    facts = tree({"iax.conf": TRUNK.replace("context=from-internal", f"context=from-internal\nauth=plaintext{CANARY}")})
    for cid in ("ENC-SIG-101", "ENC-MEDIA-101", "AUTH-SECRET-101", "AUTH-SIP-101"):
        ctl = registry.get(cid)
        assert CANARY not in repr(ctl(facts, CheckContext(ctl.defaults()))), cid

    def timed(n: int) -> float:
        text = "[general]\nencryption=yes\n" + "".join(
            f"[a{i}]\ntype=friend\nhost=dynamic\nsecret=S{i}x-q8Zr2Lw9Xc4\nforceencryption=yes\nencryption=no\n"
            for i in range(n))
        (tmp_path / f"t{n}").mkdir(exist_ok=True)
        (tmp_path / f"t{n}" / "iax.conf").write_text(text)
        from voxaudit.collectors.offline import collect_asterisk_tree
        f = collect_asterisk_tree(tmp_path / f"t{n}")
        ctl = registry.get("ENC-MEDIA-102")
        start = time.perf_counter()
        out = ctl(f, CheckContext(ctl.defaults()))
        assert sum(o.status == PASS for o in out) == n
        return time.perf_counter() - start

    small, large = min(timed(2000) for _ in range(2)), timed(20000)
    assert large < 25 * max(small, 0.005), (small, large)
