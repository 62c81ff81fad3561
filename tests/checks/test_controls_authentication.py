"""AUTH-SECRET-101 and AUTH-SIP-101..103 judged on hand-built records, and the same weakness given the same
status and severity on every platform that binds them (real configuration text through the collectors)."""
from __future__ import annotations

from tests.conftest import write_tree
from voxaudit.checks.authentication import calls_authenticated, registrations_authenticated, secret_strong, users_not_disclosed
from voxaudit.collectors.offline import collect_freeswitch_tree, collect_kamailio_tree, collect_opensips_tree, collect_phone_files
from voxaudit.control import Params
from voxaudit.facts.network import EnumerationProbe, InviteProbe, SipFacts, SipResponse, SipTransportProbe
from voxaudit.model import Severity, Status
from voxaudit.records.authentication import (
    ACCEPTED,
    CHALLENGED,
    REFUSED,
    TRUSTED,
    AccountSecret,
    UnauthenticatedRequest,
    UserDisclosure,
)
from voxaudit.records.secrets import SecretShape

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
P = Params({"min_secret_length": 12})


def cred(**shape: object) -> AccountSecret:
    return AccountSecret(subject="auth a", account="a", secret=SecretShape(present=True, **shape))  # type: ignore[arg-type]


# -- AUTH-SECRET-101 on records ----------------------------------------------------------------------

def test_secret_strong_passes():
    v = secret_strong.judge(cred(length=20), P)
    assert v.status == PASS and v.evidence == "secret is long, not default, not shared"


def test_every_weak_shape_fails_with_its_reason():
    cases = {
        "no secret set": AccountSecret(subject="s", account="a"),
        "secret equals the account name": cred(length=20, equals_identity=True),
        "secret is a known default or common value": cred(length=20, weakness="known-weak"),
        "secret is a sequential sequence": cred(length=20, weakness="sequential"),
        "secret is a repeated sequence": cred(length=20, weakness="repeated"),
        "secret is shared with other accounts (a, b)": cred(length=20, shared_with="a, b"),
        "secret is 8 characters, shorter than 12": cred(length=8),
    }
    for reason, rec in cases.items():
        v = secret_strong.judge(rec, P)
        assert (v.status, v.evidence) == (FAIL, reason)


def test_secret_length_follows_the_profile():
    assert secret_strong.judge(cred(length=8), Params({"min_secret_length": 8})).status == PASS
    assert secret_strong.judge(cred(length=16), Params({"min_secret_length": 20})).status == FAIL


def test_undecidable_secret_is_unknown_never_pass():
    rec = AccountSecret(subject="s", account="a", secret=SecretShape(present=True, length=30), undecidable="stored hashed")
    v = secret_strong.judge(rec, P)
    assert (v.status, v.evidence) == (ERROR, "stored hashed") and v.error_kind is not None


def test_secret_evidence_names_the_setting_when_given():
    rec = AccountSecret(subject="phone x", account="admin", setting="P2", secret=SecretShape(present=True, length=3))
    assert secret_strong.judge(rec, P).evidence == "P2: secret is 3 characters, shorter than 12"


# -- AUTH-SIP-101/102 on records ---------------------------------------------------------------------

def req(outcome: str, **kw: str) -> UnauthenticatedRequest:
    return UnauthenticatedRequest(subject="x", request="call", outcome=outcome, detail="how", **kw)


def test_requests_without_credentials():
    for ctl in (calls_authenticated, registrations_authenticated):
        for outcome in (CHALLENGED, REFUSED, TRUSTED):
            assert ctl.judge(req(outcome), P).status == PASS, outcome
        v = ctl.judge(req(ACCEPTED), P)
        assert (v.status, v.evidence) == (FAIL, "how")
        assert ctl.judge(req("", undecidable="runtime value"), P).evidence == "runtime value"
        assert ctl.judge(req("", undecidable="runtime value"), P).status == ERROR
        assert ctl.judge(req(""), P).status == ERROR  # no outcome and no reason: still never PASS
        assert ctl.judge(req("", inactive="nothing listens"), P).status == NA


def test_user_disclosure():
    assert users_not_disclosed.judge(UserDisclosure(subject="x", detail="same"), P).status == PASS
    assert users_not_disclosed.judge(UserDisclosure(subject="x", disclosed=True, detail="404 vs 401"), P).status == FAIL
    assert users_not_disclosed.judge(UserDisclosure(subject="x", undecidable="no answer"), P).status == ERROR
    assert users_not_disclosed.judge(UserDisclosure(subject="x", inactive="off"), P).status == NA


def test_controls_name_no_vendor():
    import voxaudit.checks.authentication as mod
    text = open(mod.__file__).read().lower()
    for word in ("asterisk", "freeswitch", "kamailio", "opensips", "pjsip", "sofia", "yealink", "md5", "allowguest"):
        assert word not in text, word


# -- one weakness, one status and severity on every platform -----------------------------------------

SHORT = ("Xq7", "Rt5", "Pz3", "Wk9")  # 3 characters, distinct (not shared): weak everywhere, never a known default


def fs_tree(tmp_path, user_params: str, **extra: str):
    """A FreeSWITCH conf directory with one directory user 1000 whose <params> are ``user_params``."""
    files = {"vars.xml": "<include></include>\n",
             "directory/default.xml": '<include>\n<domain name="d"><groups><group name="default"><users>\n'
                                      '<X-PRE-PROCESS cmd="include" data="default/*.xml"/>\n</users></group></groups>'
                                      "</domain>\n</include>\n",
             "directory/default/1000.xml": f'<include>\n<user id="1000"><params>{user_params}</params></user>\n</include>\n',
             **extra}
    return collect_freeswitch_tree(write_tree(tmp_path / "fs", files))


def _same(registry, run, cases, status, severity, evidence="", control=""):
    """Every (1.x alias, facts) gives ``status`` on every resource, from a control of ``severity``."""
    for alias, facts in cases:
        result = run(alias, facts)
        assert result and set(result.values()) == {status}, (alias, result)
        ctl = registry.get(control) if control else registry.get(alias)
        assert ctl.meta.severity == severity and alias in ctl.meta.all_aliases(), alias
        if evidence:
            outcomes = registry.get(alias)(facts)
            assert all(evidence in o.evidence for o in outcomes), (alias, [o.evidence for o in outcomes])


def test_short_secret_fails_critical_on_every_platform(tree, tmp_path, run, registry):
    a, b, c, d = SHORT
    ast = tree({"pjsip.conf": f"[a]\ntype=auth\nusername=a\npassword={a}\n",
                "manager.conf": f"[general]\nenabled=yes\nbindaddr=127.0.0.1\n[mgr]\nsecret={b}\n",
                "ari.conf": f"[general]\nenabled=yes\n[ari]\ntype=user\npassword={c}\n",
                "sip.conf": f"[general]\n[p]\ntype=peer\nsecret={d}\n"})
    fs = fs_tree(tmp_path, f'<param name="password" value="{a}"/>', **{
        "autoload_configs/event_socket.conf.xml": '<configuration name="event_socket.conf"><settings>\n'
                                                  f'<param name="password" value="{b}"/>\n</settings></configuration>\n'})
    kam = collect_kamailio_tree(write_tree(tmp_path / "kam", {
        "kamailio.cfg": f'#!KAMAILIO\n#!define DBURL "mysql://kamailio:{a}@localhost/kamailio"\n'
                        'loadmodule "usrloc.so"\nmodparam("usrloc", "db_url", DBURL)\nrequest_route { exit; }\n'}))
    osips = collect_opensips_tree(write_tree(tmp_path / "osips", {
        "opensips.cfg": 'loadmodule "usrloc.so"\n'
                        f'modparam("usrloc", "db_url", "mysql://opensips:{a}@localhost/opensips")\nroute {{ exit; }}\n'}))
    phone = collect_phone_files(write_tree(tmp_path / "phone", {
        "805ec0aa0001.cfg": f"#!version:1.0.0.1\naccount.1.enable = 1\nstatic.security.user_password = admin:{a}\n"}))
    cases = [("AST-ACC-103", ast), ("AST-AMI-102", ast), ("AST-ARI-102", ast), ("AST-SIP-104", ast),
             ("FS-ACC-103", fs), ("FS-ESL-102", fs), ("KAM-ACC-103", kam), ("KAM-ACC-103", osips),
             ("PHONE-ACC-101", phone)]
    _same(registry, run, cases, FAIL, Severity.CRITICAL, "secret is 3 characters, shorter than 12")
    assert {registry.get(a).id for a, _ in cases} == {"AUTH-SECRET-101"}


def test_hashed_or_placeholder_secret_is_unknown_on_every_platform(tree, tmp_path, run, registry):
    ast = tree({"pjsip.conf": "[a]\ntype=auth\nusername=a\nmd5_cred=8a9f0c1e2d3b4a5968778695a4b3c2d1\n",
                "ari.conf": "[general]\nenabled=yes\n[ari]\ntype=user\npassword_format=crypt\n"
                            "password=$6$rounds=5000$abcdefgh$0123456789abcdef\n",
                "sip.conf": "[general]\n[p]\ntype=peer\nmd5secret=8a9f0c1e2d3b4a5968778695a4b3c2d1\n"})
    fs = fs_tree(tmp_path, '<param name="a1-hash" value="0cc175b9c0f1b6a8"/>')
    cases = [("AST-ACC-103", ast), ("AST-ARI-102", ast), ("AST-SIP-104", ast), ("FS-ACC-103", fs)]
    _same(registry, run, cases, ERROR, Severity.CRITICAL)


def test_strong_secret_passes_everywhere(tree, tmp_path, run, registry):
    strong = "Vx8Kq2Lm9Zr4Tw7Nb1Hc"
    ast = tree({"pjsip.conf": f"[a]\ntype=auth\nusername=a\npassword={strong}\n",
                "manager.conf": f"[general]\nenabled=yes\n[mgr]\nsecret={strong}\n"})
    fs = fs_tree(tmp_path, f'<param name="password" value="{strong}"/>')
    _same(registry, run, [("AST-ACC-103", ast), ("AST-AMI-102", ast), ("FS-ACC-103", fs)], PASS, Severity.CRITICAL)


def _sip(**kw) -> SipFacts:
    return SipFacts(address="127.0.0.1", **kw)


def test_calls_without_credentials_fail_critical_on_every_platform(tree, tmp_path, run, registry):
    ast = tree({"pjsip.conf": "[anonymous]\ntype=endpoint\ncontext=from-pstn\n", "sip.conf": "[general]\n"})
    fs = collect_freeswitch_tree(write_tree(tmp_path / "fs", {
        "sip_profiles/internal.xml": '<profile name="internal"><settings><param name="auth-calls" value="false"/>'
                                     "</settings></profile>"}))
    kam = collect_kamailio_tree(write_tree(tmp_path / "kam", {"kamailio.cfg": "#!KAMAILIO\nrequest_route { exit; }\n"}))
    osips = collect_opensips_tree(write_tree(tmp_path / "osips", {"opensips.cfg": "route { exit; }\n"}))
    wire = _sip(transports=[], invite=InviteProbe(transport="udp", target="101", statuses=[100, 180], accepted=True))
    cases = [("AST-ACC-102", ast), ("AST-SIP-103", ast), ("FS-ACC-101", fs), ("KAM-ACC-101", kam),
             ("KAM-ACC-101", osips), ("SIP-NET-105", wire)]
    _same(registry, run, cases, FAIL, Severity.CRITICAL, control="AUTH-SIP-101")
    [o] = registry.get("SIP-NET-105")(wire)
    assert o.fix == ["challenge unauthenticated INVITEs"]


def test_registrations_without_credentials_fail_critical_on_every_platform(tmp_path, run, registry):
    fs = collect_freeswitch_tree(write_tree(tmp_path / "fs", {
        "sip_profiles/internal.xml": '<profile name="internal"><settings><param name="auth-calls" value="true"/>'
                                     '<param name="accept-blind-reg" value="true"/></settings></profile>'}))
    kam = collect_kamailio_tree(write_tree(tmp_path / "kam", {"kamailio.cfg": "#!KAMAILIO\nrequest_route { exit; }\n"}))
    wire = _sip(transports=[SipTransportProbe(transport="udp", port=5060, state="answered",
                                              unauth_register=SipResponse(status=200, reason="OK"))])
    _same(registry, run, [("FS-ACC-102", fs), ("KAM-ACC-101", kam), ("SIP-NET-103", wire)], FAIL, Severity.CRITICAL,
          control="AUTH-SIP-102")
    assert run("FS-ACC-101", fs) == {"sofia profile internal": PASS}  # calls are authenticated on the same profile


def test_enumeration_fails_high_configured_and_observed(tree, run, registry):
    ast = tree({"sip.conf": "[general]\nallowguest=no\nalwaysauthreject=no\n"})
    wire = _sip(transports=[], enumeration=EnumerationProbe(transport="udp", known_user_status="401 Unauthorized",
                                                            unknown_user_statuses=["404 Not Found"], distinguishable=True))
    _same(registry, run, [("AST-SIP-103", ast), ("SIP-NET-104", wire)], FAIL, Severity.HIGH, control="AUTH-SIP-103")
    # AST-SIP-103 judged guests and enumeration: guests off here, so only AUTH-SIP-103 fails
    calls = {o.resource: o.status for o in registry.get("AUTH-SIP-101")(ast)}
    assert calls == {"sip.conf [general]": PASS}
    [o] = [o for o in registry.get("AUTH-SIP-103")(ast)]
    assert o.fix == ["[general]", "alwaysauthreject=yes"] and "alwaysauthreject is off" in o.evidence


def test_chan_sip_not_loaded_keeps_its_reason(tree, registry):
    facts = tree({"sip.conf": "[general]\nallowguest=yes\n", "modules.conf": "[modules]\nautoload=yes\nnoload => chan_sip.so\n"})
    for cid in ("AUTH-SIP-101", "AUTH-SIP-103"):
        outs = [o for o in registry.get(cid)(facts) if o.resource == "sip.conf"]
        assert [o.status for o in outs] == [NA] and "noload" in outs[0].evidence, cid


def test_fix_lines_are_the_platforms_own(tree, tmp_path, registry):
    ast = tree({"pjsip.conf": "[203]\ntype=endpoint\n[anonymous]\ntype=endpoint\n[a]\ntype=auth\nusername=a\npassword=a\n",
                "ari.conf": "[general]\nenabled=yes\n[ari]\ntype=user\npassword=x\n"})
    fixes = {o.resource: o.fix for o in registry.get("AST-ACC-102")(ast)}
    assert fixes == {"endpoint 203": ["[203]", "auth=203-auth"], "endpoint anonymous": ["; delete [anonymous]"]}
    assert [o.fix for o in registry.get("AST-ACC-103")(ast)] == [["[a]", "password=<random, 16+ characters>"]]
    assert [o.fix for o in registry.get("AST-ARI-102")(ast)] == [["[ari]", "password=<random, 16+ characters>",
                                                                  "password_format=crypt"]]
    phone = collect_phone_files(write_tree(tmp_path / "phone", {"805ec0aa0001.cfg": "#!version:1.0.0.1\naccount.1.enable = 1\n"}))
    [o] = registry.get("PHONE-ACC-101")(phone)
    assert o.status == FAIL and "not provisioned" in o.evidence and o.fix[0].endswith("-> random, 16+ characters")
