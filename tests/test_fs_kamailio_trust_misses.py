"""Classes of miss found on real FreeSWITCH / Kamailio trees (the "trust" round), each held by a focused test.

* tests/real_trees/canna-leaves-freeswitch-vanilla: mod_verto's plain WebSocket listeners (verto.conf.xml ``bind-local``
  without ``secure="true"``) carry verto logins and call signalling in clear; verto.conf was only a gap,
  so ENC-SIG-101 never named them, nor a profile that serves calls without a login. Both are read now
  (as mod_verto parse_config() and check_auth() read them); what is still not read of verto.conf (the TLS
  of its secure listeners) stays a gap.
* tests/real_trees/kzk-pbx-cloud-kamailio-dispatcher: ``listen=... advertise ${EXTERNAL_IP}:5060``, a
  placeholder an entrypoint fills in with sed: the lexer cut the statement at the '$' and reported every
  line as "block '{' outside a route" and "top-level statement not understood". A ``${NAME}`` placeholder
  is now one opaque token and one gap naming it (never its default value).
"""
from __future__ import annotations

from tests.conftest import write_tree
from voxaudit.facts.freeswitch import build_freeswitch_facts
from voxaudit.platforms.freeswitch.authentication import verto_calls, verto_registrations, verto_root_secret
from voxaudit.platforms.freeswitch.transport import verto_signalling
from voxaudit.records.authentication import ACCEPTED, CHALLENGED

_VERTO = """<document>
<section name="configuration">
  <configuration name="modules.conf"><modules><load module="mod_sofia"/>{verto}</modules></configuration>
  <configuration name="verto.conf">
    <profiles>
      <profile name="v4">
        <param name="bind-local" value="203.0.113.5:8081"/>
        <param name="bind-local" value="203.0.113.5:8082" secure="true"/>
        <param name="bind-local" value="127.0.0.1:8083"/>
        <param name="root-password" value="CanaryVerto-7f3a"/>
        <param name="userauth" value="true"/>
      </profile>
      <profile name="v4"><param name="bind-local" value="198.51.100.1:9000"/></profile>
    </profiles>
  </configuration>
</section>
</document>
"""


def _facts(tmp_path, loaded: bool = True):
    verto = '<load module="mod_verto"/>' if loaded else ""
    return build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": _VERTO.format(verto=verto)}))


def test_verto_plain_websocket_listener_is_plaintext_signalling(tmp_path):
    facts = _facts(tmp_path)
    recs = {r.subject: r for r in verto_signalling(facts)}
    assert recs["verto v4 203.0.113.5:8081"].plaintext and not recs["verto v4 203.0.113.5:8081"].loopback
    assert not recs["verto v4 203.0.113.5:8082"].plaintext                 # secure="true": WSS
    assert recs["verto v4 127.0.0.1:8083"].loopback
    assert not any("198.51.100.1" in s for s in recs)                       # a second profile "v4" is refused
    assert all(r.undecidable in ("", None) for r in recs.values())


def test_verto_tls_stays_a_visible_gap_without_secrets(tmp_path):
    facts = _facts(tmp_path)
    sofia = facts.configs["sofia"].problems
    gap = [p for p in sofia if p.is_gap and "verto.conf" in p.message]
    assert gap and "TLS of its secure listeners" in gap[0].message
    assert any("name of an earlier one" in p.message for p in sofia)       # the refused duplicate, named
    text = " ".join(p.message for p in sofia) + repr([o for o in facts.objects if o.kind == "verto.listen"])
    assert "CanaryVerto-7f3a" not in text


def test_verto_not_loaded_counts_for_nothing(tmp_path):
    facts = _facts(tmp_path, loaded=False)
    assert list(verto_signalling(facts)) == []
    assert not any(p.is_gap and "verto.conf" in p.message for p in facts.configs["sofia"].problems)


def test_verto_modules_unknown_is_undecidable(tmp_path):
    files = {"freeswitch.xml": _VERTO.replace(
        '<configuration name="modules.conf"><modules><load module="mod_sofia"/>{verto}</modules></configuration>', "")}
    facts = build_freeswitch_facts(write_tree(tmp_path, files))
    recs = list(verto_signalling(facts))
    assert recs and all(r.undecidable for r in recs)                         # never PASS, never silent



def _verto_profile(tmp_path, params: str):
    doc = ('<document><section name="configuration">'
           '<configuration name="modules.conf"><modules><load module="mod_verto"/></modules></configuration>'
           '<configuration name="verto.conf"><profiles><profile name="p">'
           f'<param name="bind-local" value="203.0.113.5:8082" secure="true"/>{params}'
           '</profile></profiles></configuration></section></document>')
    return build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": doc}))


def test_verto_logins_as_check_auth_reads_them(tmp_path):
    cases = {
        "": ACCEPTED,                                                                   # no login at all
        '<param name="userauth" value="true"/><param name="blind-reg" value="true"/>': ACCEPTED,
        '<param name="userauth" value="true"/><param name="blind-reg" value="false"/>': CHALLENGED,
        '<param name="userauth" value="@example.org"/>': CHALLENGED,
        '<param name="root-password" value="CanaryRoot-55"/>': CHALLENGED,             # only root logs in
        '<param name="userauth" value="true"/><param name="userauth" value=""/>': CHALLENGED,  # empty: ignored
    }
    for i, (params, outcome) in enumerate(cases.items()):
        facts = _verto_profile(tmp_path / str(i), params)
        calls, regs = list(verto_calls(facts)), list(verto_registrations(facts))
        assert [r.outcome for r in calls] == [outcome] and [r.outcome for r in regs] == [outcome], params


def test_verto_root_password_is_a_secret_never_shown(tmp_path):
    facts = _verto_profile(tmp_path, '<param name="root-password" value="CanaryRoot-55"/>')
    recs = list(verto_root_secret(facts))
    assert len(recs) == 1 and recs[0].subject == "verto profile p root-password"
    assert "CanaryRoot-55" not in repr(recs) + repr(facts.objects)
    assert list(verto_root_secret(_verto_profile(tmp_path / "none", ""))) == []

# -- kzk-pbx-cloud-kamailio-dispatcher: ${NAME} deployment placeholders in kamailio.cfg ------------------

def test_kamailio_placeholder_keeps_the_statement_whole_and_is_one_gap(tmp_path):
    from voxaudit.parsers.kamailio_cfg import parse_kamailio
    (tmp_path / "kamailio.cfg").write_text(
        "#!KAMAILIO\n"
        "listen=udp:0.0.0.0:5060 advertise ${EXTERNAL_IP}:5060\n"
        "listen=tls:0.0.0.0:5061 advertise ${EXTERNAL_IP:-CanaryDefault-91}:5061\n"
        "listen=udp:${PRIVATE_IP}:5080\n"
        "request_route {\n  if ($si == \"${EXTERNAL_IP}\") { exit; }\n  $var(x) = $(var(y){s.len});\n}\n")
    cfg = parse_kamailio(tmp_path)
    listens = [it.value for it in cfg.items if it.kind == "global" and it.name == "listen"]
    assert listens == ["udp:0.0.0.0:5060 advertise ${EXTERNAL_IP}:5060",
                       "tls:0.0.0.0:5061 advertise ${EXTERNAL_IP:-CanaryDefault-91}:5061",
                       "udp:${PRIVATE_IP}:5080"]
    msgs = [p.message for p in cfg.problems]
    assert not any("outside a route" in m or "not understood" in m for m in msgs)
    gaps = [p for p in cfg.problems if not p.fatal and not p.note and "deployment placeholder" in p.message]
    assert sorted((p.line, p.message.split()[0]) for p in gaps) == [(2, "${EXTERNAL_IP}"), (4, "${PRIVATE_IP}")]
    assert not any("CanaryDefault-91" in m for m in msgs)                   # a default value is never named


def test_kamailio_placeholder_lexing_is_linear(tmp_path):
    import time

    from voxaudit.parsers.kamailio_cfg import parse_kamailio
    (tmp_path / "kamailio.cfg").write_text("listen=" + "${A:-" * 40_000 + "\n" + "${" * 40_000 + "\n")
    start = time.perf_counter()
    cfg = parse_kamailio(tmp_path)
    assert time.perf_counter() - start < 5
    assert cfg.problems                                                      # said, never silent


def test_verto_alone_does_not_make_sofia_present(tmp_path):
    files = {"freeswitch.xml": _VERTO.format(verto="").replace('<load module="mod_sofia"/>', "")}
    facts = build_freeswitch_facts(write_tree(tmp_path, files))
    assert not facts.configs["sofia"].found                                  # no sofia.conf: not "no profiles"
