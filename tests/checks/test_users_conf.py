"""users.conf: users with hassip become chan_sip peers and users with hasvoicemail become mailboxes,
as chan_sip.c and app_voicemail.c build them, so the chan_sip and PIN checks judge them."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import msgspec

from tests.conftest import write_tree
from tests.test_hostile_input import mangle
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk_sip"
CANARY = "Canary-Us3r!x8"


def _fixture(tmp_path, name: str, extra: dict[str, str] | None = None):
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    write_tree(root, extra or {})
    return collect_asterisk_tree(root)


def _problems(facts, root="users.conf"):
    return facts.configs[root].problems


def test_itc_users_are_peers_and_mailboxes(tmp_path, run):
    facts = _fixture(tmp_path, "itc-users", {"sip.conf": "[general]\nallowguest=no\n"})
    users = ["200", "201", "202", "100", "101", "102", "103", "104", "105"]
    peers = {p.name: p for p in facts.of_kind("sip.peer")}
    assert set(peers) == set(users)
    # [general] hassip=yes: every user; [general] options follow the user's (nat=yes)
    assert peers["200"].get("nat") == "yes" and peers["200"].get("type") == "friend"
    assert peers["200"].get("context") == "work" and peers["200"].source.file == "users.conf"
    assert run("AST-SIP-104", facts) == {f"sip peer {u}": FAIL for u in users}  # itcNNN: 6 characters
    assert run("AST-SIP-101", facts) == {"chan_sip udp listener": FAIL, **{f"sip peer {u}": FAIL for u in users}}
    assert run("AST-SIP-102", facts) == {f"sip peer {u}": FAIL for u in users}
    # mailboxes: voicemail.conf has no userscontext, so users.conf boxes live in 'default'
    boxes = {m.name: m for m in facts.of_kind("voicemail.mailbox")}
    assert set(boxes) == {f"{u}@default" for u in users} | {"200@work", "100@work"}
    box = boxes["200@default"]
    assert box.get("context") == "default" and box.get("fullname") == "Standard ITC" and box.get("mailbox") == "200"
    pin = box.secrets["pin"]  # no vmsecret: app_voicemail falls back to the user's secret
    assert pin.present and pin.length == 6 and (pin.source.file, pin.source.line) == ("users.conf", 26)
    vm101 = run("AST-VM-101", facts)
    assert vm101["mailbox 200@default"] == PASS and vm101["mailbox 200@work"] == FAIL  # voicemail.conf: no PIN
    assert not [p for p in _problems(facts) if not p.note]


def test_itc_users_without_sip_conf_give_no_peer(tmp_path, run):
    facts = _fixture(tmp_path, "itc-users")
    assert facts.of_kind("sip.peer") == []
    notes = [p for p in _problems(facts) if "hassip" in p.message]
    assert len(notes) == 9 and all(p.note for p in notes)
    assert run("AST-SIP-104", facts) == {"(target)": NA}  # no peers: the engine's N/A


def test_home_asterisk_general_vmsecret_does_not_reach_users(tmp_path, run):
    facts = _fixture(tmp_path, "home-asterisk")
    # [general] hasvoicemail = yes makes [trunk_1] a mailbox; [general] vmsecret = 1234 is not applied
    # (apply_options_full reads only the user's own options), so it has no PIN at all.
    box = facts.named("voicemail.mailbox", "trunk_1@default")
    assert box is not None and not box.secrets["pin"].present
    vm101 = run("AST-VM-101", facts)
    assert vm101["mailbox trunk_1@default"] == FAIL
    assert vm101["mailbox 4002@default"] == PASS
    assert run("AST-VM-102", facts)["mailbox 4002@default"] == FAIL  # voicemail.conf PIN = mailbox
    # hassip = no for [trunk_1] (and in [general]): no peer from users.conf
    assert [p.name for p in facts.of_kind("sip.peer")] == ["bryan"]


def test_general_options_follow_the_users_own_for_peers(tree, run):
    facts = tree({
        "sip.conf": "[general]\n",
        "users.conf": "[general]\nhassip = yes\ncontext = lobby\nencryption = yes\n\n"
                      f"[6000]\ncontext = doctors\nsecret = {CANARY}\n\n[6001]\nhassip = no\nhasvoicemail = yes\n"
                      f"vmsecret = {CANARY}\n",
    })
    peer = facts.named("sip.peer", "6000")
    assert peer.get("context") == "lobby"  # build_peer() applies [general] after the user's options
    assert run("AST-SIP-102", facts) == {"sip peer 6000": PASS}
    assert facts.named("sip.peer", "6001") is None  # its own hassip = no wins over [general]
    assert facts.named("voicemail.mailbox", "6001@default") is None  # no voicemail.conf: a note
    assert any(p.note and "hasvoicemail" in p.message for p in _problems(facts))
    assert CANARY not in msgspec.json.encode(facts).decode()
    assert all(CANARY not in p.message for cf in facts.configs.values() for p in cf.problems)


def test_pin_sources_in_app_voicemail_order(tree, run):
    facts = tree({
        "voicemail.conf": "[general]\nuserscontext = staff\n\n[staff]\n7000 => 7000,Voicemail Conf Box\n",
        "users.conf": "[general]\nhasvoicemail = yes\nvmsecret = 4444\n\n"
                      "[7001]\nsecret = 80213647\nvmsecret = 7001\n\n"  # vmsecret wins over secret
                      "[7002]\nsecret = *hashed\npassword = 55667788\n\n"  # '*' values are skipped
                      "[7003]\nvmsecret = -90817263\nfullname = Dr. Lee\n\n"  # '-': the user may not change it
                      "[7000]\nvmsecret = 31415926\n",  # loaded first: voicemail.conf's 7000@staff is ignored
    })
    boxes = {m.name: m for m in facts.of_kind("voicemail.mailbox")}
    assert set(boxes) == {"7000@staff", "7001@staff", "7002@staff", "7003@staff"}
    assert boxes["7000@staff"].source.file == "users.conf"
    assert any(p.note and "[7000]" in p.message and "voicemail.conf:5" in p.message for p in _problems(facts))
    assert boxes["7001@staff"].secrets["pin"].equals_identity
    assert boxes["7002@staff"].secrets["pin"].length == 8
    assert boxes["7003@staff"].get("pin_locked") == "yes" and boxes["7003@staff"].secrets["pin"].length == 8
    r = run("AST-VM-102", facts)
    assert r == {"mailbox 7000@staff": PASS, "mailbox 7001@staff": FAIL, "mailbox 7002@staff": PASS,
                 "mailbox 7003@staff": PASS}


def test_searchcontexts_makes_a_box_in_any_context_a_duplicate(tree):
    vm = "[general]\nsearchcontexts = yes\n\n[clinic]\n300 => 38475610,Box\n301 => 91827364,Other\n"
    facts = tree({"voicemail.conf": vm, "users.conf": "[300]\nhasvoicemail = yes\nvmsecret = 55443322\n"})
    assert sorted(m.name for m in facts.of_kind("voicemail.mailbox")) == ["300@default", "301@clinic"]
    without = tree({"voicemail.conf": vm.replace("searchcontexts = yes", "searchcontexts = no"),
                    "users.conf": "[300]\nhasvoicemail = yes\nvmsecret = 55443322\n"})
    assert len(without.of_kind("voicemail.mailbox")) == 3


def test_pins_shared_between_users_conf_and_voicemail_conf(tree, run):
    facts = tree({"voicemail.conf": "[general]\n[default]\n100 => 58203917,A\n",
                  "users.conf": "[200]\nhasvoicemail = yes\nvmsecret = 58203917\n"})
    assert run("AST-VM-106", facts) == {"mailbox 100@default": FAIL, "mailbox 200@default": FAIL}


def test_users_without_has_flags_are_read_not_unread(tree):
    # Kamasoutra/docker-asterisk style: type=friend users, but no hassip anywhere: chan_sip makes no peer.
    facts = tree({"sip.conf": "[general]\n", "users.conf": "[660]\ntype = friend\nsecret = docker\n"})
    facts.flag_unread_roots()
    assert facts.of_kind("sip.peer") == []
    assert [u.name for u in facts.of_kind("users.user")] == ["660"]
    assert not [p for p in _problems(facts) if p.is_gap]


def test_users_conf_peer_also_in_sip_conf_is_a_gap(tree):
    facts = tree({"sip.conf": "[6000]\ntype=friend\nsecret=Abcdefgh12345678xyz\n",
                  "users.conf": "[6000]\nhassip = yes\nsecret = other\n"})
    assert [p.source.file for p in facts.of_kind("sip.peer")] == ["sip.conf"]
    assert any(p.is_gap and "[6000]" in p.message for p in _problems(facts))


def test_fuzzed_users_conf_never_raises(tmp_path, registry):
    rng = random.Random(20261202)
    originals = {"users.conf": (FIXTURES / "itc-users" / "users.conf").read_text(),
                 "voicemail.conf": (FIXTURES / "itc-users" / "voicemail.conf").read_text(), "sip.conf": "[general]\n"}
    junk = ["hassip = yes", "hasvoicemail = yes", "vmsecret =", "secret = *", "[general]", "[x](!)", "[y](x)", "\x00"]
    checks = [c for c in registry.all() if "asterisk" in c.meta.platforms]
    for round_no in range(20):
        files = {name: mangle(text, rng, junk) for name, text in originals.items()}
        facts = collect_asterisk_tree(write_tree(tmp_path / f"r{round_no}", files))
        msgspec.json.encode(facts).decode()
        for chk in checks:
            if all(facts.source_state(s)[0] in {"ok", "missing"} for s in chk.meta.sources):
                chk(facts)
